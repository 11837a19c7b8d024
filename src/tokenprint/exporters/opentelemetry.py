"""OpenTelemetry exporter: metrics per criterion, and span attributes on the request's span.

Needs the ``tokenprint[opentelemetry]`` extra; this module is imported only when an
OpenTelemetry exporter is asked for. Names follow the OpenTelemetry GenAI semantic conventions
(version in :data:`tokenprint.exporters._genai.SEMCONV_VERSION`); units are UCUM. Instruments,
all under ``tokenprint.``:

* counters ``tokenprint.impact.<criterion>`` (energy and pe in J, gwp in g{CO2e}, adpe in
  g{Sbe}, wcf in L): the best estimate of each request, summed; ``.min`` / ``.max`` sum the
  range bounds;
* histograms ``tokenprint.request.impact.<criterion>``: per-request best estimates (of the
  criteria in ``histograms``);
* counters ``tokenprint.requests``, ``tokenprint.requests.unestimated`` (no estimate: an
  unknown model) and ``tokenprint.budget.breaches``;
* counter ``tokenprint.tokens``: input and output tokens of the estimated requests, so that
  ``tokenprint.impact.gwp / tokenprint.tokens`` is the SCI per token.

Attributes: ``gen_ai.provider.name``, ``gen_ai.operation.name``, ``gen_ai.request.model``,
``gen_ai.response.model`` and the request's labels (which cannot replace those). When a span
is recording in the context the request was made in (a GenAI instrumentation's span, or your
own), the request's impacts are set on it as ``tokenprint.impact.<criterion>`` with ``.min``
/ ``.max``, the SCI as ``tokenprint.sci.per_request`` and ``tokenprint.sci.per_token``
(g{CO2e}), ``tokenprint.methodology_version``, and the token counts as
``gen_ai.usage.*`` where the span has none yet.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation

from tokenprint import events
from tokenprint.errors import InvalidArgumentError
from tokenprint.exporters import _genai, _worker
from tokenprint.exporters._totals import Series, Table
from tokenprint.impacts.results import CRITERIA
from tokenprint.records import RequestRecord

__all__ = ["DESCRIPTIONS", "OpenTelemetryExporter"]

DESCRIPTIONS = _genai.DESCRIPTIONS


EXPORT_TIMEOUT_S = 0.5
"""How long one OTLP export (with its retries) may take: a collector that is unreachable or
never answers must not hold ``EcoLogits.shutdown()`` or the application's exit for long (the
SDK's default: 10 s). The counters are cumulative, so an export that times out loses nothing:
the next one carries the totals."""


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
    ``histograms``: the criteria recorded per request in histograms (default: all; each
    costs the exporters' background thread about 8 µs per request, the SDK's own cost).
    ``span_attributes``: set the impacts on the request's span when one is recording.
    """

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        meter_provider: Any = None,
        export_interval_ms: int = 60_000,
        span_attributes: bool = True,
        histograms: Iterable[str] = CRITERIA,
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
        self.histograms = (histograms,) if isinstance(histograms, str) else tuple(histograms)
        unknown = set(self.histograms) - set(CRITERIA)
        if unknown:
            raise InvalidArgumentError(
                f"histograms: unknown criteria {sorted(unknown)}; expected some of {list(CRITERIA)}"
            )
        self._instruments = _instruments(meter)
        self._where = f"exporter {self!r}"

    @staticmethod
    def attributes(record: RequestRecord) -> dict[str, str]:
        """Metric attributes: the request's GenAI attributes, then the labels (which cannot
        replace them, even in a record built by hand)."""
        return _with_labels(_genai.identity(record), record.labels)

    def export(self, record: RequestRecord) -> None:
        attrs = self.attributes(record)
        values = _genai.published(record)
        inst = self._instruments
        with inst.totals.lock:
            inst.totals.row(tuple(sorted(attrs.items()))).add(values, _genai.tokens(record))
        if values and self.histograms:  # off the request's thread
            _worker.submit(inst.record, values, attrs, self.histograms, where=self._where)
        if self.span_attributes:
            span = trace.get_current_span()
            if span.is_recording():
                span.set_attributes(_span_attributes(span, record, values))

    def breached(self, breach: events.Breach) -> None:
        """Count a budget breach."""
        attrs = {"tokenprint.budget": breach.budget, "tokenprint.budget.mode": breach.mode}
        if breach.criterion:
            attrs["tokenprint.budget.criterion"] = breach.criterion
        self._instruments.breaches.add(1, _with_labels(attrs, breach.labels))

    def shutdown(self) -> None:
        """Flush; shut the MeterProvider down only if this exporter created it."""
        _worker.flush()
        mp = self.meter_provider
        if mp is None:
            return
        if self._owned:
            mp.shutdown(timeout_millis=2 * EXPORT_TIMEOUT_S * 1000)  # collect, then export
        elif hasattr(mp, "force_flush"):
            mp.force_flush()

    def __repr__(self) -> str:
        return f"OpenTelemetryExporter(meter_provider={self.meter_provider!r})"


def _with_labels(attrs: dict[str, str], labels: Mapping[str, str]) -> dict[str, str]:
    for name, value in labels.items():
        attrs.setdefault(name, value)
    return attrs


def _span_attributes(
    span: Any, record: RequestRecord, values: dict[str, tuple[float, float, float]]
) -> dict[str, Any]:
    """What tokenprint sets on a request's span: impacts, methodology, and the token counts
    the span does not carry yet (the instrumentation that owns it measured its own)."""
    out: dict[str, Any] = {"tokenprint.methodology_version": record.impacts.methodology_version}
    for name, (lo, central, hi) in values.items():
        key = f"tokenprint.impact.{name}"
        out[key] = central
        out[key + ".min"] = lo
        out[key + ".max"] = hi
    if "gwp" in values:  # the SCI: (E x I + M) per request, and per token
        out["tokenprint.sci.per_request"] = values["gwp"][1]
        n = _genai.tokens(record)
        if n > 0:
            out["tokenprint.sci.per_token"] = values["gwp"][1] / n
    u = record.usage
    present = getattr(span, "attributes", None) or {}
    for key, count in (
        (_genai.USAGE_INPUT_TOKENS, u.input_tokens),
        (_genai.USAGE_OUTPUT_TOKENS, u.output_tokens),
        (_genai.USAGE_CACHE_READ_INPUT_TOKENS, u.cached_tokens),
        (_genai.USAGE_REASONING_OUTPUT_TOKENS, u.reasoning_tokens),
    ):
        if key not in present:
            out[key] = count
    return out


SETTLE_S = 0.1
"""How long a metrics collection waits, at most, for the histograms still queued."""

MAX_SERIES = 2000
"""Attribute sets kept per exporter (OpenTelemetry's SDK keeps 2000 per instrument too);
further ones are summed into ``tokenprint.overflow="true"``."""


class _Instruments:
    """A meter's tokenprint instruments. Sums are observable counters reading running totals
    (a dictionary update per request instead of one instrument call per number); the
    per-request histograms (recorded on the exporters' background thread) and the breach
    counter are synchronous instruments. Shared by every exporter
    on the same meter, as the SDK would share instruments of the same name: totals go on
    across ``init()`` calls."""

    def __init__(self, meter: Any) -> None:
        self.totals: Table[Series] = Table(
            Series, MAX_SERIES, (("tokenprint.overflow", "true"),), "OpenTelemetry exporter"
        )
        self.breaches = meter.create_counter(
            "tokenprint.budget.breaches", unit="{breach}", description="Budget breaches"
        )
        self.histograms: dict[str, Any] = {}
        self._observe(
            meter,
            "tokenprint.requests",
            "{request}",
            "Generative-AI requests",
            lambda s: s.requests,
            settle=True,
        )
        self._observe(
            meter,
            "tokenprint.requests.unestimated",
            "{request}",
            "Requests whose impacts could not be estimated (an unknown model)",
            lambda s: s.unestimated or None,  # only series with some
        )
        self._observe(
            meter,
            "tokenprint.tokens",
            "{token}",
            "Input and output tokens of the estimated requests (the SCI's per-token unit)",
            lambda s: s.tokens,
        )
        for name in CRITERIA:
            unit, desc = _genai.UNITS[name].ucum, DESCRIPTIONS[name]
            base = f"tokenprint.impact.{name}"
            for i, (suffix, what) in enumerate(
                (("", ""), (".min", " (low bound)"), (".max", " (high bound)"))
            ):
                self._observe(meter, base + suffix, unit, desc + what, _criterion(name, i))
            self.histograms[name] = meter.create_histogram(
                f"tokenprint.request.impact.{name}", unit=unit, description=desc + ", per request"
            )

    def record(
        self,
        values: Mapping[str, tuple[float, float, float]],
        attrs: Any,
        criteria: Iterable[str],
    ) -> None:
        """Record one request's best estimates of ``criteria`` in their histograms."""
        for name in criteria:
            self.histograms[name].record(values[name][1], attrs)

    def _observe(
        self,
        meter: Any,
        name: str,
        unit: str,
        description: str,
        value: Callable[[Series], float | None],
        settle: bool = False,
    ) -> None:
        def callback(options: CallbackOptions) -> Iterable[Observation]:
            if settle:
                # the SDK runs every callback before it reads the histograms: one short wait,
                # in the first instrument's callback, lets the histograms still queued land in
                # this collection too, and a stuck background thread cannot hold it
                _worker.wait(min(SETTLE_S, options.timeout_millis / 1000))
            with self.totals.lock:
                rows = [(key, value(series)) for key, series in self.totals.rows.items()]
            return [Observation(v, dict(key)) for key, v in rows if v is not None]

        meter.create_observable_counter(name, [callback], unit=unit, description=description)


def _criterion(name: str, i: int) -> Callable[[Series], float | None]:
    """Reads sum ``i`` (best, min, max) of a criterion; None when no request was estimated
    (no value rather than a zero)."""
    return lambda s: s.sums[name][i] if s.sums[name][3] else None


_shared: weakref.WeakKeyDictionary[Any, _Instruments] = weakref.WeakKeyDictionary()
"""Each meter's instruments, for as long as the meter lives (an OTLP provider that
tokenprint created and shut down takes its meter, and these, with it)."""


def _instruments(meter: Any) -> _Instruments:
    """The meter's instruments, created on its first exporter."""
    found = _shared.get(meter)
    if found is None:
        found = _shared[meter] = _Instruments(meter)
    return found
