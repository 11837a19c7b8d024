"""Anthropic adapter: messages.create (stream or not), messages.stream(), messages.parse, and
their beta variants; Anthropic, Bedrock and Vertex clients (providers ``anthropic``,
``bedrock``, ``vertex``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument import read
from tokenprint.instrument.contract import Accumulator, Builder, Call, Request, Target
from tokenprint.instrument.read import base_host, chars_to_tokens, field, first_int, request_tokens
from tokenprint.records import Usage

__all__ = ["TARGETS"]

_EARLY = ("output-tokens-estimated", "the stream was closed before its final usage: output "
          "tokens estimated from the streamed text at about 4 characters per token")  # fmt: skip
_COUNTS = ("input_tokens", "output_tokens", "cache_read_input_tokens",
           "cache_creation_input_tokens", "output_tokens_details")  # fmt: skip
_NAMES = ("input_tokens", "output_tokens")


def _client_of(obj: Any) -> tuple[str, str | None]:
    """(provider, host) of the client behind a resource, a Stream or a MessageStream."""
    client = getattr(obj, "_client", None)
    if client is None:  # MessageStream: the raw Stream holds the client
        client = getattr(getattr(obj, "_raw_stream", None), "_client", None)
    host = base_host(client)
    name = type(client).__name__
    return ("bedrock" if "Bedrock" in name else "vertex" if "Vertex" in name else "anthropic"), host


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: the client the call was made on."""
    return _client_of(call.instance)


def _usage(where: Any, model: Any, requested: Any, u: Any) -> Usage:
    """Usage from an Anthropic usage object, of an answer to a call on ``where``. Cache reads
    and writes are reported apart from ``input_tokens``; all three are prompt tokens."""
    provider, host = _client_of(where)
    cached = first_int(u, "cache_read_input_tokens")
    written = first_int(u, "cache_creation_input_tokens")
    details = field(u, "output_tokens_details")
    return Usage(provider, model or requested, host=host, requested_model=requested,
                 input_tokens=first_int(u, "input_tokens") + cached + written,
                 output_tokens=first_int(u, "output_tokens"), cached_tokens=cached,
                 reasoning_tokens=first_int(details, "thinking_tokens"))  # fmt: skip


def message_usage(call: Call, resp: Any) -> Builder | None:
    """A ``Message`` / ``ParsedMessage`` / beta message."""
    if getattr(resp, "type", None) != "message":
        return None  # streaming-response wrappers, managers
    return partial(_message, call, resp.model, getattr(resp, "usage", None), resp.content)


def _message(call: Call, model: Any, u: Any, content: Any) -> Usage:
    """Counted, or estimated from the request and the answer's text blocks (read.reported)."""
    chars = sum(len(t) for b in content or () if isinstance(t := getattr(b, "text", None), str))
    counts = partial(_usage, call.instance, model, call.kwargs.get("model"))
    return read.reported(call, model, u, chars, counts, _NAMES)


class MessageEvents(Accumulator):
    """Events of a raw ``Stream`` (``create(stream=True)``) or of a ``MessageStream`` (the
    ``.stream()`` helper); both keep their generator in ``_iterator``. ``message_delta``
    counts are cumulative: they replace, never add to, those of ``message_start``."""

    __slots__ = ("chars", "ended", "final", "model", "u")

    iterator = "_iterator"

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
            self.chars += len(getattr(event.delta, "text", None) or "")
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
        self.u.update((n, v) for n in _COUNTS if (v := getattr(u, n, None)) is not None)

    def usage(self) -> Usage | None:
        requested = self.call.kwargs.get("model")
        if self.model is None and requested is None:
            return None  # closed before message_start, request unknown: nothing to say
        counts = partial(_usage, self.stream, self.model, requested)
        if self.ended:  # a count missing from the events, or mistyped, is estimated
            return read.reported(self.call, self.model, self.u, self.chars, counts, _NAMES)
        usage = counts(self.u)  # closed early: message_delta (the output count) never came
        inp = usage.input_tokens
        return usage._replace(
            input_tokens=inp or request_tokens(self.call),
            output_tokens=max(usage.output_tokens, chars_to_tokens(self.chars)),
            warnings=(_EARLY,) if inp else (_EARLY, read.ESTIMATED_INPUT),
        )

    def extra(self) -> tuple[object, ...]:
        return (self.final,) if self.final is not None else ()


REQUEST = Request(where, text=("messages", "system"), max_tokens=("max_tokens",))


def _methods(module: str, endpoint: str) -> list[Target]:
    """create/parse (answers, raw streams) and stream() (only the before-sending check: its
    stream is tapped when the manager is entered), sync and async."""
    kinds = (("create", message_usage, MessageEvents), ("parse", message_usage, None),
             ("stream", None, None))  # fmt: skip
    return [Target(module, f"{p}Messages.{m}", f"{endpoint}.{m}", usage, stream, REQUEST)
            for p in ("", "Async") for m, usage, stream in kinds]  # fmt: skip


def _managers(module: str, prefix: str, endpoint: str) -> list[Target]:
    """``with client.messages.stream(...) as s``: entering it returns the MessageStream to tap."""
    enter = ("MessageStreamManager.__enter__", "AsyncMessageStreamManager.__aenter__")
    return [Target(module, prefix + m, endpoint, stream=MessageEvents) for m in enter]


_LIB = "anthropic.lib.streaming"

TARGETS: list[Target] = [
    *_methods("anthropic.resources.messages.messages", "messages"),
    *_methods("anthropic.resources.messages", "messages"),  # single-module layout
    *_methods("anthropic.resources.beta.messages.messages", "beta.messages"),
    *_managers(f"{_LIB}._messages", "", "messages.stream"),
    *_managers(f"{_LIB}._beta_messages", "Beta", "beta.messages.stream"),
]
