"""Embeddings: the prefill-only model against hand-computed values, estimate_embedding(),
the catalogue rows, and the issue's comparison with a chat answer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tokenprint
from tokenprint import Range, register_model
from tokenprint.catalog import models
from tokenprint.errors import InvalidArgumentError, InvalidTypeError, ModelNotRegisteredError
from tokenprint.impacts.embedding import EMBEDDING_MFU, embedding_impacts
from tokenprint.impacts.profiles import Accelerator, DataCenter, ElectricityMix, ModelSpec, Server

ACC = Accelerator("H100", 80.0, 700.0, 989.0, 1.0, 1.0, 200.0, 0.01, 4000.0)
SERVER = Server("s", 1000.0, 8, 5000.0, 0.3, 60000.0, 4.0)
DC = DataCenter(name="dc", zone="XXX", pue=1.2, wue=0.5)
MIX = ElectricityMix(zone="XXX", gwp=0.05, adpe=5e-8, pe=10.0, wue=3.0)
SECONDS_4Y = 4 * 365.25 * 86400


def test_embedding_energy_is_the_prefill_of_its_tokens_by_hand() -> None:
    # 0.1B encoder, 1,000 tokens. Per token 2 * 0.1e9 FLOPs; the low corner runs at 60 %
    # utilisation and 70 % of 700 W, the high corner at 10 % and 700 W. One GPU (0.24 GB of
    # weights), so the server share is 1/8 of 1,000 W = 125 W.
    low, high = embedding_impacts(
        ModelSpec("e", 0.1, 0.1),
        input_tokens=1000,
        accelerator=ACC,
        server=SERVER,
        datacenter=DC,
        mix=MIX,
    )
    t_low = 1000 * 2 * 0.1e9 / (989e12 * 0.6)  # 3.3704e-4 s
    t_high = 1000 * 2 * 0.1e9 / (989e12 * 0.1)  # 2.0222e-3 s
    e_low = (t_low * 700 * 0.7 + t_low * 125) / 3600 / 1000  # kWh, IT
    e_high = (t_high * 700 * 1.0 + t_high * 125) / 3600 / 1000
    assert t_low == pytest.approx(3.3704e-4, rel=1e-4)
    assert low[0] == pytest.approx(e_low * 1.2, rel=1e-9)
    assert high[0] == pytest.approx(e_high * 1.2, rel=1e-9)
    # 2.0222e-3 s x (700 + 125) W = 1.6683 J = 4.6341e-7 kWh of IT energy, x PUE 1.2
    assert high[0] == pytest.approx(4.6341e-7 * 1.2, rel=1e-4)
    assert low[1] == pytest.approx(e_low * 1.2 * 0.05)  # GWP from the mix
    assert low[4] == pytest.approx(e_low * 0.5 + e_low * 1.2 * 3.0)  # water: on-site + off-site
    # embodied: (1/8 server + 1 GPU) over 4 years, for the prefill time
    per_s = (5000.0 / 8 + 200.0) / SECONDS_4Y
    assert low[5] == pytest.approx(t_low * per_s)
    assert high[5] == pytest.approx(t_high * per_s)


def test_embedding_utilisation_range_is_wider_than_the_llm_prefill() -> None:
    assert Range(0.1, 0.6) == EMBEDDING_MFU


def test_embedding_scales_linearly_with_tokens() -> None:
    one = tokenprint.estimate_embedding("BAAI/bge-base-en-v1.5", 1000)
    ten = tokenprint.estimate_embedding("BAAI/bge-base-en-v1.5", 10_000)
    assert one.energy is not None and ten.energy is not None
    assert ten.energy.max == pytest.approx(10 * one.energy.max)
    assert ten.energy.min == pytest.approx(10 * one.energy.min)


def test_zero_tokens_cost_nothing() -> None:
    imp = tokenprint.estimate_embedding("text-embedding-3-small", 0)
    assert imp.energy is not None and imp.energy.max == 0.0


@pytest.mark.parametrize(
    "name",
    [
        "text-embedding-3-small",
        "text-embedding-3-large",
        "text-embedding-ada-002",
        "mistral-embed",
        "codestral-embed",
        "embed-english-v3.0",
        "embed-multilingual-v3.0",
        "embed-english-light-v3.0",
        "embed-v4.0",
        "text-embedding-004",
        "models/text-embedding-004",
        "text-embedding-005",
        "gemini-embedding-001",
        "BAAI/bge-small-en-v1.5",
        "BAAI/bge-m3",
        "sentence-transformers/all-MiniLM-L6-v2",
        "all-mpnet-base-v2",
        "intfloat/e5-large-v2",
        "nomic-embed-text",
        "thenlper/gte-base",
        "mxbai-embed-large",
        "Qwen/Qwen3-Embedding-0.6B",
        "Qwen/Qwen3-Embedding-8B",
    ],
)
def test_catalogued_embedding_models_resolve_and_estimate(name: str) -> None:
    imp = tokenprint.estimate_embedding(name, 500)
    assert imp.errors == []
    assert imp.basis.modality == "embedding"
    assert imp.basis.input_tokens == 500
    assert imp.basis.output_tokens == 0
    assert imp.energy is not None and imp.energy.max > 0


def test_embedding_rows_carry_sources_and_the_embedding_modality() -> None:
    rows = [r for r in models.all_models() if r.modality == "embedding"]
    assert len(rows) >= 25
    for r in rows:
        assert any(s.startswith("https://") for s in r.sources), r.name
        assert r.estimated or r.total_params == r.active_params


def test_undisclosed_embedding_model_warns_and_carries_a_range() -> None:
    imp = tokenprint.estimate_embedding("text-embedding-3-large", 1000)
    assert "model-arch-not-released" in [w.code for w in imp.warnings]
    assert imp.energy is not None and imp.energy.max > 2 * imp.energy.min


def test_provider_and_zone_choose_the_site() -> None:
    fr = tokenprint.estimate_embedding("mistral-embed", 1000, zone="FRA")
    assert fr.basis.zone == "FRA" and fr.basis.datacenter == "mistralai"
    hf = tokenprint.estimate_embedding("BAAI/bge-m3", 1000, provider="huggingface_hub")
    assert hf.basis.datacenter == "huggingface_hub"


@pytest.mark.parametrize("size", [0.1, 1.0, 8.0])
@pytest.mark.parametrize("n", [1, 300, 20_000])
def test_embedding_of_n_tokens_costs_less_than_a_chat_answer_of_n_tokens(
    size: float, n: int
) -> None:
    # Same parameter count, same provider: the embedding is certainly cheaper (even its high
    # bound is below the chat answer's low bound).
    register_model("chat-x", total_params=size, provider="openai")
    register_model("embed-x", total_params=size, provider="openai", modality="embedding")
    chat = tokenprint.estimate("chat-x", output_tokens=n, provider="openai")
    emb = tokenprint.estimate_embedding("embed-x", n, provider="openai")
    assert chat.energy is not None and emb.energy is not None
    assert emb.energy.max < chat.energy.min
    assert emb.gwp is not None and chat.gwp is not None and emb.gwp.max < chat.gwp.min


def test_catalogued_8b_embedder_is_cheaper_than_an_8b_chat_answer() -> None:
    emb = tokenprint.estimate_embedding("Qwen/Qwen3-Embedding-8B", 1000, provider="huggingface_hub")
    chat = tokenprint.estimate(
        "meta-llama/Llama-3.1-8B-Instruct", output_tokens=1000, provider="huggingface_hub"
    )
    assert emb.energy is not None and chat.energy is not None
    assert emb.energy.max < chat.energy.min


def test_unknown_model_is_an_error_or_raises_when_strict() -> None:
    imp = tokenprint.estimate_embedding("no-such-embedder", 10)
    assert [e.code for e in imp.errors] == ["model-not-registered"]
    with pytest.raises(ModelNotRegisteredError):
        tokenprint.estimate_embedding("no-such-embedder", 10, strict=True)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"model": "text-embedding-3-small", "input_tokens": -1}, InvalidArgumentError),
        ({"model": "text-embedding-3-small", "input_tokens": 1.5}, InvalidTypeError),
        ({"model": "text-embedding-3-small", "input_tokens": True}, InvalidTypeError),
        ({"model": "", "input_tokens": 1}, InvalidTypeError),
        ({"model": "text-embedding-3-small", "input_tokens": 1, "provider": 3}, InvalidTypeError),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        tokenprint.estimate_embedding(**kwargs)  # type: ignore[arg-type]


def test_import_tokenprint_does_not_load_the_media_modules() -> None:
    code = (
        "import sys, tokenprint;"
        "print([m for m in ('tokenprint.modalities', 'tokenprint.impacts.image') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_estimates_an_embedding(capsys: pytest.CaptureFixture[str]) -> None:
    from tokenprint.cli import main

    rc = main(
        [
            "estimate",
            "--modality",
            "embedding",
            "--model",
            "text-embedding-3-small",
            "--input-tokens",
            "1000",
            "--json",
        ]
    )
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["basis"]["modality"] == "embedding"
    assert data["basis"]["input_tokens"] == 1000
    assert data["energy"]["value"]["max"] > 0


def test_cli_table_names_the_embedded_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    from tokenprint.cli import main

    args = ["estimate", "--modality", "embedding", "--model", "bge-m3", "--input-tokens", "64"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "64 input tokens embedded" in out and "energy" in out


def test_cli_text_still_requires_output_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    from tokenprint.cli import main

    assert main(["estimate", "--model", "gpt-4o"]) == 2
    assert "--output-tokens" in capsys.readouterr().err
