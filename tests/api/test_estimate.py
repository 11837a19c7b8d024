"""tokenprint.estimate(): argument checks, catalogue errors, zones, providers, tokens."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

import tokenprint
from tokenprint import (
    ElectricityMix,
    Impacts,
    InvalidArgumentError,
    InvalidTypeError,
    ModelNotRegisteredError,
    TokenprintError,
    UnknownZoneError,
    estimate,
    register_model,
)
from tokenprint.catalog import models


def _gwp_max(i: Impacts) -> float:
    assert i.gwp is not None
    return i.gwp.max


def _energy(i: Impacts) -> tuple[float, float]:
    assert i.energy is not None
    return i.energy.min, i.energy.max


# -- argument checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"output_tokens": -1},
        {"output_tokens": 10, "input_tokens": -5},
        {"output_tokens": 10, "cached_tokens": -1},
        {"output_tokens": 10, "reasoning_tokens": -1},
        {"output_tokens": 10, "input_tokens": 5, "cached_tokens": 6},
        {"output_tokens": 10, "latency": -0.1},
        {"output_tokens": 10, "latency": math.nan},
        {"output_tokens": 10, "latency": math.inf},
        {"output_tokens": math.nan},
        {"output_tokens": math.inf},
        {"output_tokens": 10, "input_tokens": -math.inf},
        {"output_tokens": 2**53 + 1},
        {"output_tokens": 10**30},
        {"output_tokens": 1e30},
        {"output_tokens": 10, "reasoning_tokens": 10**30},
        {"output_tokens": 2**53, "reasoning_tokens": 1},
    ],
)
def test_bad_values_raise_invalid_argument_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        estimate("gpt-4o", **kwargs)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TokenprintError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"output_tokens": 1.5},
        {"output_tokens": "10"},
        {"output_tokens": True},
        {"output_tokens": None},
        {"output_tokens": 10, "input_tokens": 2.5},
        {"output_tokens": 10, "reasoning_tokens": False},
        {"output_tokens": 10, "latency": "1s"},
        {"output_tokens": 10, "provider": 3},
        {"output_tokens": 10, "zone": 33},
    ],
)
def test_wrong_types_raise_invalid_type_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidTypeError) as info:
        estimate("gpt-4o", **kwargs)
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, TokenprintError)


@pytest.mark.parametrize("model", ["", "   ", None, 4])
def test_model_must_be_a_non_empty_string(model: Any) -> None:
    with pytest.raises(InvalidTypeError):
        estimate(model, output_tokens=10)


def test_error_messages_name_the_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="output_tokens must be >= 0"):
        estimate("gpt-4o", output_tokens=-3)
    with pytest.raises(InvalidTypeError, match="input_tokens must be an int"):
        estimate("gpt-4o", output_tokens=3, input_tokens=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"cached_tokens must be <= 2\*\*53"):
        estimate("gpt-4o", output_tokens=3, input_tokens=10, cached_tokens=2**60)
    with pytest.raises(InvalidArgumentError, match="reasoning_tokens must be a finite count"):
        estimate("gpt-4o", output_tokens=3, reasoning_tokens=math.nan)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"input_tokens must be <= 2\*\*53"):
        tokenprint.estimate_embedding("text-embedding-3-small", 10**30)
    with pytest.raises(InvalidTypeError, match="input_tokens must be an int"):
        tokenprint.estimate_embedding("text-embedding-3-small", 2.5)  # type: ignore[arg-type]


def test_a_token_count_is_one_rule_whole_numbers_up_to_2_53() -> None:
    np = pytest.importorskip("numpy")
    ref = estimate("gpt-4o", output_tokens=10, input_tokens=20)
    for out, inp in [(10.0, 20.0), (np.int64(10), np.int32(20)), (np.float64(10), 20)]:
        same = estimate("gpt-4o", output_tokens=out, input_tokens=inp)
        assert same.vectors == ref.vectors
        assert (same.basis.output_tokens, same.basis.input_tokens) == (10, 20)
        assert type(same.basis.output_tokens) is int
    assert estimate("gpt-4o", output_tokens=2**53).basis.output_tokens == 2**53
    emb = tokenprint.estimate_embedding("text-embedding-3-small", 100.0)  # type: ignore[arg-type]
    assert emb.basis.input_tokens == 100
    with pytest.raises(InvalidTypeError):
        estimate("gpt-4o", output_tokens=np.bool_(True))
    # image counts and steps stay ints (no float), stored as int
    img = tokenprint.estimate_image("dall-e-3", n=np.int64(2))
    assert img.basis.images == 2 and type(img.basis.images) is int
    assert '"images": 2' in img.to_json()


def test_reasoning_tokens_may_exceed_the_visible_answer() -> None:
    # output_tokens is the visible answer; reasoning tokens are decoded on top of it
    i = estimate("gpt-4o", output_tokens=10, reasoning_tokens=5000)
    assert (i.basis.output_tokens, i.basis.reasoning_tokens) == (5010, 5000)
    assert i.vectors == estimate("gpt-4o", output_tokens=5010).vectors


def test_unknown_zone_given_explicitly_raises() -> None:
    with pytest.raises(UnknownZoneError, match="tokenprint zones") as info:
        estimate("gpt-4o", output_tokens=10, zone="ATLANTIS")
    assert isinstance(info.value, ValueError)


def test_unknown_datacenter_given_explicitly_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="data centre"):
        estimate("gpt-4o", output_tokens=10, datacenter="nowhere")
    # an unknown setting is named, with the settings that exist (bad values of known
    # settings: test_bad_serving_settings_raise_naming_the_parameter)
    with pytest.raises(InvalidArgumentError, match=r"colour: unknown setting.*'pue'"):
        estimate("gpt-4o", output_tokens=10, datacenter={"colour": "green"})
    # every alternative of a listed accelerator is checked, not only the first
    with pytest.raises(InvalidArgumentError, match="accelerator: unknown accelerator 'X100'"):
        estimate("gpt-4o", output_tokens=10, datacenter={"accelerator": "H100|X100"})


# -- catalogue ------------------------------------------------------------------------------


def test_unknown_model_returns_an_error_and_no_values() -> None:
    i = estimate("no-such-model-xyz", output_tokens=10)
    assert [e.code for e in i.errors] == ["model-not-registered"]
    assert not i.has_values
    assert i.energy is None and i.gwp is None and i.usage is None
    assert i.basis.model == "no-such-model-xyz"


def test_unknown_model_with_strict_raises() -> None:
    with pytest.raises(ModelNotRegisteredError, match="no-such-model-xyz") as info:
        estimate("no-such-model-xyz", output_tokens=10, strict=True)
    assert isinstance(info.value, LookupError)


def test_catalogued_model_has_positive_ranges_and_basis() -> None:
    i = estimate("gpt-4o", output_tokens=500, input_tokens=100)
    assert i.errors == []
    low, high = _energy(i)
    assert 0 < low < high
    b = i.basis
    assert (b.model, b.model_resolved, b.datacenter) == ("gpt-4o", "gpt-4o", "openai")
    assert (b.input_tokens, b.output_tokens, b.modality) == (100, 500, "text")
    assert b.hardware == "H100"


def test_dated_snapshot_resolves_to_the_catalogued_model() -> None:
    i = estimate("gpt-4o-2024-08-06", output_tokens=10)
    assert i.basis.model_resolved == "gpt-4o"
    assert i.vectors == estimate("gpt-4o", output_tokens=10).vectors


def test_undisclosed_model_size_is_flagged() -> None:
    i = estimate("gpt-4o", output_tokens=10)
    assert "model-arch-not-released" in [w.code for w in i.warnings]


def test_methodology_version_is_on_every_result() -> None:
    i = estimate("gpt-4o", output_tokens=10)
    assert i.methodology_version == tokenprint.METHODOLOGY_VERSION != ""
    assert i.to_dict()["methodology_version"] == tokenprint.METHODOLOGY_VERSION
    failed = estimate("no-such-model-xyz", output_tokens=10)
    assert failed.methodology_version == tokenprint.METHODOLOGY_VERSION


def test_registering_a_model_after_a_miss_makes_it_known() -> None:
    assert estimate("late-model", output_tokens=10).errors
    register_model("late-model", total_params=7.0)
    assert estimate("late-model", output_tokens=10).errors == []
    models.unregister_models()
    assert estimate("late-model", output_tokens=10).errors


def test_re_registering_a_model_changes_its_estimate() -> None:
    register_model("my-model", total_params=7.0)
    small = _energy(estimate("my-model", output_tokens=100))
    register_model("my-model", total_params=70.0)
    big = _energy(estimate("my-model", output_tokens=100))
    assert big[0] > small[0] and big[1] > small[1]


# -- zone and provider ----------------------------------------------------------------------


def test_explicit_zone_changes_gwp_not_energy() -> None:
    usa = estimate("gpt-4o", output_tokens=500, zone="USA")
    fra = estimate("gpt-4o", output_tokens=500, zone="fra")
    assert fra.basis.zone == "FRA" and usa.basis.zone == "USA"
    assert _energy(fra) == _energy(usa)
    assert _gwp_max(fra) < _gwp_max(usa)
    assert fra.embodied is not None and usa.embodied is not None
    assert fra.embodied.gwp.value == usa.embodied.gwp.value  # manufacturing is not local


def test_zone_can_be_a_custom_electricity_mix() -> None:
    clean = ElectricityMix(zone="MINE", gwp=0.0, adpe=0.0, pe=0.0, wue=0.0)
    i = estimate("gpt-4o", output_tokens=500, zone=clean)
    assert i.usage is not None
    assert i.usage.gwp.value == 0.0
    assert i.basis.zone == "MINE"


def test_provider_picks_its_datacenter() -> None:
    openai = estimate("gpt-4o", output_tokens=500)
    mistral = estimate("gpt-4o", output_tokens=500, provider="mistralai")
    assert mistral.basis.datacenter == "mistralai"
    assert mistral.basis.zone == "SWE"
    assert mistral.basis.provider == "mistralai"
    assert _gwp_max(mistral) < _gwp_max(openai)


def test_unknown_provider_falls_back_to_a_generic_profile_with_a_warning() -> None:
    i = estimate("gpt-4o", output_tokens=500, provider="acme-cloud")
    assert i.has_values
    assert "datacenter-unknown" in [w.code for w in i.warnings]


def test_datacenter_override_changes_pue() -> None:
    base = estimate("gpt-4o", output_tokens=500)
    hot = estimate("gpt-4o", output_tokens=500, datacenter={"pue": 2.4})
    assert _energy(hot)[0] == pytest.approx(_energy(base)[0] * 2.0)  # openai PUE 1.2


# -- tokens ---------------------------------------------------------------------------------


def test_reasoning_tokens_are_decoded_like_output_tokens() -> None:
    split = estimate("gpt-4o", output_tokens=100, reasoning_tokens=400)
    whole = estimate("gpt-4o", output_tokens=500)
    assert split.vectors == whole.vectors
    assert split.basis.reasoning_tokens == 400
    assert split.basis.output_tokens == 500


def test_input_tokens_add_impacts() -> None:
    bare = _energy(estimate("gpt-4o", output_tokens=100))
    long = _energy(estimate("gpt-4o", output_tokens=100, input_tokens=10_000))
    assert long[0] > bare[0] and long[1] > bare[1]


def test_cached_input_tokens_cost_less_than_fresh_ones() -> None:
    fresh = _energy(estimate("gpt-4o", output_tokens=100, input_tokens=10_000))
    cached = _energy(estimate("gpt-4o", output_tokens=100, input_tokens=10_000, cached_tokens=9000))
    assert cached[0] < fresh[0] and cached[1] < fresh[1]


@pytest.mark.parametrize("latency", [0.0, 1.0, 1000.0])
def test_measured_latency_is_recorded_but_does_not_change_the_estimate(latency: float) -> None:
    # Methodology 2.0: accelerator time comes from the serving physics (bytes, FLOPs,
    # batch); a measured latency includes queueing and network time, so it is kept in the
    # basis only, whether it is faster or slower than the model's own time.
    free = estimate("gpt-4o", output_tokens=500, input_tokens=200)
    timed = estimate("gpt-4o", output_tokens=500, input_tokens=200, latency=latency)
    assert timed.vectors == free.vectors
    assert timed.central_vector == free.central_vector
    assert timed.parts == free.parts
    assert timed.basis.latency_s == latency
    assert free.basis.latency_s is None


def test_zero_tokens_give_zero_impacts() -> None:
    i = estimate("gpt-4o", output_tokens=0)
    assert i.vectors == ((0.0,) * 8, (0.0,) * 8)


class _Count:
    """An integer type that is not an int (like numpy.int64): it has ``__index__``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __index__(self) -> int:
        return self.n


def test_integer_types_with_index_are_accepted_as_token_counts() -> None:
    i = estimate("gpt-4o", output_tokens=_Count(500), input_tokens=_Count(10))  # type: ignore[arg-type]
    assert (i.basis.output_tokens, i.basis.input_tokens) == (500, 10)
    assert type(i.basis.output_tokens) is int
    assert i.vectors == estimate("gpt-4o", output_tokens=500, input_tokens=10).vectors
    with pytest.raises(InvalidArgumentError):
        estimate("gpt-4o", output_tokens=_Count(-1))  # type: ignore[arg-type]


@pytest.mark.parametrize(("precision", "warned"), [("bf16", True), ("fp8", False)])
def test_a_stated_setup_that_cannot_hold_the_weights_warns(precision: str, warned: bool) -> None:
    # 405 B parameters: 810 GB in BF16 do not fit in 8 x 80 GB; 405 GB in FP8 do
    impacts = tokenprint.estimate(
        "meta-llama/Llama-3.1-405B-Instruct",
        300,
        500,
        provider="self-hosted",
        accelerator="H100",
        accelerator_count=8,
        precision=precision,
    )
    assert ("serving-setup-overcommitted" in [w.code for w in impacts.warnings]) is warned


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accelerator": "Z9"}, "accelerator: unknown accelerator 'Z9'"),
        ({"batch_size": -3}, "batch_size: must be >= 1"),
        ({"batch_size": float("nan")}, "batch_size: must be finite"),
        ({"accelerator_count": 0}, "accelerator_count: must be an int >= 1"),
        ({"precision": "fp7"}, "precision: unknown precision 'fp7'"),
        ({"datacenter": {"pue": 0.9}}, "pue: must be >= 1"),
        ({"datacenter": {"wue": -1.0}}, "wue: must be >= 0"),
        ({"datacenter": {"utilisation": 1.5}}, "utilisation: a share"),
        ({"datacenter": {"batch_size": float("inf")}}, "batch_size: must be finite"),
        ({"datacenter": {"pue": -1.2}}, "pue: must be >= 1, got -1.2"),
        ({"datacenter": {"pue": [0.9, 1.2]}}, "pue: must be >= 1, got [0.9, 1.2]"),
        ({"datacenter": {"pue": (1.3, 1.1)}}, "pue: low above high in (1.3, 1.1)"),
        ({"datacenter": {"pue": [1.1, 1.2, 1.3]}}, "pue: expected a number or [low, high]"),
        ({"datacenter": {"wue": [-0.1, 0.5]}}, "wue: must be >= 0"),
        ({"datacenter": {"pue": True}}, "pue: expected a number or [low, high]"),
        ({"datacenter": {"batch_per_accelerator": 0}}, "batch_per_accelerator: must be > 0"),
        ({"datacenter": {"utilisation": [0.0, 0.5]}}, "utilisation: must be > 0"),
        ({"accelerator_count": 2.5}, "accelerator_count: must be an int >= 1"),
        ({"accelerator_count": True}, "accelerator_count: must be an int >= 1"),
        ({"batch_size": [4, 2]}, "batch_size: low above high"),
    ],
)
def test_bad_serving_settings_raise_naming_the_parameter(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(tokenprint.InvalidArgumentError, match=re.escape(message)):
        tokenprint.estimate("gpt-4o", 10, **kwargs)


def test_serving_setup_is_stated_in_the_basis_and_case_insensitive() -> None:
    impacts = tokenprint.estimate(
        "meta-llama/Llama-3.1-8B-Instruct",
        500,
        provider="self-hosted",
        accelerator="h200",
        accelerator_count=2,
        batch_size=32,
        precision="FP4",
    )
    b = impacts.basis
    assert (b.hardware, b.accelerator_count, b.batch_size) == ("H200", 2, 32.0)
    assert b.precision == "mxfp4" and b.methodology_version == "2.0"


# -- site values: a range is a [low, high] list or tuple everywhere ------------------------


def test_a_site_range_may_be_a_list_or_a_tuple_in_every_estimate() -> None:
    as_range = {"pue": tokenprint.Range(1.1, 1.3), "batch_size": tokenprint.Range(16, 64)}
    for pair in ([1.1, 1.3], (1.1, 1.3)):
        dc = {"pue": pair, "batch_size": [16, 64]}
        text = estimate("gpt-4o", 100, datacenter=dc)
        assert text.vectors == estimate("gpt-4o", 100, datacenter=as_range).vectors
        emb = tokenprint.estimate_embedding("text-embedding-3-small", 100, datacenter=dc)
        assert emb.errors == [] and emb.energy is not None
        img = tokenprint.estimate_image("dall-e-3", datacenter={"pue": pair})
        assert img.errors == [] and img.energy is not None
        with tokenprint.EcoLogits.site(datacenter=dc):
            pass


def test_the_estimator_checks_site_settings_given_to_it_directly() -> None:
    from tokenprint.estimator import Estimator
    from tokenprint.records import Usage

    u = Usage("openai", "gpt-4o", output_tokens=100)
    listed = Estimator().compute(u, datacenter={"pue": [1.1, 1.3]})
    assert listed.vectors == Estimator().compute(u, datacenter={"pue": (1.1, 1.3)}).vectors
    assert listed.vectors == estimate("gpt-4o", 100, datacenter={"pue": [1.1, 1.3]}).vectors
    with pytest.raises(InvalidArgumentError, match="pue: low above high"):
        Estimator().compute(u, datacenter={"pue": [1.3, 1.1]})
    with pytest.raises(InvalidArgumentError, match=r"datacenters\.openai: pue: must be >= 1"):
        Estimator(datacenters={"openai": {"pue": -1.2}})


def test_a_datacenter_profile_given_whole_is_checked() -> None:
    from tokenprint.catalog.datacenters import get_datacenter

    dc = get_datacenter("openai")
    assert dc is not None
    with pytest.raises(InvalidArgumentError, match=r"pue: must be >= 1, got -1\.2"):
        estimate("gpt-4o", 100, datacenter=dc._replace(pue=-1.2))
    with pytest.raises(InvalidArgumentError, match="wue: must be finite"):
        tokenprint.estimate_embedding(
            "text-embedding-3-small", 100, datacenter=dc._replace(wue=math.nan)
        )
    with pytest.raises(InvalidArgumentError, match="pue: must be >= 1"):
        tokenprint.EcoLogits.site(datacenter=dc._replace(pue=0.5))
    listed = estimate("gpt-4o", 100, datacenter=dc._replace(pue=[1.1, 1.3]))  # type: ignore[arg-type]
    assert listed.vectors == estimate("gpt-4o", 100, datacenter={"pue": (1.1, 1.3)}).vectors


@pytest.mark.parametrize("datacenter", [42, 1.5, ["openai"]])
def test_a_datacenter_of_another_type_raises(datacenter: Any) -> None:
    with pytest.raises(InvalidTypeError, match="datacenter must be"):
        estimate("gpt-4o", 100, datacenter=datacenter)
    with pytest.raises(InvalidTypeError, match="datacenter must be"):
        tokenprint.estimate_image("dall-e-3", datacenter=datacenter)
    with pytest.raises(InvalidTypeError, match="datacenter must be"):
        tokenprint.EcoLogits.site(datacenter=datacenter)
