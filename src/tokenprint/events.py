"""What happens around each instrumented request, outside the SDK call itself: the running
state, the subscribers, and the error guard.

* State: ``EcoLogits.init()`` puts a :class:`Runtime` in effect (the estimator and the
  labels of every request); :func:`current` is read once per request.
* Subscribers: ``before(pending)`` runs just before the SDK sends a request (budgets in
  ``block`` mode raise :class:`~tokenprint.errors.BudgetExceeded` there, so nothing is sent);
  ``after(record)`` runs once a request's impacts are known (for streams: when the stream
  ends); ``breached(breach)`` hears of each budget breach. Trackers, budgets and exporters
  subscribe.
* Guard: :func:`report` takes every internal exception caught around an instrumented call.
  In production it logs once per (place, exception type) and returns, so the caller goes on
  with the SDK's own result. Under pytest (``PYTEST_CURRENT_TEST`` set) it re-raises, so our
  bugs are loud in tests; ``TOKENPRINT_STRICT=0`` or ``=1`` (or false/true, no/yes, off/on)
  forces either behaviour.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

from tokenprint.errors import BudgetExceeded
from tokenprint.impacts.results import Impacts
from tokenprint.records import Pending, RequestRecord, Usage

__all__ = [
    "AFTER",
    "BEFORE",
    "BREACHED",
    "FAILED",
    "Breach",
    "Estimates",
    "Held",
    "Runtime",
    "add_after",
    "add_before",
    "add_breached",
    "add_failed",
    "current",
    "logger",
    "remove",
    "report",
    "run_after",
    "run_before",
    "run_breached",
    "run_failed",
    "set_current",
    "strict",
    "warn",
]

logger = logging.getLogger("tokenprint")


# -- state -----------------------------------------------------------------------------------
class Estimates(Protocol):
    """What the instrumentation needs of an estimator: Impacts from a Usage."""

    def compute(self, u: Usage, zone: Any = None, datacenter: Any = None) -> Impacts: ...


class Runtime(NamedTuple):
    """The settings of the ``init()`` in effect, as each request reads them."""

    estimator: Estimates
    labels: Mapping[str, str]
    """Labels of every request (``init(labels=...)``)."""


_current: Runtime | None = None


def current() -> Runtime | None:
    """The Runtime in effect, or None when nothing is instrumented."""
    return _current


def set_current(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


# -- subscribers -----------------------------------------------------------------------------
BeforeHook = Callable[[Pending], None]
AfterHook = Callable[[RequestRecord], None]
FailedHook = Callable[[object], None]

BEFORE: list[BeforeHook] = []
"""The before-subscribers, in order. Read-only outside this module (the request path tests
it for emptiness); change it with :func:`add_before`/:func:`remove`."""
AFTER: list[AfterHook] = []
"""The after-subscribers, in order; read-only outside this module, like :data:`BEFORE`."""
FAILED: list[FailedHook] = []
"""Told the key of a request seen before sending whose SDK call raised (nothing to publish:
what was reserved for it is released)."""


class Breach(NamedTuple):
    """A budget breach, as its subscribers hear of it (exporters count them)."""

    budget: str
    """The budget's ``name``, ``""`` when it has none."""
    criterion: str | None
    """The first criterion over its limit; None for an unknown model refused as such."""
    mode: str
    """The budget's mode: ``warn``, ``raise`` or ``block`` (refused before sending)."""
    labels: Mapping[str, str]
    """The labels of the request."""


BreachHook = Callable[[Breach], None]
BREACHED: list[BreachHook] = []
"""Told of each budget breach, before the warning or the exception it causes."""


def add_breached(fn: BreachHook) -> None:
    if fn not in BREACHED:
        BREACHED.append(fn)


def add_before(fn: BeforeHook) -> None:
    if fn not in BEFORE:
        BEFORE.append(fn)


def add_after(fn: AfterHook) -> None:
    if fn not in AFTER:
        AFTER.append(fn)


def add_failed(fn: FailedHook) -> None:
    if fn not in FAILED:
        FAILED.append(fn)


def remove(fn: object) -> None:
    """Unsubscribe a hook (any kind); unknown hooks are ignored."""
    for lst in (BEFORE, AFTER, FAILED, BREACHED):
        while fn in lst:
            lst.remove(fn)  # type: ignore[arg-type]


class Held:
    """A subscriber subscribed only while something holds it (an open tracker, an active
    budget, a LangChain call in progress): with no subscriber, requests skip the work and
    their impacts are computed on first read. ``with held:`` holds it for the block."""

    def __init__(self, subscribe: Callable[[Any], None], fn: Callable[..., None]) -> None:
        self._subscribe = subscribe
        self._fn = fn
        self._count = 0
        self._lock = threading.Lock()

    def hold(self, delta: int) -> None:
        """Count ``delta`` more (or fewer) holders; subscribed while there are some."""
        with self._lock:
            self._count = max(0, self._count + delta)
            if self._count:
                self._subscribe(self._fn)
            else:
                remove(self._fn)

    def __enter__(self) -> None:
        self.hold(+1)

    def __exit__(self, *exc: object) -> None:
        self.hold(-1)


def run_before(pending: Pending) -> None:
    """Run the before-hooks; ``BudgetExceeded`` propagates, other failures are guarded."""
    for fn in tuple(BEFORE):
        try:
            fn(pending)
        except BudgetExceeded:
            raise
        except Exception as exc:
            report(exc, f"before-hook {getattr(fn, '__qualname__', fn)!s}")


def run_after(record: RequestRecord, hooks: tuple[AfterHook, ...] | None = None) -> None:
    """Run every after-hook (``hooks``: those subscribed when the request was made; default:
    those subscribed now), even when one fails; a ``BudgetExceeded`` is re-raised once they
    have all run (so trackers and exporters still see the request)."""
    breach: BudgetExceeded | None = None
    for fn in tuple(AFTER) if hooks is None else hooks:
        try:
            fn(record)
        except BudgetExceeded as exc:
            breach = breach or exc
        except Exception as exc:
            report(exc, f"after-hook {getattr(fn, '__qualname__', fn)!s}")
    if breach is not None:
        raise breach


def run_failed(key: object) -> None:
    """Tell the failed-subscribers that the request ``key`` ended with the SDK's exception;
    their own failures are guarded (the SDK's exception is what the caller gets)."""
    for fn in tuple(FAILED):
        try:
            fn(key)
        except Exception as exc:
            report(exc, f"failed-hook {getattr(fn, '__qualname__', fn)!s}")


def run_breached(breach: Breach) -> None:
    """Tell the breach-subscribers; their own failures are guarded."""
    for fn in tuple(BREACHED):
        try:
            fn(breach)
        except Exception as exc:
            report(exc, f"breach-hook {getattr(fn, '__qualname__', fn)!s}")


def warn(warning: Warning) -> None:
    """Issue ``warning`` at the first frame outside tokenprint: the caller's line (for a
    stream, the SDK's iteration code the caller's loop runs), not tokenprint's own."""
    frame = sys._getframe(1)  # the caller of warn(): stacklevel 2
    level = 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(warning, stacklevel=level)


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


# -- the error guard -------------------------------------------------------------------------
_seen: set[tuple[str, str]] = set()
_lock = threading.Lock()


_STRICT = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}
_strict_warned: set[str] = set()


def strict() -> bool:
    """True when internal errors should raise (tests) instead of being logged.
    ``TOKENPRINT_STRICT`` forces it (1/0, true/false, yes/no, on/off, any case); another value
    is logged once and ignored, as is an empty one (silently)."""
    forced = os.environ.get("TOKENPRINT_STRICT")
    if forced and forced.strip():  # set and not empty
        value = _STRICT.get(forced.strip().lower())
        if value is not None:
            return value
        if forced not in _strict_warned:
            _strict_warned.add(forced)
            logger.warning(
                "tokenprint: TOKENPRINT_STRICT=%r is not one of 1/0, true/false, yes/no, "
                "on/off; ignored (strict under pytest only)",
                forced,
            )
    return "PYTEST_CURRENT_TEST" in os.environ


def report(exc: BaseException, where: str) -> None:
    """Handle an internal error: re-raise when strict, else log it once and return."""
    if strict():
        raise exc
    key = (where, type(exc).__name__)
    with _lock:
        first = key not in _seen
        _seen.add(key)
    if first:
        logger.warning(
            "tokenprint: internal error in %s (%s: %s); the SDK result is returned unchanged. "
            "Further errors of this kind are not logged.",
            where,
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
