"""``tokenprint models`` and ``tokenprint zones``: list the catalogue."""

from __future__ import annotations

import argparse

from tokenprint.commands._table import fmt, table
from tokenprint.impacts.ranges import Range, Value

__all__ = ["SUBCOMMANDS"]


def _params(v: Value) -> str:
    return f"{fmt(v.min)}–{fmt(v.max)}" if isinstance(v, Range) else fmt(v)


def _add_query(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="?", default="", help="case-insensitive substring filter")


def run_models(args: argparse.Namespace) -> int:
    from tokenprint.catalog.models import all_models

    q = args.query.lower()
    rows = [
        [
            m.provider,
            m.name,
            m.architecture,
            _params(m.total_params),
            _params(m.active_params),
            m.modality,
        ]
        for m in all_models()
        if q in m.name.lower() or q in m.provider.lower() or any(q in a.lower() for a in m.aliases)
    ]
    print(table(["provider", "model", "arch", "total B", "active B", "modality"], rows))
    print(f"{len(rows)} model(s)")
    return 0


def run_zones(args: argparse.Namespace) -> int:
    from tokenprint.catalog.grids import all_zones

    q = args.query.lower()
    rows = [
        [
            z.zone,
            z.name,
            fmt(z.gwp),
            fmt(z.adpe),
            fmt(z.pe),
            fmt(z.wue),
            "yes" if z.fallback else "",
        ]
        for z in all_zones()
        if q in z.zone.lower() or q in z.name.lower()
    ]
    heads = ["zone", "name", "kgCO2eq/kWh", "kgSbeq/kWh", "MJ/kWh", "L/kWh", "world fallback"]
    print(table(heads, rows))
    print(f"{len(rows)} zone(s)")
    return 0


SUBCOMMANDS = [
    ("models", "list catalogued models (optionally filtered)", _add_query, run_models),
    ("zones", "list electricity-mix zones (optionally filtered)", _add_query, run_zones),
]
