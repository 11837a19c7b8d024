"""Markdown summaries for CI (GitHub's ``$GITHUB_STEP_SUMMARY``), and the units reports show.

``tokenprint check --summary`` and ``pytest --impact-summary`` write one: the totals, one
row per test (or per model), the breaches and the requests that could not be estimated.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from tokenprint.cli._read import Entry, Report, Totals, add
from tokenprint.cli._table import DISPLAY, fmt

__all__ = ["NAMES", "markdown", "show", "write"]

NAMES = {"energy": "Energy", "gwp": "GWP", "wcf": "Water", "pe": "Primary energy", "adpe": "ADPe"}

_COLUMNS = ("energy", "gwp", "wcf")


def show(criterion: str, value: float) -> str:
    """A canonical value in the unit reports show (``"1.23"``, 3 significant digits)."""
    return fmt(value * DISPLAY[criterion][1])


def _range(criterion: str, v: tuple[float, float, float]) -> str:
    return (
        show(criterion, v[0])
        if v[0] == v[2]
        else f"{show(criterion, v[0])} – {show(criterion, v[2])}"
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(heads: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(heads) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(heads) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return lines


def _group_rows(groups: Sequence[tuple[str, list[Entry], Totals]]) -> list[list[str]]:
    return [
        [
            name,
            str(len(entries)),
            str(sum(1 for e in entries if not e.values)),
            *(show(c, t[c][1]) if c in t else "–" for c in _COLUMNS),
        ]
        for name, entries, t in groups
    ]


def _groups(rep: Report) -> tuple[str, list[tuple[str, list[Entry], Totals]]]:
    """Rows of the per-item table: the tests of a pytest report, else the models."""
    if rep.tests:
        of_test: dict[str, list[Entry]] = {}
        for e in rep.requests:
            of_test.setdefault(e.test, []).append(e)
        return "test", [(nodeid, of_test.get(nodeid, []), t) for nodeid, t in rep.tests]
    models: dict[str, list[Entry]] = {}
    for e in rep.requests:
        models.setdefault(e.model, []).append(e)
    return "model", [(m, v, add(e.values for e in v)) for m, v in sorted(models.items())]


def markdown(
    rep: Report, *, title: str, breaches: Sequence[str] = (), checked: str | None = None
) -> str:
    """The summary of a report; ``checked`` describes the limits when a check ran."""
    n, missing = len(rep.requests), rep.unestimated
    lines = [f"### tokenprint: {title}", ""]
    about = f"{n} request(s) in `{rep.path}`"
    if missing:
        about += f", **{len(missing)} not estimated**"
    if rep.methodology:
        about += f"; methodology {', '.join(rep.methodology)}"
    lines += [about + ".", ""]
    if checked is not None:
        verdict = (
            f"**{len(breaches)} breach(es)** of {checked}" if breaches else f"within {checked}"
        )
        lines += [("❌ " if breaches else "✅ ") + verdict, ""]
    rows = [
        [f"{NAMES[c]} ({DISPLAY[c][0]})", show(c, v[1]), _range(c, v)] for c, v in rep.total.items()
    ]
    lines += [*_table(["total", "best estimate", "P5 – P95"], rows), ""]
    what, groups = _groups(rep)
    if groups:
        heads = [
            what,
            "requests",
            "not estimated",
            *(f"{NAMES[c]} ({DISPLAY[c][0]})" for c in _COLUMNS),
        ]
        lines += [f"#### Per {what}", "", *_table(heads, _group_rows(groups)), ""]
    if breaches:
        lines += [f"#### Breaches ({len(breaches)})", "", *(f"- {_cell(b)}" for b in breaches), ""]
    if missing:
        lines += [f"#### Not estimated ({len(missing)})", ""]
        lines += [
            f"- {_cell(name)}: {', '.join(e.errors) or 'no impacts'}"
            for name, e in rep.named()
            if not e.values
        ]
        lines.append("")
    return "\n".join(lines) + "\n"


def write(text: str, path: str | None) -> str | None:
    """Write the summary to ``path``, else append it to ``$GITHUB_STEP_SUMMARY`` when set
    (GitHub gathers what each step appends). Returns where it went (None: nowhere)."""
    target = path or os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    with open(target, "w" if path else "a", encoding="utf-8") as f:
        f.write(text)
    return target
