"""Google Gen AI adapter for embeddings and images: ``models.embed_content`` and
``models.generate_images`` (Imagen), sync and async.

Embedding answers carry a token count only on Vertex AI (``statistics.token_count`` per
embedding, or ``usage_metadata``); the Gemini Developer API returns none, so the input
tokens are then estimated from the text with a warning. Imagen answers carry no usage: the
number of images and the size (from the aspect ratio and ``image_size``) come from the
request's config.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.contract import Builder, Call, Request, Target
from tokenprint.instrument.providers.google_genai import where
from tokenprint.instrument.read import ESTIMATED_INPUT, first_int, request_tokens
from tokenprint.records import Usage

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


def _model(call: Call) -> str | None:
    """The requested model, without a resource prefix (``models/``)."""
    model = call.get("model")
    if isinstance(model, str) and model.startswith(("models/", "publishers/google/models/")):
        return model.rsplit("/", 1)[1]
    return model if isinstance(model, str) else None


def _config(call: Call, name: str) -> Any:
    config = call.kwargs.get("config")
    return config.get(name) if isinstance(config, dict) else getattr(config, name, None)


def _embedding(call: Call, tokens: int) -> Usage:
    warnings: tuple[tuple[str, str], ...] = ()
    if not tokens:
        tokens, warnings = request_tokens(call), (ESTIMATED_INPUT,)
    model = _model(call)
    return Usage(
        "google",
        model,
        input_tokens=tokens,
        host=where(call)[1],
        modality="embedding",
        requested_model=model,
        warnings=warnings,
    )


def embed_usage(call: Call, resp: Any) -> Builder | None:
    """An ``EmbedContentResponse``: usage metadata, else per-embedding statistics, else an
    estimate from the request's text."""
    if not hasattr(resp, "embeddings"):
        return None
    tokens = first_int(getattr(resp, "usage_metadata", None), "prompt_token_count")
    if not tokens:
        for emb in resp.embeddings or ():
            tokens += first_int(getattr(emb, "statistics", None), "token_count")
    return partial(_embedding, call, tokens)


def _size(call: Call) -> str | None:
    wh = _ASPECT_1K.get(_config(call, "aspect_ratio") or "1:1")
    if wh is None:
        return None
    scale = 2 if str(_config(call, "image_size") or "").upper() == "2K" else 1
    return f"{wh[0] * scale}x{wh[1] * scale}"


def _image(call: Call, images: int) -> Usage:
    model = _model(call)
    return Usage(
        "google",
        model,
        input_tokens=request_tokens(call),
        host=where(call)[1],
        modality="image",
        requested_model=model,
        images=images,
        image_size=_size(call),
    )


def image_usage(call: Call, resp: Any) -> Builder | None:
    """A ``GenerateImagesResponse``: the images returned (or requested) and their size."""
    if not hasattr(resp, "generated_images"):
        return None
    n = len(resp.generated_images or ()) or _config(call, "number_of_images") or 1
    return partial(_image, call, n)


EMBEDDING = Request(where, text=("contents",), modality="embedding")
IMAGE = Request(where, text=("prompt",), modality="image")

TARGETS: list[Target] = [
    Target("google.genai.models", f"{cls}.{method}", method, usage, request=request)
    for cls in ("Models", "AsyncModels")
    for method, usage, request in (
        ("embed_content", embed_usage, EMBEDDING),
        ("generate_images", image_usage, IMAGE),
    )
]
