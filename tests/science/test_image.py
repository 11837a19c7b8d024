"""Image generation: token counts and energy against hand-computed values, the catalogue,
estimate_image() and the CLI, and the issue's comparison with a chat answer."""

from __future__ import annotations

import json
import math

import pytest

import tokenprint
from tests.support.profiles import ACC, MIX, POINT_SITE, SERVER
from tokenprint import Range, register_model
from tokenprint.catalog import images
from tokenprint.errors import InvalidArgumentError, InvalidTypeError, ModelNotRegisteredError
from tokenprint.impacts import serving
from tokenprint.impacts.image import (
    DIFFUSION_MFU,
    DIFFUSION_RESIDUAL,
    ImageSpec,
    image_coefficients,
    image_request,
    image_tokens,
    parse_size,
)
from tokenprint.impacts.llm import SECONDS_PER_YEAR, coefficients, request, terms
from tokenprint.impacts.profiles import (
    Accelerator,
    Architecture,
    DataCenter,
    ModelSpec,
)
from tokenprint.impacts.ranges import hi, lo

DC = POINT_SITE
# A denoiser without attention layers: its cost is the per-token prefill alone, 2 FLOPs per
# parameter per latent token (how attention is counted is tested on its own, below).
NO_ATTENTION = Architecture("no-attention", 24, 24, 24, 64.0, 0.0, 0, 0.0, 0, 0, 0.0, "bf16", ())

DIT_2B = ImageSpec("dit", "diffusion", ModelSpec("dit", 2.0, 2.0), steps=25.0, guidance_passes=2.0)
GPT_IMAGE = images.spec_for(images.resolve("gpt-image-1").record)  # type: ignore[arg-type]
Vectors = tuple[tuple[float, ...], ...]


def _acc(name: str) -> Accelerator:
    assert name == "H100"
    return ACC


def _image(spec: ImageSpec, tokens: Range | float, dc: DataCenter = DC, **kw: float) -> Vectors:
    return image_request(image_coefficients(spec, _acc, SERVER, dc, MIX), spec, tokens, **kw)


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
    spec = DIT_2B._replace(model=ModelSpec("dit", 2.0, 2.0, architecture=NO_ATTENTION))
    tokens, _ = image_tokens(spec, 1, "1024x1024", None)
    low, mid, high = _image(spec, tokens)
    # best estimate: the fitted utilisation, the geometric midpoint of the residual
    mfu = DIFFUSION_MFU  # fitted on ML.ENERGY's diffusion measurements
    residual = math.sqrt(DIFFUSION_RESIDUAL.min * DIFFUSION_RESIDUAL.max)
    flops = 204_800 * 2 * 2e9  # 8.192e14 FLOPs
    t = flops / (989e12 * mfu)
    assert t == pytest.approx(3.5384, rel=1e-4)  # s
    # accelerator power: static share plus compute at the achieved rate, capped at the board
    fit = serving.Fitted()
    power = 700.0 * min(fit.power_static + fit.power_compute * mfu / fit.eta_compute, 1.0)
    acc_s = t * residual  # accelerator-seconds
    it = (power + 1000.0 / 8) * acc_s / 3.6e6  # kWh: the GPU and 1/8 of the host
    assert mid[0] == pytest.approx(it * 1.2, rel=1e-9)  # x PUE
    assert mid[1] == pytest.approx(it * 1.2 * 0.05, rel=1e-9)  # GWP from the mix
    assert mid[4] == pytest.approx(it * 0.5 + it * 1.2 * 3.0, rel=1e-9)  # water
    per_s = (200.0 + 5000.0 / 8) / (4 * SECONDS_PER_YEAR)  # embodied GWP per GPU-second
    assert mid[5] == pytest.approx(acc_s * per_s, rel=1e-9)
    for a, c, b in zip(low, mid, high, strict=True):
        assert 0 < a < c < b


def _sd3_medium() -> ImageSpec:
    res = images.resolve("stabilityai/stable-diffusion-3-medium-diffusers")
    assert res.record is not None
    return images.spec_for(res.record)


def _gpu_only(spec: ImageSpec, steps: int) -> Vectors:
    """GPU energy alone (no host power, PUE 1) of one 1024x1024 image on one H100."""
    gpu_site = DC._replace(pue=1.0, wue=0.0)
    tokens, _ = image_tokens(spec, 1, "1024x1024", f"steps={steps}")
    c = image_coefficients(spec, _acc, SERVER._replace(power_w=0.0), gpu_site, MIX)
    return image_request(c, spec, tokens)


def test_an_earlier_measurement_of_sd3_medium_is_within_a_factor_of_three() -> None:
    # ML.ENERGY via MIT Technology Review (2025): SD3 Medium (2B), 1024x1024, 25 steps with
    # guidance, 1,141 J of GPU energy on an H100; not in the fitted data (v3 measures
    # SD3.5). The fitted model puts it 2.4x higher, below its interval (a documented miss).
    low, mid, high = _gpu_only(_sd3_medium(), 25)
    assert 1141 / 3 < mid[0] * 3.6e6 < 1141 * 3
    assert low[0] <= mid[0] <= high[0]


def test_diffusion_energy_is_linear_in_images_and_steps() -> None:
    # methodology: energy grows linearly with steps, guidance passes and image count
    def energy(**kw: object) -> float:
        imp = tokenprint.estimate_image("black-forest-labs/FLUX.1-dev", size="1024x1024", **kw)  # type: ignore[arg-type]
        assert imp.energy is not None
        return imp.energy.central

    base = energy(steps=28)
    assert energy(steps=28, n=2) == pytest.approx(2 * base)
    assert energy(steps=56) == pytest.approx(2 * base)


def test_autoregressive_image_is_decoded_like_text() -> None:
    spec = ImageSpec("ar", "autoregressive", ModelSpec("ar", 8.0, 8.0), qualities=(("low", 272.0),))
    text = coefficients(spec.model, _acc, SERVER, DC, MIX)
    assert _image(spec, 272.0) == request(text, terms(272.0))
    # the prompt is the context the image tokens are decoded after
    assert _image(spec, 272.0, input_tokens=50.0) == request(text, terms(272.0, 50.0))
    assert _image(spec, 272.0, input_tokens=50.0) != _image(spec, 272.0)


def test_a_token_range_widens_the_interval_at_both_ends() -> None:
    # P5 at the fewest tokens, P95 at the most, the best estimate at their geometric mean
    # (272 and 4,160 tokens: GPT Image's low and high quality)
    spec = ImageSpec("ar", "autoregressive", ModelSpec("ar", 8.0, 8.0), qualities=(("low", 272.0),))
    low, mid, high = _image(spec, Range(272.0, 4160.0))
    assert low == _image(spec, 272.0)[0]
    assert high == _image(spec, 4160.0)[2]
    assert mid == pytest.approx(_image(spec, math.sqrt(272.0 * 4160.0))[1], rel=1e-12)


def test_energy_grows_with_size_steps_count_and_quality() -> None:
    def energy(**kw: object) -> float:
        imp = tokenprint.estimate_image("black-forest-labs/FLUX.1-dev", **kw)  # type: ignore[arg-type]
        assert imp.energy is not None
        return imp.energy.central

    base = energy(size="1024x1024", steps=28)
    assert energy(size="512x512", steps=28) < base < energy(size="1536x1536", steps=28)
    assert energy(size="1024x1024", steps=50) > base
    # at least in proportion (exactly so: test_diffusion_energy_is_linear_in_images_and_steps)
    assert energy(size="1024x1024", steps=28, n=2) >= 2 * base * (1 - 1e-12)
    q = {
        qual: tokenprint.estimate_image("gpt-image-1", quality=qual, size="1024x1024").energy
        for qual in ("low", "medium", "high")
    }
    assert q["low"] is not None and q["medium"] is not None and q["high"] is not None
    for bound in ("min", "central", "max"):
        assert q["low"].bound(bound) < q["medium"].bound(bound) < q["high"].bound(bound)


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
    # 20-50 steps (and 1-2 passes either way): the interval runs from the P5 of 20 steps
    # to the P95 of 50 steps
    fewest = tokenprint.estimate_image("my-diffuser", size="1024x1024", steps=20).energy
    most = tokenprint.estimate_image("my-diffuser", size="1024x1024", steps=50).energy
    assert fewest is not None and most is not None
    assert imp.energy.min == pytest.approx(fewest.min, rel=1e-12)
    assert imp.energy.max == pytest.approx(most.max, rel=1e-12)
    assert fewest.central < imp.energy.central < most.central


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
    # Compared percentile by percentile: at one site both share the uncertain inputs (PUE,
    # the fit's residual...); the 5-95 % intervals themselves may overlap.
    for crit in ("energy", "gwp"):
        img, txt = image.criterion(crit), chat.criterion(crit)
        assert img is not None and txt is not None
        for q in ("min", "central", "max"):
            assert img.bound(q) > txt.bound(q), (crit, q)


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
    from tokenprint.estimator import default_estimator
    from tokenprint.records import Usage

    u = Usage("openai", "gpt-image-1", modality="image", images=1, image_quality="xhigh")
    imp = default_estimator().compute(u._replace(image_size="1024x1024"))
    assert imp.errors == [] and "image-quality-unknown" in [w.code for w in imp.warnings]
    span = tokenprint.estimate_image("gpt-image-1", size="1024x1024", quality="auto")
    assert imp.energy == span.energy
    odd = default_estimator().compute(u._replace(image_size="big", image_quality="low"))
    assert "image-size-unknown" in [w.code for w in odd.warnings]
