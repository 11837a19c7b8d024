"""LiteLLM adapter: ``litellm.completion`` and ``litellm.acompletion``, streamed or not.

LiteLLM's ``provider/model`` names are kept as sent (``groq/llama-3.1-8b-instant``): the
catalogue resolves provider prefixes exactly, never by fuzzy matching. The serving provider
(the data centre) comes from LiteLLM's own parsing (``litellm.get_llm_provider``), mapped to
tokenprint's names. When LiteLLM calls an SDK tokenprint also patches (the openai SDK for
Azure...), the core's re-entrancy guard lets that inner call pass: one request, counted once.
A ``CustomStreamWrapper`` iterates itself, so it is tapped through a subclass (``SELF``).
Only reads objects; the core does the rest.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.core import (
    ESTIMATED_OUTPUT,
    SELF,
    Call,
    ChatChunks,
    Target,
    chars_to_tokens,
    field,
    first_int,
    host_of,
    provider_for_host,
    text_tokens,
    text_usage,
)
from tokenprint.records import Pending, Usage

__all__ = ["TARGETS", "provider_of"]

_PROVIDERS = {
    "mistral": "mistralai",
    "codestral": "mistralai",
    "gemini": "google",
    "vertex_ai": "vertex",
    "vertex_ai_beta": "vertex",
    "bedrock": "bedrock",
    "cohere_chat": "cohere",
    "huggingface": "huggingface_hub",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "azure_ai": "azure",
    "text-completion-openai": "openai",
    "ollama": "self-hosted",
    "ollama_chat": "self-hosted",
    "vllm": "self-hosted",
    "hosted_vllm": "self-hosted",
    "lm_studio": "self-hosted",
    "llamafile": "self-hosted",
}
"""LiteLLM ``custom_llm_provider`` -> tokenprint provider (data-centre) name; others as is."""

_cache: dict[tuple[str, str | None], str | None] = {}
_MISS = object()


def provider_of(model: str, explicit: str | None = None) -> str | None:
    """tokenprint's provider for a LiteLLM model string, from LiteLLM's own parsing (cached
    per string); None when LiteLLM cannot place it either (no guess)."""
    hit = _cache.get((model, explicit), _MISS)
    if hit is _MISS:
        import litellm

        try:
            name = litellm.get_llm_provider(model, custom_llm_provider=explicit)[1]
        except Exception:
            name = None
        hit = _PROVIDERS.get(name, name) if name else None
        if len(_cache) < 4096:
            _cache[(model, explicit)] = hit
    return hit  # type: ignore[return-value]


def _request(call: Call) -> tuple[Any, Any, Any]:
    """(model, base URL, ``custom_llm_provider``) of a call: where it was sent."""
    k = call.kwargs
    base = k.get("api_base") or k.get("base_url")
    return call.get("model", 0), base, k.get("custom_llm_provider")


def _where(model: Any, base: Any, explicit: Any) -> tuple[str | None, str | None]:
    """(provider, host) of a request for ``model`` sent to ``base`` (LiteLLM's parsing)."""
    host = host_of(base)
    provider = provider_of(str(model), explicit)
    return (provider_for_host(host, provider or "self-hosted") if host else provider), host


def _counted(requested: Any, base: Any, explicit: Any, model: Any, u: Any) -> Usage:
    """The Usage of an answer that reported its usage ``u``."""
    provider, host = _where(requested, base, explicit)
    return text_usage(
        provider, model or requested, first_int(u, "prompt_tokens"),
        first_int(u, "completion_tokens"),
        first_int(field(u, "prompt_tokens_details"), "cached_tokens"),
        first_int(field(u, "completion_tokens_details"), "reasoning_tokens"),
        host=host, requested_model=requested,
    )  # fmt: skip


def _usage(call: Call, model: Any, u: Any, chars: int) -> Usage:
    """Usage reported, else estimated from the texts (``chars`` of the answer)."""
    if u is not None:
        return _counted(*_request(call), model, u)
    requested, base, explicit = _request(call)
    provider, host = _where(requested, base, explicit)
    return text_usage(
        provider, model or requested, text_tokens(call.get("messages", 1)),
        chars_to_tokens(chars), host=host, requested_model=requested,
        warnings=(ESTIMATED_OUTPUT,),
    )  # fmt: skip


def response_usage(call: Call, resp: Any) -> Usage | partial[Usage] | None:
    """A ``ModelResponse`` (OpenAI-shaped, whatever the provider). When it reports its usage,
    the Usage is built on first read (``Target.usage``): the call only takes references."""
    d = getattr(resp, "__dict__", None)
    extra = getattr(resp, "__pydantic_extra__", None)
    if d is not None and type(extra) is dict and "choices" in d:
        # a ModelResponse: its fields in __dict__, ``usage`` among its extras (one look-up
        # each; field() would look for __dict__ and the extras again per name)
        choices, model, u = d["choices"], d.get("model"), extra.get("usage", d.get("usage"))
    else:
        choices, model, u = field(resp, "choices"), field(resp, "model"), field(resp, "usage")
    if choices is None:
        return None
    if u is not None:
        return partial(_counted, *_request(call), model, u)
    chars = sum(len(field(field(c, "message"), "content") or "") for c in choices)
    return _usage(call, model, None, chars)


class Chunks(ChatChunks):
    """``ModelResponseStream`` chunks; usage with ``stream_options={"include_usage": True}``.

    Each chunk is only looked at for ``usage``: LiteLLM keeps a chunk's other fields among
    pydantic extras, on three objects (chunk, choice, delta), and reading them all as they
    pass cost about 2 us per chunk, cold (``benchmarks/bench_providers.py``). The chunks are
    kept instead, which holds none of them longer than LiteLLM does (its stream keeps every
    chunk, in ``chunks``), and read when needed: the usage chunk, and the first for its
    model. When no usage comes, the length of the text is that of LiteLLM's own copy of it
    (``response_uptil_now``, in 1.53 as in 1.110), else the chunks kept are all read."""

    __slots__ = ("keep", "seen")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.seen: list[Any] = []
        self.keep = self.seen.append

    def add(self, chunk: Any) -> bool:
        self.keep(chunk)
        more = getattr(chunk, "__pydantic_extra__", None)
        if more is None:
            u = field(chunk, "usage")
        else:  # a pydantic model: usage among its extras (LiteLLM's), or a field
            u = more.get("usage")
            if u is None:
                d = getattr(chunk, "__dict__", None)
                u = d.get("usage") if d else None
        if u is None:
            return False
        # the usage chunk is the last, as on OpenAI (LiteLLM 1.53 gives it a choice without
        # a finish_reason, which ChatChunks would read as more to come)
        self._read(chunk)
        return True

    def _read(self, last: Any) -> None:
        """Read the first chunk kept (its model) and ``last``, and let the chunks go."""
        seen = self.seen
        read = self._add_any  # LiteLLM's layout: fields among extras
        if seen and seen[0] is not last:
            read(seen[0])
        seen.clear()
        read(last)

    def usage(self) -> Usage | None:
        seen = self.seen
        if self.u is None and seen:  # no usage came: the text, for the estimate
            text = getattr(self.stream, "response_uptil_now", None)
            if isinstance(text, str):
                self._read(seen[-1])
                self.chars = len(text)  # the characters counted while reading are not kept
            else:
                read = self._add_any  # LiteLLM's layout: fields among extras
                for chunk in seen:
                    read(chunk)
                seen.clear()
        return _usage(self.call, self.model, self.u, self.chars)


def pending(call: Call) -> Pending:
    provider, host = _where(*_request(call))
    k = call.kwargs
    limit = k.get("max_tokens") or k.get("max_completion_tokens")
    tokens = text_tokens(call.get("messages", 1))
    return Pending(provider, call.get("model", 0), limit, tokens, host, call.target.endpoint)


TARGETS = [
    Target("litellm", name, name, response_usage, Chunks, pending, iterator=SELF)
    for name in ("completion", "acompletion")
]
