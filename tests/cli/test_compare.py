"""``tokenprint compare``: models sorted by GWP with ranges, ratios and an optional plot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import tokenprint
from tokenprint.cli import main
from tokenprint.cli.compare import compare

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-latest"]


def _gwp_central(model: str) -> float:
    gwp = tokenprint.estimate(model, 500, 1000).gwp
    assert gwp is not None
    return gwp.central


def test_rows_are_sorted_by_gwp_best_estimate_lowest_first() -> None:
    rows = compare(MODELS, 500, 1000)
    best = [r.get("gwp").central for r in rows]
    assert best == sorted(best)
    assert sorted(r.model for r in rows) == sorted(MODELS)
    assert best[0] == min(_gwp_central(m) for m in MODELS)


def test_sort_by_another_criterion() -> None:
    rows = compare(MODELS, 500, 1000, criterion="wcf")
    water = [r.get("wcf").central for r in rows]
    assert water == sorted(water)


def test_table_shows_ranges_and_ratio_to_best(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *MODELS, "--output-tokens", "500", "--input-tokens", "1000"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "gwp (gCO2eq)" in lines[1] and "× best gwp" in lines[1]
    body = lines[3:]
    assert len(body) == 3
    assert body[0].startswith("gpt-4o-mini") and body[0].rstrip().endswith("1.00")
    ratio_4o = _gwp_central("gpt-4o") / _gwp_central("gpt-4o-mini")
    gpt4o = next(line for line in body if line.startswith("gpt-4o "))
    assert gpt4o.rstrip().endswith(f"{ratio_4o:.2f}")
    assert " – " in body[0]  # a low – high range


def test_json_has_every_criterion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "gpt-4o", "gpt-4o-mini", "--output-tokens", "100", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["model"] for d in data] == ["gpt-4o-mini", "gpt-4o"]
    assert data[0]["ratio_to_best"] == 1.0 and data[1]["ratio_to_best"] > 1
    assert set(data[0]["impacts"]) >= {"energy", "gwp", "adpe", "pe", "wcf"}


def test_plot_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "out.png"
    assert main(["compare", *MODELS, "--output-tokens", "500", "--plot", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert f"plot written to {png}" in capsys.readouterr().out


def test_plot_without_matplotlib_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code = main(["compare", "gpt-4o", "--output-tokens", "5", "--plot", str(tmp_path / "x.png")])
    assert code == 2
    assert "tokenprint[plot]" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_unknown_model_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "gpt-4o", "no-such-model-xyz", "--output-tokens", "5"]) == 2
    assert "no-such-model-xyz" in capsys.readouterr().err
