"""The error guard: tokenprint's own failures never reach the host application.

:func:`report` is called with every internal exception caught around an instrumented call.
In production it logs once per (place, exception type) and returns, so the caller goes on
with the SDK's own result. Under pytest (``PYTEST_CURRENT_TEST`` set) it re-raises, so our
bugs are loud in tests; ``TOKENPRINT_STRICT=0`` or ``=1`` forces either behaviour.
"""

from __future__ import annotations

import logging
import os
import threading

__all__ = ["logger", "report", "strict"]

logger = logging.getLogger("tokenprint")
_seen: set[tuple[str, str]] = set()
_lock = threading.Lock()


def strict() -> bool:
    """True when internal errors should raise (tests) instead of being logged."""
    forced = os.environ.get("TOKENPRINT_STRICT")
    if forced is not None:
        return forced.strip().lower() in ("1", "true", "yes")
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
