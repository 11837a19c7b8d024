"""Properties over generated input: the public estimate() and every adapter's extractors.

* ``estimate()`` with any model name, any token counts and latencies either returns impacts
  (finite, non-negative, low <= high) or raises one of tokenprint's documented errors.
* Each adapter, fed answers whose token counts are generated (missing, None, zero,
  negative, float, NaN, infinite, huge, strings, booleans) through the real SDK client on a
  mock transport, in pytest's strict mode (our internal errors raise): nothing escapes that
  the SDK does not raise itself, recorded token counts are non-negative ints, and impacts
  are finite, non-negative and ordered (or carry an error).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import sdk_matrix
from tokenprint import EcoLogits, TokenprintError, estimate
from tokenprint.impacts.results import Impacts

HOSTILE_COUNT = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=0, max_value=10**18),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.text(max_size=4),
    st.just(sdk_matrix.DROP),
)
MODEL_NAMES = st.one_of(
    st.sampled_from(["gpt-4o-mini", "claude-3-5-sonnet-latest", "mistral-large-2407", ""]),
    st.text(max_size=40),
    st.text(min_size=500, max_size=3000),
)


def check_impacts(impacts: Impacts) -> None:
    """Finite, non-negative, low <= high; or an error and no values."""
    assert isinstance(impacts, Impacts)
    vectors = impacts.vectors
    if vectors is None:
        assert impacts.errors, "impacts without values must say why"
        return
    low, high = vectors
    for lo, hi in zip(low, high, strict=True):
        assert math.isfinite(lo) and math.isfinite(hi), (low, high)
        assert 0.0 <= lo <= hi, (low, high)


# -- estimate() ------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(
    model=MODEL_NAMES,
    output_tokens=st.integers(min_value=-5, max_value=10**12),
    input_tokens=st.integers(min_value=-5, max_value=10**12),
    cached_tokens=st.integers(min_value=0, max_value=10**12),
    reasoning_tokens=st.integers(min_value=0, max_value=10**9),
    latency=st.none() | st.floats(allow_nan=True, allow_infinity=True),
)
def test_estimate_returns_sane_impacts_or_a_tokenprint_error(
    model: str,
    output_tokens: int,
    input_tokens: int,
    cached_tokens: int,
    reasoning_tokens: int,
    latency: float | None,
) -> None:
    try:
        impacts = estimate(
            model,
            output_tokens,
            input_tokens,
            cached_tokens=cached_tokens,
            reasoning_tokens=reasoning_tokens,
            latency=latency,
        )
    except TokenprintError:
        return
    check_impacts(impacts)


@settings(max_examples=60, deadline=None)
@given(
    output_tokens=st.one_of(st.floats(), st.text(max_size=3), st.none(), st.booleans()),
    model=st.one_of(st.none(), st.integers(), st.binary(max_size=4)),
)
def test_estimate_refuses_wrong_types_with_a_tokenprint_error(
    output_tokens: Any, model: Any
) -> None:
    with pytest.raises(TokenprintError):
        estimate(model, output_tokens)


# -- adapter extractors on generated answers -------------------------------------------------
def _shapes() -> list[Any]:
    out = []
    for name in sdk_matrix.available():
        provider = sdk_matrix.PROVIDERS[name]
        for shape in provider.covered().values():
            if shape.name in ("sync", "stream", "embeddings", "embed"):
                out.append(pytest.param(name, shape.name, id=f"{name}-{shape.name}"))
    return out


@pytest.fixture
def instrumented() -> Iterator[None]:
    EcoLogits.init()
    yield
    sdk_matrix.restore_globals()


def _call(shape: sdk_matrix.Shape, client: Any) -> Any:
    if shape.aio:
        return asyncio.run(shape.run(client, []))
    return shape.run(client, [])


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@pytest.mark.usefixtures("instrumented")
@pytest.mark.parametrize(("provider_name", "shape_name"), _shapes())
def test_adapter_fed_hostile_token_counts_never_breaks_the_call(
    provider_name: str, shape_name: str
) -> None:
    provider = sdk_matrix.PROVIDERS[provider_name]
    shape = provider.shapes[shape_name]
    wire = provider.wire(shape)
    answers = dict(wire.answers)
    client = provider.client_for(wire, shape.aio)  # one client; each example edits the wire

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        wire.answers = {
            path: (
                status,
                headers,
                sdk_matrix.edit_tokens(body, lambda k: data.draw(HOSTILE_COUNT)),
            )
            for path, (status, headers, body) in answers.items()
        }
        with EcoLogits.track() as tracker:
            try:
                _call(shape, client)
            except Exception as exc:
                # acceptable only when the SDK itself refuses the answer, uninstrumented
                EcoLogits.shutdown()
                try:
                    with pytest.raises(type(exc)):
                        _call(shape, client)
                finally:
                    EcoLogits.init()
                return
        for request in tracker.requests:
            u = request.usage
            for n in (u.input_tokens, u.output_tokens, u.cached_tokens, u.reasoning_tokens):
                assert type(n) is int and n >= 0, u
            check_impacts(request.impacts)

    run()
