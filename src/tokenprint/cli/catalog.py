"""``tokenprint models`` and ``tokenprint zones``: list the catalogue."""

from __future__ import annotations

import argparse

from tokenprint.cli._table import fmt, table
from tokenprint.impacts.ranges import Range, Value

__all__ = ["SUBCOMMANDS"]


def _params(v: Value) -> str:
    return f"{fmt(v.min)}–{fmt(v.max)}" if isinstance(v, Range) else fmt(v)


def _add_query(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="?", default="", help="case-insensitive substring filter")


def _add_models(p: argparse.ArgumentParser) -> None:
    _add_query(p)
    p.add_argument("--provider", help="only this publisher (openai, meta, alibaba...)")
    p.add_argument("--modality", help="only this modality (text, embedding, image)")
    p.add_argument(
        "--resolve", metavar="NAME", help="show how NAME resolves (alias, prefix, snapshot...)"
    )


def _resolve(name: str) -> int:
    from tokenprint.catalog.models import resolve

    res = resolve(name)
    rec = res.record
    if rec is None:
        extra = f"; ambiguous between {', '.join(res.ambiguous)}" if res.ambiguous else ""
        print(f"{name!r} is not in the catalogue{extra}")
        return 1
    print(f"{name!r} -> {rec.name} ({res.via})")
    print(
        f"  {rec.provider}, {rec.architecture}, {_params(rec.total_params)}B total, "
        f"{_params(rec.active_params)}B active, {fmt(rec.precision_bits)} bits"
        + (", estimated" if rec.estimated else "")
    )
    for s in rec.sources:
        print(f"  source: {s}")
    if res.warning:
        print(f"  warning: {res.warning}")
    return 0


def _alias_match(q: str, aliases: tuple[str, ...]) -> bool:
    return any(q in a.lower() for a in aliases)


def run_models(args: argparse.Namespace) -> int:
    from tokenprint.catalog.images import all_image_models
    from tokenprint.catalog.models import all_models

    if getattr(args, "resolve", None):
        return _resolve(args.resolve)
    q = args.query.lower()
    provider = (getattr(args, "provider", None) or "").lower()
    modality = (getattr(args, "modality", None) or "").lower()
    rows = [
        [
            m.provider,
            m.name,
            m.architecture,
            _params(m.total_params),
            _params(m.active_params),
            m.modality,
            m.release_date,
            "yes" if m.estimated else "",
        ]
        for m in [*all_models(), *(im.record for im in all_image_models())]
        if (
            q in m.name.lower() or q in m.provider.lower() or any(q in a.lower() for a in m.aliases)
        )
        and (not provider or m.provider.lower() == provider)
        and (not modality or m.modality.lower() == modality)
    ]
    heads = [
        "provider",
        "model",
        "arch",
        "total B",
        "active B",
        "modality",
        "released",
        "estimated",
    ]
    print(table(heads, rows))
    print(f"{len(rows)} model(s)")
    return 0


def run_zones(args: argparse.Namespace) -> int:
    from tokenprint.catalog.grids import all_zones, fallback_factors

    q = args.query.lower()
    rows = [
        [
            z.zone,
            z.name,
            fmt(z.gwp),
            fmt(z.adpe),
            fmt(z.pe),
            fmt(z.wue),
            ",".join(fallback_factors(z.zone)),
        ]
        for z in all_zones()
        if q in z.zone.lower() or q in z.name.lower()
    ]
    heads = ["zone", "name", "kgCO2eq/kWh", "kgSbeq/kWh", "MJ/kWh", "L/kWh", "world fallback"]
    print(table(heads, rows))
    print(f"{len(rows)} zone(s)")
    return 0


SUBCOMMANDS = [
    ("models", "list catalogued models (optionally filtered)", _add_models, run_models),
    ("zones", "list electricity-mix zones (optionally filtered)", _add_query, run_zones),
]
