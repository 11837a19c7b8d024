"""``tokenprint.compare``, ``recommend``, ``choose`` and the Pareto frontier, on catalogued
models and on a constructed case (registered models of known sizes with known scores)."""

from __future__ import annotations

from typing import TypedDict

import pytest

import tokenprint
from tokenprint.choice import Row, pareto_frontier
from tokenprint.impacts.results import Impact


class _Request(TypedDict):
    input_tokens: int
    output_tokens: int


REQUEST: _Request = {"input_tokens": 500, "output_tokens": 300}


@pytest.fixture
def family() -> dict[str, float]:
    """Four models on one site: bigger emits more at every percentile."""
    sizes = {"acme-1b": 1.0, "acme-10b": 10.0, "acme-100b": 100.0, "acme-300b": 300.0}
    for name, size in sizes.items():
        tokenprint.register_model(name, total_params=size, provider="openai")
    return sizes


def _gwp(row: Row) -> Impact:
    x = row.get("gwp")
    assert x is not None
    return x


# -- compare -------------------------------------------------------------------------------
def test_compare_sorts_by_gwp_and_carries_scores_and_impacts() -> None:
    rows = tokenprint.compare(["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku"], **REQUEST)
    centrals = [_gwp(r).central for r in rows]
    assert centrals == sorted(centrals)
    assert all(r.error is None and r.score is not None for r in rows)
    direct = tokenprint.estimate("gpt-4o", 300, 500).gwp
    assert direct is not None
    assert _gwp(next(r for r in rows if r.model == "gpt-4o")).central == direct.central


def test_unknown_model_is_a_row_with_its_error_not_an_abort() -> None:
    rows = tokenprint.compare(["no-such-model-xyz", "gpt-4o"], **REQUEST)
    assert [r.model for r in rows] == ["gpt-4o", "no-such-model-xyz"]
    bad = rows[1]
    assert bad.impacts is None and bad.error and "no-such-model-xyz" in bad.error


def test_ratio_to_best_only_where_intervals_do_not_overlap(family: dict[str, float]) -> None:
    rows = tokenprint.compare(["acme-300b", "acme-1b", "acme-10b"], **REQUEST)
    best, *others = rows
    assert best.model == "acme-1b" and best.ratio == 1.0
    for r in others:
        overlaps = _gwp(r).min <= _gwp(best).max
        assert r.overlaps_best is overlaps
        assert (r.ratio is None) is overlaps
    far = next(r for r in rows if r.model == "acme-300b")
    assert not far.overlaps_best and far.ratio == pytest.approx(
        _gwp(far).central / _gwp(best).central
    )


def test_reasoning_tokens_given_or_the_typical_multiplier() -> None:
    r1 = "deepseek-ai/DeepSeek-R1"
    typical = tokenprint.compare([r1, "gpt-4o"], **REQUEST)
    by = {r.model: r for r in typical}
    assert by[r1].reasoning_origin == "typical" and by[r1].reasoning_tokens > 300
    assert by["gpt-4o"].reasoning_tokens == 0 and by["gpt-4o"].reasoning_origin == "none"
    given = {r.model: r for r in tokenprint.compare([r1], reasoning_tokens=100, **REQUEST)}
    assert given[r1].reasoning_tokens == 100 and given[r1].reasoning_origin == "given"
    assert _gwp(given[r1]).central < _gwp(by[r1]).central


def test_a_reasoning_model_without_a_published_multiplier_is_flagged() -> None:
    (row,) = tokenprint.compare(["o3-mini"], **REQUEST)
    assert (row.reasoning_origin, row.reasoning_tokens) == ("unknown", 0)
    (given,) = tokenprint.compare(["o3-mini"], reasoning_tokens=200, **REQUEST)
    assert given.reasoning_origin == "given"


def test_a_model_without_a_score_and_a_task_without_data_say_why(
    family: dict[str, float],
) -> None:
    (row,) = tokenprint.compare(["acme-1b"], **REQUEST)
    assert row.score is None and row.quality_note and "add_quality" in row.quality_note
    (row,) = tokenprint.compare(["gpt-4o"], task="poetry", **REQUEST)
    assert row.score is None and row.quality_note and "tasks with data" in row.quality_note


# -- recommend -----------------------------------------------------------------------------
@pytest.fixture
def scored(family: dict[str, float]) -> None:
    tokenprint.add_quality("acme-300b", 1300, low=1295, high=1305)
    tokenprint.add_quality("acme-100b", 1150, low=1145, high=1155)
    tokenprint.add_quality("acme-10b", 1297, low=1292, high=1302)  # overlaps acme-300b
    tokenprint.add_quality("acme-1b", 1200, low=1195, high=1205)  # clearly worse


def test_recommend_keeps_models_as_good_that_emit_less_with_their_saving(scored: None) -> None:
    rec = tokenprint.recommend(
        like="acme-300b", candidates=["acme-1b", "acme-10b", "acme-100b"], **REQUEST
    )
    assert [r.model for r in rec] == ["acme-10b"]
    (row,) = rec
    assert rec.reference is not None
    saving = _gwp(rec.reference).central - _gwp(row).central
    assert row.saving == pytest.approx(saving) and row.saving_per_million == pytest.approx(
        saving * 1e6
    )
    reasons = {r.model: r.error for r in rec.excluded}
    assert "scores lower than acme-300b" in (reasons["acme-1b"] or "")
    assert "scores lower" in (reasons["acme-100b"] or "")


def test_recommend_ranks_least_emitting_first(scored: None) -> None:
    tokenprint.add_quality("acme-1b", 1301)
    rec = tokenprint.recommend(like="acme-300b", candidates=["acme-10b", "acme-1b"], **REQUEST)
    assert [r.model for r in rec] == ["acme-1b", "acme-10b"]


def test_a_better_model_that_emits_more_is_left_out_saying_so(scored: None) -> None:
    tokenprint.add_quality("acme-300b", 1400)
    rec = tokenprint.recommend(like="acme-10b", candidates=["acme-300b"], **REQUEST)
    assert not rec and "does not emit less" in (rec.excluded[0].error or "")


def test_clear_only_keeps_models_whose_interval_lies_below(scored: None) -> None:
    rec = tokenprint.recommend(like="acme-300b", candidates=["acme-10b"], **REQUEST)
    (row,) = rec
    assert row.clearly_less is (_gwp(row).max < _gwp(rec.reference).min)  # type: ignore[arg-type]
    tokenprint.add_quality("acme-1b", 1300)
    strict = tokenprint.recommend(
        like="acme-300b", candidates=["acme-1b", "acme-10b"], clear_only=True, **REQUEST
    )
    assert all(r.clearly_less for r in strict)


def test_recommend_with_a_bar_only(scored: None) -> None:
    rec = tokenprint.recommend(min_score=1290, candidates=["acme-1b", "acme-10b"], **REQUEST)
    assert [r.model for r in rec] == ["acme-10b"] and rec.reference is None
    assert rec[0].saving is None
    assert "below the bar" in (rec.excluded[0].error or "")


def test_recommend_lists_bad_candidates_with_their_reason(scored: None) -> None:
    rec = tokenprint.recommend(
        like="acme-300b", candidates=["no-such-model-xyz", "gpt-4o", "acme-100b"], **REQUEST
    )
    reasons = {r.model: r.error or "" for r in rec.excluded}
    assert "not in the catalogue" in reasons["no-such-model-xyz"]
    assert "scores lower than acme-300b" in reasons["gpt-4o"]  # shipped 1285 (1282-1288)
    assert "scores lower" in reasons["acme-100b"]
    assert not rec and len(rec.excluded) == 3


def test_the_reference_among_the_candidates_is_listed_as_such(scored: None) -> None:
    tokenprint.register_model("acme-300b", total_params=300.0, provider="openai", aliases=["a3"])
    rec = tokenprint.recommend(like="acme-300b", candidates=["a3", "acme-10b"], **REQUEST)
    assert [r.model for r in rec] == ["acme-10b"]
    assert [(r.model, r.error) for r in rec.excluded] == [
        ("a3", "the reference itself (acme-300b)")
    ]


def test_recommend_needs_a_scored_known_reference(scored: None) -> None:
    with pytest.raises(tokenprint.InvalidArgumentError, match="no-such-model-xyz"):
        tokenprint.recommend(like="no-such-model-xyz", **REQUEST)
    with pytest.raises(tokenprint.InvalidArgumentError, match="tasks with data"):
        tokenprint.recommend(like="acme-300b", task="poetry", **REQUEST)
    with pytest.raises(tokenprint.InvalidArgumentError, match=r"\(like=\) or a bar \(min_score=\)"):
        tokenprint.recommend(**REQUEST)


def test_recommend_from_the_shipped_data_finds_gpt_4o_mini_for_gpt_4o() -> None:
    rec = tokenprint.recommend(like="gpt-4o", **REQUEST)
    assert "gpt-4o-mini" in [r.model for r in rec]
    assert all(r.saving is not None and r.saving > 0 for r in rec)


# -- Pareto frontier -----------------------------------------------------------------------
def test_pareto_frontier_keeps_the_undominated_models(scored: None) -> None:
    rows = tokenprint.compare(["acme-1b", "acme-10b", "acme-100b", "acme-300b"], **REQUEST)
    # by impact: 1b (1200), 10b (1297), 100b (1150: dominated by 10b), 300b (1300)
    assert [r.model for r in pareto_frontier(rows)] == ["acme-1b", "acme-10b", "acme-300b"]
    tokenprint.add_quality("acme-300b", 1290)  # now dominated by acme-10b
    rows = tokenprint.compare(["acme-1b", "acme-10b", "acme-100b", "acme-300b"], **REQUEST)
    assert [r.model for r in pareto_frontier(rows)] == ["acme-1b", "acme-10b"]


# -- choose --------------------------------------------------------------------------------
def test_choose_returns_the_lowest_impact_candidate_meeting_the_bar(scored: None) -> None:
    cands = ["acme-300b", "acme-10b", "acme-1b"]
    assert tokenprint.choose(cands, min_score=1290) == "acme-10b"
    assert tokenprint.choose(cands) == "acme-1b"  # no bar: the least emitting
    assert tokenprint.choose(cands, min_score=1400) is None


def test_choose_is_cached_until_scores_change(scored: None, computes: list[int]) -> None:
    cands = ["acme-300b", "acme-10b", "acme-1b"]
    assert tokenprint.choose(cands, min_score=1290) == "acme-10b"
    n = len(computes)
    assert tokenprint.choose(cands, min_score=1290) == "acme-10b"
    assert len(computes) == n
    tokenprint.add_quality("acme-1b", 1299)
    assert tokenprint.choose(cands, min_score=1290) == "acme-1b"


def test_choose_warns_about_unknown_or_unscored_candidates(scored: None) -> None:
    tokenprint.register_model("acme-unscored", total_params=0.5, provider="openai")
    with pytest.warns(UserWarning, match="no-such-model-xyz.*acme-unscored: no 'overall' score"):
        got = tokenprint.choose(["no-such-model-xyz", "acme-unscored", "acme-10b"], min_score=1290)
    assert got == "acme-10b"
