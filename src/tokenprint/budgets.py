"""Budgets: limits on the impacts of each request and of the requests made in a block.

:class:`Budget` limits each request (``per_request``) and the sum of the requests made while
it is active (``total``). On a breach it warns (:class:`BudgetWarning`), raises
:class:`~tokenprint.errors.BudgetExceeded` once the response is received, or in ``block``
mode refuses a request before it is sent when its worst case would not fit.

Budgets live in the per-request context (:mod:`tokenprint.context`), like trackers
(:mod:`tokenprint.tracking`); the global one (``EcoLogits.init(budget=...)``) applies to
every request. The after-request subscriber that charges them is registered only while a
budget is active, the before-request one that block mode needs only while a blocking budget is.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from tokenprint import context, events
from tokenprint.errors import BudgetExceeded, BudgetWarning, InvalidArgumentError, InvalidTypeError
from tokenprint.impacts import units
from tokenprint.impacts.results import CRITERIA, N_VALUES, SLOTS, Basis, Impacts, criterion_total
from tokenprint.records import Pending, RequestRecord, Usage
from tokenprint.tracking import TrackedRequest, model_of

__all__ = [
    "Breach",
    "Budget",
    "BudgetExceeded",
    "BudgetWarning",
    "Limit",
    "check_unknown_model",
    "install",
    "uninstall",
]

_ALIASES = {"water": "wcf"}
MODES = ("warn", "raise", "block")
BOUNDS = ("max", "mean", "min")
Vectors = tuple[tuple[float, ...], tuple[float, ...]]
"""(low, high) value vectors of an Impacts (see :mod:`tokenprint.impacts.results`)."""


def criterion_name(key: str) -> str:
    """The criterion a budget key names (``"water"`` is ``"wcf"``); raises for others."""
    if not isinstance(key, str):
        raise InvalidTypeError(f"budget keys are criterion names, got {type(key).__name__}")
    name = _ALIASES.get(key.strip().lower(), key.strip().lower())
    if name not in SLOTS:
        accepted = sorted([*CRITERIA, *_ALIASES])
        raise InvalidArgumentError(f"unknown budget criterion {key!r}; accepted: {accepted}")
    return name


def bound_of(vectors: Vectors, name: str, bound: str) -> float:
    """One bound (``"min"``/``"mean"``/``"max"``) of a total criterion, canonical unit."""
    low, high = vectors
    lo = criterion_total(low, name)
    hi = criterion_total(high, name)
    if bound == "max":
        return hi
    if bound == "min":
        return lo
    return (lo + hi) / 2.0


def check_bound(bound: object) -> str:
    if bound not in BOUNDS:
        raise InvalidArgumentError(f"bound must be one of {list(BOUNDS)}, not {bound!r}")
    return str(bound)


_UNIT_RE = re.compile(r"^\s*[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?\s*(.*?)\s*$")


class Limit(NamedTuple):
    """One limit: ``amount`` in the criterion's canonical unit, shown in ``unit``."""

    criterion: str
    amount: float
    unit: str
    """The unit the user wrote (``"g"``, ``"Wh"``, ``"mL"``), used in messages."""

    @classmethod
    def parse(cls, key: str, amount: object) -> Limit:
        """A limit from ``("gwp", "0.5 g")`` or a pint quantity; bare numbers are refused
        (a number without a unit is ambiguous)."""
        name = criterion_name(key)
        if isinstance(amount, (int, float)) and not isinstance(amount, bool):
            raise InvalidTypeError(
                f"budget {key}={amount!r} has no unit; write it like '0.5 g', '2 Wh', '10 mL'"
            )
        try:
            value = units.parse_amount(amount, name)
        except TypeError as exc:
            raise InvalidTypeError(f"budget {key}: {exc}") from exc
        except ValueError as exc:
            raise InvalidArgumentError(f"budget {key}: {exc}") from exc
        if not value >= 0:
            raise InvalidArgumentError(f"budget {key}={amount!r} must be >= 0")
        if isinstance(amount, str):
            m = _UNIT_RE.match(amount)
            unit = m.group(1) if m else units.CANONICAL[name]
        else:
            unit = f"{amount.units:~}"  # type: ignore[attr-defined]
        return cls(name, value, unit or units.CANONICAL[name])

    def show(self, value: float) -> str:
        """A canonical value written in this limit's unit (``"0.62 g"``)."""
        return f"{units.convert(value, units.CANONICAL[self.criterion], self.unit):.4g} {self.unit}"


def parse_limits(limits: Mapping[str, object] | None, what: str) -> tuple[Limit, ...]:
    if limits is None:
        return ()
    if not isinstance(limits, Mapping):
        raise InvalidTypeError(
            f"{what} must be a mapping such as {{'gwp': '0.5 g'}}, got {type(limits).__name__}"
        )
    parsed = tuple(Limit.parse(k, v) for k, v in limits.items())
    names = [lim.criterion for lim in parsed]
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"{what} names a criterion twice (water is wcf)")
    return parsed


class Breach(NamedTuple):
    """A limit gone over: which one, by how much, and for what (``request`` or ``total``)."""

    kind: str
    limit: Limit
    value: float
    """The checked bound, canonical unit."""
    bound: str

    def message(self, model: str | None = None, *, would: bool = False) -> str:
        what = "per-request" if self.kind == "request" else "total"
        verb = "would exceed" if would else "exceeds"
        about = f" (request to {model})" if model else ""
        return (
            f"{self.limit.criterion} {what} {self.limit.show(self.value)} ({self.bound}) "
            f"{verb} the budget of {self.limit.show(self.limit.amount)}{about}"
        )


# -- budget ----------------------------------------------------------------------------------
class Budget(context.Scope):
    """Limits on each request and on the sum of the requests made while it is active.

    ``Budget(per_request={"gwp": "0.5 g"}, total={"energy": "2 Wh", "water": "10 mL"})``.
    Amounts are strings with a unit or pint quantities; keys are ``energy``, ``gwp``,
    ``adpe``, ``pe``, ``wcf`` (or ``water``). A request's impacts are compared by their
    upper bound by default (``bound="max"``; ``"mean"`` or ``"min"`` for a laxer check).

    ``mode``: ``"warn"`` issues a :class:`BudgetWarning`; ``"raise"`` raises
    :class:`~tokenprint.errors.BudgetExceeded` once the response is received and its impacts
    attached; ``"block"`` also refuses, before anything is sent, a request whose worst case
    (``max_tokens`` output tokens, or ``assume_output_tokens`` when the request sets no
    maximum) would go over what is left.

    ``unknown_model``: what a request whose impacts could not be estimated (a model missing
    from the catalogue) counts for, never zero unnoticed: ``"warn"`` (the default: a
    :class:`BudgetWarning` once per model, nothing counted), ``"fail"`` (a breach: warned,
    raised, or refused before sending, as the mode says), or ``"assume:<model>"`` (counted
    as that catalogued model).

    Active globally (``EcoLogits.init(budget=...)``), in a ``with``/``async with`` block or
    on a decorated function. The total accumulates over every activation of the same
    object (a spending allowance); :meth:`reset` starts it again.
    """

    def __init__(
        self,
        per_request: Mapping[str, object] | None = None,
        total: Mapping[str, object] | None = None,
        *,
        mode: str = "raise",
        bound: str = "max",
        assume_output_tokens: int | None = None,
        name: str | None = None,
        unknown_model: str = "warn",
    ) -> None:
        if mode not in MODES:
            raise InvalidArgumentError(f"mode must be one of {list(MODES)}, not {mode!r}")
        if assume_output_tokens is not None and (
            isinstance(assume_output_tokens, bool)
            or not isinstance(assume_output_tokens, int)
            or assume_output_tokens < 0
        ):
            raise InvalidArgumentError(
                f"assume_output_tokens must be an int >= 0, got {assume_output_tokens!r}"
            )
        self.per_request = parse_limits(per_request, "per_request")
        self.totals_limits = parse_limits(total, "total")
        if not self.per_request and not self.totals_limits:
            raise InvalidArgumentError("a Budget needs per_request or total limits")
        self.mode = mode
        self.bound = check_bound(bound)
        self.assume_output_tokens = assume_output_tokens
        self.name = name
        self.unknown_model = check_unknown_model(unknown_model)
        self._low = [0.0] * N_VALUES
        self._high = [0.0] * N_VALUES
        self._mid = [0.0] * N_VALUES
        self._requests = 0
        self._reserved: dict[int, Vectors] = {}
        self._warned: set[str | None] = set()
        """Block mode: the worst case of each request sent and not yet ended, by its key."""
        self._lock = threading.Lock()

    @classmethod
    def coerce(cls, value: object) -> Budget:
        """A Budget from a Budget or a mapping of its arguments (config files)."""
        if isinstance(value, Budget):
            return value
        if isinstance(value, Mapping):
            return cls(**value)
        raise InvalidTypeError(f"budget must be a tokenprint.Budget, got {type(value).__name__}")

    # -- state ---------------------------------------------------------------------------
    @property
    def spent(self) -> Impacts:
        """What the requests counted so far add up to."""
        with self._lock:
            return Impacts(
                self._low, self._high, central=self._mid, basis=Basis(requests=self._requests)
            )

    @property
    def exhausted(self) -> bool:
        """True once what was spent reaches a total limit (at the budget's ``bound``): the
        moment a chatbot hands over to a human."""
        with self._lock:
            spent = (tuple(self._low), tuple(self._high))
        return any(
            bound_of(spent, lim.criterion, self.bound) >= lim.amount for lim in self.totals_limits
        )

    def remaining(self, criterion: str, unit: str | None = None) -> float | None:
        """What is left of the total limit on ``criterion``, in ``unit`` (default: the
        criterion's canonical unit, kWh, kg, MJ or L); None without a total limit on it."""
        name = criterion_name(criterion)
        for lim in self.totals_limits:
            if lim.criterion == name:
                with self._lock:
                    used = bound_of((tuple(self._low), tuple(self._high)), name, self.bound)
                left = max(0.0, lim.amount - used)
                return left if unit is None else units.convert(left, units.CANONICAL[name], unit)
        return None

    def reset(self) -> None:
        """Forget what was spent."""
        with self._lock:
            self._low = [0.0] * N_VALUES
            self._high = [0.0] * N_VALUES
            self._mid = [0.0] * N_VALUES
            self._requests = 0

    # -- checks --------------------------------------------------------------------------
    def over_request(self, vec: Vectors) -> list[Breach]:
        """Per-request limits broken by a request of impacts ``vec``."""
        return [
            Breach("request", lim, v, self.bound)
            for lim in self.per_request
            if (v := bound_of(vec, lim.criterion, self.bound)) > lim.amount
        ]

    def over_total(self, spent: Vectors) -> list[Breach]:
        """Total limits broken by totals ``spent``."""
        return [
            Breach("total", lim, v, self.bound)
            for lim in self.totals_limits
            if (v := bound_of(spent, lim.criterion, self.bound)) > lim.amount
        ]

    def audit(self, requests: Iterable[TrackedRequest]) -> list[str]:
        """Readable breaches of finished requests, checked afterwards (nothing is charged):
        each request against ``per_request``, their sum against ``total``."""
        found: list[str] = []
        counted: list[Impacts] = []
        for n, r in enumerate(requests, 1):
            impacts = self.counted(r.usage, r.impacts)
            if isinstance(impacts, str):
                found.append(f"request {n}: {impacts}")
                continue
            if impacts is None or impacts.vectors is None:
                continue
            counted.append(impacts)
            model = model_of(r.basis)
            found += [
                f"request {n}: {b.message(model)}" for b in self.over_request(impacts.vectors)
            ]
        total = Impacts.sum(counted).vectors
        if total is not None:
            found += [b.message() for b in self.over_total(total)]
        return found

    def counted(self, usage: Usage, impacts: Impacts) -> Impacts | str | None:
        """What a request counts for: its impacts; for one that could not be estimated,
        what ``unknown_model`` says: a stand-in model's impacts, a refusal (its message,
        ``"fail"``), or nothing (``"warn"``, warned once per model)."""
        if impacts.vectors is not None:
            return impacts
        model = usage.model or usage.requested_model
        codes = ", ".join(e.code for e in impacts.errors) or "no impacts"
        if self.unknown_model.startswith("assume:"):
            stand_in = self.unknown_model.split(":", 1)[1]
            return _estimate(usage._replace(model=stand_in, requested_model=stand_in))
        message = f"the impacts of a request to {model!r} are unknown ({codes})"
        if self.unknown_model == "fail":
            return f"{message} (unknown_model='fail')"
        with self._lock:
            first = model not in self._warned
            self._warned.add(model)
        if first:  # once per model and budget, not once per request
            text = f"{message}: not counted against the budget (unknown_model='warn')"
            events.warn(BudgetWarning(text))
        return None

    def charge(self, record: RequestRecord, impacts: Impacts | None = None) -> list[Breach]:
        """Count a finished request (as ``impacts``, default: its own) and return the limits
        it broke."""
        vec = (record.impacts if impacts is None else impacts).vectors
        if vec is None:
            return []
        low, high = vec
        mid = record.impacts.central_vector or low
        with self._lock:
            for i in range(N_VALUES):
                self._low[i] += low[i]
                self._high[i] += high[i]
                self._mid[i] += mid[i]
            self._requests += 1
            spent = (tuple(self._low), tuple(self._high))
        return self.over_request(vec) + self.over_total(spent)

    def would_exceed(self, worst: Impacts) -> list[Breach]:
        """The limits a request of impacts ``worst`` would break, counting what is spent and
        what is reserved for requests still running (nothing is counted)."""
        vec = worst.vectors
        if vec is None:
            return []
        with self._lock:
            spent = self._committed(vec)
        return self.over_request(vec) + self.over_total(spent)

    def reserve(self, key: object, worst: Impacts) -> list[Breach]:
        """Block mode, before sending: the limits a request of impacts ``worst`` would
        break; if none, its worst case is reserved until :meth:`release` (so requests sent
        at the same time never overshoot the budget by more than one request's worst case)."""
        vec = worst.vectors
        if vec is None:
            return []
        with self._lock:
            breaches = self.over_request(vec) + self.over_total(self._committed(vec))
            if not breaches and key is not None:  # a request without identity: checked only
                self._reserved[id(key)] = vec
        return breaches

    def release(self, key: object) -> None:
        """Forget the worst case reserved for the request ``key`` (it ended)."""
        with self._lock:
            self._reserved.pop(id(key), None)

    def _committed(self, vec: Vectors) -> Vectors:
        """Spent, plus the worst cases reserved, plus ``vec`` (the lock is held)."""
        low, high = list(self._low), list(self._high)
        for r_low, r_high in [*self._reserved.values(), vec]:
            for i in range(N_VALUES):
                low[i] += r_low[i]
                high[i] += r_high[i]
        return tuple(low), tuple(high)

    def _push(self) -> contextlib.AbstractContextManager[Any]:
        return _opened(self)

    def __repr__(self) -> str:
        def show(limits: tuple[Limit, ...]) -> str:
            return "{" + ", ".join(f"{x.criterion}: {x.show(x.amount)}" for x in limits) + "}"

        return (
            f"Budget(per_request={show(self.per_request)}, total={show(self.totals_limits)}, "
            f"mode={self.mode!r}, bound={self.bound!r})"
        )


@contextlib.contextmanager
def _opened(budget: Budget) -> Iterator[None]:
    """A budget active in this context, holding the subscribers it needs."""
    block = budget.mode == "block"
    _hold(+1, block)
    try:
        with context.push(budget=budget):
            yield
    finally:
        _hold(-1, block)


# -- the hooks -------------------------------------------------------------------------------
_global: Budget | None = None
_state_lock = threading.Lock()


def _hold(delta: int, block: bool) -> None:
    """Count what needs a subscriber: every active budget (the global one included) the
    after-request one, a blocking budget the before-request and failed-request ones too."""
    _checking.hold(delta)
    if block:
        for held in _blocking:
            held.hold(delta)


def _active_budgets() -> list[Budget]:
    found: list[Budget] = [] if _global is None else [_global]
    found += [b for b in context.budgets() if b is not _global]
    return found


def _after(record: RequestRecord) -> None:
    """Charge a finished request to every budget active in its context."""
    _release(record.key)
    first: BudgetExceeded | None = None
    model = record.impacts.basis.model_resolved or record.usage.model
    for budget in _active_budgets():
        counted = budget.counted(record.usage, record.impacts)
        if counted is None:
            continue
        criterion: str | None = None
        if isinstance(counted, str):
            text = counted
        else:
            breaches = budget.charge(record, counted)
            if not breaches:
                continue
            text = "; ".join(b.message(model) for b in breaches)
            criterion = breaches[0].limit.criterion
        _tell(budget, criterion, record.labels)
        if budget.mode == "warn":
            events.warn(BudgetWarning(text))
        elif first is None:
            first = BudgetExceeded(text, request=record, totals=budget.spent, criterion=criterion)
    if first is not None:
        raise first


def worst_case(pending: Pending, assume_output_tokens: int | None) -> Impacts:
    """Impacts of ``pending`` if it used every output token it may use.

    Output tokens: the request's own maximum, else ``assume_output_tokens``, else 0 (then
    only a request that goes over on its input alone is refused before sending)."""
    return _estimate(_worst_usage(pending, assume_output_tokens))


def _worst_usage(pending: Pending, assume_output_tokens: int | None) -> Usage:
    out = pending.max_output_tokens
    if out is None:
        out = assume_output_tokens or 0
    return Usage(
        pending.provider,
        pending.model,
        input_tokens=max(0, pending.input_tokens),
        output_tokens=max(0, out),
        host=pending.host,
        modality=pending.modality,
        endpoint=pending.endpoint,
        requested_model=pending.model,
        precision=pending.precision,
    )


def _estimate(usage: Usage) -> Impacts:
    """The impacts of ``usage`` by the estimator in effect, with the context's site."""
    from tokenprint.estimator import default_estimator

    rt = events.current()
    estimator = rt.estimator if rt is not None else default_estimator()
    over = context.overrides()
    return estimator.compute(usage, over.get("zone"), over.get("datacenter"))


def check_unknown_model(value: object) -> str:
    """``"warn"``, ``"fail"`` or ``"assume:<model>"``; raises for anything else."""
    if value in ("warn", "fail"):
        return str(value)
    if isinstance(value, str) and value.startswith("assume:") and value[7:].strip():
        return "assume:" + value[7:].strip()
    raise InvalidArgumentError(
        f"unknown_model must be 'warn', 'fail' or 'assume:<model>', not {value!r}"
    )


def _tell(budget: Budget, criterion: str | None, labels: Mapping[str, str] | None = None) -> None:
    """Publish a breach to its subscribers (labels: the request's, else the context's)."""
    if events.BREACHED:
        if labels is None:
            rt = events.current()
            labels = context.request_labels(rt.labels if rt is not None else {})
        events.run_breached(events.Breach(budget.name or "", criterion, budget.mode, labels))


def _before(pending: Pending) -> None:
    """Block mode: reserve the request's worst case in every blocking budget, or refuse it
    (nothing is sent) when it does not fit in one of them."""
    blocking = [b for b in _active_budgets() if b.mode == "block"]
    if not blocking:
        return
    cache: dict[int | None, Impacts] = {}
    held: list[Budget] = []
    for budget in blocking:
        assumed = budget.assume_output_tokens
        if assumed not in cache:
            cache[assumed] = worst_case(pending, assumed)
        worst = budget.counted(_worst_usage(pending, assumed), cache[assumed])
        if worst is None:
            continue
        breaches = [] if isinstance(worst, str) else budget.reserve(pending.key, worst)
        if isinstance(worst, str) or breaches:
            for other in held:
                other.release(pending.key)
            text = (
                worst
                if isinstance(worst, str)
                else "; ".join(b.message(pending.model, would=True) for b in breaches)
            )
            _tell(budget, None if isinstance(worst, str) else breaches[0].limit.criterion)
            raise BudgetExceeded(
                f"request refused before sending: {text}",
                request=None,
                totals=budget.spent,
                criterion=None if isinstance(worst, str) else breaches[0].limit.criterion,
            )
        held.append(budget)
    if held and pending.key is not None:
        with _state_lock:
            _holding[id(pending.key)] = held


_holding: dict[int, list[Budget]] = {}
"""The blocking budgets holding a reservation for a request still running, by its key."""


def _release(key: object) -> None:
    """The request ``key`` ended (answered, or its SDK call raised): release what blocking
    budgets reserved for it."""
    if key is None:
        return
    with _state_lock:
        held = _holding.pop(id(key), ())
    for budget in held:
        budget.release(key)


def install(new: Budget | None) -> None:
    """Make ``new`` the global budget (replacing any previous one; None: no global budget)."""
    global _global
    with _state_lock:
        old, _global = _global, new
    if old is not None:
        _hold(-1, old.mode == "block")
    if new is not None:
        _hold(+1, new.mode == "block")


def uninstall() -> None:
    """Deactivate the global budget (open trackers and scoped budgets keep working)."""
    global _global
    with _state_lock:
        old, _global = _global, None
    if old is not None:
        _hold(-1, old.mode == "block")


_checking = events.Held(events.add_after, _after)
""":func:`_after`, subscribed while some budget is active."""
_blocking = (events.Held(events.add_before, _before), events.Held(events.add_failed, _release))
""":func:`_before` and :func:`_release`, subscribed while some blocking budget is active."""
