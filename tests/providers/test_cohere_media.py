"""Cohere embeddings: the real cohere client (v1 batched and v2, sync and async) against
hand-written cassettes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts

cohere = pytest.importorskip("cohere")

TEXTS = [f"t{i}" for i in range(100)]
needs_v2 = pytest.mark.skipif(not hasattr(cohere, "ClientV2"), reason="cohere without v2")


@pytest.fixture(autouse=True)
def _instrumented() -> None:
    EcoLogits.init(providers=["cohere"])


def _ok(resp: Any) -> Impacts:
    impacts = resp.impacts
    assert isinstance(impacts, Impacts) and impacts.errors == []
    assert impacts.energy is not None and impacts.energy.min > 0
    return impacts


def test_v1_embed_split_into_batches_is_counted_once_with_the_summed_tokens() -> None:
    client = cohere.Client(api_key="k")
    with cassette("media", "cohere_v1_embed_batched") as cas, records() as recs:
        resp = client.embed(texts=TEXTS, model="embed-english-v3.0", input_type="search_document")
    assert cas.play_count == 2  # the SDK really sent two batches
    assert len(resp.embeddings) == 100
    u = recs.usage  # exactly one record
    assert (u.provider, u.model, u.modality, u.input_tokens) == (
        "cohere",
        "embed-english-v3.0",
        "embedding",
        500,
    )
    assert (u.host, u.endpoint) == ("api.cohere.com", "embed")
    assert _ok(resp).basis.input_tokens == 500


async def test_async_v1_embed_split_into_batches_is_counted_once() -> None:
    client = cohere.AsyncClient(api_key="k")
    with cassette("media", "cohere_v1_embed_batched"), records() as recs:
        resp = await client.embed(
            texts=TEXTS, model="embed-english-v3.0", input_type="search_document"
        )
    assert recs.usage.input_tokens == 500
    assert _ok(resp).basis.model == "embed-english-v3.0"


@needs_v2
def test_v2_embed_prefers_the_processed_token_count() -> None:
    client = cohere.ClientV2(api_key="k")
    with cassette("media", "cohere_v2_embed"), records() as recs:
        resp = client.embed(
            texts=["Hello World!", "Goodbye World!"],
            model="embed-v4.0",
            input_type="search_query",
            embedding_types=["float"],
        )
    assert type(resp).__name__ == "EmbedByTypeResponse"
    assert (recs.usage.input_tokens, recs.usage.endpoint) == (8, "v2.embed")
    assert _ok(resp).basis.model_resolved == "embed-v4.0"


@needs_v2
async def test_async_v2_embed_carries_impacts() -> None:
    client = cohere.AsyncClientV2(api_key="k")
    with cassette("media", "cohere_v2_embed"):
        resp = await client.embed(
            texts=["Hello World!", "Goodbye World!"],
            model="embed-v4.0",
            input_type="search_query",
            embedding_types=["float"],
        )
    assert _ok(resp).basis.input_tokens == 8
