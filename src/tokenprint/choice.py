"""Choosing a model: quality scores beside impacts, so a team can pick the model that emits
less at equal quality.

* :func:`compare`: the same request on several models, least emitting first, with their
  scores; an unknown model is a row with its error.
* :func:`recommend`: the models at least as good as a reference (or a bar) that emit less.
* :func:`choose`: the lowest-impact candidate meeting a bar, cached for routers.

The tests (also in docs/choosing.md):

* **At least as good**: a candidate's score interval reaches the reference's, i.e. its upper
  bound is at or above the reference's lower bound (95 % intervals: overlapping intervals
  count as equal quality). A bar ``min_score`` is a zero-width interval: the candidate's upper
  bound must reach it. A score published without an interval is taken as exact.
* **Emits less**: lower than the reference at every percentile of the criterion (P5, best
  estimate and P95 each below the reference's). Two estimates share their uncertain site
  inputs, so their 90 % intervals may overlap while the order holds at each percentile; such
  rows say so (``clearly_less`` is False), and ``clear_only=True`` keeps only candidates whose
  whole interval lies below the reference's.
* **× best** (compare): the ratio of best estimates, given only where a row's interval lies
  wholly above the best row's; otherwise the row overlaps the best.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from tokenprint.catalog import quality
from tokenprint.errors import InvalidArgumentError
from tokenprint.impacts.results import Impact, Impacts

__all__ = [
    "CRITERIA",
    "Recommendation",
    "Row",
    "choose",
    "compare",
    "pareto_frontier",
    "recommend",
]

CRITERIA = ("gwp", "energy", "wcf", "pe", "adpe")
"""Criteria to rank by (each impact's canonical unit: kgCO2eq, kWh, L, MJ, kgSbeq)."""
_PERCENTILES = ("min", "central", "max")


@dataclass(frozen=True)
class Row:
    """One model on the compared request: its score, its impacts, or why either is missing."""

    model: str
    """The name as given."""
    score: float | None = None
    """Its score on ``task`` (None: see ``quality_note``)."""
    score_low: float | None = None
    score_high: float | None = None
    task: str = quality.OVERALL
    impacts: Impacts | None = None
    error: str | None = None
    """Why the model could not be estimated or was left out (None when it was not)."""
    resolved: str | None = None
    """The catalogue row the name resolved to."""
    reasoning_tokens: int = 0
    reasoning_origin: str = "none"
    """"given", "typical" (the model's published multiplier), "unknown" (a reasoning model
    with none published: its thinking is not counted) or "none"."""
    quality_note: str | None = None
    """Why ``score`` is None."""
    score_source: str = ""
    ratio: float | None = None
    """compare: best estimate ÷ the best row's, None where the intervals overlap."""
    overlaps_best: bool = False
    saving: float | None = None
    """recommend: the reference's best estimate minus this one (criterion's canonical unit)."""
    saving_per_million: float | None = None
    clearly_less: bool = False
    """recommend: the whole interval lies below the reference's."""

    def get(self, criterion: str) -> Impact | None:
        """The impact on ``criterion`` (None for a row with an error)."""
        return None if self.impacts is None else self.impacts.criterion(criterion)

    def impact(self, criterion: str) -> Impact:
        """The impact on ``criterion``; ValueError for a row with an error."""
        x = self.get(criterion)
        if x is None:
            raise ValueError(f"{self.model}: no impacts ({self.error})")
        return x

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["impacts"] = None if self.impacts is None else self.impacts.to_dict()
        return out


class Recommendation(list[Row]):
    """The recommended rows, best first, with the ``reference`` row, the ``excluded`` rows
    (candidates given or failing to estimate, each with its reason in ``error``), every row
    ``considered`` (for plots) and the ``criterion`` ranked by."""

    def __init__(
        self,
        rows: Iterable[Row],
        reference: Row | None,
        excluded: list[Row],
        considered: list[Row],
        criterion: str,
    ) -> None:
        super().__init__(rows)
        self.reference = reference
        self.excluded = excluded
        self.considered = considered
        self.criterion = criterion

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "reference": None if self.reference is None else self.reference.to_dict(),
            "rows": [r.to_dict() for r in self],
            "excluded": [r.to_dict() for r in self.excluded],
        }


# -- one row -------------------------------------------------------------------------------
def _check(criterion: str, task: str | None) -> str:
    if criterion not in CRITERIA:
        raise InvalidArgumentError(f"criterion must be one of {list(CRITERIA)}, got {criterion!r}")
    return (task or quality.OVERALL).strip().lower()


def _reasoning(model: str, output_tokens: int, given: int | None) -> tuple[int, str]:
    if given is not None:
        return given, "given"
    m = quality.thinking_multiplier(model)
    if m is None:
        return 0, "unknown" if quality.is_reasoning(model) else "none"
    return round(m * output_tokens), "typical"


def _no_score(task: str) -> str:
    known = quality.tasks()
    if task not in known:
        return f"no model has a {task!r} score (tasks with data: {', '.join(known)})"
    return f"no {task!r} score for this model (add yours: tokenprint.add_quality)"


def _row(
    model: str,
    output_tokens: int,
    input_tokens: int,
    reasoning_tokens: int | None,
    task: str,
    zone: str | None,
) -> Row:
    """Estimate one model (never raises for an unknown model: the row carries the error)."""
    from tokenprint.api import estimate

    n, origin = _reasoning(model, output_tokens, reasoning_tokens)
    impacts = estimate(model, output_tokens, input_tokens, reasoning_tokens=n, zone=zone)
    error = "; ".join(e.message for e in impacts.errors) or None
    q = quality.lookup(model, task)
    return Row(
        model=model,
        score=None if q is None else q.score,
        score_low=None if q is None else q.low,
        score_high=None if q is None else q.high,
        task=task,
        impacts=None if error else impacts,
        error=error,
        resolved=impacts.basis.model_resolved or None,
        reasoning_tokens=n,
        reasoning_origin=origin,
        quality_note=_no_score(task) if q is None else None,
        score_source=q.source if q is not None else "",
    )


def _rows(
    models: Iterable[str],
    output_tokens: int,
    input_tokens: int,
    reasoning_tokens: int | None,
    task: str,
    zone: str | None,
) -> list[Row]:
    return [
        _row(m, output_tokens, input_tokens, reasoning_tokens, task, zone)
        for m in dict.fromkeys(models)
    ]


# -- compare -------------------------------------------------------------------------------
def compare(
    models: Sequence[str],
    output_tokens: int,
    input_tokens: int = 0,
    *,
    reasoning_tokens: int | None = None,
    task: str | None = None,
    criterion: str = "gwp",
    zone: str | None = None,
) -> list[Row]:
    """The same request on each model: rows sorted by the criterion's best estimate (lowest
    first), each with its score on ``task`` (default ``overall``) and the ratio to the best
    row where their intervals do not overlap; unknown models last, with their error.

    ``reasoning_tokens``: hidden thinking tokens per request for every model; None uses each
    model's typical multiplier of ``output_tokens`` where one is published (else 0).
    """
    task = _check(criterion, task)
    if not models:
        raise InvalidArgumentError("give at least one model")
    rows = _rows(models, output_tokens, input_tokens, reasoning_tokens, task, zone)
    ok = sorted((r for r in rows if r.error is None), key=lambda r: r.impact(criterion).central)
    if not ok:
        return rows
    best = ok[0].impact(criterion)
    ranked = []
    for r in ok:
        x = r.impact(criterion)
        overlaps = r is not ok[0] and x.min <= best.max
        ratio = None if overlaps else (x.central / best.central if best.central > 0 else 1.0)
        ranked.append(replace(r, ratio=ratio, overlaps_best=overlaps))
    return ranked + [r for r in rows if r.error is not None]


# -- recommend -----------------------------------------------------------------------------
def _as_good(row: Row, ref: Row | None, min_score: float | None) -> str | None:
    """None when ``row`` is at least as good; else why not."""
    if row.score is None or row.score_high is None:
        return row.quality_note
    if ref is not None and ref.score_low is not None and row.score_high < ref.score_low:
        return (
            f"scores lower than {ref.model} on {row.task!r}: "
            f"{row.score_low:g}–{row.score_high:g} below {ref.score_low:g}–{ref.score_high:g}"
        )
    if min_score is not None and row.score_high < min_score:
        return f"scores below the bar on {row.task!r}: {row.score_high:g} < {min_score:g}"
    return None


def _emits_less(row: Row, ref: Row, criterion: str) -> bool:
    x, y = row.impact(criterion), ref.impact(criterion)
    return all(x.bound(q) < y.bound(q) for q in _PERCENTILES)


def _judge(
    r: Row, ref: Row | None, min_score: float | None, criterion: str, clear_only: bool
) -> Row:
    """The candidate row with its saving, or with the reason it is left out in ``error``."""
    if ref is not None and r.resolved is not None and r.resolved == ref.resolved:
        return replace(r, error=f"the reference itself ({ref.resolved})")
    why = r.error or _as_good(r, ref, min_score)
    if why is None and ref is not None:
        x, y = r.impact(criterion), ref.impact(criterion)
        if not _emits_less(r, ref, criterion):
            why = f"does not emit less than {ref.model} at every percentile of {criterion}"
        elif clear_only and x.max >= y.min:
            why = f"its interval overlaps {ref.model}'s (clear_only)"
        else:
            saving = y.central - x.central
            return replace(
                r, saving=saving, saving_per_million=saving * 1e6, clearly_less=x.max < y.min
            )
    return r if why is None else replace(r, error=why)


def recommend(
    like: str | None = None,
    *,
    input_tokens: int = 0,
    output_tokens: int,
    task: str | None = None,
    min_score: float | None = None,
    reasoning_tokens: int | None = None,
    candidates: Sequence[str] | None = None,
    criterion: str = "gwp",
    zone: str | None = None,
    clear_only: bool = False,
) -> Recommendation:
    """Models at least as good as ``like`` (and/or scoring at least ``min_score``) on
    ``task`` that emit less on this request, least emitting first, with the saving per
    request and per million requests (the tests: see the module docstring).

    ``candidates`` limits the search (default: every model with a score on the task); each
    candidate given and left out is in ``.excluded`` with its reason.
    """
    task = _check(criterion, task)
    if like is None and min_score is None:
        raise InvalidArgumentError("give a reference model (like=) or a bar (min_score=)")
    ref = None
    if like is not None:
        ref = _row(like, output_tokens, input_tokens, reasoning_tokens, task, zone)
        if ref.error is not None:
            raise InvalidArgumentError(f"reference {like!r}: {ref.error}")
        if ref.score is None:
            raise InvalidArgumentError(f"reference {like!r}: {ref.quality_note}")
    pool = quality.scored_models(task) if candidates is None else list(candidates)
    rows = _rows(pool, output_tokens, input_tokens, reasoning_tokens, task, zone)
    kept: list[Row] = []
    excluded: list[Row] = []
    considered: list[Row] = []
    for r in rows:
        r = _judge(r, ref, min_score, criterion, clear_only)
        if r.error is None:
            kept.append(r)
        elif candidates is not None or r.impacts is None:
            excluded.append(r)  # a candidate given, or one that could not be estimated
        considered.append(r)
    kept.sort(key=lambda r: r.impact(criterion).central)
    return Recommendation(kept, ref, excluded, considered, criterion)


def pareto_frontier(rows: Iterable[Row], criterion: str = "gwp") -> list[Row]:
    """Rows no other row beats on both counts (higher score and lower best estimate), by
    increasing impact; rows without a score or impacts are ignored."""
    pts = [r for r in rows if r.score is not None and r.get(criterion) is not None]
    pts.sort(key=lambda r: (r.impact(criterion).central, -(r.score or 0.0)))
    frontier: list[Row] = []
    for r in pts:
        if not frontier or (r.score or 0.0) > (frontier[-1].score or 0.0):
            frontier.append(r)
    return frontier


# -- choose --------------------------------------------------------------------------------
_choices: dict[tuple[Any, ...], str | None] = {}


def choose(
    candidates: Sequence[str],
    min_score: float | None = None,
    task: str | None = None,
    *,
    input_tokens: int = 1000,
    output_tokens: int = 500,
    reasoning_tokens: int | None = None,
    criterion: str = "gwp",
    zone: str | None = None,
) -> str | None:
    """The candidate (as given) with the lowest best estimate on a typical request among
    those meeting the bar (score interval reaching ``min_score`` on ``task``; no bar: every
    candidate that can be estimated), or None when none does. The answer is cached per
    arguments until the catalogue or the scores change, so a router can call it per request.
    Candidates left out for an error or a missing score are reported once per arguments as a
    warning."""
    key = (
        tuple(candidates),
        min_score,
        task,
        input_tokens,
        output_tokens,
        reasoning_tokens,
        criterion,
        zone,
        quality.version(),
    )
    try:
        return _choices[key]
    except KeyError:
        pass
    t = _check(criterion, task)
    rows = _rows(candidates, output_tokens, input_tokens, reasoning_tokens, t, zone)
    ok: list[Row] = []
    left: list[str] = []
    for r in rows:
        why = r.error or (None if min_score is None else _as_good(r, None, min_score))
        if why is None:
            ok.append(r)
        elif r.error or r.score is None:  # below the bar is an answer, not a problem
            left.append(f"{r.model}: {why}")
    if left:
        warnings.warn("choose() left out " + "; ".join(left), stacklevel=2)
    best = min(ok, key=lambda r: r.impact(criterion).central, default=None)
    answer = None if best is None else best.model
    if len(_choices) > 1024:
        _choices.clear()
    _choices[key] = answer
    return answer
