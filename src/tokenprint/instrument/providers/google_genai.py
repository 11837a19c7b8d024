"""Google Gen AI adapter: ``models.generate_content`` and ``generate_content_stream``, sync
and ``aio`` (chats' ``send_message[_stream]`` go through them), google-genai >= 1.0.

Output = candidates + thoughts tokens; input = prompt (+ tool-use prompt) tokens, of which
``cached_content_token_count`` are cached. One user call may make several HTTP calls
(automatic function calling, automatic continuation): the private ``_generate_content`` (one
per HTTP call) is a target too, and ``generate_content`` sums the calls nested in it. In a
stream, ``usage_metadata`` is a running total per HTTP call; calls are told apart by
``response_id``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.contract import Accumulator, Builder, Call, Request, Target
from tokenprint.instrument.read import combined, first_int, host_of, reported, usage_for
from tokenprint.records import Usage

__all__ = ["REQUEST", "TARGETS", "where"]

_NAMES = ("prompt_token_count", "total_token_count")
"""The counts a usable ``usage_metadata`` holds (``candidates_token_count`` is left out when
nothing was generated: a blocked prompt, thoughts cut short by the output cap)."""


def _host(models: Any) -> str | None:
    opts = getattr(getattr(models, "_api_client", None), "_http_options", None)
    url = opts.get("base_url") if isinstance(opts, dict) else getattr(opts, "base_url", None)
    return host_of(url)  # generativelanguage.googleapis.com, or *aiplatform.googleapis.com


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: Google, at the base URL of the client the call was made on."""
    return "google", _host(call.instance)


def _usage(call: Call, model: Any, meta: Any, chars: int | None) -> Usage:
    """The Usage of one HTTP call from its ``usage_metadata``, else estimated from the
    request and the ``chars`` of its answer (``read.reported``)."""
    return reported(call, model, meta, chars, partial(_counted, call, model), _NAMES)


def _counted(call: Call, model: Any, meta: Any) -> Usage:
    prompt = first_int(meta, "prompt_token_count")
    thoughts = first_int(meta, "thoughts_token_count")
    return usage_for(
        call,
        model,
        input_tokens=prompt + first_int(meta, "tool_use_prompt_token_count"),
        output_tokens=first_int(meta, "candidates_token_count") + thoughts,
        cached_tokens=first_int(meta, "cached_content_token_count"),
        reasoning_tokens=thoughts,
    )


def _chars(candidates: Any) -> int:
    """Characters of the text parts of ``candidates`` (thoughts included)."""
    n = 0
    for candidate in candidates or ():
        for part in getattr(getattr(candidate, "content", None), "parts", None) or ():
            text = getattr(part, "text", None)
            if isinstance(text, str):
                n += len(text)
    return n


def _total(inner: list[Builder]) -> Usage:
    usage = combined(inner)
    assert usage is not None  # built only for a non-empty list
    return usage


def response_usage(call: Call, resp: Any) -> Builder | None:
    """A GenerateContentResponse: the sum over the HTTP calls nested in this user call, else
    its own ``usage_metadata`` (one call, or a nested ``_generate_content``)."""
    if call.inner:
        return partial(_total, call.inner)
    if not hasattr(resp, "candidates"):
        return None
    model, meta = getattr(resp, "model_version", None), getattr(resp, "usage_metadata", None)
    return partial(_answer, call, model, meta, resp.candidates)


def _answer(call: Call, model: Any, meta: Any, candidates: Any) -> Usage:
    return _usage(call, model, meta, _chars(candidates))


class Chunks(Accumulator):
    """Keeps the last ``usage_metadata`` of each HTTP call (running totals) and the
    characters of its text. A call that follows a ``CONTINUATION`` already includes the
    previous calls' usage (the SDK adds them up), so the previous ones are dropped rather
    than added, and their text carried over to it."""

    __slots__ = ("chars", "continued", "done", "meta", "model", "rid", "seen")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.done: list[tuple[Any, int]] = []
        self.meta: Any = None
        self.model: str | None = None
        self.rid: Any = None
        self.continued = self.seen = False
        self.chars = 0

    def add(self, chunk: Any) -> bool:
        rid = getattr(chunk, "response_id", None)
        if rid != self.rid or not self.seen:
            if self.seen and not self.continued:
                self.done.append((self.meta, self.chars))
                self.chars = 0
            self.rid, self.meta, self.seen = rid, None, True
        meta = chunk.usage_metadata
        if meta is not None:
            self.meta = meta
        self.model = getattr(chunk, "model_version", None) or self.model
        candidates = chunk.candidates
        self.chars += _chars(candidates)
        reason = candidates[0].finish_reason if candidates else None
        if reason is not None:
            self.continued = reason == "CONTINUATION"
        return False

    def usage(self) -> Usage | None:
        if not self.seen:
            return None  # no chunk came (an HTTP error, a timeout)
        calls = [*self.done, (self.meta, self.chars)]
        return combined(_usage(self.call, self.model, m, chars) for m, chars in calls)


REQUEST = Request(where, text=("contents",), max_tokens=("config.max_output_tokens",))

TARGETS = [
    Target("google.genai.models", f"{cls}.{method}", f"models.{method}", response_usage,
           Chunks, REQUEST)
    for cls in ("Models", "AsyncModels")
    for method in ("generate_content", "_generate_content", "generate_content_stream")
]  # fmt: skip
