"""OpenAI adapter for embeddings and images: ``embeddings.create``, ``images.generate``,
``images.edit`` and ``images.create_variation`` (sync and async).

Embeddings report ``usage.prompt_tokens``. GPT Image models report token usage (the image
tokens are the output tokens), also on the ``*.completed`` event of a ``stream=True`` call;
DALL·E responses carry none, so the count, size and quality of the request are recorded and
the impact model uses its tables. Only reads SDK objects; the core does the rest.
"""

from __future__ import annotations

from typing import Any

from tokenprint.instrument.core import Accumulator, Call, Target, first_int, text_tokens
from tokenprint.instrument.providers.openai import _is_raw, _where
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]

_DEFAULT_IMAGE_MODEL = "dall-e-2"
"""What the Images API uses when no model is sent (its documented default)."""


def embedding_usage(call: Call, resp: Any) -> Usage | None:
    """A ``CreateEmbeddingResponse``."""
    if not hasattr(resp, "data") or not hasattr(resp, "model"):
        return None  # with_streaming_response's APIResponse
    provider, host = _where(call.instance)
    requested = call.kwargs.get("model")
    return Usage(
        provider,
        resp.model or requested,
        first_int(getattr(resp, "usage", None), "prompt_tokens", "total_tokens"),
        host=host,
        modality="embedding",
        requested_model=requested,
    )


def _image_usage(call: Call, where: Any, u: Any, images: int, size: Any, quality: Any) -> Usage:
    provider, host = _where(where)
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


def image_usage(call: Call, resp: Any) -> Usage | None:
    """An ``ImagesResponse``: images returned, size and quality (response first, else the
    request), token usage for GPT Image models."""
    if not hasattr(resp, "created") or not hasattr(resp, "data"):
        return None
    k = call.kwargs
    n = len(resp.data or ()) or k.get("n") or 1
    size = getattr(resp, "size", None) or k.get("size")
    quality = getattr(resp, "quality", None) or k.get("quality")
    return _image_usage(call, call.instance, getattr(resp, "usage", None), n, size, quality)


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


def _input_tokens(value: Any) -> int:
    """Tokens of an embeddings ``input``: text (about 4 characters per token) or token ids."""
    if isinstance(value, list) and value and isinstance(value[0], int):
        return len(value)
    if isinstance(value, list) and value and isinstance(value[0], list):
        return sum(_input_tokens(v) for v in value)
    return text_tokens(value)


def embedding_pending(call: Call) -> Pending:
    provider, host = _where(call.instance)
    tokens = _input_tokens(call.kwargs.get("input"))
    model = call.kwargs.get("model")
    return Pending(provider, model, None, tokens, host, call.target.endpoint, "embedding")


def image_pending(call: Call) -> Pending:
    """Before sending: one image of the model's default size and quality range (a Pending
    has no image count)."""
    provider, host = _where(call.instance)
    model = call.kwargs.get("model") or _DEFAULT_IMAGE_MODEL
    tokens = text_tokens(call.kwargs.get("prompt"))
    return Pending(provider, model, None, tokens, host, call.target.endpoint, "image")


def _pair(
    module: str, cls: str, method: str, endpoint: str, usage: Any, stream: Any, pending: Any
) -> list[Target]:
    # is_async explicit: AsyncImages.generate/edit are wrapped by openai's @required_args,
    # which hides the coroutine function from inspection.
    return [
        Target(
            module, f"{p}{cls}.{method}", endpoint, usage, stream, pending, raw=_is_raw, is_async=a
        )
        for p, a in (("", None), ("Async", True))
    ]


_IMAGES = "openai.resources.images"

TARGETS: list[Target] = [
    *_pair(
        "openai.resources.embeddings",
        "Embeddings",
        "create",
        "embeddings.create",
        embedding_usage,
        None,
        embedding_pending,
    ),
    *_pair(
        _IMAGES, "Images", "generate", "images.generate", image_usage, ImageStream, image_pending
    ),
    *_pair(_IMAGES, "Images", "edit", "images.edit", image_usage, ImageStream, image_pending),
    *_pair(
        _IMAGES,
        "Images",
        "create_variation",
        "images.create_variation",
        image_usage,
        None,
        image_pending,
    ),
]
