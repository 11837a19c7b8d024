"""OpenAI embeddings and images: the real openai client against hand-written cassettes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

openai = pytest.importorskip("openai")

from tests.support.cassettes import cassette, records  # noqa: E402
from tokenprint import EcoLogits  # noqa: E402
from tokenprint.impacts.results import Impacts  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def client() -> Iterator[Any]:
    EcoLogits.init(providers=["openai"])
    yield openai.OpenAI(api_key="sk-test", max_retries=0)


@pytest.fixture
def aclient() -> Iterator[Any]:
    EcoLogits.init(providers=["openai"])
    yield openai.AsyncOpenAI(api_key="sk-test", max_retries=0)


def _ok(impacts: Any) -> Impacts:
    assert isinstance(impacts, Impacts)
    assert impacts.errors == []
    assert impacts.energy is not None and impacts.energy.min > 0
    return impacts


def test_embeddings_create_carries_embedding_impacts(client: Any) -> None:
    with cassette("media", "openai_embeddings"), records() as recs:
        resp = client.embeddings.create(
            model="text-embedding-3-small", input=["Hello World!", "Goodbye World!"]
        )
    b = _ok(resp.impacts).basis
    assert (b.provider, b.model, b.modality) == ("openai", "text-embedding-3-small", "embedding")
    assert (b.input_tokens, b.output_tokens) == (1200, 0)
    assert recs.usage.endpoint == "embeddings.create"
    assert type(resp) is openai.types.CreateEmbeddingResponse
    assert resp._request_id == "req_tokenprint_embed_0001"
    assert json.loads(resp.model_dump_json())["impacts"]["basis"]["modality"] == "embedding"


async def test_async_embeddings_create_carries_impacts(aclient: Any) -> None:
    with cassette("media", "openai_embeddings"):
        resp = await aclient.embeddings.create(
            model="text-embedding-3-small", input=["Hello World!", "Goodbye World!"]
        )
    assert _ok(resp.impacts).basis.input_tokens == 1200


def test_embeddings_equal_estimate_embedding(client: Any) -> None:
    import tokenprint

    with cassette("media", "openai_embeddings"):
        resp = client.embeddings.create(
            model="text-embedding-3-small", input=["Hello World!", "Goodbye World!"]
        )
    expected = tokenprint.estimate_embedding("text-embedding-3-small", 1200, provider="openai")
    assert resp.impacts.energy == expected.energy


def test_embeddings_api_exception_propagates(client: Any) -> None:
    with (
        cassette("media", "openai_embeddings_error"),
        records() as recs,
        pytest.raises(openai.BadRequestError),
    ):
        client.embeddings.create(model="text-embedding-3-small", input="")
    assert list(recs) == []


def test_gpt_image_generate_uses_the_reported_image_tokens(client: Any) -> None:
    with cassette("media", "openai_image_gpt"), records() as recs:
        resp = client.images.generate(
            model="gpt-image-1", prompt="A green leaf", quality="high", size="1024x1024"
        )
    b = _ok(resp.impacts).basis
    assert (b.modality, b.model, b.images, b.image_size, b.image_quality) == (
        "image",
        "gpt-image-1",
        1,
        "1024x1024",
        "high",
    )
    assert (b.input_tokens, b.output_tokens) == (12, 4160)
    assert recs.usage.endpoint == "images.generate"
    assert resp._request_id == "req_tokenprint_image_0001"


def test_dalle3_generate_uses_size_and_quality_of_the_request(client: Any) -> None:
    import tokenprint

    with cassette("media", "openai_image_dalle3"):
        resp = client.images.generate(
            model="dall-e-3", prompt="A green leaf", n=1, quality="hd", size="1792x1024"
        )
    b = _ok(resp.impacts).basis
    assert (b.model, b.images, b.image_size, b.image_quality, b.output_tokens) == (
        "dall-e-3",
        1,
        "1792x1024",
        "hd",
        0,
    )
    expected = tokenprint.estimate_image(
        "dall-e-3", size="1792x1024", quality="hd", provider="openai"
    )
    assert resp.impacts.energy == expected.energy


async def test_async_images_generate_carries_impacts(aclient: Any) -> None:
    with cassette("media", "openai_image_gpt"):
        resp = await aclient.images.generate(
            model="gpt-image-1", prompt="A green leaf", quality="high", size="1024x1024"
        )
    assert _ok(resp.impacts).basis.output_tokens == 4160


def test_images_edit_counts_the_input_image_tokens(client: Any) -> None:
    with cassette("media", "openai_image_edit"), records() as recs:
        resp = client.images.edit(
            model="gpt-image-1", image=("leaf.png", PNG, "image/png"), prompt="Make it red"
        )
    b = _ok(resp.impacts).basis
    assert (b.input_tokens, b.output_tokens, b.image_quality) == (335, 1056, "medium")
    assert recs.usage.endpoint == "images.edit"


def test_images_create_variation_counts_every_image(client: Any) -> None:
    with cassette("media", "openai_image_variation"), pytest.warns(DeprecationWarning):
        resp = client.images.create_variation(
            image=("leaf.png", PNG, "image/png"), n=2, size="512x512"
        )
    b = _ok(resp.impacts).basis
    assert (b.model, b.images, b.image_size) == ("dall-e-2", 2, "512x512")


def test_image_stream_reads_usage_from_the_completed_event(client: Any) -> None:
    with cassette("media", "openai_image_stream"), records() as recs:
        stream = client.images.generate(
            model="gpt-image-1", prompt="A green leaf", stream=True, partial_images=1
        )
        events = list(stream)
    assert type(stream) is openai.Stream
    assert [e.type for e in events] == [
        "image_generation.partial_image",
        "image_generation.completed",
    ]
    b = _ok(events[-1].impacts).basis
    assert (b.input_tokens, b.output_tokens, b.image_size, b.image_quality) == (
        12,
        1584,
        "1024x1536",
        "medium",
    )
    assert stream.impacts is events[-1].impacts
    assert len(recs) == 1


def test_image_stream_closed_early_is_still_accounted(client: Any) -> None:
    with (
        cassette("media", "openai_image_stream"),
        records() as recs,
        client.images.generate(
            model="gpt-image-1", prompt="A green leaf", stream=True, partial_images=1
        ) as stream,
    ):
        first = next(iter(stream))
    assert first.type == "image_generation.partial_image"
    b = _ok(stream.impacts).basis
    # no completed event seen: the image is estimated from the request (1 image, auto size)
    assert (b.images, b.output_tokens) == (1, 0)
    assert recs.usage.modality == "image"


def test_shutdown_restores_the_original_methods(client: Any) -> None:
    EcoLogits.shutdown()
    with cassette("media", "openai_embeddings"):
        resp = client.embeddings.create(
            model="text-embedding-3-small", input=["Hello World!", "Goodbye World!"]
        )
    assert not hasattr(resp, "impacts")


def test_embeddings_with_raw_response_parse_carries_impacts(client: Any) -> None:
    with cassette("media", "openai_embeddings"), records() as recs:
        raw = client.embeddings.with_raw_response.create(
            model="text-embedding-3-small", input=["Hello World!", "Goodbye World!"]
        )
        resp = raw.parse()
    assert raw.headers["x-request-id"] == "req_tokenprint_embed_0001"
    assert _ok(resp.impacts).basis.input_tokens == 1200
    assert len(recs) == 1


async def test_async_images_edit_carries_impacts(aclient: Any) -> None:
    with cassette("media", "openai_image_edit"):
        resp = await aclient.images.edit(
            model="gpt-image-1", image=("leaf.png", PNG, "image/png"), prompt="Make it red"
        )
    assert _ok(resp.impacts).basis.output_tokens == 1056


def test_blocking_budget_refuses_a_large_embedding_before_sending(client: Any) -> None:
    from tokenprint import Budget, BudgetExceeded

    with (
        cassette("media", "openai_embeddings") as cas,
        Budget(per_request={"gwp": "0.001 mg"}, mode="block"),
        pytest.raises(BudgetExceeded, match="before sending"),
    ):
        client.embeddings.create(model="text-embedding-3-small", input=["word " * 50_000])
    assert cas.play_count == 0


def test_blocking_budget_refuses_an_image_before_sending(client: Any) -> None:
    from tokenprint import Budget, BudgetExceeded

    with (
        cassette("media", "openai_image_gpt") as cas,
        Budget(per_request={"energy": "0.1 Wh"}, mode="block"),
        pytest.raises(BudgetExceeded, match="before sending"),
    ):
        client.images.generate(model="gpt-image-1", prompt="A green leaf", quality="high")
    assert cas.play_count == 0
