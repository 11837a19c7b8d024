"""Usage: what one request consumed, as an SDK adapter (or ``estimate()``) reports it.

This record is the only thing that crosses from the instrumentation layer to the science:
adapters know nothing of impacts, and the impact model knows nothing of SDKs.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Usage"]


class Usage(NamedTuple):
    """Tokens, model and context of one request."""

    provider: str | None
    """Who served it: the SDK's provider (``openai``...) or a catalogued host (``groq``)."""
    model: str | None
    """The model as answered by the API, else as requested."""
    input_tokens: int = 0
    """Prompt tokens, cached ones included."""
    output_tokens: int = 0
    """Decoded tokens, reasoning/thinking tokens included."""
    cached_tokens: int = 0
    """Part of ``input_tokens`` read from a prompt cache."""
    reasoning_tokens: int = 0
    """Part of ``output_tokens`` spent on hidden reasoning (informative)."""
    latency_s: float | None = None
    """Measured wall time of the request (for streams: until the last chunk)."""
    host: str | None = None
    """Host name of the API base URL (``api.groq.com``), to pick the data centre."""
    modality: str = "text"
    """``text``, ``embedding`` or ``image``."""
    endpoint: str = ""
    """What was called (``chat.completions.create``), for exporters."""
    requested_model: str | None = None
    """The model name the caller sent (may differ from ``model``: Azure deployments)."""
    images: int = 0
    image_size: str | None = None
    image_quality: str | None = None
    warnings: tuple[tuple[str, str], ...] = ()
    """(code, message) pairs the adapter wants surfaced (``output-tokens-estimated``...)."""
