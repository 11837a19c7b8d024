"""Reference data: models, electricity mixes, hardware, data centres (loaded lazily)."""

from __future__ import annotations

__all__ = ["version"]

version = 0
"""Bumped whenever the model index is rebuilt (register_model, load_file, unregister...);
caches of resolved models compare it to know they are stale."""
