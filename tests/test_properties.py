"""Properties of estimate() over the whole catalogue: signs, bounds, monotonicity."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tokenprint import Impacts, estimate, register_model
from tokenprint.catalog.datacenters import all_datacenters
from tokenprint.catalog.grids import all_zones
from tokenprint.catalog.models import all_models
from tokenprint.impacts.ranges import Range

MODELS = sorted({m.name for m in all_models() if m.modality == "text"})
ZONES = [z.zone for z in all_zones()]
PROVIDERS = [None, *sorted(d.profile.name for d in all_datacenters())]

tokens = st.integers(min_value=0, max_value=200_000)
latency = st.none() | st.floats(min_value=0.0, max_value=600.0)


def _vectors(i: Impacts) -> tuple[tuple[float, ...], tuple[float, ...]]:
    v = i.vectors
    assert v is not None, i.errors
    return v


def _le(a: Impacts, b: Impacts) -> None:
    """Every bound of ``a`` is at most the same bound of ``b``."""
    (alo, ahi), (blo, bhi) = _vectors(a), _vectors(b)
    for x, y in zip(alo + ahi, blo + bhi, strict=True):
        assert x <= y * (1 + 1e-12) + 1e-300


@settings(max_examples=200, deadline=None)
@given(
    model=st.sampled_from(MODELS),
    output_tokens=tokens,
    input_tokens=tokens,
    cached_share=st.floats(0.0, 1.0),
    reasoning=st.integers(0, 50_000),
    zone=st.none() | st.sampled_from(ZONES),
    provider=st.sampled_from(PROVIDERS),
    latency=latency,
)
def test_every_output_is_finite_non_negative_and_ordered(
    model: str,
    output_tokens: int,
    input_tokens: int,
    cached_share: float,
    reasoning: int,
    zone: str | None,
    provider: str | None,
    latency: float | None,
) -> None:
    i = estimate(
        model,
        output_tokens=output_tokens,
        input_tokens=input_tokens,
        cached_tokens=int(input_tokens * cached_share),
        reasoning_tokens=reasoning,
        zone=zone,
        provider=provider,
        latency=latency,
    )
    assert i.errors == []
    low, high = _vectors(i)
    for a, b in zip(low, high, strict=True):
        assert math.isfinite(a) and math.isfinite(b)
        assert 0.0 <= a <= b
    for crit in (i.energy, i.gwp, i.adpe, i.pe, i.wcf):
        assert crit is not None
        v = crit.value
        if isinstance(v, Range):
            assert v.min <= v.mean <= v.max


@settings(max_examples=150, deadline=None)
@given(model=st.sampled_from(MODELS), a=tokens, b=tokens, inputs=tokens, latency=latency)
def test_more_output_tokens_never_lower_any_bound(
    model: str, a: int, b: int, inputs: int, latency: float | None
) -> None:
    few, many = sorted((a, b))
    _le(
        estimate(model, output_tokens=few, input_tokens=inputs, latency=latency),
        estimate(model, output_tokens=many, input_tokens=inputs, latency=latency),
    )


@settings(max_examples=150, deadline=None)
@given(model=st.sampled_from(MODELS), a=tokens, b=tokens, output=tokens, latency=latency)
def test_more_input_tokens_never_lower_any_bound(
    model: str, a: int, b: int, output: int, latency: float | None
) -> None:
    few, many = sorted((a, b))
    _le(
        estimate(model, output_tokens=output, input_tokens=few, latency=latency),
        estimate(model, output_tokens=output, input_tokens=many, latency=latency),
    )


@settings(max_examples=100, deadline=None)
@given(model=st.sampled_from(MODELS), inputs=tokens, a=st.floats(0, 1), b=st.floats(0, 1))
def test_more_cached_tokens_never_raise_any_bound(
    model: str, inputs: int, a: float, b: float
) -> None:
    few, many = sorted((int(inputs * a), int(inputs * b)))
    _le(
        estimate(model, output_tokens=100, input_tokens=inputs, cached_tokens=many),
        estimate(model, output_tokens=100, input_tokens=inputs, cached_tokens=few),
    )


params = st.floats(min_value=0.1, max_value=3000.0)


@settings(max_examples=150, deadline=None)
@given(
    total=st.tuples(params, params),
    active_share=st.tuples(st.floats(0.01, 1.0), st.floats(0.01, 1.0)),
    output=tokens,
    inputs=tokens,
)
def test_more_parameters_never_lower_any_bound(
    total: tuple[float, float], active_share: tuple[float, float], output: int, inputs: int
) -> None:
    small_total, big_total = sorted(total)
    small_share, big_share = sorted(active_share)
    register_model("prop-model", total_params=small_total, active_params=small_total * small_share)
    small = estimate("prop-model", output_tokens=output, input_tokens=inputs)
    register_model("prop-model", total_params=big_total, active_params=big_total * big_share)
    big = estimate("prop-model", output_tokens=output, input_tokens=inputs)
    _le(small, big)


@settings(max_examples=100, deadline=None)
@given(lo_=params, width=st.floats(0.0, 1000.0), output=tokens)
def test_a_parameter_range_contains_its_end_points(lo_: float, width: float, output: int) -> None:
    register_model("prop-range", total_params=Range(lo_, lo_ + width))
    ranged = _vectors(estimate("prop-range", output_tokens=output))
    register_model("prop-range", total_params=lo_)
    at_low = _vectors(estimate("prop-range", output_tokens=output))
    register_model("prop-range", total_params=lo_ + width)
    at_high = _vectors(estimate("prop-range", output_tokens=output))
    assert ranged[0] == at_low[0]
    assert ranged[1] == at_high[1]
