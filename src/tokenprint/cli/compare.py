"""``tokenprint compare``: the same request on several models, least emitting first.

A table sorted by the chosen criterion (GWP by default) with each range and the ratio of
its best estimate to the best model's, so a team can pick the model that emits less at equal
quality; ``--plot out.png`` draws the same as bars with low–high whiskers (matplotlib,
``tokenprint[plot]``).
"""

from __future__ import annotations

import argparse
import json
from typing import NamedTuple

from tokenprint.cli._table import DISPLAY, fmt, fmt_range, table
from tokenprint.errors import InvalidArgumentError
from tokenprint.impacts.results import Impact, Impacts

__all__ = ["SUBCOMMANDS", "Row", "compare", "plot"]

TABLE = ("gwp", "energy", "wcf")
"""Criteria shown in the table (``--json`` has all five)."""


class Row(NamedTuple):
    """One model's estimate for the compared request."""

    model: str
    impacts: Impacts

    def get(self, criterion: str) -> Impact:
        x = self.impacts.criterion(criterion)
        assert x is not None  # strict estimates always have values
        return x


def compare(
    models: list[str],
    output_tokens: int,
    input_tokens: int = 0,
    *,
    criterion: str = "gwp",
    zone: str | None = None,
) -> list[Row]:
    """Estimate the request for each model, sorted by the criterion's best estimate (lowest
    first)."""
    from tokenprint.api import estimate

    if criterion not in DISPLAY:
        raise InvalidArgumentError(f"criterion must be one of {list(DISPLAY)}, got {criterion!r}")
    if not models:
        raise InvalidArgumentError("give at least one model")
    rows = [
        Row(m, estimate(m, output_tokens, input_tokens, zone=zone, strict=True))
        for m in dict.fromkeys(models)
    ]
    rows.sort(key=lambda r: r.get(criterion).central)
    return rows


def _cell(x: Impact) -> str:
    """The best estimate, then the 90 % interval in brackets."""
    k = DISPLAY[x.type][1]
    if x.min == x.max:
        return fmt(x.central * k)
    return f"{fmt(x.central * k)} ({fmt_range(x.min * k, x.max * k)})"


def _ratio(rows: list[Row], criterion: str) -> list[float]:
    best = rows[0].get(criterion).central
    return [r.get(criterion).central / best if best > 0 else 1.0 for r in rows]


def render(rows: list[Row], criterion: str) -> str:
    """The comparison table (display units: Wh, gCO2eq, mL, ...)."""
    heads = [
        "model",
        "served by",
        *(f"{c} ({DISPLAY[c][0]})" for c in TABLE),
        f"× best {criterion}",
    ]
    body = [
        [
            r.impacts.basis.model_resolved or r.model,
            f"{r.impacts.basis.datacenter} ({r.impacts.basis.zone})",
            *(_cell(r.get(c)) for c in TABLE),
            f"{ratio:.2f}" if ratio < 100 else fmt(ratio),
        ]
        for r, ratio in zip(rows, _ratio(rows, criterion), strict=True)
    ]
    return table(heads, body)


def plot(rows: list[Row], criterion: str, path: str, title: str = "") -> None:
    """Horizontal bars (best estimate) with P5–P95 whiskers, best at the top, saved as an image."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise InvalidArgumentError(
            "--plot needs matplotlib: pip install 'tokenprint[plot]'"
        ) from exc
    unit, k = DISPLAY[criterion]
    names = [r.impacts.basis.model_resolved or r.model for r in rows]
    values = [r.get(criterion) for r in rows]
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
    for y, (x, m, ratio) in enumerate(zip(values, means, _ratio(rows, criterion), strict=True)):
        ax.annotate(
            f"{fmt(m)} (×{ratio:.2g})",
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
    p.add_argument("--output-tokens", type=int, required=True, help="tokens generated")
    p.add_argument("--input-tokens", type=int, default=0, help="prompt tokens (default 0)")
    p.add_argument("--zone", help="same electricity-mix zone for all (default: each provider's)")
    p.add_argument(
        "--by", default="gwp", choices=list(DISPLAY), help="criterion to sort by (default gwp)"
    )
    p.add_argument("--plot", metavar="PNG", help="also draw a bar chart with range whiskers")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    rows = compare(
        args.models, args.output_tokens, args.input_tokens, criterion=args.by, zone=args.zone
    )
    if args.json:
        out = [
            {"model": r.model, "ratio_to_best": ratio, "impacts": r.impacts.to_dict()}
            for r, ratio in zip(rows, _ratio(rows, args.by), strict=True)
        ]
        print(json.dumps(out, indent=2))
    else:
        print(
            f"{args.input_tokens} input + {args.output_tokens} output tokens, sorted by {args.by}:"
        )
        print(render(rows, args.by))
    if args.plot:
        title = f"{args.input_tokens} input + {args.output_tokens} output tokens"
        plot(rows, args.by, args.plot, title)
        if not args.json:
            print(f"plot written to {args.plot}")
    return 0


SUBCOMMANDS = [
    ("compare", "compare models on the same request, least emitting first", add_arguments, run)
]
