"""``tokenprint batch FILE [--json]``, run as users run it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.api.test_batch import CHAT, FAILED, _ok, _write
from tokenprint.cli._table import DISPLAY, fmt

TOKENPRINT = [sys.executable, "-m", "tokenprint", "batch"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TOKENPRINT, *args], capture_output=True, text=True, timeout=60)


def test_batch_prints_each_line_and_the_total(tmp_path: Path) -> None:
    out = _run(str(_write(tmp_path, _ok("a", CHAT), FAILED, "oops")))
    assert out.returncode == 0, out.stderr
    rows = out.stdout.splitlines()
    assert rows[2].split()[:4] == ["1", "a", "gpt-4o-mini-2024-07-18", "200/100"]
    assert "total of 1 request(s)" in out.stdout
    assert re.search(r"^total\s+energy\s", out.stdout, re.MULTILINE)
    assert out.stderr.splitlines() == [
        "tokenprint: line 2: request failed (status 400): model not found",
        "tokenprint: line 3: malformed (Expecting value: line 1 column 1 (char 0))",
    ]


def test_batch_json(tmp_path: Path) -> None:
    out = _run(str(_write(tmp_path, _ok("a", CHAT), FAILED)), "--json")
    data = json.loads(out.stdout)
    first, second = data["lines"]
    assert (first["custom_id"], first["input_tokens"], first["error"]) == ("a", 200, None)
    assert first["impacts"]["energy"]["value"]["central"] > 0
    assert (second["impacts"], second["error"].startswith("line 2:")) == (None, True)
    assert data["total"]["energy"]["value"]["central"] > 0


def test_batch_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    out = _run(str(tmp_path / "missing.jsonl"))
    assert out.returncode == 2
    assert out.stderr.startswith("tokenprint: error: cannot read")


def test_batch_table_shows_the_units_of_the_other_commands(tmp_path: Path) -> None:
    path = str(_write(tmp_path, _ok("a", CHAT)))
    shown, data = _run(path).stdout, json.loads(_run(path, "--json").stdout)
    head, _, row = shown.splitlines()[:3]
    assert head.split()[-4:] == ["energy", "(Wh)", "gwp", "(gCO2eq)"]
    line = data["lines"][0]["impacts"]
    energy, gwp = (line[c]["value"]["central"] * DISPLAY[c][1] for c in ("energy", "gwp"))
    assert row.split()[-2:] == [fmt(energy), fmt(gwp)]
    total = {tuple(r.split()[:2]): r.split()[-1] for r in shown.splitlines() if r[:6] == "total "}
    assert total[("total", "energy")] == "Wh" and total[("total", "gwp")] == "gCO2eq"
    assert "kWh" not in shown and "kgCO2eq" not in shown


def test_batch_json_keeps_the_canonical_units_of_the_other_commands(tmp_path: Path) -> None:
    data = json.loads(_run(str(_write(tmp_path, _ok("a", CHAT))), "--json").stdout)
    assert data["lines"][0]["impacts"]["energy"]["unit"] == "kWh"
    assert data["total"]["gwp"]["unit"] == "kgCO2eq"
