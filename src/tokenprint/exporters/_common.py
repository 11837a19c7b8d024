"""What every exporter shares: the Exporter protocol and a flat view of one request."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Protocol, runtime_checkable

from tokenprint.impacts.results import Impact, Impacts
from tokenprint.impacts.units import DISPLAY
from tokenprint.records import RequestRecord

__all__ = ["Exporter", "criteria", "impacts_dict", "iso_time", "record_dict"]


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
    return record.impacts.bounds().get("total", {})


def _range(bounds: tuple[float, float, float]) -> dict[str, float]:
    low, central, high = bounds
    return {"min": low, "central": central, "max": high}


def _impact(x: Impact | None) -> dict[str, float] | None:
    return None if x is None else {"min": x.min, "central": x.central, "max": x.max}


def impacts_dict(impacts: Impacts) -> dict[str, Any]:
    """A request's impacts as the JSON lines hold them: each criterion's total, then per
    phase, as ``{"min", "central", "max"}`` in the units of ``units``; the SCI in gCO2eq;
    warnings, errors and basis. Without criteria when the request was not estimated.

    Leaner than :meth:`Impacts.to_dict` (no per-criterion names, units or breakdowns): a
    line is written per request, and serialising its floats is most of an exporter's cost.
    """
    out: dict[str, Any] = {}
    bounds = impacts.bounds()
    if bounds:
        out["units"] = dict(DISPLAY)
        for name, value in bounds["total"].items():
            out[name] = _range(value)
        for phase in ("usage", "embodied"):
            out[phase] = {name: _range(value) for name, value in bounds[phase].items()}
        sci = impacts.sci
        if sci is not None:
            out["sci"] = {
                "unit": sci.total.unit,
                "per_request": _impact(sci.per_request),
                "per_token": _impact(sci.per_token),
            }
    out["warnings"] = [w.to_dict() for w in impacts.warnings]
    out["errors"] = [e.to_dict() for e in impacts.errors]
    out["methodology_version"] = impacts.methodology_version
    out["basis"] = impacts.basis.to_dict()
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
        "impacts": impacts_dict(record.impacts),
    }
