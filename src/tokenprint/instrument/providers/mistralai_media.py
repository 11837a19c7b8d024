"""Mistral AI adapter for embeddings: ``embeddings.create`` / ``create_async``.

``EmbeddingResponse.usage.prompt_tokens`` counts the embedded tokens (``mistral-embed``,
``codestral-embed``). Listed under the 3.x layout (``mistralai.client``) and the 1.x/2.x one
(``mistralai``); the missing one is skipped.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.contract import Builder, Call, Request, Target
from tokenprint.instrument.providers.mistralai import where
from tokenprint.instrument.read import field, first_int
from tokenprint.records import Usage

__all__ = ["TARGETS"]


def _embedding(call: Call, model: Any, u: Any) -> Usage:
    provider, host = where(call)
    requested = call.get("model")
    return Usage(
        provider,
        model or requested,
        input_tokens=first_int(u, "prompt_tokens", "total_tokens"),
        host=host,
        modality="embedding",
        requested_model=requested,
    )


def embedding_usage(call: Call, resp: Any) -> Builder | None:
    """An ``EmbeddingResponse``."""
    if not hasattr(resp, "data") or not hasattr(resp, "usage"):
        return None
    return partial(_embedding, call, field(resp, "model"), field(resp, "usage"))


EMBEDDING = Request(where, text=("inputs",), modality="embedding")

TARGETS: list[Target] = [
    Target(f"{package}.embeddings", f"Embeddings.{name}", f"embeddings.{name}",
           embedding_usage, request=EMBEDDING)
    for package in ("mistralai.client", "mistralai")
    for name in ("create", "create_async")
]  # fmt: skip
