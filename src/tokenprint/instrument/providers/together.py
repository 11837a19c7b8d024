"""Together AI adapter (together 2.x and later, Stainless-generated):
``chat.completions.create``, ``completions.create`` and ``embeddings.create``, sync and
async, ``stream=True`` included.

Answers are OpenAI-shaped; a stream's usage comes on its last chunk (read by
:class:`~tokenprint.instrument.read.ChatChunks` as is). Embedding answers
carry no usage: their input tokens are estimated from the request's text. The client's base
URL names the host (``api.together.xyz``, the ``together`` data centre).
"""

from __future__ import annotations

from tokenprint.instrument import read
from tokenprint.instrument.contract import Call, Request, Target
from tokenprint.instrument.read import ChatChunks

__all__ = ["TARGETS"]


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: the client the call was made on."""
    return read.client_site(call.instance, "together")


TEXT = Request(where, text=("messages", "prompt"), max_tokens=("max_tokens",))
EMBEDDING = Request(where, text=("input",), modality="embedding")

_R = "together.resources."
_RESOURCES = (
    (_R + "chat.completions", "Completions", "chat.completions", read.chat_usage, ChatChunks, TEXT),
    (_R + "completions", "Completions", "completions", read.chat_usage, ChatChunks, TEXT),
    (_R + "embeddings", "Embeddings", "embeddings", read.embedding_usage, None, EMBEDDING),
)
TARGETS = [
    Target(module, f"{prefix}{cls}Resource.create", f"{endpoint}.create", usage, stream, request)
    for module, cls, endpoint, usage, stream, request in _RESOURCES
    for prefix in ("", "Async")
]
