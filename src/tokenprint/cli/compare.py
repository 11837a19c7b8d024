"""``tokenprint compare``: the same request on several models, least emitting first.

A table sorted by the chosen criterion (GWP by default) with each range, each model's score
(``--task``) and the ratio of its best estimate to the best model's where their intervals do
not overlap; an unknown model is a row with its error. ``--plot out.png`` draws the same as
bars with low–high whiskers (matplotlib, ``tokenprint[plot]``). The logic is
:func:`tokenprint.compare`; this module only formats.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tokenprint.choice import Row, compare
from tokenprint.cli._table import DISPLAY, fmt, fmt_range, table
from tokenprint.errors import InvalidArgumentError
from tokenprint.impacts.results import Impact

__all__ = ["DISPLAY", "SUBCOMMANDS", "Row", "compare", "plot", "pyplot", "render"]

TABLE = ("gwp", "energy", "wcf")
"""Criteria shown in the table (``--json`` has all five)."""


def _cell(x: Impact) -> str:
    """The best estimate, then the 90 % interval in brackets."""
    k = DISPLAY[x.type][1]
    if x.min == x.max:
        return fmt(x.central * k)
    return f"{fmt(x.central * k)} ({fmt_range(x.min * k, x.max * k)})"


def score_cell(r: Row) -> str:
    """The score with its interval, or "—" (the reason is in the notes column)."""
    if r.score is None:
        return "—"
    if r.score_low is not None and r.score_high is not None and r.score_low < r.score_high:
        return f"{r.score:g} ({r.score_low:g} – {r.score_high:g})"
    return f"{r.score:g}"


def _ratio_cell(r: Row, first: bool) -> str:
    if r.error is not None:
        return ""
    if first:
        return "best"
    if r.ratio is None:
        return "overlaps"
    return f"{r.ratio:.2f}" if r.ratio < 100 else fmt(r.ratio)


def _notes(r: Row) -> str:
    notes = [r.error] if r.error else []
    if r.reasoning_origin == "typical":
        notes.append(f"{r.reasoning_tokens} typical thinking tokens")
    elif r.reasoning_origin == "unknown":
        notes.append("a reasoning model: its thinking tokens are not counted (--reasoning-tokens)")
    if r.quality_note and not r.error:
        notes.append(r.quality_note)
    return "; ".join(notes)


def render(rows: list[Row], criterion: str) -> str:
    """The comparison table (display units: Wh, gCO2eq, mL, ...)."""
    task = rows[0].task
    heads = [
        "model",
        "served by",
        f"quality ({task})",
        *(f"{c} ({DISPLAY[c][0]})" for c in TABLE),
        f"× best {criterion}",
        "notes",
    ]
    body = []
    for i, r in enumerate(rows):
        imp = r.impacts
        body.append(
            [
                r.resolved or r.model,
                "" if imp is None else f"{imp.basis.datacenter} ({imp.basis.zone})",
                score_cell(r),
                *("—" if imp is None else _cell(r.impact(c)) for c in TABLE),
                _ratio_cell(r, i == 0),
                _notes(r),
            ]
        )
    return table(heads, body)


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend, or a clear error without it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise InvalidArgumentError(
            "--plot needs matplotlib: pip install 'tokenprint[plot]'"
        ) from exc
    return plt


def plot(rows: list[Row], criterion: str, path: str, title: str = "") -> None:
    """Horizontal bars (best estimate) with P5–P95 whiskers, best at the top, saved as an image."""
    plt = pyplot()
    rows = [r for r in rows if r.error is None]
    unit, k = DISPLAY[criterion]
    names = [r.resolved or r.model for r in rows]
    values = [r.impact(criterion) for r in rows]
    means = [x.central * k for x in values]
    err = [[(x.central - x.min) * k for x in values], [(x.max - x.central) * k for x in values]]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.5 * len(rows)), layout="constrained")
    ys = list(range(len(rows)))
    ax.barh(ys, means, xerr=err, color="#4c9a6a", ecolor="#333333", capsize=4, height=0.6)
    ax.set_yticks(ys, names)
    ax.invert_yaxis()
    label = "energy" if criterion == "energy" else criterion.upper()
    ax.set_xlabel(f"{label} per request ({unit}); bar = best estimate, whiskers = 90 % interval")
    if title:
        ax.set_title(title)
    for y, (x, m, r) in enumerate(zip(values, means, rows, strict=True)):
        ax.annotate(
            f"{fmt(m)} ({'overlaps' if r.ratio is None else f'×{r.ratio:.2g}'})",
            (x.max * k, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_xlim(0, max(x.max for x in values) * k * 1.25)
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("models", nargs="+", metavar="MODEL", help="model names, e.g. gpt-4o")
    request_arguments(p)
    p.add_argument(
        "--by", default="gwp", choices=list(DISPLAY), help="criterion to sort by (default gwp)"
    )
    p.add_argument("--plot", metavar="PNG", help="also draw a bar chart with range whiskers")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def request_arguments(p: argparse.ArgumentParser) -> None:
    """The typical request and the task, shared with ``recommend``."""
    p.add_argument("--output-tokens", type=int, required=True, help="tokens generated")
    p.add_argument("--input-tokens", type=int, default=0, help="prompt tokens (default 0)")
    p.add_argument(
        "--reasoning-tokens",
        type=int,
        help="hidden thinking tokens per request for every model (default: each reasoning "
        "model's typical multiplier of --output-tokens where published, else 0)",
    )
    p.add_argument("--task", help="quality score to show: overall (default), coding, maths...")
    p.add_argument("--zone", help="same electricity-mix zone for all (default: each provider's)")


def describe(args: argparse.Namespace) -> str:
    """The request in words, for titles."""
    extra = "" if args.reasoning_tokens is None else f" + {args.reasoning_tokens} thinking"
    return f"{args.input_tokens} input + {args.output_tokens} output tokens{extra}"


def run(args: argparse.Namespace) -> int:
    rows = compare(
        args.models,
        args.output_tokens,
        args.input_tokens,
        reasoning_tokens=args.reasoning_tokens,
        task=args.task,
        criterion=args.by,
        zone=args.zone,
    )
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
    else:
        print(f"{describe(args)}, sorted by {args.by}:")
        print(render(rows, args.by))
    if args.plot and any(r.error is None for r in rows):
        plot(rows, args.by, args.plot, describe(args))
        if not args.json:
            print(f"plot written to {args.plot}")
    return 0 if any(r.error is None for r in rows) else 2


SUBCOMMANDS = [
    ("compare", "compare models on the same request, least emitting first", add_arguments, run)
]
