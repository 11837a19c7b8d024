"""What tokenprint's metric outputs say about a request: OpenTelemetry GenAI attribute names
and values, and the units impacts are published in.

Attribute names and well-known values follow the OpenTelemetry semantic conventions for
generative AI, version :data:`SEMCONV_VERSION` (the version that introduced
``gen_ai.provider.name``). They are written here as plain strings: the
``opentelemetry-semantic-conventions`` package marks its ``gen_ai`` constants incubating or
deprecated (they moved to a repository of their own), and tokenprint accepts old releases of
it; a test compares each name with the installed package's constant.

Units follow UCUM, as OpenTelemetry asks, in unprefixed base units where the quantity has one
(``J`` for energy, ``g`` for masses, the annotation naming what the mass is equivalent to);
water stays in litres (``L``), the unit of water footprints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from tokenprint.exporters._common import criteria
from tokenprint.records import RequestRecord

__all__ = [
    "DESCRIPTIONS",
    "OPERATION_NAME",
    "PROVIDER_NAME",
    "REQUEST_MODEL",
    "RESPONSE_MODEL",
    "SEMCONV_VERSION",
    "UNITS",
    "USAGE_CACHE_READ_INPUT_TOKENS",
    "USAGE_INPUT_TOKENS",
    "USAGE_OUTPUT_TOKENS",
    "USAGE_REASONING_OUTPUT_TOKENS",
    "Unit",
    "identity",
    "operation",
    "provider_name",
    "published",
    "tokens",
]

SEMCONV_VERSION = "1.37.0"
"""The OpenTelemetry semantic conventions (GenAI) version whose names tokenprint writes."""

PROVIDER_NAME = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
OPERATION_NAME = "gen_ai.operation.name"
USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"

# tokenprint's provider (the catalogued data centre) -> the convention's well-known value;
# a provider without one keeps tokenprint's name (the list of values is open).
_PROVIDERS: Mapping[str, str] = {
    "azure": "azure.ai.openai",
    "bedrock": "aws.bedrock",
    "google": "gcp.gen_ai",
    "vertex": "gcp.vertex_ai",
    "mistralai": "mistral_ai",
    "xai": "x_ai",
}


def provider_name(provider: str | None) -> str:
    """``gen_ai.provider.name`` of tokenprint's provider (``mistralai`` -> ``mistral_ai``)."""
    if not provider:
        return "unknown"
    return _PROVIDERS.get(provider, provider)


def operation(modality: str, endpoint: str) -> str:
    """``gen_ai.operation.name`` of a request: ``chat``, ``embeddings``, ``text_completion``,
    ``generate_content`` (Google's multimodal call), or ``image_generation`` (no value of the
    convention covers images yet)."""
    if modality == "embedding":
        return "embeddings"
    if modality == "image":
        return "image_generation"
    if endpoint.endswith("generate_content"):
        return "generate_content"
    if endpoint in ("completions.create", "text_generation"):
        return "text_completion"
    return "chat"


def identity(record: RequestRecord) -> dict[str, str]:
    """The request's GenAI attributes: provider, operation, requested and answered model."""
    u = record.usage
    model = u.model or "unknown"
    return {
        PROVIDER_NAME: provider_name(u.provider),
        OPERATION_NAME: operation(u.modality, u.endpoint),
        REQUEST_MODEL: u.requested_model or model,
        RESPONSE_MODEL: model,
    }


class Unit(NamedTuple):
    """How one criterion is published: UCUM unit, Prometheus unit word, and the factor from
    tokenprint's canonical unit (:data:`tokenprint.impacts.units.CANONICAL`)."""

    ucum: str
    word: str
    factor: float


DESCRIPTIONS: Mapping[str, str] = {
    "energy": "Final energy used by generative-AI requests",
    "gwp": "Global warming potential of generative-AI requests, CO2-equivalent",
    "adpe": "Abiotic resource depletion (elements) of generative-AI requests, Sb-equivalent",
    "pe": "Primary energy of generative-AI requests",
    "wcf": "Water consumption footprint of generative-AI requests",
}
"""Each criterion's description, for the OpenTelemetry instruments and Prometheus metrics."""

UNITS: Mapping[str, Unit] = {
    "energy": Unit("J", "joules", 3.6e6),  # from kWh
    "gwp": Unit("g{CO2e}", "grams", 1e3),  # from kg CO2-equivalent
    "adpe": Unit("g{Sbe}", "grams", 1e3),  # from kg antimony-equivalent
    "pe": Unit("J", "joules", 1e6),  # from MJ
    "wcf": Unit("L", "liters", 1.0),  # litres
}
"""Published unit of each criterion."""


def published(record: RequestRecord) -> dict[str, tuple[float, float, float]]:
    """``{criterion: (P5, best estimate, P95)}`` in the published units; empty if unestimated."""
    out: dict[str, tuple[float, float, float]] = {}
    for name, (lo, central, hi) in criteria(record).items():
        f = UNITS[name].factor
        out[name] = (lo * f, central * f, hi * f)
    return out


def tokens(record: RequestRecord) -> int:
    """The request's input and output tokens (reasoning included): the SCI's per-token unit."""
    return record.usage.input_tokens + record.usage.output_tokens
