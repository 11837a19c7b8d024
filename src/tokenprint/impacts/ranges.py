"""Range: a value known only between a low and a high bound.

Interval arithmetic for the non-negative quantities of the impact model. Formulas in
:mod:`tokenprint.impacts` are written with plain operators, so each accepts floats or Ranges;
a point value is a Range with ``min == max`` (or just a float).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["Range", "Value", "as_range", "hi", "lo", "mid"]


class Range:
    """A closed interval ``[min, max]`` with interval arithmetic and comparisons.

    An impact's value is a Range from its 5th to its 95th percentile, with ``central`` the
    best estimate inside it. Comparisons with a number are *certain* comparisons: ``r < x``
    holds when the whole range is below ``x`` (``r.max < x``), ``r > x`` when the whole range
    is above it.
    """

    __slots__ = ("_central", "max", "min")

    min: float
    max: float

    def __init__(self, min: float, max: float | None = None, central: float | None = None) -> None:
        hi_ = min if max is None else max
        if not hi_ >= min:  # also catches NaN
            raise ValueError(f"Range needs min <= max, got min={min!r}, max={hi_!r}")
        self.min = float(min)
        self.max = float(hi_)
        self._central = None if central is None else float(central)

    # -- views ---------------------------------------------------------------------------
    @property
    def mean(self) -> float:
        """Midpoint of the range (what EcoLogits' ``RangeValue.mean`` returns)."""
        return (self.min + self.max) / 2.0

    @property
    def central(self) -> float:
        """The best estimate: given with the range, else its geometric midpoint (the best
        estimate of a log-normal quantity known by its 5-95 % interval)."""
        if self._central is not None:
            return self._central
        if self.min > 0.0:
            return math.sqrt(self.min * self.max)
        return self.mean

    @property
    def width(self) -> float:
        return self.max - self.min

    def is_point(self) -> bool:
        return self.min == self.max

    def bound(self, which: str) -> float:
        """``"min"``, ``"central"``, ``"mean"`` or ``"max"`` of the range."""
        if which == "max":
            return self.max
        if which == "min":
            return self.min
        if which == "mean":
            return self.mean
        if which == "central":
            return self.central
        raise ValueError(f"bound must be 'min', 'central', 'mean' or 'max', not {which!r}")

    def __contains__(self, x: object) -> bool:
        if isinstance(x, Range):
            return self.min <= x.min and x.max <= self.max
        if isinstance(x, (int, float)):
            return self.min <= x <= self.max
        return False

    def __iter__(self) -> Any:
        yield self.min
        yield self.max

    def __repr__(self) -> str:
        if self._central is None:
            return f"Range(min={self.min!r}, max={self.max!r})"
        return f"Range(min={self.min!r}, max={self.max!r}, central={self._central!r})"

    def __str__(self) -> str:
        return f"{self.min:.4g}–{self.max:.4g}" if self.min != self.max else f"{self.min:.4g}"

    def to_dict(self) -> dict[str, float]:
        return {"min": self.min, "max": self.max, "mean": self.mean, "central": self.central}

    # -- arithmetic ----------------------------------------------------------------------
    def __add__(self, other: object) -> Range:
        if isinstance(other, Range):
            return Range(self.min + other.min, self.max + other.max)
        if isinstance(other, (int, float)):
            return Range(self.min + other, self.max + other)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: object) -> Range:
        if isinstance(other, Range):
            return Range(self.min - other.max, self.max - other.min)
        if isinstance(other, (int, float)):
            return Range(self.min - other, self.max - other)
        return NotImplemented

    def __rsub__(self, other: object) -> Range:
        if isinstance(other, (int, float)):
            return Range(other - self.max, other - self.min)
        return NotImplemented

    def __mul__(self, other: object) -> Range:
        if isinstance(other, Range):
            c = (
                self.min * other.min,
                self.min * other.max,
                self.max * other.min,
                self.max * other.max,
            )
            return Range(min(c), max(c))
        if isinstance(other, (int, float)):
            a, b = self.min * other, self.max * other
            return Range(a, b) if a <= b else Range(b, a)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Range:
        if isinstance(other, Range):
            if other.min <= 0.0 <= other.max:
                raise ZeroDivisionError("division by a Range that contains 0")
            return self * Range(1.0 / other.max, 1.0 / other.min)
        if isinstance(other, (int, float)):
            return self * (1.0 / other)
        return NotImplemented

    def __rtruediv__(self, other: object) -> Range:
        if isinstance(other, (int, float)):
            return Range(other, other) / self
        return NotImplemented

    def __neg__(self) -> Range:
        return Range(-self.max, -self.min)

    def __ceil__(self) -> Range:
        return Range(math.ceil(self.min), math.ceil(self.max))

    # -- comparisons ---------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Range):
            return self.min == other.min and self.max == other.max
        if isinstance(other, (int, float)):
            return self.min == other == self.max
        return NotImplemented

    def __hash__(self) -> int:
        # A point range equals its float, so it must hash like it.
        return hash(self.min) if self.min == self.max else hash((self.min, self.max))

    def __lt__(self, other: object) -> bool:
        if isinstance(other, Range):
            return self.max < other.min
        if isinstance(other, (int, float)):
            return self.max < other
        return NotImplemented

    def __le__(self, other: object) -> bool:
        if isinstance(other, Range):
            return self.max <= other.min
        if isinstance(other, (int, float)):
            return self.max <= other
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if isinstance(other, Range):
            return self.min > other.max
        if isinstance(other, (int, float)):
            return self.min > other
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if isinstance(other, Range):
            return self.min >= other.max
        if isinstance(other, (int, float)):
            return self.min >= other
        return NotImplemented

    # -- pydantic ------------------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Let a Range be a field of a pydantic model (validated from ``{min, max}``)."""
        from pydantic_core import core_schema

        def _validate(v: Any) -> Range:
            if isinstance(v, Range):
                return v
            if isinstance(v, dict):
                central = v.get("central")
                return Range(
                    float(v["min"]), float(v["max"]), None if central is None else float(central)
                )
            if isinstance(v, (int, float)):
                return Range(float(v))
            raise ValueError("expected a Range, a number or {'min': .., 'max': ..}")

        return core_schema.no_info_plain_validator_function(
            _validate,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda r: r.to_dict()),
        )


Value = float | Range
"""A number known exactly (float) or only within bounds (Range)."""


def lo(v: Value) -> float:
    """Lower bound of a float or a Range."""
    return v.min if isinstance(v, Range) else float(v)


def hi(v: Value) -> float:
    """Upper bound of a float or a Range."""
    return v.max if isinstance(v, Range) else float(v)


def mid(v: Value) -> float:
    """Midpoint of a float or a Range."""
    return v.mean if isinstance(v, Range) else float(v)


def as_range(v: Value) -> Range:
    """A Range for any value (a float becomes a point range)."""
    return v if isinstance(v, Range) else Range(float(v))
