"""Budgets: limits, modes (warn, raise, block), bounds, scopes and the global budget.

Requests go through the real hooks (``events.run_before``/``run_after``) the way the
instrumentation core calls them; impacts come from ``tokenprint.estimate()``.
"""

from __future__ import annotations

import asyncio
import warnings

import pint
import pytest

import tokenprint
from tokenprint import Budget, BudgetExceeded, BudgetWarning, EcoLogits, events
from tokenprint.budgets import Limit, worst_case
from tokenprint.errors import InvalidArgumentError, InvalidTypeError, TokenprintError
from tokenprint.impacts.results import Impacts
from tokenprint.records import Pending, RequestRecord, Usage

MODEL = "gpt-4o-mini"


def impacts_of(output: int = 100, inp: int = 50, model: str = MODEL) -> Impacts:
    return tokenprint.estimate(model, output, inp, provider="openai")


def send(output: int = 100, inp: int = 50, model: str = MODEL) -> RequestRecord:
    """What the core does after a response: run the after-hooks with the record."""
    record = RequestRecord.now(
        Usage("openai", model, inp, output), impacts_of(output, inp, model), {}
    )
    events.run_after(record)
    return record


def pending(max_output: int | None, inp: int = 50, model: str = MODEL) -> Pending:
    return Pending("openai", model, max_output, inp, endpoint="chat.completions.create")


def grams(output: int = 100, bound: str = "max") -> float:
    """GWP of one standard request, in grams."""
    gwp = impacts_of(output).gwp
    assert gwp is not None
    return gwp.bound(bound) * 1000.0


# -- limits ----------------------------------------------------------------------------------
def test_limits_read_strings_with_units_and_pint_quantities() -> None:
    ureg = pint.get_application_registry()  # type: ignore[no-untyped-call]
    b = Budget(
        per_request={"gwp": "0.5 g", "energy": ureg.Quantity(2, "Wh")},
        total={"water": "10 mL", "pe": "1 kJ", "adpe": "1e-9 kgSbeq"},
    )
    got = {lim.criterion: lim.amount for lim in (*b.per_request, *b.totals_limits)}
    assert got == pytest.approx(
        {"gwp": 0.0005, "energy": 0.002, "wcf": 0.01, "pe": 0.001, "adpe": 1e-9}
    )


def test_gwp_limit_accepts_the_co2eq_label() -> None:
    assert Limit.parse("gwp", "0.5 gCO2eq").amount == pytest.approx(0.0005)


@pytest.mark.parametrize(
    ("limits", "error"),
    [
        ({"gwp": 0.5}, InvalidTypeError),  # no unit
        ({"gwp": object()}, InvalidTypeError),
        ({"carbon": "1 g"}, InvalidArgumentError),  # unknown criterion
        ({"energy": "2 g"}, InvalidArgumentError),  # wrong dimension
        ({"gwp": "lots"}, InvalidArgumentError),
        ({"gwp": "-1 g"}, InvalidArgumentError),
        ({"water": "1 L", "wcf": "2 L"}, InvalidArgumentError),  # same criterion twice
    ],
)
def test_bad_limits_are_refused_with_a_tokenprint_error(
    limits: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        Budget(per_request=limits)


def test_budget_needs_limits_a_known_mode_and_bound() -> None:
    with pytest.raises(InvalidArgumentError):
        Budget()
    with pytest.raises(InvalidArgumentError):
        Budget(total={"gwp": "1 g"}, mode="explode")
    with pytest.raises(InvalidArgumentError):
        Budget(total={"gwp": "1 g"}, bound="median")
    with pytest.raises(InvalidArgumentError):
        Budget(total={"gwp": "1 g"}, assume_output_tokens=-1)


def test_budget_exceeded_is_a_tokenprint_error() -> None:
    assert issubclass(BudgetExceeded, TokenprintError)
    assert issubclass(BudgetWarning, UserWarning)


# -- raise mode ------------------------------------------------------------------------------
def test_raise_mode_raises_after_the_request_with_the_record_and_totals() -> None:
    limit = grams() * 0.5
    with (
        EcoLogits.track() as t,
        pytest.raises(BudgetExceeded) as info,
        Budget(per_request={"gwp": f"{limit} g"}),
    ):
        send(output=100)
    exc = info.value
    assert isinstance(exc.request, RequestRecord)
    assert exc.request.usage.output_tokens == 100
    assert isinstance(exc.totals, Impacts) and exc.totals.basis.requests == 1
    assert exc.criterion == "gwp"
    msg = str(exc)
    assert "gwp per-request" in msg and "exceeds the budget of" in msg and "gpt-4o-mini" in msg
    assert f"{limit:.4g} g" in msg
    assert len(t) == 1  # the tracker still saw the request


def test_exhausted_once_a_total_limit_is_reached() -> None:
    b = Budget(total={"gwp": f"{grams() * 2.5} g"}, mode="warn")
    assert not b.exhausted
    with b, pytest.warns(BudgetWarning):
        send()
        send()
        assert not b.exhausted  # 2 of 2.5 requests' worth
        send()
    assert b.exhausted
    b.reset()
    assert not b.exhausted


def test_remaining_is_what_is_left_of_a_total_in_any_unit() -> None:
    b = Budget(total={"gwp": "1 g"}, per_request={"energy": "1 kWh"})
    assert b.remaining("gwp", "g") == pytest.approx(1.0)
    send()
    spent = b.spent.gwp
    assert spent is not None and spent.max == 0.0  # not active: nothing charged
    with b:
        send()
    left = b.remaining("gwp", "mg")
    assert left == pytest.approx(1000.0 - grams() * 1000.0)
    assert b.remaining("gwp") == pytest.approx(0.001 - grams() / 1000.0)
    assert b.remaining("energy") is None


def test_request_under_budget_passes() -> None:
    with Budget(per_request={"gwp": f"{grams() * 2} g"}, total={"energy": "1 kWh"}) as b:
        send()
        send()
    assert b.spent.basis.requests == 2


def test_total_budget_breaks_on_the_request_that_crosses_it() -> None:
    one = grams()
    b = Budget(total={"gwp": f"{one * 2.5} g"})
    with b:
        send()
        send()
        with pytest.raises(BudgetExceeded, match="gwp total") as info:
            send()
    totals = info.value.totals
    assert isinstance(totals, Impacts)
    assert totals.basis.requests == 3
    remaining = b.remaining("gwp")
    assert remaining == 0.0


def test_other_after_hooks_still_run_when_a_budget_raises() -> None:
    seen: list[RequestRecord] = []
    events.add_after(seen.append)
    try:
        with pytest.raises(BudgetExceeded), Budget(per_request={"energy": "0 Wh"}):
            send()
    finally:
        events.remove(seen.append)
    assert len(seen) == 1


def test_an_unknown_model_is_not_charged_but_warned_once_per_model() -> None:
    with (
        pytest.warns(BudgetWarning, match="no-such-model-xyz") as warned,
        Budget(per_request={"gwp": "0 g"}) as b,
    ):
        send(model="no-such-model-xyz")
        send(model="no-such-model-xyz")
    assert b.spent.basis.requests == 0
    assert len([w for w in warned if "no-such-model-xyz" in str(w.message)]) == 1


def test_an_unknown_model_fails_a_budget_that_says_so() -> None:
    with (
        Budget(per_request={"gwp": "1 kg"}, unknown_model="fail"),
        pytest.raises(BudgetExceeded, match="'no-such-model-xyz' are unknown"),
    ):
        send(model="no-such-model-xyz")


def test_an_unknown_model_counts_as_the_model_a_budget_assumes() -> None:
    with Budget(total={"gwp": "1 kg"}, unknown_model="assume:gpt-4o-mini") as b:
        send(model="no-such-model-xyz")
    assert b.spent.basis.requests == 1
    spent, known = b.spent.gwp, impacts_of(100, 50, "gpt-4o-mini").gwp
    assert spent is not None and known is not None
    assert spent.max == pytest.approx(known.max)


def test_block_mode_refuses_an_unknown_model_when_the_budget_fails_them() -> None:
    with (
        Budget(total={"gwp": "1 kg"}, mode="block", unknown_model="fail"),
        pytest.raises(BudgetExceeded, match="refused before sending"),
    ):
        events.run_before(pending(max_output=100, model="no-such-model-xyz"))


def test_unknown_model_policy_is_checked() -> None:
    for bad in ("ignore", "assume:", 3):
        with pytest.raises(InvalidArgumentError, match="unknown_model"):
            Budget(total={"gwp": "1 g"}, unknown_model=bad)  # type: ignore[arg-type]


# -- warn mode -------------------------------------------------------------------------------
def test_warn_mode_warns_and_lets_the_request_through() -> None:
    with (
        pytest.warns(BudgetWarning, match="energy per-request"),
        Budget(per_request={"energy": "1e-9 Wh"}, mode="warn") as b,
    ):
        send()
    assert b.spent.basis.requests == 1


# -- bounds ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("bound", "breaks"), [("max", True), ("mean", True), ("min", False)])
def test_bound_picks_which_end_of_the_range_is_checked(bound: str, breaks: bool) -> None:
    low, high = grams(bound="min"), grams(bound="max")
    assert low < high
    limit = low + (high - low) * 0.25  # above the low bound, below mean and high
    b = Budget(per_request={"gwp": f"{limit} g"}, bound=bound)
    with b:
        if breaks:
            with pytest.raises(BudgetExceeded, match=f"\\({bound}\\)"):
                send()
        else:
            send()


# -- scopes ----------------------------------------------------------------------------------
def test_global_budget_applies_until_shutdown() -> None:
    EcoLogits.init(budget=Budget(per_request={"gwp": "0 g"}))
    with pytest.raises(BudgetExceeded):
        send()
    EcoLogits.shutdown()
    send()


def test_global_budget_from_a_mapping() -> None:
    EcoLogits.init(budget={"total": {"energy": "0 Wh"}, "mode": "warn"})
    with pytest.warns(BudgetWarning):
        send()


def test_global_and_scoped_budget_are_both_checked() -> None:
    glob = Budget(total={"gwp": "1 kg"})
    EcoLogits.init(budget=glob)
    with pytest.raises(BudgetExceeded), Budget(per_request={"gwp": "0 g"}) as scoped:
        send()
    assert glob.spent.basis.requests == 1
    assert scoped.spent.basis.requests == 1


def test_decorated_function_spends_one_allowance_across_calls() -> None:
    one = grams()
    budget = EcoLogits.budget(total={"gwp": f"{one * 1.5} g"})

    @budget
    def answer() -> None:
        send()

    answer()
    with pytest.raises(BudgetExceeded):
        answer()
    budget.reset()
    answer()
    assert budget.spent.basis.requests == 1


async def test_async_decorated_function_is_budgeted() -> None:
    @Budget(per_request={"gwp": "0 g"})
    async def answer() -> None:
        await asyncio.sleep(0)
        send()

    with pytest.raises(BudgetExceeded):
        await answer()
    send()  # outside: no budget


async def test_budgets_of_two_tasks_do_not_mix() -> None:
    one = grams()

    async def worker(n: int) -> Budget:
        b = Budget(total={"gwp": f"{one * 2.5} g"})
        async with b:
            for _ in range(n):
                send()
                await asyncio.sleep(0)
        return b

    a, b = await asyncio.gather(worker(2), worker(2))
    assert a.spent.basis.requests == 2 and b.spent.basis.requests == 2


# -- block mode ------------------------------------------------------------------------------
def test_before_hook_is_registered_only_while_a_blocking_budget_is_active() -> None:
    assert not bool(events.BEFORE)
    with Budget(total={"gwp": "1 g"}):
        assert not bool(events.BEFORE)
    with Budget(total={"gwp": "1 g"}, mode="block"):
        assert bool(events.BEFORE)
    assert not bool(events.BEFORE)
    EcoLogits.init(budget=Budget(total={"gwp": "1 g"}, mode="block"))
    assert bool(events.BEFORE)
    EcoLogits.shutdown()
    assert not bool(events.BEFORE)


def test_block_mode_refuses_a_request_whose_worst_case_does_not_fit() -> None:
    limit = grams(output=500)
    with Budget(per_request={"gwp": f"{limit} g"}, mode="block") as b:
        events.run_before(pending(max_output=400))  # fits
        with pytest.raises(BudgetExceeded, match="refused before sending") as info:
            events.run_before(pending(max_output=1000))
    assert info.value.request is None
    assert "would exceed" in str(info.value)
    assert b.spent.basis.requests == 0  # nothing was charged


def test_block_mode_counts_what_was_spent_against_the_total() -> None:
    one = grams(output=100)
    with Budget(total={"gwp": f"{one * 2.5} g"}, mode="block"):
        events.run_before(pending(max_output=100))
        send(output=100)
        events.run_before(pending(max_output=100))
        send(output=100)
        with pytest.raises(BudgetExceeded, match="gwp total"):
            events.run_before(pending(max_output=100))


def test_block_mode_without_max_tokens_checks_the_input_alone() -> None:
    tiny = grams(output=0) * 0.5  # less than the prompt alone
    with Budget(per_request={"gwp": f"{grams(output=10)} g"}, mode="block"):
        events.run_before(pending(max_output=None))  # output unknown: counted as 0
    with (
        Budget(per_request={"gwp": f"{tiny} g"}, mode="block"),
        pytest.raises(BudgetExceeded),
    ):
        events.run_before(pending(max_output=None))


def test_block_mode_assume_output_tokens_bounds_requests_without_max_tokens() -> None:
    limit = grams(output=500)
    with (
        Budget(per_request={"gwp": f"{limit} g"}, mode="block", assume_output_tokens=1000),
        pytest.raises(BudgetExceeded),
    ):
        events.run_before(pending(max_output=None))


def test_block_mode_still_raises_if_the_answer_went_over() -> None:
    with Budget(per_request={"gwp": f"{grams(output=10)} g"}, mode="block"):
        events.run_before(pending(max_output=None))
        with pytest.raises(BudgetExceeded, match="exceeds"):
            send(output=1000)


def test_block_mode_lets_unknown_models_through() -> None:
    with Budget(per_request={"gwp": "0 g"}, mode="block"):
        events.run_before(pending(max_output=1000, model="no-such-model-xyz"))


def test_worst_case_uses_max_tokens_and_the_input() -> None:
    worst = worst_case(pending(max_output=300, inp=80), None)
    assert worst.basis.output_tokens == 300 and worst.basis.input_tokens == 80
    expected = impacts_of(300, 80).gwp
    assert worst.gwp is not None and expected is not None
    assert worst.gwp.max == pytest.approx(expected.max)


def test_nothing_is_checked_without_trackers_or_budgets() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        send()
    events.run_before(pending(max_output=10**6))


def test_repr_shows_limits_in_the_users_units() -> None:
    text = repr(Budget(per_request={"gwp": "0.5 g"}, total={"water": "10 mL"}, mode="warn"))
    assert "gwp: 0.5 g" in text and "wcf: 10 mL" in text and "'warn'" in text


def test_spent_adds_the_best_estimates_of_the_requests() -> None:
    from tokenprint.records import Usage

    budget = tokenprint.Budget(total={"gwp": "1 kg"})
    a = tokenprint.estimate("gpt-4o", 500, 100)
    b = tokenprint.estimate("gpt-4o-mini", 300, 20)
    for impacts in (a, b):
        usage = Usage("openai", "gpt-4o", 0, 0, 0, 0, None, None, "text", "test")
        budget.charge(RequestRecord(usage, impacts, {}, 0.0))
    assert a.gwp is not None and b.gwp is not None and budget.spent.gwp is not None
    assert budget.spent.gwp.central == pytest.approx(a.gwp.central + b.gwp.central)
