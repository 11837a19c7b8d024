"""The text-generation impact model (impacts/llm.py), checked against hand-computed values.

The expected numbers were computed by hand (calculator) from the formulas of
docs/methodology.md; the comments show each step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokenprint.impacts import llm
from tokenprint.impacts.llm import (
    accelerators_required,
    decode_energy_per_token,
    decode_time_per_token,
    llm_impacts,
    llm_intensities,
    llm_request,
    prefill_energy,
    prefill_time,
    request_vector,
)
from tokenprint.impacts.profiles import Accelerator, DataCenter, ElectricityMix, ModelSpec, Server
from tokenprint.impacts.ranges import Range, Value

SECONDS_4Y = 4 * 365.25 * 86400  # 126,230,400 s

ACC = Accelerator(
    name="H100",
    memory_gb=80.0,
    power_w=700.0,
    peak_tflops=989.0,
    decode_energy_scale=1.0,
    decode_time_scale=1.0,
    embodied_gwp=200.0,
    embodied_adpe=0.01,
    embodied_pe=4000.0,
)
SERVER = Server(
    name="s",
    power_w=1000.0,
    accelerators=8,
    embodied_gwp=5000.0,
    embodied_adpe=0.3,
    embodied_pe=60000.0,
    lifetime_years=4.0,
)
DC = DataCenter(name="dc", zone="XXX", pue=1.2, wue=0.5)
MIX = ElectricityMix(zone="XXX", gwp=0.05, adpe=5e-8, pe=10.0, wue=3.0)
DENSE_70B = ModelSpec("m70", 70.0, 70.0)
POINT = {
    "prefill_mfu": 0.5,
    "prefill_power_fraction": 1.0,
    "cached_input_factor": 0.1,
    "decode_fit": 1.0,
}


def _point(
    model: ModelSpec = DENSE_70B,
    acc: Accelerator = ACC,
    server: Server = SERVER,
    dc: DataCenter = DC,
    mix: ElectricityMix = MIX,
    batch: float = 64.0,
) -> llm.Intensities:
    low, high = llm_intensities(model, acc, server, dc, mix, batch, **POINT)
    assert low == high  # no uncertain input: both corners coincide
    return low


# -- §2 decode energy -----------------------------------------------------------------------


def test_decode_energy_per_token_of_llama_8b_at_batch_64() -> None:
    # 1.1665273e-6 * exp(-1.1205921e-2 * 64) * 8.03 + 4.0529281e-5
    # = 1.1665273e-6 * 0.488129 * 8.03 + 4.0529281e-5 = 4.5724e-6 + 4.0529e-5 = 4.5102e-5 Wh
    assert decode_energy_per_token(8.03, 64) == pytest.approx(4.5102e-5, rel=1e-4)
    # = 0.1624 J per token, against 0.12 J measured by ML.ENERGY (see the methodology)
    assert decode_energy_per_token(8.03, 64) * 3600 == pytest.approx(0.1624, rel=1e-3)


def test_decode_fit_factor_spans_the_ml_energy_measurement_and_the_fit() -> None:
    # 0.12 J measured for Llama 3.1 8B on H100 at batch 64; 0.1624 J from the fit
    low = llm.DECODE_FIT_FACTOR.min * decode_energy_per_token(8.03, 64) * 3600
    assert low == pytest.approx(0.12, rel=0.01)
    assert llm.DECODE_FIT_FACTOR.max == 1.0
    k_low, k_high = llm_intensities(DENSE_70B, ACC, SERVER, DC, MIX, 64.0)
    assert k_low.decode_wh_per_token == pytest.approx(0.74 * k_high.decode_wh_per_token)


def test_decode_energy_per_token_falls_with_batch_and_rises_with_parameters() -> None:
    assert decode_energy_per_token(70, 128) < decode_energy_per_token(70, 32)
    assert decode_energy_per_token(70, 64) > decode_energy_per_token(8, 64)
    # with no parameters only the constant term is left
    assert decode_energy_per_token(0, 64) == pytest.approx(4.0529281e-5)


# -- §3 decode latency ----------------------------------------------------------------------


def test_decode_time_per_token_of_70b_at_batch_64() -> None:
    # 6.785e-4 * 70 + 3.119e-4 * 64 + 1.947e-2 = 0.047495 + 0.0199616 + 0.01947 = 0.0869266 s
    assert decode_time_per_token(70, 64) == pytest.approx(0.0869266, rel=1e-9)


# -- §4 accelerators ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "bits", "memory", "expected"),
    [
        (8.03, 16, 80, 1),  # 1.2 * 8.03 * 2 = 19.3 GB -> 1
        (33.0, 16, 80, 1),  # 79.2 GB -> 1
        (34.0, 16, 80, 2),  # 81.6 GB -> 2
        (70.0, 16, 80, 4),  # 168 GB -> 2.1 -> 3 -> power of two 4
        (70.0, 8, 80, 2),  # 84 GB -> 2
        (260.0, 16, 80, 8),  # 624 GB -> 7.8 -> 8
        (440.0, 16, 80, 16),  # 1056 GB -> 13.2 -> 14 -> 16
        (440.0, 16, 141, 8),  # H200: 1056 / 141 = 7.5 -> 8
        (70.0, 16, 16, 16),  # TPU v5e 16 GB: 168 / 16 = 10.5 -> 11 -> 16
        (0.1, 16, 80, 1),  # never zero
    ],
)
def test_accelerators_required_round_up_to_a_power_of_two(
    total: float, bits: float, memory: float, expected: int
) -> None:
    assert accelerators_required(total, bits, memory) == expected


# -- §5 prefill -----------------------------------------------------------------------------


def test_prefill_energy_of_1000_tokens_on_70b() -> None:
    # 1000 * 2 * 70e9 FLOP / (989e12 FLOP/s * 0.5) = 0.283114 GPU-seconds; * 700 W / 3600
    assert prefill_energy(1000, 70, 989, 700, 0.5) == pytest.approx(0.0550500, rel=1e-5)


def test_prefill_time_is_shared_by_the_accelerators() -> None:
    # 0.283114 GPU-seconds over 4 accelerators
    assert prefill_time(1000, 70, 989, 0.5, 4) == pytest.approx(0.0707786, rel=1e-5)


def test_cached_input_tokens_cost_the_cached_factor_of_a_fresh_token() -> None:
    k = _point()
    fresh = request_vector(k, 0, 1000, 0, None)
    cached = request_vector(k, 0, 1000, 1000, None)
    half = request_vector(k, 0, 1000, 500, None)
    assert cached[0] == pytest.approx(0.1 * fresh[0], rel=1e-12)
    assert half[0] == pytest.approx(0.55 * fresh[0], rel=1e-12)  # 500 + 500 * 0.1


def test_more_cached_than_input_tokens_counts_no_fresh_token() -> None:
    k = _point()
    assert request_vector(k, 0, 100, 300, None)[0] == pytest.approx(
        request_vector(k, 0, 300, 300, None)[0]
    )


# -- §3 latency bound -----------------------------------------------------------------------


def test_measured_latency_bounds_the_generation_time() -> None:
    k = _point()
    # 100 tokens * 0.0869266 s = 8.69 s of decoding predicted; 2 s measured
    capped = request_vector(k, 100, 0, 0, 2.0)
    free = request_vector(k, 100, 0, 0, None)
    long = request_vector(k, 100, 0, 0, 60.0)
    assert long == free  # a longer latency changes nothing
    # embodied is proportional to the time: 2 / 64 s instead of 8.69266 / 64 s
    assert capped[5] == pytest.approx(free[5] * 2.0 / 8.69266, rel=1e-6)
    # decode energy per token is not capped, only the time-based server share
    assert capped[0] < free[0]


def test_zero_latency_leaves_only_the_per_token_energy() -> None:
    k = _point()
    v = request_vector(k, 100, 0, 0, 0.0)
    # 100 tokens * 4 accelerators * f_E(70, 64) = 400 * 8.03883e-5 Wh, * PUE 1.2, in kWh
    assert v[0] == pytest.approx(400 * 8.03883e-5 * 1.2 / 1000, rel=1e-5)
    assert v[5:] == (0.0, 0.0, 0.0)


# -- §6 server share ------------------------------------------------------------------------


def test_server_power_is_shared_by_accelerators_in_use() -> None:
    k = _point()
    assert k.n_accelerators == 4
    assert k.server_w == pytest.approx(500.0)  # 1000 W * 4 / 8
    one = _point(model=ModelSpec("m8", 8.0, 8.0))
    assert one.server_w == pytest.approx(125.0)  # 1000 W * 1 / 8


def test_server_energy_is_divided_by_the_batch() -> None:
    # zero-parameter model: decode energy is the constant, time is the server share
    k64, k32 = _point(batch=64.0), _point(batch=32.0)
    srv64 = request_vector(k64, 100, 0, 0, None)[0] - 100 * k64.decode_wh_per_token * 1.2 / 1000
    srv32 = request_vector(k32, 100, 0, 0, None)[0] - 100 * k32.decode_wh_per_token * 1.2 / 1000
    # t = 100 * f_L(70, B) / B; server energy = t * 500 W / 3600 * PUE / 1000
    assert srv64 == pytest.approx(100 * 0.0869266 / 64 * 500 / 3600 * 1.2 / 1000, rel=1e-6)
    f_l_32 = 6.785e-4 * 70 + 3.119e-4 * 32 + 1.947e-2
    assert srv32 == pytest.approx(100 * f_l_32 / 32 * 500 / 3600 * 1.2 / 1000, rel=1e-6)


def test_server_share_counts_several_servers_for_large_models() -> None:
    k = _point(model=ModelSpec("big", 1000.0, 100.0))  # 2400 GB -> 30 -> 32 accelerators
    assert k.n_accelerators == 32
    assert k.server_w == pytest.approx(4000.0)  # four servers' worth


# -- §7 PUE, electricity, water -------------------------------------------------------------


def test_pue_multiplies_it_energy() -> None:
    a = request_vector(_point(), 100, 1000, 0, None)
    b = request_vector(_point(dc=DC._replace(pue=1.5)), 100, 1000, 0, None)
    assert b[0] == pytest.approx(a[0] * 1.5 / 1.2, rel=1e-12)


def test_water_counts_on_site_cooling_and_off_site_generation() -> None:
    k = _point()
    v = request_vector(k, 100, 1000, 0, None)
    e_it = v[0] / 1.2
    # WCF = E_IT * (WUE_on-site + PUE * WUE_off-site) = E_IT * (0.5 + 1.2 * 3.0)
    assert v[4] == pytest.approx(e_it * (0.5 + 1.2 * 3.0), rel=1e-12)
    dry = request_vector(_point(dc=DC._replace(wue=0.0)), 100, 1000, 0, None)
    assert dry[4] == pytest.approx(v[0] * 3.0, rel=1e-12)  # off-site only
    no_grid_water = _point(mix=MIX._replace(wue=0.0))
    assert request_vector(no_grid_water, 100, 1000, 0, None)[4] == pytest.approx(e_it * 0.5)


def test_usage_impacts_are_energy_times_the_mix() -> None:
    v = request_vector(_point(), 100, 1000, 0, None)
    assert v[1] == pytest.approx(v[0] * 0.05)
    assert v[2] == pytest.approx(v[0] * 5e-8)
    assert v[3] == pytest.approx(v[0] * 10.0)


# -- §8 embodied ----------------------------------------------------------------------------


def test_embodied_rate_shares_the_server_and_counts_each_accelerator() -> None:
    k = _point()
    # (4/8 * 5000 + 4 * 200) kgCO2eq over 4 years = 3300 / 126,230,400 s
    assert k.embodied_gwp_per_s == pytest.approx(3300 / SECONDS_4Y, rel=1e-12)
    assert k.embodied_adpe_per_s == pytest.approx((0.5 * 0.3 + 4 * 0.01) / SECONDS_4Y)
    assert k.embodied_pe_per_s == pytest.approx((0.5 * 60000 + 4 * 4000) / SECONDS_4Y)


def test_embodied_is_proportional_to_the_time_allocated() -> None:
    k = _point()
    one = request_vector(k, 100, 0, 0, None)
    two = request_vector(k, 200, 0, 0, None)
    assert two[5] == pytest.approx(2 * one[5], rel=1e-12)


# -- one full request by hand ---------------------------------------------------------------


def test_full_request_matches_the_hand_computation() -> None:
    """70B dense on H100, batch 64, 1000 input tokens of which 200 cached, 100 output tokens.

    n = 4 accelerators; f_E = 8.03883e-5 Wh; f_L = 0.0869266 s.
    decode time 100 * 0.0869266 = 8.69266 s, allocated / 64 = 0.135823 s.
    effective input 800 + 200 * 0.1 = 820 tokens; prefill 7.07786e-5 s and 5.50500e-5 Wh each.
    t = 0.135823 + 820 * 7.07786e-5 = 0.193861 s.
    E_IT = 0.193861 * 500 / 3600 + 100 * 4 * 8.03883e-5 + 820 * 5.50500e-5
         = 0.0269252 + 0.0321553 + 0.0451410 = 0.1042215 Wh.
    E = 1.2 * E_IT = 0.1250658 Wh = 1.250658e-4 kWh.
    WCF = 1.042215e-4 * 0.5 + 1.250658e-4 * 3.0 = 4.27308e-4 L.
    embodied GWP = 0.193861 s * 3300 kg / 126,230,400 s = 5.06805e-6 kgCO2eq.
    """
    low, high = llm_impacts(
        DENSE_70B,
        output_tokens=100,
        input_tokens=1000,
        cached_tokens=200,
        accelerator=ACC,
        server=SERVER,
        datacenter=DC,
        mix=MIX,
        batch=64.0,
        **POINT,
    )
    assert low == high
    expected = (
        1.250658e-4,  # kWh
        1.250658e-4 * 0.05,  # kgCO2eq
        1.250658e-4 * 5e-8,  # kgSbeq
        1.250658e-4 * 10.0,  # MJ
        4.27308e-4,  # L
        5.06805e-6,  # kgCO2eq embodied
        0.193861 * 0.19 / SECONDS_4Y,  # kgSbeq embodied: 0.5 * 0.3 + 4 * 0.01
        0.193861 * 46000 / SECONDS_4Y,  # MJ embodied: 0.5 * 60000 + 4 * 4000
    )
    assert low == pytest.approx(expected, rel=1e-5)


def test_full_request_high_corner_uses_the_high_end_of_every_input() -> None:
    """Ranges: the high corner equals the point computation at every input's bad end."""
    ranged = llm_impacts(
        ModelSpec("r", Range(60.0, 70.0), Range(60.0, 70.0)),
        output_tokens=100,
        input_tokens=1000,
        cached_tokens=200,
        accelerator=ACC._replace(power_w=Range(500.0, 700.0)),
        server=SERVER._replace(lifetime_years=Range(4.0, 6.0)),
        datacenter=DC._replace(pue=Range(1.1, 1.2)),
        mix=MIX,
        batch=Range(64.0, 128.0),
        prefill_mfu=Range(0.5, 0.6),
        prefill_power_fraction=1.0,
        cached_input_factor=Range(0.05, 0.1),
        decode_fit=Range(0.74, 1.0),
    )
    high = llm_impacts(
        DENSE_70B,
        output_tokens=100,
        input_tokens=1000,
        cached_tokens=200,
        accelerator=ACC,
        server=SERVER,
        datacenter=DC,
        mix=MIX,
        batch=64.0,
        **POINT,
    )[1]
    assert ranged[1] == pytest.approx(high, rel=1e-12)
    assert all(a < b for a, b in zip(ranged[0], ranged[1], strict=True))


def test_accelerator_generation_scales_decode_and_prefill() -> None:
    b200 = ACC._replace(
        name="B200", memory_gb=180.0, power_w=1000.0, peak_tflops=2250.0, decode_energy_scale=0.5
    )
    k = _point(acc=b200)
    assert k.n_accelerators == 1  # 168 GB fit on one B200
    assert k.decode_wh_per_token == pytest.approx(0.5 * 8.038825e-5, rel=1e-6)
    # 2 * 70e9 / (2250e12 * 0.5) s * 1000 W / 3600
    assert k.prefill_wh_per_token == pytest.approx(2 * 70e9 / 1.125e15 * 1000 / 3600)


def test_llm_request_keeps_low_below_high_when_corners_cross() -> None:
    k_low, k_high = _point(), _point(model=ModelSpec("m8", 8.0, 8.0))
    low, high = llm_request((k_low, k_high), 100, 1000)  # deliberately swapped corners
    assert all(a <= b for a, b in zip(low, high, strict=True))


# -- the corner claim -----------------------------------------------------------------------


@st.composite
def _interval(draw: st.DrawFn, low: float, high: float) -> tuple[float, float, float]:
    """(min, max, interior point) of a random sub-interval of [low, high]."""
    a = draw(st.floats(low, high))
    b = draw(st.floats(low, high))
    a, b = min(a, b), max(a, b)
    t = draw(st.floats(0.0, 1.0))
    return a, b, min(b, max(a, a + (b - a) * t))


def _r(x: tuple[float, float, float]) -> Value:
    return Range(x[0], x[1])


@settings(max_examples=300, deadline=None)
@given(
    active=_interval(0.5, 400.0),
    total_extra=_interval(0.0, 2000.0),
    bits=st.sampled_from([4.0, 8.0, 16.0]),
    memory=st.sampled_from([16.0, 80.0, 141.0, 180.0]),
    power=_interval(100.0, 1200.0),
    e_scale=_interval(0.2, 3.0),
    t_scale=_interval(0.2, 3.0),
    acc_emb=_interval(0.0, 2000.0),
    srv_power=_interval(0.0, 3000.0),
    srv_emb=_interval(0.0, 10000.0),
    lifetime=_interval(1.0, 10.0),
    pue=_interval(1.0, 2.0),
    wue=_interval(0.0, 3.0),
    batch=_interval(1.0, 512.0),
    mfu=_interval(0.05, 1.0),
    fraction=_interval(0.3, 1.0),
    cached_factor=_interval(0.0, 1.0),
    decode_fit=_interval(0.5, 1.5),
    output=st.integers(0, 5000),
    inputs=st.integers(0, 50000),
    cached_share=st.floats(0.0, 1.0),
    latency=st.none() | st.floats(0.0, 300.0),
)
def test_any_interior_point_of_the_inputs_gives_impacts_within_the_bounds(
    active: tuple[float, float, float],
    total_extra: tuple[float, float, float],
    bits: float,
    memory: float,
    power: tuple[float, float, float],
    e_scale: tuple[float, float, float],
    t_scale: tuple[float, float, float],
    acc_emb: tuple[float, float, float],
    srv_power: tuple[float, float, float],
    srv_emb: tuple[float, float, float],
    lifetime: tuple[float, float, float],
    pue: tuple[float, float, float],
    wue: tuple[float, float, float],
    batch: tuple[float, float, float],
    mfu: tuple[float, float, float],
    fraction: tuple[float, float, float],
    cached_factor: tuple[float, float, float],
    decode_fit: tuple[float, float, float],
    output: int,
    inputs: int,
    cached_share: float,
    latency: float | None,
) -> None:
    """Each output is monotone in each uncertain input, so two corners bound every point."""
    total = tuple(a + x for a, x in zip(active, total_extra, strict=True))
    cached = int(inputs * cached_share)

    def run(pick: int | None) -> tuple[Sequence[float], Sequence[float]]:
        def v(x: Sequence[float]) -> Value:
            return Range(x[0], x[1]) if pick is None else x[pick]

        return llm_impacts(
            ModelSpec("x", v(total), v(active), bits),
            output_tokens=output,
            input_tokens=inputs,
            cached_tokens=cached,
            latency=latency,
            accelerator=Accelerator(
                "acc", memory, v(power), 500.0, v(e_scale), v(t_scale), v(acc_emb), 0.01, 3000.0
            ),
            server=Server("srv", v(srv_power), 8, v(srv_emb), 0.2, 50000.0, v(lifetime)),
            datacenter=DataCenter("dc", "XXX", v(pue), v(wue)),
            mix=MIX,
            batch=v(batch),
            prefill_mfu=v(mfu),
            prefill_power_fraction=v(fraction),
            cached_input_factor=v(cached_factor),
            decode_fit=v(decode_fit),
        )

    low, high = run(None)
    point, same = run(2)
    assert point == same
    for lo_, p, hi_ in zip(low, point, high, strict=True):
        assert math.isfinite(lo_) and math.isfinite(hi_)
        assert 0.0 <= lo_ <= hi_
        tol = 1e-9 * hi_ + 1e-300
        assert lo_ - tol <= p <= hi_ + tol
