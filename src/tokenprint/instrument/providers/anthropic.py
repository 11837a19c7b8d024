"""Anthropic adapter: messages.create (stream or not), messages.stream(), messages.parse, and
their beta variants; Anthropic, Bedrock and Vertex clients (providers ``anthropic``,
``bedrock``, ``vertex``). Only reads SDK objects; the core does the rest.
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
    raw_response,
    text_tokens,
    text_usage,
)
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]


def _where(obj: Any) -> tuple[str, str | None]:
    """(provider, host) of the client behind a resource, a Stream or a MessageStream."""
    client = getattr(obj, "_client", None)
    if client is None:  # MessageStream: the raw Stream holds the client
        client = getattr(getattr(obj, "_raw_stream", None), "_client", None)
    host = host_of(getattr(client, "_base_url", None) or getattr(client, "base_url", None))
    name = type(client).__name__
    if "Bedrock" in name:
        return "bedrock", host
    if "Vertex" in name:
        return "vertex", host
    return "anthropic", host


def _usage(where: Any, model: Any, u: Any, requested: Any) -> Usage:
    """Usage from an Anthropic usage object, of an answer to a call on ``where``. Cache
    reads and writes are reported apart from ``input_tokens``; all three are prompt
    tokens."""
    provider, host = _where(where)
    cached = first_int(u, "cache_read_input_tokens")
    written = first_int(u, "cache_creation_input_tokens")
    thinking = first_int(getattr(u, "output_tokens_details", None), "thinking_tokens")
    return text_usage(
        provider,
        model or requested,
        first_int(u, "input_tokens") + cached + written,
        first_int(u, "output_tokens"),
        cached,
        thinking,
        host=host,
        requested_model=requested,
    )


def message_usage(call: Call, resp: Any) -> partial[Usage] | None:
    """A ``Message`` / ``ParsedMessage`` / beta message: its Usage is built on first read
    (``Target.usage``)."""
    if getattr(resp, "type", None) != "message" or not hasattr(resp, "usage"):
        return None  # raw/streaming-response wrappers, managers
    return partial(_usage, call.instance, resp.model, resp.usage, call.kwargs.get("model"))


class MessageEvents(Accumulator):
    """Raw stream events and ``MessageStream`` events. ``message_delta`` counts are
    cumulative: they replace, never add to, those of ``message_start``."""

    __slots__ = ("chars", "ended", "final", "model", "u")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.model: str | None = None
        self.u: dict[str, Any] = {}
        self.final: Any = None
        self.chars = 0
        self.ended = False

    def add(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if kind == "content_block_delta":
            text = getattr(event.delta, "text", None)
            if text:
                self.chars += len(text)
        elif kind == "message_delta":
            self.ended = True
            self._take(event.usage)
        elif kind == "message_start":
            self.model = event.message.model
            self._take(event.message.usage)
        elif kind == "message_stop":
            self.final = getattr(event, "message", None)  # MessageStream: the final snapshot
            return True
        return False

    def _take(self, u: Any) -> None:
        for name in ("input_tokens", "output_tokens", "cache_read_input_tokens"):
            v = getattr(u, name, None)
            if v is not None:
                self.u[name] = v
        v = getattr(u, "cache_creation_input_tokens", None)
        if v is not None:
            self.u["cache_creation_input_tokens"] = v
        details = getattr(u, "output_tokens_details", None)
        if details is not None:
            self.u["output_tokens_details"] = details

    def usage(self) -> Usage | None:
        requested = self.call.kwargs.get("model")
        if self.model is None and requested is None:
            return None  # closed before message_start, request unknown: nothing to say
        usage = _usage(self.stream, self.model, _Counts(self.u), requested)
        if self.ended:
            return usage
        # closed early: message_delta (the output count) never came
        return usage._replace(
            input_tokens=usage.input_tokens or text_tokens(self.call.kwargs.get("messages")),
            output_tokens=max(usage.output_tokens, (self.chars + 3) // 4),
            warnings=(_EARLY,),
        )

    def extra(self) -> tuple[object, ...]:
        return (self.final,) if self.final is not None else ()


_EARLY = (
    "output-tokens-estimated",
    "the stream was closed before its final usage: output tokens estimated from the streamed "
    "text at about 4 characters per token",
)


class _Counts:
    """Attribute view of the accumulated counts (what ``_usage`` reads)."""

    def __init__(self, counts: dict[str, Any]) -> None:
        self.__dict__.update(counts)


def pending(call: Call) -> Pending:
    k = call.kwargs
    provider, host = _where(call.instance)
    max_out = k.get("max_tokens")
    return Pending(
        provider,
        k.get("model"),
        max_out if isinstance(max_out, int) else None,
        text_tokens(k.get("messages"), k.get("system")),
        host,
        call.target.endpoint,
    )


def _methods(module: str, endpoint: str) -> list[Target]:
    """create/parse (responses, raw streams) and stream() (only the before-hook: the stream
    itself is accounted when its manager is entered), sync and async."""
    out = []
    for p in ("", "Async"):
        for method, stream in (("create", MessageEvents), ("parse", None)):
            out.append(
                Target(
                    module,
                    f"{p}Messages.{method}",
                    f"{endpoint}.{method}",
                    message_usage,
                    stream,
                    pending,
                    raw=raw_response,
                )
            )
        out.append(Target(module, f"{p}Messages.stream", f"{endpoint}.stream", pending=pending))
    return out


def _managers(module: str, prefix: str, endpoint: str) -> list[Target]:
    """``with client.messages.stream(...) as s``: tap the MessageStream on entry."""
    return [
        Target(module, f"{prefix}MessageStreamManager.__enter__", endpoint, stream=MessageEvents),
        Target(
            module, f"{prefix}AsyncMessageStreamManager.__aenter__", endpoint, stream=MessageEvents
        ),
    ]


_LIB = "anthropic.lib.streaming"

TARGETS: list[Target] = [
    *_methods("anthropic.resources.messages.messages", "messages"),
    *_methods("anthropic.resources.messages", "messages"),  # older single-module layout
    *_methods("anthropic.resources.beta.messages.messages", "beta.messages"),
    *_managers(f"{_LIB}._messages", "", "messages.stream"),
    *_managers(f"{_LIB}._beta_messages", "Beta", "beta.messages.stream"),
]
