"""Quality scores and typical thinking tokens per model, resolved through the catalogue.

Shipped rows come from ``data/quality.csv`` (public leaderboards: LMArena text for the
``overall`` task, LiveBench for ``coding`` and ``maths``) and ``data/reasoning_tokens.csv``
(reasoning tokens per visible output token); both are read on first use. Users add their
own evaluations with :func:`add_quality`, :func:`load_quality` (a CSV file) or ``quality_*``
columns in a models file; theirs take precedence. A score is looked up by any name that
resolves to the catalogue row (alias, snapshot, provider prefix...).
"""

from __future__ import annotations

import csv
import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

import tokenprint.catalog as _catalog
from tokenprint.catalog._files import read_csv
from tokenprint.catalog.models import resolve

__all__ = [
    "OVERALL",
    "QualityScore",
    "add_quality",
    "clear_quality",
    "is_reasoning",
    "load_quality",
    "lookup",
    "read_model_file_scores",
    "register",
    "scored_models",
    "tasks",
    "thinking_multiplier",
    "version",
]

OVERALL = "overall"
"""The task of a general score (LMArena text rating in the shipped data)."""
QUALITY_FILE = "quality.csv"
TOKENS_FILE = "reasoning_tokens.csv"
REASONING_FILE = "reasoning_models.csv"


class QualityScore(NamedTuple):
    """One model's score on one task; ``low``/``high`` bound its 95 % interval (equal to
    ``score`` when the source publishes none)."""

    model: str
    """The catalogue name (or the name given, for a model the catalogue does not hold)."""
    task: str
    score: float
    low: float
    high: float
    source: str = ""
    date: str = ""

    @property
    def has_interval(self) -> bool:
        return self.low < self.high


_lock = threading.RLock()
_user: dict[tuple[str, str], QualityScore] = {}
_index: dict[tuple[str, str], QualityScore] | None = None
_index_version = -1
_tables: dict[str, tuple[int, dict[str, str]]] = {}
"""Shipped per-model files by catalogue name, with the catalogue version they were keyed at."""
_version = 0


def version() -> int:
    """A number that changes whenever user scores or the catalogue change (for caches)."""
    return _version + _catalog.version


def _key(name: str) -> str:
    """The catalogue name a model name resolves to (else the name itself, lower-cased)."""
    rec = resolve(name).record
    return rec.name if rec is not None else name.strip().lower()


def _number(text: str | None, what: str) -> float | None:
    """A finite float, None for an empty cell; ValueError naming ``what`` otherwise."""
    if text is None or not text.strip():
        return None
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"{what} {text.strip()!r} is not a number") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} {text.strip()!r} is not a finite number")
    return x


def _given(value: object, what: str) -> float | None:
    """A number given in code (int, float or numeric str), None for None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{what} must be a number, got {value!r}")
    return _number(str(value), what)


def _make(
    model: str,
    task: str,
    score: float,
    low: float | None,
    high: float | None,
    source: str = "",
    date: str = "",
) -> QualityScore:
    lo_, hi_ = (score if low is None else low), (score if high is None else high)
    if not lo_ <= score <= hi_:
        raise ValueError(f"the interval {lo_:g}–{hi_:g} does not hold the score {score:g}")
    if not task.strip():
        raise ValueError("empty task")
    return QualityScore(model, task.strip().lower(), score, lo_, hi_, source, date)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a user's CSV file whose ``#`` lines are comments (line numbers
    for its errors; shipped files use :func:`~tokenprint.catalog._files.read_csv`)."""
    with path.open(encoding="utf-8", newline="") as f:
        numbered = [(i, line) for i, line in enumerate(f, 1) if not line.startswith("#")]
    reader = csv.DictReader(line for _, line in numbered)
    for row in reader:
        line_no = numbered[reader.line_num - 1][0]
        yield line_no, {k: (v or "") for k, v in row.items() if k is not None}


def _shipped() -> list[QualityScore]:
    out = []
    for r in read_csv(QUALITY_FILE):
        score = _number(r["score"], "score")
        assert score is not None  # shipped rows are checked by the test suite
        out.append(
            _make(
                r["model"],
                r["task"],
                score,
                _number(r["score_low"], "score_low"),
                _number(r["score_high"], "score_high"),
                r["source"],
                r["date"],
            )
        )
    return out


def _get_index() -> dict[tuple[str, str], QualityScore]:
    """Scores by (catalogue name, task); rebuilt when the catalogue or user scores change."""
    global _index, _index_version
    index = _index
    if index is None or _index_version != _catalog.version:
        with _lock:
            index = {}
            for q in (*_shipped(), *_user.values()):
                index[(_key(q.model), q.task)] = q
            _index, _index_version = index, _catalog.version
    return index


def lookup(model: str, task: str = OVERALL) -> QualityScore | None:
    """The score of ``model`` on ``task``, or None when no source gives one."""
    return _get_index().get((_key(model), task.strip().lower()))


def tasks() -> list[str]:
    """Every task some model has a score for, ``overall`` first."""
    found = {t for _, t in _get_index()}
    return sorted(found, key=lambda t: (t != OVERALL, t))


def scored_models(task: str = OVERALL) -> list[str]:
    """Catalogue names of the models with a score on ``task``."""
    task = task.strip().lower()
    return [m for m, t in _get_index() if t == task]


def _table(file: str, column: str) -> dict[str, str]:
    """``column`` of a shipped per-model file by catalogue name; rebuilt when the catalogue
    changes (a name may then resolve elsewhere)."""
    found = _tables.get(file)
    if found is None or found[0] != _catalog.version:
        with _lock:
            rows = {_key(r["model"]): r[column] for r in read_csv(file)}
            found = _tables[file] = (_catalog.version, rows)
    return found[1]


def thinking_multiplier(model: str) -> float | None:
    """Typical reasoning tokens per visible output token (``data/reasoning_tokens.csv``), or
    None where none is published for the model."""
    return _number(_table(TOKENS_FILE, "thinking_multiplier").get(_key(model)), "multiplier")


def is_reasoning(model: str) -> bool:
    """Whether the model thinks before it answers: it has a typical multiplier, or its
    publisher documents it as a reasoning model (``data/reasoning_models.csv``)."""
    return thinking_multiplier(model) is not None or _key(model) in _table(REASONING_FILE, "source")


# -- user scores ---------------------------------------------------------------------------
def register(scores: Iterable[QualityScore]) -> None:
    """Add scores (replacing any for the same model and task)."""
    global _index, _version
    with _lock:
        for q in scores:
            _user[(q.model, q.task)] = q
        _index = None
        _version += 1


def clear_quality() -> None:
    """Forget every user score (tests, reconfiguration)."""
    global _index, _version
    with _lock:
        _user.clear()
        _index = None
        _version += 1


def add_quality(
    model: str,
    score: float,
    *,
    task: str = OVERALL,
    low: float | None = None,
    high: float | None = None,
    source: str = "user",
) -> QualityScore:
    """Record your own evaluation of ``model`` on ``task`` (``low``/``high``: its interval);
    it takes precedence over the shipped scores. Raises
    :class:`tokenprint.InvalidArgumentError` for a score that is not a finite number."""
    from tokenprint.errors import InvalidArgumentError

    if not isinstance(model, str) or not model.strip():
        raise InvalidArgumentError("add_quality needs a non-empty model name")
    try:
        value = _given(score, "score")
        if value is None:
            raise ValueError(f"score must be a number, got {score!r}")
        q = _make(model.strip(), task, value, _given(low, "low"), _given(high, "high"), source)
    except ValueError as exc:
        raise InvalidArgumentError(f"invalid quality score for {model!r}: {exc}") from exc
    register([q])
    return q


def _file_scores(path: Path, rows: Iterable[tuple[int, Mapping[str, str]]]) -> list[QualityScore]:
    """Scores of a quality file (``model, task, score[, score_low, score_high, source]``)."""
    out = []
    for line, r in rows:
        try:
            score = _number(r.get("score"), "score")
            if score is None:
                raise ValueError("empty score")
            out.append(
                _make(
                    (r.get("model") or "").strip(),
                    r.get("task") or OVERALL,
                    score,
                    _number(r.get("score_low"), "score_low"),
                    _number(r.get("score_high"), "score_high"),
                    r.get("source") or str(path),
                    r.get("date") or "",
                )
            )
        except ValueError as exc:
            raise ValueError(f"line {line}: {exc}") from exc
        if not out[-1].model:
            raise ValueError(f"line {line}: empty model name")
    return out


def load_quality(path: str | Path) -> list[QualityScore]:
    """Register every row of a CSV file of your own scores: columns ``model``, ``task``
    (default ``overall``), ``score``, optional ``score_low``/``score_high`` (an interval),
    ``source``. Raises :class:`tokenprint.InvalidArgumentError` naming the file and line of
    the first bad row, and registers nothing then."""
    from tokenprint.errors import InvalidArgumentError

    try:
        scores = _file_scores(Path(path), _rows(Path(path)))
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(f"cannot read quality file {str(path)!r}: {exc}") from exc
    register(scores)
    return scores


def read_model_file_scores(path: str | Path) -> list[QualityScore]:
    """Scores held in a models file's ``quality_<task>`` columns (with optional
    ``quality_<task>_low``/``_high``); ValueError naming the line of a bad cell. Not
    registered: the caller does once the whole file is valid."""
    p = Path(path)
    out = []
    for line, r in _rows(p):
        for col, cell in r.items():
            if not col.startswith("quality_") or col.endswith(("_low", "_high")):
                continue
            task = col[len("quality_") :]
            try:
                score = _number(cell, col)
                if score is None:
                    continue
                out.append(
                    _make(
                        (r.get("name") or "").strip(),
                        task,
                        score,
                        _number(r.get(f"{col}_low"), f"{col}_low"),
                        _number(r.get(f"{col}_high"), f"{col}_high"),
                        str(p),
                    )
                )
            except ValueError as exc:
                raise ValueError(f"line {line}: {exc}") from exc
    return out
