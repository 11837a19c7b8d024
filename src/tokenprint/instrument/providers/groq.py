"""Groq adapter: ``chat.completions.create`` and ``embeddings.create``, sync and async,
``stream=True`` included.

The groq SDK is Stainless-generated: OpenAI-shaped answers on a client whose base URL names
the host (``api.groq.com``, the ``groq`` data centre; a proxy or a local server keeps its
own profile). A stream reports its usage in ``x_groq.usage`` on its last chunk, and in
``usage`` too when ``stream_options={"include_usage": True}`` is set.
"""

from __future__ import annotations

from typing import Any

from tokenprint.instrument import read
from tokenprint.instrument.contract import Call, Request, Target
from tokenprint.instrument.read import ChatChunks

__all__ = ["TARGETS"]


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: the client the call was made on."""
    return read.client_site(call.instance, "groq")


class ChatStream(ChatChunks):
    """OpenAI-shaped chunks; the last one carries the usage in ``x_groq.usage`` (and in
    ``usage`` with ``include_usage``)."""

    __slots__ = ()

    def usage_in(self, c: Any) -> Any:
        u = read.field(c, "usage")
        if u is not None:
            return u
        x_groq = read.field(c, "x_groq")
        return read.field(x_groq, "usage") if x_groq is not None else None


CHAT = Request(where, text=("messages",),
               max_tokens=("max_completion_tokens", "max_tokens"))  # fmt: skip
EMBEDDING = Request(where, text=("input",), modality="embedding")

_CHAT = "groq.resources.chat.completions"
_EMBEDDINGS = "groq.resources.embeddings"
TARGETS = [
    *(Target(_CHAT, f"{c}.create", "chat.completions.create", read.chat_usage, ChatStream, CHAT)
      for c in ("Completions", "AsyncCompletions")),
    *(Target(_EMBEDDINGS, f"{c}.create", "embeddings.create", read.embedding_usage, None, EMBEDDING)
      for c in ("Embeddings", "AsyncEmbeddings")),
]  # fmt: skip
