"""Impacts computed on first read equal those computed at the call, for every adapter.

Without a tracker, budget or exporter, a response's impacts are computed when first read,
and the chat adapters also build the Usage only then (``Target.usage`` handing back a
builder). With a tracker they are computed at the call. Every complete-answer shape of every
adapter, through the real SDK client on the mock transport, must give the same numbers both
ways.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import fault_runner, sdk_matrix
from tokenprint import EcoLogits
from tokenprint.instrument import contract


def _shapes() -> list[Any]:
    return [
        pytest.param(p, s.name, id=f"{p}-{s.name}")
        for p in sdk_matrix.available()
        for s in sdk_matrix.PROVIDERS[p].covered().values()
        if not s.stream
    ]


_LATENCY = {"ollama": 1.8439205, "ollama-embed": 0.0482134}
"""Latencies a server measures and reports (Ollama's ``total_duration``), not our clock."""


@pytest.fixture(autouse=True)
def _one_second_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    ticks = itertools.count()
    monkeypatch.setattr(contract, "_clock", lambda: float(next(ticks)))  # every latency: 1 s
    yield
    sdk_matrix.restore_globals()


@pytest.mark.parametrize(("provider_name", "shape_name"), _shapes())
def test_impacts_read_later_equal_impacts_computed_at_the_call(
    provider_name: str, shape_name: str, computes: list[int]
) -> None:
    provider = sdk_matrix.PROVIDERS[provider_name]
    shape = provider.shapes[shape_name]
    EcoLogits.init(providers=[provider_name])
    with EcoLogits.track() as tracker:
        eager = sdk_matrix.run_shape(provider, shape)
    assert len(tracker.requests) == 1 and computes == [1]
    lazy = sdk_matrix.run_shape(provider, shape)  # its snapshot reads the impacts
    assert lazy.error is None and eager.error is None
    if eager.impacts is None:
        assert lazy.impacts is None  # a result that cannot carry impacts (a numpy array)
        return
    assert lazy.impacts.to_dict() == eager.impacts.to_dict()
    assert lazy.impacts.basis.latency_s == _LATENCY.get(
        f"{provider_name}-{shape_name}", _LATENCY.get(provider_name, 1.0)
    )
    assert computes == [1, 1]


@pytest.mark.parametrize("provider_name", sdk_matrix.available())
def test_a_chat_answer_reporting_its_usage_keeps_only_a_builder_at_the_call(
    provider_name: str,
) -> None:
    """The per-call saving the builders exist for: the Usage of a plain chat answer is not
    built at the call (for google-genai, nor that of its nested per-HTTP-call hop)."""
    returned: list[Any] = []

    def recording(target: contract.Target) -> contract.Target:
        usage = target.usage
        assert usage is not None

        def record(call: contract.Call, result: Any) -> Any:
            out = usage(call, result)
            returned.append(out)
            return out

        return target._replace(usage=record)

    def change(target: contract.Target) -> contract.Target:
        return recording(target) if target.usage is not None else target

    with fault_runner._targets(provider_name, change):  # the adapter's targets, restored after
        EcoLogits.init(providers=[provider_name])
        provider = sdk_matrix.PROVIDERS[provider_name]
        out = sdk_matrix.run_shape(provider, provider.shapes["sync"])
    assert out.error is None
    assert returned, "the adapter's usage function was never called"
    assert all(isinstance(r, functools.partial) for r in returned), returned
