"""The optional Hugging Face Hub resolver, against a hand-written cassette (no network)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import tokenprint
from tests.support.cassettes import use_cassette
from tokenprint import EcoLogits
from tokenprint.catalog import hub, models

MOE = "ibm-granite/granite-3.1-3b-a800m-instruct"
DENSE = "Qwen/Qwen2.5-Math-1.5B-Instruct"
MISSING = "acme/private-model"


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    hub.enable_hub_resolver(cache_dir=tmp_path)
    yield tmp_path
    hub.disable_hub_resolver()


def test_resolver_is_off_by_default() -> None:
    assert not hub.is_enabled()
    assert models.resolve(DENSE).record is None  # no request: no cassette is active


def test_dense_model_size_is_read_from_safetensors_metadata(cache: Path) -> None:
    with use_cassette("hub", "hub_resolver") as cassette:
        res = models.resolve(DENSE)
    assert cassette.play_count == 2  # model info + config.json
    assert res.via == "hub" and res.record is not None
    assert res.record.total_params == res.record.active_params == 1.544
    assert res.record.architecture == "dense"
    assert res.record.sources == (f"https://huggingface.co/{DENSE}",)


def test_moe_active_parameters_come_from_the_expert_config(cache: Path) -> None:
    with use_cassette("hub", "hub_resolver"):
        rec = models.resolve(MOE).record
    assert rec is not None and rec.architecture == "moe"
    assert rec.total_params == 3.3
    # 40 experts, 8 per token: about 0.8B of the 3.3B are active
    assert 0.7 < float(rec.active_params) < 1.0  # type: ignore[arg-type]


def test_answers_are_cached_on_disk_and_reused_without_requests(cache: Path) -> None:
    with use_cassette("hub", "hub_resolver"):
        first = models.resolve(DENSE).record
    saved = json.loads((cache / "Qwen--Qwen2.5-Math-1.5B-Instruct.json").read_text())
    assert saved["parameters"] == 1543714304
    hub.enable_hub_resolver(cache_dir=cache)  # forget the in-memory answers
    with use_cassette("hub", "hub_resolver") as cassette:
        again = models.resolve(DENSE).record
    assert cassette.play_count == 0
    assert again == first


def test_hub_failure_leaves_the_name_unresolved(cache: Path) -> None:
    with use_cassette("hub", "hub_resolver"):
        res = models.resolve(MISSING)
    assert res.record is None
    assert not (cache / "acme--private-model.json").exists()


def test_unreachable_hub_never_raises_into_the_request(cache: Path) -> None:
    with use_cassette("hub", "hub_resolver"):  # the cassette does not hold this repo
        impacts = tokenprint.estimate("someone/uncatalogued-model", output_tokens=10)
    assert [e.code for e in impacts.errors] == ["model-not-registered"]


def test_catalogued_names_never_reach_the_hub(cache: Path) -> None:
    with use_cassette("hub", "hub_resolver") as cassette:
        rec = models.resolve("meta-llama/Llama-3.1-8B-Instruct").record
    assert rec is not None and cassette.play_count == 0


def test_init_option_turns_the_resolver_on_and_off(tmp_path: Path) -> None:
    EcoLogits.init(providers=[], hub_resolver=True)
    assert hub.is_enabled()
    EcoLogits.init(providers=[], hub_resolver=False)
    assert not hub.is_enabled()


def test_estimate_uses_a_model_found_on_the_hub(cache: Path) -> None:
    with use_cassette("hub", "hub_resolver"):
        impacts = tokenprint.estimate(MOE, output_tokens=100)
    assert impacts.errors == []
    assert impacts.basis.model_resolved == MOE
