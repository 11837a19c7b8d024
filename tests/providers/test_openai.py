"""OpenAI adapter: the real openai client against hand-written cassettes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

openai = pytest.importorskip("openai")

from pydantic import BaseModel  # noqa: E402

from tests.support.cassettes import (  # noqa: E402
    closable,
    openai_include_usage,
    request_id,
    sdk_method,
    use_cassette,
)
from tokenprint import EcoLogits  # noqa: E402
from tokenprint.impacts.results import Impacts  # noqa: E402

MESSAGES = [{"role": "user", "content": "Hello World!"}]


class City(BaseModel):
    city: str
    country: str


@pytest.fixture
def client() -> Iterator[Any]:
    EcoLogits.init(providers=["openai"])
    yield openai.OpenAI(api_key="sk-test", max_retries=0)


@pytest.fixture
def aclient() -> Iterator[Any]:
    EcoLogits.init(providers=["openai"])
    yield openai.AsyncOpenAI(api_key="sk-test", max_retries=0)


def _ok(impacts: Any) -> Impacts:
    assert isinstance(impacts, Impacts)
    assert impacts.errors == []
    assert impacts.energy is not None and impacts.energy.bound("max") > 0
    return impacts


# -- chat.completions.create -----------------------------------------------------------------
def test_chat_create_carries_impacts_with_cached_and_reasoning_tokens(client: Any) -> None:
    with use_cassette("openai", "chat_completion"):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    b = _ok(resp.impacts).basis
    assert (b.provider, b.model) == ("openai", "gpt-4o-mini-2024-07-18")
    assert (b.input_tokens, b.cached_tokens, b.output_tokens, b.reasoning_tokens) == (
        1200,
        1024,
        300,
        128,
    )
    assert b.latency_s is not None and b.latency_s > 0


def test_request_id_and_type_preserved(client: Any) -> None:
    with use_cassette("openai", "chat_completion"):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(resp) is openai.types.chat.ChatCompletion
    assert request_id(resp) == "req_tokenprint_chat_0001"


def test_model_dump_json_works_with_impacts_attached(client: Any) -> None:
    with use_cassette("openai", "chat_completion"):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    data = json.loads(resp.model_dump_json())
    assert data["id"] == "chatcmpl-tp0001"
    assert data["impacts"]["energy"]["value"]["max"] > 0


async def test_async_chat_create_carries_impacts(aclient: Any) -> None:
    with use_cassette("openai", "chat_completion"):
        resp = await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert _ok(resp.impacts).basis.output_tokens == 300
    assert request_id(resp) == "req_tokenprint_chat_0001"


def test_api_exception_propagates(client: Any) -> None:
    with use_cassette("openai", "chat_error"), pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert err.value.status_code == 400


async def test_async_api_exception_propagates(aclient: Any) -> None:
    with use_cassette("openai", "chat_error"), pytest.raises(openai.BadRequestError):
        await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_unknown_model_gives_error_in_impacts_not_exception(client: Any) -> None:
    with use_cassette("openai", "chat_unknown_model"):
        resp = client.chat.completions.create(model="acme-llm-1", messages=MESSAGES)
    assert resp.choices[0].message.content
    assert [e.code for e in resp.impacts.errors] == ["model-not-registered"]
    assert resp.impacts.energy is None


LOCAL_TEXT = "Hello from a local server, twelve words long or so."  # chat_usage_none


def _local() -> Any:
    return openai.OpenAI(api_key="ollama", base_url="http://localhost:11434/v1", max_retries=0)


def test_usage_none_answer_is_estimated_with_a_warning(client: Any) -> None:
    with use_cassette("openai", "chat_usage_none"):
        resp = _local().chat.completions.create(model="llama3.1:8b", messages=MESSAGES)
    assert resp.usage is None
    b = resp.impacts.basis
    # "Hello World!" (12 characters) in, the answer's text out, about 4 characters a token
    assert (b.input_tokens, b.output_tokens) == (3, (len(LOCAL_TEXT) + 3) // 4)
    codes = [w.code for w in resp.impacts.warnings]
    assert {"output-tokens-estimated", "input-tokens-estimated"} <= set(codes)
    assert "usage-invalid" not in codes


def test_usage_with_null_counts_is_estimated_and_flagged_invalid(client: Any) -> None:
    with use_cassette("openai", "chat_usage_null_counts"):
        resp = _local().chat.completions.create(model="llama3.1:8b", messages=MESSAGES)
    assert resp.usage is not None and resp.usage.prompt_tokens is None
    b = resp.impacts.basis
    assert (b.input_tokens, b.output_tokens) == (3, (len(LOCAL_TEXT) + 3) // 4)
    codes = {w.code for w in resp.impacts.warnings}
    assert {"output-tokens-estimated", "input-tokens-estimated", "usage-invalid"} <= codes


# -- streams -------------------------------------------------------------------------------
def _stream(client: Any, **kw: Any) -> Any:
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, **kw)


def test_stream_with_include_usage_reads_the_final_usage_chunk(client: Any) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        stream = _stream(client, **openai_include_usage())
        chunks = list(stream)
    assert type(stream) is openai.Stream
    assert len(chunks) == 12  # role, 9 words, finish, usage: none dropped
    assert chunks[-1].choices == []  # the usage chunk
    assert chunks[-1].impacts is stream.impacts
    b = _ok(stream.impacts).basis
    assert (b.input_tokens, b.output_tokens) == (12, 9)
    assert stream.impacts.warnings == [] or all(
        w.code != "output-tokens-estimated" for w in stream.impacts.warnings
    )


def test_stream_impacts_available_inside_the_loop_on_the_usage_chunk(client: Any) -> None:
    seen = []
    with use_cassette("openai", "chat_stream_usage"):
        for chunk in _stream(client, **openai_include_usage()):
            seen.append(getattr(chunk, "impacts", None) is not None)
    assert seen[-1] and not any(seen[:-1])


def test_stream_without_usage_estimates_output_from_text(client: Any) -> None:
    with use_cassette("openai", "chat_stream_no_usage"):
        stream = _stream(client)
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    impacts = _ok(stream.impacts)
    assert impacts.basis.output_tokens == (len(text) + 3) // 4  # not one token per chunk
    assert "output-tokens-estimated" in {w.code for w in impacts.warnings}
    assert chunks[-1].impacts is impacts


def test_stream_used_as_context_manager(client: Any) -> None:
    with (
        use_cassette("openai", "chat_stream_usage"),
        closable(_stream(client, **openai_include_usage())) as stream,
    ):
        n = sum(1 for _ in stream)
    assert n == 12
    assert _ok(stream.impacts).basis.output_tokens == 9
    assert stream.response.is_closed


def test_stream_not_consumed_to_the_end_is_accounted_on_close(client: Any) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        stream = closable(_stream(client, **openai_include_usage()))
        first = [next(stream), next(stream), next(stream)]
        assert not hasattr(stream, "impacts")
        stream.close()
    impacts = _ok(stream.impacts)
    assert first[-1].impacts is impacts  # the last chunk the user saw
    assert impacts.basis.output_tokens >= 1
    assert "output-tokens-estimated" in {w.code for w in impacts.warnings}


def test_chunks_handed_over_after_close_pass_unchanged_and_the_account_stays(
    client: Any,
) -> None:
    # the mock transport's body is buffered, so the SDK still yields the rest after close():
    # the request was accounted at the close and is not accounted again
    with use_cassette("openai", "chat_stream_usage"), EcoLogits.track() as tracker:
        stream = closable(_stream(client, **openai_include_usage()))
        next(stream)
        stream.close()
        at_close = _ok(stream.impacts)
        rest = list(stream)
    assert len(rest) == 11 and rest[-1].usage is not None  # the usage chunk among them
    assert not any(hasattr(c, "impacts") for c in rest)
    assert stream.impacts is at_close
    assert len(tracker.requests) == 1
    assert tracker.requests[0].impacts is at_close


def test_stream_error_midway_propagates_and_is_accounted(client: Any) -> None:
    seen: list[Any] = []
    with use_cassette("openai", "chat_stream_error"), pytest.raises(openai.APIError) as err:
        stream = _stream(client)
        for chunk in stream:
            seen.append(chunk)
    assert type(err.value) is openai.APIError  # the SDK's own exception, unchanged
    assert len(seen) == 3
    impacts = _ok(stream.impacts)
    assert seen[-1].impacts is impacts
    assert impacts.basis.output_tokens == (len("Hello!") + 3) // 4


async def test_async_stream_carries_impacts(aclient: Any) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        stream = await aclient.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            **openai_include_usage(),
        )
        async with closable(stream):
            chunks = [c async for c in stream]
    assert type(stream) is openai.AsyncStream
    assert len(chunks) == 12
    assert _ok(stream.impacts).basis.output_tokens == 9


async def test_async_stream_not_consumed_to_the_end_is_accounted_on_close(aclient: Any) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        stream = await aclient.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        await stream.__anext__()
        await closable(stream).close()
    assert _ok(stream.impacts).basis.model == "gpt-4o-mini-2024-07-18"


# -- parse / stream helpers ----------------------------------------------------------------
def test_chat_parse_carries_impacts(client: Any) -> None:
    with use_cassette("openai", "chat_parse"):
        resp = sdk_method(client, "chat.completions.parse", "beta.chat.completions.parse")(
            model="gpt-4o-mini", messages=MESSAGES, response_format=City
        )
    assert resp.choices[0].message.parsed == City(city="Paris", country="France")
    assert _ok(resp.impacts).basis.output_tokens == 300


def test_chat_stream_helper_carries_impacts(client: Any) -> None:
    with (
        use_cassette("openai", "chat_stream_usage"),
        sdk_method(client, "chat.completions.stream", "beta.chat.completions.stream")(
            model="gpt-4o-mini", messages=MESSAGES, stream_options={"include_usage": True}
        ) as stream,
    ):
        events = [e.type for e in stream]
        final = stream.get_final_completion()
    assert "content.done" in events
    assert final.choices[0].message.content == "Hello! How can I help you today?"
    assert _ok(stream.impacts).basis.output_tokens == 9
    assert final.impacts is stream.impacts


def test_chat_stream_helper_get_final_completion_only_carries_impacts(client: Any) -> None:
    with (
        use_cassette("openai", "chat_stream_usage"),
        sdk_method(client, "chat.completions.stream", "beta.chat.completions.stream")(
            model="gpt-4o-mini", messages=MESSAGES, stream_options={"include_usage": True}
        ) as stream,
    ):
        final = stream.get_final_completion()
    assert _ok(final.impacts).basis.output_tokens == 9


def test_chat_stream_helper_not_consumed_is_accounted_on_exit(client: Any) -> None:
    with (
        use_cassette("openai", "chat_stream_usage"),
        sdk_method(client, "chat.completions.stream", "beta.chat.completions.stream")(
            model="gpt-4o-mini", messages=MESSAGES
        ) as stream,
    ):
        next(iter(stream))
    assert _ok(stream.impacts).basis.model == "gpt-4o-mini-2024-07-18"


async def test_async_chat_stream_helper_carries_impacts(aclient: Any) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        async with sdk_method(aclient, "chat.completions.stream", "beta.chat.completions.stream")(
            model="gpt-4o-mini", messages=MESSAGES, stream_options={"include_usage": True}
        ) as stream:
            async for _ in stream:
                pass
            final = await stream.get_final_completion()
    assert _ok(stream.impacts).basis.output_tokens == 9
    assert final.impacts is stream.impacts


# -- Responses API -------------------------------------------------------------------------
def test_responses_create_carries_impacts(client: Any) -> None:
    with use_cassette("openai", "responses_create"):
        resp = sdk_method(client, "responses.create")(model="gpt-4.1", input="Hello World!")
    b = _ok(resp.impacts).basis
    assert (b.model, b.input_tokens, b.cached_tokens, b.output_tokens, b.reasoning_tokens) == (
        "gpt-4.1-2025-04-14",
        900,
        512,
        250,
        64,
    )
    assert request_id(resp) == "req_tokenprint_chat_0001"


def test_responses_answer_without_usage_is_estimated_from_its_output_text(client: Any) -> None:
    with use_cassette("openai", "responses_usage_none"):
        resp = sdk_method(client, "responses.create")(model="gpt-4.1", input="Hello World!")
    assert resp.usage is None
    b = resp.impacts.basis
    assert (b.input_tokens, b.output_tokens) == (3, 6)  # "Hello! How can I help?": 22 characters
    codes = {w.code for w in resp.impacts.warnings}
    assert {"output-tokens-estimated", "input-tokens-estimated"} <= codes


async def test_async_responses_create_carries_impacts(aclient: Any) -> None:
    with use_cassette("openai", "responses_create"):
        resp = await sdk_method(aclient, "responses.create")(model="gpt-4.1", input="Hello World!")
    assert _ok(resp.impacts).basis.output_tokens == 250


def test_responses_stream_true_reads_the_completed_event(client: Any) -> None:
    with use_cassette("openai", "responses_stream"):
        stream = sdk_method(client, "responses.create")(
            model="gpt-4.1", input="Hello World!", stream=True
        )
        events = list(stream)
    assert events[-1].type == "response.completed"
    assert events[-1].impacts is stream.impacts
    assert _ok(stream.impacts).basis.output_tokens == 250


def test_responses_stream_helper_carries_impacts(client: Any) -> None:
    with (
        use_cassette("openai", "responses_stream"),
        sdk_method(client, "responses.stream")(model="gpt-4.1", input="Hello World!") as stream,
    ):
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == "Hello! How can I help?"
    assert final.usage.output_tokens == 250
    assert _ok(stream.impacts).basis.output_tokens == 250
    assert final.impacts is stream.impacts


def test_responses_parse_carries_impacts(client: Any) -> None:
    with use_cassette("openai", "responses_parse"):
        resp = sdk_method(client, "responses.parse")(
            model="gpt-4.1", input="Hello World!", text_format=City
        )
    assert resp.output_parsed == City(city="Paris", country="France")
    assert _ok(resp.impacts).basis.input_tokens == 900


def test_legacy_completions_create_carries_impacts(client: Any) -> None:
    with use_cassette("openai", "completions_legacy"):
        resp = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hello")
    b = _ok(resp.impacts).basis
    assert (b.input_tokens, b.output_tokens) == (3, 5)


# -- raw and streaming responses -----------------------------------------------------------
def test_raw_response_passes_through_and_parse_carries_impacts(client: Any) -> None:
    with use_cassette("openai", "chat_completion"):
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=MESSAGES
        )
    assert raw.headers["x-request-id"] == "req_tokenprint_chat_0001"
    parsed = raw.parse()
    assert type(parsed) is openai.types.chat.ChatCompletion
    assert _ok(parsed.impacts).basis.output_tokens == 300
    assert raw.parse() is parsed


def test_streaming_response_passes_through_untouched(client: Any) -> None:
    with (
        use_cassette("openai", "chat_completion"),
        sdk_method(client, "chat.completions.with_streaming_response.create")(
            model="gpt-4o-mini", messages=MESSAGES
        ) as resp,
    ):
        assert not hasattr(resp, "impacts")
        body = json.loads(resp.read())
    assert body["usage"]["completion_tokens"] == 300


def test_streaming_response_parse_carries_impacts_and_a_stream_is_tapped(client: Any) -> None:
    # the OpenAI Agents SDK streams a run this way: with_streaming_response, then parse()
    with (
        use_cassette("openai", "responses_stream"),
        sdk_method(client, "responses.with_streaming_response.create")(
            model="gpt-4.1", input="Hello World!", stream=True
        ) as resp,
    ):
        events = list(resp.parse())
    assert not hasattr(resp, "impacts")
    assert _ok(events[-1].impacts).basis.output_tokens == 250
    assert not any(hasattr(e, "impacts") for e in events[:-1])


# -- hosts ---------------------------------------------------------------------------------
def test_azure_client_maps_to_the_azure_datacenter_and_keeps_the_deployment_name() -> None:
    EcoLogits.init(providers=["openai"])
    client = openai.AzureOpenAI(
        api_key="az-test",
        api_version="2024-10-21",
        azure_endpoint="https://tokenprint-test.openai.azure.com",
        max_retries=0,
    )
    with use_cassette("openai", "azure_chat"):
        resp = client.chat.completions.create(model="my-gpt4o", messages=MESSAGES)
    b = _ok(resp.impacts).basis
    assert (b.provider, b.datacenter, b.model) == ("azure", "azure", "gpt-4o-2024-11-20")


def test_azure_stream_keeps_the_empty_first_chunk() -> None:
    EcoLogits.init(providers=["openai"])
    client = openai.AzureOpenAI(
        api_key="az-test",
        api_version="2024-10-21",
        azure_endpoint="https://tokenprint-test.openai.azure.com",
        max_retries=0,
    )
    with use_cassette("openai", "azure_chat_stream"):
        stream = client.chat.completions.create(
            model="my-gpt4o",
            messages=MESSAGES,
            stream=True,
            **openai_include_usage(),
        )
        chunks = list(stream)
    assert chunks[0].model == "" and chunks[0].choices == []
    assert len(chunks) == 13
    assert _ok(stream.impacts).basis.model == "gpt-4o-2024-11-20"


@pytest.mark.parametrize(
    ("cassette", "base_url", "model", "host"),
    [
        ("groq_chat", "https://api.groq.com/openai/v1", "llama-3.1-8b-instant", "api.groq.com"),
        ("vllm_chat", "http://127.0.0.1:8000/v1", "meta-llama/Llama-3.1-8B-Instruct", "127.0.0.1"),
    ],
)
def test_openai_compatible_host_uses_that_hosts_datacenter(
    cassette: str, base_url: str, model: str, host: str
) -> None:
    from tokenprint.catalog import datacenters

    EcoLogits.init(providers=["openai"])
    client = openai.OpenAI(api_key="k", base_url=base_url, max_retries=0)
    with use_cassette("openai", cassette):
        resp = client.chat.completions.create(model=model, messages=MESSAGES)
    profile = datacenters.for_host(host)
    b = _ok(resp.impacts).basis
    assert b.model == model
    assert b.datacenter == (profile.name if profile is not None else "self-hosted")
    assert b.provider == (profile.name if profile is not None else "openai-compatible")
    codes = {w.code for w in resp.impacts.warnings}
    if profile is None:
        assert "datacenter-unknown" in codes
    elif profile.name == "self-hosted":
        assert "datacenter-self-hosted" in codes
    else:
        assert not codes & {"datacenter-unknown", "datacenter-self-hosted"}


@pytest.mark.parametrize(
    ("base_url", "host"),
    [
        ("https://api.groq.com/openai/v1", "api.groq.com"),
        ("https://api.together.xyz/v1", "api.together.xyz"),
        ("https://api.deepseek.com", "api.deepseek.com"),
        ("https://openrouter.ai/api/v1", "openrouter.ai"),
        ("https://api.fireworks.ai/inference/v1", "api.fireworks.ai"),
        ("https://api.mistral.ai/v1", "api.mistral.ai"),
        (
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            "generativelanguage.googleapis.com",
        ),
        ("http://localhost:11434/v1", "localhost"),
        ("http://localhost:1234/v1", "localhost"),
        ("http://127.0.0.1:8000/v1", "127.0.0.1"),
    ],
)
def test_base_url_host_picks_the_provider(base_url: str, host: str) -> None:
    from tokenprint.catalog import datacenters
    from tokenprint.instrument.providers.openai import client_of as _where

    client = openai.OpenAI(api_key="k", base_url=base_url)
    provider, seen = _where(client.chat.completions)
    profile = datacenters.for_host(host)
    assert seen == host
    assert provider == (profile.name if profile is not None else "openai-compatible")
    if host in ("localhost", "127.0.0.1"):
        assert provider == "self-hosted"
    if host == "api.mistral.ai":
        assert provider == "mistralai"


def test_official_host_is_openai() -> None:
    from tokenprint.instrument.providers.openai import client_of as _where

    assert _where(openai.OpenAI(api_key="k").chat.completions) == ("openai", "api.openai.com")
