"""Tracking: collect the impacts of the requests made in a block of code.

:class:`Tracker` (``with EcoLogits.track() as t:``) records every request made inside the
block: ``t.total``, ``t.requests``, ``t.by_model()``, ``t.to_json()``, ``t.to_csv()``.
Trackers live in the per-request context (:mod:`tokenprint.context`): each thread and asyncio
task sees only the trackers it opened (asyncio tasks inherit the ones open where they were
created; a new thread starts with none). The after-request subscriber that feeds them is
registered only while a tracker is open.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from tokenprint import context, events
from tokenprint.errors import InvalidTypeError
from tokenprint.impacts import units
from tokenprint.impacts.results import CRITERIA, Basis, Impacts, criterion_total
from tokenprint.records import RequestRecord, Usage

__all__ = ["REPORT_FORMAT", "TrackedRequest", "Tracker", "request_dict", "requests_csv"]

REPORT_FORMAT = "tokenprint-report"
"""``format`` field of the JSON written by :meth:`Tracker.to_json` and the pytest plugin."""


class TrackedRequest(NamedTuple):
    """One request seen by a tracker: what it was computed from and what it cost."""

    basis: Basis
    impacts: Impacts
    usage: Usage
    labels: Mapping[str, str]
    timestamp: float

    @classmethod
    def of(cls, record: RequestRecord) -> TrackedRequest:
        return cls(
            record.impacts.basis, record.impacts, record.usage, record.labels, record.timestamp
        )


def request_dict(r: TrackedRequest | RequestRecord) -> dict[str, Any]:
    """A request as the JSON reports write it: time, labels, basis and impacts."""
    impacts = r.impacts.to_dict()
    basis = impacts.pop("basis")
    return {"timestamp": r.timestamp, "labels": dict(r.labels), "basis": basis, "impacts": impacts}


def model_of(basis: Basis) -> str:
    return basis.model_resolved or basis.model or "unknown"


class Tracker(context.Scope):
    """Collects the requests made inside ``with``/``async with`` or a decorated function.

    Trackers nest (an outer tracker sees the requests of an inner one) and are isolated per
    thread and asyncio task. Used as a decorator, the same tracker accumulates every call.
    """

    def __init__(self, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise InvalidTypeError(f"tracker name must be a str, got {type(name).__name__}")
        self.name = name
        self._requests: list[TrackedRequest] = []
        self._lock = threading.Lock()

    def _push(self) -> contextlib.AbstractContextManager[Any]:
        return _opened(self)

    def add(self, record: RequestRecord) -> None:
        """Record one finished request (the after-hook calls this)."""
        item = TrackedRequest.of(record)
        with self._lock:
            self._requests.append(item)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def requests(self) -> list[TrackedRequest]:
        """The requests seen so far, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    def __len__(self) -> int:
        return len(self._requests)

    @property
    def unestimated(self) -> list[TrackedRequest]:
        """The requests whose impacts could not be estimated (an unknown model, unusable
        usage): counted here, never as zero in :attr:`total`, whose ``errors`` name them."""
        return [r for r in self.requests if r.impacts.vectors is None]

    @property
    def total(self) -> Impacts:
        """Sum of the requests' impacts (low bounds and high bounds summed separately)."""
        return Impacts.sum(r.impacts for r in self.requests)

    def by_model(self) -> dict[str, Impacts]:
        """Summed impacts per model (the catalogue name when resolved, else as sent)."""
        groups: dict[str, list[Impacts]] = {}
        for r in self.requests:
            groups.setdefault(model_of(r.basis), []).append(r.impacts)
        return {model: Impacts.sum(items) for model, items in groups.items()}

    def to_dict(self) -> dict[str, Any]:
        """The report: total, per-model totals and every request."""
        requests = self.requests
        total = Impacts.sum(r.impacts for r in requests)
        return {
            "format": REPORT_FORMAT,
            "version": 1,
            "name": self.name,
            "total": total.to_dict(),
            "by_model": {m: i.to_dict() for m, i in self.by_model().items()},
            "unestimated": len([r for r in requests if r.impacts.vectors is None]),
            "requests": [request_dict(r) for r in requests],
        }

    def to_json(self, path: str | None = None, *, indent: int | None = 2) -> str:
        """The report as JSON (also written to ``path`` if given); ``tokenprint check``
        reads it."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def to_csv(self, path: str | None = None) -> str:
        """One row per request: basis fields, labels, then each criterion's min and max."""
        text = requests_csv(self.requests)
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        return text

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<Tracker{label}: {len(self)} request(s)>"


_CSV_BASIS = (
    "provider",
    "model",
    "model_resolved",
    "modality",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "reasoning_tokens",
    "latency_s",
    "zone",
    "datacenter",
    "hardware",
    "methodology_version",
)


def requests_csv(requests: Iterable[TrackedRequest]) -> str:
    """CSV text of requests (one row each, impacts in canonical units)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    heads = ["timestamp", *_CSV_BASIS, "labels"]
    for c in CRITERIA:
        unit = units.DISPLAY[c]
        heads += [f"{c}_min_{unit}", f"{c}_max_{unit}"]
    heads.append("errors")
    w.writerow(heads)
    for r in requests:
        b = r.basis._asdict()
        row: list[Any] = [r.timestamp, *(("" if b[k] is None else b[k]) for k in _CSV_BASIS)]
        row.append(json.dumps(dict(r.labels), sort_keys=True) if r.labels else "")
        vec = r.impacts.vectors
        for c in CRITERIA:
            if vec is None:
                row += ["", ""]
            else:
                row += [criterion_total(vec[0], c), criterion_total(vec[1], c)]
        row.append(";".join(e.code for e in r.impacts.errors))
        w.writerow(row)
    return out.getvalue()


@contextlib.contextmanager
def _opened(tracker: Tracker) -> Iterator[None]:
    """A tracker open in this context, holding the subscriber that feeds it."""
    with _recording, context.push(tracker=tracker):
        yield


def _record(record: RequestRecord) -> None:
    """Record a finished request in every tracker open in its context."""
    for tracker in context.trackers():
        tracker.add(record)


_recording = events.Held(events.add_after, _record)
""":func:`_record`, subscribed while some tracker is open, in any context."""
