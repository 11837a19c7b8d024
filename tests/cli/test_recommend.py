"""``tokenprint recommend``: the models at least as good that emit less, their saving, the
ones left out with their reason, JSON and the quality-against-GWP plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokenprint.cli import main

REQUEST = ["--input-tokens", "500", "--output-tokens", "300"]
AMONG = ["--among", "gpt-4o-mini", "claude-3-5-haiku", "no-such-model-xyz"]


def test_table_ranks_candidates_with_saving_and_lists_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["recommend", "--like", "gpt-4o", *REQUEST, *AMONG]) == 0
    out = capsys.readouterr().out
    assert "Models at least as good as gpt-4o on 'overall'" in out
    assert "saving / 1M requests (kgCO2eq)" in out
    row = next(line for line in out.splitlines() if line.startswith("gpt-4o-mini"))
    assert row.split()[-1] in ("overlaps", "below")
    assert "claude-3-5-haiku: scores lower than gpt-4o" in out
    assert "no-such-model-xyz: model 'no-such-model-xyz' is not in the catalogue" in out
    assert "Tests: at least as good" in out


def test_a_reasoning_model_whose_thinking_is_not_counted_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    among = ["--among", "o3-mini", "gpt-4o-mini"]
    assert main(["recommend", "--like", "gpt-4o", "--task", "coding", *REQUEST, *among]) == 0
    out = capsys.readouterr().out
    assert "Reasoning models whose thinking tokens are not counted" in out
    assert "o3-mini." in out
    assert main(["compare", "o3-mini", "gpt-4o-mini", *REQUEST]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("o3"))
    assert "its thinking tokens are not counted" in row


def test_json_rows_have_model_score_impacts_and_saving(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["recommend", "--like", "gpt-4o", *REQUEST, *AMONG, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (row,) = data["rows"]
    assert row["model"] == "gpt-4o-mini" and row["score"] == 1288
    assert row["saving"] > 0 and row["saving_per_million"] == pytest.approx(row["saving"] * 1e6)
    assert data["reference"]["model"] == "gpt-4o" and "gwp" in row["impacts"]
    assert {r["model"] for r in data["excluded"]} == {"claude-3-5-haiku", "no-such-model-xyz"}


def test_task_and_bar(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recommend", "--min-score", "60", "--task", "maths", *REQUEST, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"] and all(r["score_high"] >= 60 for r in data["rows"])
    assert all(r["task"] == "maths" for r in data["rows"])


def test_reference_without_a_score_on_the_task_is_a_clear_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["recommend", "--like", "gpt-4o", "--task", "poetry", *REQUEST]) == 2
    assert "tasks with data: overall, coding, maths" in capsys.readouterr().err


def test_plot_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "pareto.png"
    assert main(["recommend", "--like", "gpt-4o", *REQUEST, "--plot", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert f"plot written to {png}" in capsys.readouterr().out
