"""What every exporter shares: the Exporter protocol and a flat view of one request."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Protocol, runtime_checkable

from tokenprint.impacts.results import CRITERIA
from tokenprint.records import RequestRecord

__all__ = ["Exporter", "criteria", "iso_time", "record_dict"]


@runtime_checkable
class Exporter(Protocol):
    """Anything with ``export(record)``; ``shutdown()`` (flush, close) is optional."""

    def export(self, record: RequestRecord) -> None: ...


def iso_time(timestamp: float) -> str:
    """UTC ISO-8601 with milliseconds (``2026-01-02T03:04:05.678+00:00``)."""
    return _dt.datetime.fromtimestamp(timestamp, _dt.timezone.utc).isoformat(
        timespec="milliseconds"
    )


def criteria(record: RequestRecord) -> dict[str, tuple[float, float, float]]:
    """``{criterion: (P5, best estimate, P95)}`` of the totals, canonical units; empty if failed."""
    out: dict[str, tuple[float, float, float]] = {}
    for name in CRITERIA:
        x = record.impacts.criterion(name)
        if x is not None:
            out[name] = (x.min, x.central, x.max)
    return out


def record_dict(record: RequestRecord) -> dict[str, Any]:
    """One request as plain JSON-ready data: what was called, tokens, labels, impacts."""
    u = record.usage
    return {
        "timestamp": iso_time(record.timestamp),
        "provider": u.provider,
        "model": u.model,
        "requested_model": u.requested_model,
        "endpoint": u.endpoint,
        "modality": u.modality,
        "host": u.host,
        "input_tokens": u.input_tokens,
        "cached_tokens": u.cached_tokens,
        "output_tokens": u.output_tokens,
        "reasoning_tokens": u.reasoning_tokens,
        "latency_s": u.latency_s,
        "labels": dict(record.labels),
        "impacts": record.impacts.to_dict(),
    }
