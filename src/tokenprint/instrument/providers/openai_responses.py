"""OpenAI Responses API: ``responses.create`` (streamed or not), ``responses.parse`` and the
``responses.stream()`` helper, on the clients :mod:`.openai` recognises."""

from __future__ import annotations

from typing import Any

from tokenprint.instrument.contract import Accumulator, Call
from tokenprint.instrument.providers.openai import both, stream_helper, usage_of
from tokenprint.records import Usage

__all__ = ["TARGETS"]

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
        model = getattr(r, "model", None) or self.model
        return usage_of(self.call, self.stream, model, getattr(r, "usage", None), self.chars)


_RESP = "openai.resources.responses.responses"
_RESP_OLD = "openai.resources.responses"  # releases before resources became packages

TARGETS = [
    *both(_RESP, "Responses", "create", "responses.create", ResponsesStream),
    *both(_RESP_OLD, "Responses", "create", "responses.create", ResponsesStream),
    *both(_RESP, "Responses", "parse", "responses.parse", None),
    *both(_RESP_OLD, "Responses", "parse", "responses.parse", None),
    *stream_helper("openai.lib.streaming.responses._responses", "ResponseStreamManager",
                   "responses.stream", "get_final_response"),
]  # fmt: skip
