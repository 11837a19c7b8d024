"""LiteLLM adapter: ``litellm.completion`` and ``litellm.acompletion``, streamed or not.

LiteLLM's ``provider/model`` names are kept as sent (``groq/llama-3.1-8b-instant``): the
catalogue resolves provider prefixes exactly, never by fuzzy matching. The serving provider
(the data centre) comes from LiteLLM's own parsing (``litellm.get_llm_provider``), mapped to
tokenprint's names. When LiteLLM calls an SDK tokenprint also patches (the openai SDK for
Azure...), that nested call (``call.inner``) is the same request: LiteLLM's answer reports
its usage, so the nested one is not added (one request, counted once).
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Any

from tokenprint.instrument.contract import Builder, Call, Request, Target
from tokenprint.instrument.read import (
    ChatChunks,
    chat_answer,
    field,
    host_of,
    provider_for_host,
)
from tokenprint.records import Usage

__all__ = ["TARGETS", "provider_of", "where"]

_PROVIDERS = {
    "mistral": "mistralai", "codestral": "mistralai", "gemini": "google", "vertex_ai": "vertex",
    "vertex_ai_beta": "vertex", "cohere_chat": "cohere", "huggingface": "huggingface_hub",
    "together_ai": "together", "fireworks_ai": "fireworks", "azure_ai": "azure",
    "text-completion-openai": "openai",
    **dict.fromkeys(
        ("ollama", "ollama_chat", "vllm", "hosted_vllm", "lm_studio", "llamafile"), "self-hosted"
    ),
}  # fmt: skip
"""LiteLLM ``custom_llm_provider`` -> tokenprint provider (data-centre) name; others as is."""


@lru_cache(maxsize=4096)
def provider_of(model: str, explicit: str | None = None) -> str | None:
    """tokenprint's provider for a LiteLLM model string, from LiteLLM's own parsing (cached
    per string); None when LiteLLM cannot place it either (no guess)."""
    import litellm

    try:
        name = litellm.get_llm_provider(model, custom_llm_provider=explicit)[1]
    except Exception:
        return None
    return _PROVIDERS.get(name, name) if name else None


def where(call: Call) -> tuple[str | None, str | None]:
    """``Request.where``: the host of ``api_base``/``base_url`` when given (its catalogued
    data centre), else the provider LiteLLM routes the model to."""
    k = call.kwargs
    host = host_of(k.get("api_base") or k.get("base_url"))
    provider = provider_of(str(call.get("model")), k.get("custom_llm_provider"))
    return (provider_for_host(host, provider or "self-hosted") if host else provider), host


def response_usage(call: Call, resp: Any) -> Builder | None:
    """A ``ModelResponse`` (OpenAI-shaped, whatever the provider): counted, else estimated
    from the request and the text of its choices (``read.reported``)."""
    choices = field(resp, "choices")
    if choices is None:
        return None
    return partial(chat_answer, call, field(resp, "model"), field(resp, "usage"), choices)


class Chunks(ChatChunks):
    """``ModelResponseStream`` chunks of a ``CustomStreamWrapper`` (its own iterator); usage
    with ``stream_options={"include_usage": True}``. LiteLLM keeps a chunk's fields among
    pydantic extras, slow to read: each chunk is only checked for ``usage`` as it passes and
    kept (LiteLLM's stream keeps them too); the chunks are read at the end, once."""

    __slots__ = ("kept",)
    iterator = None

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.kept: list[Any] = []

    def add(self, chunk: Any) -> bool:
        self.kept.append(chunk)
        if field(chunk, "usage") is None:
            return False
        self._read_kept()
        return True  # the usage chunk is the last (1.53's has a choice without finish_reason)

    def _read_kept(self) -> None:
        """The model of the first chunk kept; the usage of the last, else the text of all."""
        kept, self.kept = self.kept, []
        if kept and self.u is None:
            super().add(kept[0])
            for chunk in kept[1:] if field(kept[-1], "usage") is None else kept[-1:]:
                super().add(chunk)

    def usage(self) -> Usage:
        self._read_kept()
        return super().usage()


REQUEST = Request(
    where,
    text=("messages",),
    max_tokens=("max_tokens", "max_completion_tokens"),
    positional=("model", "messages"),
)

TARGETS = [
    Target("litellm", name, name, response_usage, Chunks, REQUEST)
    for name in ("completion", "acompletion")
]
