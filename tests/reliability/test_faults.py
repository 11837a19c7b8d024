"""Fault injection: tokenprint must never be the reason a request fails.

For every adapter in place and every call shape (sync, async, stream, async stream,
helpers, media), each internal step is made to fail in turn (usage extraction, stream
accumulation, the before-send estimate, catalogue lookup, impact computation, the impact
model, attaching, exporters, trackers, budgets). The user must still get the SDK's own,
complete result and every chunk in order, and tokenprint logs exactly one line. SDK errors
(HTTP 400/500, timeouts, a connection reset mid-stream) must reach the user unchanged, and a
stream cut mid-way is still accounted.

The calls run in a subprocess (``tests/support/fault_runner.py``) with
``TOKENPRINT_STRICT=0``: under pytest our internal errors raise on purpose, so only a separate
process shows the production behaviour. One process per provider runs the whole matrix; the
tests below read its report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import fault_runner, sdk_matrix

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[2]
"""The checkout: the subprocesses import ``tests.support`` from it."""
PROVIDERS = sdk_matrix.available()
SHAPES = [(p, s) for p in PROVIDERS for s in sdk_matrix.PROVIDERS[p].covered().values()]
Row = dict[str, Any]
_procs: dict[str, subprocess.Popen[str]] = {}
_reports: dict[str, dict[tuple[str, str, str | None], Row]] = {}


def _start_all() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["TOKENPRINT_STRICT"] = "0"
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    for name in PROVIDERS:
        if name not in _procs:
            _procs[name] = subprocess.Popen(
                [sys.executable, "-m", "tests.support.fault_runner", name],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )


def report(provider: str) -> dict[tuple[str, str, str | None], Row]:
    """The runner's rows for one provider, by (shape, mode, fault); all providers' runners
    start together on first use (they are mostly waiting on imports)."""
    if provider not in _reports:
        _start_all()
        out, err = _procs[provider].communicate(timeout=540)
        assert _procs[provider].returncode == 0, err[-4000:]
        mark = fault_runner.MARK
        rows = [json.loads(line[len(mark) :]) for line in out.splitlines() if line.startswith(mark)]
        _reports[provider] = {(r["shape"], r["mode"], r["fault"]): r for r in rows}
    return _reports[provider]


def _ref(provider: str, shape: str, mode: str = "ok") -> Any:
    return report(provider)[(shape, mode, None)]["ref"]


def _cells() -> list[Any]:
    out = []
    for p, s in SHAPES:
        for fault in fault_runner.FAULTS:
            if not fault_runner.applies(sdk_matrix.PROVIDERS[p], s, fault):
                continue
            out.append(pytest.param(p, s.name, fault, id=f"{p}-{s.name}-{fault}"))
    return out


def _shapes(stream_only: bool = False) -> list[Any]:
    return [
        pytest.param(p, s.name, id=f"{p}-{s.name}")
        for p, s in SHAPES
        if s.stream or not stream_only
    ]


def test_every_adapter_in_place_has_fault_scenarios() -> None:
    assert sdk_matrix.adapters_without_scenarios() == []


def test_every_provider_with_an_adapter_is_in_the_matrix() -> None:
    from tokenprint.instrument import SDKS

    with_adapter = [
        name
        for name, sdk in SDKS.items()
        if sdk_matrix._installed(sdk.module) and any(sdk_matrix._installed(a) for a in sdk.adapters)
    ]
    assert sorted(PROVIDERS) == sorted(with_adapter)
    assert len(SHAPES) >= len(PROVIDERS) * 4


@pytest.mark.parametrize(("provider", "shape"), _shapes())
def test_instrumented_call_returns_the_same_result_and_is_counted_once(
    provider: str, shape: str
) -> None:
    row = report(provider)[(shape, "ok", None)]
    assert row["ref"]["error"] is None, row["ref"]["error"]
    assert row["outcome"] == row["ref"]
    assert row["log"] == []
    assert len(row["tracked"]) == 1
    assert row["impacts"] in ([], None)  # None: a result that cannot take an attribute


@pytest.mark.parametrize(("provider", "shape", "fault"), _cells())
def test_internal_failure_returns_the_sdk_result_and_logs_one_line(
    provider: str, shape: str, fault: str
) -> None:
    row = report(provider)[(shape, "ok", fault)]
    clean = report(provider)[(shape, "ok", None)]
    assert row["hits"] >= 1, f"the {fault} fault was never reached"
    assert row["outcome"] == _ref(provider, shape), row["outcome"]["error"]
    # one line; two when the step also failed for a nested call collected by the outer one
    nested = [line for line in row["log"] if "(nested)" in line]
    assert len(row["log"]) - len(nested) == 1 and len(nested) <= 1, row["log"]
    assert all(line.startswith("tokenprint: internal error in ") for line in row["log"])
    if clean["impacts"] is None:
        return  # the result cannot carry impacts (a numpy array)
    if fault in fault_runner.IMPACTS_FAILED:
        assert row["impacts"] == ["instrumentation-error"]
    elif fault == "attach":
        assert row["impacts"] is None
    elif fault != "accumulate":
        assert row["impacts"] == clean["impacts"] == []


@pytest.mark.parametrize("mode", ["http_400", "http_500", "timeout"])
@pytest.mark.parametrize(("provider", "shape"), _shapes())
def test_sdk_error_propagates_unchanged_and_nothing_is_counted(
    provider: str, shape: str, mode: str
) -> None:
    row = report(provider)[(shape, mode, None)]
    assert row["ref"]["error"] is not None
    assert row["outcome"] == row["ref"]  # same exception type and message, same chunks
    assert row["tracked"] == []
    assert row["log"] == []


@pytest.mark.parametrize(("provider", "shape"), _shapes(stream_only=True))
def test_stream_cut_midway_propagates_the_error_and_accounts_what_was_generated(
    provider: str, shape: str
) -> None:
    row = report(provider)[(shape, "cut", None)]
    ref = row["ref"]
    assert ref["error"] is not None and ref["chunks"], "the mock did not cut mid-stream"
    assert row["outcome"] == ref
    assert row["log"] == []
    [(input_tokens, output_tokens)] = row["tracked"]
    assert input_tokens > 0 and output_tokens > 0


def test_cohere_client_built_before_init_is_instrumented() -> None:
    # cohere's Client.__init__ binds self.chat per instance; the adapter reaches such a client
    # through its raw client (non-streamed chat; streams of such a client stay unaccounted)
    from tokenprint import EcoLogits

    provider = sdk_matrix.PROVIDERS["cohere"]
    shape = provider.shapes["sync"]
    client = provider.client_for(provider.wire(shape), aio=False)  # built first
    EcoLogits.init(providers=["cohere"])
    with EcoLogits.track() as tracker:
        shape.run(client, [])
    assert len(tracker) == 1


_INIT_FIRST = """
import json, sys
sys.path.insert(0, sys.argv[1])
from tokenprint import EcoLogits
EcoLogits.init()  # before any SDK is imported, as an application does at start-up
from tests.support import sdk_matrix
counts = {}
for name in sys.argv[2:]:
    provider = sdk_matrix.PROVIDERS[name]
    with EcoLogits.track() as tracker:
        out = sdk_matrix.run_shape(provider, provider.shapes["sync"])
    counts[name] = [out.error, len(tracker)]
print(fault_mark + json.dumps(counts))
"""


def test_init_before_the_sdks_are_imported_instruments_every_adapter() -> None:
    """``init()`` first, imports later (a namespace package such as mistralai 3.x gets no
    post-import hook of its own from wrapt)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    code = _INIT_FIRST.replace("fault_mark", repr(fault_runner.MARK))
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), *PROVIDERS],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [line] = [ln for ln in done.stdout.splitlines() if ln.startswith(fault_runner.MARK)]
    counts = json.loads(line[len(fault_runner.MARK) :])
    assert counts == {name: [None, 1] for name in PROVIDERS}
