"""Cohere adapter: v1 ``Client.chat``/``chat_stream`` and v2 ``ClientV2.chat``/``chat_stream``,
sync and async (cohere >= 5).

Cohere answers do not name the model: it comes from the request's ``model`` argument. Token
counts arrive as floats and are cast to int (``first_int``). Streams are plain (async)
generators; usage is on the v1 ``stream-end`` event and the v2 ``message-end`` event.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.contract import Accumulator, Builder, Call, Request, Target
from tokenprint.instrument.read import field, first_int, host_of, reported, usage_for
from tokenprint.records import Usage

__all__ = ["TARGETS", "where"]

_NAMES = ("input_tokens", "output_tokens")


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: the base URL of the client (or raw client) the call was made on."""
    inst = call.instance
    wrapper = getattr(inst, "_client_wrapper", None) or getattr(
        getattr(inst, "_raw_client", None), "_client_wrapper", None
    )
    get = getattr(wrapper, "get_base_url", None)
    return "cohere", (host_of(get()) if get is not None else None)


def _counted(call: Call, counts: Any, chars: int | None) -> Usage:
    """From a v1 ``meta`` or a v2 ``usage`` (an object, or a dict in early cohere 5.x):
    ``tokens``, else ``billed_units``, and ``cached_tokens``; else estimated from the request
    and the answer's ``chars`` (``read.reported``)."""
    tokens = field(counts, "tokens") or field(counts, "billed_units")
    return reported(call, None, tokens, chars, partial(_tokens, call, counts), _NAMES)


def _tokens(call: Call, counts: Any, tokens: Any) -> Usage:
    inp, out = (first_int(tokens, name) for name in _NAMES)
    cached = first_int(counts, "cached_tokens")
    return usage_for(call, None, input_tokens=inp, output_tokens=out, cached_tokens=cached)


def response_usage(call: Call, resp: Any) -> Builder | None:
    """A v1 ``NonStreamedChatResponse`` (``meta``, ``text``) or a v2 chat response
    (``usage``, ``message``); None for anything else."""
    counts = field(resp, "usage") or field(resp, "meta")
    text = field(resp, "text")  # v1; v2: the message, read when the Usage is built
    text = text if text is not None else field(resp, "message")
    return None if counts is None and text is None else partial(_answer, call, counts, text)


def _answer(call: Call, counts: Any, text: Any) -> Usage:
    """A chat answer's Usage, its text (for an estimate) from v1's ``text`` or the text items
    of a v2 message's ``content`` (none to read in a message of tool calls only)."""
    if isinstance(text, str):
        return _counted(call, counts, len(text))
    content = field(text, "content")
    if content is None:
        return _counted(call, counts, None)
    chars = sum(len(t) for c in content if isinstance(t := field(c, "text"), str))
    return _counted(call, counts, chars)


def _data(http_response: Any) -> Any:
    """What the public method hands over from the raw client's ``HttpResponse``."""
    return getattr(http_response, "data", None)


def raw_usage(call: Call, http_response: Any) -> Builder | None:
    """The raw client's ``HttpResponse`` (recent cohere releases): usage of its ``.data``."""
    data = _data(http_response)
    return response_usage(call, data) if data is not None else None


class Events(Accumulator):
    """v1 events (``event_type``) and v2 events (``type``)."""

    __slots__ = ("chars", "counts", "started")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars = 0
        self.counts: Any = None
        self.started = False

    def add(self, event: Any) -> bool:
        self.started = True
        kind = getattr(event, "type", None) or getattr(event, "event_type", None)
        if kind == "text-generation":  # v1
            self.chars += len(getattr(event, "text", "") or "")
        elif kind == "content-delta":  # v2
            message = getattr(getattr(event, "delta", None), "message", None)
            self.chars += len(getattr(getattr(message, "content", None), "text", "") or "")
        elif kind == "stream-end":  # v1
            self.counts = getattr(getattr(event, "response", None), "meta", None)
            return True
        elif kind == "message-end":  # v2
            self.counts = getattr(getattr(event, "delta", None), "usage", None)
            return True
        return False

    def usage(self) -> Usage | None:
        if not self.started:
            return None  # the request failed before any event (HTTP error, timeout)
        return _counted(self.call, self.counts, self.chars)


REQUEST = Request(
    where, text=("message", "messages", "preamble", "chat_history"), max_tokens=("max_tokens",)
)

_PUBLIC = (
    ("cohere.base_client", ("BaseCohere", "AsyncBaseCohere"), ""),  # v1 Client
    ("cohere.v2.client", ("V2Client", "AsyncV2Client"), "v2."),  # ClientV2, Client().v2
)
# Client.__init__ binds self.chat per instance (its argument checks), so a client built before
# init() never calls the patched method: its raw client's chat is patched too (nested under the
# public one otherwise, and then ignored, so counted once). Streams are not covered.
_RAW = (
    ("cohere.raw_base_client", ("RawBaseCohere", "AsyncRawBaseCohere"), ""),
    ("cohere.v2.raw_client", ("RawV2Client", "AsyncRawV2Client"), "v2."),
)

TARGETS = [
    *(Target(module, f"{cls}.{method}", prefix + method, response_usage, Events, REQUEST)
      for module, classes, prefix in _PUBLIC for cls in classes
      for method in ("chat", "chat_stream")),
    *(Target(module, f"{cls}.chat", prefix + "chat", raw_usage, None, REQUEST, carrier=_data)
      for module, classes, prefix in _RAW for cls in classes),
]  # fmt: skip
