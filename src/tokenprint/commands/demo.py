"""``tokenprint demo``: placeholder until the demo lands."""

from __future__ import annotations

__all__ = ["SUBCOMMANDS"]

SUBCOMMANDS: list[object] = []
