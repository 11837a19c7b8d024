"""Usage: what one request consumed, as an SDK adapter (or ``estimate()``) reports it.

This record is the only thing that crosses from the instrumentation layer to the science:
adapters know nothing of impacts, and the impact model knows nothing of SDKs.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Usage", "text_usage"]


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


_new = tuple.__new__


def text_usage(
    provider: str | None,
    model: str | None,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
    host: str | None = None,
    requested_model: str | None = None,
    warnings: tuple[tuple[str, str], ...] = (),
) -> Usage:
    """``Usage(...)`` of a text request as an adapter reads it (latency and endpoint are the
    core's), built without NamedTuple's ``__new__``: on the per-request path its argument
    binding costs about 2 µs once the SDK's call has left the CPU caches cold."""
    return _new(
        Usage,
        (
            provider, model, input_tokens, output_tokens, cached_tokens, reasoning_tokens,
            None, host, "text", "", requested_model, 0, None, None, warnings,
        ),
    )  # fmt: skip
