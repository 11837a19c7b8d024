"""Hugging Face Hub adapter for embeddings and images: ``InferenceClient.feature_extraction``
and ``text_to_image``, sync and async.

``feature_extraction`` returns a numpy array: nothing can be attached to it, and the API
reports no usage, so the input tokens are estimated from the text (about 4 characters per
token, with a warning) and the Usage still reaches the trackers, budgets and exporters.
``text_to_image`` returns a PIL image (it takes ``impacts``); its size is read from the
image, and ``num_inference_steps`` is passed on as the quality ``steps=N``. Only reads SDK
objects; the core does the rest.
"""

from __future__ import annotations

from typing import Any

from tokenprint.instrument.core import ESTIMATED_INPUT, Call, Target, host_of, text_tokens
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS"]

_ROUTER = "router.huggingface.co"


def _where(call: Call) -> tuple[str | None, str | None]:
    """(model, host): a model given as a URL (Inference Endpoint, local server) is a host."""
    model = call.get("model") or getattr(call.instance, "model", None)
    if isinstance(model, str) and model.startswith(("http://", "https://")):
        return None, host_of(model)
    return (model if isinstance(model, str) else None), _ROUTER


def embedding_usage(call: Call, result: Any) -> Usage | None:
    """Whatever ``feature_extraction`` returned (an array): tokens from the request text."""
    model, host = _where(call)
    return Usage(
        "huggingface_hub",
        model,
        text_tokens(call.get("text", 0)),
        host=host,
        modality="embedding",
        requested_model=model,
        warnings=(ESTIMATED_INPUT,),
    )


def image_usage(call: Call, image: Any) -> Usage | None:
    """A PIL image: its size; the steps when the caller chose them."""
    model, host = _where(call)
    size = getattr(image, "size", None)
    if not (isinstance(size, tuple) and len(size) == 2):
        w, h = call.get("width"), call.get("height")
        size = (w, h) if isinstance(w, int) and isinstance(h, int) else None
    steps = call.get("num_inference_steps")
    return Usage(
        "huggingface_hub",
        model,
        text_tokens(call.get("prompt", 0)),
        host=host,
        modality="image",
        requested_model=model,
        images=1,
        image_size=f"{size[0]}x{size[1]}" if size else None,
        image_quality=f"steps={steps}" if isinstance(steps, int) and steps > 0 else None,
    )


def pending(call: Call) -> Pending:
    model, host = _where(call)
    embedding = call.target.endpoint == "feature_extraction"
    tokens = text_tokens(call.get("text", 0) if embedding else call.get("prompt", 0))
    modality = "embedding" if embedding else "image"
    return Pending("huggingface_hub", model, None, tokens, host, call.target.endpoint, modality)


TARGETS: list[Target] = [
    Target(module, f"{cls}.{method}", method, usage, pending=pending)
    for module, cls in (
        ("huggingface_hub.inference._client", "InferenceClient"),
        ("huggingface_hub.inference._generated._async_client", "AsyncInferenceClient"),
    )
    for method, usage in (("feature_extraction", embedding_usage), ("text_to_image", image_usage))
]
