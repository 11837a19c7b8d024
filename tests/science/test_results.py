"""Impacts and its criteria: values, phases, sums, units, comparisons, serialisation."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from typing import Any

import pint
import pytest
from anthropic.types import Message
from openai.types.chat import ChatCompletion

from tokenprint.impacts.ranges import Range
from tokenprint.impacts.results import (
    GWP,
    WCF,
    Basis,
    Energy,
    ErrorMessage,
    Impact,
    Impacts,
    WarningMessage,
)

# usage energy, gwp, adpe, pe, wcf; embodied gwp, adpe, pe
LOW = (1.0, 2.0, 3.0, 4.0, 5.0, 0.5, 0.25, 0.125)
HIGH = (2.0, 4.0, 6.0, 8.0, 10.0, 1.0, 0.5, 0.25)
# best estimates inside the bounds, away from both midpoints (to tell them apart)
MID = (1.25, 2.5, 4.0, 5.0, 6.0, 0.6, 0.3, 0.2)
# (P5, central, P95) of the energy parts (accelerators, host, idle, facility) then the
# water parts (onsite, offsite); the centrals add up to MID's energy 1.25 and water 6.0
PARTS = (
    (0.6, 0.2, 0.1, 0.1, 1.0, 4.0),
    (0.75, 0.25, 0.125, 0.125, 1.5, 4.5),
    (1.2, 0.4, 0.2, 0.2, 2.0, 8.0),
)


def _impacts(**kwargs: Any) -> Impacts:
    return Impacts(LOW, HIGH, basis=Basis(model="m", methodology_version="1.0"), **kwargs)


def _value(x: Impact | None) -> Range | float:
    assert x is not None
    return x.value


def test_totals_add_usage_and_embodied_phases() -> None:
    i = _impacts()
    assert _value(i.energy) == Range(1.0, 2.0)  # energy is usage only
    assert _value(i.gwp) == Range(2.5, 5.0)
    assert _value(i.adpe) == Range(3.25, 6.5)
    assert _value(i.pe) == Range(4.125, 8.25)
    assert _value(i.wcf) == Range(5.0, 10.0)  # water is usage only


def test_phases_expose_their_own_values() -> None:
    i = _impacts()
    assert i.usage is not None and i.embodied is not None
    assert i.usage.gwp.value == Range(2.0, 4.0)
    assert i.usage.wcf.value == Range(5.0, 10.0)
    assert i.embodied.gwp.value == Range(0.5, 1.0)
    assert i.embodied.pe.value == Range(0.125, 0.25)
    assert i.usage.energy.unit == "kWh"
    assert i.embodied.adpe.unit == "kgSbeq"


def test_bounds_are_the_values_as_plain_floats() -> None:
    """What exporters read: the same numbers as the Impact objects, phases and totals."""
    i = Impacts(LOW, HIGH, central=MID)
    b = i.bounds()
    assert b["usage"]["gwp"] == (2.0, 2.5, 4.0)
    assert b["embodied"] == {
        "gwp": (0.5, 0.6, 1.0),
        "adpe": (0.25, 0.3, 0.5),
        "pe": (0.125, 0.2, 0.25),
    }
    assert b["total"]["gwp"] == (2.5, 3.1, 5.0)
    assert b["total"]["energy"] == (1.0, 1.25, 2.0)  # usage only
    for name, (low, central, high) in b["total"].items():
        x = i.criterion(name)
        assert x is not None and (x.min, x.central, x.max) == (low, central, high)
    assert Impacts.failed(ErrorMessage("model-not-found", "m")).bounds() == {}


def test_exact_value_is_a_float_uncertain_value_a_range() -> None:
    exact = Impacts(LOW)
    assert isinstance(_value(exact.energy), float)
    assert _value(exact.energy) == 1.0
    r = _value(_impacts().energy)
    assert isinstance(r, Range)
    assert (r.min, r.max, r.mean) == (1.0, 2.0, 1.5)


def test_units_follow_ecologits() -> None:
    i = _impacts()
    units = [x.unit for x in (i.energy, i.gwp, i.adpe, i.pe, i.wcf) if x is not None]
    assert units == ["kWh", "kgCO2eq", "kgSbeq", "MJ", "L"]


def test_failed_impacts_have_no_values_and_carry_the_error() -> None:
    err = ErrorMessage("model-not-registered", "model 'x' is not in the catalogue")
    i = Impacts.failed(err, Basis(model="x"))
    assert not i.has_values
    assert i.has_errors and not i.has_warnings
    assert i.energy is None and i.gwp is None and i.usage is None and i.embodied is None
    assert i.vectors is None
    assert i.errors == [err]
    d = i.to_dict()
    assert d["energy"] is None and d["errors"][0]["code"] == "model-not-registered"


def test_sum_adds_bounds_and_skips_failed_items_keeping_errors() -> None:
    err = ErrorMessage("model-not-registered", "no")
    warn = WarningMessage("model-arch-not-released", "estimated")
    total = Impacts.sum([_impacts(warnings=[warn]), _impacts(warnings=[warn]), Impacts.failed(err)])
    assert total.vectors == (tuple(2 * x for x in LOW), tuple(2 * x for x in HIGH))
    assert total.errors == [err]
    assert total.warnings == [warn]  # deduplicated
    assert total.has_warnings and total.has_errors
    assert total.basis.requests == 3
    assert total.methodology_version == "1.0"


def test_sci_is_gwp_per_request_and_per_token_in_grams() -> None:
    basis = Basis(model="m", input_tokens=300, output_tokens=100, reasoning_tokens=40)
    sci = Impacts(LOW, HIGH, central=MID, basis=basis).sci
    assert sci is not None
    # E x I (usage GWP) + M (embodied GWP), kg -> g
    assert (sci.total.min, sci.total.central, sci.total.max) == (2500.0, 3100.0, 5000.0)
    assert sci.total.unit == "gCO2eq"
    assert sci.per_request is not None and sci.per_request.central == 3100.0
    per_token = sci.per_token
    assert per_token is not None  # reasoning tokens are part of the 100 output tokens
    assert per_token.min == pytest.approx(2500.0 / 400)
    assert per_token.max == pytest.approx(5000.0 / 400)
    assert sci.to_dict()["per_token"]["central"] == pytest.approx(3100.0 / 400)
    assert Impacts(LOW, HIGH, central=MID, basis=basis).to_dict()["sci"]["tokens"] == 400


def test_sci_of_a_sum_counts_only_estimated_requests_and_their_tokens() -> None:
    one = Impacts(LOW, HIGH, central=MID, basis=Basis(input_tokens=30, output_tokens=10))
    failed = Impacts.failed(ErrorMessage("model-not-registered", "no"), Basis(input_tokens=99))
    total = Impacts.sum([one, one, failed])
    assert (total.basis.requests, total.basis.unestimated) == (3, 1)
    assert (total.basis.input_tokens, total.basis.output_tokens) == (60, 20)
    sci = total.sci
    assert sci is not None and (sci.requests, sci.tokens) == (2, 80)
    assert sci.per_request is not None and sci.per_request.central == pytest.approx(3100.0)
    # a sum of sums keeps the count of requests without impacts
    assert Impacts.sum([total, failed]).basis.unestimated == 2


def test_sci_is_absent_without_values_and_per_token_without_tokens() -> None:
    assert Impacts.failed(ErrorMessage("model-not-registered", "no")).sci is None
    assert Impacts.failed(ErrorMessage("x", "y")).to_dict()["sci"] is None
    image = Impacts(LOW, HIGH, basis=Basis(modality="image", images=2)).sci
    assert image is not None and image.per_token is None and image.per_request is not None


def test_sum_of_nothing_is_zero() -> None:
    total = Impacts.sum([])
    assert total.vectors == ((0.0,) * 8, (0.0,) * 8)
    assert total.basis.requests == 0


def test_plus_operator_sums() -> None:
    total = _impacts() + _impacts()
    assert _value(total.gwp) == Range(5.0, 10.0)


def test_plus_with_a_foreign_type_raises_type_error() -> None:
    with pytest.raises(TypeError):
        _ = _impacts() + 1  # type: ignore[operator]


def test_criterion_by_name() -> None:
    i = _impacts()
    assert i.criterion("wcf") is not None
    with pytest.raises(ValueError, match="unknown criterion"):
        i.criterion("co2")


# -- units -------------------------------------------------------------------------------


def test_energy_converts_to_wh_with_pint() -> None:
    e = Energy(Range(0.001, 0.002)).to("Wh")
    assert e.unit == "Wh"
    assert e.min == pytest.approx(1.0) and e.max == pytest.approx(2.0)


def test_gwp_converts_to_grams_and_keeps_its_label() -> None:
    g = GWP(0.0003).to("g")
    assert g.unit == "gCO2eq"
    assert g.value == pytest.approx(0.3)
    assert GWP(0.0003).to("gCO2eq").unit == "gCO2eq"


def test_water_converts_to_millilitres() -> None:
    w = WCF(0.5).to("mL")
    assert w.value == pytest.approx(500.0)


def test_conversion_to_an_incompatible_unit_raises() -> None:
    with pytest.raises(pint.DimensionalityError):
        Energy(1.0).to("g")


def test_quantity_gives_a_pint_quantity_of_a_bound() -> None:
    q = Energy(Range(1.0, 4.0)).quantity("max")
    assert q.to("Wh").magnitude == pytest.approx(4000.0)
    # the default bound is the best estimate: here the geometric midpoint sqrt(1 * 4) = 2,
    # not the arithmetic mean 2.5
    assert Energy(Range(1.0, 4.0)).quantity().magnitude == pytest.approx(2.0)
    assert Energy(Range(1.0, 4.0)).quantity("mean").magnitude == pytest.approx(2.5)
    assert Energy(Range(1.0, 4.0, central=3.0)).quantity().magnitude == pytest.approx(3.0)
    assert Energy(Range(1.0, 4.0)).quantity("min").magnitude == pytest.approx(1.0)


def test_import_and_values_do_not_load_pint_until_a_unit_is_used() -> None:
    code = (
        "import sys\n"
        "from tokenprint.impacts.results import Impacts\n"
        "i = Impacts((1.0,)*8, (2.0,)*8)\n"
        "_ = (i.gwp.value, i.to_json(), i.usage.energy.value)\n"
        "before = 'pint' in sys.modules\n"
        "_ = i.energy.to('Wh')\n"
        "print(before, 'pint' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


# -- comparisons -------------------------------------------------------------------------


def test_comparisons_with_amount_strings_are_certain() -> None:
    gwp = GWP(Range(0.0002, 0.0004))  # 0.2-0.4 g
    assert gwp < "0.5 g"
    assert not gwp < "0.3 g"  # the upper bound is above
    assert gwp > "0.1 gCO2eq"
    assert not gwp > "0.3 gCO2eq"
    assert gwp <= "0.4 g" and gwp >= "0.2 g"


def test_comparisons_with_pint_quantities_of_any_registry() -> None:
    energy = Energy(0.002)  # kWh
    own: Any = pint.UnitRegistry()
    assert energy < own.Quantity(3, "Wh")
    assert energy > pint.get_application_registry().Quantity(1, "Wh")  # type: ignore[no-untyped-call]
    assert energy == own.Quantity(2, "Wh")


def test_point_value_equals_the_same_amount_in_another_unit() -> None:
    assert Energy(0.002) == "2 Wh"
    assert WCF(0.01) == "10 mL"
    assert Energy(Range(0.001, 0.002)) != "2 Wh"  # a range is not a point


def test_equality_with_a_non_quantity_is_not_implemented_and_false() -> None:
    e = Energy(1.0)
    assert e.__eq__(5) is NotImplemented
    assert e.__eq__(object()) is NotImplemented
    assert (e == 5) is False
    assert (e == None) is False  # noqa: E711
    assert (e == "not an amount") is False
    assert (e == "1 g") is False  # wrong dimension: not equal, no exception
    assert e != [1]


def test_ordering_against_a_non_quantity_raises_type_error() -> None:
    with pytest.raises(TypeError):
        _ = Energy(1.0) < 5  # type: ignore[operator]


def test_ordering_against_a_wrong_dimension_raises_value_error() -> None:
    with pytest.raises(ValueError, match="energy"):
        _ = Energy(1.0) < "1 g"


def test_comparisons_between_impacts_of_one_criterion() -> None:
    assert GWP(Range(1, 2)) < GWP(Range(3, 4))
    assert not GWP(Range(1, 3)) < GWP(Range(2, 4))
    assert GWP(0.5) == GWP(500.0, "gCO2eq")
    assert GWP(1.0) == GWP(1.0).to("g")
    assert GWP(1.0) != Energy(1.0)


def test_impacts_of_one_criterion_add() -> None:
    total = GWP(Range(1, 2)) + GWP(0.5)
    assert total.value == Range(1.5, 2.5)


# -- messages ----------------------------------------------------------------------------


def test_messages_carry_code_text_and_a_docs_anchor() -> None:
    w = WarningMessage("model-fuzzy-matched", "matched x")
    assert str(w) == "[model-fuzzy-matched] matched x"
    assert w.docs_url.endswith("#model-fuzzy-matched")
    assert w.to_dict() == {"code": "model-fuzzy-matched", "message": "matched x"}
    assert w == WarningMessage("model-fuzzy-matched", "matched x")
    assert w != ErrorMessage("model-fuzzy-matched", "matched x")


# -- serialisation -----------------------------------------------------------------------


def test_to_json_round_trips_values_and_basis() -> None:
    d = json.loads(_impacts().to_json())
    # no central given: each phase's central is the geometric midpoint of its bounds, and
    # a total's central the sum of its phases' (sqrt(2*4) + sqrt(0.5*1) = 2.5 * sqrt(2))
    assert d["gwp"]["value"] == {
        "min": 2.5,
        "max": 5.0,
        "mean": 3.75,
        "central": pytest.approx(2.5 * 2**0.5),
    }
    assert d["gwp"]["unit"] == "kgCO2eq"
    assert d["usage"]["energy"]["value"]["max"] == 2.0
    assert d["embodied"]["gwp"]["value"]["min"] == 0.5
    assert d["basis"]["model"] == "m"
    assert d["methodology_version"] == "1.0"
    assert json.loads(_impacts().model_dump_json()) == _impacts().model_dump()


def _chat_completion() -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-4o-2024-08-06",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Hello"},
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
        }
    )


def _anthropic_message() -> Message:
    return Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-3-5-sonnet-20241022",
            "content": [{"type": "text", "text": "Hello"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 5, "output_tokens": 1},
        }
    )


@pytest.mark.parametrize("make", [_chat_completion, _anthropic_message])
def test_impacts_attached_to_an_sdk_response_survive_model_dump(make: Any) -> None:
    resp = make()
    resp.impacts = _impacts(warnings=[WarningMessage("model-arch-not-released", "est")])
    dumped = resp.model_dump()
    assert dumped["impacts"]["gwp"]["value"]["max"] == 5.0
    assert dumped["impacts"]["warnings"][0]["code"] == "model-arch-not-released"
    as_json = json.loads(resp.model_dump_json())
    assert as_json["impacts"]["energy"]["unit"] == "kWh"
    assert as_json["impacts"]["basis"]["methodology_version"] == "1.0"
    assert (
        json.loads(json.dumps(resp.model_dump(mode="json")))["impacts"]["wcf"]["value"]["min"]
        == 5.0
    )
    assert resp.impacts.gwp is not None  # still our object, not a dict


@pytest.mark.parametrize("make", [_chat_completion, _anthropic_message])
def test_failed_impacts_attached_to_an_sdk_response_serialise(make: Any) -> None:
    resp = make()
    resp.impacts = Impacts.failed(ErrorMessage("model-not-registered", "unknown"))
    as_json = json.loads(resp.model_dump_json())
    assert as_json["impacts"]["energy"] is None
    assert as_json["impacts"]["errors"] == [{"code": "model-not-registered", "message": "unknown"}]


def test_repr_names_the_criteria_or_the_errors() -> None:
    given = Impacts(LOW, HIGH, central=MID)
    assert "gwp=GWP(value=Range(min=2.5, max=5.0, central=3.1), unit='kgCO2eq')" in repr(given)
    assert "energy=Energy(value=Range(min=1.0, max=2.0, central=1.25), unit='kWh')" in repr(given)
    failed = Impacts.failed(ErrorMessage("model-not-registered", "no"))
    assert repr(failed).startswith("Impacts(errors=")


def test_str_gives_the_best_estimate_then_the_interval() -> None:
    given = Impacts(LOW, HIGH, central=MID)
    assert str(given.gwp) == "3.1 kgCO2eq (2.5–5)"
    assert str(given.energy) == "1.25 kWh (1–2)"
    assert str(Energy(Range(1.0, 4.0))) == "2 kWh (1–4)"  # no central given: sqrt(1 * 4)
    assert str(Energy(0.5)) == "0.5 kWh"  # exact: no interval


def test_given_central_values_and_breakdowns_serialise_and_round_trip() -> None:
    i = Impacts(LOW, HIGH, central=MID, parts=PARTS, basis=Basis(model="m"))
    assert i.gwp is not None and i.energy is not None and i.wcf is not None
    assert i.gwp.central == pytest.approx(3.1)  # usage 2.5 + embodied 0.6
    assert i.gwp.min <= i.gwp.central <= i.gwp.max
    d = i.to_dict()
    assert d["gwp"]["value"]["central"] == pytest.approx(3.1)
    assert d["usage"]["gwp"]["value"]["central"] == 2.5
    assert d["embodied"]["gwp"]["value"]["central"] == 0.6
    assert d["energy"]["breakdown"]["accelerators"] == {
        "min": 0.6,
        "max": 1.2,
        "mean": pytest.approx(0.9),
        "central": 0.75,
    }
    assert d["wcf"]["breakdown"]["offsite"]["central"] == 4.5
    assert sum(v["central"] for v in d["energy"]["breakdown"].values()) == pytest.approx(1.25)
    assert json.loads(i.to_json()) == d
    assert json.loads(i.model_dump_json()) == i.model_dump()
    assert pickle.loads(pickle.dumps(i)).to_dict() == d
    # without parts there is no breakdown, in the objects or the JSON
    assert _impacts().energy.breakdown is None  # type: ignore[union-attr]
    assert "breakdown" not in _impacts().to_dict()["energy"]


def test_sum_adds_central_values_and_breakdowns() -> None:
    one = Impacts(LOW, HIGH, central=MID, parts=PARTS)
    total = Impacts.sum([one, one])
    assert total.central_vector == tuple(2 * x for x in MID)
    assert total.parts == tuple(tuple(2 * x for x in q) for q in PARTS)
    # a single item without a breakdown leaves the sum without one
    assert Impacts.sum([one, Impacts(LOW, HIGH, central=MID)]).parts is None


def test_impacts_survive_deepcopy_and_pickle_of_the_response() -> None:
    resp: Any = _chat_completion()
    resp.impacts = _impacts(warnings=[WarningMessage("model-arch-not-released", "est")])
    copied = resp.model_copy(deep=True)
    assert copied.impacts.to_dict() == resp.impacts.to_dict()
    restored = pickle.loads(pickle.dumps(resp))
    assert restored.impacts.to_dict() == resp.impacts.to_dict()
    assert copy.deepcopy(Range(1, 2)) == Range(1, 2)


def test_a_deferred_basis_is_built_once_on_first_read_and_pickled_built() -> None:
    calls: list[int] = []

    def build() -> Basis:
        calls.append(1)
        return Basis(provider="openai", model="gpt-4o-mini", output_tokens=7)

    impacts = Impacts(LOW, HIGH, basis=build)
    assert calls == []  # nothing built until read
    assert impacts.basis.output_tokens == 7
    assert impacts.basis is impacts.basis
    assert calls == [1]
    restored = pickle.loads(pickle.dumps(Impacts(LOW, HIGH, basis=build)))
    assert restored.basis == build()
    assert restored.to_dict() == impacts.to_dict()


def test_estimate_basis_matches_its_usage() -> None:
    from tokenprint import estimate

    b = estimate("gpt-4o-mini", output_tokens=300, input_tokens=20, zone="FRA").basis
    assert (b.model_resolved, b.input_tokens, b.output_tokens, b.zone) == (
        "gpt-4o-mini",
        20,
        300,
        "FRA",
    )
    assert b.methodology_version


# -- deferred ------------------------------------------------------------------------------
def test_deferred_impacts_compute_once_on_the_first_read_of_any_value() -> None:
    calls: list[int] = []

    def compute() -> Impacts:
        calls.append(1)
        return _impacts(warnings=[WarningMessage("model-arch-not-released", "est")])

    for read in ("gwp", "usage", "basis", "warnings", "errors", "vectors", "to_dict", "repr"):
        calls.clear()
        lazy = Impacts.deferred(compute)
        assert calls == []
        value = (
            repr(lazy)
            if read == "repr"
            else lazy.to_dict()
            if read == "to_dict"
            else getattr(lazy, read)
        )
        assert value is not None, read
        assert calls == [1], read
        assert lazy.to_dict() == _impacts(warnings=compute().warnings).to_dict()
        assert calls == [1, 1], read  # the second call above is the expectation's own


def test_deferred_impacts_pickle_and_copy_computed() -> None:
    lazy = Impacts.deferred(_impacts)
    restored = pickle.loads(pickle.dumps(lazy))
    assert restored.to_dict() == _impacts().to_dict()
    assert copy.deepcopy(Impacts.deferred(_impacts)).to_dict() == _impacts().to_dict()
    resp: Any = _chat_completion()
    resp.impacts = Impacts.deferred(_impacts)
    assert resp.model_dump()["impacts"]["gwp"]["value"]["max"] == 5.0


def test_unknown_attributes_of_impacts_still_raise_attribute_error() -> None:
    for impacts in (_impacts(), Impacts.deferred(_impacts)):
        assert not hasattr(impacts, "nope")
        with pytest.raises(AttributeError, match="'Impacts' object has no attribute 'nope'"):
            impacts.nope  # type: ignore[attr-defined]  # noqa: B018


def test_a_deferred_computation_failing_with_attribute_error_is_not_taken_for_a_missing_name() -> (
    None
):
    def broken() -> Impacts:
        raise AttributeError("inner")

    with pytest.raises(RuntimeError, match="deferred impacts failed: inner"):
        Impacts.deferred(broken).gwp  # noqa: B018


def test_threads_reading_one_deferred_impacts_at_once_all_see_the_values() -> None:
    import threading
    import time

    def slow() -> Impacts:
        time.sleep(0.01)  # every thread finds the slots empty
        return _impacts()

    lazy = Impacts.deferred(slow)
    start = threading.Barrier(16)
    seen: list[Any] = []

    def read() -> None:
        start.wait()
        seen.append((lazy.gwp, lazy.basis.model, lazy.errors))

    threads = [threading.Thread(target=read) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 16
    assert all(s == (GWP(Range(2.5, 5.0)), "m", []) for s in seen)
