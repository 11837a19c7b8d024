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
    "CRITERIA",
    "ENERGY_PARTS",
    "GWP",
    "OPTION_NAMES",
    "PE",
    "SCI",
    "WATER_PARTS",
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
    "criterion_total",
]

DOCS_URL = "https://tokenprint.readthedocs.io/en/latest/messages/"

CRITERIA: tuple[str, ...] = ("energy", "gwp", "adpe", "pe", "wcf")
"""The five criteria, in the order they are shown: energy (kWh), global warming potential
(kgCO2eq), abiotic depletion (kgSbeq), primary energy (MJ), water consumption (L)."""
OPTION_NAMES: tuple[str, ...] = tuple("water" if c == "wcf" else c for c in CRITERIA)
"""The criteria as options name them (``water`` for ``wcf``): budget flags and markers."""

# Layout of the value vectors: usage phase first, then embodied.
U_ENERGY, U_GWP, U_ADPE, U_PE, U_WCF, E_GWP, E_ADPE, E_PE = range(8)
N_VALUES = 8
SLOTS: dict[str, tuple[int, ...]] = {
    "energy": (U_ENERGY,),
    "gwp": (U_GWP, E_GWP),
    "adpe": (U_ADPE, E_ADPE),
    "pe": (U_PE, E_PE),
    "wcf": (U_WCF,),
}
"""The positions of each criterion's total (usage, then embodied if any) in a value vector."""


def criterion_total(vector: Sequence[float], name: str) -> float:
    """A criterion's total (usage + embodied) from one value vector."""
    return sum(vector[i] for i in SLOTS[name])


ZERO: tuple[float, ...] = (0.0,) * N_VALUES
ENERGY_PARTS = ("accelerators", "host", "idle", "facility")
"""The breakdown of energy (kWh): accelerators, their host servers, provisioned capacity
left idle, and the facility overhead (cooling, power distribution: PUE - 1)."""
WATER_PARTS = ("onsite", "offsite")
"""The breakdown of water (L): on-site cooling, and off-site at electricity generation."""
PartVectors = tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]
"""(P5, best estimate, P95) of ENERGY_PARTS then WATER_PARTS."""


def _centre(low: Sequence[float], high: Sequence[float]) -> tuple[float, ...]:
    """Best estimates where none was given: the geometric midpoint of each interval."""
    return tuple(
        (a * b) ** 0.5 if a > 0.0 else (a + b) / 2.0 for a, b in zip(low, high, strict=True)
    )


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
    accelerator_count: int | None = None
    """Accelerators of one model replica, in the best estimate."""
    batch_size: float | None = None
    """Sequences served together by that replica, in the best estimate."""
    precision: str | None = None
    """Weight precision served, in the best estimate."""
    seconds: float | None = None
    """Seconds of audio read (speech to text) or of video made (video), when known."""
    unestimated: int = 0
    """Of ``requests``, those without impacts (a sum's failed items): not in the values, nor
    in the token counts, which are the estimated requests' own."""

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


_NO_BASIS = Basis()


def _value(low: float, high: float, central: float | None = None) -> Value:
    return low if low == high else Range(low, high, central)


def _crit_dict(
    cls: type[Impact], low: float, high: float, central: float, unit: str | None = None
) -> dict[str, Any]:
    """The JSON form of one criterion, built straight from its bounds (no objects)."""
    value: Any = (
        low
        if low == high
        else {"min": low, "max": high, "mean": (low + high) / 2.0, "central": central}
    )
    return {
        "type": cls.type,
        "name": cls.name,
        "value": value,
        "unit": unit if unit is not None else _units.DISPLAY[cls.type],
    }


class Impact:
    """One criterion: a ``value`` (float, or Range when uncertain) in ``unit``.

    ``min`` and ``max`` are the 5th and 95th percentiles, ``central`` the best estimate.
    """

    __slots__ = ("_parts", "central", "max", "min", "unit")
    type: ClassVar[str] = ""
    name: ClassVar[str] = ""
    __pydantic_serializer__ = _LazySerializer()

    def __init__(
        self,
        value: Value,
        unit: str | None = None,
        *,
        parts: Callable[[], dict[str, Impact]] | None = None,
    ) -> None:
        if isinstance(value, Range):
            self.min, self.max, self.central = value.min, value.max, value.central
        else:
            self.min = self.max = self.central = float(value)
        self.unit = unit if unit is not None else _units.DISPLAY[self.type]
        self._parts = parts

    @property
    def value(self) -> Value:
        """The number (float when exact, Range when known only within bounds)."""
        return _value(self.min, self.max, self.central)

    @property
    def mean(self) -> float:
        """Midpoint of ``min`` and ``max`` (EcoLogits' ``mean``); ``central`` is the best
        estimate."""
        return (self.min + self.max) / 2.0

    @property
    def breakdown(self) -> dict[str, Impact] | None:
        """Where the total comes from: for energy ``accelerators``, ``host``, ``idle`` and
        ``facility``; for water ``onsite`` and ``offsite``. The parts' central values add up
        to the total's. None where the estimate has no breakdown."""
        return self._parts() if self._parts is not None else None

    def bound(self, which: str = "max") -> float:
        return Range(self.min, self.max, self.central).bound(which)

    def to(self, unit: str) -> Impact:
        """The same impact in another unit (``impacts.energy.to("Wh")``); uses pint."""
        f = _units.convert(1.0, self.unit, unit)
        parts = self._parts
        return type(self)(
            Range(self.min * f, self.max * f, self.central * f),
            _units.display_unit(self.type, unit),
            parts=None if parts is None else (lambda: {k: v.to(unit) for k, v in parts().items()}),
        )

    def quantity(self, bound: str = "central") -> Any:
        """A pint Quantity of one bound (``"min"``, ``"central"``, ``"mean"`` or ``"max"``)."""
        return _units.quantity(self.bound(bound), self.unit)

    def _canonical(self) -> tuple[float, float]:
        if self.unit == _units.DISPLAY[self.type]:
            return self.min, self.max
        f = _units.convert(1.0, self.unit, _units.CANONICAL[self.type])
        return self.min * f, self.max * f

    def _canonical_central(self) -> float:
        if self.unit == _units.DISPLAY[self.type]:
            return self.central
        return self.central * _units.convert(1.0, self.unit, _units.CANONICAL[self.type])

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
            c = self._canonical_central() + other._canonical_central()
            return type(self)(Range(a[0] + b[0], a[1] + b[1], c))
        return NotImplemented

    def to_dict(self) -> dict[str, Any]:
        out = _crit_dict(type(self), self.min, self.max, self.central, self.unit)
        parts = self.breakdown
        if parts is not None:
            out["breakdown"] = {k: v.to_dict()["value"] for k, v in parts.items()}
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(value={self.value!r}, unit={self.unit!r})"

    def __str__(self) -> str:
        if self.min == self.max:
            return f"{self.min:.4g} {self.unit}"
        return f"{self.central:.4g} {self.unit} ({self.min:.4g}–{self.max:.4g})"


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

    __slots__ = ("_hi", "_lo", "_mid")
    _fields: ClassVar[tuple[tuple[str, type[Impact], int], ...]] = ()
    __pydantic_serializer__ = _LazySerializer()

    def __init__(
        self, low: Sequence[float], high: Sequence[float], central: Sequence[float]
    ) -> None:
        self._lo = low
        self._hi = high
        self._mid = central

    def _get(self, i: int, cls: type[Impact]) -> Impact:
        return cls(_value(self._lo[i], self._hi[i], self._mid[i]))

    def to_dict(self) -> dict[str, Any]:
        low, high, mid = self._lo, self._hi, self._mid
        return {name: _crit_dict(cls, low[i], high[i], mid[i]) for name, cls, i in self._fields}

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


_G_PER_KG = 1000.0


class SCI(NamedTuple):
    """Software Carbon Intensity (ISO/IEC 21031:2024): ``(E × I + M) per R``, in gCO2eq.

    ``E × I`` is the usage-phase GWP (the energy the request drew, data-centre overhead
    included, times the grid's carbon intensity) and ``M`` the embodied GWP of the hardware's
    share; ``R`` is the functional unit: a request, a token (input + output, reasoning
    included), or whatever ``total`` covers (a tracked block: an agent run, a test).
    """

    total: Impact
    """``E × I + M`` of everything counted: the SCI per run when that is one run."""
    requests: int
    """Estimated requests in ``total``."""
    tokens: int
    """Input and output tokens of those requests."""

    @property
    def per_request(self) -> Impact | None:
        return _per(self.total, self.requests)

    @property
    def per_token(self) -> Impact | None:
        """None where no tokens were counted (images)."""
        return _per(self.total, self.tokens)

    def to_dict(self) -> dict[str, Any]:
        def value(x: Impact | None) -> Any:
            return None if x is None else x.to_dict()["value"]

        return {
            "unit": self.total.unit,
            "total": value(self.total),
            "per_request": value(self.per_request),
            "per_token": value(self.per_token),
            "requests": self.requests,
            "tokens": self.tokens,
        }


def _plus(
    a: tuple[float, float, float], b: tuple[float, float, float]
) -> tuple[float, float, float]:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _per(total: Impact, units: int) -> Impact | None:
    if units <= 0:
        return None
    f = 1.0 / units
    return GWP(_value(total.min * f, total.max * f, total.central * f), total.unit)


class Impacts:
    """The environmental impacts of one request (or of a sum of requests).

    ``energy``, ``gwp``, ``adpe``, ``pe`` and ``wcf`` are totals (usage + embodied);
    ``usage`` and ``embodied`` hold the phases. When the estimate failed, the criteria are
    ``None`` and ``errors`` says why. ``basis`` records what it was computed from.

    An instrumented response gets a *deferred* Impacts when nothing needs the values at once
    (no tracker, budget or exporter): :meth:`deferred` keeps what the estimate needs, and the
    first read of any value computes them all. Reading looks the same either way.
    """

    __slots__ = ("_basis", "_hi", "_lo", "_mid", "_parts", "_pending", "errors", "warnings")
    __pydantic_serializer__ = _LazySerializer()

    def __init__(
        self,
        low: Sequence[float] | None,
        high: Sequence[float] | None = None,
        *,
        central: Sequence[float] | None = None,
        parts: PartVectors | Callable[[], PartVectors] | None = None,
        basis: Basis | Callable[[], Basis] | None = None,
        warnings: list[WarningMessage] | None = None,
        errors: list[ErrorMessage] | None = None,
    ) -> None:
        self._lo = tuple(low) if low is not None else None
        self._hi = tuple(high) if high is not None else self._lo
        if central is not None:
            self._mid: tuple[float, ...] | None = tuple(central)
        elif self._lo is not None and self._hi is not None:
            self._mid = self._lo if self._hi is self._lo else _centre(self._lo, self._hi)
        else:
            self._mid = None
        self._parts = parts
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
            self._mid, self._parts = done._mid, done._parts
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
        return (
            _restore,
            (self._lo, self._hi, self.basis, self.warnings, self.errors, self._mid, self.parts),
        )

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

    @property
    def parts(self) -> PartVectors | None:
        """(P5, best estimate, P95) vectors of the energy then water breakdowns, or None."""
        p = self._parts
        if p is not None and not isinstance(p, tuple):
            p = self._parts = p()
        return p

    def _breakdown(self, cls: type[Impact], names: tuple[str, ...], at: int) -> dict[str, Impact]:
        p = self.parts
        assert p is not None
        low, mid, high = p
        return {
            name: cls(_value(low[at + i], high[at + i], mid[at + i]))
            for i, name in enumerate(names)
        }

    def _energy_parts(self) -> dict[str, Impact]:
        return self._breakdown(Energy, ENERGY_PARTS, 0)

    def _water_parts(self) -> dict[str, Impact]:
        return self._breakdown(WCF, WATER_PARTS, len(ENERGY_PARTS))

    def _total(self, cls: type[Impact], iu: int, ie: int | None) -> Impact | None:
        low, high, mid = self._lo, self._hi, self._mid
        if low is None or high is None or mid is None:
            return None
        if ie is None:
            return cls(_value(low[iu], high[iu], mid[iu]))
        return cls(_value(low[iu] + low[ie], high[iu] + high[ie], mid[iu] + mid[ie]))

    @property
    def energy(self) -> Impact | None:
        low, high, mid = self._lo, self._hi, self._mid
        if low is None or high is None or mid is None:
            return None
        parts = self._energy_parts if self._parts is not None else None
        return Energy(_value(low[U_ENERGY], high[U_ENERGY], mid[U_ENERGY]), parts=parts)

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
        low, high, mid = self._lo, self._hi, self._mid
        if low is None or high is None or mid is None:
            return None
        parts = self._water_parts if self._parts is not None else None
        return WCF(_value(low[U_WCF], high[U_WCF], mid[U_WCF]), parts=parts)

    @property
    def sci(self) -> SCI | None:
        """The Software Carbon Intensity per request and per token (see :class:`SCI`)."""
        low, high, mid = self._lo, self._hi, self._mid
        if low is None or high is None or mid is None:
            return None
        f = _G_PER_KG
        total = GWP(
            _value(
                (low[U_GWP] + low[E_GWP]) * f,
                (high[U_GWP] + high[E_GWP]) * f,
                (mid[U_GWP] + mid[E_GWP]) * f,
            ),
            _units.display_unit("gwp", "g"),
        )
        b = self.basis
        return SCI(total, b.requests - b.unestimated, b.input_tokens + b.output_tokens)

    @property
    def usage(self) -> UsageImpacts | None:
        if self._lo is None or self._hi is None or self._mid is None:
            return None
        return UsageImpacts(self._lo, self._hi, self._mid)

    @property
    def embodied(self) -> EmbodiedImpacts | None:
        if self._lo is None or self._hi is None or self._mid is None:
            return None
        return EmbodiedImpacts(self._lo, self._hi, self._mid)

    @property
    def vectors(self) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
        """The raw (low, high) value vectors, for fast aggregation."""
        if self._lo is None or self._hi is None:
            return None
        return self._lo, self._hi  # type: ignore[return-value]

    @property
    def central_vector(self) -> tuple[float, ...] | None:
        """The best estimates, in the layout of :attr:`vectors`."""
        return self._mid

    def bounds(self) -> dict[str, dict[str, tuple[float, float, float]]]:
        """Every value as plain ``(P5, best estimate, P95)`` floats in canonical units:
        ``{"total": {criterion: ...}, "usage": {...}, "embodied": {...}}``, empty when the
        estimate failed. What exporters read: no :class:`Impact` is built."""
        low, high, mid = self._lo, self._hi, self._mid
        if low is None or high is None or mid is None:
            return {}
        usage, embodied = (
            {name: (low[i], mid[i], high[i]) for name, _, i in phase._fields}
            for phase in (UsageImpacts, EmbodiedImpacts)
        )
        total = {
            name: _plus(value, embodied[name]) if name in embodied else value
            for name, value in usage.items()
        }
        return {"total": total, "usage": usage, "embodied": embodied}

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
        mid = [0.0] * N_VALUES
        n_parts = len(ENERGY_PARTS) + len(WATER_PARTS)
        parts: list[list[float]] | None = [[0.0] * n_parts for _ in range(3)]
        warnings: list[WarningMessage] = []
        errors: list[ErrorMessage] = []
        requests = unestimated = 0
        tokens = [0, 0, 0, 0, 0]  # input, cached, output, reasoning, images
        versions: list[str] = []
        for it in items:
            b = it.basis
            requests += b.requests
            v = b.methodology_version
            if v and v not in versions:
                versions.append(v)
            for w in it.warnings:
                if w not in warnings:
                    warnings.append(w)
            for e in it.errors:
                if e not in errors:
                    errors.append(e)
            if it._lo is None or it._hi is None or it._mid is None:
                unestimated += b.requests
                continue
            unestimated += b.unestimated
            for i, n in enumerate(
                (b.input_tokens, b.cached_tokens, b.output_tokens, b.reasoning_tokens, b.images)
            ):
                tokens[i] += n
            for i in range(N_VALUES):
                low[i] += it._lo[i]
                high[i] += it._hi[i]
                mid[i] += it._mid[i]
            its = it.parts
            if its is None:
                parts = None
            elif parts is not None:
                for q in range(3):
                    for i in range(n_parts):
                        parts[q][i] += its[q][i]
        # A sum keeps the methodology version of its parts ("1.0+1.1" if they differ).
        basis = Basis(
            input_tokens=tokens[0],
            cached_tokens=tokens[1],
            output_tokens=tokens[2],
            reasoning_tokens=tokens[3],
            images=tokens[4],
            requests=requests,
            unestimated=unestimated,
            methodology_version="+".join(sorted(versions)),
        )
        return Impacts(
            low,
            high,
            central=mid,
            parts=None if parts is None else (tuple(parts[0]), tuple(parts[1]), tuple(parts[2])),
            basis=basis,
            warnings=warnings,
            errors=errors,
        )

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        low, high, mid = self._lo, self._hi, self._mid
        totals: dict[str, Any]
        if low is None or high is None or mid is None:
            totals = dict.fromkeys((*CRITERIA, "usage", "embodied", "sci"))
        else:
            totals = {
                name: _crit_dict(
                    cls,
                    low[iu] + (low[ie] if ie is not None else 0.0),
                    high[iu] + (high[ie] if ie is not None else 0.0),
                    mid[iu] + (mid[ie] if ie is not None else 0.0),
                )
                for name, cls, iu, ie in _TOTALS
            }
            if self.parts is not None:
                for name in ("energy", "wcf"):
                    breakdown = getattr(self, name).breakdown
                    totals[name]["breakdown"] = {
                        k: v.to_dict()["value"] for k, v in breakdown.items()
                    }
            totals["usage"] = UsageImpacts(low, high, mid).to_dict()
            totals["embodied"] = EmbodiedImpacts(low, high, mid).to_dict()
            sci = self.sci
            assert sci is not None
            totals["sci"] = sci.to_dict()
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
_FILLED = frozenset({"_lo", "_hi", "_mid", "_parts", "_basis", "warnings", "errors"})
"""The slots a deferred Impacts fills on first read."""
_CRITERIA = frozenset(CRITERIA)
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
    central: tuple[float, ...] | None = None,
    parts: PartVectors | None = None,
) -> Impacts:
    """Unpickle an :class:`Impacts` (its basis is pickled built)."""
    return Impacts(
        low, high, central=central, parts=parts, basis=basis, warnings=warnings, errors=errors
    )
