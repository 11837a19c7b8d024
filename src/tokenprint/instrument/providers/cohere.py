"""Cohere adapter: v1 ``Client.chat``/``chat_stream`` and v2 ``ClientV2.chat``/``chat_stream``,
sync and async (cohere >= 5).

Cohere answers do not name the model: it comes from the request's ``model`` argument. Token
counts arrive as floats and are cast to int (``first_int``). Streams are plain (async)
generators; usage is on the v1 ``stream-end`` event and the v2 ``message-end`` event. Only
reads SDK objects; the core does the rest.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.core import (
    ESTIMATED_OUTPUT,
    Accumulator,
    Call,
    Target,
    chars_to_tokens,
    first_int,
    host_of,
    text_tokens,
    text_usage,
)
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]


def _host(resource: Any) -> str | None:
    wrapper = getattr(resource, "_client_wrapper", None) or getattr(
        getattr(resource, "_raw_client", None), "_client_wrapper", None
    )
    get = getattr(wrapper, "get_base_url", None)
    return host_of(get()) if get is not None else None


def _request_tokens(call: Call) -> int:
    k = call.kwargs
    return text_tokens(
        k.get("message"), k.get("messages"), k.get("preamble"), k.get("chat_history")
    )


def _field(obj: Any, name: str) -> Any:
    """An attribute, or a key: early cohere 5.x keeps ``meta`` as a plain dict."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _counted(resource: Any, model: Any, counts: Any) -> Usage:
    """From a v1 ``meta`` or a v2 ``usage`` (``tokens``, else ``billed_units``, and
    ``cached_tokens``); ``resource``: what the method is bound to."""
    tokens = _field(counts, "tokens") or _field(counts, "billed_units")
    return text_usage(
        "cohere", model, first_int(tokens, "input_tokens"), first_int(tokens, "output_tokens"),
        first_int(counts, "cached_tokens"), host=_host(resource), requested_model=model,
    )  # fmt: skip


def response_usage(call: Call, resp: Any) -> partial[Usage] | None:
    """A v1 NonStreamedChatResponse (``meta``) or a v2 chat response (``usage``): a builder
    (``Target.usage``), called when the impacts are read."""
    counts = getattr(resp, "usage", None) or getattr(resp, "meta", None)
    if counts is None:
        return None
    return partial(_counted, call.instance, call.kwargs.get("model"), counts)


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
            content = getattr(message, "content", None)
            self.chars += len(getattr(content, "text", "") or "")
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
        call = self.call
        model = call.kwargs.get("model")
        if self.counts is not None:
            return _counted(call.instance, model, self.counts)
        return text_usage(  # the stream ended early: estimated from the streamed text
            "cohere", model, _request_tokens(call), chars_to_tokens(self.chars),
            host=_host(call.instance), requested_model=model, warnings=(ESTIMATED_OUTPUT,),
        )  # fmt: skip


def pending(call: Call) -> Pending:
    k = call.kwargs
    return Pending(
        "cohere", k.get("model"), k.get("max_tokens"), _request_tokens(call), _host(call.instance),
        call.target.endpoint,
    )  # fmt: skip


def _data(http_response: Any) -> Any:
    return getattr(http_response, "data", None)


def raw_usage(call: Call, http_response: Any) -> partial[Usage] | None:
    """The raw client's ``HttpResponse`` (recent cohere releases): usage of its ``.data``."""
    data = _data(http_response)
    return response_usage(call, data) if data is not None else None


def _targets() -> list[Target]:
    out = []
    for module, classes, prefix in (
        ("cohere.base_client", ("BaseCohere", "AsyncBaseCohere"), ""),  # v1 Client
        ("cohere.v2.client", ("V2Client", "AsyncV2Client"), "v2."),  # ClientV2, Client().v2
    ):
        for cls in classes:
            for method in ("chat", "chat_stream"):
                out.append(
                    Target(
                        module, f"{cls}.{method}", prefix + method, response_usage, Events, pending
                    )
                )
    # Client.__init__ binds self.chat per instance (its argument checks), so a client built
    # before init() never calls the patched method: its raw client's chat is patched too
    # (nested under the public one otherwise, so counted once). Streams are not covered.
    for module, classes, prefix in (
        ("cohere.raw_base_client", ("RawBaseCohere", "AsyncRawBaseCohere"), ""),
        ("cohere.v2.raw_client", ("RawV2Client", "AsyncRawV2Client"), "v2."),
    ):
        for cls in classes:
            out.append(
                Target(
                    module, f"{cls}.chat", prefix + "chat", raw_usage, None, pending, carrier=_data
                )
            )
    return out


TARGETS = _targets()
