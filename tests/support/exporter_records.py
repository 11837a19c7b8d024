"""Request records for exporter tests, computed by the real estimator (no SDK involved)."""

from __future__ import annotations

from collections.abc import Mapping

from tokenprint.estimator import default_estimator
from tokenprint.records import RequestRecord, Usage

__all__ = ["make_record"]


def make_record(
    model: str = "gpt-4o-mini",
    provider: str = "openai",
    output_tokens: int = 120,
    input_tokens: int = 40,
    latency_s: float | None = 1.5,
    labels: Mapping[str, str] | None = None,
    timestamp: float = 1_767_225_600.0,
) -> RequestRecord:
    """A finished chat request as the instrumentation core would hand it to exporters."""
    usage = Usage(
        provider,
        model,
        input_tokens,
        output_tokens,
        latency_s=latency_s,
        endpoint="chat.completions.create",
        requested_model=model,
    )
    impacts = default_estimator().compute(usage)
    return RequestRecord(usage, impacts, dict(labels or {}), timestamp)
