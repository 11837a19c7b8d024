"""The state set by ``EcoLogits.init()``: the current Config and its Estimator.

The instrumentation reads :func:`current` on each request (one global read); ``init()``
swaps in a new Runtime atomically, ``shutdown()`` clears it.
"""

from __future__ import annotations

from typing import NamedTuple

from tokenprint.config import Config
from tokenprint.engine import Estimator

__all__ = ["Runtime", "current", "set_current"]


class Runtime(NamedTuple):
    config: Config
    estimator: Estimator


_current: Runtime | None = None


def current() -> Runtime | None:
    return _current


def set_current(runtime: Runtime | None) -> None:
    global _current
    _current = runtime
