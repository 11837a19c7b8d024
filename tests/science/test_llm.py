"""The request model (impacts/llm.py): how the physics becomes a request's impacts.

With every uncertain input pinned to a point (``_pinned``), the best estimate and both
percentiles coincide and each part can be worked out from the serving physics by hand
(docs/methodology.md §5-§7); the comments show it. The interval itself is checked as a
property: P5 <= best estimate <= P95 for any request.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.profiles import ACC, MIX, SERVER
from tokenprint.impacts import llm, serving
from tokenprint.impacts.llm import coefficients, parts, request, terms
from tokenprint.impacts.profiles import (
    Accelerator,
    Architecture,
    DataCenter,
    ModelSpec,
)
from tokenprint.impacts.ranges import Range
from tokenprint.impacts.results import ENERGY_PARTS, WATER_PARTS

B200 = Accelerator("B200", 180.0, 8.0, 2250.0, 4500.0, 9000.0, 1000.0, 300.0, 0.015, 6000.0)
SITE = DataCenter(
    "dc",
    "XXX",
    pue=1.2,
    wue=0.5,
    accelerator="H100",
    precision="bf16",
    accelerator_count=1,
    batch_size=64.0,
    utilisation=0.8,
)
LLAMA = Architecture("llama-8b", 32, 32, 8, 128.0, 0.0, 32, 0.0, 0, 0, 0.0, "bf16", ())
MODEL = ModelSpec("llama-8b", 8.03, 8.03, 16.0, LLAMA)
CLOSED_MOE = ModelSpec("closed", 440.0, Range(44.0, 132.0))
SECONDS_4Y = 4 * 365.25 * 86400


def _find(name: str) -> Accelerator:
    return {"H100": ACC, "B200": B200}[name]


@pytest.fixture
def _pinned(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every assumption of the request model at a point."""
    for name, value in {
        "FIT_RESIDUAL": 1.0,
        "IDLE_POWER_SHARE": 0.15,
        "TYPICAL_CONTEXT": 2000.0,
        "CACHE_BYTES_FACTOR": 1.0,
        "NARROW_MOE_COMPUTE": 1.0,
    }.items():
        monkeypatch.setattr(llm, name, value)
    yield


def _point(site: DataCenter = SITE, model: ModelSpec = MODEL) -> llm.Coefficients:
    return coefficients(model, _find, SERVER, site, MIX, prefill_mfu=0.5, samples=16)


# -- the five terms -------------------------------------------------------------------------


def test_terms_of_a_request() -> None:
    # 100 output tokens after 1000 input of which 400 cached:
    # output x context = 100 x (1000 + 50); fresh 600; fresh x context = 600 x (400 + 300)
    assert terms(100, 1000, 400) == (100, 105_000, 600, 420_000, 400)
    assert terms(0, 0, 0) == (0, 0, 0, 0, 0)
    # more cached than input tokens: all of the input is cached, none fresh
    assert terms(10, 300, 500) == (10, 3050, 0, 0, 300)


# -- one point: the composition of the parts ------------------------------------------------


@pytest.mark.usefixtures("_pinned")
def test_a_pinned_site_has_no_interval() -> None:
    low, mid, high = request(_point(), terms(500, 1000))
    assert low == pytest.approx(mid) and high == pytest.approx(mid)


@pytest.mark.usefixtures("_pinned")
def test_output_token_energy_is_the_request_share_of_a_decode_step() -> None:
    shape = serving.model_shape(LLAMA, 8.03, 8.03, "bf16")
    chip = serving.Chip(80.0, 3.35, 989.0, 700.0)
    fit = serving.Fitted(narrow_moe_compute=1.0)
    t, moved, flops = serving.decode_step(shape, chip, 1, 64.0, 0.0, fit)
    acc_j = serving.step_energy(shape, chip, 1, t, moved, flops, fit) / 64.0
    acc_s = t / 64.0  # the request's share of the step, one accelerator
    host_w = 1000.0 / 8
    idle_w = (0.15 * 700.0 + host_w) * (1 / 0.8 - 1)
    it_kwh = (acc_j + (host_w + idle_w) * acc_s) / 3.6e6
    c = _point()
    (_, mid, _), p = request(c, (1, 0, 0, 0, 0)), parts(c, (1, 0, 0, 0, 0))[1]
    assert p[0] == pytest.approx(acc_j / 3.6e6)  # accelerators
    assert p[1] == pytest.approx(host_w * acc_s / 3.6e6)  # host
    assert p[2] == pytest.approx(idle_w * acc_s / 3.6e6)  # idle capacity
    assert p[3] == pytest.approx(0.2 * it_kwh)  # facility: PUE - 1
    assert mid[0] == pytest.approx(1.2 * it_kwh)
    # water: on-site WUE x IT energy, off-site the mix's water x total energy
    assert p[4] == pytest.approx(0.5 * it_kwh)
    assert p[5] == pytest.approx(3.0 * 1.2 * it_kwh)
    assert mid[4] == pytest.approx(p[4] + p[5])
    # usage impacts are the energy times the mix
    assert mid[1:4] == pytest.approx((mid[0] * 0.05, mid[0] * 5e-8, mid[0] * 10.0))
    # embodied: accelerator-seconds over lifetime x busy share, the host split over 8
    per_s = (200.0 + 5000.0 / 8) / (SECONDS_4Y * 0.8)
    assert mid[5] == pytest.approx(acc_s * per_s)


@pytest.mark.usefixtures("_pinned")
def test_fresh_input_tokens_are_compute_bound_at_the_prefill_utilisation() -> None:
    c = _point()
    (_, mid, _) = parts(c, (0, 0, 1000, 0, 0))
    # 1000 x 2 x 8.03e9 FLOPs / (989e12 x 0.5) = 32.477 ms of one H100
    seconds = 1000 * 2 * 8.03e9 / (989e12 * 0.5)
    fit = serving.Fitted()
    # static power plus compute at 0.5 / eta_compute of its achieved rate, capped at 700 W
    share = min(fit.power_static + fit.power_compute * 0.5 / fit.eta_compute, 1.0)
    acc_j = 700.0 * share * seconds
    assert mid[0] == pytest.approx(acc_j / 3.6e6)


@pytest.mark.usefixtures("_pinned")
def test_cached_input_tokens_cost_a_small_fraction_of_fresh_ones() -> None:
    c = _point()
    fresh = request(c, terms(0, 1000))[1][0]
    cached = request(c, terms(0, 1000, 1000))[1][0]
    assert 0 < cached < 0.05 * fresh


@pytest.mark.usefixtures("_pinned")
def test_long_contexts_make_every_output_token_read_more() -> None:
    c = _point()
    short = request(c, terms(500, 100))[1][0]
    long = request(c, terms(500, 10_000))[1][0]
    # the 10k-token prompt's prefill and the KV cache each output token reads
    assert long > 2.5 * short
    per_ctx = request(c, (0, 1, 0, 0, 0))[1][0]
    assert per_ctx > 0


@pytest.mark.usefixtures("_pinned")
def test_a_larger_batch_shares_the_weights_over_more_sequences() -> None:
    small = request(_point(SITE._replace(batch_size=8.0)), terms(500))[1][0]
    large = request(_point(SITE._replace(batch_size=256.0)), terms(500))[1][0]
    assert large < small / 3


@pytest.mark.usefixtures("_pinned")
def test_the_faster_memory_of_a_newer_accelerator_lowers_decode_energy() -> None:
    h100 = request(_point(), terms(500))[1][0]
    b200 = request(_point(SITE._replace(accelerator="B200")), terms(500))[1][0]
    assert b200 < h100


@pytest.mark.usefixtures("_pinned")
def test_pue_multiplies_it_energy_and_utilisation_adds_idle_capacity() -> None:
    base = parts(_point(), terms(500))[1]
    leaner = parts(_point(SITE._replace(pue=1.0, utilisation=1.0)), terms(500))[1]
    assert leaner[2] == 0 and leaner[3] == 0  # no idle capacity, no overhead
    assert leaner[0] == pytest.approx(base[0])  # the accelerators' own work is unchanged


@pytest.mark.usefixtures("_pinned")
def test_an_undisclosed_size_derives_the_replica_and_batch() -> None:
    site = SITE._replace(accelerator_count=None, batch_size=None, batch_per_accelerator=64.0)
    c = _point(site, ModelSpec("closed", 440.0, 88.0))
    # 440 B x 2 bytes x 1.2 / 80 GB = 13.2 -> two servers of 8
    assert c.setup.accelerator_count == 16
    assert c.setup.batch_size <= 16 * 64.0


def test_native_narrow_precision_wins_over_the_sites() -> None:
    fp8_model = MODEL._replace(architecture=LLAMA._replace(native_precision="fp8"))
    c = coefficients(fp8_model, _find, SERVER, SITE, MIX, samples=8)
    assert c.setup.precision == "fp8"
    assert coefficients(MODEL, _find, SERVER, SITE, MIX, samples=8).setup.precision == "bf16"


# -- the interval ---------------------------------------------------------------------------


def test_coefficients_are_deterministic() -> None:
    a = coefficients(CLOSED_MOE, _find, SERVER, SITE._replace(accelerator_count=None), MIX)
    b = coefficients(CLOSED_MOE, _find, SERVER, SITE._replace(accelerator_count=None), MIX)
    assert a == b


def test_a_described_open_model_gets_a_narrower_interval_than_a_closed_one() -> None:
    hyper = DataCenter(
        "h", "XXX", Range(1.1, 1.2), 0.5, "H100|B200", precision="fp8|bf16",
        batch_per_accelerator=Range(32.0, 128.0), utilisation=Range(0.6, 0.9),
    )  # fmt: skip
    closed = request(coefficients(CLOSED_MOE, _find, SERVER, hyper, MIX), terms(500, 100))
    described = request(coefficients(MODEL, _find, SERVER, SITE, MIX), terms(500, 100))
    assert described[2][0] / described[0][0] < closed[2][0] / closed[0][0]


@settings(max_examples=40, deadline=None)
@given(
    out=st.integers(0, 20_000),
    inp=st.integers(0, 200_000),
    cached=st.integers(0, 200_000),
)
def test_best_estimate_lies_within_the_interval_and_parts_add_up(
    out: int, inp: int, cached: int
) -> None:
    c = _closed_coefficients()
    w = terms(out, inp, cached)
    low, mid, high = request(c, w)
    for a, b, d in zip(low, mid, high, strict=True):
        assert a <= b * (1 + 1e-12) and b <= d * (1 + 1e-12)
    p = parts(c, w)
    n = len(ENERGY_PARTS)
    assert sum(p[1][:n]) == pytest.approx(mid[0])
    assert sum(p[1][n : n + len(WATER_PARTS)]) == pytest.approx(mid[4])


_CACHE: dict[str, llm.Coefficients] = {}


def _closed_coefficients() -> llm.Coefficients:
    if "c" not in _CACHE:
        site = DataCenter(
            "h", "XXX", Range(1.1, 1.3), Range(0.1, 1.0), "H100|B200",
            batch_per_accelerator=Range(16.0, 128.0), utilisation=Range(0.5, 0.9),
        )  # fmt: skip
        _CACHE["c"] = coefficients(CLOSED_MOE, _find, SERVER, site, MIX)
    return _CACHE["c"]


def test_a_stated_setup_too_small_for_the_weights_is_flagged() -> None:
    big = ModelSpec("big", 405.0, 405.0, 16.0, LLAMA)
    c = coefficients(big, _find, SERVER, SITE._replace(accelerator_count=8), MIX, samples=8)
    assert not c.setup.fits
    assert coefficients(MODEL, _find, SERVER, SITE, MIX, samples=8).setup.fits


def test_a_range_from_zero_has_its_midpoint_as_best_estimate() -> None:
    # air-cooled sites use no water: on-site WUE 0-1.8 L/kWh has the best estimate 0.9
    wet = DataCenter("w", "XXX", 1.2, Range(0.0, 1.8), "H100", precision="bf16",
                     accelerator_count=1, batch_size=64.0)  # fmt: skip
    dry = wet._replace(wue=0.9)
    w = terms(500, 100)
    p_wet = parts(coefficients(MODEL, _find, SERVER, wet, MIX), w)
    p_dry = parts(coefficients(MODEL, _find, SERVER, dry, MIX), w)
    assert p_wet[1][4] == pytest.approx(p_dry[1][4])
    assert 0.0 <= p_wet[0][4] < p_wet[1][4] < p_wet[2][4]
