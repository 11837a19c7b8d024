"""Mistral AI adapter: chat (complete, stream, parse), FIM and agents, sync and async.

Covers mistralai 3.x (``mistralai.client``, with ``mistralai.azure``/``mistralai.gcp``) and
1.x/2.x (``mistralai``): the same targets are listed under each layout and the missing ones
are skipped. Mistral responses forbid extra
attributes; the core attaches ``impacts`` with ``object.__setattr__``. ``Chat.parse`` rebuilds
its answer from ``complete``'s, so it is a target of its own (the nested ``complete`` passes
through). Only reads SDK objects; the core does the rest.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.core import (
    ESTIMATED_OUTPUT,
    Call,
    ChatChunks,
    Target,
    chars_to_tokens,
    first_int,
    host_of,
    text_tokens,
    text_usage,
)
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]


def _host(call: Call) -> str | None:
    """Host the request went to: ``server_url=`` of the call, else the client's."""
    return _sent_to(call.instance, call.kwargs.get("server_url"))


def _sent_to(instance: Any, server_url: Any) -> str | None:
    """:func:`_host` of a call on ``instance`` with ``server_url``."""
    if not server_url:
        config = getattr(instance, "sdk_configuration", None)
        server_url = getattr(config, "server_url", None)  # set: what get_server_details() returns
        if not server_url:
            details = getattr(config, "get_server_details", None)
            server_url = details()[0] if details is not None else None
    return host_of(server_url)


def _cached(u: Any) -> int:
    """Cached prompt tokens: not a typed field; the API's ``prompt_tokens_details`` lands in
    the model's extras (``UsageInfo`` allows them)."""
    extra = getattr(u, "__pydantic_extra__", None)
    details = extra.get("prompt_tokens_details") if extra else None
    return first_int(details, "cached_tokens") if details is not None else 0


def _counted(instance: Any, requested: Any, server_url: Any, model: Any, u: Any) -> Usage:
    """The Usage of an answer that reported its usage ``u`` (a ``UsageInfo``, whose fields
    sit in its ``__dict__``: read there, with :func:`first_int` for anything else)."""
    counts = getattr(u, "__dict__", None)
    inp = counts.get("prompt_tokens") if counts is not None else None
    out = counts.get("completion_tokens") if counts is not None else None
    if type(inp) is not int:
        inp = first_int(u, "prompt_tokens")
    if type(out) is not int:
        out = first_int(u, "completion_tokens")
    return text_usage(
        "mistralai", model or requested, inp, out, _cached(u),
        host=_sent_to(instance, server_url), requested_model=requested,
    )  # fmt: skip


def _usage(call: Call, model: Any, u: Any, chars: int = -1) -> Usage:
    k = call.kwargs
    requested = k.get("model")
    if u is not None:
        return _counted(call.instance, requested, k.get("server_url"), model, u)
    estimated = chars >= 0  # a stream without usage: estimated from the texts
    return text_usage(
        "mistralai", model or requested, _request_tokens(call) if estimated else 0,
        chars_to_tokens(chars) if estimated else 0, host=_host(call),
        requested_model=requested, warnings=(ESTIMATED_OUTPUT,) if estimated else (),
    )  # fmt: skip


def _request_tokens(call: Call) -> int:
    k = call.kwargs
    return text_tokens(k.get("messages"), k.get("prompt"), k.get("suffix"))


def response_usage(call: Call, resp: Any) -> Usage | partial[Usage] | None:
    """A ChatCompletionResponse (parsed or not) or FIMCompletionResponse.

    Its fields are read from the model's ``__dict__``: each ``hasattr``/``getattr`` on it
    looks the name up along the class's MRO, and a mistralai call builds pydantic model
    classes (``create_model``) that leave CPython's type-lookup cache cold. When it reports
    its usage, the Usage is built on first read (:class:`~tokenprint.instrument.core.Target`,
    ``usage``): the call only takes references. Both measured with
    ``bench_providers.bench_cold``-style timing right after real calls: about 4 µs and 15 µs
    less per request."""
    d = getattr(resp, "__dict__", None) or {}
    u = d.get("usage", _ABSENT)
    if u is _ABSENT or "choices" not in d:  # not a pydantic answer: by attribute
        if not hasattr(resp, "usage") or not hasattr(resp, "choices"):
            return None
        return _usage(call, getattr(resp, "model", None), resp.usage)
    if u is None:
        return _usage(call, d.get("model"), None)
    k = call.kwargs
    return partial(_counted, call.instance, k.get("model"), k.get("server_url"), d.get("model"), u)


_ABSENT = object()


class Chunks(ChatChunks):
    """``CompletionEvent``s: the chunk is ``event.data`` (it gets the impacts too, beside the
    event); usage on the final chunk."""

    __slots__ = ()

    inside = "data"

    def extra(self) -> tuple[Any, ...]:
        return (self.inner,) if self.inner is not None else ()

    def usage(self) -> Usage | None:
        return _usage(self.call, self.model, self.u, self.chars)


def pending(call: Call) -> Pending:
    k = call.kwargs
    return Pending(
        "mistralai", k.get("model"), k.get("max_tokens"), _request_tokens(call),
        _host(call), call.target.endpoint,
    )  # fmt: skip


def _targets() -> list[Target]:
    out = []
    # 3.x, 1.x/2.x, then 3.x's Azure and Google Cloud clients (chat only; their host picks
    # the data centre)
    for package in (
        "mistralai.client",
        "mistralai",
        "mistralai.azure.client",
        "mistralai.gcp.client",
    ):
        for module, cls, methods in (
            ("chat", "Chat", ("complete", "stream", "parse")),
            ("fim", "Fim", ("complete", "stream")),
            ("agents", "Agents", ("complete", "stream")),
        ):
            for name in methods:
                for suffix in ("", "_async"):
                    out.append(
                        Target(
                            f"{package}.{module}",
                            f"{cls}.{name}{suffix}",
                            f"{module}.{name}{suffix}",
                            response_usage,
                            Chunks,
                            pending,
                            iterator="generator",  # EventStream[Async] (3.x); 1.x: generators
                        )
                    )
    return out


TARGETS = _targets()
