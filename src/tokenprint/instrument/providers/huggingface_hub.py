"""Hugging Face Hub adapter: ``InferenceClient``/``AsyncInferenceClient`` ``chat_completion``
(``client.chat.completions.create`` is the same method) and ``text_generation``.

Models may be a Hub id, the URL of an endpoint (also as ``base_url``) or ``"tgi"``: URLs and
``"tgi"`` name no model, so the answer's ``model`` is used when it names one. The first
argument may be positional (``call.get``). ``text_generation`` returns a bare ``str`` unless
``details=True``: the str cannot carry ``impacts``, but its usage (estimated from the text) is
still published to trackers and exporters. Only reads SDK objects; the core does the rest.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.core import (
    ESTIMATED_INPUT,
    ESTIMATED_OUTPUT,
    Accumulator,
    Call,
    ChatChunks,
    Target,
    chars_to_tokens,
    first_int,
    host_of,
    provider_for_host,
    text_tokens,
    text_usage,
)
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]

_ROUTED = (None, "auto", "hf-inference")
"""Providers served by Hugging Face itself (others are third parties behind its router)."""


def _name(model: Any) -> str | None:
    """A model name, or None for URLs, ``"tgi"`` and empty values."""
    if isinstance(model, str) and model and model != "tgi" and "://" not in model:
        return model
    return None


def _where(client: Any, model: Any) -> tuple[str, str | None]:
    """(provider, host): an endpoint URL's host, else the Hub's routing provider; ``model``:
    the call's ``model`` argument."""
    for url in (getattr(client, "base_url", None), getattr(client, "model", None), model):
        if isinstance(url, str) and "://" in url:
            host = host_of(url)
            return provider_for_host(host, "self-hosted"), host
    provider = getattr(client, "provider", None)
    return (
        provider if isinstance(provider, str) and provider not in _ROUTED else "huggingface_hub"
    ), None


def _requested(client: Any, model: Any) -> str | None:
    return _name(model) or _name(getattr(client, "model", None))


def _made(
    client: Any, model: Any, answered: Any, inp: int, out: int, *warnings: tuple[str, str]
) -> Usage:
    requested = _requested(client, model)
    provider, host = _where(client, model)
    return text_usage(
        provider, _name(answered) or requested, inp, out, host=host,
        requested_model=requested, warnings=warnings,
    )  # fmt: skip


def _usage(call: Call, answered: Any, inp: int, out: int, *warnings: tuple[str, str]) -> Usage:
    return _made(call.instance, call.get("model"), answered, inp, out, *warnings)


def _counted(client: Any, model: Any, answered: Any, u: Any) -> Usage:
    """From a chat answer's ``usage`` (the builder of :func:`chat_usage`)."""
    return _made(client, model, answered, *_counts(u))


def _prompt_tokens(call: Call) -> int:
    """Estimated from ``messages``/``prompt``, the first argument (keyword or positional)."""
    return text_tokens(call.args[:1], call.kwargs.get("messages"), call.kwargs.get("prompt"))


def chat_usage(call: Call, resp: Any) -> Usage | partial[Usage] | None:
    """A ChatCompletionOutput (usage estimated from the answer's text when absent)."""
    if not hasattr(resp, "choices"):
        return None
    u = getattr(resp, "usage", None)
    if u is not None:  # a builder (Target.usage): the Usage is made when impacts are read
        return partial(_counted, call.instance, call.get("model"), getattr(resp, "model", None), u)
    chars = sum(len(getattr(c.message, "content", None) or "") for c in resp.choices)
    return _estimated(call, getattr(resp, "model", None), chars)


def _estimated(call: Call, model: Any, chars: int) -> Usage:
    """Usage estimated from the request and the answer's text (about 4 characters/token)."""
    return _usage(call, model, _prompt_tokens(call), chars_to_tokens(chars), ESTIMATED_OUTPUT)


def _counts(u: Any) -> tuple[int, int]:
    return first_int(u, "prompt_tokens"), first_int(u, "completion_tokens")


class ChatStream(ChatChunks):
    """ChatCompletionStreamOutput chunks; usage only with ``stream_options.include_usage``."""

    __slots__ = ()

    def usage(self) -> Usage | None:
        if self.u is not None:
            return _usage(self.call, self.model, *_counts(self.u))
        return _estimated(self.call, self.model, self.chars)


def generation_usage(call: Call, resp: Any) -> Usage | None:
    """A TextGenerationOutput (``details=True``) or the bare generated ``str``."""
    if isinstance(resp, str):
        return _estimated(call, None, len(resp))
    details = getattr(resp, "details", None)
    if details is None:
        return None
    prefill = getattr(details, "prefill", None)
    return _generated(call, len(prefill) if prefill else 0, first_int(details, "generated_tokens"))


def _generated(call: Call, inp: int, out: int) -> Usage:
    """Text generation usage; prompt tokens estimated when the server did not count them."""
    if inp:
        return _usage(call, None, inp, out)
    return _usage(call, None, _prompt_tokens(call), out, ESTIMATED_INPUT)


class TextStream(Accumulator):
    """Tokens as ``str`` (text only) or TextGenerationStreamOutput (``details=True``): the
    last one has ``details.generated_tokens`` (and ``input_length`` on recent servers)."""

    __slots__ = ("chars", "details")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars = 0
        self.details: Any = None

    def add(self, chunk: Any) -> bool:
        if isinstance(chunk, str):
            self.chars += len(chunk)
            return False
        self.details = getattr(chunk, "details", None)
        if self.details is None:
            self.chars += len(getattr(getattr(chunk, "token", None), "text", "") or "")
        return self.details is not None

    def usage(self) -> Usage | None:
        if self.details is None:
            return _estimated(self.call, None, self.chars)
        d = self.details
        return _generated(self.call, first_int(d, "input_length"), first_int(d, "generated_tokens"))


def pending(call: Call) -> Pending:
    model = call.get("model")
    provider, host = _where(call.instance, model)
    limit = call.kwargs.get("max_tokens") or call.kwargs.get("max_new_tokens")
    endpoint = call.target.endpoint
    return Pending(
        provider, _requested(call.instance, model), limit, _prompt_tokens(call), host, endpoint
    )


_SYNC = "huggingface_hub.inference._client"
_ASYNC = "huggingface_hub.inference._generated._async_client"

TARGETS = [
    Target(module, f"{cls}.{method}", method, usage, stream, pending)
    for module, cls in ((_SYNC, "InferenceClient"), (_ASYNC, "AsyncInferenceClient"))
    for method, usage, stream in (
        ("chat_completion", chat_usage, ChatStream),
        ("text_generation", generation_usage, TextStream),
    )
]
