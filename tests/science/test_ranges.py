"""Range: interval arithmetic, certain comparisons, pydantic round trip."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from tokenprint.impacts.ranges import Range, as_range, hi, lo, mid

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)


@st.composite
def ranges(draw: st.DrawFn, values: st.SearchStrategy[float] = finite) -> Range:
    a, b = draw(values), draw(values)
    return Range(min(a, b), max(a, b))


def test_point_range_has_equal_bounds_and_mean() -> None:
    r = Range(2.5)
    assert (r.min, r.max, r.mean, r.width) == (2.5, 2.5, 2.5, 0.0)
    assert r.is_point()


def test_min_above_max_is_refused() -> None:
    with pytest.raises(ValueError, match="min <= max"):
        Range(2.0, 1.0)


def test_nan_bound_is_refused() -> None:
    with pytest.raises(ValueError):
        Range(0.0, math.nan)
    with pytest.raises(ValueError):
        Range(math.nan, 1.0)


def test_mean_width_and_bound_by_name() -> None:
    r = Range(1.0, 3.0)
    assert r.mean == 2.0
    assert r.width == 2.0
    assert [r.bound("min"), r.bound("mean"), r.bound("max")] == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="bound"):
        r.bound("median")


def test_addition_adds_bounds() -> None:
    assert Range(1, 2) + Range(10, 20) == Range(11, 22)
    assert Range(1, 2) + 1 == Range(2, 3)
    assert 1 + Range(1, 2) == Range(2, 3)


def test_subtraction_takes_opposite_bounds() -> None:
    assert Range(10, 20) - Range(1, 2) == Range(8, 19)
    assert Range(10, 20) - 5 == Range(5, 15)
    assert 30 - Range(10, 20) == Range(10, 20)


def test_multiplication_by_negative_number_swaps_bounds() -> None:
    assert Range(1, 2) * 3 == Range(3, 6)
    assert Range(1, 2) * -1 == Range(-2, -1)
    assert -Range(1, 2) == Range(-2, -1)


def test_multiplication_of_mixed_sign_ranges_takes_extreme_products() -> None:
    assert Range(-1, 2) * Range(-3, 4) == Range(-6, 8)


def test_division_inverts_the_divisor() -> None:
    assert Range(2, 4) / Range(1, 2) == Range(1, 4)
    assert Range(2, 4) / 2 == Range(1, 2)
    assert 8 / Range(2, 4) == Range(2, 4)


def test_division_by_a_range_containing_zero_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        Range(1, 2) / Range(-1, 1)


def test_ceil_rounds_both_bounds() -> None:
    assert math.ceil(Range(1.2, 3.0)) == Range(2, 3)  # type: ignore[call-overload]


def test_arithmetic_with_foreign_types_is_not_implemented() -> None:
    with pytest.raises(TypeError):
        _ = Range(1, 2) + "x"  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = Range(1, 2) * [1]  # type: ignore[operator]


def test_comparisons_are_certain() -> None:
    r = Range(1, 2)
    assert r < 3 and not r < 1.5
    assert r > 0.5 and not r > 1.5
    assert r <= 2 and not r <= 1.9
    assert r >= 1 and not r >= 1.1
    assert Range(1, 2) < Range(3, 4)
    assert not Range(1, 3) < Range(2, 4)
    assert Range(3, 4) >= Range(1, 3)


def test_point_range_equals_its_float_and_hashes_like_it() -> None:
    assert Range(2.0) == 2.0
    assert hash(Range(2.0)) == hash(2.0)
    table: dict[object, str] = {Range(2.0): "x"}
    assert table[2.0] == "x"
    assert Range(1, 2) != 1.5


def test_equality_with_a_foreign_type_is_false_not_an_error() -> None:
    assert (Range(1, 2) == "1-2") is False
    assert (Range(1, 2) != None) is True  # noqa: E711


def test_membership_of_numbers_and_ranges() -> None:
    r = Range(1, 3)
    assert 2 in r and 3.0 in r and 4 not in r
    assert Range(1.5, 2) in r and Range(0, 2) not in r
    assert "2" not in r


def test_central_is_given_or_the_geometric_midpoint() -> None:
    # The best estimate of a log-normal quantity known by its 5-95 % interval is the
    # geometric mean of the ends: sqrt(1 * 4) = 2 (the arithmetic mean would be 2.5).
    assert Range(1, 4).central == 2.0
    assert Range(1, 4).bound("central") == 2.0
    assert Range(1, 4, central=3.5).central == 3.5
    assert Range(2.5).central == 2.5
    # a range reaching 0 (or below) has no geometric midpoint: the arithmetic one is used
    assert Range(0, 4).central == 2.0
    assert Range(-2, 4).central == 1.0


def test_iteration_and_dict_views() -> None:
    low, high = Range(1, 3)
    assert (low, high) == (1.0, 3.0)
    assert Range(1, 4).to_dict() == {"min": 1.0, "max": 4.0, "mean": 2.5, "central": 2.0}
    assert Range(1, 4, central=3.0).to_dict()["central"] == 3.0
    assert repr(Range(1, 3)) == "Range(min=1.0, max=3.0)"
    assert repr(Range(1, 3, 2.5)) == "Range(min=1.0, max=3.0, central=2.5)"
    assert str(Range(1, 3)) == "1–3"
    assert str(Range(2)) == "2"


def test_helpers_accept_floats_and_ranges() -> None:
    assert (lo(2.0), hi(2.0), mid(2.0)) == (2.0, 2.0, 2.0)
    assert (lo(Range(1, 3)), hi(Range(1, 3)), mid(Range(1, 3))) == (1.0, 3.0, 2.0)
    assert as_range(2.0) == Range(2.0)
    r = Range(1, 2)
    assert as_range(r) is r


class _Holder(BaseModel):
    r: Range


def test_range_is_a_pydantic_field_that_round_trips() -> None:
    h = _Holder(r=Range(1, 4))
    assert h.model_dump() == {"r": {"min": 1.0, "max": 4.0, "mean": 2.5, "central": 2.0}}
    again = _Holder.model_validate_json(h.model_dump_json())
    assert again.r == Range(1, 4) and again.r.central == 2.0
    assert _Holder.model_validate({"r": {"min": 1.0, "max": 4.0}}).r == Range(1, 4)
    assert _Holder(r=3.0).r == Range(3.0)  # type: ignore[arg-type]


def test_pydantic_round_trip_keeps_a_given_central() -> None:
    h = _Holder(r=Range(1, 4, central=3.0))
    assert h.model_dump()["r"]["central"] == 3.0
    again = _Holder.model_validate_json(h.model_dump_json())
    assert again.r.central == 3.0


def test_pydantic_field_rejects_other_types() -> None:
    with pytest.raises(ValueError):
        _Holder(r="wide")  # type: ignore[arg-type]


@given(ranges(), ranges(), finite, finite)
def test_sum_and_difference_contain_every_pointwise_result(
    a: Range, b: Range, ta: float, tb: float
) -> None:
    x = a.min + (a.max - a.min) * (abs(ta) % 1.0)
    y = b.min + (b.max - b.min) * (abs(tb) % 1.0)
    s, d = a + b, a - b
    assert s.min <= s.max and d.min <= d.max
    assert s.min - 1e-6 <= x + y <= s.max + 1e-6
    assert d.min - 1e-6 <= x - y <= d.max + 1e-6


@given(ranges(), ranges(), st.floats(0, 1), st.floats(0, 1))
def test_product_contains_every_pointwise_product(a: Range, b: Range, ta: float, tb: float) -> None:
    x = a.min + (a.max - a.min) * ta
    y = b.min + (b.max - b.min) * tb
    p = a * b
    tol = 1e-9 * max(1.0, abs(p.min), abs(p.max))
    assert p.min <= p.max
    assert p.min - tol <= x * y <= p.max + tol


@given(ranges(positive), ranges(positive), st.floats(0, 1), st.floats(0, 1))
def test_quotient_contains_every_pointwise_quotient(
    a: Range, b: Range, ta: float, tb: float
) -> None:
    x = a.min + (a.max - a.min) * ta
    y = b.min + (b.max - b.min) * tb
    q = a / b
    tol = 1e-9 * max(1.0, q.max)
    assert q.min - tol <= x / y <= q.max + tol
