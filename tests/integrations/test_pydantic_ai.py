"""pydantic-ai: a real ``Agent`` with its OpenAI chat model on a real ``AsyncOpenAI`` client
replaying hand-written chat completions (a tool call, then the answer): every model request
of a run is counted once, by the openai adapter beneath, and ``EcoLogits.track()`` around the
run gives its total."""

from __future__ import annotations

from typing import Any

import pytest

pydantic_ai = pytest.importorskip("pydantic_ai")
openai = pytest.importorskip("openai")

from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel  # noqa: E402
from pydantic_ai.providers.openai import OpenAIProvider  # noqa: E402

from tests.support.cassettes import records, use_cassette  # noqa: E402
from tests.support.runs import counted_once  # noqa: E402
from tokenprint import EcoLogits  # noqa: E402

TOKENS = [(300, 20), (350, 12)]  # the two requests of tool_run.yaml: (input, output)


def _agent(responses: bool = False) -> Any:
    """An agent on the OpenAI chat model, or on the Responses API model."""
    EcoLogits.init(providers=["openai"])
    client = openai.AsyncOpenAI(api_key="sk-test", max_retries=0)
    provider = OpenAIProvider(openai_client=client)
    if responses:
        model: Any = OpenAIResponsesModel("gpt-4.1", provider=provider)
    else:
        model = OpenAIChatModel("gpt-4o-mini", provider=provider)
    agent = pydantic_ai.Agent(model, instructions="Answer.")
    agent.tool_plain(get_weather)
    return agent


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


def _counted_once(recs: Any, tracker: Any, tokens: list[tuple[int, int]]) -> None:
    counted_once(recs, tracker, tokens)
    assert {r.usage.model for r in recs} == {"gpt-4o-mini-2024-07-18"}


async def test_run_counts_each_model_request_once_and_the_tracker_sums_the_run() -> None:
    agent = _agent()
    with use_cassette("pydantic_ai", "tool_run"), records() as recs, EcoLogits.track() as t:
        result = await agent.run("Weather in Paris?")
    assert result.output == "It is sunny in Paris."
    _counted_once(recs, t, TOKENS)
    # the run's own usage agrees with what tokenprint counted
    usage = result.usage  # a property in 2.x, a method before
    usage = usage if hasattr(usage, "input_tokens") else usage()
    assert (usage.input_tokens, usage.output_tokens) == (650, 32)


def test_run_sync_counts_each_model_request_once() -> None:
    agent = _agent()
    with use_cassette("pydantic_ai", "tool_run"), records() as recs, EcoLogits.track() as t:
        result = agent.run_sync("Weather in Paris?")
    assert result.output == "It is sunny in Paris."
    _counted_once(recs, t, TOKENS)


async def test_run_stream_counts_the_streamed_request_once() -> None:
    agent = _agent()
    with use_cassette("pydantic_ai", "answer_stream"), records() as recs, EcoLogits.track() as t:
        async with agent.run_stream("Weather in Paris?") as run:
            text = await run.get_output()
    assert text == "It is sunny in Paris."
    _counted_once(recs, t, [(350, 12)])
    assert recs[0].usage.warnings == ()  # pydantic-ai asks for the usage chunk


async def test_run_on_the_responses_api_counts_each_request_once() -> None:
    agent = _agent(responses=True)
    with use_cassette("agents", "tool_run"), records() as recs, EcoLogits.track() as t:
        result = await agent.run("Weather in Paris?")
    assert result.output == "It is sunny in Paris."
    counted_once(recs, t, TOKENS)  # the same two turns, as Responses API requests
    assert {r.usage.endpoint for r in recs} == {"responses.create"}
