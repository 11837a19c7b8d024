"""Mistral AI adapter: the real mistralai client (3.x or 1.x/2.x) against our cassettes."""

from __future__ import annotations

import importlib
import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts

mistralai = pytest.importorskip("mistralai")

try:
    from mistralai.client import Mistral  # 3.x
except ImportError:  # 1.x / 2.x
    from mistralai import Mistral  # type: ignore[attr-defined,no-redef]

MODEL = "mistral-large-2407"
MESSAGES: list[Any] = [{"role": "user", "content": "Say hello in French."}]


@pytest.fixture
def client() -> Any:
    EcoLogits.init(providers=["mistralai"])
    return Mistral(api_key="test-key")


def _has_values(obj: Any) -> Impacts:
    impacts = obj.impacts
    assert isinstance(impacts, Impacts)
    assert impacts.errors == []
    assert impacts.energy is not None and impacts.energy.value.min > 0  # type: ignore[union-attr]
    return impacts


def test_chat_complete_carries_impacts_and_publishes_usage(client: Any) -> None:
    with cassette("mistralai", "chat"), records() as recs:
        resp = client.chat.complete(model=MODEL, messages=MESSAGES)
    assert type(resp).__name__ == "ChatCompletionResponse"
    _has_values(resp)
    u = recs.usage
    assert (u.provider, u.model, u.input_tokens, u.output_tokens) == ("mistralai", MODEL, 11, 4)
    assert u.host == "api.mistral.ai"
    assert u.endpoint == "chat.complete"
    assert u.latency_s is not None and u.latency_s >= 0


def test_response_forbidding_extras_keeps_impacts_out_of_its_dump(client: Any) -> None:
    with cassette("mistralai", "chat"):
        resp = client.chat.complete(model=MODEL, messages=MESSAGES)
    assert "impacts" not in resp.model_dump()
    assert '"usage"' in resp.model_dump_json()
    assert resp.model_copy().impacts is resp.impacts


async def test_chat_complete_async_carries_impacts(client: Any) -> None:
    with cassette("mistralai", "chat"), records() as recs:
        resp = await client.chat.complete_async(model=MODEL, messages=MESSAGES)
    _has_values(resp)
    assert recs.usage.output_tokens == 4
    assert recs.usage.endpoint == "chat.complete_async"


def test_chat_stream_accounts_once_with_usage_of_final_chunk(client: Any) -> None:
    with cassette("mistralai", "stream"), records() as recs:
        stream = client.chat.stream(model=MODEL, messages=MESSAGES)
        seen = [(hasattr(e, "impacts"), hasattr(e.data, "impacts")) for e in stream]
    assert seen == [(False, False)] * 4 + [(True, True)]  # known before the last is handed over
    if not isinstance(stream, types.GeneratorType):  # 3.x EventStream: the object carries them
        _has_values(stream)
    u = recs.usage
    assert (u.input_tokens, u.output_tokens, u.model) == (11, 5, MODEL)
    assert u.warnings == ()


def test_chat_stream_as_context_manager_read_partly_is_accounted_on_exit(client: Any) -> None:
    with cassette("mistralai", "stream"), records() as recs:
        stream = client.chat.stream(model=MODEL, messages=MESSAGES)
        if not hasattr(stream, "__enter__"):
            pytest.skip("this mistralai streams plain generators (no context manager)")
        with stream as s:
            assert s is stream
            next(iter(s))
            next(iter(s))
    u = recs.usage
    assert u.warnings and u.warnings[0][0] == "output-tokens-estimated"
    assert u.output_tokens == 1  # "Bon" read so far: 3 characters, about one token
    assert isinstance(stream.impacts, Impacts)


def test_generator_stream_closed_early_is_accounted(client: Any) -> None:
    with cassette("mistralai", "stream"), records() as recs:
        stream = client.chat.stream(model=MODEL, messages=MESSAGES)
        it = iter(stream)
        next(it)
        stream.close()
    assert len(recs) == 1
    assert recs.usage.model == MODEL


async def test_chat_stream_async_accounts_once(client: Any) -> None:
    with cassette("mistralai", "stream"), records() as recs:
        stream = await client.chat.stream_async(model=MODEL, messages=MESSAGES)
        events = [e async for e in stream]
    assert events[-1].impacts is events[-1].data.impacts
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (11, 5)


class Greeting(BaseModel):
    greeting: str
    language: str


def test_parse_keeps_impacts_on_the_rebuilt_answer_and_counts_once(client: Any) -> None:
    if not hasattr(client.chat, "parse"):
        pytest.skip("this mistralai has no chat.parse")
    with cassette("mistralai", "parse"), records() as recs:
        resp = client.chat.parse(response_format=Greeting, model=MODEL, messages=MESSAGES)
    assert type(resp).__name__ == "ParsedChatCompletionResponse"
    assert resp.choices[0].message.parsed == Greeting(greeting="Bonjour", language="French")
    _has_values(resp)
    assert (recs.usage.input_tokens, recs.usage.endpoint) == (64, "chat.parse")


async def test_parse_async_keeps_impacts_and_counts_once(client: Any) -> None:
    if not hasattr(client.chat, "parse_async"):
        pytest.skip("this mistralai has no chat.parse_async")
    with cassette("mistralai", "parse"), records() as recs:
        resp = await client.chat.parse_async(
            response_format=Greeting, model=MODEL, messages=MESSAGES
        )
    assert resp.choices[0].message.parsed == Greeting(greeting="Bonjour", language="French")
    _has_values(resp)
    assert recs.usage.endpoint == "chat.parse_async"


def test_fim_complete_is_accounted(client: Any) -> None:
    with cassette("mistralai", "fim"), records() as recs:
        resp = client.fim.complete(model="codestral-2405", prompt="def add(a, b):", suffix="\n")
    assert resp.choices[0].message.content.endswith("a + b")
    _has_values(resp)
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (13, 8)
    assert recs.usage.endpoint == "fim.complete"


def test_unknown_model_gives_an_error_in_impacts_not_an_exception(client: Any) -> None:
    with cassette("mistralai", "unknown_model"), records() as recs:
        resp = client.chat.complete(model="my-finetune-xyz", messages=MESSAGES)
    assert resp.choices[0].message.content == "Salut !"
    assert resp.impacts.energy is None
    assert [e.code for e in resp.impacts.errors] == ["model-not-registered"]
    assert recs.usage.requested_model == "my-finetune-xyz"


def test_fim_stream_is_accounted(client: Any) -> None:
    with cassette("mistralai", "fim_stream"), records() as recs:
        chunks = list(client.fim.stream(model="codestral-2405", prompt="def add(a, b):"))
    assert hasattr(chunks[-1].data, "impacts")
    assert (recs.usage.output_tokens, recs.usage.endpoint) == (9, "fim.stream")


def test_agents_complete_reports_the_agents_model(client: Any) -> None:
    with cassette("mistralai", "agents"), records() as recs:
        resp = client.agents.complete(agent_id="ag-test", messages=MESSAGES)
    _has_values(resp)
    assert (recs.usage.model, recs.usage.requested_model) == (MODEL, None)
    assert recs.usage.input_tokens == 42


def test_api_exception_propagates_unchanged_and_nothing_is_published(client: Any) -> None:
    with cassette("mistralai", "error"), records() as recs, pytest.raises(Exception) as info:
        client.chat.complete(model=MODEL, messages=MESSAGES)
    assert type(info.value).__name__ == "SDKError"
    assert "401" in str(info.value) or "Unauthorized" in str(info.value)
    assert recs == []


def test_zero_usage_is_reported_as_zero_not_estimated(client: Any) -> None:
    with cassette("mistralai", "no_usage"), records() as recs:
        resp = client.chat.complete(model=MODEL, messages=MESSAGES)
    assert isinstance(resp.impacts, Impacts)
    assert (recs.usage.input_tokens, recs.usage.output_tokens, recs.usage.warnings) == (0, 0, ())


def _null_counts_parse() -> bool:
    """mistralai 1.x types the counts as plain ints: it refuses an answer whose counts are null."""
    package = Mistral.__module__.rsplit(".", 1)[0]  # mistralai.client (3.x), mistralai (1.x)
    usage = importlib.import_module(f"{package}.models").UsageInfo
    return type(None) in typing.get_args(usage.model_fields["prompt_tokens"].annotation)


def test_null_usage_counts_are_estimated_and_flagged_invalid(client: Any) -> None:
    if not _null_counts_parse():
        pytest.skip("this mistralai refuses null token counts itself")
    with cassette("mistralai", "null_usage"), records() as recs:
        resp = client.chat.complete(model=MODEL, messages=MESSAGES)
    assert resp.usage.prompt_tokens is None
    _has_values(resp)
    u = recs.usage
    assert (u.input_tokens, u.output_tokens) == (5, 2)  # 20 characters in, "Salut" out
    codes = [w[0] for w in u.warnings]
    assert codes == ["input-tokens-estimated", "output-tokens-estimated", "usage-invalid"]


def test_stream_without_usage_is_estimated_from_the_request_and_the_streamed_text(
    client: Any,
) -> None:
    with cassette("mistralai", "stream_no_usage"), records() as recs:
        events = list(client.chat.stream(model=MODEL, messages=MESSAGES))
    assert all(e.data.usage is None for e in events)
    u = recs.usage
    assert (u.input_tokens, u.output_tokens, u.model) == (5, 3, MODEL)  # "Bonjour !": 9
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]


def test_after_shutdown_responses_are_untouched(client: Any) -> None:
    EcoLogits.shutdown()
    with cassette("mistralai", "chat"), records() as recs:
        resp = client.chat.complete(model=MODEL, messages=MESSAGES)
    assert not hasattr(resp, "impacts")
    assert recs == []


def test_azure_client_is_accounted_with_the_azure_data_centre() -> None:
    azure = pytest.importorskip("mistralai.azure.client")
    EcoLogits.init(providers=["mistralai"])
    client = azure.MistralAzure(
        api_key="test-key", server_url="https://tokenprint-test.services.ai.azure.com"
    )
    with cassette("mistralai", "azure_chat"), records() as recs:
        resp = client.chat.complete(model=MODEL, messages=MESSAGES)
    _has_values(resp)
    assert recs.usage.host == "tokenprint-test.services.ai.azure.com"
    assert resp.impacts.basis.datacenter == "azure"
