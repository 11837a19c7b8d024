"""Every exporter end to end: a real instrumented OpenAI call replayed from a cassette,
labels from init() and from EcoLogits.label(), read back from each exporter's output."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest

openai = pytest.importorskip("openai")

from tests.support.cassettes import use_cassette  # noqa: E402
from tokenprint import EcoLogits, exporters  # noqa: E402
from tokenprint.impacts.results import CRITERIA, Impacts  # noqa: E402

MESSAGES = [{"role": "user", "content": "Summarise: the cat sat on the mat."}]


def _client() -> Any:
    return openai.OpenAI(api_key="sk-test", max_retries=0)


def _chat(label: str = "summarise") -> Impacts:
    """One instrumented chat request under a label; returns the impacts it carries."""
    with use_cassette("exporters", "chat"), EcoLogits.label(task=label):
        response = _client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    impacts = response.impacts
    assert isinstance(impacts, Impacts) and impacts.errors == []
    return impacts


def read_stream() -> None:
    """One streamed chat request (cassette ``chat_stream``), read to its end."""
    with use_cassette("exporters", "chat_stream"):
        stream = _client().chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        for _ in stream:
            pass


def test_jsonl_line_matches_the_response_impacts(tmp_path: Path) -> None:
    path = tmp_path / "impacts.jsonl"
    EcoLogits.init(providers=["openai"], exporters=f"jsonl:{path}", labels={"app": "bot"})
    impacts = _chat()
    exporters.flush()  # lines are written on the exporters' thread
    (line,) = path.read_text().splitlines()
    data = json.loads(line)
    assert data["provider"] == "openai" and data["model"] == "gpt-4o-mini-2024-07-18"
    assert data["endpoint"] and data["input_tokens"] == 18 and data["output_tokens"] == 8
    assert data["labels"] == {"app": "bot", "task": "summarise"}
    for name in CRITERIA:  # the response's own numbers
        x = impacts.criterion(name)
        assert x is not None
        assert data["impacts"][name] == {"min": x.min, "central": x.central, "max": x.max}
    assert data["impacts"]["warnings"] == [w.to_dict() for w in impacts.warnings]
    assert data["impacts"]["basis"] == json.loads(json.dumps(impacts.basis.to_dict()))


def test_decorator_label_reaches_the_exporter(tmp_path: Path) -> None:
    path = tmp_path / "impacts.jsonl"
    EcoLogits.init(providers=["openai"], exporters=f"jsonl:{path}")

    @EcoLogits.label(feature="search")
    def search() -> None:
        with use_cassette("exporters", "chat"):
            _client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    search()
    exporters.flush()
    assert json.loads(path.read_text())["labels"] == {"feature": "search"}


def test_streamed_request_is_exported_once_when_the_stream_ends(tmp_path: Path) -> None:
    path = tmp_path / "impacts.jsonl"
    EcoLogits.init(providers=["openai"], exporters=f"jsonl:{path}")
    read_stream()
    exporters.flush()
    (line,) = path.read_text().splitlines()
    data = json.loads(line)
    assert data["output_tokens"] == 8 and data["input_tokens"] == 18


def test_log_exporter_logs_the_request(caplog: pytest.LogCaptureFixture) -> None:
    EcoLogits.init(providers=["openai"], exporters="log")
    with caplog.at_level(logging.INFO, logger="tokenprint.requests"):
        _chat()
    (rec,) = [r for r in caplog.records if r.name == "tokenprint.requests"]
    assert rec.getMessage().startswith("openai gpt-4o-mini-2024-07-18 ")
    assert "18 in / 8 out tokens" in rec.getMessage() and "task=summarise" in rec.getMessage()


def test_codecarbon_row_read_back_by_codecarbon(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    ed = pytest.importorskip("codecarbon.output_methods.emissions_data")
    path = tmp_path / "emissions.csv"
    EcoLogits.init(providers=["openai"], exporters=[{"type": "codecarbon", "path": str(path)}])
    impacts = _chat(label="x")
    (row,) = [ed.EmissionsData(**r) for r in pd.read_csv(path).to_dict("records")]
    assert impacts.gwp is not None and impacts.energy is not None
    assert math.isclose(row.emissions, impacts.gwp.central, rel_tol=1e-12)
    assert math.isclose(row.energy_consumed, impacts.energy.central, rel_tol=1e-12)
    assert row.cloud_provider == "openai" and row.duration > 0  # measured latency


def test_opentelemetry_metrics_and_span_from_an_instrumented_call() -> None:
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    reader = InMemoryMetricReader()
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    EcoLogits.init(providers=["openai"], meter_provider=MeterProvider(metric_readers=[reader]))
    with tracer_provider.get_tracer("app").start_as_current_span("chat gpt-4o-mini"):
        impacts = _chat()
    data = reader.get_metrics_data()
    assert data is not None
    points: dict[str, list[Any]] = {
        m.name: list(m.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    (gwp,) = points["tokenprint.impact.gwp"]
    assert impacts.gwp is not None
    assert gwp.value == pytest.approx(impacts.gwp.central * 1e3, rel=1e-12)  # kg -> g
    assert gwp.attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert gwp.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert gwp.attributes["gen_ai.provider.name"] == "openai"
    assert gwp.attributes["gen_ai.operation.name"] == "chat"
    assert gwp.attributes["task"] == "summarise"
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["tokenprint.impact.gwp"] == impacts.gwp.central * 1e3
    assert span.attributes["tokenprint.impact.gwp.max"] == impacts.gwp.max * 1e3
    assert span.attributes["gen_ai.usage.output_tokens"] == 8  # the cassette's count


def test_broken_exporter_never_breaks_the_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TOKENPRINT_STRICT", "0")
    path = tmp_path / "ok.jsonl"

    def broken(record: Any) -> None:
        raise OSError("read-only file system")

    EcoLogits.init(providers=["openai"], exporters=[broken, f"jsonl:{path}"])
    impacts = _chat()  # the SDK response still comes back with impacts
    assert impacts.gwp is not None
    exporters.flush()
    assert len(path.read_text().splitlines()) == 1


def test_codecarbon_row_per_tracked_run(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    from tokenprint.exporters.codecarbon import CodeCarbonExporter

    path = tmp_path / "emissions.csv"
    EcoLogits.init(providers=["openai"])
    with EcoLogits.track() as tracker:
        first, second = _chat(), _chat()
    CodeCarbonExporter(path, project_name="nightly-eval").write_run(tracker.requests)
    (row,) = pd.read_csv(path).to_dict("records")
    assert first.gwp is not None and second.gwp is not None
    assert row["emissions"] == pytest.approx(first.gwp.central + second.gwp.central, rel=1e-12)
    assert row["project_name"] == "nightly-eval" and row["duration"] > 0
