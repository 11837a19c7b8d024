"""Mistral AI adapter for embeddings: ``embeddings.create`` / ``create_async``.

``EmbeddingResponse.usage.prompt_tokens`` counts the embedded tokens (``mistral-embed``,
``codestral-embed``). Listed under the 3.x layout (``mistralai.client``) and the 1.x/2.x one
(``mistralai``); the missing one is skipped. Only reads SDK objects; the core does the rest.
"""

from __future__ import annotations

from typing import Any

from tokenprint.instrument.core import Call, Target, first_int, text_tokens
from tokenprint.instrument.providers.mistralai import _host
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]


def embedding_usage(call: Call, resp: Any) -> Usage | None:
    """An ``EmbeddingResponse``."""
    if not hasattr(resp, "data") or not hasattr(resp, "usage"):
        return None
    requested = call.kwargs.get("model")
    return Usage(
        "mistralai",
        getattr(resp, "model", None) or requested,
        first_int(resp.usage, "prompt_tokens", "total_tokens"),
        host=_host(call),
        modality="embedding",
        requested_model=requested,
    )


def pending(call: Call) -> Pending:
    tokens = text_tokens(call.kwargs.get("inputs"))
    endpoint = call.target.endpoint
    return Pending(
        "mistralai", call.kwargs.get("model"), None, tokens, _host(call), endpoint, "embedding"
    )


TARGETS: list[Target] = [
    Target(
        f"{package}.embeddings",
        f"Embeddings.{name}",
        f"embeddings.{name}",
        embedding_usage,
        pending=pending,
    )
    for package in ("mistralai.client", "mistralai")
    for name in ("create", "create_async")
]
