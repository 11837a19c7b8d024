"""Read every file tokenprint writes, for ``tokenprint check``, ``report`` and CI summaries.

* the JSON report of ``pytest --impact-report=PATH`` and ``Tracker.to_json(PATH)``;
* the JSON lines of the ``jsonl`` exporter (one request a line);
* the CSV of the ``codecarbon`` exporter: its rows (``tracking_mode`` ``tokenprint``) are
  requests; the other rows of the file are local compute measured by CodeCarbon itself.

Each file becomes a :class:`Report`. A file that is empty, truncated or not tokenprint's
raises InvalidArgumentError naming the file and the line.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tokenprint.errors import InvalidArgumentError
from tokenprint.impacts import units
from tokenprint.impacts.results import CRITERIA

__all__ = ["Entry", "Local", "Report", "Totals", "add", "from_dict", "load", "read_codecarbon"]

Totals = dict[str, tuple[float, float, float]]
"""``{criterion: (P5, best estimate, P95)}`` in canonical units (kWh, kg, MJ, L)."""


class Entry(NamedTuple):
    """One request (or one row summing requests) read from a file."""

    time: float | None
    """Seconds since the epoch, when known."""
    provider: str
    model: str
    labels: Mapping[str, str]
    values: Totals
    """Empty when the request was not estimated."""
    errors: tuple[str, ...] = ()
    methodology: str = ""
    test: str = ""
    """The pytest node id of the test that made it (a pytest report)."""


class Local(NamedTuple):
    """One row of CodeCarbon's own measurements (the machine running the code)."""

    time: float | None
    project: str
    duration: float
    """Seconds."""
    values: Totals


@dataclass
class Report:
    """What a file holds: its requests, its tests (a pytest report) and its total."""

    path: str
    kind: str
    """``report`` (JSON report), ``jsonl`` or ``codecarbon`` (CSV)."""
    requests: list[Entry] = field(default_factory=list)
    tests: list[tuple[str, Totals]] = field(default_factory=list)
    total: Totals = field(default_factory=dict)
    local: list[Local] = field(default_factory=list)

    @property
    def unestimated(self) -> list[Entry]:
        """The requests without impacts (never counted as zero)."""
        return [e for e in self.requests if not e.values]

    def named(self) -> list[tuple[str, Entry]]:
        """Each request with the name reports give it: ``[test ]request N (model)``."""
        return [
            (f"{e.test + ' ' if e.test else ''}request {n} ({e.model})", e)
            for n, e in enumerate(self.requests, 1)
        ]

    @property
    def methodology(self) -> list[str]:
        """The methodology versions of the estimates, in order of first appearance."""
        return list(dict.fromkeys(e.methodology for e in self.requests if e.methodology))


def add(items: Iterable[Totals]) -> Totals:
    """The sum of some totals: bounds add, low with low and high with high."""
    out: dict[str, list[float]] = {}
    for t in items:
        for c, v in t.items():
            acc = out.setdefault(c, [0.0, 0.0, 0.0])
            for i in range(3):
                acc[i] += v[i]
    return {c: (v[0], v[1], v[2]) for c, v in out.items()}


def _fail(path: str, line: int | None, what: str) -> InvalidArgumentError:
    where = f"{path} line {line}" if line is not None else path
    return InvalidArgumentError(f"{where}: {what}")


# -- JSON: the report and the JSON lines ----------------------------------------------------
def _totals(impacts: Mapping[str, Any]) -> Totals:
    """The criteria of an ``Impacts.to_dict()`` (``{"value", "unit"}``, the value a number or
    ``{"min", "central", "max"}``) or of a JSON line (``{"min", "central", "max"}`` in the
    line's ``units``)."""
    out: Totals = {}
    line_units = impacts.get("units") or {}
    for c in CRITERIA:
        entry = impacts.get(c)
        if entry is None:
            continue
        if "value" in entry:
            v, unit = entry["value"], str(entry["unit"])
        else:
            v, unit = entry, str(line_units.get(c, units.DISPLAY[c]))
        lo, mid, hi = (v["min"], v["central"], v["max"]) if isinstance(v, Mapping) else (v,) * 3
        canonical = units.CANONICAL[c]
        scale = 1.0 if unit == units.DISPLAY[c] else units.convert(1.0, unit, canonical)
        out[c] = (float(lo) * scale, float(mid) * scale, float(hi) * scale)
    return out


def _errors(impacts: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(e.get("code", "?")) for e in impacts.get("errors") or ())


def _entry(r: Mapping[str, Any], basis: Mapping[str, Any], time: float, test: str = "") -> Entry:
    """A request of a JSON report (``basis`` beside ``impacts``) or a JSON line (``model``
    and ``provider`` on the line, the basis inside ``impacts``)."""
    impacts = r["impacts"]
    return Entry(
        time,
        r.get("provider") or basis.get("provider") or "",
        r.get("model") or basis.get("model_resolved") or basis.get("model") or "unknown",
        dict(r.get("labels") or {}),
        _totals(impacts),
        _errors(impacts),
        impacts.get("methodology_version") or basis.get("methodology_version") or "",
        test,
    )


def _report_entry(r: Mapping[str, Any], test: str) -> Entry:
    return _entry(r, r.get("basis") or {}, float(r["timestamp"]), test)


def from_dict(data: Mapping[str, Any], path: str) -> Report:
    """A JSON report (``format: tokenprint-report``) already parsed."""
    try:
        rep = Report(path, "report", total=_totals(data["total"]))
        rep.requests = [_report_entry(r, "") for r in data.get("requests", ())]
        for t in data.get("tests", ()):
            nodeid = str(t["nodeid"])
            rep.tests.append((nodeid, _totals(t["total"])))
            rep.requests += [_report_entry(r, nodeid) for r in t.get("requests", ())]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _fail(path, None, f"malformed tokenprint report ({exc!r})") from exc
    return rep


def _jsonl_entry(r: Mapping[str, Any]) -> Entry:
    time = _dt.datetime.fromisoformat(str(r["timestamp"])).timestamp()
    return _entry(r, r["impacts"].get("basis") or {}, time)


def _jsonl(text: str, path: str) -> Report:
    rep = Report(path, "jsonl")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(path, n, f"not JSON, truncated? ({exc.msg})") from exc
        try:
            rep.requests.append(_jsonl_entry(record))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _fail(path, n, f"not a tokenprint JSON-lines record ({exc!r})") from exc
    rep.total = add(e.values for e in rep.requests)
    return rep


def _json(text: str, path: str) -> Report:
    from tokenprint.tracking import REPORT_FORMAT

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # several documents: JSON lines
            return _jsonl(text, path)
        first = text.lstrip().partition("\n")[0]
        try:
            json.loads(first)
        except json.JSONDecodeError:
            raise _fail(path, exc.lineno, f"not JSON, truncated? ({exc.msg})") from exc
        return _jsonl(text, path)  # whole first line: JSON lines with a bad line further down
    if isinstance(data, dict) and data.get("format") == REPORT_FORMAT:
        return from_dict(data, path)
    if isinstance(data, dict) and "impacts" in data:  # JSON lines of one request
        return _jsonl(text, path)
    raise _fail(
        path,
        1,
        "not a tokenprint file (expected a report of pytest --impact-report or "
        "Tracker.to_json, or the jsonl exporter's lines)",
    )


# -- CSV: the codecarbon exporter, CodeCarbon itself ----------------------------------------
_CSV_NEEDS = ("timestamp", "duration", "emissions", "energy_consumed")


def _rows(text: str, path: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of a CSV in CodeCarbon's schema; errors name the line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    missing = [c for c in _CSV_NEEDS if c not in header]
    if missing:
        hint = (
            " (Tracker.to_csv() files carry no best estimate: read its to_json() instead)"
            if "methodology_version" in header
            else ""
        )
        raise _fail(path, 1, f"not a CodeCarbon emissions CSV: no {', '.join(missing)}{hint}")
    for row in reader:
        if not row:
            continue
        if len(row) != len(header):
            raise _fail(
                path,
                reader.line_num,
                f"{len(row)} fields where the header has {len(header)} (truncated?)",
            )
        yield reader.line_num, dict(zip(header, row, strict=True))


def _csv_values(row: Mapping[str, str]) -> Totals:
    if not row["energy_consumed"] and not row["emissions"]:
        return {}  # a request the exporter could not estimate: unknown, not zero
    energy, gwp = float(row["energy_consumed"]), float(row["emissions"])
    out: Totals = {"energy": (energy,) * 3, "gwp": (gwp,) * 3}
    if row.get("water_consumed"):
        out["wcf"] = (float(row["water_consumed"]),) * 3
    return out


def _csv_time(text: str) -> float | None:
    return _dt.datetime.fromisoformat(text).timestamp() if text else None


def _csv(text: str, path: str) -> Report:
    rep = Report(path, "codecarbon")
    for n, row in _rows(text, path):
        try:
            values, time = _csv_values(row), _csv_time(row["timestamp"])
            if row.get("tracking_mode") == "tokenprint":
                labels = {"experiment_id": row["experiment_id"]} if row["experiment_id"] else {}
                provider = row.get("cloud_provider", "")
                rep.requests.append(Entry(time, provider, "model not recorded", labels, values))
            else:
                project = row.get("project_name", "")
                rep.local.append(Local(time, project, float(row["duration"] or 0), values))
        except (KeyError, ValueError) as exc:
            raise _fail(path, n, f"bad value ({exc})") from exc
    rep.total = add(e.values for e in rep.requests)
    return rep


def _text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise _fail(path, None, "not a text file (not UTF-8)") from exc
    if not text.strip():
        raise _fail(path, None, "empty file (no request written yet?)")
    return text


def load(path: str) -> Report:
    """The report in any file tokenprint writes (JSON report, JSON lines, CSV)."""
    text = _text(path)
    if text.lstrip().startswith(("{", "[")):
        return _json(text, path)
    return _csv(text, path)


def read_codecarbon(path: str) -> list[Local]:
    """CodeCarbon's own rows of an ``emissions.csv`` (rows tokenprint wrote are skipped)."""
    return _csv(_text(path), path).local
