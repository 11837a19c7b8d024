"""Result types: Impacts, its usage/embodied phases and the five criteria.

The shape follows EcoLogits' ``ImpactsOutput`` (``impacts.energy.value``, ``.gwp``,
``.usage``, ``.embodied``, ``.warnings``, ``.errors``) so code moves over unchanged.

For speed the objects are slotted classes built lazily from two tuples of floats (the low
and the high corner of the computation): creating an ``Impacts`` is one object, and the
criterion objects appear on first access. They still serialise inside a pydantic SDK
response (``model_dump()``/``model_dump_json()``) through ``__pydantic_serializer__``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from tokenprint.impacts import units as _units
from tokenprint.impacts.ranges import Range, Value

__all__ = [
    "GWP",
    "PE",
    "WCF",
    "ADPe",
    "Basis",
    "EmbodiedImpacts",
    "Energy",
    "ErrorMessage",
    "Impact",
    "Impacts",
    "Message",
    "UsageImpacts",
    "WarningMessage",
]

DOCS_URL = "https://tokenprint.readthedocs.io/en/latest/messages/"

# Layout of the value vectors: usage phase first, then embodied.
U_ENERGY, U_GWP, U_ADPE, U_PE, U_WCF, E_GWP, E_ADPE, E_PE = range(8)
N_VALUES = 8
ZERO: tuple[float, ...] = (0.0,) * N_VALUES


class _LazySerializer:
    """Builds the pydantic-core serializer on first use (keeps pydantic_core off import)."""

    _serializer: Any = None

    def __get__(self, obj: object, owner: type) -> Any:
        if _LazySerializer._serializer is None:
            from pydantic_core import SchemaSerializer, core_schema

            _LazySerializer._serializer = SchemaSerializer(
                core_schema.any_schema(
                    serialization=core_schema.plain_serializer_function_ser_schema(
                        lambda o: o.to_dict()
                    )
                )
            )
        return _LazySerializer._serializer


class Message:
    """A coded message (warning or error) with a human sentence and a docs link."""

    __slots__ = ("code", "message")
    kind: ClassVar[str] = "message"
    __pydantic_serializer__ = _LazySerializer()

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message

    @property
    def docs_url(self) -> str:
        return f"{DOCS_URL}#{self.code}"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return (self.kind, self.code, self.message) == (other.kind, other.code, other.message)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.kind, self.code, self.message))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class WarningMessage(Message):
    """Something the estimate assumed or approximated (the numbers are still given)."""

    __slots__ = ()
    kind = "warning"


class ErrorMessage(Message):
    """Something that prevented an estimate (the numbers are then absent)."""

    __slots__ = ()
    kind = "error"


class Basis(NamedTuple):
    """What one estimate was computed from: a read-only record."""

    provider: str | None = None
    model: str | None = None
    model_resolved: str | None = None
    modality: str = "text"
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    latency_s: float | None = None
    zone: str | None = None
    hardware: str | None = None
    datacenter: str | None = None
    methodology_version: str = ""
    images: int = 0
    image_size: str | None = None
    image_quality: str | None = None
    requests: int = 1

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


_NO_BASIS = Basis()


def _value(low: float, high: float) -> Value:
    return low if low == high else Range(low, high)


def _crit_dict(
    cls: type[Impact], low: float, high: float, unit: str | None = None
) -> dict[str, Any]:
    """The JSON form of one criterion, built straight from its bounds (no objects)."""
    value: Any = low if low == high else {"min": low, "max": high, "mean": (low + high) / 2.0}
    return {
        "type": cls.type,
        "name": cls.name,
        "value": value,
        "unit": unit if unit is not None else _units.DISPLAY[cls.type],
    }


class Impact:
    """One criterion: a ``value`` (float, or Range when uncertain) in ``unit``."""

    __slots__ = ("max", "min", "unit")
    type: ClassVar[str] = ""
    name: ClassVar[str] = ""
    __pydantic_serializer__ = _LazySerializer()

    def __init__(self, value: Value, unit: str | None = None) -> None:
        if isinstance(value, Range):
            self.min, self.max = value.min, value.max
        else:
            self.min = self.max = float(value)
        self.unit = unit if unit is not None else _units.DISPLAY[self.type]

    @property
    def value(self) -> Value:
        """The number (float when exact, Range when known only within bounds)."""
        return _value(self.min, self.max)

    @property
    def mean(self) -> float:
        return (self.min + self.max) / 2.0

    def bound(self, which: str = "max") -> float:
        return Range(self.min, self.max).bound(which)

    def to(self, unit: str) -> Impact:
        """The same impact in another unit (``impacts.energy.to("Wh")``); uses pint."""
        f = _units.convert(1.0, self.unit, unit)
        return type(self)(Range(self.min * f, self.max * f), _units.display_unit(self.type, unit))

    def quantity(self, bound: str = "mean") -> Any:
        """A pint Quantity of one bound (``"min"``, ``"mean"`` or ``"max"``)."""
        return _units.quantity(self.bound(bound), self.unit)

    def _canonical(self) -> tuple[float, float]:
        if self.unit == _units.DISPLAY[self.type]:
            return self.min, self.max
        f = _units.convert(1.0, self.unit, _units.CANONICAL[self.type])
        return self.min * f, self.max * f

    def _bounds(self, other: object) -> tuple[float, float] | None:
        """(low, high) of ``other`` in canonical units: an amount or the same criterion."""
        if isinstance(other, Impact):
            return other._canonical() if other.type == self.type else None
        if not _units.is_quantity(other):
            return None
        x = _units.parse_amount(other, self.type)
        return x, x

    # Comparisons are *certain*: ``gwp < "0.3 g"`` holds when even the upper bound is below
    # 0.3 g; ``gwp > x`` when even the lower bound is above (Range semantics).
    def __lt__(self, other: object) -> bool:
        b = self._bounds(other)
        return NotImplemented if b is None else self._canonical()[1] < b[0]

    def __le__(self, other: object) -> bool:
        b = self._bounds(other)
        return NotImplemented if b is None else self._canonical()[1] <= b[0]

    def __gt__(self, other: object) -> bool:
        b = self._bounds(other)
        return NotImplemented if b is None else self._canonical()[0] > b[1]

    def __ge__(self, other: object) -> bool:
        b = self._bounds(other)
        return NotImplemented if b is None else self._canonical()[0] >= b[1]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Impact):
            return type(other) is type(self) and self._canonical() == other._canonical()
        try:
            b = self._bounds(other)
        except (TypeError, ValueError):
            return NotImplemented
        if b is None:
            return NotImplemented
        low, high = self._canonical()
        return low == b[0] == high

    def __hash__(self) -> int:
        return hash((self.type, self._canonical()))

    def __add__(self, other: object) -> Impact:
        if type(other) is type(self):
            assert isinstance(other, Impact)
            a, b = self._canonical(), other._canonical()
            return type(self)(Range(a[0] + b[0], a[1] + b[1]))
        return NotImplemented

    def to_dict(self) -> dict[str, Any]:
        return _crit_dict(type(self), self.min, self.max, self.unit)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(value={self.value!r}, unit={self.unit!r})"

    def __str__(self) -> str:
        return f"{Range(self.min, self.max)} {self.unit}"


class Energy(Impact):
    """Final energy consumed (kWh)."""

    __slots__ = ()
    type = "energy"
    name = "Energy"


class GWP(Impact):
    """Global warming potential (kgCO2eq)."""

    __slots__ = ()
    type = "gwp"
    name = "Global Warming Potential"


class ADPe(Impact):
    """Abiotic resource depletion, elements (kgSbeq)."""

    __slots__ = ()
    type = "adpe"
    name = "Abiotic Depletion Potential (elements)"


class PE(Impact):
    """Primary energy (MJ)."""

    __slots__ = ()
    type = "pe"
    name = "Primary Energy"


class WCF(Impact):
    """Water consumption footprint (L): on-site cooling plus off-site electricity water."""

    __slots__ = ()
    type = "wcf"
    name = "Water Consumption Footprint"


class _Phase:
    """Base of the usage and embodied phases: a view on part of the value vectors."""

    __slots__ = ("_hi", "_lo")
    _fields: ClassVar[tuple[tuple[str, type[Impact], int], ...]] = ()
    __pydantic_serializer__ = _LazySerializer()

    def __init__(self, low: Sequence[float], high: Sequence[float]) -> None:
        self._lo = low
        self._hi = high

    def _get(self, i: int, cls: type[Impact]) -> Impact:
        return cls(_value(self._lo[i], self._hi[i]))

    def to_dict(self) -> dict[str, Any]:
        low, high = self._lo, self._hi
        return {name: _crit_dict(cls, low[i], high[i]) for name, cls, i in self._fields}

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={self._get(i, c)!r}" for n, c, i in self._fields)
        return f"{type(self).__name__}({inner})"


class UsageImpacts(_Phase):
    """Impacts of the electricity (and cooling water) used to serve the request."""

    __slots__ = ()
    _fields = (
        ("energy", Energy, U_ENERGY),
        ("gwp", GWP, U_GWP),
        ("adpe", ADPe, U_ADPE),
        ("pe", PE, U_PE),
        ("wcf", WCF, U_WCF),
    )
    type = "usage"
    name = "Usage"

    @property
    def energy(self) -> Impact:
        return self._get(U_ENERGY, Energy)

    @property
    def gwp(self) -> Impact:
        return self._get(U_GWP, GWP)

    @property
    def adpe(self) -> Impact:
        return self._get(U_ADPE, ADPe)

    @property
    def pe(self) -> Impact:
        return self._get(U_PE, PE)

    @property
    def wcf(self) -> Impact:
        return self._get(U_WCF, WCF)


class EmbodiedImpacts(_Phase):
    """Manufacturing impacts of the server and accelerators, allocated to the request."""

    __slots__ = ()
    _fields = (("gwp", GWP, E_GWP), ("adpe", ADPe, E_ADPE), ("pe", PE, E_PE))
    type = "embodied"
    name = "Embodied"

    @property
    def gwp(self) -> Impact:
        return self._get(E_GWP, GWP)

    @property
    def adpe(self) -> Impact:
        return self._get(E_ADPE, ADPe)

    @property
    def pe(self) -> Impact:
        return self._get(E_PE, PE)


class Impacts:
    """The environmental impacts of one request (or of a sum of requests).

    ``energy``, ``gwp``, ``adpe``, ``pe`` and ``wcf`` are totals (usage + embodied);
    ``usage`` and ``embodied`` hold the phases. When the estimate failed, the criteria are
    ``None`` and ``errors`` says why. ``basis`` records what it was computed from.

    An instrumented response gets a *deferred* Impacts when nothing needs the values at once
    (no tracker, budget or exporter): :meth:`deferred` keeps what the estimate needs, and the
    first read of any value computes them all. Reading looks the same either way.
    """

    __slots__ = ("_basis", "_hi", "_lo", "_pending", "errors", "warnings")
    __pydantic_serializer__ = _LazySerializer()

    def __init__(
        self,
        low: Sequence[float] | None,
        high: Sequence[float] | None = None,
        *,
        basis: Basis | Callable[[], Basis] | None = None,
        warnings: list[WarningMessage] | None = None,
        errors: list[ErrorMessage] | None = None,
    ) -> None:
        self._lo = tuple(low) if low is not None else None
        self._hi = tuple(high) if high is not None else self._lo
        self._basis = basis if basis is not None else _NO_BASIS
        self.warnings: list[WarningMessage] = warnings if warnings is not None else []
        self.errors: list[ErrorMessage] = errors if errors is not None else []
        self._pending: Callable[[], Impacts] | None = None

    @classmethod
    def deferred(cls, compute: Callable[[], Impacts]) -> Impacts:
        """An Impacts computed on first read by ``compute()`` (which must not raise: it
        returns a failed Impacts instead). Until then only ``_pending`` is set."""
        self = _new(cls)
        self._pending = compute
        return self

    if not TYPE_CHECKING:  # mypy would take every attribute name as valid

        def __getattr__(self, name: str) -> Any:
            # Python calls this only for a slot not set yet: on a deferred Impacts, the first
            # read of any of them computes the estimate and fills them all.
            if name not in _FILLED:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            pending = self._pending
            if pending is None:  # filled meanwhile by another thread
                return object.__getattribute__(self, name)
            try:
                done = pending()
            except AttributeError as exc:  # would read as "no such attribute" otherwise
                raise RuntimeError(f"deferred impacts failed: {exc}") from exc
            # Two threads reading at once both compute and store equal values; _pending is
            # cleared last, so neither finds a slot empty with nothing left to fill it.
            self._lo, self._hi, self._basis = done._lo, done._hi, done._basis
            self.warnings, self.errors = done.warnings, done.errors
            self._pending = None
            return object.__getattribute__(self, name)

    @property
    def basis(self) -> Basis:
        """What the estimate was computed from. The instrumented path hands a function that
        builds it, called on first read: most responses never read it."""
        b = self._basis
        if not isinstance(b, tuple):
            b = self._basis = b()
        return b

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self._lo, self._hi, self.basis, self.warnings, self.errors))

    @classmethod
    def failed(cls, error: ErrorMessage, basis: Basis | None = None) -> Impacts:
        """An Impacts without values, carrying the error that prevented them."""
        return cls(None, basis=basis, errors=[error])

    @classmethod
    def zero(cls, basis: Basis | None = None) -> Impacts:
        return cls(ZERO, ZERO, basis=basis)

    # -- values --------------------------------------------------------------------------
    @property
    def has_values(self) -> bool:
        return self._lo is not None

    @property
    def has_warnings(self) -> bool:
        """EcoLogits' ``ImpactsOutput.has_warnings``."""
        return bool(self.warnings)

    @property
    def has_errors(self) -> bool:
        """EcoLogits' ``ImpactsOutput.has_errors``."""
        return bool(self.errors)

    @property
    def methodology_version(self) -> str:
        return self.basis.methodology_version

    def _total(self, cls: type[Impact], iu: int, ie: int | None) -> Impact | None:
        low, high = self._lo, self._hi
        if low is None or high is None:
            return None
        if ie is None:
            return cls(_value(low[iu], high[iu]))
        return cls(_value(low[iu] + low[ie], high[iu] + high[ie]))

    @property
    def energy(self) -> Impact | None:
        return self._total(Energy, U_ENERGY, None)

    @property
    def gwp(self) -> Impact | None:
        return self._total(GWP, U_GWP, E_GWP)

    @property
    def adpe(self) -> Impact | None:
        return self._total(ADPe, U_ADPE, E_ADPE)

    @property
    def pe(self) -> Impact | None:
        return self._total(PE, U_PE, E_PE)

    @property
    def wcf(self) -> Impact | None:
        return self._total(WCF, U_WCF, None)

    @property
    def usage(self) -> UsageImpacts | None:
        if self._lo is None or self._hi is None:
            return None
        return UsageImpacts(self._lo, self._hi)

    @property
    def embodied(self) -> EmbodiedImpacts | None:
        if self._lo is None or self._hi is None:
            return None
        return EmbodiedImpacts(self._lo, self._hi)

    @property
    def vectors(self) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
        """The raw (low, high) value vectors, for fast aggregation."""
        if self._lo is None or self._hi is None:
            return None
        return self._lo, self._hi  # type: ignore[return-value]

    def criterion(self, name: str) -> Impact | None:
        """A total criterion by name (``"energy"``, ``"gwp"``, ``"adpe"``, ``"pe"``, ``"wcf"``)."""
        if name not in _CRITERIA:
            raise ValueError(f"unknown criterion {name!r}; expected one of {sorted(_CRITERIA)}")
        result: Impact | None = getattr(self, name)
        return result

    # -- aggregation ---------------------------------------------------------------------
    def __add__(self, other: object) -> Impacts:
        if not isinstance(other, Impacts):
            return NotImplemented
        return Impacts.sum([self, other])

    @staticmethod
    def sum(items: Iterable[Impacts]) -> Impacts:
        """Sum of impacts: bounds add (low with low, high with high); failed items are skipped
        and their errors kept."""
        low = [0.0] * N_VALUES
        high = [0.0] * N_VALUES
        warnings: list[WarningMessage] = []
        errors: list[ErrorMessage] = []
        requests = 0
        versions: list[str] = []
        for it in items:
            requests += it.basis.requests
            v = it.basis.methodology_version
            if v and v not in versions:
                versions.append(v)
            for w in it.warnings:
                if w not in warnings:
                    warnings.append(w)
            for e in it.errors:
                if e not in errors:
                    errors.append(e)
            if it._lo is None or it._hi is None:
                continue
            for i in range(N_VALUES):
                low[i] += it._lo[i]
                high[i] += it._hi[i]
        # A sum keeps the methodology version of its parts ("1.0+1.1" if they differ).
        basis = Basis(requests=requests, methodology_version="+".join(sorted(versions)))
        return Impacts(low, high, basis=basis, warnings=warnings, errors=errors)

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        low, high = self._lo, self._hi
        totals: dict[str, Any]
        if low is None or high is None:
            totals = dict.fromkeys(("energy", "gwp", "adpe", "pe", "wcf", "usage", "embodied"))
        else:
            totals = {
                name: _crit_dict(
                    cls,
                    low[iu] + (low[ie] if ie is not None else 0.0),
                    high[iu] + (high[ie] if ie is not None else 0.0),
                )
                for name, cls, iu, ie in _TOTALS
            }
            totals["usage"] = UsageImpacts(low, high).to_dict()
            totals["embodied"] = EmbodiedImpacts(low, high).to_dict()
        return {
            **totals,
            "warnings": [w.to_dict() for w in self.warnings],
            "errors": [e.to_dict() for e in self.errors],
            "basis": self.basis.to_dict(),
            "methodology_version": self.methodology_version,
        }

    def model_dump(self, **_: Any) -> dict[str, Any]:
        """EcoLogits/pydantic-style alias of :meth:`to_dict`."""
        return self.to_dict()

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def model_dump_json(self, **_: Any) -> str:
        return self.to_json()

    def __repr__(self) -> str:
        if self._lo is None:
            return f"Impacts(errors={self.errors!r})"
        return (
            f"Impacts(energy={self.energy!r}, gwp={self.gwp!r}, adpe={self.adpe!r}, "
            f"pe={self.pe!r}, wcf={self.wcf!r}, warnings={len(self.warnings)}, "
            f"errors={len(self.errors)})"
        )


_new = object.__new__
_FILLED = frozenset({"_lo", "_hi", "_basis", "warnings", "errors"})
"""The slots a deferred Impacts fills on first read."""
_CRITERIA = frozenset({"energy", "gwp", "adpe", "pe", "wcf"})
_TOTALS: tuple[tuple[str, type[Impact], int, int | None], ...] = (
    ("energy", Energy, U_ENERGY, None),
    ("gwp", GWP, U_GWP, E_GWP),
    ("adpe", ADPe, U_ADPE, E_ADPE),
    ("pe", PE, U_PE, E_PE),
    ("wcf", WCF, U_WCF, None),
)


def _restore(
    low: tuple[float, ...] | None,
    high: tuple[float, ...] | None,
    basis: Basis,
    warnings: list[WarningMessage],
    errors: list[ErrorMessage],
) -> Impacts:
    """Unpickle an :class:`Impacts` (its basis is pickled built)."""
    return Impacts(low, high, basis=basis, warnings=warnings, errors=errors)
