"""``tokenprint check``: fail a CI step when a report goes over impact limits.

Reads the JSON written by ``pytest --impact-report=PATH`` or ``Tracker.to_json()`` and
checks its total (or each test, or each request) against ``--max-<criterion>`` amounts.
Exit status: 0 within limits, 1 on a breach (each one listed), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping
from typing import Any

from tokenprint.errors import InvalidArgumentError
from tokenprint.impacts.results import OPTION_NAMES

__all__ = ["SUBCOMMANDS", "add_arguments", "items", "run", "unestimated"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("report", help="JSON report (pytest --impact-report, Tracker.to_json)")
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


def _load(path: str) -> Mapping[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidArgumentError(f"{path} is not JSON: {exc}") from exc
    from tokenprint.tracking import REPORT_FORMAT

    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise InvalidArgumentError(
            f"{path} is not a tokenprint report (write one with pytest --impact-report=PATH "
            "or Tracker.to_json(PATH))"
        )
    return data


def items(data: Mapping[str, Any], per: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(name, impacts dict) pairs of a report to check: its total, its tests or requests."""
    if per == "total":
        yield "total", data["total"]
    elif per == "test":
        for t in data.get("tests", ()):
            yield t["nodeid"], t["total"]
    else:
        requests = [("", r) for r in data.get("requests", ())]
        for t in data.get("tests", ()):
            requests += [(t["nodeid"] + " ", r) for r in t.get("requests", ())]
        for n, (where, r) in enumerate(requests, 1):
            model = r.get("basis", {}).get("model_resolved") or r.get("basis", {}).get("model")
            yield f"{where}request {n} ({model})", r["impacts"]


def unestimated(data: Mapping[str, Any]) -> list[str]:
    """The report's requests that carry no impacts (an unknown model): a check never passes
    them as zero."""
    found = []
    for name, impacts in items(data, "request"):
        if impacts.get("energy") is None:
            codes = ", ".join(e.get("code", "?") for e in impacts.get("errors", ())) or "no impacts"
            found.append(f"{name}: not estimated ({codes})")
    return found


def _bound(impacts: Mapping[str, Any], criterion: str, bound: str) -> float | None:
    """One bound of a criterion of an impacts dict, in the canonical unit (None: absent)."""
    from tokenprint.impacts import units

    entry = impacts.get(criterion)
    if entry is None:
        return None
    value = entry["value"]
    x = value[bound] if isinstance(value, Mapping) else float(value)
    return units.convert(float(x), str(entry["unit"]), units.CANONICAL[criterion])


def run(args: argparse.Namespace) -> int:
    from tokenprint.budgets import Limit

    limits = [
        Limit.parse(key, amount)
        for key in OPTION_NAMES
        if (amount := getattr(args, f"max_{key}")) is not None
    ]
    if not limits:
        raise InvalidArgumentError("give at least one limit, e.g. --max-gwp 5g")
    data = _load(args.report)
    breaches: list[str] = []
    checked = 0
    try:
        for name, impacts in items(data, args.per):
            checked += 1
            for lim in limits:
                v = _bound(impacts, lim.criterion, args.bound)
                if v is not None and v > lim.amount:
                    breaches.append(
                        f"{name}: {lim.criterion} {lim.show(v)} ({args.bound}) exceeds "
                        f"{lim.show(lim.amount)}"
                    )
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidArgumentError(f"{args.report}: malformed report ({exc!r})") from exc
    if not checked:  # a check of nothing would pass whatever the impacts
        raise InvalidArgumentError(f"{args.report} has no {args.per}s to check")
    breaches += unestimated(data)
    if breaches:
        print(f"impact budget exceeded ({len(breaches)}):")
        for line in breaches:
            print(f"  {line}")
        return 1
    shown = ", ".join(f"{lim.criterion} <= {lim.show(lim.amount)}" for lim in limits)
    print(f"ok: {checked} {args.per} item(s) within {shown} ({args.bound})")
    return 0


SUBCOMMANDS = [
    ("check", "fail (exit 1) when a JSON impact report exceeds limits", add_arguments, run)
]
