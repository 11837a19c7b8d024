"""Tracking and budgets (placeholder seam, filled by the budgets work)."""

from __future__ import annotations

from typing import Any

from tokenprint.config import Config

__all__ = ["Tracker", "install", "uninstall"]


class Tracker:
    """Collects the requests made inside a ``with`` block."""

    def __init__(self, **kwargs: Any) -> None:
        self.options = kwargs


def install(config: Config) -> None:
    """Activate ``config.budget`` as the global budget."""


def uninstall() -> None:
    """Deactivate the global budget."""
