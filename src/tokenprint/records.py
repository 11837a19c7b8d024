"""The records that cross layers: what a request used, what is known before it is sent,
and a finished request with its impacts.

Adapters produce :class:`Usage`; the estimator turns it into Impacts; subscribers receive
:class:`RequestRecord`. Adapters know nothing of impacts, and the impact model nothing of SDKs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import NamedTuple

from tokenprint.impacts.results import Impacts

__all__ = ["MAX_TOKENS", "Pending", "RequestRecord", "Usage"]

MAX_TOKENS = 2**53
"""Largest token count taken as such (floats hold integers exactly up to here): counts given
to ``estimate*`` above it raise, counts an SDK reports above it are counted as 0."""


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
    """``text``, ``embedding``, ``image``, ``video``, ``speech-to-text`` or
    ``text-to-speech``."""
    endpoint: str = ""
    """What was called (``chat.completions.create``), for exporters."""
    requested_model: str | None = None
    """The model name the caller sent (may differ from ``model``: Azure deployments)."""
    images: int = 0
    image_size: str | None = None
    image_quality: str | None = None
    warnings: tuple[tuple[str, str], ...] = ()
    """(code, message) pairs the adapter wants surfaced (``output-tokens-estimated``...)."""
    seconds: float | None = None
    """Seconds of audio read (speech-to-text) or of video made (video), when known."""
    precision: str | None = None
    """Weight precision the host says it serves (Ollama's quantisation tag: ``int4``);
    None: the data centre's."""


class Pending(NamedTuple):
    """A request about to be sent: what is known before the answer."""

    provider: str | None
    model: str | None
    max_output_tokens: int | None
    """``max_tokens``/``max_output_tokens``/``max_completion_tokens`` if given."""
    input_tokens: int
    """Estimated from the request (about 4 characters per token)."""
    host: str | None = None
    endpoint: str = ""
    modality: str = "text"
    key: object = None
    """The request's identity, the same in its :class:`RequestRecord` (a budget that
    reserved the request's worst case releases it when the request ends)."""
    precision: str | None = None
    """Weight precision the host serves the model in, as in :attr:`Usage.precision`."""


class RequestRecord(NamedTuple):
    """One finished request: what it used, what it cost, and its context."""

    usage: Usage
    impacts: Impacts
    labels: Mapping[str, str]
    timestamp: float
    """Unix time at which the request ended."""
    key: object = None
    """The request's identity, as in its :class:`Pending`."""

    @classmethod
    def now(
        cls, usage: Usage, impacts: Impacts, labels: Mapping[str, str], key: object = None
    ) -> RequestRecord:
        return cls(usage, impacts, labels, time.time(), key)
