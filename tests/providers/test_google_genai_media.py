"""Google Gen AI embeddings and Imagen: the real google-genai client against hand-written
cassettes (Gemini Developer API and Vertex AI express mode)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import tokenprint
from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts

genai = pytest.importorskip("google.genai")


@pytest.fixture(autouse=True)
def _instrumented() -> None:
    EcoLogits.init(providers=["google_genai"])


def _ok(resp: Any) -> Impacts:
    impacts = resp.impacts
    assert isinstance(impacts, Impacts) and impacts.errors == []
    assert impacts.energy is not None and impacts.energy.min > 0
    return impacts


def _vertex() -> Any:
    return genai.Client(vertexai=True, api_key="k")


def test_embed_content_without_usage_estimates_tokens_from_the_text() -> None:
    client = genai.Client(api_key="k")
    with cassette("media", "google_embed_developer"), records() as recs:
        resp = client.models.embed_content(
            model="text-embedding-004", contents=["Hello World! Hello World!", "Goodbye World!"]
        )
    u = recs.usage
    # 24 + 14 characters at about 4 characters per token
    assert (u.provider, u.model, u.modality, u.input_tokens) == (
        "google",
        "text-embedding-004",
        "embedding",
        10,
    )
    assert u.host == "generativelanguage.googleapis.com"
    impacts = _ok(resp)
    assert "input-tokens-estimated" in [w.code for w in impacts.warnings]
    assert "impacts" not in resp.model_dump()


def test_embed_content_on_vertex_sums_the_token_counts() -> None:
    client = _vertex()  # keep the client alive: it closes its HTTP client when collected
    with cassette("media", "google_embed_vertex"), records() as recs:
        resp = client.models.embed_content(
            model="text-embedding-005", contents=["Hello World!", "Goodbye World!"]
        )
    assert (recs.usage.input_tokens, recs.usage.warnings) == (9, ())
    assert recs.usage.host == "aiplatform.googleapis.com"
    assert _ok(resp).basis.model_resolved == "text-embedding-005"


async def test_async_embed_content_carries_impacts() -> None:
    client = _vertex()
    with cassette("media", "google_embed_vertex"):
        resp = await client.aio.models.embed_content(
            model="text-embedding-005", contents=["Hello World!", "Goodbye World!"]
        )
    assert _ok(resp).basis.input_tokens == 9


def _generate(client: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # generate_images is deprecated in favour of Gemini
        return client.models.generate_images(
            model="imagen-3.0-generate-002",
            prompt="A green leaf",
            config={"number_of_images": 2, "aspect_ratio": "16:9"},
        )


def test_generate_images_counts_images_and_size_from_the_config() -> None:
    client = _vertex()
    with cassette("media", "google_imagen"), records() as recs:
        resp = _generate(client)
    u = recs.usage
    assert (u.model, u.modality, u.images, u.image_size) == (
        "imagen-3.0-generate-002",
        "image",
        2,
        "1408x768",
    )
    expected = tokenprint.estimate_image(
        "imagen-3.0-generate-002", n=2, size="1408x768", provider="vertex"
    )
    assert _ok(resp).energy == expected.energy


async def test_async_generate_images_carries_impacts() -> None:
    client = _vertex()
    with cassette("media", "google_imagen"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resp = await client.aio.models.generate_images(
            model="imagen-3.0-generate-002",
            prompt="A green leaf",
            config={"number_of_images": 2, "aspect_ratio": "16:9"},
        )
    assert _ok(resp).basis.images == 2
