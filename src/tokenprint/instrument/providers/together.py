"""Together AI adapter (together 2.x and later, Stainless-generated):
``chat.completions.create``, ``completions.create`` and ``embeddings.create``, sync and
async, ``stream=True`` included.

Answers are OpenAI-shaped; a stream's usage comes on its last chunk. Embedding answers
carry no usage: their input tokens are estimated from the request's text. The client's base
URL names the host (``api.together.xyz``, the ``together`` data centre).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument import read
from tokenprint.instrument.contract import Builder, Call, Request, Target
from tokenprint.instrument.read import ChatChunks
from tokenprint.records import Usage

__all__ = ["TARGETS"]

_EMBEDDING_COUNTS = ("prompt_tokens", "total_tokens")


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: the client the call was made on."""
    return read.client_site(call.instance, "together")


def answer_usage(call: Call, answer: Any) -> Builder | None:
    """A ``ChatCompletion`` or ``Completion``; None for anything else (a raw response)."""
    if not hasattr(answer, "usage") or not hasattr(answer, "choices"):
        return None
    return partial(read.chat_answer, call, answer.model, answer.usage, answer.choices)


def embedding_usage(call: Call, answer: Any) -> Builder | None:
    """An ``Embedding`` answer (no usage in it: estimated from the input)."""
    if not hasattr(answer, "data") or not hasattr(answer, "model"):
        return None
    u = read.field(answer, "usage")
    return partial(read.embedded, call, answer.model, u, _EMBEDDING_COUNTS)


class Chunks(ChatChunks):
    """Chat chunks (``delta.content``) or completion chunks (``choices[].text``); usage on
    the last one."""

    __slots__ = ()

    def usage(self) -> Usage:
        return read.answered(self.call, self.model, self.u, self.chars)


TEXT = Request(where, text=("messages", "prompt"), max_tokens=("max_tokens",))
EMBEDDING = Request(where, text=("input",), modality="embedding")

_R = "together.resources."
_RESOURCES = (
    (_R + "chat.completions", "Completions", "chat.completions", answer_usage, Chunks, TEXT),
    (_R + "completions", "Completions", "completions", answer_usage, Chunks, TEXT),
    (_R + "embeddings", "Embeddings", "embeddings", embedding_usage, None, EMBEDDING),
)
TARGETS = [
    Target(module, f"{prefix}{cls}Resource.create", f"{endpoint}.create", usage, stream, request)
    for module, cls, endpoint, usage, stream, request in _RESOURCES
    for prefix in ("", "Async")
]
