"""Properties of estimate() over the whole catalogue: signs, bounds, monotonicity."""

from __future__ import annotations

import math

import pytest
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
        # the best estimate lies within its 5-95 % interval
        assert crit.min * (1 - 1e-12) <= crit.central <= crit.max * (1 + 1e-12)


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
# The serving setup (accelerators per replica, batch) is derived from the model's size, so a
# bigger model may land on a bigger replica that batches more sequences and costs less per
# token. Size alone orders the impacts only on a fixed setup, which these tests state.


def _fixed(model: str, output: int, inputs: int = 0) -> Impacts:
    """An estimate on 8 H100s per replica decoding 32 sequences together, in BF16."""
    i = estimate(
        model,
        output_tokens=output,
        input_tokens=inputs,
        accelerator="H100",
        accelerator_count=8,
        batch_size=32.0,
        precision="bf16",
    )
    b = i.basis
    assert (b.hardware, b.accelerator_count, b.batch_size, b.precision) == ("H100", 8, 32.0, "bf16")
    return i


@settings(max_examples=150, deadline=None)
@given(
    total=st.tuples(params, params),
    active_share=st.tuples(st.floats(0.01, 1.0), st.floats(0.01, 1.0)),
    output=tokens,
    inputs=tokens,
)
def test_more_parameters_never_lower_any_bound_on_a_fixed_setup(
    total: tuple[float, float], active_share: tuple[float, float], output: int, inputs: int
) -> None:
    small_total, big_total = sorted(total)
    small_share, big_share = sorted(active_share)
    register_model("prop-model", total_params=small_total, active_params=small_total * small_share)
    small = _fixed("prop-model", output, inputs)
    register_model("prop-model", total_params=big_total, active_params=big_total * big_share)
    big = _fixed("prop-model", output, inputs)
    _le(small, big)
    assert small.energy is not None and big.energy is not None
    assert small.energy.central <= big.energy.central * (1 + 1e-12)


def _central(i: Impacts) -> tuple[float, ...]:
    c = i.central_vector
    assert c is not None, i.errors
    return c


@settings(max_examples=100, deadline=None)
@given(lo_=params, width=st.floats(0.0, 1000.0), output=st.integers(1, 200_000))
def test_a_parameter_range_is_centred_on_its_geometric_mean(
    lo_: float, width: float, output: int
) -> None:
    # A parameter Range is the 5-95 % interval of a log-normal: the best estimate is computed
    # at the geometric mean of its ends, and sampling spreads the interval around it.
    hi_ = lo_ + width
    register_model("prop-range", total_params=Range(lo_, hi_))
    ranged = estimate("prop-range", output_tokens=output)
    register_model("prop-range", total_params=math.sqrt(lo_ * hi_))
    at_centre = estimate("prop-range", output_tokens=output)
    assert _central(ranged) == pytest.approx(_central(at_centre), rel=1e-9)
    low, high = _vectors(ranged)
    for a, c, b in zip(low, _central(ranged), high, strict=True):
        assert a <= c * (1 + 1e-12) and c <= b * (1 + 1e-12)


@settings(max_examples=100, deadline=None)
@given(lo_=params, width=st.floats(0.0, 1000.0), output=st.integers(1, 200_000))
def test_a_parameter_range_is_centred_between_its_end_points_on_a_fixed_setup(
    lo_: float, width: float, output: int
) -> None:
    register_model("prop-range", total_params=Range(lo_, lo_ + width))
    ranged = _central(_fixed("prop-range", output))
    register_model("prop-range", total_params=lo_)
    at_low = _central(_fixed("prop-range", output))
    register_model("prop-range", total_params=lo_ + width)
    at_high = _central(_fixed("prop-range", output))
    for a, c, b in zip(at_low, ranged, at_high, strict=True):
        assert a * (1 - 1e-9) <= c <= b * (1 + 1e-9)
