"""``tokenprint report``: read an impact file, write an HTML report or print a summary.

``tokenprint report impacts.jsonl --codecarbon emissions.csv --html report.html`` writes one
self-contained page (no network needed to view it); without ``--html`` the Markdown summary
is printed. Any file tokenprint writes is read (see :mod:`tokenprint.cli._read`); an empty,
truncated or foreign file exits with status 2 and names the file and line.
"""

from __future__ import annotations

import argparse
import os

from tokenprint.cli import _read, _summary

__all__ = ["SUBCOMMANDS", "add_arguments", "run"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input",
        help="a file tokenprint wrote: jsonl exporter lines, codecarbon exporter CSV, "
        "pytest --impact-report or Tracker.to_json JSON",
    )
    p.add_argument(
        "--codecarbon",
        metavar="CSV",
        help="CodeCarbon's emissions.csv: the local compute, shown next to the API requests",
    )
    p.add_argument("--html", metavar="PATH", help="write a self-contained HTML report to PATH")
    p.add_argument(
        "--summary",
        metavar="PATH",
        help="write the Markdown summary to PATH (default: append to $GITHUB_STEP_SUMMARY "
        "when set)",
    )


def run(args: argparse.Namespace) -> int:
    from tokenprint import __version__

    rep = _read.load(args.input)
    local = list(rep.local)
    sources = [args.input]
    if args.codecarbon and os.path.abspath(args.codecarbon) != os.path.abspath(args.input):
        local += _read.read_codecarbon(args.codecarbon)
        sources.append(args.codecarbon)
    text = _summary.markdown(rep, title="impact report")
    written = _summary.write(text, args.summary)
    if args.html:
        from tokenprint.cli._html import render

        page = render(rep, local, sources=sources, version=__version__)
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(page)
        print(f"report written to {args.html} ({len(rep.requests)} request(s))")
    elif not written:
        print(text, end="")
    if written:
        print(f"summary written to {written}")
    return 0


SUBCOMMANDS = [
    (
        "report",
        "an HTML report (or a Markdown summary) of a file of impacts, CodeCarbon alongside",
        add_arguments,
        run,
    )
]
