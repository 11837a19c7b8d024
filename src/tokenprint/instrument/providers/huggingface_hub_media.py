"""Hugging Face Hub adapter for embeddings and images: ``InferenceClient.feature_extraction``
and ``text_to_image``, sync and async.

``feature_extraction`` returns a numpy array: nothing can be attached to it, and the API
reports no usage, so the input tokens are estimated from the text (with a warning) and the
Usage still reaches the trackers, budgets and exporters. ``text_to_image`` returns a PIL image
(it takes ``impacts``); its size is read from the image, and ``num_inference_steps`` is passed
on as the quality ``steps=N``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.contract import Builder, Call, Request, Target
from tokenprint.instrument.read import ESTIMATED_INPUT, host_of, request_tokens
from tokenprint.records import Usage

__all__ = ["TARGETS"]

_ROUTER = "router.huggingface.co"


def _model(call: Call) -> tuple[str | None, str | None]:
    """(model, host): a model given as a URL (Inference Endpoint, local server) is a host."""
    model = call.get("model") or getattr(call.instance, "model", None)
    if isinstance(model, str) and model.startswith(("http://", "https://")):
        return None, host_of(model)
    return (model if isinstance(model, str) else None), _ROUTER


def model(call: Call) -> str | None:
    """``Request.model``: the model of the call, else the client's (None for a URL)."""
    return _model(call)[0]


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: provider ``huggingface_hub``; a URL model's host, else the router."""
    return "huggingface_hub", _model(call)[1]


def _usage(call: Call, modality: str, **fields: Any) -> Usage:
    """Tokens of the request text (the API reports none), the model and host of the call."""
    model, host = _model(call)
    return Usage("huggingface_hub", model, input_tokens=request_tokens(call), host=host,
                 modality=modality, requested_model=model, **fields)  # fmt: skip


def embedding_usage(call: Call, result: Any) -> Builder:
    """Whatever ``feature_extraction`` returned (an array)."""
    return partial(_usage, call, "embedding", warnings=(ESTIMATED_INPUT,))


def image_usage(call: Call, image: Any) -> Builder:
    """A PIL image: its size (else the requested width and height); the steps when the
    caller chose them."""
    size = getattr(image, "size", None)
    if not (isinstance(size, tuple) and len(size) == 2):
        w, h = call.get("width"), call.get("height")
        size = (w, h) if isinstance(w, int) and isinstance(h, int) else None
    steps = call.get("num_inference_steps")
    return partial(
        _usage,
        call,
        "image",
        images=1,
        image_size=f"{size[0]}x{size[1]}" if size else None,
        image_quality=f"steps={steps}" if isinstance(steps, int) and steps > 0 else None,
    )


EMBEDDING = Request(where, ("text",), modality="embedding", model=model, positional=("text",))
IMAGE = Request(where, ("prompt",), modality="image", model=model, positional=("prompt",))

TARGETS: list[Target] = [
    Target(module, f"{cls}.{method}", method, usage, request=request)
    for module, cls in (
        ("huggingface_hub.inference._client", "InferenceClient"),
        ("huggingface_hub.inference._generated._async_client", "AsyncInferenceClient"),
    )
    for method, usage, request in (
        ("feature_extraction", embedding_usage, EMBEDDING),
        ("text_to_image", image_usage, IMAGE),
    )
]
