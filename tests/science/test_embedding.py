"""Embeddings: the prefill-only model against hand-computed values, estimate_embedding(),
the catalogue rows, and the issue's comparison with a chat answer."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import tokenprint
from tests.support.profiles import ACC, MIX, POINT_SITE, SERVER
from tokenprint import Range, register_model
from tokenprint.catalog import models
from tokenprint.errors import InvalidArgumentError, InvalidTypeError, ModelNotRegisteredError
from tokenprint.impacts import serving
from tokenprint.impacts.embedding import (
    EMBEDDING_INPUT_TOKENS,
    EMBEDDING_MFU,
    embedding_coefficients,
    embedding_request,
)
from tokenprint.impacts.llm import FIT_RESIDUAL, PREFILL_MFU, SECONDS_PER_YEAR
from tokenprint.impacts.profiles import Accelerator, DataCenter, ModelSpec

DC = POINT_SITE
SECONDS_4Y = 4 * SECONDS_PER_YEAR


def _acc(name: str) -> Accelerator:
    assert name == "H100"
    return ACC


def _vectors(model: ModelSpec, tokens: float, dc: DataCenter = DC) -> tuple[tuple[float, ...], ...]:
    return embedding_request(embedding_coefficients(model, _acc, SERVER, dc, MIX), tokens)


def _geo(r: Range) -> float:
    return math.sqrt(r.min * r.max)


def test_embedding_energy_is_the_prefill_of_its_tokens_by_hand() -> None:
    # 0.1B encoder, 1,000 tokens in inputs of at most 512. The best estimate runs at the
    # geometric midpoint of each range (utilisation, the fit's residual). Per token
    # 2 * 0.1e9 FLOPs, plus attention over half an input's tokens on average: 1,000 x 512 / 2
    # token pairs at the generic shape's attention FLOPs for 0.1B active parameters.
    p, n = 0.1, 1000
    mfu, residual = _geo(EMBEDDING_MFU), _geo(FIT_RESIDUAL)
    a, b = serving.GENERIC_ATTENTION
    flops = n * 2 * p * 1e9 + a * p**b * n * EMBEDDING_INPUT_TOKENS / 2
    t = flops / (989e12 * mfu)  # s, at the prefill utilisation
    assert t == pytest.approx(8.625e-4, rel=1e-3)  # 2.09e11 FLOPs at 24.5 % of 989 TFLOP/s
    # accelerator power: static share plus compute at the achieved rate, capped at the board
    fit = serving.Fitted()
    power = 700.0 * min(fit.power_static + fit.power_compute * mfu / fit.eta_compute, 1.0)
    acc_s = t * residual  # accelerator-seconds (the fit's residual scales time and energy)
    it = (power + 1000.0 / 8) * acc_s / 3.6e6  # kWh: accelerator + 1/8 of the host
    low, mid, high = _vectors(ModelSpec("e", p, p), n)
    assert mid[0] == pytest.approx(it * 1.2, rel=1e-9)  # x PUE
    assert mid[1] == pytest.approx(it * 1.2 * 0.05, rel=1e-9)  # GWP from the mix
    assert mid[3] == pytest.approx(it * 1.2 * 10.0, rel=1e-9)  # primary energy from the mix
    assert mid[4] == pytest.approx(it * 0.5 + it * 1.2 * 3.0, rel=1e-9)  # on-site + off-site
    # embodied: 1 GPU + 1/8 of the server over 4 years, for the accelerator-seconds
    assert mid[5] == pytest.approx(acc_s * (200.0 + 5000.0 / 8) / SECONDS_4Y, rel=1e-9)
    assert mid[7] == pytest.approx(acc_s * (4000.0 + 60000.0 / 8) / SECONDS_4Y, rel=1e-9)
    for lo_, c, hi_ in zip(low, mid, high, strict=True):
        assert 0 < lo_ < c < hi_


def test_embedding_utilisation_range_is_wider_than_the_llm_prefill() -> None:
    assert Range(0.1, 0.6) == EMBEDDING_MFU
    assert EMBEDDING_MFU.min < PREFILL_MFU.min and EMBEDDING_MFU.max == PREFILL_MFU.max


def test_embedding_is_not_shared_with_a_batch() -> None:
    # A compute-bound pass keeps the accelerators busy whatever the batch: the batch size
    # (which divides a decode step) leaves an embedding unchanged.
    model = ModelSpec("e", 0.3, 0.3)
    assert _vectors(model, 500) == _vectors(model, 500, DC._replace(batch_size=64.0))


def test_embedding_grows_with_tokens_and_model_size() -> None:
    small, big = ModelSpec("s", 0.1, 0.1), ModelSpec("b", 1.0, 1.0)
    for q in range(3):
        assert _vectors(small, 100)[q][0] < _vectors(small, 1000)[q][0]
        assert _vectors(small, 1000)[q][0] < _vectors(big, 1000)[q][0]


def test_embedding_is_linear_in_tokens_plus_the_attention_over_them() -> None:
    # f(N) = a*N + b*N^2/2 for every quantile and criterion (a: the per-token prefill,
    # b >= 0: attention over the sequence), so f(3N) - 3 f(N) = 3 (f(2N) - 2 f(N)) >= 0.

    def values(n: int) -> tuple[float, ...]:
        imp = tokenprint.estimate_embedding("BAAI/bge-base-en-v1.5", n)
        assert imp.vectors is not None and imp.central_vector is not None
        return (*imp.vectors[0], *imp.central_vector, *imp.vectors[1])

    for f1, f2, f3 in zip(values(1000), values(2000), values(3000), strict=True):
        assert f2 >= 2 * f1 > 0
        assert f3 - 3 * f1 == pytest.approx(3 * (f2 - 2 * f1), rel=1e-6)


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
    rec = models.resolve("text-embedding-3-large").record
    assert rec is not None and isinstance(rec.total_params, Range)
    # the same model at the geometric midpoint of its size range, as if it were disclosed:
    # same best estimate, narrower interval
    centre = math.sqrt(rec.total_params.min * rec.total_params.max)
    register_model("embed-known", total_params=centre, provider=rec.provider, modality="embedding")
    known = tokenprint.estimate_embedding("embed-known", 1000)
    assert imp.energy is not None and known.energy is not None
    assert imp.energy.central == pytest.approx(known.energy.central, rel=1e-9)
    assert imp.energy.min < known.energy.min and known.energy.max < imp.energy.max


def test_provider_and_zone_choose_the_site() -> None:
    fr = tokenprint.estimate_embedding("mistral-embed", 1000, zone="FRA")
    assert fr.basis.zone == "FRA" and fr.basis.datacenter == "mistralai"
    hf = tokenprint.estimate_embedding("BAAI/bge-m3", 1000, provider="huggingface_hub")
    assert hf.basis.datacenter == "huggingface_hub"


def _cheaper_at_every_percentile(a: tokenprint.Impacts, b: tokenprint.Impacts) -> None:
    """Each of P5, best estimate and P95 of ``a`` is below the same one of ``b`` (energy and
    GWP). Two requests at one site share its uncertain inputs, so like is compared with
    like; the 5-95 % intervals themselves may overlap."""
    for crit in ("energy", "gwp"):
        x, y = a.criterion(crit), b.criterion(crit)
        assert x is not None and y is not None
        for q in ("min", "central", "max"):
            assert x.bound(q) < y.bound(q), (crit, q)


@pytest.mark.parametrize("size", [0.1, 1.0, 8.0])
@pytest.mark.parametrize("n", [1, 300, 20_000])
def test_embedding_of_n_tokens_costs_less_than_a_chat_answer_of_n_tokens(
    size: float, n: int
) -> None:
    # Same parameter count, same provider: the embedding is a prefill, the chat answer
    # decodes n tokens one by one.
    register_model("chat-x", total_params=size, provider="openai")
    register_model("embed-x", total_params=size, provider="openai", modality="embedding")
    chat = tokenprint.estimate("chat-x", output_tokens=n, provider="openai")
    emb = tokenprint.estimate_embedding("embed-x", n, provider="openai")
    _cheaper_at_every_percentile(emb, chat)


def test_catalogued_8b_embedder_is_cheaper_than_an_8b_chat_answer() -> None:
    emb = tokenprint.estimate_embedding("Qwen/Qwen3-Embedding-8B", 1000, provider="huggingface_hub")
    chat = tokenprint.estimate(
        "meta-llama/Llama-3.1-8B-Instruct", output_tokens=1000, provider="huggingface_hub"
    )
    _cheaper_at_every_percentile(emb, chat)


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
        "print([m for m in ('tokenprint.api', 'tokenprint.impacts.image') "
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


def test_attention_is_counted_within_inputs_of_at_most_512_tokens() -> None:
    # the APIs report all inputs together: 10,000 tokens are many inputs, not one sequence
    model = ModelSpec("e", 0.1, 0.1)
    one = _vectors(model, 1_000)[1][0]
    ten = _vectors(model, 10_000)[1][0]
    assert ten == pytest.approx(10 * one)
