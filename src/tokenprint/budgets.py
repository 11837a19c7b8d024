"""Tracking and budgets: collect the impacts of the requests made in a block, and put limits
on them.

* :class:`Tracker` (``with EcoLogits.track() as t:``) records every request made inside the
  block: ``t.total``, ``t.requests``, ``t.by_model()``, ``t.to_json()``, ``t.to_csv()``.
* :class:`Budget` limits each request (``per_request``) and the sum of the requests made
  while it is active (``total``). On a breach it warns (:class:`BudgetWarning`), raises
  :class:`~tokenprint.errors.BudgetExceeded` once the response is received, or in ``block``
  mode refuses a request before it is sent when its worst case would not fit.

Both live in the per-request context (:mod:`tokenprint.context`): each thread and asyncio
task sees only the trackers and budgets it opened (asyncio tasks inherit the ones open where
they were created; a new thread starts with none). One after-hook feeds them all; the
before-hook that block mode needs is registered only while a blocking budget is active.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from tokenprint import context, hooks
from tokenprint.config import Config
from tokenprint.errors import BudgetExceeded, InvalidArgumentError, InvalidTypeError
from tokenprint.impacts import units
from tokenprint.impacts.results import (
    E_ADPE,
    E_GWP,
    E_PE,
    N_VALUES,
    U_ADPE,
    U_ENERGY,
    U_GWP,
    U_PE,
    U_WCF,
    Basis,
    Impacts,
)
from tokenprint.scopes import Scope
from tokenprint.usage import Usage

__all__ = [
    "CRITERIA",
    "REPORT_FORMAT",
    "Breach",
    "Budget",
    "BudgetExceeded",
    "BudgetWarning",
    "Limit",
    "TrackedRequest",
    "Tracker",
    "install",
    "request_dict",
    "uninstall",
]

CRITERIA: tuple[str, ...] = ("energy", "gwp", "adpe", "pe", "wcf")
"""The criteria a budget can limit (totals: usage + embodied)."""
_ALIASES = {"water": "wcf"}
MODES = ("warn", "raise", "block")
BOUNDS = ("max", "mean", "min")
REPORT_FORMAT = "tokenprint-report"
"""``format`` field of the JSON written by :meth:`Tracker.to_json` and the pytest plugin."""

Vectors = tuple[tuple[float, ...], tuple[float, ...]]
"""(low, high) value vectors of an Impacts (see :mod:`tokenprint.impacts.results`)."""

# Indices of each total criterion in the (low, high) value vectors: usage [+ embodied].
_SLOTS: dict[str, tuple[int, ...]] = {
    "energy": (U_ENERGY,),
    "gwp": (U_GWP, E_GWP),
    "adpe": (U_ADPE, E_ADPE),
    "pe": (U_PE, E_PE),
    "wcf": (U_WCF,),
}


class BudgetWarning(UserWarning):
    """A budget in ``warn`` mode was exceeded (the request went through)."""


def criterion_name(key: str) -> str:
    """The criterion a budget key names (``"water"`` is ``"wcf"``); raises for others."""
    if not isinstance(key, str):
        raise InvalidTypeError(f"budget keys are criterion names, got {type(key).__name__}")
    name = _ALIASES.get(key.strip().lower(), key.strip().lower())
    if name not in _SLOTS:
        accepted = sorted([*CRITERIA, *_ALIASES])
        raise InvalidArgumentError(f"unknown budget criterion {key!r}; accepted: {accepted}")
    return name


def bound_of(vectors: Vectors, name: str, bound: str) -> float:
    """One bound (``"min"``/``"mean"``/``"max"``) of a total criterion, canonical unit."""
    low, high = vectors
    idx = _SLOTS[name]
    lo = sum(low[i] for i in idx)
    hi = sum(high[i] for i in idx)
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


class TrackedRequest(NamedTuple):
    """One request seen by a tracker: what it was computed from and what it cost."""

    basis: Basis
    impacts: Impacts
    usage: Usage
    labels: Mapping[str, str]
    timestamp: float

    @classmethod
    def of(cls, record: hooks.RequestRecord) -> TrackedRequest:
        return cls(
            record.impacts.basis, record.impacts, record.usage, record.labels, record.timestamp
        )


def request_dict(r: TrackedRequest | hooks.RequestRecord) -> dict[str, Any]:
    """A request as the JSON reports write it: time, labels, basis and impacts."""
    impacts = r.impacts.to_dict()
    basis = impacts.pop("basis")
    return {"timestamp": r.timestamp, "labels": dict(r.labels), "basis": basis, "impacts": impacts}


def _model_of(basis: Basis) -> str:
    return basis.model_resolved or basis.model or "unknown"


class _Active(Scope):
    """Base of Tracker and Budget: entering puts the object itself in the context.

    Scopes are re-entrant: the same tracker or budget may be open in nested blocks and in
    several threads or tasks at once, so a decorated function shares one object.
    """

    def _activate(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _push(self) -> contextlib.AbstractContextManager[Any]:
        return self._activate()


# -- tracker ---------------------------------------------------------------------------------
class Tracker(_Active):
    """Collects the requests made inside ``with``/``async with`` or a decorated function.

    Trackers nest (an outer tracker sees the requests of an inner one) and are isolated per
    thread and asyncio task. Used as a decorator, the same tracker accumulates every call.
    """

    def __init__(self, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise InvalidTypeError(f"tracker name must be a str, got {type(name).__name__}")
        self.name = name
        self._requests: list[TrackedRequest] = []
        self._lock = threading.Lock()

    def _activate(self) -> contextlib.AbstractContextManager[Any]:
        return _opened(False, tracker=self)

    def add(self, record: hooks.RequestRecord) -> None:
        """Record one finished request (the after-hook calls this)."""
        item = TrackedRequest.of(record)
        with self._lock:
            self._requests.append(item)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def requests(self) -> list[TrackedRequest]:
        """The requests seen so far, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    def __len__(self) -> int:
        return len(self._requests)

    @property
    def total(self) -> Impacts:
        """Sum of the requests' impacts (low bounds and high bounds summed separately)."""
        return Impacts.sum(r.impacts for r in self.requests)

    def by_model(self) -> dict[str, Impacts]:
        """Summed impacts per model (the catalogue name when resolved, else as sent)."""
        groups: dict[str, list[Impacts]] = {}
        for r in self.requests:
            groups.setdefault(_model_of(r.basis), []).append(r.impacts)
        return {model: Impacts.sum(items) for model, items in groups.items()}

    def to_dict(self) -> dict[str, Any]:
        """The report: total, per-model totals and every request."""
        requests = self.requests
        total = Impacts.sum(r.impacts for r in requests)
        return {
            "format": REPORT_FORMAT,
            "version": 1,
            "name": self.name,
            "total": total.to_dict(),
            "by_model": {m: i.to_dict() for m, i in self.by_model().items()},
            "requests": [request_dict(r) for r in requests],
        }

    def to_json(self, path: str | None = None, *, indent: int | None = 2) -> str:
        """The report as JSON (also written to ``path`` if given); ``tokenprint check``
        reads it."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def to_csv(self, path: str | None = None) -> str:
        """One row per request: basis fields, labels, then each criterion's min and max."""
        text = requests_csv(self.requests)
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        return text

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<Tracker{label}: {len(self)} request(s)>"


_CSV_BASIS = (
    "provider",
    "model",
    "model_resolved",
    "modality",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "reasoning_tokens",
    "latency_s",
    "zone",
    "datacenter",
    "hardware",
    "methodology_version",
)


def requests_csv(requests: Iterable[TrackedRequest]) -> str:
    """CSV text of requests (one row each, impacts in canonical units)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    heads = ["timestamp", *_CSV_BASIS, "labels"]
    for c in CRITERIA:
        unit = units.DISPLAY[c]
        heads += [f"{c}_min_{unit}", f"{c}_max_{unit}"]
    heads.append("errors")
    w.writerow(heads)
    for r in requests:
        b = r.basis._asdict()
        row: list[Any] = [r.timestamp, *(("" if b[k] is None else b[k]) for k in _CSV_BASIS)]
        row.append(json.dumps(dict(r.labels), sort_keys=True) if r.labels else "")
        vec = r.impacts.vectors
        for c in CRITERIA:
            if vec is None:
                row += ["", ""]
            else:
                row += [bound_of(vec, c, "min"), bound_of(vec, c, "max")]
        row.append(";".join(e.code for e in r.impacts.errors))
        w.writerow(row)
    return out.getvalue()


# -- budget ----------------------------------------------------------------------------------
class Budget(_Active):
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
        self._low = [0.0] * N_VALUES
        self._high = [0.0] * N_VALUES
        self._mid = [0.0] * N_VALUES
        self._requests = 0
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
        items = list(requests)
        for n, r in enumerate(items, 1):
            vec = r.impacts.vectors
            if vec is not None:
                model = _model_of(r.basis)
                found += [f"request {n}: {b.message(model)}" for b in self.over_request(vec)]
        total = Impacts.sum(r.impacts for r in items).vectors
        if total is not None:
            found += [b.message() for b in self.over_total(total)]
        return found

    def charge(self, record: hooks.RequestRecord) -> list[Breach]:
        """Count a finished request and return the limits it broke."""
        vec = record.impacts.vectors
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
        """The limits a request of impacts ``worst`` would break (nothing is counted)."""
        vec = worst.vectors
        if vec is None:
            return []
        with self._lock:
            spent = (
                tuple(a + b for a, b in zip(self._low, vec[0], strict=True)),
                tuple(a + b for a, b in zip(self._high, vec[1], strict=True)),
            )
        return self.over_request(vec) + self.over_total(spent)

    def _activate(self) -> contextlib.AbstractContextManager[Any]:
        return _opened(self.mode == "block", budget=self)

    def __repr__(self) -> str:
        def show(limits: tuple[Limit, ...]) -> str:
            return "{" + ", ".join(f"{x.criterion}: {x.show(x.amount)}" for x in limits) + "}"

        return (
            f"Budget(per_request={show(self.per_request)}, total={show(self.totals_limits)}, "
            f"mode={self.mode!r}, bound={self.bound!r})"
        )


@contextlib.contextmanager
def _opened(block: bool, **pushed: Any) -> Iterator[None]:
    """A tracker or budget open in this context, holding the hooks it needs."""
    _hold(+1, block)
    try:
        with context.push(**pushed):
            yield
    finally:
        _hold(-1, block)


# -- the hooks -------------------------------------------------------------------------------
_global: Budget | None = None
_state_lock = threading.Lock()
_holds = [0, 0]
"""Open trackers and budgets (and the global budget), and the blocking budgets among them."""


def _hold(delta: int, block: bool) -> None:
    """Count what needs a hook: every open tracker and budget needs the after-hook, a
    blocking budget the before-hook too. Each hook is registered only while its count is
    above 0: with none registered, requests skip the work (their impacts are even computed
    on first read)."""
    with _state_lock:
        after = _holds[0] = max(0, _holds[0] + delta)
        (hooks.add_after if after else hooks.remove)(_after)
        if block:
            before = _holds[1] = max(0, _holds[1] + delta)
            (hooks.add_before if before else hooks.remove)(_before)


def _unique(items: tuple[Any, ...]) -> Iterable[Any]:
    if len(items) < 2:
        return items
    seen: set[int] = set()
    out = []
    for x in items:
        if id(x) not in seen:
            seen.add(id(x))
            out.append(x)
    return out


def _active_budgets() -> list[Budget]:
    found: list[Budget] = [] if _global is None else [_global]
    found += [b for b in _unique(context.budgets()) if b is not _global]
    return found


def _after(record: hooks.RequestRecord) -> None:
    """Record a finished request in every open tracker, then charge every active budget."""
    trackers = context.trackers()
    if not trackers and not context.budgets() and _global is None:
        return
    for t in _unique(trackers):
        t.add(record)
    first: BudgetExceeded | None = None
    model = record.impacts.basis.model_resolved or record.usage.model
    for budget in _active_budgets():
        breaches = budget.charge(record)
        if not breaches:
            continue
        text = "; ".join(b.message(model) for b in breaches)
        if budget.mode == "warn":
            warnings.warn(BudgetWarning(text), stacklevel=2)
        elif first is None:
            first = BudgetExceeded(
                text, request=record, totals=budget.spent, criterion=breaches[0].limit.criterion
            )
    if first is not None:
        raise first


def worst_case(pending: hooks.Pending, assume_output_tokens: int | None) -> Impacts:
    """Impacts of ``pending`` if it used every output token it may use.

    Output tokens: the request's own maximum, else ``assume_output_tokens``, else 0 (then
    only a request that goes over on its input alone is refused before sending)."""
    from tokenprint import runtime
    from tokenprint.engine import default_estimator

    rt = runtime.current()
    estimator = rt.estimator if rt is not None else default_estimator()
    out = pending.max_output_tokens
    if out is None:
        out = assume_output_tokens or 0
    usage = Usage(
        pending.provider,
        pending.model,
        input_tokens=max(0, pending.input_tokens),
        output_tokens=max(0, out),
        host=pending.host,
        modality=pending.modality,
        endpoint=pending.endpoint,
        requested_model=pending.model,
    )
    over = context.overrides()
    return estimator.compute(usage, over.get("zone"), over.get("datacenter"))


def _before(pending: hooks.Pending) -> None:
    """Block mode: refuse a request whose worst case does not fit in a blocking budget."""
    blocking = [b for b in _active_budgets() if b.mode == "block"]
    if not blocking:
        return
    cache: dict[int | None, Impacts] = {}
    for budget in blocking:
        key = budget.assume_output_tokens
        if key not in cache:
            cache[key] = worst_case(pending, key)
        breaches = budget.would_exceed(cache[key])
        if breaches:
            text = "; ".join(b.message(pending.model, would=True) for b in breaches)
            exc = BudgetExceeded(
                f"request refused before sending: {text}",
                request=None,
                totals=budget.spent,
                criterion=breaches[0].limit.criterion,
            )
            raise exc


def install(config: Config) -> None:
    """Activate ``config.budget`` as the global budget (replacing any previous one)."""
    global _global
    new = None if config.budget is None else Budget.coerce(config.budget)
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
