"""LiteLLM adapter: real litellm.completion/acompletion against our cassettes; provider names
mapped exactly; a request LiteLLM sends through another patched SDK is counted once."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
litellm = pytest.importorskip("litellm")

MESSAGES: list[Any] = [{"role": "user", "content": "Say hello."}]
MISTRAL = "mistral/mistral-large-2407"


@pytest.fixture(autouse=True)
def _instrumented() -> None:
    EcoLogits.init(providers=["litellm"])


def _has_values(obj: Any) -> None:
    assert isinstance(obj.impacts, Impacts)
    assert obj.impacts.errors == []
    assert obj.impacts.energy is not None


def test_completion_carries_impacts_with_the_provider_from_the_model_prefix() -> None:
    with cassette("litellm", "mistral_chat"), records() as recs:
        resp = litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k")
    assert type(resp).__name__ == "ModelResponse"
    _has_values(resp)
    u = recs.usage
    assert (u.provider, u.requested_model) == ("mistralai", MISTRAL)
    assert u.model in ("mistral-large-2407", MISTRAL)  # older LiteLLM answers with the prefix
    assert resp.impacts.basis.model_resolved == "mistral-large-2407"
    assert (u.input_tokens, u.output_tokens, u.endpoint) == (7, 3, "completion")


async def test_acompletion_carries_impacts_and_counts_once() -> None:
    with cassette("litellm", "mistral_chat"), records() as recs:
        resp = await litellm.acompletion(model=MISTRAL, messages=MESSAGES, api_key="k")
    _has_values(resp)
    assert len(recs) == 1
    assert recs.usage.endpoint == "acompletion"


@pytest.mark.parametrize(
    ("name", "model", "provider", "expected"),
    [
        ("groq_chat", "groq/llama-3.1-8b-instant", "groq", "meta-llama/Llama-3.1-8B-Instruct"),
        (
            "anthropic_chat",
            "anthropic/claude-3-5-sonnet-20241022",
            "anthropic",
            "claude-3-5-sonnet",
        ),
        ("gemini_chat", "gemini/gemini-2.0-flash", "google", "gemini-2.0-flash"),
    ],
)
def test_provider_prefixed_names_resolve_exactly_in_the_catalogue(
    name: str, model: str, provider: str, expected: str
) -> None:
    with cassette("litellm", name), records() as recs:
        resp = litellm.completion(model=model, messages=MESSAGES, api_key="REDACTED", max_tokens=64)
    _has_values(resp)
    u = recs.usage
    assert (u.provider, u.requested_model) == (provider, model)
    assert (resp.impacts.basis.model_resolved, resp.impacts.basis.datacenter) == (
        expected,
        provider,
    )


def test_stream_with_usage_is_tapped_in_place_and_accounted_once() -> None:
    with cassette("litellm", "mistral_stream"), records() as recs:
        stream = litellm.completion(
            model=MISTRAL, messages=MESSAGES, api_key="k", stream=True,
            stream_options={"include_usage": True},
        )  # fmt: skip
        chunks, carried = [], []
        for chunk in stream:  # the impacts are on the usage chunk inside the loop
            chunks.append(chunk)
            carried.append((hasattr(chunk, "impacts"), getattr(chunk, "usage", None) is not None))
    assert isinstance(stream, litellm.CustomStreamWrapper)
    assert type(stream).__name__ == "CustomStreamWrapper"
    assert carried[-1] == (True, True)  # also on 1.53, whose usage chunk has an open choice
    assert not any(impacts for impacts, _ in carried[:-1])
    assert isinstance(chunks[-1].impacts, Impacts)
    assert stream.impacts is chunks[-1].impacts
    u = recs.usage
    assert (u.input_tokens, u.output_tokens, u.warnings, u.model) == (
        7,
        4,
        (),
        "mistral-large-2407",
    )


def test_stream_without_usage_is_estimated_from_the_text() -> None:
    with cassette("litellm", "mistral_stream"), records() as recs:
        chunks = list(
            litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k", stream=True)
        )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello!"
    u = recs.usage
    assert u.output_tokens == 2  # "Hello!": 6 characters
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]


TEXT = "The quick brown fox jumps over the lazy dog."  # mistral_stream_text: 44 characters


@pytest.mark.parametrize(
    ("litellm_copy", "read"),
    [(True, None), (True, 3), (False, 3)],
    ids=["to-the-end", "3-chunks-then-closed", "3-chunks-then-closed-no-litellm-copy"],
)
def test_stream_without_usage_counts_every_character_streamed(
    litellm_copy: bool, read: int | None
) -> None:
    # the text's length is that of LiteLLM's own copy, or, in a LiteLLM without one (its
    # copy unset once the chunks were read), counted from every chunk kept: both give all
    # the characters handed over, not only those of some chunks
    with cassette("litellm", "mistral_stream_text"), records() as recs:
        stream = litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k", stream=True)
        if read is not None and not hasattr(stream, "close"):
            pytest.skip("this litellm's stream has no close()")
        chunks = list(stream) if read is None else [next(stream) for _ in range(read)]
        if not litellm_copy:
            stream.response_uptil_now = None
        if read is not None:
            stream.close()
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == (TEXT if read is None else "The quick brown fox ")
    u = recs.usage
    assert (u.output_tokens, u.model) == ((len(text) + 3) // 4, "mistral-large-2407")
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]


async def test_async_stream_is_accounted() -> None:
    with cassette("litellm", "mistral_stream"), records() as recs:
        stream = await litellm.acompletion(
            model=MISTRAL, messages=MESSAGES, api_key="k", stream=True,
            stream_options={"include_usage": True},
        )  # fmt: skip
        chunks = [c async for c in stream]
    assert isinstance(chunks[-1].impacts, Impacts)
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (7, 4)


def test_request_through_an_sdk_tokenprint_also_patches_is_counted_once() -> None:
    pytest.importorskip("openai")
    EcoLogits.init(providers=["litellm", "openai"])
    with cassette("litellm", "azure_chat") as cas, records() as recs:
        resp = litellm.completion(
            model="azure/my-gpt4o", messages=MESSAGES, api_key="k",
            api_base="https://tokenprint-test.openai.azure.com", api_version="2024-10-21",
        )  # fmt: skip
    assert cas.play_count == 1
    _has_values(resp)
    assert len(recs) == 1
    u = recs.usage
    assert (u.provider, u.host, u.model) == (
        "azure",
        "tokenprint-test.openai.azure.com",
        "gpt-4o-2024-08-06",
    )
    assert u.endpoint == "completion"


def test_api_exception_propagates_as_litellms_own() -> None:
    with cassette("litellm", "error"), records() as recs, pytest.raises(Exception) as info:
        litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k", num_retries=0)
    # LiteLLM's own exception type (AuthenticationError; BadRequestError on 1.53), unchanged
    assert type(info.value).__module__.startswith("litellm")
    assert "Unauthorized" in str(info.value)
    assert recs == []


def test_unknown_provider_prefix_is_not_guessed() -> None:
    from tokenprint.instrument.providers.litellm import provider_of

    assert provider_of("groq/llama-3.1-8b-instant") == "groq"
    assert provider_of("together_ai/meta-llama/Llama-3-8b") == "together"
    assert provider_of("ollama/llama3.1:8b") == "self-hosted"
    assert provider_of("no-such-model-anywhere") is None


def test_litellm_azure_route_really_goes_through_the_patched_openai_sdk() -> None:
    """The premise of the counted-once test: with only openai instrumented, the same LiteLLM
    call is seen (once) by the openai adapter."""
    pytest.importorskip("openai")
    EcoLogits.shutdown()
    EcoLogits.init(providers=["openai"])
    with cassette("litellm", "azure_chat"), records() as recs:
        litellm.completion(
            model="azure/my-gpt4o", messages=MESSAGES, api_key="k",
            api_base="https://tokenprint-test.openai.azure.com", api_version="2024-10-21",
        )  # fmt: skip
    assert [r.usage.endpoint for r in recs] == ["chat.completions.create"]


def test_stream_read_partly_then_closed_is_accounted_once() -> None:
    with cassette("litellm", "mistral_stream"), records() as recs:
        stream = litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k", stream=True)
        if not hasattr(stream, "close"):
            pytest.skip("this litellm's stream has no close()")
        next(stream)
        next(stream)
        stream.close()
        stream.close()
    assert len(recs) == 1
    assert [w[0] for w in recs.usage.warnings] == [
        "output-tokens-estimated",
        "input-tokens-estimated",
    ]
    assert isinstance(stream.impacts, Impacts)
