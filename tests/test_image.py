"""Image generation: token counts and energy against hand-computed values, the catalogue,
estimate_image() and the CLI, and the issue's comparison with a chat answer."""

from __future__ import annotations

import json

import pytest

import tokenprint
from tokenprint import Range, register_model
from tokenprint.catalog import images
from tokenprint.errors import InvalidArgumentError, InvalidTypeError, ModelNotRegisteredError
from tokenprint.impacts.image import (
    DIFFUSION_MFU,
    ImageSpec,
    image_impacts,
    image_intensities,
    image_request,
    image_tokens,
    parse_size,
)
from tokenprint.impacts.llm import llm_intensities, llm_request
from tokenprint.impacts.profiles import Accelerator, DataCenter, ElectricityMix, ModelSpec, Server
from tokenprint.impacts.ranges import hi, lo

ACC = Accelerator("H100", 80.0, 700.0, 989.0, 1.0, 1.0, 200.0, 0.01, 4000.0)
SERVER = Server("s", 1000.0, 8, 5000.0, 0.3, 60000.0, 4.0)
DC = DataCenter(name="dc", zone="XXX", pue=1.2, wue=0.5)
MIX = ElectricityMix(zone="XXX", gwp=0.05, adpe=5e-8, pe=10.0, wue=3.0)
SITE = {"accelerator": ACC, "server": SERVER, "datacenter": DC, "mix": MIX}

DIT_2B = ImageSpec("dit", "diffusion", ModelSpec("dit", 2.0, 2.0), steps=25.0, guidance_passes=2.0)
GPT_IMAGE = images.spec_for(images.resolve("gpt-image-1").record)  # type: ignore[arg-type]


# -- token counts ---------------------------------------------------------------------------


def test_parse_size() -> None:
    assert parse_size("1024x1024") == (1024, 1024)
    assert parse_size(" 1536X1024 ") == (1536, 1024)
    for bad in ("big", "1024", "0x10", "1024x"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_diffusion_tokens_are_steps_times_passes_times_latent_tokens() -> None:
    # 1024x1024 -> (1024/16) * (1024/16) = 4,096 latent tokens; x 25 steps x 2 passes
    tokens, notes = image_tokens(DIT_2B, 1, "1024x1024", None)
    assert tokens == 25 * 2 * 4096 == 204_800
    assert notes == ()
    two_small, _ = image_tokens(DIT_2B, 2, "512x512", None)
    assert two_small == 2 * 25 * 2 * 1024


def test_diffusion_steps_quality_overrides_the_catalogue_steps() -> None:
    tokens, _ = image_tokens(DIT_2B, 1, "1024x1024", "steps=10")
    assert tokens == 10 * 2 * 4096


def test_gpt_image_tokens_follow_openais_table() -> None:
    # OpenAI image-generation guide: 1024x1024 low/medium/high = 272/1056/4160 tokens,
    # 1024x1536 = 408/1584/6240.
    for quality, square, portrait in (
        ("low", 272, 408),
        ("medium", 1056, 1584),
        ("high", 4160, 6240),
    ):
        assert image_tokens(GPT_IMAGE, 1, "1024x1024", quality)[0] == square
        assert image_tokens(GPT_IMAGE, 1, "1024x1536", quality)[0] == portrait
    assert image_tokens(GPT_IMAGE, 3, "1024x1024", "high")[0] == 3 * 4160


def test_auto_quality_and_size_span_every_setting() -> None:
    tokens, notes = image_tokens(GPT_IMAGE, 1, "auto", "auto")
    assert tokens == Range(272, 4160 * 1.5)
    assert notes == ()
    default, _ = image_tokens(GPT_IMAGE, 1, None, None)
    assert default == tokens


def test_unknown_quality_spans_the_table_with_a_note() -> None:
    tokens, notes = image_tokens(GPT_IMAGE, 1, "1024x1024", "ultra")
    assert tokens == Range(272, 4160)
    assert [code for code, _ in notes] == ["image-quality-unknown"]


def test_dalle3_hd_may_double_the_steps() -> None:
    spec = images.spec_for(images.resolve("dall-e-3").record)  # type: ignore[arg-type]
    std, _ = image_tokens(spec, 1, "1024x1024", "standard")
    hd, _ = image_tokens(spec, 1, "1024x1024", "hd")
    assert std == Range(25 * 2 * 4096, 50 * 2 * 4096)
    assert hd == Range(25 * 2 * 4096, 100 * 2 * 4096)


# -- energy ---------------------------------------------------------------------------------


def test_diffusion_energy_is_the_prefill_of_its_latent_tokens_by_hand() -> None:
    low, high = image_impacts(DIT_2B, size="1024x1024", **SITE)  # type: ignore[arg-type]
    flops = 204_800 * 2 * 2e9  # 8.192e14 FLOPs
    t_low = flops / (989e12 * 0.6)  # 1.3805 s
    t_high = flops / (989e12 * 0.15)  # 5.5221 s
    assert t_low == pytest.approx(1.3805, rel=1e-4)
    e_low = (t_low * 700 * 0.7 + t_low * 1000 / 8) / 3600 / 1000 * 1.2  # kWh
    e_high = (t_high * 700 * 1.0 + t_high * 1000 / 8) / 3600 / 1000 * 1.2
    assert low[0] == pytest.approx(e_low, rel=1e-9)
    assert high[0] == pytest.approx(e_high, rel=1e-9)
    # GPU energy of the low corner, 677 J, brackets with the high corner's 3,865 J the
    # 1,141 J measured for SD3 Medium at 25 steps (ML.ENERGY via MIT Technology Review).
    assert t_low * 700 * 0.7 == pytest.approx(676.5, rel=1e-3)
    assert t_low * 490 < 1141 < t_high * 700


def test_diffusion_mfu_range() -> None:
    assert Range(0.15, 0.6) == DIFFUSION_MFU


def test_autoregressive_image_is_decoded_like_text() -> None:
    spec = ImageSpec("ar", "autoregressive", ModelSpec("ar", 8.0, 8.0), qualities=(("low", 272.0),))
    ks = image_intensities(spec, ACC, SERVER, DC, MIX)
    low, high = image_request(ks, spec, 272.0)
    text_low, text_high = llm_request(llm_intensities(spec.model, ACC, SERVER, DC, MIX), 272)
    assert low == text_low and high == text_high


def test_energy_grows_with_size_steps_count_and_quality() -> None:
    def energy(**kw: object) -> float:
        imp = tokenprint.estimate_image("black-forest-labs/FLUX.1-dev", **kw)  # type: ignore[arg-type]
        assert imp.energy is not None
        return imp.energy.min

    base = energy(size="1024x1024", steps=28)
    assert energy(size="512x512", steps=28) < base < energy(size="1536x1536", steps=28)
    assert energy(size="1024x1024", steps=50) > base
    assert energy(size="1024x1024", steps=28, n=2) == pytest.approx(2 * base)
    q = {
        qual: tokenprint.estimate_image("gpt-image-1", quality=qual, size="1024x1024").energy
        for qual in ("low", "medium", "high")
    }
    assert q["low"] is not None and q["medium"] is not None and q["high"] is not None
    assert q["low"].max < q["high"].max and q["low"].min < q["medium"].min < q["high"].min


# -- catalogue ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "resolved"),
    [
        ("gpt-image-1", "gpt-image-1"),
        ("gpt-image-1-mini", "gpt-image-1-mini"),
        ("dall-e-3", "dall-e-3"),
        ("dall-e-2", "dall-e-2"),
        ("imagen-3.0-generate-002", "imagen-3.0-generate-002"),
        ("models/imagen-4.0-generate-001", "imagen-4.0-generate-001"),
        ("imagen-4.0-ultra-generate-001", "imagen-4.0-ultra-generate-001"),
        ("stabilityai/stable-diffusion-xl-base-1.0", "stabilityai/stable-diffusion-xl-base-1.0"),
        ("stable-diffusion-xl-base-1.0", "stabilityai/stable-diffusion-xl-base-1.0"),
        ("stabilityai/stable-diffusion-3.5-large", "stabilityai/stable-diffusion-3.5-large"),
        (
            "stabilityai/stable-diffusion-3-medium-diffusers",
            "stabilityai/stable-diffusion-3-medium-diffusers",
        ),
        ("black-forest-labs/FLUX.1-dev", "black-forest-labs/FLUX.1-dev"),
        ("black-forest-labs/FLUX.1-schnell", "black-forest-labs/FLUX.1-schnell"),
        ("runwayml/stable-diffusion-v1-5", "stable-diffusion-v1-5/stable-diffusion-v1-5"),
        ("stabilityai/stable-diffusion-2-1", "stabilityai/stable-diffusion-2-1"),
    ],
)
def test_catalogued_image_models_resolve(name: str, resolved: str) -> None:
    res = images.resolve(name)
    assert res.record is not None and res.record.name == resolved
    assert res.record.modality == "image"
    imp = tokenprint.estimate_image(name)
    assert imp.errors == [] and imp.energy is not None and imp.energy.min > 0


def test_image_rows_carry_sources_and_sane_values() -> None:
    rows = images.all_image_models()
    assert len(rows) >= 20
    for m in rows:
        assert any(s.startswith("https://") for s in m.record.sources), m.record.name
        assert m.spec.architecture in ("diffusion", "autoregressive")
        assert lo(m.spec.model.total_params) > 0
        if m.spec.architecture == "diffusion":
            assert 1 <= lo(m.spec.steps) <= hi(m.spec.steps) <= 100
            assert lo(m.spec.guidance_passes) >= 1 and hi(m.spec.guidance_passes) <= 2
        else:
            assert dict(m.spec.qualities)
        for s in m.spec.sizes:
            parse_size(s)


def test_image_names_do_not_resolve_as_text_models() -> None:
    assert images.resolve("gpt-4o").record is None
    assert tokenprint.estimate_image("gpt-4o").errors[0].code == "model-not-registered"


def test_registered_image_model_uses_generic_diffusion_assumptions() -> None:
    register_model("my-diffuser", total_params=2.0, modality="image")
    imp = tokenprint.estimate_image("my-diffuser", size="1024x1024")
    assert imp.errors == [] and imp.energy is not None
    # 20-50 steps, 1-2 passes: the high bound is well above 5x the low bound
    assert imp.energy.max > 5 * imp.energy.min


# -- estimate_image -------------------------------------------------------------------------


def test_estimate_image_records_its_basis() -> None:
    imp = tokenprint.estimate_image("gpt-image-1", n=2, size="1024x1536", quality="high")
    b = imp.basis
    assert (b.modality, b.images, b.image_size, b.image_quality) == (
        "image",
        2,
        "1024x1536",
        "high",
    )
    assert b.model_resolved == "gpt-image-1" and b.datacenter == "openai"
    assert "model-arch-not-released" in [w.code for w in imp.warnings]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n": 0}, InvalidArgumentError),
        ({"n": -1}, InvalidArgumentError),
        ({"n": 1.0}, InvalidTypeError),
        ({"size": "huge"}, InvalidArgumentError),
        ({"size": 1024}, InvalidTypeError),
        ({"quality": "ultra"}, InvalidArgumentError),
        ({"quality": "high", "steps": 10}, InvalidArgumentError),
        ({"steps": 0}, InvalidArgumentError),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        tokenprint.estimate_image("gpt-image-1", **kwargs)  # type: ignore[arg-type]


def test_unknown_model_is_an_error_or_raises_when_strict() -> None:
    assert tokenprint.estimate_image("no-such-painter").errors[0].code == "model-not-registered"
    with pytest.raises(ModelNotRegisteredError):
        tokenprint.estimate_image("no-such-painter", strict=True)


@pytest.mark.parametrize(
    ("model", "kwargs"),
    [
        ("stabilityai/stable-diffusion-xl-base-1.0", {}),
        ("stabilityai/stable-diffusion-3-medium-diffusers", {}),
        ("black-forest-labs/FLUX.1-dev", {}),
        ("black-forest-labs/FLUX.1-schnell", {}),
        ("dall-e-3", {}),
        ("imagen-4.0-generate-001", {}),
        ("gpt-image-1", {"quality": "medium"}),
    ],
)
def test_one_1024_image_costs_more_than_a_500_token_answer_of_a_small_model(
    model: str, kwargs: dict[str, str]
) -> None:
    # Luccioni et al. 2024 ("Power Hungry Processing"): image generation ~2.9 Wh per image
    # on average against ~0.05 Wh for a text-generation answer.
    chat = tokenprint.estimate(
        "meta-llama/Llama-3.1-8B-Instruct", output_tokens=500, provider="huggingface_hub"
    )
    image = tokenprint.estimate_image(model, size="1024x1024", provider="huggingface_hub", **kwargs)  # type: ignore[arg-type]
    assert chat.energy is not None and image.energy is not None
    assert image.energy.min > chat.energy.max
    assert image.gwp is not None and chat.gwp is not None and image.gwp.min > chat.gwp.max


def test_cli_estimates_an_image(capsys: pytest.CaptureFixture[str]) -> None:
    from tokenprint.cli import main

    args = ["estimate", "--modality", "image", "--model", "gpt-image-1", "--n", "1"]
    rc = main([*args, "--size", "1024x1024", "--quality", "high", "--json"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["basis"]["images"] == 1 and data["basis"]["image_quality"] == "high"
    assert data["energy"]["value"]["min"] > 0


def test_cli_image_table_and_bad_size(capsys: pytest.CaptureFixture[str]) -> None:
    from tokenprint.cli import main

    assert main(["estimate", "--modality", "image", "--model", "sdxl", "--steps", "30"]) == 0
    assert "1 image(s)" in capsys.readouterr().out
    assert main(["estimate", "--modality", "image", "--model", "sdxl", "--size", "big"]) == 2
    assert "1024x1024" in capsys.readouterr().err


def test_settings_an_sdk_reports_but_the_catalogue_lacks_become_warnings() -> None:
    from tokenprint.engine import default_estimator
    from tokenprint.usage import Usage

    u = Usage("openai", "gpt-image-1", modality="image", images=1, image_quality="xhigh")
    imp = default_estimator().compute(u._replace(image_size="1024x1024"))
    assert imp.errors == [] and "image-quality-unknown" in [w.code for w in imp.warnings]
    span = tokenprint.estimate_image("gpt-image-1", size="1024x1024", quality="auto")
    assert imp.energy == span.energy
    odd = default_estimator().compute(u._replace(image_size="big", image_quality="low"))
    assert "image-size-unknown" in [w.code for w in odd.warnings]
