"""OpenAI adapter: chat completions (create/parse/stream), Responses API, legacy completions.

Also serves AzureOpenAI clients (provider ``azure``) and OpenAI-compatible hosts, recognised
by the client's base URL (provider = the catalogued data centre of that host, else
``openai-compatible``). Only reads SDK objects; the core does the rest.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.core import (
    Accumulator,
    Call,
    Target,
    first_int,
    host_of,
    provider_for_host,
    raw_response,
    text_tokens,
    text_usage,
)
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]

_AZURE = frozenset({"AzureOpenAI", "AsyncAzureOpenAI"})
_ESTIMATED = (
    "output-tokens-estimated",
    "the stream reported no usage (set stream_options={'include_usage': True}): output "
    "tokens estimated from the streamed text at about 4 characters per token",
)


def _where(obj: Any) -> tuple[str, str | None]:
    """(provider, host) of the client behind a resource or a stream."""
    client = getattr(obj, "_client", None)
    # ``_base_url`` (every release): openai 3.x's ``base_url`` property imports per access
    host = host_of(getattr(client, "_base_url", None) or getattr(client, "base_url", None))
    if type(client).__name__ in _AZURE:
        return "azure", host
    if host is None or host == "api.openai.com":
        return "openai", host
    return provider_for_host(host, "openai-compatible"), host


def _request_text(call: Call) -> int:
    k = call.kwargs
    return text_tokens(k.get("messages"), k.get("input"), k.get("prompt"), k.get("instructions"))


def _usage(call: Call, where: Any, model: Any, u: Any, text_chars: int = -1) -> Usage:
    """Usage from an OpenAI usage object (chat or Responses field names), or estimated."""
    requested = call.kwargs.get("model")
    if u is not None:
        return _counted(where, requested, model, u)
    provider, host = _where(where)
    out = (text_chars + 3) // 4 if text_chars >= 0 else 0
    warn = _ESTIMATED if text_chars >= 0 else ("usage-missing", "the answer had no usage")
    return text_usage(
        provider, model or requested, _request_text(call), out, host=host,
        requested_model=requested, warnings=(warn,),
    )  # fmt: skip


def _counted(where: Any, requested: Any, model: Any, u: Any) -> Usage:
    """Usage from the usage object ``u`` of an answer to a call on ``where`` (a resource)."""
    provider, host = _where(where)
    if type(u) is dict:  # a field this openai release does not know is kept as a dict
        u = _Fields(u)
    inp = getattr(u, "prompt_tokens", None)
    if inp is not None:  # chat and legacy completions
        out = u.completion_tokens
        in_details = getattr(u, "prompt_tokens_details", None)  # absent in old releases
        out_details = getattr(u, "completion_tokens_details", None)
    else:  # Responses API
        inp, out = getattr(u, "input_tokens", 0), getattr(u, "output_tokens", 0)
        in_details = getattr(u, "input_tokens_details", None)
        out_details = getattr(u, "output_tokens_details", None)
    cached = first_int(in_details, "cached_tokens") if in_details is not None else 0
    reasoning = first_int(out_details, "reasoning_tokens") if out_details is not None else 0
    return text_usage(
        provider, model or requested, inp or 0, out or 0, cached, reasoning, host, requested
    )


class _Fields:
    """Attribute view of a usage dict (older releases keep unknown fields as dicts)."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.__dict__.update(d)


def response_usage(call: Call, resp: Any) -> Usage | partial[Usage] | None:
    """A ChatCompletion, Completion or Responses ``Response`` (parsed variants included).
    When it reports its usage, the Usage is built on first read (``Target.usage``)."""
    if not hasattr(resp, "usage") or not hasattr(resp, "model"):
        return None  # with_streaming_response's APIResponse and other wrappers
    u = resp.usage
    if u is None:
        return _usage(call, call.instance, resp.model, None, _answer_chars(resp))
    return partial(_counted, call.instance, call.kwargs.get("model"), resp.model, u)


def _answer_chars(resp: Any) -> int:
    text = getattr(resp, "output_text", None)  # Responses API
    if isinstance(text, str):
        return len(text)
    n = 0
    for choice in getattr(resp, "choices", None) or ():
        msg = getattr(choice, "message", None)
        content = getattr(msg, "content", None) if msg is not None else getattr(choice, "text", "")
        n += len(content) if isinstance(content, str) else 0
    return n


class ChatStream(Accumulator):
    """Chat and legacy completion chunks: usage from the final ``choices=[]`` chunk
    (``stream_options.include_usage``), else output estimated from the streamed text (also
    when the stream is closed before its usage chunk)."""

    __slots__ = ("chars", "model", "u")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars = 0
        self.model: str | None = None
        self.u: Any = None

    def add(self, chunk: Any) -> bool:
        if not self.model:
            self.model = getattr(chunk, "model", None) or None  # Azure: first chunk has ""
        choices = getattr(chunk, "choices", None)
        if choices:
            for choice in choices:
                delta = getattr(choice, "delta", None)
                text = getattr(delta, "content", None) if delta is not None else choice.text
                if text:
                    self.chars += len(text)
        u = getattr(chunk, "usage", None)
        if u is not None:
            self.u = u
            return not choices
        return False

    def usage(self) -> Usage:
        return _usage(self.call, self.stream, self.model, self.u, self.chars)


_DONE = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponsesStream(Accumulator):
    """Responses API events: usage from the terminal event's ``response.usage``."""

    __slots__ = ("chars", "final", "model")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars = 0
        self.model: str | None = None
        self.final: Any = None

    def add(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if kind == "response.output_text.delta":
            self.chars += len(event.delta or "")
        elif kind in _DONE:
            self.final = event.response
            return True
        elif kind == "response.created":
            self.model = event.response.model
        return False

    def usage(self) -> Usage:
        r = self.final
        u = getattr(r, "usage", None)
        model = getattr(r, "model", None) or self.model
        return _usage(self.call, self.stream, model, u, -1 if u is not None else self.chars)


def pending(call: Call) -> Pending:
    k = call.kwargs
    provider, host = _where(call.instance)
    max_out = k.get("max_completion_tokens") or k.get("max_tokens") or k.get("max_output_tokens")
    return Pending(
        provider,
        k.get("model"),
        max_out if isinstance(max_out, int) else None,
        _request_text(call),
        host,
        call.target.endpoint,
    )


_is_raw = raw_response  # kept for openai_media, which imports it


def _pair(module: str, cls: str, method: str, endpoint: str, stream: Any) -> list[Target]:
    """The sync and async variants of one method."""
    return [
        Target(
            module,
            f"{p}{cls}.{method}",
            endpoint,
            response_usage,
            stream,
            pending,
            raw=raw_response,
        )
        for p in ("", "Async")
    ]


def _helper(module: str, cls: str, endpoint: str, final: str) -> list[Target]:
    """A ``.stream()`` manager: its ``__enter__`` calls ``create(stream=True)`` (instrumented);
    the helper stream it returns then gets the impacts and closes the accounting too, and
    the final object its ``final`` method builds gets them as well."""
    stream = cls.replace("Manager", "")
    return [
        Target(module, f"{cls}.__enter__", endpoint, follow="_raw_stream"),
        Target(module, f"Async{cls}.__aenter__", endpoint, follow="_raw_stream"),
        Target(module, f"{stream}.{final}", endpoint, inherit=True),
        Target(module, f"Async{stream}.{final}", endpoint, inherit=True),
    ]


# Modules that define the classes (patched when the SDK imports them, never imported by us).
# Newer releases split resources into packages; the older single-module paths follow.
_CHAT = "openai.resources.chat.completions.completions"
_CHAT_OLD = "openai.resources.chat.completions"
_BETA_CHAT = "openai.resources.beta.chat.completions"  # parse() lived here before openai 1.92
_RESP = "openai.resources.responses.responses"
_RESP_OLD = "openai.resources.responses"
_LEGACY = "openai.resources.completions"
_LIB = "openai.lib.streaming"

TARGETS: list[Target] = [
    *_pair(_CHAT, "Completions", "create", "chat.completions.create", ChatStream),
    *_pair(_CHAT_OLD, "Completions", "create", "chat.completions.create", ChatStream),
    *_pair(_CHAT, "Completions", "parse", "chat.completions.parse", None),
    *_pair(_CHAT_OLD, "Completions", "parse", "chat.completions.parse", None),
    *_pair(_BETA_CHAT, "Completions", "parse", "chat.completions.parse", None),
    *_pair(_RESP, "Responses", "create", "responses.create", ResponsesStream),
    *_pair(_RESP_OLD, "Responses", "create", "responses.create", ResponsesStream),
    *_pair(_RESP, "Responses", "parse", "responses.parse", None),
    *_pair(_RESP_OLD, "Responses", "parse", "responses.parse", None),
    *_pair(_LEGACY, "Completions", "create", "completions.create", ChatStream),
    *_helper(
        f"{_LIB}.chat._completions",
        "ChatCompletionStreamManager",
        "chat.completions.stream",
        "get_final_completion",
    ),
    *_helper(
        f"{_LIB}.responses._responses",
        "ResponseStreamManager",
        "responses.stream",
        "get_final_response",
    ),
]
