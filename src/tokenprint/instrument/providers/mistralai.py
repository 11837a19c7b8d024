"""Mistral AI adapter: chat (complete, stream, parse), FIM and agents, sync and async.

Covers mistralai 3.x (``mistralai.client``, with ``mistralai.azure``/``mistralai.gcp``) and
1.x/2.x (``mistralai``): the same targets are listed under each layout and the missing ones
are skipped. ``Chat.parse`` rebuilds its answer from ``complete``'s, so it is a target of its
own: the nested ``complete`` is collected into ``call.inner`` and ignored, the parsed answer
read instead. Streams yield ``CompletionEvent``s holding the chunk in ``.data``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.contract import Builder, Call, Request, Target
from tokenprint.instrument.read import ChatChunks, chat_answer, field, host_of

__all__ = ["TARGETS", "where"]


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: the ``server_url=`` of the call, else the client's (Azure and
    Google Cloud hosts pick their data centre)."""
    server_url = call.get("server_url")
    if not server_url:
        config = getattr(call.instance, "sdk_configuration", None)
        server_url = getattr(config, "server_url", None)  # set: what get_server_details() returns
        if not server_url:
            details = getattr(config, "get_server_details", None)
            server_url = details()[0] if details is not None else None
    return "mistralai", host_of(server_url)


def response_usage(call: Call, resp: Any) -> Builder | None:
    """A ChatCompletionResponse (parsed or not) or FIMCompletionResponse. ``call.inner`` (the
    ``complete`` nested in ``parse``) is ignored: the parsed answer carries the same usage."""
    if not hasattr(resp, "usage") or not hasattr(resp, "choices"):
        return None
    return partial(chat_answer, call, field(resp, "model"), field(resp, "usage"), resp.choices)


class Chunks(ChatChunks):
    """``CompletionEvent``s: the chunk is ``event.data`` (it gets the impacts too, beside the
    event); usage on the final chunk."""

    __slots__ = ()

    inside = "data"
    iterator = "generator"  # EventStream[Async] (3.x); 1.x returns plain generators

    def extra(self) -> tuple[Any, ...]:
        return (self.inner,) if self.inner is not None else ()


REQUEST = Request(where, text=("messages", "prompt", "suffix"), max_tokens=("max_tokens",))

# 3.x, 1.x/2.x, then 3.x's Azure and Google Cloud clients (chat only)
_PACKAGES = ("mistralai.client", "mistralai", "mistralai.azure.client", "mistralai.gcp.client")
_RESOURCES = (
    ("chat", "Chat", ("complete", "stream", "parse")),
    ("fim", "Fim", ("complete", "stream")),
    ("agents", "Agents", ("complete", "stream")),
)

TARGETS = [
    Target(f"{package}.{module}", f"{cls}.{name}{suffix}", f"{module}.{name}{suffix}",
           response_usage, Chunks, REQUEST)
    for package in _PACKAGES
    for module, cls, methods in _RESOURCES
    for name in methods
    for suffix in ("", "_async")
]  # fmt: skip
