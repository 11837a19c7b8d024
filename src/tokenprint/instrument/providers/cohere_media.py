"""Cohere adapter for embeddings: v1 ``Client.embed`` and v2 ``ClientV2.embed``, sync and
async (cohere >= 5).

The v1 ``Client.embed`` splits long inputs into batches of 96 texts, calls
``BaseCohere.embed`` once per batch (in a thread pool) and merges the answers, summing their
billed tokens. Only that outer layer is patched, so a request is counted once with the sum.
Cohere answers do not name the model: it comes from the request.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.contract import Builder, Call, Request, Target
from tokenprint.instrument.providers.cohere import where
from tokenprint.instrument.read import first_int
from tokenprint.records import Usage

__all__ = ["TARGETS"]


def _embed_usage(call: Call, meta: Any) -> Usage:
    """Tokens from ``meta.tokens`` (processed), else ``meta.billed_units``."""
    tokens = first_int(getattr(meta, "tokens", None), "input_tokens") or first_int(
        getattr(meta, "billed_units", None), "input_tokens"
    )
    provider, host = where(call)
    model = call.kwargs.get("model")
    return Usage(
        provider,
        model,
        input_tokens=tokens,
        host=host,
        modality="embedding",
        requested_model=model,
    )


def embed_usage(call: Call, resp: Any) -> Builder | None:
    """A v1 ``EmbedResponse`` or v2 ``EmbedByTypeResponse``."""
    if not hasattr(resp, "embeddings"):
        return None
    return partial(_embed_usage, call, getattr(resp, "meta", None))


EMBEDDING = Request(where, text=("texts", "inputs"), modality="embedding")

TARGETS: list[Target] = [
    Target(module, f"{cls}.embed", endpoint, embed_usage, request=EMBEDDING)
    for module, cls, endpoint in (
        ("cohere.client", "Client", "embed"),
        ("cohere.client", "AsyncClient", "embed"),
        ("cohere.v2.client", "V2Client", "v2.embed"),
        ("cohere.v2.client", "AsyncV2Client", "v2.embed"),
    )
]
