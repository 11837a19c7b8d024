"""The model catalogue and name resolution.

Rows come from ``data/models.csv`` (read on first use, indexed once) and from
:func:`register_model`, which takes precedence. A name resolves to a row through, in order:
the exact name, an alias, a normalised form (case, ``_``/space vs ``-``), the name without a
provider prefix (``openai/``, ``models/``, ``meta-llama/``...), and without a dated snapshot or
``-latest`` suffix. A name that matches nothing, or two different rows, resolves to nothing:
never a guess at another model.
"""

from __future__ import annotations

import re
import threading
from typing import NamedTuple

from tokenprint.catalog._files import parse_range, read_csv, split_list
from tokenprint.impacts.profiles import ModelSpec
from tokenprint.impacts.ranges import Value, hi, lo

__all__ = [
    "ModelRecord",
    "Resolution",
    "all_models",
    "normalize",
    "register_model",
    "resolve",
    "unregister_models",
]


class ModelRecord(NamedTuple):
    """One catalogue row."""

    provider: str
    """Who publishes the model (openai, anthropic, meta, alibaba...)."""
    name: str
    total_params: Value
    """Total parameters, billions (a Range where undisclosed or estimated)."""
    active_params: Value
    """Parameters active per token, billions (== total for dense models)."""
    architecture: str = "dense"
    aliases: tuple[str, ...] = ()
    precision_bits: float = 16.0
    release_date: str = ""
    modality: str = "text"
    sources: tuple[str, ...] = ()
    estimated: bool = False
    """True when the parameter counts are estimates (not disclosed by the publisher)."""
    notes: str = ""

    def spec(self) -> ModelSpec:
        return ModelSpec(self.name, self.total_params, self.active_params, self.precision_bits)


class Resolution(NamedTuple):
    """The outcome of resolving a name: a record (or None) and how it was found."""

    record: ModelRecord | None
    via: str = ""
    """"exact", "alias", "normalized", "prefix", "snapshot", "fuzzy", "" when unresolved."""
    warning: str | None = None
    ambiguous: tuple[str, ...] = ()


_lock = threading.Lock()
_shipped: list[ModelRecord] | None = None
_registered: dict[str, ModelRecord] = {}
_index: dict[str, ModelRecord | None] | None = None  # None value = ambiguous key
_cache: dict[tuple[str, str | None], Resolution] = {}

_SNAPSHOT = re.compile(r"(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4})|-latest|-preview)$")
_SEP = re.compile(r"[\s_]+")


def normalize(name: str) -> str:
    """Case- and separator-insensitive key: ``"Llama_3.1 8B"`` -> ``"llama-3.1-8b"``."""
    return _SEP.sub("-", name.strip().lower())


def _row_to_record(row: dict[str, str]) -> ModelRecord:
    total = parse_range(row, "total_params")
    active = (
        parse_range(row, "active_params")
        if (
            row.get("active_params_min") or row.get("active_params_max") or row.get("active_params")
        )
        else total
    )
    return ModelRecord(
        provider=row["provider"].strip(),
        name=row["name"].strip(),
        total_params=total,
        active_params=active,
        architecture=(row.get("architecture") or "dense").strip(),
        aliases=split_list(row.get("aliases")),
        precision_bits=float(row.get("precision_bits") or 16),
        release_date=(row.get("release_date") or "").strip(),
        modality=(row.get("modality") or "text").strip(),
        sources=split_list(row.get("sources")),
        estimated=(row.get("estimated") or "").strip().lower() in ("1", "true", "yes"),
        notes=(row.get("notes") or "").strip(),
    )


def _load_shipped() -> list[ModelRecord]:
    global _shipped
    if _shipped is None:
        _shipped = [_row_to_record(r) for r in read_csv("models.csv")]
    return _shipped


def _keys_of(rec: ModelRecord) -> list[str]:
    keys = []
    for n in (rec.name, *rec.aliases):
        k = normalize(n)
        keys.append(k)
        if "/" in k:
            keys.append(k.rsplit("/", 1)[1])
    return keys


def _build_index() -> dict[str, ModelRecord | None]:
    index: dict[str, ModelRecord | None] = {}
    exact: set[str] = set()
    # Registered models first: they shadow shipped rows with the same keys.
    records = [*_registered.values(), *_load_shipped()]
    shadowed: set[str] = set()
    for rec in records:
        own = set(_keys_of(rec))
        for k in own:
            if k in shadowed:
                continue
            prev = index.get(k, rec)
            if k in index and prev is not rec and prev is not None and prev.name != rec.name:
                if k in exact:  # an exact name beats someone else's alias
                    continue
                index[k] = None  # two rows claim the key: ambiguous
            else:
                index[k] = rec
        full = normalize(rec.name)
        exact.add(full)
        index[full] = rec
        if rec.name in _registered:
            shadowed |= own
    return index


def _get_index() -> dict[str, ModelRecord | None]:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _build_index()
    return _index


def _candidates(name: str) -> list[tuple[str, str]]:
    """(key, how) pairs to try, most specific first."""
    k = normalize(name)
    out = [(k, "normalized")]
    base = k
    if "/" in k:
        base = k.rsplit("/", 1)[1]
        out.append((base, "prefix"))
    stripped = base
    while True:
        nxt = _SNAPSHOT.sub("", stripped)
        if nxt == stripped or not nxt:
            break
        stripped = nxt
        out.append((stripped, "snapshot"))
    return out


def resolve(name: str | None, provider: str | None = None) -> Resolution:
    """Find the catalogue row for a model name as sent to or returned by an API."""
    if not name:
        return Resolution(None)
    key = (name, provider)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    index = _get_index()
    result = Resolution(None)
    ambiguous: list[str] = []
    for cand, how in _candidates(name):
        if cand not in index:
            continue
        rec = index[cand]
        if rec is None:
            ambiguous.append(cand)
            continue
        via = "exact" if rec.name == name else ("alias" if name in rec.aliases else how)
        result = Resolution(rec, via)
        break
    if result.record is None and ambiguous:
        result = Resolution(None, ambiguous=tuple(ambiguous))
    if len(_cache) < 10_000:
        _cache[key] = result
    return result


def all_models() -> list[ModelRecord]:
    """Every catalogued model, registered ones first."""
    return [*_registered.values(), *_load_shipped()]


def register_model(
    name: str,
    *,
    total_params: Value,
    active_params: Value | None = None,
    provider: str = "custom",
    aliases: tuple[str, ...] | list[str] = (),
    architecture: str | None = None,
    precision_bits: float = 16.0,
    modality: str = "text",
    sources: tuple[str, ...] | list[str] = (),
) -> ModelRecord:
    """Add (or replace) a model; it takes precedence over the shipped catalogue.

    Parameter counts are in billions; give a Range when they are uncertain.
    """
    from tokenprint.errors import InvalidArgumentError

    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError("register_model needs a non-empty model name")
    active = total_params if active_params is None else active_params
    for label, v in (("total_params", total_params), ("active_params", active)):
        if not isinstance(v, (int, float)) and not hasattr(v, "min"):
            raise InvalidArgumentError(f"{label} must be a number or a Range, got {v!r}")
        if lo(v) <= 0 or hi(v) != hi(v):
            raise InvalidArgumentError(f"{label} must be positive, got {v!r}")
    if hi(active) > hi(total_params):
        raise InvalidArgumentError("active_params cannot exceed total_params")
    arch = architecture or ("moe" if hi(active) < lo(total_params) else "dense")
    rec = ModelRecord(
        provider=provider,
        name=name.strip(),
        total_params=total_params,
        active_params=active,
        architecture=arch,
        aliases=tuple(aliases),
        precision_bits=float(precision_bits),
        modality=modality,
        sources=tuple(sources),
    )
    with _lock:
        _registered[rec.name] = rec
        _invalidate()
    return rec


def unregister_models() -> None:
    """Forget every model added with :func:`register_model` (tests, reconfiguration)."""
    with _lock:
        _registered.clear()
        _invalidate()


def _invalidate() -> None:
    global _index
    _index = None
    _cache.clear()


def load_file(path: str) -> list[ModelRecord]:
    """Register every row of a user CSV file (same columns as data/models.csv)."""
    import csv
    from pathlib import Path

    from tokenprint.errors import InvalidArgumentError

    try:
        with Path(path).open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
        records = [_row_to_record(r) for r in rows]
    except (OSError, KeyError, ValueError) as exc:
        raise InvalidArgumentError(f"cannot read models file {path!r}: {exc}") from exc
    with _lock:
        for rec in records:
            _registered[rec.name] = rec
        _invalidate()
    return records
