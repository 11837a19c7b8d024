"""Concurrency: 1,000 requests across 16 threads, then 1,000 across 200 asyncio tasks,
through one real openai client on a mock transport, with a global budget, an outer tracker,
a tracker, labels and a budget per thread or task. Every request is counted exactly once,
the totals equal the sums, and no thread or task sees another's requests.

The mock answers each request with usage derived from the request itself (the prompt says
``req-<n>``; the answer reports ``n + 1`` prompt tokens), so a record attributed to the wrong
context is detectable.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import math
import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.support import sdk_matrix
from tokenprint import Budget, EcoLogits, Impacts
from tokenprint.tracking import Tracker

openai = pytest.importorskip("openai")

THREADS = 16
TASKS = 200
TOTAL = 1000
CHAT = sdk_matrix._load("openai", "chat_completion")[""][2]
STREAM = sdk_matrix._load("openai", "chat_stream_usage")[""][2]


def _number(request: Any) -> tuple[int, bool]:
    body = json.loads(request.content)
    return int(body["messages"][0]["content"].removeprefix("req-")), bool(body.get("stream"))


def _answer(request: Any) -> Any:
    n, stream = _number(request)
    counts = {"prompt_tokens": n + 1, "completion_tokens": 7, "total_tokens": n + 8}

    def value(key: str) -> Any:
        return counts.get(key, 0)

    if stream:
        body = sdk_matrix.edit_tokens(STREAM, value)
        headers = {"content-type": "text/event-stream"}
    else:
        body = sdk_matrix.edit_tokens(CHAT, value)
        headers = {"content-type": "application/json"}
    return httpx2.Response(200, headers=headers, content=body, request=request)


async def _aanswer(request: Any) -> Any:
    await asyncio.sleep(0)  # let other tasks run between request and answer
    return _answer(request)


def _call(client: Any, n: int) -> int:
    """One request (every third one streamed); returns the output tokens it reported."""
    messages = [{"role": "user", "content": f"req-{n}"}]
    if n % 3:
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        assert resp.impacts.errors == []
        return int(resp.usage.completion_tokens)
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[-1].impacts.errors == []
    return int(chunks[-1].usage.completion_tokens)


async def _acall(client: Any, n: int) -> int:
    messages = [{"role": "user", "content": f"req-{n}"}]
    if n % 3:
        resp = await client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        return int(resp.usage.completion_tokens)
    stream = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in stream]
    return int(chunks[-1].usage.completion_tokens)


@pytest.fixture
def global_budget() -> Iterator[Budget]:
    budget = Budget(total={"energy": "1 GWh"}, mode="raise")
    EcoLogits.init(providers=["openai"], budget=budget)
    yield budget


def _close(a: Impacts, b: Impacts) -> None:
    va, vb = a.vectors, b.vectors
    assert va is not None and vb is not None
    for x, y in zip(va[0] + va[1], vb[0] + vb[1], strict=True):
        assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-300), (x, y)


def _check(
    outer: Tracker, inner: dict[int, Tracker], owner: dict[int, list[int]], budget: Budget
) -> None:
    # every request exactly once, in the outer tracker and in the global budget
    assert len(outer) == TOTAL
    assert sorted(r.usage.input_tokens - 1 for r in outer.requests) == list(range(TOTAL))
    assert budget.spent.basis.requests == TOTAL
    # each context saw exactly its own requests, with its own labels
    for who, tracker in inner.items():
        got = sorted(r.usage.input_tokens - 1 for r in tracker.requests)
        assert got == sorted(owner[who]), f"context {who} saw other requests"
        assert {r.labels.get("worker") for r in tracker.requests} == {str(who)}
    # totals are the sums
    _close(outer.total, Impacts.sum(t.total for t in inner.values()))
    _close(outer.total, budget.spent)


def test_threads_each_request_counted_once_without_cross_talk(global_budget: Budget) -> None:
    client = openai.OpenAI(
        api_key="sk-test",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(_answer)),
    )
    owner = {w: list(range(w, TOTAL, THREADS)) for w in range(THREADS)}
    inner: dict[int, Tracker] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(who: int) -> None:
        try:
            scoped = Budget(per_request={"energy": "1 kWh"}, mode="raise")
            with EcoLogits.track() as mine, EcoLogits.label(worker=str(who)), scoped:
                inner[who] = mine
                start.wait()
                for n in owner[who]:
                    assert _call(client, n) == 7
            assert scoped.spent.basis.requests == len(owner[who])
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    with EcoLogits.track() as outer:
        threads = [
            threading.Thread(target=contextvars.copy_context().run, args=(worker, w))
            for w in range(THREADS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    _check(outer, inner, owner, global_budget)


def test_asyncio_tasks_each_request_counted_once_without_cross_talk(
    global_budget: Budget,
) -> None:
    owner = {w: list(range(w, TOTAL, TASKS)) for w in range(TASKS)}
    inner: dict[int, Tracker] = {}

    async def main() -> None:
        client = openai.AsyncOpenAI(
            api_key="sk-test",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(_aanswer)),
        )

        async def task(who: int) -> None:
            scoped = Budget(per_request={"energy": "1 kWh"}, mode="raise")
            async with scoped:
                with EcoLogits.track() as mine, EcoLogits.label(worker=str(who)):
                    inner[who] = mine
                    for n in owner[who]:
                        assert await _acall(client, n) == 7
                        await asyncio.sleep(0)
            assert scoped.spent.basis.requests == len(owner[who])

        await asyncio.gather(*(task(w) for w in range(TASKS)))

    with EcoLogits.track() as outer:
        asyncio.run(main())
    _check(outer, inner, owner, global_budget)


def test_catalogue_first_used_by_many_threads_at_once_is_complete_for_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tokenprint.catalog import datacenters, grids, hardware
    from tokenprint.estimator import Estimator
    from tokenprint.records import Usage

    for module, name in ((hardware, "_acc"), (hardware, "_srv"), (grids, "_mixes")):
        monkeypatch.setattr(module, name, None)  # as in a fresh process
    monkeypatch.setattr(datacenters, "_rows", None)
    start = threading.Barrier(THREADS)
    results: list[Any] = []

    def first_request() -> None:
        start.wait()
        try:
            results.append(Estimator().compute(Usage("openai", "gpt-4o-mini", 100, 10)))
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=first_request) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.errors if isinstance(r, Impacts) else r for r in results] == [[]] * THREADS


def _small_answer(request: Any) -> Any:
    counts = {"prompt_tokens": 2, "completion_tokens": 7, "total_tokens": 9}
    body = sdk_matrix.edit_tokens(CHAT, lambda key: counts.get(key, 0))
    return httpx2.Response(
        200, headers={"content-type": "application/json"}, content=body, request=request
    )


async def test_a_block_budget_holds_under_200_concurrent_requests() -> None:
    """Each request reserves its worst case before it is sent: 200 requests in flight at
    once never spend more than the budget (before, all 200 were sent)."""
    from tokenprint import BudgetExceeded, estimate

    async def answer(request: Any) -> Any:
        await asyncio.sleep(0.01)  # every request is in flight before the first answer
        return _small_answer(request)

    EcoLogits.init(providers=["openai"])
    client = openai.AsyncOpenAI(
        api_key="sk-test",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(answer)),
    )
    worst = estimate("gpt-4o-mini", output_tokens=10, input_tokens=2, provider="openai").energy
    assert worst is not None
    limit_wh = worst.max * 1000 * 5.5  # room for five worst cases
    budget = Budget(total={"energy": f"{limit_wh} Wh"}, mode="block")
    sent: list[int] = []

    async def one(n: int) -> None:
        with contextlib.suppress(BudgetExceeded):
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], max_tokens=10
            )
            sent.append(n)

    with budget:
        await asyncio.gather(*(one(n) for n in range(TASKS)))
    assert 1 <= len(sent) <= 5
    assert budget.spent.basis.requests == len(sent)
    spent = budget.spent.energy
    assert spent is not None and spent.max <= limit_wh / 1000
    assert not budget._reserved  # every reservation released


def test_a_refused_or_failed_request_releases_its_reservation() -> None:
    from tokenprint import BudgetExceeded

    def fail(request: Any) -> Any:
        return httpx2.Response(500, json={"error": {"message": "boom"}}, request=request)

    EcoLogits.init(providers=["openai"])
    client = openai.OpenAI(
        api_key="sk-test",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(fail)),
    )
    budget = Budget(total={"energy": "1 kWh"}, mode="block")
    with budget, pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], max_tokens=10
        )
    assert not budget._reserved
    with (
        Budget(total={"energy": "0 Wh"}, mode="block") as nothing,
        pytest.raises(BudgetExceeded),
    ):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], max_tokens=10
        )
    assert not nothing._reserved
