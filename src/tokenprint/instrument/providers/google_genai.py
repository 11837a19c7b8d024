"""Google Gen AI adapter: ``models.generate_content`` and ``generate_content_stream``, sync
and ``aio`` (chats' ``send_message[_stream]`` go through them), google-genai >= 1.0.

Output = candidates + thoughts tokens; input = prompt (+ tool-use prompt) tokens, of which
``cached_content_token_count`` are cached. One user call may make several HTTP calls
(automatic function calling, automatic continuation): the private ``_generate_content`` (one
per HTTP call) is a target too, and ``generate_content`` sums what it collected
(``collect_inner``). In a stream, ``usage_metadata`` is a running total per HTTP call; calls
are told apart by ``response_id``. Responses forbid extra attributes; the core attaches
``impacts`` with ``object.__setattr__``. Only reads SDK objects; the core does the rest.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.core import (
    Accumulator,
    Call,
    Target,
    combined,
    first_int,
    host_of,
    text_tokens,
    text_usage,
)
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]


def _host(models: Any) -> str | None:
    opts = getattr(getattr(models, "_api_client", None), "_http_options", None)
    url = opts.get("base_url") if isinstance(opts, dict) else getattr(opts, "base_url", None)
    return host_of(url)  # generativelanguage.googleapis.com, or *aiplatform.googleapis.com


def _usage(models: Any, requested: Any, model: Any, meta: Any) -> Usage:
    """The Usage of one HTTP call from its ``usage_metadata``; ``models``: the resource."""
    thoughts = first_int(meta, "thoughts_token_count")
    return text_usage(
        "google",
        model or requested,
        first_int(meta, "prompt_token_count") + first_int(meta, "tool_use_prompt_token_count"),
        first_int(meta, "candidates_token_count") + thoughts,
        first_int(meta, "cached_content_token_count"),
        thoughts,
        host=_host(models),
        requested_model=requested,
    )


def _total(inner: list[Usage | partial[Usage]]) -> Usage:
    usage = combined(inner)
    assert usage is not None  # built only for a non-empty list
    return usage


def response_usage(call: Call, resp: Any) -> partial[Usage] | None:
    """A GenerateContentResponse: the sum over the HTTP calls collected for this user call,
    else its own ``usage_metadata`` (one call, or a private hop target). Both are builders:
    the Usage is made when the impacts are read."""
    if call.inner:
        return partial(_total, call.inner)
    if not hasattr(resp, "candidates"):
        return None
    model, meta = getattr(resp, "model_version", None), getattr(resp, "usage_metadata", None)
    return partial(_usage, call.instance, call.kwargs.get("model"), model, meta)


class Chunks(Accumulator):
    """Keeps the last ``usage_metadata`` of each HTTP call (running totals). A call that
    follows a ``CONTINUATION`` already includes the previous calls' usage (the SDK adds them
    up), so the previous ones are dropped rather than added."""

    __slots__ = ("continued", "done", "meta", "model", "rid")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.done: list[Any] = []
        self.meta: Any = None
        self.model: str | None = None
        self.rid: Any = None
        self.continued = False

    def add(self, chunk: Any) -> bool:
        rid = getattr(chunk, "response_id", None)
        if rid != self.rid:
            if self.meta is not None and not self.continued:
                self.done.append(self.meta)
            self.rid, self.meta = rid, None
        meta = chunk.usage_metadata
        if meta is not None:
            self.meta = meta
        self.model = getattr(chunk, "model_version", None) or self.model
        candidates = chunk.candidates
        reason = candidates[0].finish_reason if candidates else None
        if reason is not None:
            self.continued = reason == "CONTINUATION"
        return False

    def usage(self) -> Usage | None:
        metas = [*self.done, self.meta] if self.meta is not None else self.done
        call = self.call
        requested = call.kwargs.get("model")
        return combined(_usage(call.instance, requested, self.model, m) for m in metas)


def pending(call: Call) -> Pending:
    k = call.kwargs
    config = k.get("config")
    limit = (
        config.get("max_output_tokens")
        if isinstance(config, dict)
        else getattr(config, "max_output_tokens", None)
    )
    return Pending(
        "google", k.get("model"), limit, text_tokens(k.get("contents")), _host(call.instance),
        call.target.endpoint,
    )  # fmt: skip


TARGETS = [
    Target("google.genai.models", f"{cls}.{method}", f"models.{method}", response_usage,
           Chunks, pending, collect_inner=method == "generate_content")
    for cls in ("Models", "AsyncModels")
    for method in ("generate_content", "_generate_content", "generate_content_stream")
]  # fmt: skip
