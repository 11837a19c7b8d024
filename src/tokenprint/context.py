"""Per-request context in contextvars: labels, trackers, budgets, site overrides.

Each thread and asyncio task sees its own values (rule 8: config is an object, context is a
contextvar), so two concurrent requests never see each other's tracker or labels.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

__all__ = ["budgets", "labels", "overrides", "push", "trackers"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_labels: ContextVar[Mapping[str, str]] = ContextVar("tokenprint_labels", default=_EMPTY)
_trackers: ContextVar[tuple[Any, ...]] = ContextVar("tokenprint_trackers", default=())
_budgets: ContextVar[tuple[Any, ...]] = ContextVar("tokenprint_budgets", default=())
_overrides: ContextVar[Mapping[str, Any]] = ContextVar("tokenprint_overrides", default=_EMPTY)


# The readers are the contextvars' own ``get`` methods: no Python frame on the request path.
labels: Callable[[], Mapping[str, str]] = _labels.get
"""User labels of the current context (``EcoLogits.label(task="summarise")``)."""
trackers: Callable[[], tuple[Any, ...]] = _trackers.get
"""Trackers open in the current context, outermost first."""
budgets: Callable[[], tuple[Any, ...]] = _budgets.get
"""Budgets active in the current context (scoped ones; the global one is in Config)."""
overrides: Callable[[], Mapping[str, Any]] = _overrides.get
"""Per-request settings: ``zone`` and ``datacenter`` overrides."""


@contextlib.contextmanager
def push(
    *,
    labels: Mapping[str, str] | None = None,
    tracker: Any = None,
    budget: Any = None,
    overrides: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """Add to the current context for the duration of a ``with`` block."""
    tokens: list[tuple[ContextVar[Any], Any]] = []
    if labels:
        tokens.append((_labels, _labels.set({**_labels.get(), **labels})))
    if tracker is not None:
        tokens.append((_trackers, _trackers.set((*_trackers.get(), tracker))))
    if budget is not None:
        tokens.append((_budgets, _budgets.set((*_budgets.get(), budget))))
    if overrides:
        tokens.append((_overrides, _overrides.set({**_overrides.get(), **overrides})))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
