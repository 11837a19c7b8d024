"""The shipped quality data and the ways users add their own scores."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import tokenprint
from tokenprint.catalog import quality
from tokenprint.catalog._files import data_dir
from tokenprint.catalog.models import resolve

SOURCES = ("https://github.com/fboulnois/", "https://github.com/LiveBench/")


def _rows(name: str) -> list[dict[str, str]]:
    with (data_dir() / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def test_every_shipped_score_names_a_catalogued_model_a_source_and_a_date() -> None:
    rows = _rows("quality.csv")
    assert len(rows) > 150
    for r in rows:
        assert resolve(r["model"]).record is not None, r["model"]
        assert r["source"].startswith(SOURCES) and r["date"][:2] == "20", r
        score = float(r["score"])
        if r["score_low"]:
            assert float(r["score_low"]) <= score <= float(r["score_high"]), r
    assert {r["task"] for r in rows} == {"overall", "coding", "maths"}
    pairs = [(r["model"], r["task"]) for r in rows]
    assert len(pairs) == len(set(pairs))


def test_every_thinking_multiplier_is_sourced_and_positive() -> None:
    rows = _rows("reasoning_tokens.csv")
    assert rows
    for r in rows:
        assert resolve(r["model"]).record is not None, r["model"]
        assert float(r["thinking_multiplier"]) > 0 and r["source"].startswith("https://")


def test_every_listed_reasoning_model_is_catalogued_and_sourced() -> None:
    rows = _rows("reasoning_models.csv")
    assert rows
    for r in rows:
        found = resolve(r["model"])
        assert found.record is not None and found.via == "exact", r["model"]
        assert r["source"].startswith("https://") and r["date"][:2] == "20", r
        assert quality.is_reasoning(r["model"])
    assert quality.is_reasoning("deepseek-ai/DeepSeek-R1")  # through its multiplier
    assert not quality.is_reasoning("gpt-4o")


def test_overall_score_has_the_arena_interval_and_resolves_through_aliases() -> None:
    q = quality.lookup("gpt-4o-2024-08-06")  # a dated snapshot of the catalogue's gpt-4o
    assert q is not None and q.model == "gpt-4o" and q.task == "overall"
    assert q.low < q.score < q.high
    assert quality.lookup("openai/gpt-4o", "coding") is not None
    assert quality.lookup("gpt-4o", "poetry") is None
    assert quality.lookup("no-such-model-xyz") is None


def test_thinking_multiplier_only_for_models_with_published_figures() -> None:
    assert (quality.thinking_multiplier("deepseek-ai/DeepSeek-R1") or 0) > 1
    assert quality.thinking_multiplier("gpt-4o") is None


def test_add_quality_overrides_the_shipped_score() -> None:
    tokenprint.add_quality("gpt-4o", 1400, low=1390, high=1410, source="our eval")
    q = quality.lookup("gpt-4o")
    assert q is not None and (q.score, q.low, q.high, q.source) == (1400, 1390, 1410, "our eval")
    tokenprint.add_quality("gpt-4o", 0.82, task="Support")
    assert quality.lookup("gpt-4o", "support") is not None
    assert "support" in quality.tasks()


@pytest.mark.parametrize(
    ("score", "kw"),
    [("high", {}), (float("nan"), {}), (True, {}), (5, {"low": 6}), (5, {"high": "x"})],
)
def test_add_quality_rejects_what_is_not_a_score(score: object, kw: dict[str, object]) -> None:
    with pytest.raises(tokenprint.InvalidArgumentError, match="gpt-4o"):
        tokenprint.add_quality("gpt-4o", score, **kw)  # type: ignore[arg-type]
    assert quality.lookup("gpt-4o") == quality.lookup("gpt-4o-2024-08-06")  # unchanged


def test_quality_file_adds_scores(tmp_path: Path) -> None:
    f = tmp_path / "evals.csv"
    f.write_text(
        "# our support evals\n"
        "model,task,score,score_low,score_high\n"
        "gpt-4o-mini,support,0.71,0.68,0.74\n"
    )
    (q,) = tokenprint.load_quality(f)
    assert q.task == "support" and quality.lookup("gpt-4o-mini", "support") == q


def test_non_numeric_score_in_a_quality_file_names_the_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "evals.csv"
    f.write_text("# comment\nmodel,task,score\ngpt-4o,support,0.8\ngpt-4o-mini,support,good\n")
    with pytest.raises(tokenprint.InvalidArgumentError) as err:
        tokenprint.load_quality(f)
    assert str(f) in str(err.value) and "line 4" in str(err.value) and "'good'" in str(err.value)
    assert quality.lookup("gpt-4o", "support") is None  # nothing registered


def test_models_file_carries_quality_columns(tmp_path: Path) -> None:
    f = tmp_path / "models.csv"
    f.write_text(
        "name,total_params,quality_overall,quality_overall_low,quality_overall_high,"
        "quality_support\n"
        "acme-chat,8,1250,1240,1260,0.66\n"
    )
    tokenprint.load_models(f)
    q = quality.lookup("acme-chat")
    assert q is not None and (q.low, q.score, q.high) == (1240, 1250, 1260)
    assert quality.lookup("acme-chat", "support") is not None


def test_non_numeric_score_in_a_models_file_names_the_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "models.csv"
    f.write_text("# mine\nname,total_params,quality_overall\nacme-a,8,1200\nacme-b,8,n/a\n")
    with pytest.raises(tokenprint.InvalidArgumentError) as err:
        tokenprint.load_models(f)
    msg = str(err.value)
    assert str(f) in msg and "line 4" in msg and "quality_overall" in msg
    assert resolve("acme-a").record is None  # the file is all or nothing
