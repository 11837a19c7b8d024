"""Trackers: what they collect, how they nest, and that threads and tasks stay apart.

Requests are fed through the real after-hook (``events.run_after``) with impacts from
``tokenprint.estimate()``, the way the instrumentation core hands them over.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import threading

import pytest

import tokenprint
from tokenprint import EcoLogits, Tracker, events
from tokenprint.errors import InvalidTypeError
from tokenprint.records import RequestRecord, Usage


def send(model: str = "gpt-4o-mini", output: int = 100, inp: int = 50, **labels: str) -> None:
    """What the core does once a request's impacts are attached."""
    impacts = tokenprint.estimate(model, output, inp)
    usage = Usage("openai", model, inp, output, endpoint="chat.completions.create")
    events.run_after(RequestRecord.now(usage, impacts, labels))


def test_tracker_records_only_requests_made_inside() -> None:
    send()
    with EcoLogits.track() as t:
        send(output=10)
        send(output=20)
    send()
    assert [r.basis.output_tokens for r in t.requests] == [10, 20]
    assert len(t) == 2


def test_total_sums_low_and_high_bounds_separately() -> None:
    with EcoLogits.track() as t:
        send(output=100)
        send(model="gpt-4o", output=300)
    a = tokenprint.estimate("gpt-4o-mini", 100, 50)
    b = tokenprint.estimate("gpt-4o", 300, 50)
    total = t.total
    for name in ("energy", "gwp", "adpe", "pe", "wcf"):
        got, x, y = total.criterion(name), a.criterion(name), b.criterion(name)
        assert got is not None and x is not None and y is not None
        assert got.min == pytest.approx(x.min + y.min)
        assert got.max == pytest.approx(x.max + y.max)
        assert got.min < got.max
    assert total.basis.requests == 2


def test_a_tracked_run_has_its_sci_per_run_request_and_token() -> None:
    with EcoLogits.track() as run:
        send(output=100, inp=50)
        send(model="gpt-4o", output=300, inp=50)
        send(model="no-such-model-xyz", output=10, inp=10)  # unestimated: not in the SCI
    sci = run.total.sci
    gwp = run.total.gwp
    assert sci is not None and gwp is not None
    assert (sci.requests, sci.tokens) == (2, 500)
    assert sci.total.central == pytest.approx(gwp.central * 1000)  # per run, in g
    assert sci.per_request is not None and sci.per_token is not None
    assert sci.per_request.central == pytest.approx(gwp.central * 1000 / 2)
    assert sci.per_token.central == pytest.approx(gwp.central * 1000 / 500)


def test_by_model_groups_by_catalogue_name() -> None:
    with EcoLogits.track() as t:
        send(model="gpt-4o-mini")
        send(model="gpt-4o")
        send(model="gpt-4o-mini")
    groups = t.by_model()
    assert set(groups) == {"gpt-4o-mini", "gpt-4o"}
    assert groups["gpt-4o-mini"].basis.requests == 2
    assert groups["gpt-4o"].basis.requests == 1


def test_requests_keep_basis_impacts_and_labels() -> None:
    with EcoLogits.track() as t:
        send(output=42, task="summarise")
    (r,) = t.requests
    assert r.basis.model_resolved == "gpt-4o-mini"
    assert r.basis.output_tokens == 42
    assert r.impacts.gwp is not None
    assert r.labels == {"task": "summarise"}
    assert r.timestamp > 0


def test_nested_trackers_outer_sees_inner_requests() -> None:
    with EcoLogits.track() as outer:
        send(output=1)
        with EcoLogits.track() as inner:
            send(output=2)
        send(output=3)
    assert [r.basis.output_tokens for r in outer.requests] == [1, 2, 3]
    assert [r.basis.output_tokens for r in inner.requests] == [2]


def test_same_tracker_entered_twice_counts_a_request_once() -> None:
    t = Tracker()
    with t:
        send()
        with Tracker() as middle, t:
            send()
    assert len(t) == 2
    assert len(middle) == 1


def test_decorated_functions_accumulate_in_one_tracker() -> None:
    t = EcoLogits.track(name="calls")

    @t
    def call() -> None:
        send()

    @t
    async def acall() -> None:
        send()

    call()
    call()
    asyncio.run(acall())
    send()  # outside any call
    assert len(t) == 3


async def test_async_with_tracks_inside_a_coroutine() -> None:
    async with EcoLogits.track() as t:
        send()
        await asyncio.sleep(0)
        send()
    assert len(t) == 2


async def test_two_asyncio_tasks_see_only_their_own_requests() -> None:
    async def worker(model: str, n: int) -> Tracker:
        async with EcoLogits.track() as t:
            for _ in range(n):
                send(model=model)
                await asyncio.sleep(0)  # let the other task run in between
        return t

    a, b = await asyncio.gather(worker("gpt-4o-mini", 3), worker("gpt-4o", 2))
    assert [r.basis.model for r in a.requests] == ["gpt-4o-mini"] * 3
    assert [r.basis.model for r in b.requests] == ["gpt-4o"] * 2


def test_two_threads_see_only_their_own_requests() -> None:
    barrier = threading.Barrier(2)
    results: dict[str, Tracker] = {}
    errors: list[BaseException] = []

    def worker(model: str, n: int) -> None:
        try:
            with EcoLogits.track() as t:
                barrier.wait()  # both trackers open at the same time
                for _ in range(n):
                    send(model=model)
                barrier.wait()
            results[model] = t
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
    assert [r.basis.model for r in results["gpt-4o-mini"].requests] == ["gpt-4o-mini"] * 3
    assert [r.basis.model for r in results["gpt-4o"].requests] == ["gpt-4o"] * 2


def test_a_new_thread_does_not_report_to_the_parents_tracker() -> None:
    with EcoLogits.track() as t:
        th = threading.Thread(target=send)
        th.start()
        th.join()
    assert len(t) == 0


def test_failed_estimates_are_recorded_with_their_error_and_no_values() -> None:
    with EcoLogits.track() as t:
        send(model="no-such-model-xyz")
        send()
    assert len(t) == 2
    total = t.total
    assert [e.code for e in total.errors] == ["model-not-registered"]
    single = tokenprint.estimate("gpt-4o-mini", 100, 50).gwp
    assert total.gwp is not None and single is not None
    assert total.gwp.max == pytest.approx(single.max)


def test_to_json_reports_total_models_and_requests(tmp_path: object) -> None:
    with EcoLogits.track(name="run") as t:
        send(output=10, task="a")
        send(model="gpt-4o", output=20)
    path = str(tmp_path) + "/report.json"
    text = t.to_json(path)
    data = json.loads(text)
    with open(path, encoding="utf-8") as f:
        assert json.load(f) == data
    assert data["format"] == "tokenprint-report"
    assert data["name"] == "run"
    assert data["total"]["basis"]["requests"] == 2
    total_gwp = t.total.gwp
    assert total_gwp is not None
    assert data["total"]["gwp"]["value"]["max"] == pytest.approx(total_gwp.max)
    assert set(data["by_model"]) == {"gpt-4o-mini", "gpt-4o"}
    first = data["requests"][0]
    assert first["labels"] == {"task": "a"}
    assert first["basis"]["output_tokens"] == 10
    assert "basis" not in first["impacts"]


def test_to_csv_has_one_row_per_request_with_min_and_max() -> None:
    with EcoLogits.track() as t:
        send(output=10, task="a")
        send(model="no-such-model-xyz")
    rows = list(csv.DictReader(io.StringIO(t.to_csv())))
    assert len(rows) == 2
    gwp = t.requests[0].impacts.gwp
    assert gwp is not None
    assert float(rows[0]["gwp_min_kgCO2eq"]) == pytest.approx(gwp.min)
    assert float(rows[0]["gwp_max_kgCO2eq"]) == pytest.approx(gwp.max)
    assert json.loads(rows[0]["labels"]) == {"task": "a"}
    assert rows[1]["gwp_max_kgCO2eq"] == ""
    assert rows[1]["errors"] == "model-not-registered"


def test_empty_tracker_totals_zero() -> None:
    with EcoLogits.track() as t:
        pass
    assert t.total.basis.requests == 0
    gwp = t.total.gwp
    assert gwp is not None and gwp.max == 0.0
    assert t.by_model() == {}


def test_tracker_name_must_be_a_string() -> None:
    with pytest.raises(InvalidTypeError):
        Tracker(name=3)  # type: ignore[arg-type]


def test_unestimated_requests_are_counted_apart_never_as_zero() -> None:
    with Tracker() as t:
        send()
        send(model="no-such-model-xyz")
    assert [r.usage.model for r in t.unestimated] == ["no-such-model-xyz"]
    assert [e.code for e in t.total.errors] == ["model-not-registered"]
    assert t.to_dict()["unestimated"] == 1
