"""Exporters: send each request's impacts to OpenTelemetry, a file, or logs.

Placeholder seam (filled by the ecosystem work): ``install``/``uninstall`` are what
:class:`tokenprint.EcoLogits` calls.
"""

from __future__ import annotations

from tokenprint.config import Config

__all__ = ["install", "uninstall"]


def install(config: Config) -> None:
    """Attach the exporters named in ``config`` to the after-request hook."""


def uninstall() -> None:
    """Detach and flush every exporter."""
