"""Hostile and odd input: answers whose usage is missing, null, zero, negative, float or
huge; unknown, empty and very long model names; non-ASCII labels; a malformed custom
models file. Real SDK clients on a mock transport, in pytest's strict mode (our internal
errors raise): the user gets the SDK's own result, impacts are sane or carry an error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import sdk_matrix
from tokenprint import EcoLogits, TokenprintError, estimate
from tokenprint.impacts.results import Impacts

pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")

USAGE_KEYS = frozenset(
    {"usage", "usageMetadata", "usage_metadata", "meta", "prompt_eval_count", "eval_count"}
)


def _drop_usage(null: bool) -> Callable[[bytes], bytes]:
    """Edit: the usage object removed (or set to null) wherever it appears."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (None if k in USAGE_KEYS else walk(v))
                for k, v in node.items()
                if null or k not in USAGE_KEYS
            }
        if isinstance(node, list):
            return [walk(x) for x in node]
        return node

    return lambda body: sdk_matrix.edit_body(body, walk)


def _counts(value: Any) -> Callable[[bytes], bytes]:
    return lambda body: sdk_matrix.edit_tokens(body, lambda key: value)


CASES: dict[str, Callable[[bytes], bytes]] = {
    "usage_missing": _drop_usage(null=False),
    "usage_null": _drop_usage(null=True),
    "counts_zero": _counts(0),
    "counts_negative": _counts(-7),
    "counts_float": _counts(12.75),
    "counts_huge": _counts(10**15),
    "counts_huger_than_a_float": _counts(10**400),
}


def _shapes() -> list[Any]:
    return [
        pytest.param(p, s.name, case, id=f"{p}-{s.name}-{case}")
        for p in sdk_matrix.available()
        for s in sdk_matrix.PROVIDERS[p].covered().values()
        if s.name in ("sync", "stream")
        for case in CASES
    ]


def check_impacts(impacts: Impacts) -> None:
    vectors = impacts.vectors
    if vectors is None:
        assert impacts.errors
        return
    for lo, hi in zip(*vectors, strict=True):
        assert math.isfinite(lo) and math.isfinite(hi) and 0.0 <= lo <= hi, vectors


@pytest.fixture
def _restore() -> Iterator[None]:
    yield
    sdk_matrix.restore_globals()


@pytest.mark.usefixtures("_restore")
@pytest.mark.parametrize(("provider_name", "shape_name", "case"), _shapes())
def test_odd_usage_gives_the_sdk_result_and_sane_impacts(
    provider_name: str, shape_name: str, case: str
) -> None:
    provider = sdk_matrix.PROVIDERS[provider_name]
    shape = provider.shapes[shape_name]
    ref = sdk_matrix.run_shape(provider, shape, edit=CASES[case])
    EcoLogits.init()
    with EcoLogits.track() as tracker:
        out = sdk_matrix.run_shape(provider, shape, edit=CASES[case])
    # the SDK's own result, or its own exception (LiteLLM's messages carry timings)
    assert (out.result, out.chunks) == (ref.result, ref.chunks)
    assert (out.error and out.error[0]) == (ref.error and ref.error[0])
    if ref.error is not None:
        assert tracker.requests == [] or shape.stream
        return
    [request] = tracker.requests
    u = request.usage
    for n in (u.input_tokens, u.output_tokens, u.cached_tokens, u.reasoning_tokens):
        assert type(n) is int and n >= 0, u
    check_impacts(request.impacts)
    if out.impacts is not None:
        check_impacts(out.impacts)
    if case == "counts_negative":
        assert "usage-invalid" in {w.code for w in request.impacts.warnings}


# -- model names -----------------------------------------------------------------------------
NAMES = {
    "unknown": "acme-llm-9000",
    "empty": "",
    "very_long": "x" * 10_000,
    "non_ascii": "模型-ünïcødé-🚀",
    "whitespace": "   ",
}


def _with_model(name: str) -> Callable[[bytes], bytes]:
    def edit(body: bytes) -> bytes:
        data = json.loads(body)
        data["model"] = name
        return json.dumps(data).encode()

    return edit


@pytest.mark.parametrize("name", list(NAMES.values()), ids=list(NAMES))
def test_odd_model_name_answered_gives_an_error_in_impacts_not_an_exception(name: str) -> None:
    provider = sdk_matrix.PROVIDERS["openai"]
    wire = provider.wire(provider.shapes["sync"])
    wire.answers = {p: (s, h, _with_model(name)(b)) for p, (s, h, b) in wire.answers.items()}
    EcoLogits.init(providers=["openai"])
    client: Any = provider.client_for(wire, aio=False)
    resp = client.chat.completions.create(model=name, messages=[{"role": "user", "content": "hi"}])
    assert resp.model == name
    check_impacts(resp.impacts)
    assert [e.code for e in resp.impacts.errors] == ["model-not-registered"]


@pytest.mark.parametrize("name", list(NAMES.values()), ids=list(NAMES))
def test_odd_model_name_in_estimate_raises_a_tokenprint_error_or_returns_an_error(
    name: str,
) -> None:
    try:
        impacts = estimate(name, 100, 10)
    except TokenprintError as exc:
        assert str(exc)
        return
    assert impacts.errors


# -- labels ----------------------------------------------------------------------------------
def test_non_ascii_labels_reach_the_record_the_exporter_and_the_tracker_report(
    tmp_path: Path,
) -> None:
    out = tmp_path / "requests.jsonl"
    provider = sdk_matrix.PROVIDERS["openai"]
    shape = provider.shapes["sync"]
    EcoLogits.init(providers=["openai"], labels={"équipe": "R&D ☕"}, exporters=[f"jsonl:{out}"])
    with EcoLogits.label(用户="测试", emoji="🚀" * 100), EcoLogits.track() as tracker:
        result = sdk_matrix.run_shape(provider, shape)
    assert result.error is None
    [request] = tracker.requests
    assert dict(request.labels) == {"équipe": "R&D ☕", "用户": "测试", "emoji": "🚀" * 100}
    EcoLogits.shutdown()  # flushes the exporter
    [line] = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["labels"]["用户"] == "测试"
    report = json.loads(tracker.to_json())
    assert report["requests"][0]["labels"]["用户"] == "测试"
    assert tracker.to_csv().count("\n") == 2


# -- custom models file ----------------------------------------------------------------------
HEADER = (
    "provider,name,aliases,architecture,total_params_min,total_params_max,active_params_min,"
    "active_params_max,precision_bits,release_date,modality,estimated,sources,notes\n"
)
MALFORMED = {
    "not_a_number": HEADER + "acme,acme-1,,dense,seven,7,,,16,2025-01-01,text,false,,\n",
    "negative_size": HEADER + "acme,acme-1,,dense,-7,-7,,,16,2025-01-01,text,false,,\n",
    "min_above_max": HEADER + "acme,acme-1,,dense,70,7,,,16,2025-01-01,text,false,,\n",
    "missing_columns": "provider,name\nacme,acme-1\n",
    "not_csv": "\x00\x01\x02 binary garbage \xff",
    "empty_name": HEADER + "acme,,,dense,7,7,,,16,2025-01-01,text,false,,\n",
}


@pytest.mark.parametrize("content", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_models_file_is_refused_at_init_and_calls_still_work(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "models.csv"
    path.write_text(content, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(TokenprintError) as err:
        EcoLogits.init(providers=["openai"], models_file=str(path))
    assert "models.csv" in str(err.value)
    from tokenprint.catalog import models

    assert models.resolve("acme-1").record is None  # nothing half-registered
    provider = sdk_matrix.PROVIDERS["openai"]
    out = sdk_matrix.run_shape(provider, provider.shapes["sync"])
    assert out.error is None
