"""OpenTelemetry by the GenAI semantic conventions: the names match the installed
``opentelemetry-semantic-conventions`` package, and with the official
``opentelemetry-instrumentation-openai-v2`` instrumenting the real OpenAI SDK, tokenprint's
impacts land on that instrumentation's span and its metrics share its attributes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

openai = pytest.importorskip("openai")
pytest.importorskip("opentelemetry.sdk")
openai_v2 = pytest.importorskip("opentelemetry.instrumentation.openai_v2")

from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

from tests.exporters.test_exporters_e2e import read_stream  # noqa: E402
from tests.support.cassettes import use_cassette  # noqa: E402
from tests.support.exporter_records import make_record  # noqa: E402
from tokenprint import Budget, EcoLogits, events  # noqa: E402
from tokenprint.exporters import _genai  # noqa: E402
from tokenprint.impacts import units  # noqa: E402

MESSAGES = [{"role": "user", "content": "Summarise: the cat sat on the mat."}]


def test_names_are_the_semantic_conventions_own() -> None:
    from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as semconv

    for ours, theirs in (
        (_genai.PROVIDER_NAME, "GEN_AI_PROVIDER_NAME"),
        (_genai.REQUEST_MODEL, "GEN_AI_REQUEST_MODEL"),
        (_genai.RESPONSE_MODEL, "GEN_AI_RESPONSE_MODEL"),
        (_genai.OPERATION_NAME, "GEN_AI_OPERATION_NAME"),
        (_genai.USAGE_INPUT_TOKENS, "GEN_AI_USAGE_INPUT_TOKENS"),
        (_genai.USAGE_OUTPUT_TOKENS, "GEN_AI_USAGE_OUTPUT_TOKENS"),
        (_genai.USAGE_CACHE_READ_INPUT_TOKENS, "GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS"),
        (_genai.USAGE_REASONING_OUTPUT_TOKENS, "GEN_AI_USAGE_REASONING_OUTPUT_TOKENS"),
    ):
        if not hasattr(semconv, theirs):
            pytest.skip(f"this opentelemetry-semantic-conventions has no {theirs}")
        assert getattr(semconv, theirs) == ours
    ops = {v.value for v in semconv.GenAiOperationNameValues}
    for modality, endpoint in (
        ("text", "chat.completions.create"),
        ("embedding", "embeddings.create"),
        ("text", "completions.create"),
        ("text", "models.generate_content"),
    ):
        assert _genai.operation(modality, endpoint) in ops
    providers = {v.value for v in semconv.GenAiProviderNameValues}
    for ours in ("openai", "anthropic", "cohere", "groq", "deepseek", "mistralai", "bedrock"):
        assert _genai.provider_name(ours) in providers, ours
    assert _genai.provider_name("azure") in providers
    assert _genai.provider_name("vertex") in providers
    assert _genai.provider_name("google") in providers


def test_published_units_convert_from_the_canonical_ones() -> None:
    for name, unit in _genai.UNITS.items():
        plain = unit.ucum.split("{")[0]
        assert units.convert(1.0, units.CANONICAL[name], plain) == pytest.approx(unit.factor)


@pytest.fixture
def otel() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    """tokenprint with an OpenTelemetry exporter, then the official OpenAI instrumentation
    (instrumented after ``EcoLogits.init()``, so its span encloses tokenprint's work)."""
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    EcoLogits.init(providers=["openai"], meter_provider=MeterProvider(metric_readers=[reader]))
    instrumentor = openai_v2.OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[])
    )
    try:
        yield spans, reader
    finally:
        instrumentor.uninstrument()
        EcoLogits.shutdown()


def _client() -> Any:
    return openai.OpenAI(api_key="sk-test", max_retries=0)


def _points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        m.name: list(m.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }


def _their_span(spans: InMemorySpanExporter) -> dict[str, Any]:
    (span,) = spans.get_finished_spans()
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name.startswith("opentelemetry.")
    return dict(span.attributes or {})


def _joins(span: dict[str, Any], metric_attrs: Any) -> None:
    """tokenprint's metric attributes carry the span's GenAI identity."""
    for key in (_genai.PROVIDER_NAME, _genai.REQUEST_MODEL, _genai.RESPONSE_MODEL):
        assert metric_attrs[key] == span[key], key
    assert metric_attrs[_genai.OPERATION_NAME] == span[_genai.OPERATION_NAME]


def test_impacts_land_on_the_instrumentations_chat_span(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    spans, reader = otel
    with use_cassette("exporters", "chat"):
        response = _client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    attrs = _their_span(spans)
    gwp = response.impacts.gwp
    assert attrs["tokenprint.impact.gwp"] == pytest.approx(gwp.central * 1e3)
    assert attrs["tokenprint.impact.energy.max"] == pytest.approx(
        response.impacts.energy.max * 3.6e6
    )
    assert attrs["tokenprint.methodology_version"] == response.impacts.methodology_version
    assert attrs[_genai.USAGE_OUTPUT_TOKENS] == 8  # the instrumentation's own count, kept
    sci = response.impacts.sci
    assert attrs["tokenprint.sci.per_request"] == pytest.approx(sci.per_request.central)
    assert attrs["tokenprint.sci.per_token"] == pytest.approx(sci.per_token.central)
    points = _points(reader)
    (point,) = points["tokenprint.impact.gwp"]
    _joins(attrs, point.attributes)
    (tokens,) = points["tokenprint.tokens"]
    assert tokens.value == sci.tokens > 0


def test_impacts_land_on_the_span_of_a_stream_read_to_its_end(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    spans, reader = otel
    read_stream()
    attrs = _their_span(spans)
    assert attrs["tokenprint.impact.gwp"] > 0
    (point,) = _points(reader)["tokenprint.impact.gwp"]
    assert attrs["tokenprint.impact.gwp"] == pytest.approx(point.value)
    _joins(attrs, point.attributes)


def test_embeddings_are_their_own_operation(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    spans, reader = otel
    with use_cassette("media", "openai_embeddings"):
        _client().embeddings.create(
            model="text-embedding-3-small", input=["Hello World!", "Goodbye World!"]
        )
    attrs = _their_span(spans)
    assert attrs[_genai.OPERATION_NAME] == "embeddings"
    assert attrs["tokenprint.impact.energy"] > 0
    (point,) = _points(reader)["tokenprint.requests"]
    _joins(attrs, point.attributes)


def test_budget_breaches_are_counted() -> None:
    reader = InMemoryMetricReader()
    EcoLogits.init(
        meter_provider=MeterProvider(metric_readers=[reader]),
        budget=Budget(per_request={"gwp": "1 ug"}, mode="warn", name="tiny"),
    )
    with pytest.warns(UserWarning, match="gwp"):
        events.run_after(make_record(labels={"team": "search"}))
    (point,) = _points(reader)["tokenprint.budget.breaches"]
    assert point.value == 1
    assert dict(point.attributes) == {
        "tokenprint.budget": "tiny",
        "tokenprint.budget.mode": "warn",
        "tokenprint.budget.criterion": "gwp",
        "team": "search",
    }
