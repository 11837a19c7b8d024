"""docs/validation.md matches the estimates, and data/validation.csv is well formed."""

from __future__ import annotations

from types import ModuleType

import tokenprint
from tests.support.scripts import load_script
from tokenprint.catalog._files import read_csv

CRITERIA = {"energy", "gwp", "wcf", "adpe"}


def _validate() -> ModuleType:
    return load_script("validate")


def test_validation_page_is_up_to_date() -> None:
    stale = _validate().check()
    assert not stale, (
        f"docs/validation.md is stale (blocks: {', '.join(stale)}): the estimates moved. "
        "Run .venv/bin/python scripts/validate.py --plot and review the misses section."
    )


def test_every_validation_row_is_usable() -> None:
    v = _validate()
    rows = read_csv("validation.csv")
    assert rows, "data/validation.csv has no rows"
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate ids in data/validation.csv"
    problems = []
    for r in rows:
        rid, compare_to = r["id"], r["compare_to"]
        if compare_to != "none" and compare_to not in v.COMPONENTS:
            problems.append(f"{rid}: unknown compare_to {compare_to!r}")
        if r["criterion"] not in CRITERIA:
            problems.append(f"{rid}: unknown criterion {r['criterion']!r}")
        unit = v.UNITS.get(r["unit"])
        if unit is None:
            problems.append(f"{rid}: unknown unit {r['unit']!r}")
        elif unit[0] != r["criterion"]:
            problems.append(f"{rid}: unit {r['unit']!r} does not measure {r['criterion']}")
        if compare_to in v.COMPONENTS and v.COMPONENTS[compare_to][0] != r["criterion"]:
            problems.append(f"{rid}: compare_to {compare_to!r} is not {r['criterion']}")
        if not r["url"].startswith("https://"):
            problems.append(f"{rid}: url is not https: {r['url']!r}")
        # Only a figure kept for context (compare_to none) may name no model.
        if not r["model"] and compare_to != "none":
            problems.append(f"{rid}: no model to compare with")
        elif r["model"] and tokenprint.resolve_model(r["model"]).record is None:
            problems.append(f"{rid}: model {r['model']!r} is not in the catalogue")
    assert not problems, "data/validation.csv:\n" + "\n".join(problems)
