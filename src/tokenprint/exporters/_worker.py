"""The exporters' background thread: work that need not happen while the request waits
(serialising and writing a JSON line, recording OpenTelemetry histograms) runs here, in
submission order, so a slow or full disk never holds the application.

The queue is bounded (:data:`MAX_PENDING`): when the thread cannot keep up, new work is
dropped and counted, and a warning says how much. A failure inside the thread is kept and
reported on the next caller's thread (logged once in production, raised under pytest), so
it is never lost in a thread nobody watches. :func:`flush` waits, at most ``timeout``
seconds, for the queue to drain; ``EcoLogits.shutdown()`` calls it.
"""

from __future__ import annotations

import collections
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from tokenprint import events

__all__ = ["MAX_PENDING", "flush", "no_wait", "submit", "wait"]

MAX_PENDING = 10_000
"""Work items waiting at most (a few kB of request each); beyond, new ones are dropped."""

_cond = threading.Condition()
_queue: collections.deque[tuple[Callable[..., Any], tuple[Any, ...], str]] = collections.deque()
_busy = False
_thread: threading.Thread | None = None
_failures: list[tuple[BaseException, str]] = []
_dropped = 0
_no_wait = 0
"""Above 0 inside :func:`no_wait`: flushes do not wait."""


def submit(fn: Callable[..., Any], *args: Any, where: str) -> None:
    """Run ``fn(*args)`` on the background thread; ``where`` names it in error reports."""
    global _thread, _dropped
    _raise_failures()
    with _cond:
        if len(_queue) >= MAX_PENDING:
            _dropped += 1
            if _dropped == 1:
                events.logger.warning(
                    "tokenprint: exporters cannot keep up (%d items waiting); new items are "
                    "dropped until they do (counted at shutdown)",
                    MAX_PENDING,
                )
            return
        _queue.append((fn, args, where))
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="tokenprint-exporters", daemon=True)
            _thread.start()
        _cond.notify_all()


def wait(timeout: float = 1.0) -> bool:
    """Wait until everything submitted has run (at most ``timeout`` s, not at all inside
    :func:`no_wait`), reporting nothing."""
    with _cond:
        return _cond.wait_for(lambda: not _queue and not _busy, 0.0 if _no_wait else timeout)


def flush(timeout: float = 1.0) -> bool:
    """Wait until everything submitted has run (at most ``timeout`` s); True if it has.
    Reports the failures met meanwhile, and what was dropped."""
    global _dropped
    with _cond:
        if _no_wait:
            timeout = 0.0
        done = _cond.wait_for(lambda: not _queue and not _busy, timeout)
        left, dropped, _dropped = len(_queue), _dropped, 0
    if not done and timeout:
        events.logger.warning(
            "tokenprint: exporters still had %d items after %.1f s; not waiting longer",
            left,
            timeout,
        )
    if dropped:
        events.logger.warning("tokenprint: exporters dropped %d items under load", dropped)
    _raise_failures()
    return done


def _raise_failures() -> None:
    if not _failures:
        return
    with _cond:
        failures = list(_failures)
        _failures.clear()
    for exc, where in failures:
        events.report(exc, where)


@contextlib.contextmanager
def no_wait() -> Iterator[None]:
    """Flushes inside the block do not wait: the exporters closing after one flush share
    its wait instead of waiting one each."""
    global _no_wait
    with _cond:
        _no_wait += 1
    try:
        yield
    finally:
        with _cond:
            _no_wait -= 1


def _run() -> None:
    global _busy
    while True:
        with _cond:
            _busy = False
            _cond.notify_all()
            _cond.wait_for(lambda: bool(_queue))
            batch = list(_queue)  # all that waits, taken at once: one lock per batch
            _queue.clear()
            _busy = True
        for fn, args, where in batch:
            try:
                fn(*args)
            except Exception as exc:
                with _cond:
                    _failures.append((exc, where))
