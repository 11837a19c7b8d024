"""The two moments other parts of tokenprint hook into, around each instrumented request.

* ``before(pending)``: just before the SDK sends a request. Budgets in ``block`` mode raise
  :class:`~tokenprint.errors.BudgetExceeded` here, so nothing is sent.
* ``after(record)``: once a request's impacts are known and attached (for streams: when the
  stream ends). Trackers, budgets and exporters subscribe here.

The instrumentation core calls :func:`run_before` and :func:`run_after`. A subscriber's own
failure is an internal error (guarded, logged once); ``BudgetExceeded`` is the one exception
that reaches the user, on purpose.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import NamedTuple

from tokenprint.errors import BudgetExceeded
from tokenprint.guard import report
from tokenprint.impacts.results import Impacts
from tokenprint.usage import Usage

__all__ = [
    "AFTER",
    "BEFORE",
    "Pending",
    "RequestRecord",
    "add_after",
    "add_before",
    "has_before",
    "remove",
    "run_after",
    "run_before",
]


class Pending(NamedTuple):
    """A request about to be sent: what is known before the answer."""

    provider: str | None
    model: str | None
    max_output_tokens: int | None
    """``max_tokens``/``max_output_tokens``/``max_completion_tokens`` if given."""
    input_tokens: int
    """Estimated from the request (about 4 characters per token)."""
    host: str | None = None
    endpoint: str = ""
    modality: str = "text"


class RequestRecord(NamedTuple):
    """One finished request: what it used, what it cost, and its context."""

    usage: Usage
    impacts: Impacts
    labels: Mapping[str, str]
    timestamp: float
    """Unix time at which the request ended."""

    @classmethod
    def now(cls, usage: Usage, impacts: Impacts, labels: Mapping[str, str]) -> RequestRecord:
        return cls(usage, impacts, labels, time.time())


BeforeHook = Callable[[Pending], None]
AfterHook = Callable[[RequestRecord], None]

BEFORE: list[BeforeHook] = []
"""The before-hooks, in order. Read-only outside this module (the request path tests it
for emptiness without a function call); change it with :func:`add_before`/:func:`remove`."""
AFTER: list[AfterHook] = []
"""The after-hooks, in order; read-only outside this module, like :data:`BEFORE`."""


def add_before(fn: BeforeHook) -> None:
    if fn not in BEFORE:
        BEFORE.append(fn)


def add_after(fn: AfterHook) -> None:
    if fn not in AFTER:
        AFTER.append(fn)


def remove(fn: object) -> None:
    """Unsubscribe a hook (either kind); unknown hooks are ignored."""
    for lst in (BEFORE, AFTER):
        while fn in lst:
            lst.remove(fn)  # type: ignore[arg-type]


def has_before() -> bool:
    """True when some hook wants to see requests before they are sent (skip work if not)."""
    return bool(BEFORE)


def run_before(pending: Pending) -> None:
    """Run the before-hooks; ``BudgetExceeded`` propagates, other failures are guarded."""
    for fn in tuple(BEFORE):
        try:
            fn(pending)
        except BudgetExceeded:
            raise
        except Exception as exc:
            report(exc, f"before-hook {getattr(fn, '__qualname__', fn)!s}")


def run_after(record: RequestRecord) -> None:
    """Run every after-hook, even when one fails; a ``BudgetExceeded`` is re-raised once
    they have all run (so trackers and exporters still see the request)."""
    breach: BudgetExceeded | None = None
    for fn in tuple(AFTER):
        try:
            fn(record)
        except BudgetExceeded as exc:
            breach = breach or exc
        except Exception as exc:
            report(exc, f"after-hook {getattr(fn, '__qualname__', fn)!s}")
    if breach is not None:
        raise breach
