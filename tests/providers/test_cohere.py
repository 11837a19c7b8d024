"""Cohere adapter: the real cohere client (v1 and v2, sync and async) against our cassettes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts

cohere = pytest.importorskip("cohere")

MODEL = "command-r-plus-08-2024"
V2_MESSAGES: list[Any] = [{"role": "user", "content": "Name a fruit."}]
needs_v2 = pytest.mark.skipif(not hasattr(cohere, "ClientV2"), reason="cohere without v2")


@pytest.fixture(autouse=True)
def _instrumented() -> None:
    EcoLogits.init(providers=["cohere"])


def _has_values(obj: Any) -> None:
    assert isinstance(obj.impacts, Impacts)
    assert obj.impacts.errors == []
    assert obj.impacts.energy is not None


def test_v1_chat_takes_the_model_from_the_request_and_casts_float_counts() -> None:
    with cassette("cohere", "v1_chat"), records() as recs:
        resp = cohere.Client(api_key="k").chat(message="Name a colour.", model=MODEL)
    assert type(resp).__name__ == "NonStreamedChatResponse"
    _has_values(resp)
    u = recs.usage
    assert (u.provider, u.model, u.requested_model) == ("cohere", MODEL, MODEL)
    assert (u.input_tokens, u.output_tokens) == (70, 2)
    assert type(u.input_tokens) is int and type(u.output_tokens) is int
    assert u.host in ("api.cohere.com", "api.cohere.ai")  # early cohere 5.x: api.cohere.ai
    assert u.endpoint == "chat"


async def test_v1_async_chat_carries_impacts() -> None:
    with cassette("cohere", "v1_chat"), records() as recs:
        resp = await cohere.AsyncClient(api_key="k").chat(message="Name a colour.", model=MODEL)
    _has_values(resp)
    assert recs.usage.output_tokens == 2


def test_v1_chat_stream_reads_usage_from_stream_end_once() -> None:
    with cassette("cohere", "v1_stream"), records() as recs:
        events = list(cohere.Client(api_key="k").chat_stream(message="Name two.", model=MODEL))
    assert [e.event_type for e in events][-1] == "stream-end"
    assert [hasattr(e, "impacts") for e in events] == [False] * 4 + [True]
    _has_values(events[-1])
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (71, 4)
    assert recs.usage.warnings == ()


async def test_v1_async_chat_stream_is_accounted() -> None:
    with cassette("cohere", "v1_stream"), records() as recs:
        stream = cohere.AsyncClient(api_key="k").chat_stream(message="Name two.", model=MODEL)
        events = [e async for e in stream]
    assert hasattr(events[-1], "impacts")
    assert recs.usage.output_tokens == 4


def test_v1_stream_abandoned_early_is_accounted_with_an_estimate() -> None:
    with cassette("cohere", "v1_stream"), records() as recs:
        stream = cohere.Client(api_key="k").chat_stream(message="Name two.", model=MODEL)
        next(stream)
        next(stream)  # "Blue"
        stream.close()
    u = recs.usage
    assert u.output_tokens == 1
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]


@needs_v2
def test_v2_chat_reads_usage_tokens_and_cached_tokens() -> None:
    with cassette("cohere", "v2_chat"), records() as recs:
        resp = cohere.ClientV2(api_key="k").chat(model=MODEL, messages=V2_MESSAGES)
    _has_values(resp)
    u = recs.usage
    assert (u.input_tokens, u.output_tokens, u.cached_tokens) == (214, 3, 128)
    assert (u.model, u.endpoint) == (MODEL, "v2.chat")


@needs_v2
async def test_v2_async_chat_carries_impacts() -> None:
    with cassette("cohere", "v2_chat"), records() as recs:
        resp = await cohere.AsyncClientV2(api_key="k").chat(model=MODEL, messages=V2_MESSAGES)
    _has_values(resp)
    assert recs.usage.cached_tokens == 128


@needs_v2
def test_v2_through_client_v2_attribute_is_accounted() -> None:
    with cassette("cohere", "v2_chat"), records() as recs:
        resp = cohere.Client(api_key="k").v2.chat(model=MODEL, messages=V2_MESSAGES)
    _has_values(resp)
    assert len(recs) == 1


@needs_v2
def test_v2_chat_stream_reads_usage_from_message_end() -> None:
    with cassette("cohere", "v2_stream"), records() as recs:
        events = list(cohere.ClientV2(api_key="k").chat_stream(model=MODEL, messages=V2_MESSAGES))
    assert events[-1].type == "message-end"
    _has_values(events[-1])
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (214, 4)
    assert recs.usage.endpoint == "v2.chat_stream"


@needs_v2
async def test_v2_async_chat_stream_is_accounted() -> None:
    client = cohere.AsyncClientV2(api_key="k")
    with cassette("cohere", "v2_stream"), records() as recs:
        events = [e async for e in client.chat_stream(model=MODEL, messages=V2_MESSAGES)]
    assert hasattr(events[-1], "impacts")
    assert recs.usage.output_tokens == 4


@needs_v2
def test_v2_stream_abandoned_early_is_accounted_with_an_estimate() -> None:
    with cassette("cohere", "v2_stream"), records() as recs:
        stream = cohere.ClientV2(api_key="k").chat_stream(model=MODEL, messages=V2_MESSAGES)
        for event in stream:
            if event.type == "content-delta":
                break
        stream.close()
    assert recs.usage.output_tokens == 2  # "A pear": 6 characters
    assert recs.usage.warnings[0][0] == "output-tokens-estimated"


ESTIMATED = ["output-tokens-estimated", "input-tokens-estimated"]


def test_v1_chat_without_usage_is_estimated_from_the_request_and_its_text() -> None:
    with cassette("cohere", "v1_chat_no_usage"), records() as recs:
        resp = cohere.Client(api_key="k").chat(message="Name a colour.", model=MODEL)
    assert getattr(resp, "meta", None) is None and resp.text == "Blue."  # cohere 5.0: absent
    _has_values(resp)
    u = recs.usage
    assert (u.model, u.input_tokens, u.output_tokens) == (MODEL, 4, 2)  # 14 and 5 characters
    assert [w[0] for w in u.warnings] == ESTIMATED


@needs_v2
def test_v2_chat_without_usage_is_estimated_from_the_request_and_its_text() -> None:
    with cassette("cohere", "v2_chat_no_usage"), records() as recs:
        resp = cohere.ClientV2(api_key="k").chat(model=MODEL, messages=V2_MESSAGES)
    assert resp.usage is None
    _has_values(resp)
    u = recs.usage
    assert (u.model, u.input_tokens, u.output_tokens) == (MODEL, 4, 3)  # 13 and 9 characters
    assert [w[0] for w in u.warnings] == ESTIMATED
    assert {w.code for w in resp.impacts.warnings} >= set(ESTIMATED)


@needs_v2
def test_api_exception_propagates_unchanged() -> None:
    with cassette("cohere", "error"), records() as recs, pytest.raises(Exception) as info:
        cohere.ClientV2(api_key="k").chat(model=MODEL, messages=[])
    assert type(info.value).__name__ == "UnauthorizedError"
    assert recs == []


def test_response_with_impacts_still_serialises_to_json() -> None:
    with cassette("cohere", "v1_chat"):
        resp = cohere.Client(api_key="k").chat(message="Name a colour.", model=MODEL)
    assert resp.text == "Blue."
    if hasattr(resp, "model_dump_json"):  # pydantic 2 models allow extras: impacts dumped too
        dumped = resp.model_dump_json()
        assert '"impacts"' in dumped
    else:  # cohere 5.0's pydantic.v1 models: the attribute stays out of the dump
        dumped = resp.json()
    assert '"text":"Blue."' in dumped.replace(" ", "")


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_client_built_before_init_is_accounted_once(version: str) -> None:
    """cohere's Client.__init__ binds ``self.chat`` per instance: such a client is reached
    through its raw client; one built after init() is still counted once."""
    if not hasattr(cohere, "ClientV2") or not hasattr(cohere.Client(api_key="k"), "_raw_client"):
        pytest.skip("this cohere has no raw client")
    EcoLogits.shutdown()
    early = cohere.ClientV2(api_key="k") if version == "v2" else cohere.Client(api_key="k")
    EcoLogits.init(providers=["cohere"])
    late = cohere.ClientV2(api_key="k") if version == "v2" else cohere.Client(api_key="k")
    for client in (early, late):
        with cassette("cohere", f"{version}_chat"), records() as recs:
            if version == "v2":
                resp = client.chat(model=MODEL, messages=V2_MESSAGES)
            else:
                resp = client.chat(message="Name a colour.", model=MODEL)
        _has_values(resp)
        assert len(recs) == 1
        assert recs.usage.endpoint == ("v2.chat" if version == "v2" else "chat")


async def test_async_client_built_before_init_is_accounted() -> None:
    if not hasattr(cohere, "AsyncClientV2"):
        pytest.skip("cohere without v2")
    EcoLogits.shutdown()
    early = cohere.AsyncClientV2(api_key="k")
    if not hasattr(early, "_raw_client"):
        pytest.skip("this cohere has no raw client")
    EcoLogits.init(providers=["cohere"])
    with cassette("cohere", "v2_chat"), records() as recs:
        resp = await early.chat(model=MODEL, messages=V2_MESSAGES)
    _has_values(resp)
    assert recs.usage.output_tokens == 3
