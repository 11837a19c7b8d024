"""``tokenprint compare``: models sorted by GWP with ranges, scores, ratios where the ranges
do not overlap, unknown models as rows, and an optional plot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import tokenprint
from tokenprint.cli import main

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-latest"]


def _gwp_central(model: str) -> float:
    gwp = tokenprint.estimate(model, 500, 1000).gwp
    assert gwp is not None
    return gwp.central


def _central(row: tokenprint.choice.Row, criterion: str) -> float:
    x = row.get(criterion)
    assert x is not None
    return x.central


def test_rows_are_sorted_by_gwp_best_estimate_lowest_first() -> None:
    rows = tokenprint.compare(MODELS, 500, 1000)
    best = [_central(r, "gwp") for r in rows]
    assert best == sorted(best)
    assert sorted(r.model for r in rows) == sorted(MODELS)
    assert best[0] == min(_gwp_central(m) for m in MODELS)


def test_sort_by_another_criterion() -> None:
    rows = tokenprint.compare(MODELS, 500, 1000, criterion="wcf")
    water = [_central(r, "wcf") for r in rows]
    assert water == sorted(water)


def test_table_shows_ranges_quality_and_overlap(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *MODELS, "--output-tokens", "500", "--input-tokens", "1000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "gwp (gCO2eq)" in lines[1] and "× best gwp" in lines[1]
    assert "quality (overall)" in lines[1]
    body = lines[3:]
    assert len(body) == 3
    assert body[0].startswith("gpt-4o-mini") and " best" in body[0]
    assert "1288 (1285 – 1291)" in body[0]  # LMArena score with its 95 % interval
    assert " – " in body[0]  # a low – high range
    # gpt-4o's 90 % interval overlaps gpt-4o-mini's: no ratio, it says so
    gpt4o = next(line for line in body if line.startswith("gpt-4o "))
    assert "overlaps" in gpt4o


def test_ratio_shown_where_ranges_do_not_overlap(capsys: pytest.CaptureFixture[str]) -> None:
    models = ["gpt-4o-mini", "meta-llama/Llama-3.1-405B-Instruct"]
    assert main(["compare", *models, "--output-tokens", "500", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    big = data[1]
    assert big["model"] == models[1] and not big["overlaps_best"]
    gwp = [tokenprint.estimate(m, 500).gwp for m in models]
    assert gwp[0] is not None and gwp[1] is not None
    assert big["ratio"] == pytest.approx(gwp[1].central / gwp[0].central)


def test_json_has_every_criterion_and_the_score(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "gpt-4o", "gpt-4o-mini", "--output-tokens", "100", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["model"] for d in data] == ["gpt-4o-mini", "gpt-4o"]
    assert data[0]["ratio"] == 1.0 and data[1]["ratio"] is None and data[1]["overlaps_best"]
    assert data[0]["score"] == 1288 and data[0]["error"] is None
    assert set(data[0]["impacts"]) >= {"energy", "gwp", "adpe", "pe", "wcf"}


def test_reasoning_tokens_and_task_options(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compare", "deepseek-ai/DeepSeek-R1", "gpt-4o", "--output-tokens", "100"]
    assert main([*args, "--task", "coding"]) == 0
    out = capsys.readouterr().out
    assert "quality (coding)" in out and "typical thinking tokens" in out
    assert main([*args, "--reasoning-tokens", "50", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["reasoning_tokens"] for d in data} == {50}


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


def test_unknown_model_is_a_row_with_its_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "gpt-4o", "no-such-model-xyz", "--output-tokens", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("no-such-model-xyz") and "not in the catalogue" in lines[-1]
    assert lines[3].startswith("gpt-4o")


def test_only_unknown_models_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "no-such-model-xyz", "--output-tokens", "5"]) == 2
    assert "no-such-model-xyz" in capsys.readouterr().out
