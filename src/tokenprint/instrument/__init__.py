"""SDK instrumentation: patch the provider SDKs so responses carry ``impacts``.

Placeholder seam (filled by the instrumentation work): ``check_providers``, ``install`` and
``uninstall`` are what :class:`tokenprint.EcoLogits` calls.
"""

from __future__ import annotations

from tokenprint.config import Config

__all__ = ["check_providers", "install", "uninstall"]


def check_providers(providers: tuple[str, ...] | None) -> None:
    """Raise TokenprintError for provider names that are not supported."""


def install(config: Config) -> None:
    """Patch the SDKs named in ``config.providers`` (all importable ones if None)."""


def uninstall() -> None:
    """Restore every patched method."""
