"""OpenAI Responses API: ``responses.create`` (streamed or not), ``responses.parse`` and the
``responses.stream()`` helper, on the clients :mod:`.openai` recognises."""

from __future__ import annotations

from typing import Any

from tokenprint.instrument.providers.openai import TextStream, both, stream_helper

__all__ = ["TARGETS"]

_DONE = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponsesStream(TextStream):
    """Responses API events: usage from the terminal event's ``response.usage``."""

    __slots__ = ()

    def add(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if kind == "response.output_text.delta":
            self.chars += len(event.delta or "")
        elif kind in _DONE:
            self.model = getattr(event.response, "model", None) or self.model
            self.u = getattr(event.response, "usage", None)
            return True
        elif kind == "response.created":
            self.model = event.response.model
        return False


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
