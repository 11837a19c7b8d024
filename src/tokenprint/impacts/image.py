"""Impacts of one image-generation request: pure functions, no SDK, no file access.

Two kinds of models (``docs/methodology.md``, "Image generation"):

* **diffusion** (DALL·E, Imagen, Stable Diffusion, FLUX): each denoising step runs the
  denoiser over every latent token of the image, a compute-bound pass like an LLM prefill
  (2·P FLOPs per token). An image is therefore the prefill of
  ``steps x guidance passes x latent tokens`` tokens, with latent tokens = pixels / 16²
  (a VAE that downsamples 8x, then 2x2 patches).
* **autoregressive** (gpt-image): the image is a sequence of image tokens decoded like text;
  the count comes from the API's usage when given, else from the publisher's table of
  tokens per image by quality and size.

Both go through :mod:`tokenprint.impacts.llm` (hardware, server, PUE, water, electricity,
embodied), so no formula is written twice. Ranges: steps, guidance passes, undisclosed model
sizes and unknown quality settings travel as Ranges; the result is monotone in each.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import NamedTuple

from tokenprint.impacts.llm import Coefficients, coefficients, spread, terms
from tokenprint.impacts.profiles import Accelerator, DataCenter, ElectricityMix, ModelSpec, Server
from tokenprint.impacts.ranges import Range, Value, hi, lo

__all__ = [
    "DIFFUSION_MFU",
    "DIFFUSION_PARALLEL",
    "DIFFUSION_RESIDUAL",
    "GENERIC_STEPS",
    "REFERENCE_AREA",
    "VIDEO_SECONDS",
    "ImageSpec",
    "diffusion_flops",
    "image_coefficients",
    "image_request",
    "image_tokens",
    "latent_tokens",
    "parse_size",
    "video_tokens",
]

Vectors = tuple[tuple[float, ...], ...]
Note = tuple[str, str]

# Diffusion inference is compute-bound, its energy linear in FLOPs (Iyengar et al. 2025,
# "Energy Scaling Laws for Diffusion Models"): a denoising pass is a prefill of its latent
# tokens at an achieved utilisation fitted on measurements (methodology, "Image generation").
DIFFUSION_MFU = 0.2341
"""Achieved share of the dense BF16 peak in a denoising pass on one accelerator, fitted by
scripts/fit_serving.py on ML.ENERGY v3's image and video generation measurements."""
DIFFUSION_PARALLEL = 0.2871
"""How the achieved share falls when a pass is split over ``n`` accelerators: ``n^-x``
(same fit; catalogued image models fit on one accelerator, so estimates use the first)."""
DIFFUSION_RESIDUAL = Range(0.444, 2.22)
"""Measured / modelled GPU energy per image or video over the same measurements, 5th and
95th percentiles (the fit prints them)."""
# Denoising steps of a diffusion model without a catalogue row (register_model(...,
# modality="image")): 20-50 spans the defaults of the diffusers pipelines (28 for SD3/FLUX,
# 50 for SD 1.5/SDXL) and common serving settings.
GENERIC_STEPS = Range(20.0, 50.0)
GENERIC_GUIDANCE_PASSES = Range(1.0, 2.0)
# Length of a clip whose duration is unknown: the 4-12 seconds the video APIs offer (OpenAI's
# Sora 2: 4, 8 or 12 s, default 4).
VIDEO_SECONDS = Range(4.0, 12.0)
# Autoregressive token tables are given for a 1024x1024 image; other sizes scale with area
# (OpenAI's 1024x1536 counts are exactly 1.5x; its 1536x1024 ones 1.5 % lower).
REFERENCE_AREA = 1024.0 * 1024.0
_SIZE = re.compile(r"^\s*(\d{1,5})\s*[x×*]\s*(\d{1,5})\s*$", re.IGNORECASE)
_STEPS = re.compile(r"^\s*steps\s*=\s*(\d{1,4})\s*$", re.IGNORECASE)


class ImageSpec(NamedTuple):
    """What an image model contributes to its impacts (built by the catalogue)."""

    name: str
    architecture: str
    """``diffusion`` or ``autoregressive``."""
    model: ModelSpec
    """Parameters (billions) of the denoiser or of the token decoder."""
    steps: Value = GENERIC_STEPS
    guidance_passes: Value = GENERIC_GUIDANCE_PASSES
    """Denoiser passes per step: 2 with classifier-free guidance, 1 when distilled."""
    pixels_per_token: float = 16.0
    qualities: tuple[tuple[str, Value], ...] = ()
    """Quality name -> step multiplier (diffusion) or tokens per 1024x1024 image (autoregr.)."""
    default_quality: str = ""
    sizes: tuple[str, ...] = ()
    """Sizes the API accepts (``WxH``); empty when any size goes."""
    default_size: str = "1024x1024"
    fps: Value = 0.0
    """Frames per second of a video model's output; 0 for an image model."""
    frames_per_latent: float = 1.0
    """Temporal compression of a video model's VAE: output frames per latent frame."""


def parse_size(size: str) -> tuple[int, int]:
    """``"1024x1024"`` -> ``(1024, 1024)``; ValueError for anything else."""
    m = _SIZE.match(size)
    if m is None or int(m.group(1)) == 0 or int(m.group(2)) == 0:
        raise ValueError(f"image size must look like '1024x1024', got {size!r}")
    return int(m.group(1)), int(m.group(2))


def _area(spec: ImageSpec, size: str | None) -> tuple[Value, Note | None]:
    """Pixels of one image; ``auto``/unknown sizes span the sizes the model accepts."""
    s = (size or "").strip().lower() or spec.default_size.lower()
    if s == "auto":
        areas = [w * h for w, h in map(parse_size, spec.sizes or ("1024x1024",))]
        low, high = float(min(areas)), float(max(areas))
        return (low if low == high else Range(low, high)), None
    try:
        w, h = parse_size(s)
    except ValueError:
        w, h = parse_size(spec.default_size if spec.default_size != "auto" else "1024x1024")
        return float(w * h), (
            "image-size-unknown",
            f"image size {size!r} not understood: assumed {w}x{h}",
        )
    return float(w * h), None


def _quality(spec: ImageSpec, quality: str | None) -> tuple[Value | None, Note | None]:
    """The quality's value, the span of all values for ``auto``/unknown ones, None if the
    model has no quality setting."""
    if not spec.qualities:
        return None, None
    table = dict(spec.qualities)
    q = (quality or "").strip().lower() or spec.default_quality.lower()
    if q in table:
        return table[q], None
    values = list(table.values())
    span = Range(min(lo(v) for v in values), max(hi(v) for v in values))
    if q in ("", "auto"):
        return span, None
    return span, (
        "image-quality-unknown",
        f"quality {quality!r} is not one of {sorted(table)} for {spec.name}: using their range",
    )


def image_tokens(
    spec: ImageSpec, images: int, size: str | None, quality: str | None
) -> tuple[Value, tuple[Note, ...]]:
    """Tokens the model processes for ``images`` images: latent tokens over all denoising
    steps and passes (diffusion), or decoded image tokens (autoregressive).

    For diffusion models ``quality`` may also be ``"steps=N"``: the exact step count.
    """
    notes: list[Note] = []
    area, note = _area(spec, size)
    if note:
        notes.append(note)
    if spec.architecture == "autoregressive":
        per_image, note = _quality(spec, quality)
        if note:
            notes.append(note)
        if per_image is None:  # a registered model without a token table
            per_image = area / (spec.pixels_per_token**2)
            return images * per_image, tuple(notes)
        return images * per_image * area / REFERENCE_AREA, tuple(notes)
    steps: Value = spec.steps
    m = _STEPS.match(quality or "")
    if m:
        steps = float(m.group(1))
    else:
        scale, note = _quality(spec, quality)
        if note:
            notes.append(note)
        if scale is not None:
            steps = steps * scale
    latent = area / (spec.pixels_per_token**2)
    return images * steps * spec.guidance_passes * latent, tuple(notes)


def video_tokens(
    spec: ImageSpec, videos: int, size: str | None, seconds: float | None
) -> tuple[Value, float, tuple[Note, ...]]:
    """Tokens a video model processes for ``videos`` clips of ``seconds`` at ``size``: the
    latent tokens of a clip over every denoising step and pass; and the latent tokens of one
    clip, the sequence each pass attends over (geometric midpoint of a range).

    A clip has ``seconds x fps`` frames; the video VAE keeps its first frame and compresses
    the others ``frames_per_latent`` times (Wan, HunyuanVideo, CogVideoX: 81 frames -> 21).
    A spec without a frame rate (an image model) makes one latent frame.
    """
    area, note = _area(spec, size)
    notes: tuple[Note, ...] = (note,) if note else ()
    duration: Value = VIDEO_SECONDS if seconds is None else seconds
    if seconds is None:
        notes += (("video-duration-unknown", f"video length unknown: assumed {duration}s"),)
    latent_frames: Value = 1.0
    if hi(spec.fps) > 0:
        latent_frames = 1.0 + (spec.fps * duration - 1.0) / spec.frames_per_latent
    per_clip = latent_frames * area / (spec.pixels_per_token**2)
    tokens = videos * spec.steps * spec.guidance_passes * per_clip
    return tokens, math.sqrt(lo(per_clip) * hi(per_clip)), notes


def image_coefficients(
    spec: ImageSpec,
    accelerators: Callable[[str], Accelerator],
    server: Server,
    site: DataCenter,
    mix: ElectricityMix,
) -> Coefficients:
    """Per-token coefficients: denoising steps run at :data:`DIFFUSION_MFU`; autoregressive
    models use the text model's coefficients unchanged."""
    if spec.architecture == "autoregressive":
        return coefficients(spec.model, accelerators, server, site, mix)
    return coefficients(
        spec.model,
        accelerators,
        server,
        site,
        mix,
        prefill_mfu=DIFFUSION_MFU,
        fit_residual=DIFFUSION_RESIDUAL,
    )


def diffusion_flops(
    params: float, attention_flops: float, latent: float, steps: float, passes: float
) -> float:
    """FLOPs of one image or video: ``steps x passes`` denoiser passes over its ``latent``
    tokens, each 2 FLOPs per parameter (billions) plus attention within the output's own
    tokens (``attention_flops`` per token pair)."""
    return steps * passes * latent * (2e9 * params + attention_flops * latent / 2.0)


def latent_tokens(spec: ImageSpec, size: str | None) -> float:
    """Latent tokens of one image: the sequence each denoiser pass attends over (the
    geometric midpoint when the size is a range)."""
    area, _ = _area(spec, size)
    return math.sqrt(lo(area) * hi(area)) / (spec.pixels_per_token**2)


def image_request(
    c: Coefficients,
    spec: ImageSpec,
    tokens: Value,
    input_tokens: float = 0.0,
    sequence: float | None = None,
) -> Vectors:
    """(P5, best estimate, P95) impact vectors for ``tokens`` from :func:`image_tokens` (or
    the API's usage); a token count known as a range widens the interval at both ends.

    Diffusion: the tokens are prefilled (compute-bound, no batch sharing), each denoiser
    pass attending over one image's ``sequence`` latent tokens (default 1024x1024: 4,096);
    the text prompt's encoding is left out (well under 1 % of the denoising FLOPs).
    Autoregressive: the tokens are decoded as output tokens after ``input_tokens``.
    """
    seq = sequence if sequence is not None else REFERENCE_AREA / spec.pixels_per_token**2

    def at(n: float) -> tuple[float, ...]:
        if spec.architecture == "autoregressive":
            return terms(n, input_tokens)
        return (0.0, 0.0, n, n * seq / 2.0, 0.0)

    return spread(c, at, tokens)
