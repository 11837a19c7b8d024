"""A request belongs to the context in which it was made: its trackers, budgets and labels,
wherever and whenever it ends (a stream read outside its block, in another task, left early
and finalised by the garbage collector). The real openai client against cassettes."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

openai = pytest.importorskip("openai")

from tests.support.cassettes import openai_include_usage, use_cassette  # noqa: E402
from tokenprint import Budget, BudgetExceeded, BudgetWarning, EcoLogits, Tracker  # noqa: E402

MESSAGES = [{"role": "user", "content": "Hello World!"}]
TINY = {"gwp": "0.000001 mg"}


@pytest.fixture
def client() -> Any:
    EcoLogits.init(providers=["openai"])
    return openai.OpenAI(api_key="sk-test", max_retries=0)


@pytest.fixture
def aclient() -> Any:
    EcoLogits.init(providers=["openai"])
    return openai.AsyncOpenAI(api_key="sk-test", max_retries=0)


def _stream(client: Any) -> Any:
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, **openai_include_usage()
    )


def test_a_stream_read_outside_its_block_is_charged_to_the_block(client: Any) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        with Tracker() as made, EcoLogits.label(step="made"):
            stream = _stream(client)
        with Tracker() as read:
            chunks = list(stream)
    assert len(made) == 1 and len(read) == 0
    assert made.requests[0].labels == {"step": "made"}
    assert chunks[-1].impacts is made.requests[0].impacts


def test_a_budget_breach_of_a_stream_read_outside_its_block_reaches_the_reader(
    client: Any,
) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        with Budget(per_request=TINY):
            stream = _stream(client)
        with pytest.raises(BudgetExceeded) as breach:
            list(stream)
    answer: Any = breach.value.response
    assert answer is stream  # the paid-for answer, with its impacts
    assert answer.impacts.has_values


def test_a_stream_left_early_and_collected_elsewhere_is_charged_where_it_was_made(
    client: Any,
) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        with Tracker() as made:
            stream = _stream(client)
            for _ in stream:
                break  # left without close()
        with Tracker() as elsewhere:
            del stream
            gc.collect()
    assert len(made) == 1 and len(elsewhere) == 0


def test_a_breach_found_by_the_garbage_collector_is_a_warning_not_swallowed(
    client: Any,
) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        with Budget(per_request=TINY):
            stream = _stream(client)
            next(iter(stream))
        with pytest.warns(BudgetWarning, match="gwp"):
            del stream
            gc.collect()


async def test_a_stream_handed_from_a_producer_task_to_a_consumer_task(aclient: Any) -> None:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    with use_cassette("openai", "chat_stream_usage"):

        async def produce() -> Tracker:
            with Tracker() as tracker, EcoLogits.label(task="producer"):
                await queue.put(await _stream(aclient))
            return tracker

        async def consume() -> Tracker:
            with Tracker() as tracker, EcoLogits.label(task="consumer"):
                stream = await queue.get()
                async for _ in stream:
                    pass
            return tracker

        producer, consumer = await asyncio.gather(produce(), consume())
    assert len(producer) == 1 and len(consumer) == 0
    assert producer.requests[0].labels == {"task": "producer"}


def test_a_plain_answer_over_budget_is_handed_over_on_the_exception(client: Any) -> None:
    with (
        use_cassette("openai", "chat_completion"),
        Budget(per_request=TINY),
        pytest.raises(BudgetExceeded) as breach,
    ):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    answer: Any = breach.value.response
    assert answer.choices[0].message.content == "Hello! How can I help you today?"
    assert answer.impacts.has_values


def test_a_stream_never_read_is_charged_where_it_was_made_when_collected(client: Any) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        with Tracker() as made:
            stream = _stream(client)
        with Tracker() as elsewhere:
            del stream
            gc.collect()
    assert len(made) == 1 and len(elsewhere) == 0
    assert "input-tokens-estimated" in [w.code for w in made.requests[0].impacts.warnings]
