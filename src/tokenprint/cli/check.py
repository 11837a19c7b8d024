"""``tokenprint check``: fail a CI step when a report goes over impact limits.

Reads any file tokenprint writes (the JSON of ``pytest --impact-report=PATH`` or
``Tracker.to_json()``, the ``jsonl`` exporter's lines, the ``codecarbon`` exporter's CSV) and
checks its total (or each test, or each request) against ``--max-<criterion>`` amounts.
``--summary PATH`` (or ``$GITHUB_STEP_SUMMARY``) receives a Markdown summary.
Exit status: 0 within limits, 1 on a breach (each one listed), 2 on bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from tokenprint.cli import _summary
from tokenprint.cli._read import Report, Totals, load
from tokenprint.errors import InvalidArgumentError
from tokenprint.impacts.results import OPTION_NAMES

__all__ = ["SUBCOMMANDS", "add_arguments", "items", "run", "unestimated"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "report",
        help="a file tokenprint wrote: pytest --impact-report or Tracker.to_json JSON, "
        "jsonl exporter lines, codecarbon exporter CSV",
    )
    examples = {"energy": "2Wh", "gwp": "5g", "adpe": "1e-6g", "pe": "20kJ", "water": "50mL"}
    for key in OPTION_NAMES:
        p.add_argument(
            f"--max-{key}", metavar="AMOUNT", help=f"limit on {key} (e.g. {examples[key]})"
        )
    p.add_argument(
        "--bound",
        choices=("max", "mean", "min"),
        default="max",
        help="which end of each range is checked (default: max)",
    )
    p.add_argument(
        "--per",
        choices=("total", "test", "request"),
        default="total",
        help="check the report's total (default), each test, or each request",
    )
    p.add_argument(
        "--summary",
        metavar="PATH",
        help="write a Markdown summary to PATH (default: append to $GITHUB_STEP_SUMMARY when set)",
    )


def items(rep: Report, per: str) -> Iterator[tuple[str, Totals]]:
    """(name, totals) pairs of a report to check: its total, its tests or its requests."""
    if per == "total":
        if rep.requests or rep.tests:
            yield "total", rep.total
    elif per == "test":
        yield from rep.tests
    else:
        yield from ((name, e.values) for name, e in rep.named())


def unestimated(rep: Report) -> list[str]:
    """The report's requests that carry no impacts (an unknown model): a check never passes
    them as zero."""
    return [
        f"{name}: not estimated ({', '.join(e.errors) or 'no impacts'})"
        for name, e in rep.named()
        if not e.values
    ]


def _bound(totals: Totals, criterion: str, bound: str) -> float | None:
    """One bound of a criterion, in the canonical unit (None: absent)."""
    v = totals.get(criterion)
    if v is None:
        return None
    return {"min": v[0], "max": v[2], "mean": (v[0] + v[2]) / 2.0}[bound]


def run(args: argparse.Namespace) -> int:
    from tokenprint.budgets import Limit

    limits = [
        Limit.parse(key, amount)
        for key in OPTION_NAMES
        if (amount := getattr(args, f"max_{key}")) is not None
    ]
    if not limits:
        raise InvalidArgumentError("give at least one limit, e.g. --max-gwp 5g")
    rep = load(args.report)
    breaches: list[str] = []
    checked = 0
    for name, totals in items(rep, args.per):
        checked += 1
        for lim in limits:
            v = _bound(totals, lim.criterion, args.bound)
            if v is not None and v > lim.amount:
                breaches.append(
                    f"{name}: {lim.criterion} {lim.show(v)} ({args.bound}) exceeds "
                    f"{lim.show(lim.amount)}"
                )
    if not checked:  # a check of nothing would pass whatever the impacts
        raise InvalidArgumentError(f"{args.report} has no {args.per}s to check")
    breaches += unestimated(rep)
    shown = ", ".join(f"{lim.criterion} <= {lim.show(lim.amount)}" for lim in limits)
    text = _summary.markdown(
        rep,
        title="impact check",
        breaches=breaches,
        checked=f"{shown} ({args.bound}, per {args.per})",
    )
    written = _summary.write(text, args.summary)
    if written:
        print(f"summary written to {written}")
    if breaches:
        print(f"impact budget exceeded ({len(breaches)}):")
        for line in breaches:
            print(f"  {line}")
        return 1
    print(f"ok: {checked} {args.per} item(s) within {shown} ({args.bound})")
    return 0


SUBCOMMANDS = [("check", "fail (exit 1) when an impact report exceeds limits", add_arguments, run)]
