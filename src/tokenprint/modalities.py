"""Embeddings and image generation: their impact functions for the Estimator, and
:func:`estimate_embedding` / :func:`estimate_image` for use without any SDK.

The engine imports this module the first time a request of either modality arrives
(``engine.PLUGINS``), so ``import tokenprint`` and text-only applications never load it.
"""

from __future__ import annotations

from tokenprint.catalog import hardware
from tokenprint.catalog import images as image_catalog
from tokenprint.engine import (
    MODALITIES,
    RESOLVERS,
    Context,
    DataCenterArg,
    Estimate,
    Notes,
    check_count,
    check_zone,
    default_estimator,
)
from tokenprint.errors import InvalidArgumentError, InvalidTypeError, ModelNotRegisteredError
from tokenprint.impacts.embedding import embedding_coefficients, embedding_request
from tokenprint.impacts.image import (
    image_coefficients,
    image_request,
    image_tokens,
    latent_tokens,
    parse_size,
)
from tokenprint.impacts.profiles import ElectricityMix
from tokenprint.impacts.ranges import Value
from tokenprint.impacts.results import Impacts
from tokenprint.usage import Usage

__all__ = ["estimate_embedding", "estimate_image"]


def _embedding(ctx: Context, u: Usage) -> Estimate:
    c = ctx.prepared.get("embedding")
    if c is None:
        c = ctx.prepared["embedding"] = embedding_coefficients(
            ctx.record.spec(), hardware.get_accelerator, ctx.server, ctx.datacenter, ctx.mix
        )
    return Estimate(embedding_request(c, u.input_tokens), setup=c.setup)


def _image(ctx: Context, u: Usage) -> Estimate:
    prepared = ctx.prepared.get("image")
    if prepared is None:
        spec = image_catalog.spec_for(ctx.record)
        c = image_coefficients(spec, hardware.get_accelerator, ctx.server, ctx.datacenter, ctx.mix)
        prepared = ctx.prepared["image"] = (spec, c)
    spec, c = prepared
    tokens: Value
    notes: Notes = ()
    if spec.architecture == "autoregressive" and u.output_tokens > 0:
        tokens = float(u.output_tokens)  # the API's own count (gpt-image usage)
    else:
        tokens, notes = image_tokens(spec, u.images or 1, u.image_size, u.image_quality)
    vectors = image_request(c, spec, tokens, u.input_tokens, latent_tokens(spec, u.image_size))
    return Estimate(vectors, setup=c.setup, notes=notes)


MODALITIES["embedding"] = _embedding
MODALITIES["image"] = _image
RESOLVERS["image"] = image_catalog.resolve


def _check_model(model: object) -> str:
    if not isinstance(model, str) or not model.strip():
        raise InvalidTypeError(f"model must be a non-empty str, got {model!r}")
    return model


def _check_provider(provider: object) -> str | None:
    if provider is not None and not isinstance(provider, str):
        raise InvalidTypeError(f"provider must be a str, got {type(provider).__name__}")
    return provider


def _compute(usage: Usage, zone: object, datacenter: DataCenterArg, strict: bool) -> Impacts:
    impacts = default_estimator().compute(usage, check_zone(zone), datacenter)
    if strict and impacts.errors:
        raise ModelNotRegisteredError(impacts.errors[0].message)
    return impacts


def estimate_embedding(
    model: str,
    input_tokens: int,
    *,
    provider: str | None = None,
    zone: str | ElectricityMix | None = None,
    datacenter: DataCenterArg = None,
    strict: bool = False,
) -> Impacts:
    """Impacts of embedding ``input_tokens`` tokens (all inputs of one request together).

    ``provider`` picks the data centre (default: the model publisher's), ``zone`` the
    electricity mix. An unknown model gives Impacts with a ``model-not-registered`` error,
    or raises :class:`ModelNotRegisteredError` if ``strict``.
    """
    usage = Usage(
        _check_provider(provider),
        _check_model(model),
        input_tokens=check_count("input_tokens", input_tokens),
        modality="embedding",
        endpoint="estimate",
    )
    return _compute(usage, zone, datacenter, strict)


def estimate_image(
    model: str,
    *,
    n: int = 1,
    size: str | None = None,
    quality: str | None = None,
    steps: int | None = None,
    provider: str | None = None,
    zone: str | ElectricityMix | None = None,
    datacenter: DataCenterArg = None,
    strict: bool = False,
) -> Impacts:
    """Impacts of generating ``n`` images of ``size`` (``"1024x1024"``; ``"auto"`` or None:
    the model's default) at ``quality`` (the API's setting: ``"low"``/``"medium"``/``"high"``
    for gpt-image, ``"standard"``/``"hd"`` for DALL·E 3).

    ``steps`` fixes the denoising steps of a diffusion model (otherwise the catalogue's
    range). Unknown models: as :func:`estimate_embedding`.
    """
    _check_model(model)
    if check_count("n", n) == 0:
        raise InvalidArgumentError("n must be >= 1")
    for name, text in (("size", size), ("quality", quality)):
        if text is not None and not isinstance(text, str):
            raise InvalidTypeError(f"{name} must be a str, got {type(text).__name__}")
    if size is not None and size.strip().lower() != "auto":
        try:
            parse_size(size)
        except ValueError as exc:
            raise InvalidArgumentError(str(exc)) from None
    if steps is not None:
        if quality is not None:
            raise InvalidArgumentError("give either quality or steps, not both")
        if check_count("steps", steps) == 0:
            raise InvalidArgumentError("steps must be >= 1")
        quality = f"steps={steps}"
    usage = Usage(
        _check_provider(provider),
        model,
        modality="image",
        endpoint="estimate",
        images=n,
        image_size=size,
        image_quality=quality,
    )
    if quality is not None and steps is None:
        _check_quality(usage, quality)
    return _compute(usage, zone, datacenter, strict)


def _check_quality(usage: Usage, quality: str) -> None:
    """Refuse a quality the model does not have (the SDKs refuse it too)."""
    res = image_catalog.resolve(usage.model, usage.provider)
    if res.record is None:
        return  # reported as model-not-registered by the estimate itself
    spec = image_catalog.spec_for(res.record)
    _, notes = image_tokens(spec, 1, usage.image_size, quality)
    for _code, message in notes:
        raise InvalidArgumentError(message)
