"""OpenAI Agents SDK: the real ``Runner`` on a real ``AsyncOpenAI`` client replaying
hand-written Responses API exchanges (a function call, then the answer): every model request
of a run is counted once, by the openai adapter beneath, and ``EcoLogits.track()`` around the
run gives its total, streamed runs included."""

from __future__ import annotations

from typing import Any

import pytest

agents = pytest.importorskip("agents")
openai = pytest.importorskip("openai")

from tests.support.cassettes import records, use_cassette  # noqa: E402
from tests.support.runs import counted_once  # noqa: E402
from tokenprint import EcoLogits  # noqa: E402

TOKENS = [(300, 20), (350, 12)]  # the two requests of tool_run*.yaml: (input, output)


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


def _agent(chat: bool = False) -> Any:
    """An agent on the Responses API (the SDK's default), or on Chat Completions."""
    EcoLogits.init(providers=["openai"])
    client = openai.AsyncOpenAI(api_key="sk-test", max_retries=0)
    if chat:
        model = agents.OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client)
    else:
        model = agents.OpenAIResponsesModel(model="gpt-4.1", openai_client=client)
    tools = [agents.function_tool(get_weather)]
    return agents.Agent(name="weather", instructions="Answer.", model=model, tools=tools)


@pytest.fixture(autouse=True)
def _no_tracing() -> Any:
    agents.set_tracing_disabled(True)  # the SDK's tracing would export to OpenAI's servers
    yield
    agents.set_tracing_disabled(False)


def _counted_once(recs: Any, tracker: Any) -> None:
    counted_once(recs, tracker, TOKENS)
    assert {r.usage.endpoint for r in recs} == {"responses.create"}


async def test_run_counts_each_model_request_once_and_the_tracker_sums_the_run() -> None:
    agent = _agent()
    with use_cassette("agents", "tool_run"), records() as recs, EcoLogits.track() as t:
        result = await agents.Runner.run(agent, "Weather in Paris?")
    assert result.final_output == "It is sunny in Paris."
    _counted_once(recs, t)
    # the run result keeps the framework's own responses, one per request, in the same order
    # as the tracker's requests
    assert [(r.usage.input_tokens, r.usage.output_tokens) for r in result.raw_responses] == [
        (r.basis.input_tokens, r.basis.output_tokens) for r in t.requests
    ]


def test_run_sync_counts_each_model_request_once() -> None:
    agent = _agent()
    with use_cassette("agents", "tool_run"), records() as recs, EcoLogits.track() as t:
        result = agents.Runner.run_sync(agent, "Weather in Paris?")
    assert result.final_output == "It is sunny in Paris."
    _counted_once(recs, t)


async def test_run_on_chat_completions_counts_each_request_once() -> None:
    agent = _agent(chat=True)
    with use_cassette("pydantic_ai", "tool_run"), records() as recs, EcoLogits.track() as t:
        result = await agents.Runner.run(agent, "Weather in Paris?")
    assert result.final_output == "It is sunny in Paris."
    counted_once(recs, t, TOKENS)  # the same two turns, as chat completions
    assert {r.usage.endpoint for r in recs} == {"chat.completions.create"}


async def test_streamed_run_counts_each_streamed_request_once() -> None:
    # the SDK streams through responses.with_streaming_response.create() and parse()
    agent = _agent()
    with use_cassette("agents", "tool_run_stream"), records() as recs, EcoLogits.track() as t:
        result = agents.Runner.run_streamed(agent, "Weather in Paris?")
        kinds = [event.type async for event in result.stream_events()]
    assert "raw_response_event" in kinds
    assert result.final_output == "It is sunny in Paris."
    _counted_once(recs, t)


async def test_streamed_run_consumed_in_another_task_is_charged_to_the_tracker() -> None:
    # run_streamed starts the run in a task of its own: its requests are made in that task,
    # which copied the context (and the tracker) when it was created
    agent = _agent()
    with use_cassette("agents", "tool_run_stream"), EcoLogits.track() as t:
        result = agents.Runner.run_streamed(agent, "Weather in Paris?")
    with use_cassette("agents", "tool_run_stream"), EcoLogits.track() as later:
        async for _ in result.stream_events():
            pass
    assert len(t.requests) == 2
    assert later.requests == []
