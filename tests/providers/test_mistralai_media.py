"""Mistral AI embeddings: the real mistralai client against a hand-written cassette."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts

mistralai = pytest.importorskip("mistralai")

try:
    from mistralai.client import Mistral  # 3.x
except ImportError:  # 1.x / 2.x
    from mistralai import Mistral  # type: ignore[attr-defined,no-redef]

INPUTS = ["Embed this sentence.", "As well as this one."]


@pytest.fixture
def client() -> Any:
    EcoLogits.init(providers=["mistralai"])
    return Mistral(api_key="test-key")


def _check(resp: Any) -> Impacts:
    impacts = resp.impacts
    assert isinstance(impacts, Impacts) and impacts.errors == []
    b = impacts.basis
    assert (b.provider, b.model, b.modality, b.input_tokens) == (
        "mistralai",
        "mistral-embed",
        "embedding",
        15,
    )
    assert b.datacenter == "mistralai"
    return impacts


def test_embeddings_create_carries_impacts_and_publishes_usage(client: Any) -> None:
    with cassette("media", "mistral_embeddings"), records() as recs:
        resp = client.embeddings.create(model="mistral-embed", inputs=INPUTS)
    _check(resp)
    assert recs.usage.endpoint == "embeddings.create"
    assert "impacts" not in resp.model_dump()  # attached beside the fields, not dumped


async def test_embeddings_create_async_carries_impacts(client: Any) -> None:
    with cassette("media", "mistral_embeddings"):
        resp = await client.embeddings.create_async(model="mistral-embed", inputs=INPUTS)
    _check(resp)
