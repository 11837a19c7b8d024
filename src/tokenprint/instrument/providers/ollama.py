"""Ollama adapter: ``chat``, ``generate``, ``embed`` and ``embeddings`` of ``Client`` and
``AsyncClient`` and the module-level functions (``ollama.chat``...), streams included.

Requests to a local or private address get the self-hosted profile the user's configuration
describes (``datacenters.self-hosted`` or ``datacenters.ollama``). The weight precision comes
from the model's tag (``:q8_0`` → int8; none → Ollama's default Q4_K_M, int4), the latency
from Ollama's ``total_duration``, the tokens from ``prompt_eval_count`` and ``eval_count``.
Without ``prompt_eval_count`` (the whole prompt came from Ollama's cache) the input is
estimated from the request's text and counted as cached.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from tokenprint.instrument import read
from tokenprint.instrument.contract import Accumulator, Builder, Call, Request, Target
from tokenprint.records import Usage

__all__ = ["TARGETS", "precision_of"]

_CACHED_PROMPT = (
    "input-tokens-estimated",
    "Ollama reported no prompt_eval_count (the prompt came from its cache): input tokens "
    "estimated from the request text at about 4 characters per token, counted as cached",
)
_QUANT = re.compile(r"(?:^|[-_:])i?q(\d)(?:_|$)")
_FLOAT = {"fp16": "fp16", "f16": "fp16", "bf16": "bf16", "fp32": "fp32", "f32": "fp32"}


def precision_of(model: Any, default: str) -> str:
    """The weight precision a model tag names: ``q2``–``q5`` (and ``iq*``) → ``int4``,
    ``q6``–``q8`` → ``int8`` (the nearest in bits per weight), ``fp16``/``bf16``; ``default``
    for a tag without one (``llama3.1:8b``, ``mistral``)."""
    tag = str(model or "").lower().rpartition(":")[2]
    for part in tag.split("-"):
        if part in _FLOAT:
            return _FLOAT[part]
        m = _QUANT.search(part)
        if m:
            return "int4" if int(m.group(1)) <= 5 else "int8"
    return default


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: the host of the client (``localhost`` → the self-hosted profile)."""
    client = getattr(call.instance, "_client", None)  # (module functions: the bound client)
    return "ollama", read.host_of(getattr(client, "base_url", None))


def _usage(call: Call, last: Any, chars: int, model: Any) -> Usage:
    """The Usage of a complete answer, or of a stream's last part (``done``)."""
    inp, out = read.field(last, "prompt_eval_count"), read.field(last, "eval_count")
    model = read.field(last, "model") or model
    if not read.is_count(out):  # no final part, or a count missing: estimated from the texts
        usage = read.estimated(call, model, chars)
        if read.is_count(inp):
            said = tuple(w for w in usage.warnings if w != read.ESTIMATED_INPUT)
            usage = usage._replace(input_tokens=inp, warnings=said)
    elif not read.is_count(inp):
        n = read.request_tokens(call)
        usage = read.usage_for(call, model, input_tokens=n, cached_tokens=n, output_tokens=out,
                               warnings=(_CACHED_PROMPT,))  # fmt: skip
    else:
        usage = read.usage_for(call, model, input_tokens=inp, output_tokens=out)
    precision = _TAG(read.requested_model(call) or model)
    return usage._replace(latency_s=_seconds(last), precision=precision)


def _seconds(answer: Any) -> float | None:
    """Ollama's own measure of the request, ``total_duration`` (ns), in seconds."""
    ns = read.field(answer, "total_duration")
    return ns / 1e9 if read.is_count(ns) and ns > 0 else None


def _text(part: Any) -> int:
    """Characters of a chat message's content or of a generated ``response``."""
    message = read.field(part, "message")
    text = read.field(message, "content") if message is not None else read.field(part, "response")
    return len(text) if isinstance(text, str) else 0


def answer_usage(call: Call, answer: Any) -> Builder | None:
    """A ``ChatResponse`` or ``GenerateResponse``."""
    if not hasattr(answer, "done"):
        return None
    return partial(_usage, call, answer, _text(answer), None)


def embedding_usage(call: Call, answer: Any) -> Builder | None:
    """An ``EmbedResponse`` (``prompt_eval_count``) or ``EmbeddingsResponse`` (no count)."""
    if not hasattr(answer, "embeddings") and not hasattr(answer, "embedding"):
        return None
    return partial(_embedding, call, answer)


def _embedding(call: Call, answer: Any) -> Usage:
    u = answer if read.field(answer, "prompt_eval_count") is not None else None
    usage = read.embedded(call, read.field(answer, "model"), u, ("prompt_eval_count",))
    precision = _EMBED_TAG(usage.requested_model or usage.model)
    return usage._replace(latency_s=_seconds(answer), precision=precision)


class Parts(Accumulator):
    """A stream of ``ChatResponse``/``GenerateResponse`` parts (a generator, or an async one):
    text in each, the counts and durations on the last (``done``)."""

    __slots__ = ("chars", "last", "model")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars, self.last, self.model = 0, None, None

    def add(self, part: Any) -> bool:
        self.chars += _text(part)
        if self.model is None:
            self.model = read.field(part, "model")
        if read.field(part, "done"):
            self.last = part
            return True
        return False

    def usage(self) -> Usage | None:
        if self.model is None:
            return None  # nothing came: the request failed before its first part
        return _usage(self.call, self.last, self.chars, self.model)


_CAP = ("options.num_predict",)
_TAG = partial(precision_of, default="int4")  # a chat model without one: Ollama's Q4_K_M
_EMBED_TAG = partial(precision_of, default="fp16")  # embedding models: their F16 builds
CHAT = Request(where, ("messages",), _CAP, positional=("model", "messages"), precision=_TAG)
GENERATE = Request(where, ("prompt", "system", "suffix"), _CAP, precision=_TAG,
                   positional=("model", "prompt", "suffix", "system"))  # fmt: skip
EMBED = Request(where, ("input", "prompt"), modality="embedding", positional=("model", "input"),
                precision=_EMBED_TAG)  # fmt: skip

_METHODS = (("chat", answer_usage, Parts, CHAT), ("generate", answer_usage, Parts, GENERATE),
            ("embed", embedding_usage, None, EMBED),
            ("embeddings", embedding_usage, None, EMBED))  # fmt: skip
TARGETS = [
    *(Target("ollama._client", f"{cls}.{name}", name, usage, stream, request)
      for cls in ("Client", "AsyncClient") for name, usage, stream, request in _METHODS),
    # ``ollama.chat`` and the others are methods bound to a client made at import
    *(Target("ollama", name, name, usage, stream, request)
      for name, usage, stream, request in _METHODS),
]  # fmt: skip
