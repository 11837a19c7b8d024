"""``tokenprint recommend``: the models at least as good as a reference (or a bar) that emit
less on a typical request, with the saving per request and per million requests.

The logic and its tests are :func:`tokenprint.recommend`'s; this module formats them, and
``--plot out.png`` draws quality against the criterion with the Pareto frontier
(matplotlib, ``tokenprint[plot]``).
"""

from __future__ import annotations

import argparse
import json

from tokenprint.choice import Recommendation, Row, pareto_frontier, recommend
from tokenprint.cli._table import fmt, table
from tokenprint.cli.compare import DISPLAY, describe, pyplot, request_arguments, score_cell
from tokenprint.impacts import units
from tokenprint.impacts.results import Impact

__all__ = ["SUBCOMMANDS", "plot", "render"]

TEST = (
    "at least as good: score interval reaching the reference's (or the bar); "
    "emits less: lower at P5, best estimate and P95"
)


def _cell(x: Impact, k: float) -> str:
    return f"{fmt(x.central * k)} ({fmt(x.min * k)} – {fmt(x.max * k)})"


def render(rec: Recommendation, criterion: str, bar: float | None) -> str:
    """The ranked table, then the models left out and why."""
    unit, k = DISPLAY[criterion]
    ref = rec.reference
    task = (ref or (rec[0] if rec else None) or Row("")).task
    if ref is not None:
        head = f"Models at least as good as {ref.resolved or ref.model} on {task!r}"
        head += f" (score {score_cell(ref)}; {criterion} {_cell(ref.impact(criterion), k)} "
        head += f"{unit})"
    else:
        head = f"Models with a {task!r} score reaching {bar:g}"
    lines = [f"{head}, least emitting first:"]
    heads = [
        "model",
        f"quality ({task})",
        f"{criterion} ({unit})",
        f"saving / request ({unit})",
        f"saving / 1M requests ({units.DISPLAY[criterion]})",
        "interval",
    ]
    body = [
        [
            r.resolved or r.model,
            score_cell(r),
            _cell(r.impact(criterion), k),
            "—" if r.saving is None else fmt(r.saving * k),
            "—" if r.saving_per_million is None else fmt(r.saving_per_million),
            "" if ref is None else ("below" if r.clearly_less else "overlaps"),
        ]
        for r in rec
    ]
    lines.append(table(heads, body) if body else "(none)")
    unknown = [r.resolved or r.model for r in rec if r.reasoning_origin == "unknown"]
    if unknown:
        lines.append(
            "Reasoning models whose thinking tokens are not counted (none published; give "
            f"--reasoning-tokens): {', '.join(unknown)}."
        )
    if rec.excluded:
        lines.append("Left out:")
        lines += [f"  {r.model}: {r.error}" for r in rec.excluded]
    lines.append(f"Tests: {TEST}.")
    return "\n".join(lines)


def plot(rec: Recommendation, criterion: str, path: str, title: str = "") -> None:
    """Quality against the criterion (log scale) with both intervals, the Pareto frontier
    as a line, recommended models in green and the reference as a star."""
    plt = pyplot()
    unit, k = DISPLAY[criterion]
    ref = [] if rec.reference is None else [rec.reference]
    ref_name = None if rec.reference is None else rec.reference.resolved
    others = [r for r in rec.considered if r.error is not None and r.resolved != ref_name]
    drawn = [r for r in (*ref, *rec, *others) if r.impacts is not None and r.score is not None]
    front = pareto_frontier(drawn, criterion)
    named = {id(r) for r in (*ref, *rec, *front)}
    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    for group, colour, marker in ((others, "#999999", "o"), (rec, "#2e8b57", "o"), (ref, "k", "*")):
        pts = [r for r in group if r in drawn]
        if not pts:
            continue
        xs = [r.impact(criterion).central * k for r in pts]
        ys = [r.score or 0.0 for r in pts]
        xerr = [
            [(r.impact(criterion).central - r.impact(criterion).min) * k for r in pts],
            [(r.impact(criterion).max - r.impact(criterion).central) * k for r in pts],
        ]
        yerr = [
            [(r.score or 0.0) - (r.score_low or r.score or 0.0) for r in pts],
            [(r.score_high or r.score or 0.0) - (r.score or 0.0) for r in pts],
        ]
        ax.errorbar(
            xs, ys, xerr=xerr, yerr=yerr, fmt=marker, color=colour, ecolor=colour,
            alpha=0.8, markersize=12 if marker == "*" else 6, capsize=2, linewidth=0.8,
        )  # fmt: skip
        for r, x, y in zip(pts, xs, ys, strict=True):
            if id(r) in named:  # the others stay unlabelled: too many to read
                name = (r.resolved or r.model).rsplit("/", 1)[-1]
                ax.annotate(name, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7)
    if front:
        ax.step(
            [r.impact(criterion).central * k for r in front],
            [r.score or 0.0 for r in front],
            where="post",
            color="#2e8b57",
            linestyle="--",
            linewidth=1,
            label="Pareto frontier (best estimates)",
        )
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xscale("log")
    label = "energy" if criterion == "energy" else criterion.upper()
    ax.set_xlabel(f"{label} per request ({unit}); bars: 90 % interval")
    ax.set_ylabel(f"quality ({(ref or drawn or [Row('')])[0].task}); bars: 95 % interval")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--like", metavar="MODEL", help="reference model to match or beat")
    p.add_argument("--min-score", type=float, help="a bar on the task's score")
    request_arguments(p)
    p.add_argument(
        "--among",
        nargs="+",
        metavar="MODEL",
        help="candidates to consider (default: every model with a score on the task)",
    )
    p.add_argument(
        "--by", default="gwp", choices=list(DISPLAY), help="criterion to rank by (default gwp)"
    )
    p.add_argument(
        "--clear-only",
        action="store_true",
        help="keep only models whose whole interval lies below the reference's",
    )
    p.add_argument("--plot", metavar="PNG", help="also draw quality against impact")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    rec = recommend(
        args.like,
        input_tokens=args.input_tokens,
        output_tokens=args.output_tokens,
        task=args.task,
        min_score=args.min_score,
        reasoning_tokens=args.reasoning_tokens,
        candidates=args.among,
        criterion=args.by,
        zone=args.zone,
        clear_only=args.clear_only,
    )
    if args.json:
        print(json.dumps({**rec.to_dict(), "tests": TEST}, indent=2))
    else:
        print(f"{describe(args)}.")
        print(render(rec, args.by, args.min_score))
    if args.plot:
        plot(rec, args.by, args.plot, describe(args))
        if not args.json:
            print(f"plot written to {args.plot}")
    return 0


SUBCOMMANDS = [
    (
        "recommend",
        "models at least as good as a reference that emit less, with the saving",
        add_arguments,
        run,
    )
]
