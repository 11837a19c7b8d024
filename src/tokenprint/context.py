"""Per-request context in contextvars: labels, trackers, budgets, site overrides.

Each thread and asyncio task sees its own values (rule 8: config is an object, context is a
contextvar), so two concurrent requests never see each other's tracker or labels.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

__all__ = ["budgets", "labels", "overrides", "push", "trackers"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_labels: ContextVar[Mapping[str, str]] = ContextVar("tokenprint_labels", default=_EMPTY)
_trackers: ContextVar[tuple[Any, ...]] = ContextVar("tokenprint_trackers", default=())
_budgets: ContextVar[tuple[Any, ...]] = ContextVar("tokenprint_budgets", default=())
_overrides: ContextVar[Mapping[str, Any]] = ContextVar("tokenprint_overrides", default=_EMPTY)


def labels() -> Mapping[str, str]:
    """User labels of the current context (``EcoLogits.label(task="summarise")``)."""
    return _labels.get()


def trackers() -> tuple[Any, ...]:
    """Trackers open in the current context, outermost first."""
    return _trackers.get()


def budgets() -> tuple[Any, ...]:
    """Budgets active in the current context (scoped ones; the global one is in Config)."""
    return _budgets.get()


def overrides() -> Mapping[str, Any]:
    """Per-request settings: ``zone`` and ``datacenter`` overrides."""
    return _overrides.get()


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
