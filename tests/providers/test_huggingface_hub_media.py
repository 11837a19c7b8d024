"""Hugging Face feature_extraction and text_to_image: the real InferenceClient against
hand-written cassettes."""

from __future__ import annotations

import pytest

import tokenprint
from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts

hf = pytest.importorskip("huggingface_hub")
np = pytest.importorskip("numpy")
pil = pytest.importorskip("PIL.Image")

TEXT = "Hello World! How are you today?"  # 31 characters


@pytest.fixture(autouse=True)
def _instrumented() -> None:
    EcoLogits.init(providers=["huggingface_hub"])


def test_feature_extraction_returns_the_array_and_still_publishes_usage() -> None:
    client = hf.InferenceClient(provider="hf-inference", token="hf_test")
    with cassette("media", "hf_feature_extraction"), records() as recs:
        out = client.feature_extraction(TEXT, model="BAAI/bge-small-en-v1.5")
    assert isinstance(out, np.ndarray) and out.shape == (1, 4)
    assert not hasattr(out, "impacts")  # an ndarray cannot take an attribute
    rec = recs[0]
    assert len(recs) == 1
    u = rec.usage
    assert (u.provider, u.model, u.modality, u.input_tokens) == (
        "huggingface_hub",
        "BAAI/bge-small-en-v1.5",
        "embedding",
        8,  # (31 + 3) // 4
    )
    assert (u.host, u.endpoint) == ("router.huggingface.co", "feature_extraction")
    assert rec.impacts.errors == [] and rec.impacts.energy is not None
    assert "input-tokens-estimated" in [w.code for w in rec.impacts.warnings]
    assert rec.impacts.basis.datacenter == "huggingface_hub"


def test_feature_extraction_usage_reaches_a_tracker() -> None:
    client = hf.InferenceClient(provider="hf-inference", token="hf_test")
    with cassette("media", "hf_feature_extraction"), EcoLogits.track() as tracker:
        client.feature_extraction(TEXT, model="BAAI/bge-small-en-v1.5")
    assert len(tracker.requests) == 1
    assert tracker.requests[0].basis.modality == "embedding"
    assert tracker.total.energy is not None and tracker.total.energy.max > 0


def test_text_to_image_attaches_impacts_to_the_pil_image() -> None:
    client = hf.InferenceClient(provider="hf-inference", token="hf_test")
    with cassette("media", "hf_text_to_image"), records() as recs:
        image = client.text_to_image(
            "A green leaf",
            model="black-forest-labs/FLUX.1-schnell",
            width=1024,
            height=768,
            num_inference_steps=4,
        )
    assert isinstance(image, pil.Image)
    impacts = image.impacts
    assert isinstance(impacts, Impacts) and impacts.errors == []
    b = impacts.basis
    assert (b.modality, b.images, b.image_size, b.image_quality) == (
        "image",
        1,
        "1024x768",
        "steps=4",
    )
    assert recs.usage.endpoint == "text_to_image"
    expected = tokenprint.estimate_image(
        "black-forest-labs/FLUX.1-schnell",
        size="1024x768",
        steps=4,
        provider="huggingface_hub",
    )
    assert impacts.energy == expected.energy


async def test_async_text_to_image_carries_impacts() -> None:
    client = hf.AsyncInferenceClient(provider="hf-inference", token="hf_test")
    with cassette("media", "hf_text_to_image"):
        image = await client.text_to_image(
            "A green leaf",
            model="black-forest-labs/FLUX.1-schnell",
            width=1024,
            height=768,
            num_inference_steps=4,
        )
    assert image.impacts.basis.image_size == "1024x768"
