"""Units: pint, imported only when a unit is first converted or parsed.

Amounts are accepted as strings (``"0.5 g"``, ``"0.5 gCO2eq"``, ``"2 Wh"``, ``"10 mL"``) or
as pint quantities from any registry. The ``CO2eq``/``Sbeq`` suffixes are labels, not
units: they are stripped before pint parses the rest.
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = ["CANONICAL", "DISPLAY", "convert", "display_unit", "parse_amount", "quantity"]

# Canonical unit (pint spelling) in which every criterion's numbers are stored.
CANONICAL: dict[str, str] = {
    "energy": "kWh",
    "gwp": "kg",
    "adpe": "kg",
    "pe": "MJ",
    "wcf": "L",
}
# Suffix shown after the pint unit for display ("kg" -> "kgCO2eq").
_LABEL: dict[str, str] = {"energy": "", "gwp": "CO2eq", "adpe": "Sbeq", "pe": "", "wcf": ""}
DISPLAY: dict[str, str] = {k: v + _LABEL[k] for k, v in CANONICAL.items()}

_SUFFIX = re.compile(r"\s*(co2[- ]?eq|co2e|co2|sb[- ]?eq|sb)\s*$", re.IGNORECASE)


def registry() -> Any:
    """pint's application registry (created on first use, shared with the host's quantities)."""
    import pint

    return pint.get_application_registry()  # type: ignore[no-untyped-call]


def _strip_label(unit: str) -> str:
    return _SUFFIX.sub("", unit.strip()) or unit


def display_unit(criterion: str, unit: str) -> str:
    """The unit as shown for a criterion (``("gwp", "g") -> "gCO2eq"``)."""
    return _strip_label(unit) + _LABEL[criterion]


@functools.lru_cache(maxsize=256)
def _factor(from_unit: str, to_unit: str) -> float:
    ureg = registry()
    return float(ureg.Quantity(1.0, _strip_label(from_unit)).to(_strip_label(to_unit)).magnitude)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a magnitude between two units (labels such as ``CO2eq`` ignored)."""
    return value * _factor(from_unit, to_unit)


@functools.lru_cache(maxsize=512)
def _parse_str(text: str, criterion: str) -> float:
    m = re.match(r"^\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(.*)$", text)
    if not m:
        raise ValueError(f"cannot read {text!r} as an amount with a unit")
    number, unit = float(m.group(1)), _strip_label(m.group(2))
    if not unit:
        raise ValueError(f"{text!r} has no unit; write e.g. '0.5 g' or '2 Wh'")
    return number * _factor(unit, CANONICAL[criterion])


def parse_amount(amount: object, criterion: str) -> float:
    """An amount (str or pint quantity) as a float in the criterion's canonical unit.

    Raises ``ValueError`` for an unreadable string or an incompatible dimension, and
    ``TypeError`` for anything that is not a quantity.
    """
    if isinstance(amount, str):
        try:
            return _parse_str(amount, criterion)
        except ValueError:
            raise
        except Exception as exc:  # pint's errors: undefined unit, wrong dimension
            raise ValueError(f"cannot use {amount!r} as an amount of {criterion}: {exc}") from exc
    to = getattr(amount, "to", None)
    if to is not None and hasattr(amount, "magnitude") and hasattr(amount, "units"):
        try:
            return float(to(CANONICAL[criterion]).magnitude)
        except Exception as exc:
            raise ValueError(f"cannot use {amount!r} as an amount of {criterion}: {exc}") from exc
    raise TypeError(f"expected a quantity such as '0.5 g', got {type(amount).__name__}")


def is_quantity(amount: object) -> bool:
    """True for the things :func:`parse_amount` accepts (a str or a pint-like quantity)."""
    return isinstance(amount, str) or (
        hasattr(amount, "magnitude") and hasattr(amount, "units") and hasattr(amount, "to")
    )


def quantity(value: float, unit: str) -> Any:
    """A pint Quantity of ``value`` in ``unit`` (labels dropped)."""
    return registry().Quantity(value, _strip_label(unit))
