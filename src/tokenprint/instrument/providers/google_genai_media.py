"""Google Gen AI adapter for embeddings and images: ``models.embed_content`` and
``models.generate_images`` (Imagen), sync and async.

Embedding answers carry a token count only on Vertex AI (``statistics.token_count`` per
embedding, or ``usage_metadata``); the Gemini Developer API returns none, so the input
tokens are then estimated from the text (about 4 characters per token) with a warning.
Imagen answers carry no usage: the number of images and the size (from the aspect ratio
and ``image_size``) come from the request's config. Only reads SDK objects.
"""

from __future__ import annotations

from typing import Any

from tokenprint.instrument.core import (
    ESTIMATED_INPUT,
    Call,
    Target,
    first_int,
    host_of,
    text_tokens,
)
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]

# Imagen output sizes per aspect ratio at "1K" (Vertex AI Imagen documentation); "2K"
# doubles both sides.
_ASPECT_1K = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}


def _host(call: Call) -> str | None:
    api = getattr(call.instance, "_api_client", None)
    return host_of(getattr(getattr(api, "_http_options", None), "base_url", None))


def _model(call: Call) -> str | None:
    model = call.get("model")
    if isinstance(model, str) and model.startswith(("models/", "publishers/google/models/")):
        return model.rsplit("/", 1)[1]
    return model if isinstance(model, str) else None


def _config(call: Call, name: str) -> Any:
    config = call.kwargs.get("config")
    if isinstance(config, dict):
        return config.get(name)
    return getattr(config, name, None)


def embed_usage(call: Call, resp: Any) -> Usage | None:
    """An ``EmbedContentResponse``: usage metadata, else per-embedding statistics, else an
    estimate from the request's text."""
    if not hasattr(resp, "embeddings"):
        return None
    tokens = first_int(getattr(resp, "usage_metadata", None), "prompt_token_count")
    if not tokens:
        for emb in resp.embeddings or ():
            tokens += first_int(getattr(emb, "statistics", None), "token_count")
    warnings: tuple[tuple[str, str], ...] = ()
    if not tokens:
        tokens = text_tokens(call.get("contents"))
        warnings = (ESTIMATED_INPUT,)
    model = _model(call)
    return Usage(
        "google",
        model,
        tokens,
        host=_host(call),
        modality="embedding",
        requested_model=model,
        warnings=warnings,
    )


def _size(call: Call) -> str | None:
    ratio = _config(call, "aspect_ratio") or "1:1"
    wh = _ASPECT_1K.get(ratio)
    if wh is None:
        return None
    scale = 2 if str(_config(call, "image_size") or "").upper() == "2K" else 1
    return f"{wh[0] * scale}x{wh[1] * scale}"


def image_usage(call: Call, resp: Any) -> Usage | None:
    """A ``GenerateImagesResponse``: the images returned (or requested) and their size."""
    if not hasattr(resp, "generated_images"):
        return None
    n = len(resp.generated_images or ()) or _config(call, "number_of_images") or 1
    model = _model(call)
    return Usage(
        "google",
        model,
        text_tokens(call.get("prompt")),
        host=_host(call),
        modality="image",
        requested_model=model,
        images=n,
        image_size=_size(call),
    )


def embed_pending(call: Call) -> Pending:
    tokens = text_tokens(call.get("contents"))
    return Pending("google", _model(call), None, tokens, _host(call), "embed_content", "embedding")


def image_pending(call: Call) -> Pending:
    tokens = text_tokens(call.get("prompt"))
    return Pending("google", _model(call), None, tokens, _host(call), "generate_images", "image")


_M = "google.genai.models"

TARGETS: list[Target] = [
    Target(_M, f"{cls}.{method}", method, usage, pending=pending)
    for cls in ("Models", "AsyncModels")
    for method, usage, pending in (
        ("embed_content", embed_usage, embed_pending),
        ("generate_images", image_usage, image_pending),
    )
]
