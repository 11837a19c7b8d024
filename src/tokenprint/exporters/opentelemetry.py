"""OpenTelemetry exporter: metrics per criterion, and span attributes on the current span.

Needs the ``tokenprint[opentelemetry]`` extra; this module is imported only when an
OpenTelemetry exporter is asked for. Instruments (all values in canonical units):

* counters ``tokenprint.energy`` (kWh), ``tokenprint.gwp`` (kgCO2eq), ``tokenprint.adpe``
  (kgSbeq), ``tokenprint.pe`` (MJ), ``tokenprint.wcf`` (L): the best estimate of each request,
  summed; ``tokenprint.<criterion>.min`` / ``.max`` sum the range bounds;
* histograms ``tokenprint.request.<criterion>``: the distribution of per-request best estimates;
* counter ``tokenprint.requests``: one per request.

Attributes: ``provider``, ``model``, ``endpoint`` and the request's labels
(``EcoLogits.label(task="summarise")``; a label never replaces one of the first three, and
those names are refused as labels anyway). When a span is recording (a GenAI instrumentation's
span, or your own), the request's impacts are also set on it as
``tokenprint.impacts.<criterion>`` (best estimate) with ``.min``/``.max``, plus
``tokenprint.methodology_version``.
"""

from __future__ import annotations

import os
from typing import Any

from opentelemetry import metrics, trace

from tokenprint.exporters._common import criteria
from tokenprint.impacts.results import CRITERIA
from tokenprint.records import RequestRecord

__all__ = ["UNITS", "OpenTelemetryExporter"]

UNITS: dict[str, str] = {
    "energy": "kWh",
    "gwp": "kg{CO2eq}",
    "adpe": "kg{Sbeq}",
    "pe": "MJ",
    "wcf": "L",
}
_DESCRIPTIONS: dict[str, str] = {
    "energy": "Final energy used by generative-AI requests",
    "gwp": "Global warming potential of generative-AI requests",
    "adpe": "Abiotic resource depletion (elements) of generative-AI requests",
    "pe": "Primary energy of generative-AI requests",
    "wcf": "Water consumption footprint of generative-AI requests",
}


EXPORT_TIMEOUT_S = 1.0
"""How long one OTLP export (with its retries) may take: an unreachable collector must not
hold ``EcoLogits.shutdown()`` or the application's exit for long (the SDK's default: 10 s)."""


def _otlp_provider(endpoint: str, export_interval_ms: int) -> Any:
    """A MeterProvider exporting to an OTLP/HTTP endpoint (``http://host:4318`` or a full
    ``.../v1/metrics`` URL)."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    url = endpoint.rstrip("/")
    if not url.endswith("/v1/metrics"):
        url += "/v1/metrics"
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=url, timeout=EXPORT_TIMEOUT_S),
        export_interval_millis=export_interval_ms,
        export_timeout_millis=EXPORT_TIMEOUT_S * 1000,
    )
    # service.name "tokenprint" unless the standard OTEL_SERVICE_NAME says otherwise
    named = os.environ.get("OTEL_SERVICE_NAME")
    resource = Resource.create({} if named else {"service.name": "tokenprint"})
    # tokenprint shuts it down itself (EcoLogits.shutdown() or its own exit handler)
    return MeterProvider(resource=resource, metric_readers=[reader], shutdown_on_exit=False)


class OpenTelemetryExporter:
    """Record each request on OpenTelemetry meters (and the current span).

    Give ``endpoint`` (OTLP/HTTP; this exporter then owns its MeterProvider and shuts it
    down, flushing, with tokenprint), or ``meter_provider`` (yours; only flushed), or
    neither (the global provider set with ``metrics.set_meter_provider``).
    """

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        meter_provider: Any = None,
        export_interval_ms: int = 60_000,
        span_attributes: bool = True,
    ) -> None:
        self._owned = False
        if meter_provider is None and endpoint:
            meter_provider = _otlp_provider(endpoint, export_interval_ms)
            self._owned = True
        self.meter_provider = meter_provider
        from tokenprint import __version__

        if meter_provider is not None:
            meter = meter_provider.get_meter("tokenprint", __version__)
        else:
            meter = metrics.get_meter("tokenprint", __version__)
        self.span_attributes = span_attributes
        self._requests = meter.create_counter(
            "tokenprint.requests", unit="{request}", description="Generative-AI requests"
        )
        self._unestimated = meter.create_counter(
            "tokenprint.requests.unestimated",
            unit="{request}",
            description="Requests whose impacts could not be estimated (an unknown model)",
        )
        self._counters: dict[str, tuple[Any, Any, Any, Any]] = {}
        for name in CRITERIA:
            unit, desc = UNITS[name], _DESCRIPTIONS[name]
            self._counters[name] = (
                meter.create_counter(f"tokenprint.{name}", unit=unit, description=desc),
                meter.create_counter(
                    f"tokenprint.{name}.min", unit=unit, description=desc + " (low bound)"
                ),
                meter.create_counter(
                    f"tokenprint.{name}.max", unit=unit, description=desc + " (high bound)"
                ),
                meter.create_histogram(
                    f"tokenprint.request.{name}", unit=unit, description=desc + ", per request"
                ),
            )

    @staticmethod
    def attributes(record: RequestRecord) -> dict[str, str]:
        """Metric attributes: provider, model, endpoint, then the labels (which cannot
        replace the first three, even in a record built by hand)."""
        u = record.usage
        attrs = {
            "provider": u.provider or "unknown",
            "model": u.model or "unknown",
            "endpoint": u.endpoint or "unknown",
        }
        for name, value in record.labels.items():
            attrs.setdefault(name, value)
        return attrs

    def export(self, record: RequestRecord) -> None:
        attrs = self.attributes(record)
        values = criteria(record)
        self._requests.add(1, attrs)
        if not values:
            self._unestimated.add(1, attrs)
        for name, (lo, central, hi) in values.items():
            total, low, high, hist = self._counters[name]
            total.add(central, attrs)
            low.add(lo, attrs)
            high.add(hi, attrs)
            hist.record(central, attrs)
        if self.span_attributes:
            span = trace.get_current_span()
            if span.is_recording():
                span_attrs: dict[str, Any] = {
                    "tokenprint.methodology_version": record.impacts.methodology_version,
                }
                for name, (lo, central, hi) in values.items():
                    key = f"tokenprint.impacts.{name}"
                    span_attrs[key] = central
                    span_attrs[key + ".min"] = lo
                    span_attrs[key + ".max"] = hi
                span.set_attributes(span_attrs)

    def shutdown(self) -> None:
        """Flush; shut the MeterProvider down only if this exporter created it."""
        mp = self.meter_provider
        if mp is None:
            return
        if self._owned:
            mp.shutdown(timeout_millis=2 * EXPORT_TIMEOUT_S * 1000)
        elif hasattr(mp, "force_flush"):
            mp.force_flush()

    def __repr__(self) -> str:
        return f"OpenTelemetryExporter(meter_provider={self.meter_provider!r})"
