"""``tokenprint batch``: the impacts of every request of an OpenAI Batch API results file,
and their total; lines without impacts (failed requests, malformed lines) on stderr.

The tables show the units of ``compare`` and the reports (Wh, gCO2eq, ...); ``--json``
holds the canonical ones (kWh, kgCO2eq, ...), as that of ``estimate`` and ``compare``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tokenprint.cli._table import DISPLAY, fmt, table
from tokenprint.cli.estimate import impacts_table

__all__ = ["SUBCOMMANDS"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the batch's output file (JSON lines)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")


def _line_dict(line: Any) -> dict[str, Any]:
    u = line.usage
    return {
        "line": line.line,
        "custom_id": line.custom_id,
        "endpoint": u.endpoint if u else None,
        "model": u.model if u else None,
        "input_tokens": u.input_tokens if u else None,
        "output_tokens": u.output_tokens if u else None,
        "impacts": line.impacts.to_dict() if line.impacts is not None else None,
        "error": line.error,
    }


_COLUMNS = ("energy", "gwp")
"""Criteria of the per-line table (the total has all five)."""


def _row(line: Any) -> list[str]:
    u, impacts = line.usage, line.impacts

    def cell(criterion: str) -> str:
        x = impacts.criterion(criterion) if impacts is not None else None
        return fmt(x.central * DISPLAY[criterion][1]) if x is not None else "-"

    return [
        str(line.line),
        line.custom_id or "",
        u.model or "" if u else "",
        f"{u.input_tokens}/{u.output_tokens}" if u else "",
        *(cell(c) for c in _COLUMNS),
    ]


def run(args: argparse.Namespace) -> int:
    from tokenprint.batch import account_batch

    try:
        result = account_batch(args.file)
    except OSError as exc:
        raise ValueError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    if args.json:
        out = {"lines": [_line_dict(x) for x in result.lines], "total": result.total.to_dict()}
        print(json.dumps(out, indent=2))
    else:
        units = (f"{c} ({DISPLAY[c][0]})" for c in _COLUMNS)
        headers = ["line", "custom_id", "model", "tokens in/out", *units]
        print(table(headers, [_row(x) for x in result.lines]))
        answered = len(result.lines) - len(result.failed)
        print(f"\ntotal of {answered} request(s)")
        print(impacts_table(result.total, display=True))
    sys.stdout.flush()
    for line in result.failed:
        print(f"tokenprint: {line.error}", file=sys.stderr)
    return 0


SUBCOMMANDS = [("batch", "impacts of an OpenAI Batch API results file", add_arguments, run)]
