"""OpenAI adapter for embeddings and images: ``embeddings.create``, ``images.generate``,
``images.edit`` and ``images.create_variation`` (sync and async).

Embeddings report ``usage.prompt_tokens`` (read by the shared reader: without it, estimated
from the input). GPT Image models report token usage (the image
tokens are the output tokens), also on the ``*.completed`` event of a ``stream=True`` call;
DALL·E responses carry none, so the count, size and quality of the request are recorded and
the impact model uses its tables.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument import read
from tokenprint.instrument.contract import Accumulator, Builder, Call, Request, Target
from tokenprint.instrument.providers.openai import both, client_of, where
from tokenprint.instrument.read import first_int
from tokenprint.records import Usage

__all__ = ["EMBEDDING", "TARGETS"]

_DEFAULT_IMAGE_MODEL = "dall-e-2"
"""What the Images API uses when no model is sent (its documented default)."""


def _image_usage(call: Call, where: Any, u: Any, images: int, size: Any, quality: Any) -> Usage:
    provider, host = client_of(where)
    model = call.kwargs.get("model") or _DEFAULT_IMAGE_MODEL
    return Usage(
        provider,
        model,
        first_int(u, "input_tokens"),
        first_int(u, "output_tokens"),
        host=host,
        modality="image",
        requested_model=model,
        images=images,
        image_size=size if isinstance(size, str) else None,
        image_quality=quality if isinstance(quality, str) else None,
    )


def image_usage(call: Call, resp: Any) -> Builder | None:
    """An ``ImagesResponse``: images returned, size and quality (response first, else the
    request), token usage for GPT Image models."""
    if not hasattr(resp, "created") or not hasattr(resp, "data"):
        return None
    k = call.kwargs
    n = len(resp.data or ()) or k.get("n") or 1
    size = getattr(resp, "size", None) or k.get("size")
    quality = getattr(resp, "quality", None) or k.get("quality")
    u = getattr(resp, "usage", None)
    return partial(_image_usage, call, call.instance, u, n, size, quality)


class ImageStream(Accumulator):
    """``stream=True`` (GPT Image): partial-image events, then one ``*.completed`` event per
    image with its usage, size and quality."""

    __slots__ = ("images", "quality", "size", "tokens_in", "tokens_out")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.images = 0
        self.tokens_in = 0
        self.tokens_out = 0
        self.size: Any = call.kwargs.get("size")
        self.quality: Any = call.kwargs.get("quality")

    def add(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if not (isinstance(kind, str) and kind.endswith(".completed")):
            return False
        self.images += 1
        u = getattr(event, "usage", None)
        self.tokens_in = max(self.tokens_in, first_int(u, "input_tokens"))  # one prompt
        self.tokens_out += first_int(u, "output_tokens")
        self.size = getattr(event, "size", None) or self.size
        self.quality = getattr(event, "quality", None) or self.quality
        return self.images >= (self.call.kwargs.get("n") or 1)

    def usage(self) -> Usage:
        n = self.images or self.call.kwargs.get("n") or 1
        u = {"input_tokens": self.tokens_in, "output_tokens": self.tokens_out}
        return _image_usage(self.call, self.stream, u, n, self.size, self.quality)


EMBEDDING = Request(where, text=("input",), modality="embedding")
IMAGE = Request(where, text=("prompt",), modality="image", default_model=_DEFAULT_IMAGE_MODEL)
"""Before sending, an image request counts as one image of the model's default size and
quality range."""


_IMAGES = "openai.resources.images"

TARGETS: list[Target] = [
    *both("openai.resources.embeddings", "Embeddings", "create", "embeddings.create", None,
          read.embedding_usage, EMBEDDING),
    *both(_IMAGES, "Images", "generate", "images.generate", ImageStream, image_usage, IMAGE),
    *both(_IMAGES, "Images", "edit", "images.edit", ImageStream, image_usage, IMAGE),
    *both(_IMAGES, "Images", "create_variation", "images.create_variation", None, image_usage,
          IMAGE),
]  # fmt: skip
