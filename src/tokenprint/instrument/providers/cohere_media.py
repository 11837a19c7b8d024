"""Cohere adapter for embeddings: v1 ``Client.embed`` and v2 ``ClientV2.embed``, sync and
async (cohere >= 5).

The v1 ``Client.embed`` splits long inputs into batches of 96 texts, calls
``BaseCohere.embed`` once per batch (in a thread pool) and merges the answers, summing their
billed tokens. Only that outer layer is patched, so a request is counted once with the sum.
Cohere answers do not name the model: it comes from the request. Only reads SDK objects;
the core does the rest.
"""

from __future__ import annotations

from typing import Any

from tokenprint.instrument.core import Call, Target, first_int, host_of, text_tokens
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]


def _host(call: Call) -> str | None:
    inst = call.instance
    wrapper = getattr(inst, "_client_wrapper", None) or getattr(
        getattr(inst, "_raw_client", None), "_client_wrapper", None
    )
    get = getattr(wrapper, "get_base_url", None)
    return host_of(get()) if get is not None else None


def embed_usage(call: Call, resp: Any) -> Usage | None:
    """A v1 ``EmbedResponse`` or v2 ``EmbedByTypeResponse``: tokens from ``meta``."""
    meta = getattr(resp, "meta", None)
    if not hasattr(resp, "embeddings"):
        return None
    tokens = first_int(getattr(meta, "tokens", None), "input_tokens") or first_int(
        getattr(meta, "billed_units", None), "input_tokens"
    )
    model = call.kwargs.get("model")
    return Usage(
        "cohere",
        model,
        tokens,
        host=_host(call),
        modality="embedding",
        requested_model=model,
    )


def pending(call: Call) -> Pending:
    k = call.kwargs
    tokens = text_tokens(k.get("texts"), k.get("inputs"))
    return Pending(
        "cohere", k.get("model"), None, tokens, _host(call), call.target.endpoint, "embedding"
    )


TARGETS: list[Target] = [
    Target(module, f"{cls}.embed", endpoint, embed_usage, pending=pending)
    for module, cls, endpoint in (
        ("cohere.client", "Client", "embed"),
        ("cohere.client", "AsyncClient", "embed"),
        ("cohere.v2.client", "V2Client", "v2.embed"),
        ("cohere.v2.client", "AsyncV2Client", "v2.embed"),
    )
]
