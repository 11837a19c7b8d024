"""OpenTelemetry exporter: metrics (in-memory reader, and real OTLP/HTTP to a loopback
receiver) and span attributes on the current span."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tests.support.exporter_records import make_record
from tokenprint import EcoLogits, events
from tokenprint.errors import InvalidArgumentError
from tokenprint.exporters import _worker

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

CRITERIA = ("energy", "gwp", "adpe", "pe", "wcf")
# canonical unit -> published unit (kWh -> J, kg -> g, MJ -> J, L -> L)
FACTOR = {"energy": 3.6e6, "gwp": 1e3, "adpe": 1e3, "pe": 1e6, "wcf": 1.0}
IDENTITY = {
    "gen_ai.provider.name": "openai",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini",
}


def _points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    """metric name -> its data points, from one collection."""
    data = reader.get_metrics_data()
    out: dict[str, list[Any]] = {}
    assert data is not None
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                out.setdefault(m.name, []).extend(m.data.data_points)
    return out


def test_counters_and_histograms_per_criterion_with_attributes() -> None:
    reader = InMemoryMetricReader()
    EcoLogits.init(meter_provider=MeterProvider(metric_readers=[reader]))
    a = make_record(labels={"task": "summarise"})
    b = make_record(labels={"task": "summarise"}, output_tokens=500)
    events.run_after(a)
    events.run_after(b)
    points = _points(reader)
    for name in CRITERIA:
        (total,) = points[f"tokenprint.impact.{name}"]
        ia, ib = a.impacts.criterion(name), b.impacts.criterion(name)
        assert ia is not None and ib is not None
        f = FACTOR[name]
        assert total.value == pytest.approx((ia.central + ib.central) * f, rel=1e-12)
        (low,) = points[f"tokenprint.impact.{name}.min"]
        (high,) = points[f"tokenprint.impact.{name}.max"]
        assert low.value == pytest.approx((ia.min + ib.min) * f)
        assert high.value == pytest.approx((ia.max + ib.max) * f)
        (hist,) = points[f"tokenprint.request.impact.{name}"]
        assert hist.count == 2
        assert hist.sum == pytest.approx((ia.central + ib.central) * f, rel=1e-12)
    (requests,) = points["tokenprint.requests"]
    assert requests.value == 2
    assert dict(requests.attributes) == {**IDENTITY, "task": "summarise"}


def test_histograms_records_only_the_criteria_asked_for() -> None:
    """``histograms=["gwp"]``: one per-request histogram; every counter is still there."""
    reader = InMemoryMetricReader()
    spec = {
        "type": "opentelemetry",
        "meter_provider": MeterProvider(metric_readers=[reader]),
        "histograms": ["gwp"],
    }
    EcoLogits.init(providers=[], exporters=[spec])
    record = make_record()
    events.run_after(record)
    points = _points(reader)
    gwp = record.impacts.gwp
    assert gwp is not None
    (hist,) = points["tokenprint.request.impact.gwp"]
    assert hist.count == 1 and hist.sum == pytest.approx(gwp.central * FACTOR["gwp"])
    for name in CRITERIA:
        assert points[f"tokenprint.impact.{name}"]
        if name != "gwp":
            assert not points.get(f"tokenprint.request.impact.{name}")


@pytest.mark.parametrize("histograms", [["gwp", "co2"], "water"])
def test_an_unknown_histogram_criterion_is_refused_naming_it(histograms: Any) -> None:
    spec = {"type": "opentelemetry", "meter_provider": MeterProvider(), "histograms": histograms}
    with pytest.raises(InvalidArgumentError, match=r"co2|water"):
        EcoLogits.init(providers=[], exporters=[spec])


def test_units_are_ucum_and_names_under_tokenprint() -> None:
    reader = InMemoryMetricReader()
    EcoLogits.init(meter_provider=MeterProvider(metric_readers=[reader]))
    events.run_after(make_record())
    data = reader.get_metrics_data()
    assert data is not None
    units = {
        m.name: m.unit
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    assert all(name.startswith("tokenprint.") for name in units)
    assert units["tokenprint.impact.energy"] == "J"
    assert units["tokenprint.impact.pe.max"] == "J"
    assert units["tokenprint.impact.gwp"] == "g{CO2e}"
    assert units["tokenprint.request.impact.adpe"] == "g{Sbe}"
    assert units["tokenprint.impact.wcf.min"] == "L"
    assert units["tokenprint.requests"] == "{request}"


def test_an_unestimated_request_is_counted_as_such_not_as_zero() -> None:
    reader = InMemoryMetricReader()
    EcoLogits.init(meter_provider=MeterProvider(metric_readers=[reader]))
    events.run_after(make_record())
    events.run_after(make_record(model="no-such-model-xyz"))
    points = _points(reader)
    assert sum(p.value for p in points["tokenprint.requests"]) == 2
    (unestimated,) = points["tokenprint.requests.unestimated"]
    assert unestimated.value == 1
    assert unestimated.attributes["gen_ai.response.model"] == "no-such-model-xyz"
    # nothing is added to the impact counters for it: one series, the estimated request's
    assert len(points["tokenprint.impact.gwp"]) == 1


def test_a_stuck_background_thread_does_not_hold_a_collection() -> None:
    reader = InMemoryMetricReader()
    EcoLogits.init(meter_provider=MeterProvider(metric_readers=[reader]))
    events.run_after(make_record())
    release = threading.Event()
    _worker.submit(release.wait, 10.0, where="a stuck disk")
    try:
        start = time.monotonic()
        points = _points(reader)  # the application's own metrics would be lost on a timeout
        took = time.monotonic() - start
    finally:
        release.set()
    assert sum(p.value for p in points["tokenprint.requests"]) == 1
    assert took < 2.0, took  # a behaviour bound: it used to take the SDK's 10 s, then fail


def test_labels_split_series() -> None:
    reader = InMemoryMetricReader()
    EcoLogits.init(meter_provider=MeterProvider(metric_readers=[reader]))
    events.run_after(make_record(labels={"task": "a"}))
    events.run_after(make_record(labels={"task": "b"}))
    tasks = {p.attributes["task"] for p in _points(reader)["tokenprint.impact.gwp"]}
    assert tasks == {"a", "b"}


def test_impacts_become_attributes_of_the_current_span() -> None:
    spans = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    EcoLogits.init(exporters="opentelemetry")
    record = make_record()
    with tp.get_tracer("test").start_as_current_span("chat gpt-4o-mini"):
        events.run_after(record)
    (span,) = spans.get_finished_spans()
    attrs = dict(span.attributes or {})
    gwp = record.impacts.gwp
    assert gwp is not None
    assert attrs["tokenprint.impact.gwp"] == gwp.central * 1e3
    assert attrs["tokenprint.impact.gwp.min"] == gwp.min * 1e3
    assert attrs["tokenprint.impact.gwp.max"] == gwp.max * 1e3
    assert attrs["tokenprint.methodology_version"] == record.impacts.methodology_version
    assert {f"tokenprint.impact.{c}" for c in CRITERIA} <= set(attrs)
    assert attrs["gen_ai.usage.input_tokens"] == 40
    assert attrs["gen_ai.usage.output_tokens"] == 120


def test_token_counts_the_span_has_already_are_kept() -> None:
    spans = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    EcoLogits.init(exporters="opentelemetry")
    attrs = {"gen_ai.usage.output_tokens": 99}
    with tp.get_tracer("test").start_as_current_span("chat", attributes=attrs):
        events.run_after(make_record(output_tokens=120))
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["gen_ai.usage.output_tokens"] == 99
    assert span.attributes["gen_ai.usage.input_tokens"] == 40


def test_no_current_span_is_fine() -> None:
    reader = InMemoryMetricReader()
    EcoLogits.init(meter_provider=MeterProvider(metric_readers=[reader]))
    events.run_after(make_record())  # no span: metrics only, no error
    assert "tokenprint.impact.gwp" in _points(reader)


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append((self.path, body))
        reply = ExportMetricsServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    bodies: list[tuple[str, bytes]] = []
    handler = type("Handler", (_Receiver,), {"bodies": bodies})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", bodies
    finally:
        server.shutdown()
        server.server_close()


def test_an_unreachable_otlp_endpoint_does_not_hold_shutdown() -> None:
    import socket
    import time

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    EcoLogits.init(opentelemetry_endpoint=f"http://127.0.0.1:{port}")
    events.run_after(make_record())
    start = time.monotonic()
    EcoLogits.shutdown()
    # the SDK's defaults retry for about 10 s; the export's own timeout is 1 s
    assert time.monotonic() - start < 5.0


def test_init_shutdown_cycles_keep_nothing_of_the_providers_tokenprint_owned(
    receiver: tuple[str, list[tuple[str, bytes]]],
) -> None:
    """Each owned OTLP provider's meter and instruments go with it: an application that
    re-initialises (a worker per job, tests) does not accumulate them."""
    import gc

    from tokenprint.exporters import opentelemetry as otel

    url, _ = receiver
    gc.collect()
    before = len(otel._shared)
    for _ in range(3):
        EcoLogits.init(opentelemetry_endpoint=url)
        events.run_after(make_record())
        assert len(otel._shared) == before + 1
        EcoLogits.shutdown()
    gc.collect()
    assert len(otel._shared) == before


def test_otlp_http_endpoint_receives_the_metrics_on_shutdown(
    receiver: tuple[str, list[tuple[str, bytes]]],
) -> None:
    url, bodies = receiver
    EcoLogits.init(opentelemetry_endpoint=url, labels={"team": "search"})
    record = make_record(labels={"team": "search"})
    events.run_after(record)
    EcoLogits.shutdown()  # flushes the periodic reader
    assert bodies, "nothing was POSTed to the receiver"
    assert {path for path, _ in bodies} == {"/v1/metrics"}
    values: dict[str, float] = {}
    attributes: dict[str, str] = {}
    service = ""
    for _, body in bodies:
        req = ExportMetricsServiceRequest()
        req.ParseFromString(body)
        for rm in req.resource_metrics:
            for kv in rm.resource.attributes:
                if kv.key == "service.name":
                    service = kv.value.string_value
            for sm in rm.scope_metrics:
                assert sm.scope.name == "tokenprint"
                for m in sm.metrics:
                    if m.HasField("sum"):
                        for p in m.sum.data_points:
                            values[m.name] = p.as_double or float(p.as_int)
                            attributes = {a.key: a.value.string_value for a in p.attributes}
    gwp = record.impacts.gwp
    assert gwp is not None
    assert values["tokenprint.impact.gwp"] == pytest.approx(gwp.central * 1e3, rel=1e-12)
    assert values["tokenprint.requests"] == 1
    assert attributes["gen_ai.response.model"] == "gpt-4o-mini"
    assert attributes["team"] == "search"
    assert service == "tokenprint"


def test_otel_service_name_from_the_environment_wins(
    receiver: tuple[str, list[tuple[str, bytes]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "chatbot")
    url, bodies = receiver
    EcoLogits.init(opentelemetry_endpoint=url)
    events.run_after(make_record())
    EcoLogits.shutdown()
    req = ExportMetricsServiceRequest()
    req.ParseFromString(bodies[0][1])
    names = [
        kv.value.string_value
        for rm in req.resource_metrics
        for kv in rm.resource.attributes
        if kv.key == "service.name"
    ]
    assert names == ["chatbot"]


def test_a_label_cannot_change_the_exported_model_provider_or_endpoint() -> None:
    from tokenprint.errors import InvalidArgumentError

    reader = InMemoryMetricReader()
    EcoLogits.init(meter_provider=MeterProvider(metric_readers=[reader]))
    # refused where labels are made...
    with pytest.raises(InvalidArgumentError, match="'model' is reserved"):
        EcoLogits.label(model="spoofed", provider="acme")
    with pytest.raises(InvalidArgumentError, match="'provider' is reserved"):
        EcoLogits.init(labels={"provider": "acme"})
    # ...and a record built by hand with such labels still exports the request's own
    spoofed = {
        "gen_ai.response.model": "spoofed",
        "gen_ai.provider.name": "acme",
        "gen_ai.operation.name": "x",
        "gen_ai.request.model": "y",
        "task": "qa",
    }
    events.run_after(make_record(labels=spoofed))
    (requests,) = _points(reader)["tokenprint.requests"]
    assert dict(requests.attributes) == {**IDENTITY, "task": "qa"}
