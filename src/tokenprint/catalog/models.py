"""The model catalogue and name resolution.

Rows come from ``data/models.csv``, ``data/embedding_models.csv`` and
``data/audio_models.csv`` (read on first use, indexed once), from :func:`register_model` /
:func:`load_file` (which take precedence) and, when enabled, from the Hugging Face Hub
(:mod:`tokenprint.catalog.hub`).

A name resolves to a row through, in order: the exact name or an alias (case and ``_``/space
vs ``-`` ignored); the name without provider prefixes (``openai/``, ``models/``,
``meta-llama/``, LiteLLM's ``provider/``, Bedrock's ``us.anthropic.`` and ``-v2:0``); dotted
versions spelled with dashes (``claude-3.5-sonnet``); the name without a dated snapshot or
``-latest``/``-preview`` suffix, or an Ollama tag without its build
(``llama3.1:8b-instruct-q8_0`` is ``llama3.1:8b``); and last a loose match that ignores
decorations such as ``-Instruct``, ``-hf`` or quantisation tags, accepted only when every row
it matches has the same size (it adds a warning). A name that matches nothing, or rows of
different sizes, resolves to nothing: never a guess at another model.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

import tokenprint.catalog as _catalog
from tokenprint.catalog._files import data_dir, parse_range, read_csv, split_list
from tokenprint.impacts.profiles import ModelSpec
from tokenprint.impacts.ranges import Value, hi, lo

__all__ = [
    "ARCHITECTURES",
    "SHIPPED_FILES",
    "ModelRecord",
    "Resolution",
    "all_models",
    "load_file",
    "load_models",
    "loose_key",
    "normalize",
    "record_from_row",
    "register_model",
    "resolve",
    "resolve_model",
    "set_fallback",
    "unregister_models",
    "validate_record",
]

ARCHITECTURES = ("dense", "moe")
SHIPPED_FILES = ("models.csv", "embedding_models.csv", "audio_models.csv")
"""Shipped model files (same columns); a missing optional file is skipped."""


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
        """What the impact model needs, with the architecture row of the model (by its name
        or an alias) when ``data/architectures.csv`` has one."""
        from tokenprint.catalog import architectures

        arch = architectures.lookup(self.name)
        for alias in self.aliases:
            if arch is not None:
                break
            arch = architectures.lookup(alias)
        return ModelSpec(
            self.name, self.total_params, self.active_params, self.precision_bits, arch
        )


class Resolution(NamedTuple):
    """The outcome of resolving a name: a record (or None) and how it was found."""

    record: ModelRecord | None
    via: str = ""
    """"exact", "alias", "normalized", "prefix", "snapshot", "fuzzy", "hub"; "" if unresolved."""
    warning: str | None = None
    ambiguous: tuple[str, ...] = ()


_lock = threading.RLock()
_registered: dict[str, ModelRecord] = {}
_index: dict[str, tuple[_Entry, ...]] | None = None
_loose: dict[str, tuple[_Entry, ...]] | None = None
_cache: dict[tuple[str, str | None], Resolution] = {}

_SEP = re.compile(r"[\s_]+")
_SNAPSHOT = re.compile(
    r"(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{2}-\d{4}|\d{2}-\d{2}|\d{3,4}|v\d+)"
    r"|-latest|-preview|-exp|:latest)$"
)
_BEDROCK = re.compile(
    r"^((?:us|eu|apac|global|us-gov|jp|au|ca)\.)?"
    r"(?:anthropic|meta|mistral|cohere|amazon|ai21|deepseek|openai|qwen|writer)\.(.+?)"
    r"(?:-v\d+(?::\d+)?|:\d+)?$"
)
_DOTTED = re.compile(r"(?<=\d)\.(?=\d)")
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_QUANT_TAG = re.compile(r"[-.:]q\d(?:[-_][a-z0-9]{1,2})*$")
_OLLAMA_BUILD = re.compile(r"-(?:instruct|chat|i?q\d(?:-[a-z0-9]{1,2})*|bf16|fp?16|fp?32)(?=-|$)")
"""Parts of an Ollama tag that name a build of the same model (``llama3.1:8b-instruct-q8_0``
is ``llama3.1:8b``): the instruct variant and the quantisation."""
_SIZE_TOKEN = re.compile(r"(?:^| )(?:\d+(?:\.\d+)?[bm]|\d+x\d+b|[ae]\d+(?:\.\d+)?b)(?: |$)")
_DECORATIONS = frozenset(
    {
        *("meta", "instruct", "chat", "it", "hf", "latest", "turbo", "preview"),
        *("awq", "gptq", "gguf", "mlx", "fp8", "fp16", "bf16", "int4", "int8"),
        *("4bit", "8bit", "w4a16", "w8a8"),
    }
)


def normalize(name: str) -> str:
    """Case- and separator-insensitive key: ``"Llama_3.1 8B"`` -> ``"llama-3.1-8b"``."""
    key = name.strip().lower()
    if " " in key or "_" in key or "\t" in key:
        key = _SEP.sub("-", key)
    return key


def loose_key(name: str) -> str:
    """The loose form used for the last-resort match: the last path segment without
    decorations (``-Instruct``, ``-hf``, ``-AWQ``, ``:q4_K_M``...), split into tokens."""
    tail = normalize(name).rsplit("/", 1)[-1]
    tail = _QUANT_TAG.sub("", tail)
    tokens: list[str] = []
    for piece in re.split(r"[-:]+", tail):
        if not piece or piece in _DECORATIONS:
            continue
        m = re.match(r"^([a-z]+)(\d.*)$", piece)
        tokens.extend(m.groups() if m else (piece,))
    return " ".join(tokens)


# -- rows ----------------------------------------------------------------------------------
def _flag(text: str | None) -> bool:
    return (text or "").strip().lower() in ("1", "true", "yes")


def record_from_row(row: Mapping[str, str | None]) -> ModelRecord:
    """A ModelRecord from a CSV row (columns of data/models.csv); raises ValueError."""
    r = row if all(v is not None for v in row.values()) else {k: v or "" for k, v in row.items()}
    total = parse_range(r, "total_params")  # type: ignore[arg-type]
    if r.get("active_params_min") or r.get("active_params_max") or r.get("active_params"):
        active = parse_range(r, "active_params")  # type: ignore[arg-type]
    else:
        active = total
    arch = (r.get("architecture") or "").strip().lower()
    if not arch:
        arch = "moe" if hi(active) < lo(total) else "dense"
    aliases = r.get("aliases")
    return ModelRecord(
        provider=(r.get("provider") or "custom").strip(),
        name=(r.get("name") or "").strip(),
        total_params=total,
        active_params=active,
        architecture=arch,
        aliases=split_list(aliases) if aliases else (),
        precision_bits=float(r.get("precision_bits") or 16),
        release_date=(r.get("release_date") or "").strip(),
        modality=(r.get("modality") or "text").strip(),
        sources=split_list(r.get("sources")),
        estimated=_flag(r.get("estimated")),
        notes=(r.get("notes") or "").strip(),
    )


def validate_record(rec: ModelRecord, *, shipped: bool = False) -> list[str]:
    """Problems with a record (empty when valid). Shipped rows must also carry a source
    URL and a release date."""
    problems: list[str] = []
    if not rec.name:
        problems.append("empty name")
    if rec.architecture not in ARCHITECTURES:
        problems.append(f"architecture {rec.architecture!r} not in {ARCHITECTURES}")
    t_lo, t_hi, a_lo, a_hi = (
        lo(rec.total_params),
        hi(rec.total_params),
        lo(rec.active_params),
        hi(rec.active_params),
    )
    if not (0 < t_lo <= t_hi < 1e5) or not (0 < a_lo <= a_hi):
        problems.append("parameter counts must be positive billions (and below 100,000)")
    elif a_hi > t_hi:
        problems.append("active parameters exceed total parameters")
    elif rec.architecture == "dense" and (a_lo, a_hi) != (t_lo, t_hi):
        problems.append("a dense model has active == total parameters")
    elif rec.architecture == "moe" and a_lo >= t_hi:
        problems.append("a MoE model has fewer active than total parameters")
    if not 1 <= rec.precision_bits <= 32:
        problems.append(f"precision_bits {rec.precision_bits} outside 1..32")
    if rec.release_date and not _DATE.match(rec.release_date):
        problems.append(f"release_date {rec.release_date!r} is not YYYY[-MM[-DD]]")
    if shipped:
        if not rec.provider:
            problems.append("empty provider")
        if not rec.release_date:
            problems.append("no release date")
        if not any(s.startswith("https://") for s in rec.sources):
            problems.append("no source URL")
    return problems


def _read_records(
    rows: Iterable[Mapping[str, str | None]], where: str, *, validate: bool = True
) -> list[ModelRecord]:
    out = []
    for i, row in enumerate(rows, 1):
        try:
            rec = record_from_row(row)
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{where} row {i}: {exc}") from exc
        if validate:
            problems = validate_record(rec)
            if problems:
                raise ValueError(f"{where} row {i} ({rec.name or '?'}): {'; '.join(problems)}")
        out.append(rec)
    return out


class _Entry:
    """A catalogue row as the index sees it: its names now, its record when first needed
    (parsing every row up front would double the load time)."""

    __slots__ = ("_record", "_row", "aliases", "name")

    def __init__(
        self,
        name: str,
        aliases: tuple[str, ...],
        row: Mapping[str, str | None] | None = None,
        record: ModelRecord | None = None,
    ) -> None:
        self.name, self.aliases, self._row, self._record = name, aliases, row, record

    @property
    def record(self) -> ModelRecord:
        rec = self._record
        if rec is None:
            assert self._row is not None
            rec = self._record = record_from_row(self._row)
        return rec


_shipped_entries: list[_Entry] | None = None
_Index = dict[str, tuple[_Entry, ...]]


def _shipped() -> list[_Entry]:
    global _shipped_entries
    entries = _shipped_entries
    if entries is None:
        with _lock:
            entries = _shipped_entries
            if entries is None:
                entries = []
                for file in SHIPPED_FILES:
                    if file == SHIPPED_FILES[0] or (data_dir() / file).is_file():
                        # shipped rows are validated by the test suite, not on every start
                        for row in read_csv(file):
                            aliases = row.get("aliases")
                            entries.append(
                                _Entry(
                                    row["name"].strip(),
                                    split_list(aliases) if aliases else (),
                                    row,
                                )
                            )
                _shipped_entries = entries
    return entries


def _load_shipped() -> list[ModelRecord]:
    return [e.record for e in _shipped()]


# -- index ---------------------------------------------------------------------------------
def _keys_of(entry: _Entry) -> Iterator[tuple[str, int]]:
    """(key, level) pairs a row claims: 0 its name, 1 its aliases, 2 their last path
    segments (and Meta's ``meta-llama-`` spelling without ``meta-``)."""
    name = normalize(entry.name)
    yield name, 0
    keys = [name]
    for a in entry.aliases:
        k = normalize(a)
        keys.append(k)
        yield k, 1
    for k in keys:
        if "/" in k:
            k = k.rsplit("/", 1)[1]
            yield k, 2
        if k.startswith("meta-llama-"):
            yield k[5:], 2


def _build(entries: Iterable[_Entry]) -> _Index:
    claims: dict[str, tuple[int, list[_Entry]]] = {}
    for e in entries:
        for key, level in _keys_of(e):
            cur = claims.get(key)
            if cur is None or level < cur[0]:
                claims[key] = (level, [e])
            elif level == cur[0] and all(x.name != e.name for x in cur[1]):
                cur[1].append(e)
    return {k: tuple(v) for k, (_, v) in claims.items()}


def _build_loose(entries: Iterable[_Entry]) -> _Index:
    loose: dict[str, list[_Entry]] = {}
    for e in entries:
        for n in (e.name, *e.aliases):
            key = loose_key(n)
            if not _SIZE_TOKEN.search(key):
                continue  # "llama3" names no size: too loose to match anything
            lst = loose.setdefault(key, [])
            if all(x.name != e.name for x in lst):
                lst.append(e)
    return {k: tuple(v) for k, v in loose.items()}


def _layered(build: Callable[[Iterable[_Entry]], _Index]) -> _Index:
    """Shipped rows indexed, then registered rows shadowing every key they claim."""
    index = build(_shipped())
    if _registered:
        index.update(build(_Entry(r.name, r.aliases, record=r) for r in _registered.values()))
    return index


def _get_index() -> _Index:
    global _index
    index = _index
    if index is None:
        with _lock:
            index = _index
            if index is None:
                index = _index = _layered(_build)
    return index


def _get_loose() -> _Index:
    global _loose
    loose = _loose
    if loose is None:
        with _lock:
            loose = _loose
            if loose is None:
                loose = _loose = _layered(_build_loose)
    return loose


def _candidates(name: str) -> Iterator[tuple[str, str]]:
    """(key, how) pairs to try, most specific first."""
    n = normalize(name)
    yield n, "normalized"
    parts = n.split("/")
    for i in range(1, len(parts)):
        yield "/".join(parts[i:]), "prefix"
    tails = [parts[-1]]
    m = _BEDROCK.match(parts[-1])
    if m:
        if m.group(1):  # a cross-region inference profile: the model id it routes to
            yield parts[-1][len(m.group(1)) :], "prefix"
        tails.append(m.group(2))
        yield m.group(2), "prefix"
    for tail in list(tails):
        if tail.startswith("llama-"):
            yield "meta-" + tail, "prefix"
        dashed = _DOTTED.sub("-", tail)
        if dashed != tail:
            tails.append(dashed)
            yield dashed, "normalized"
    for tail in tails:
        base, colon, tag = tail.rpartition(":")
        kept = _OLLAMA_BUILD.sub("", "-" + tag)[1:] if colon and base else tag
        if kept != tag and kept:
            yield f"{base}:{kept}", "snapshot"
        stripped = tail
        while True:
            nxt = _SNAPSHOT.sub("", stripped)
            if nxt == stripped or not nxt:
                break
            stripped = nxt
            yield stripped, "snapshot"


def _same_size(entries: tuple[_Entry, ...]) -> bool:
    first = entries[0].record
    return all(
        (e.record.total_params, e.record.active_params, e.record.precision_bits)
        == (first.total_params, first.active_params, first.precision_bits)
        for e in entries[1:]
    )


def _pick(entries: tuple[_Entry, ...], provider: str | None) -> ModelRecord | None:
    if len(entries) == 1:
        return entries[0].record
    if provider:
        mine = [e.record for e in entries if e.record.provider.lower() == provider.lower()]
        if len(mine) == 1:
            return mine[0]
    return None


def _how(name: str, key: str, how: str, rec: ModelRecord) -> str:
    if how != "normalized":
        return how
    if name == rec.name:
        return "exact"
    if name in rec.aliases:
        return "alias"
    if key == normalize(rec.name) or any(key == normalize(a) for a in rec.aliases):
        return "normalized"
    return "prefix"


def _resolve(name: str, provider: str | None) -> Resolution:
    index = _get_index()
    ambiguous: list[str] = []
    for key, how in _candidates(name):
        recs = index.get(key)
        if not recs:
            continue
        rec = _pick(recs, provider)
        if rec is None:
            ambiguous += [r.name for r in recs if r.name not in ambiguous]
            continue
        return Resolution(rec, _how(name, key, how, rec))
    if ambiguous:
        return Resolution(None, ambiguous=tuple(ambiguous))
    key = loose_key(name)
    recs = _get_loose().get(key, ()) if _SIZE_TOKEN.search(key) else ()
    if recs and _same_size(recs):
        rec = recs[0].record
        return Resolution(
            rec,
            "fuzzy",
            f"model {name!r} is not catalogued under that name; using {rec.name!r}, the only "
            "size it loosely matches (register the model to silence this)",
        )
    if recs:
        return Resolution(None, ambiguous=tuple(r.name for r in recs))
    if _fallback is not None and "/" in name:
        found = _fallback(name)
        if found is not None:
            return Resolution(found, "hub")
    return Resolution(None)


def resolve(name: str | None, provider: str | None = None) -> Resolution:
    """Find the catalogue row for a model name as sent to or returned by an API.

    ``provider`` (the serving SDK or publisher) only breaks ties between rows that claim the
    same name. Results are cached: a repeated look-up is one dict hit.
    """
    if not name or not isinstance(name, str):
        return Resolution(None)
    key = (name, provider)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    result = _resolve(name, provider)
    if len(_cache) < 10_000:
        _cache[key] = result
    return result


def all_models() -> list[ModelRecord]:
    """Every catalogued model, registered ones first."""
    return [*_registered.values(), *_load_shipped()]


# -- user models ---------------------------------------------------------------------------
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
    release_date: str = "",
    notes: str = "",
) -> ModelRecord:
    """Add (or replace) a model; it takes precedence over the shipped catalogue.

    Parameter counts are in billions; give a Range when they are uncertain.
    Raises :class:`tokenprint.InvalidArgumentError` for an invalid model.
    """
    from tokenprint.errors import InvalidArgumentError

    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError("register_model needs a non-empty model name")
    active = total_params if active_params is None else active_params
    for label, v in (("total_params", total_params), ("active_params", active)):
        if isinstance(v, bool) or (not isinstance(v, (int, float)) and not hasattr(v, "min")):
            raise InvalidArgumentError(f"{label} must be a number or a Range, got {v!r}")
        if not lo(v) > 0 or hi(v) != hi(v):
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
        release_date=release_date,
        modality=modality,
        sources=tuple(sources),
        notes=notes,
    )
    problems = validate_record(rec)
    if problems:
        raise InvalidArgumentError(f"invalid model {rec.name!r}: {'; '.join(problems)}")
    _add([rec])
    return rec


_fallback: Callable[[str], ModelRecord | None] | None = None
"""Looks up a repository id the catalogue does not hold (the Hugging Face Hub resolver)."""


def set_fallback(lookup: Callable[[str], ModelRecord | None] | None) -> None:
    """Use ``lookup`` for ``org/model`` names the catalogue does not hold (None: stop)."""
    global _fallback
    with _lock:
        _fallback = lookup
        _invalidate()


def unregister_models() -> None:
    """Forget every model added with :func:`register_model` (tests, reconfiguration)."""
    with _lock:
        _registered.clear()
        _invalidate()


def _add(records: Iterable[ModelRecord]) -> None:
    with _lock:
        for rec in records:
            _registered[rec.name] = rec
        _invalidate()


def _invalidate() -> None:
    global _index, _loose
    _index = _loose = None
    _cache.clear()
    _catalog.version += 1


def load_file(path: str | Path) -> list[ModelRecord]:
    """Register every row of a user CSV file (same columns as data/models.csv, plus
    optional ``quality_<task>`` scores: see :mod:`tokenprint.catalog.quality`).

    Rows are validated (``sources`` optional); raises :class:`tokenprint.InvalidArgumentError`
    naming the file and row on the first problem, and registers nothing then.
    """
    import csv

    from tokenprint.catalog import quality
    from tokenprint.errors import InvalidArgumentError

    try:
        with Path(path).open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(line for line in f if not line.startswith("#"))
            rows = list(reader)
        if "name" not in (reader.fieldnames or ()):  # not a models file (or an empty one)
            raise ValueError("no 'name' column: expected the columns of data/models.csv")
        records = _read_records(rows, str(path))
        scores = quality.read_model_file_scores(path)
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(f"cannot read models file {str(path)!r}: {exc}") from exc
    _add(records)
    quality.register(scores)
    return records


load_models = load_file
"""Public name of :func:`load_file` (``tokenprint.load_models(path)``)."""
resolve_model = resolve
"""Public name of :func:`resolve` (``tokenprint.resolve_model(name)``)."""
