"""Tracking and budgets on real instrumented OpenAI calls.

The real ``openai`` client replays our cassettes (tests/cassettes/budgets/) or talks to an
``httpx2.MockTransport`` that counts what reaches the wire (block mode must send nothing).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

openai = pytest.importorskip("openai")
httpx2 = pytest.importorskip("httpx2")

import tokenprint  # noqa: E402
from tests.support.cassettes import use_cassette  # noqa: E402
from tokenprint import Budget, BudgetExceeded, BudgetWarning, EcoLogits, Tracker  # noqa: E402
from tokenprint.impacts.results import Impacts  # noqa: E402
from tokenprint.records import RequestRecord  # noqa: E402

MESSAGES = [{"role": "user", "content": "Summarise this ticket."}]


def gwp_g(output: int, inp: int = 50, latency: float | None = None) -> float:
    """GWP upper bound (g) of a gpt-4o-mini request. A measured latency only lowers an
    estimate (it caps the decode time), so an instrumented request lies between the
    ``latency=0`` and the ``latency=None`` values whatever the test machine's speed."""
    gwp = tokenprint.estimate("gpt-4o-mini", output, inp, provider="openai", latency=latency).gwp
    assert gwp is not None
    return gwp.max * 1000.0


class Wire:
    """An httpx2 transport handler: answers chat completions (50 prompt tokens, as many
    completion tokens as ``max_tokens`` or 100) and counts the requests."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> Any:
        with self._lock:
            self.requests.append(request)
        sent = json.loads(request.content)
        model, out = sent["model"], sent.get("max_tokens") or 100
        body = {
            "id": "chatcmpl-wire",
            "object": "chat.completion",
            "created": 1764100000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Done."},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 50, "completion_tokens": out, "total_tokens": 50 + out},
        }
        return httpx2.Response(200, json=body)


@pytest.fixture
def client() -> Iterator[Any]:
    EcoLogits.init(providers=["openai"])
    yield openai.OpenAI(api_key="sk-test", max_retries=0)


@pytest.fixture
def wire() -> Wire:
    EcoLogits.init(providers=["openai"])
    return Wire()


def wired(wire: Wire) -> Any:
    transport = httpx2.MockTransport(wire)
    return openai.OpenAI(
        api_key="sk-test", max_retries=0, http_client=httpx2.Client(transport=transport)
    )


def awired(wire: Wire) -> Any:
    transport = httpx2.MockTransport(wire)
    return openai.AsyncOpenAI(
        api_key="sk-test", max_retries=0, http_client=httpx2.AsyncClient(transport=transport)
    )


def ask(client: Any, **kwargs: Any) -> Any:
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **kwargs)


# -- tracking and comparisons ----------------------------------------------------------------
def test_tracker_collects_instrumented_calls(client: Any) -> None:
    with use_cassette("budgets", "chat_growing") as cassette, EcoLogits.track() as t:
        responses = [ask(client) for _ in range(3)]
    assert cassette.play_count == 3
    assert len(t) == 3
    assert [r.impacts for r in t.requests] == [resp.impacts for resp in responses]
    total = t.total.gwp
    assert total is not None
    assert total.max == pytest.approx(sum(r.impacts.gwp.max for r in responses))
    assert set(t.by_model()) == {"gpt-4o-mini"}
    assert t.requests[0].basis.model == "gpt-4o-mini-2024-07-18"


def test_response_impacts_compare_with_amounts_and_convert(client: Any) -> None:
    with use_cassette("budgets", "chat_one"):
        resp = ask(client)
    gwp, energy = resp.impacts.gwp, resp.impacts.energy
    assert gwp < "0.3 g"
    assert not gwp > "0.3 g"
    assert "0.3 gCO2eq" > gwp  # noqa: SIM300 - the reflected comparison is the point
    assert energy.to("Wh").unit == "Wh"
    assert energy.to("Wh").max == pytest.approx(energy.max * 1000)
    assert energy.quantity("max").to("Wh").magnitude == pytest.approx(energy.max * 1000)
    assert (gwp == object()) is False


# -- raise and warn --------------------------------------------------------------------------
def test_raise_mode_raises_after_the_response_with_impacts_attached(client: Any) -> None:
    limit = gwp_g(100, latency=0) * 0.5  # below the request whatever its latency
    with (
        use_cassette("budgets", "chat_one") as cassette,
        EcoLogits.track() as t,
        pytest.raises(BudgetExceeded) as info,
        Budget(per_request={"gwp": f"{limit} g"}),
    ):
        ask(client)
    assert cassette.play_count == 1  # the request was sent and answered
    record = info.value.request
    assert isinstance(record, RequestRecord)
    assert record.impacts is t.requests[0].impacts
    assert isinstance(info.value.totals, Impacts)
    assert "gwp per-request" in str(info.value)


def test_raise_mode_total_breaks_on_the_call_that_crosses_it(client: Any) -> None:
    # Two short answers fit; the long third one crosses the total.
    limit = 2 * gwp_g(10) + 0.5 * gwp_g(2000, latency=0)
    budget = Budget(total={"gwp": f"{limit} g"})
    with use_cassette("budgets", "chat_growing"), budget:
        ask(client)
        ask(client)
        with pytest.raises(BudgetExceeded, match="gwp total"):
            ask(client)
    assert budget.spent.basis.requests == 3


def test_raise_mode_on_a_stream_raises_when_the_stream_ends(client: Any) -> None:
    chunks: list[Any] = []
    with (
        use_cassette("budgets", "chat_stream"),
        EcoLogits.track() as t,
        Budget(per_request={"energy": "0 Wh"}),
    ):
        stream = ask(client, stream=True, stream_options={"include_usage": True})
        with pytest.raises(BudgetExceeded, match="energy per-request"):
            for chunk in stream:
                chunks.append(chunk)
    assert len(chunks) == 5  # every chunk reached the caller before the breach
    assert chunks[-1].impacts.basis.output_tokens == 100
    assert len(t) == 1


async def test_raise_mode_on_the_async_client() -> None:
    EcoLogits.init(providers=["openai"])
    aclient = openai.AsyncOpenAI(api_key="sk-test", max_retries=0)
    with use_cassette("budgets", "chat_one"), pytest.raises(BudgetExceeded):
        async with Budget(per_request={"energy": "0 Wh"}):
            await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_warn_mode_returns_the_response_and_warns(client: Any) -> None:
    with (
        use_cassette("budgets", "chat_one"),
        pytest.warns(BudgetWarning, match="energy per-request"),
        Budget(per_request={"energy": "0 Wh"}, mode="warn"),
    ):
        resp = ask(client)
    assert resp.impacts.basis.output_tokens == 100


def test_global_budget_from_init(client: Any) -> None:
    EcoLogits.init(providers=["openai"], budget=Budget(per_request={"gwp": "0 g"}))
    with use_cassette("budgets", "chat_one"), pytest.raises(BudgetExceeded):
        ask(client)


# -- block -----------------------------------------------------------------------------------
def test_block_mode_refuses_before_any_http_request(wire: Wire) -> None:
    client = wired(wire)
    limit = gwp_g(1000)  # room for 1000 output tokens, not for 4000
    with Budget(per_request={"gwp": f"{limit} g"}, mode="block"):
        with pytest.raises(BudgetExceeded, match="refused before sending") as info:
            ask(client, max_tokens=4000)
        assert wire.requests == []
        assert info.value.request is None
        resp = ask(client, max_tokens=500)
    assert len(wire.requests) == 1
    assert resp.impacts.basis.output_tokens == 500


def test_block_mode_refusal_plays_nothing_from_the_cassette(client: Any) -> None:
    with (
        use_cassette("budgets", "chat_one") as cassette,
        Budget(per_request={"gwp": f"{gwp_g(10)} g"}, mode="block"),
        pytest.raises(BudgetExceeded),
    ):
        ask(client, max_completion_tokens=2000)
    assert cassette.play_count == 0


def test_block_mode_refuses_once_the_total_is_spent(wire: Wire) -> None:
    client = wired(wire)
    # Room for two short requests, then not for the worst case of a long one.
    limit = 2 * gwp_g(10) + 0.5 * gwp_g(2000, inp=0)
    with Budget(total={"gwp": f"{limit} g"}, mode="block") as budget:
        ask(client, max_tokens=10)
        ask(client, max_tokens=10)
        with pytest.raises(BudgetExceeded, match="gwp total"):
            ask(client, max_tokens=2000)
    assert len(wire.requests) == 2
    assert budget.spent.basis.requests == 2
    remaining = budget.remaining("gwp")
    assert remaining is not None and remaining > 0


async def test_block_mode_on_the_async_client_sends_nothing(wire: Wire) -> None:
    client = awired(wire)
    with Budget(per_request={"gwp": "0 g"}, mode="block"), pytest.raises(BudgetExceeded):
        await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=10)
    assert wire.requests == []


# -- concurrency -----------------------------------------------------------------------------
async def test_two_tasks_with_their_own_trackers_see_only_their_requests(wire: Wire) -> None:
    client = awired(wire)

    async def worker(model: str, n: int) -> Tracker:
        async with EcoLogits.track() as t:
            for _ in range(n):
                await client.chat.completions.create(model=model, messages=MESSAGES)
                await asyncio.sleep(0)
        return t

    a, b = await asyncio.gather(worker("gpt-4o-mini", 3), worker("gpt-4o", 2))
    assert [r.basis.model for r in a.requests] == ["gpt-4o-mini"] * 3
    assert [r.basis.model for r in b.requests] == ["gpt-4o"] * 2
    assert len(wire.requests) == 5


def test_two_threads_with_their_own_trackers_see_only_their_requests(wire: Wire) -> None:
    client = wired(wire)
    barrier = threading.Barrier(2)
    seen: dict[str, Tracker] = {}
    errors: list[BaseException] = []

    def worker(model: str, n: int) -> None:
        try:
            with EcoLogits.track() as t:
                barrier.wait()
                for _ in range(n):
                    client.chat.completions.create(model=model, messages=MESSAGES)
                barrier.wait()
            seen[model] = t
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=("gpt-4o-mini", 3)),
        threading.Thread(target=worker, args=("gpt-4o", 2)),
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert [r.basis.model for r in seen["gpt-4o-mini"].requests] == ["gpt-4o-mini"] * 3
    assert [r.basis.model for r in seen["gpt-4o"].requests] == ["gpt-4o"] * 2


def test_a_budget_warning_points_at_the_callers_line() -> None:
    EcoLogits.init(providers=["openai"])
    client = openai.OpenAI(api_key="sk-test", max_retries=0)
    with (
        use_cassette("openai", "chat_completion"),
        Budget(per_request={"energy": "1e-9 Wh"}, mode="warn"),
        pytest.warns(BudgetWarning) as warned,
    ):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert warned[0].filename == __file__
