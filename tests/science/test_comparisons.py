"""Comparisons that read naturally: ``impacts.gwp < "0.3 g"``, ``energy.to("Wh")``, pint
quantities in and out, and no exception from ``==`` with something that is not an amount.

The base cases live in test_results.py; these pin the sentences users write in tests and
budgets, for every criterion.
"""

from __future__ import annotations

from typing import Any

import pint
import pytest

import tokenprint
from tokenprint import Budget, BudgetExceeded, events
from tokenprint.impacts.results import Impact, Impacts
from tokenprint.records import RequestRecord, Usage

IMPACTS = tokenprint.estimate("gpt-4o", 400, 200)

# criterion -> (a unit users write, factor from the canonical unit to it)
UNITS = {
    "energy": ("Wh", 1e3),
    "gwp": ("g", 1e3),
    "adpe": ("mg", 1e6),
    "pe": ("kJ", 1e3),
    "wcf": ("mL", 1e3),
}


def crit(name: str) -> Impact:
    x = IMPACTS.criterion(name)
    assert x is not None and x.min < x.max
    return x


@pytest.mark.parametrize("name", sorted(UNITS))
def test_comparisons_are_certain_for_every_criterion(name: str) -> None:
    x = crit(name)
    unit, f = UNITS[name]
    above, inside, below = x.max * f * 1.01, x.mean * f, x.min * f * 0.99
    assert x < f"{above} {unit}" and x <= f"{above} {unit}"
    assert x > f"{below} {unit}" and x >= f"{below} {unit}"
    # inside the range: neither certainly below nor certainly above
    assert not x < f"{inside} {unit}" and not x > f"{inside} {unit}"


@pytest.mark.parametrize("name", sorted(UNITS))
def test_a_converted_impact_compares_the_same(name: str) -> None:
    x = crit(name)
    unit, f = UNITS[name]
    y = x.to(unit)
    assert y.unit.startswith(unit)
    assert y.max == pytest.approx(x.max * f)
    amount = f"{x.max * f * 1.01} {unit}"
    assert (y < amount) == (x < amount) is True


def test_strings_on_the_left_are_reflected() -> None:
    gwp = crit("gwp")
    assert f"{gwp.max * 1000 * 1.01} g" > gwp
    assert f"{gwp.min * 1000 * 0.99} gCO2eq" < gwp


def test_pint_quantities_in_and_out() -> None:
    gwp = crit("gwp")
    ureg = pint.get_application_registry()  # type: ignore[no-untyped-call]
    other: Any = pint.UnitRegistry()  # a host's own registry works as well
    assert gwp < ureg.Quantity(gwp.max * 1000 * 1.01, "g")
    assert gwp > other.Quantity(gwp.min * 1e6 * 0.99, "mg")
    q = gwp.quantity("max")
    assert q.to("g").magnitude == pytest.approx(gwp.max * 1000)
    assert q < ureg.Quantity(gwp.max * 1000 * 1.01, "g")  # plain pint from here on


@pytest.mark.parametrize("other", [object(), None, [1], {"a": 1}, 0.5, "banana", "3 Wh"])
def test_equality_with_what_is_not_an_amount_of_this_criterion_is_false(other: object) -> None:
    gwp = crit("gwp")
    assert (gwp == other) is False
    assert (gwp != other) is True
    assert gwp in [other, gwp]


def test_ordering_against_a_number_or_another_criterion_raises_type_error() -> None:
    gwp, energy = crit("gwp"), crit("energy")
    assert gwp.__lt__(0.5) is NotImplemented
    with pytest.raises(TypeError):
        _ = gwp < 0.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = gwp < energy


def test_impacts_of_one_criterion_sort() -> None:
    small = tokenprint.estimate("gpt-4o-mini", 10).gwp
    big = tokenprint.estimate("gpt-4o", 5000).gwp
    assert small is not None and big is not None
    assert sorted([big, small]) == [small, big]
    assert small < big


@pytest.mark.parametrize("factor", [0.5, 0.999, 1.001, 2.0])
def test_a_budget_agrees_with_the_comparison(factor: float) -> None:
    """``Budget(per_request={"gwp": A})`` breaks exactly when ``not gwp <= A``."""
    gwp = crit("gwp")
    amount = f"{gwp.max * 1000 * factor} g"
    record = RequestRecord.now(Usage("openai", "gpt-4o", 200, 400), IMPACTS, {})
    breaks = False
    with Budget(per_request={"gwp": amount}):
        try:
            events.run_after(record)
        except BudgetExceeded:
            breaks = True
    assert breaks == (not gwp <= amount)


def test_sums_compare_too() -> None:
    total = Impacts.sum([IMPACTS, IMPACTS])
    gwp, one = total.gwp, crit("gwp")
    assert gwp is not None
    assert gwp > f"{one.min * 1000 * 1.5} g"
