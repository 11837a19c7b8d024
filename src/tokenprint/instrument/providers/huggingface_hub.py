"""Hugging Face Hub adapter: ``InferenceClient``/``AsyncInferenceClient`` ``chat_completion``
(``client.chat.completions.create`` is the same method) and ``text_generation``.

Models may be a Hub id, the URL of an endpoint (also as ``base_url``) or ``"tgi"``: URLs and
``"tgi"`` name no model, so the answer's ``model`` is used when it names one.
``text_generation`` returns a bare ``str`` unless ``details=True``: the str cannot carry
``impacts``, but its usage (estimated from the text) is still published.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.contract import Accumulator, Builder, Call, Request, Target
from tokenprint.instrument.read import (
    ESTIMATED_INPUT,
    ChatChunks,
    answered,
    chat_answer,
    estimated,
    first_int,
    host_of,
    provider_for_host,
    request_tokens,
    usage_for,
)
from tokenprint.records import Usage

__all__ = ["TARGETS"]

_ROUTED = (None, "auto", "hf-inference")  # served by Hugging Face, not a third party


def _name(model: Any) -> str | None:
    """A model name, or None for URLs, ``"tgi"`` and empty values."""
    if isinstance(model, str) and model and model != "tgi" and "://" not in model:
        return model
    return None


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: an endpoint URL's host, else the Hub's routing provider."""
    client = call.instance
    urls = (getattr(client, "base_url", None), getattr(client, "model", None), call.get("model"))
    for url in urls:
        if isinstance(url, str) and "://" in url:
            host = host_of(url)
            return provider_for_host(host, "self-hosted"), host
    provider = getattr(client, "provider", None)
    if isinstance(provider, str) and provider not in _ROUTED:
        return provider, None
    return "huggingface_hub", None


def requested(call: Call) -> str | None:
    """The model named in the call, else the client's (``InferenceClient(model)``)."""
    return _name(call.get("model")) or _name(getattr(call.instance, "model", None))


def _generated(call: Call, inp: int, out: int) -> Usage:
    warnings = () if inp else (ESTIMATED_INPUT,)  # the server did not count the prompt
    inp = inp or request_tokens(call)
    return usage_for(call, None, input_tokens=inp, output_tokens=out, warnings=warnings)


def chat_usage(call: Call, resp: Any) -> Builder | None:
    """A ChatCompletionOutput: counted, else estimated from the request and the text of its
    choices (``read.reported``)."""
    if not hasattr(resp, "choices"):
        return None
    model = _name(getattr(resp, "model", None))
    return partial(chat_answer, call, model, getattr(resp, "usage", None), resp.choices)


class ChatStream(ChatChunks):
    """ChatCompletionStreamOutput chunks; usage only with ``stream_options.include_usage``."""

    __slots__ = ()

    def usage(self) -> Usage:
        return answered(self.call, _name(self.model), self.u, self.chars)


def generation_usage(call: Call, resp: Any) -> Builder | None:
    """A TextGenerationOutput (``details=True``) or the bare generated ``str``."""
    if isinstance(resp, str):
        return partial(estimated, call, None, len(resp))
    details = getattr(resp, "details", None)
    if details is None:
        return None
    prefill = getattr(details, "prefill", None)  # the prompt's tokens (decoder_input_details)
    return partial(_generated, call, len(prefill or ()), first_int(details, "generated_tokens"))


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
        self.chars += len(getattr(getattr(chunk, "token", None), "text", "") or "")
        self.details = getattr(chunk, "details", None)
        return self.details is not None

    def usage(self) -> Usage:
        d = self.details
        if d is None:
            return estimated(self.call, None, self.chars)
        return _generated(self.call, first_int(d, "input_length"), first_int(d, "generated_tokens"))


CHAT = Request(where, ("messages",), ("max_tokens",), model=requested, positional=("messages",))
TEXT = Request(where, ("prompt",), ("max_new_tokens",), model=requested, positional=("prompt",))

_SYNC = "huggingface_hub.inference._client"
_ASYNC = "huggingface_hub.inference._generated._async_client"

TARGETS = [
    Target(module, f"{cls}.{method}", method, usage, stream, request)
    for module, cls in ((_SYNC, "InferenceClient"), (_ASYNC, "AsyncInferenceClient"))
    for method, usage, stream, request in (
        ("chat_completion", chat_usage, ChatStream, CHAT),
        ("text_generation", generation_usage, TextStream, TEXT),
    )
]
