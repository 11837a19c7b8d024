"""Groq adapter: the real groq client against our cassettes (OpenAI-shaped answers, stream
usage in ``x_groq.usage``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.cassettes import cassette, estimated_impacts, failing_transport, records
from tokenprint import Budget, BudgetExceeded, EcoLogits

groq = pytest.importorskip("groq")

MODEL = "llama-3.3-70b-versatile"
FAST = "llama-3.1-8b-instant"
MESSAGES: list[Any] = [{"role": "user", "content": "Say hello in French."}]


@pytest.fixture
def client() -> Any:
    EcoLogits.init(providers=["groq"])
    return groq.Groq(api_key="gsk_test", max_retries=0)


@pytest.fixture
def aclient() -> Any:
    EcoLogits.init(providers=["groq"])
    return groq.AsyncGroq(api_key="gsk_test", max_retries=0)


def test_chat_carries_impacts_of_the_groq_data_centre(client: Any) -> None:
    with cassette("groq", "chat"), records() as recs:
        resp = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert type(resp).__name__ == "ChatCompletion"
    impacts = estimated_impacts(resp)
    u = recs.usage
    assert (u.provider, u.host, u.model, u.input_tokens, u.output_tokens) == (
        "groq", "api.groq.com", MODEL, 43, 5,
    )  # fmt: skip
    assert u.endpoint == "chat.completions.create" and u.warnings == ()
    assert impacts.basis.model_resolved == "meta-llama/Llama-3.3-70B-Instruct"
    assert impacts.basis.datacenter == "groq"
    assert '"usage"' in resp.model_dump_json()  # the SDK's own serialisation still works


async def test_chat_async_carries_impacts(aclient: Any) -> None:
    with cassette("groq", "chat"), records() as recs:
        resp = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES)
    estimated_impacts(resp)
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (43, 5)


def test_stream_reads_x_groq_usage_and_puts_impacts_on_the_last_chunk(client: Any) -> None:
    with cassette("groq", "stream"), records() as recs:
        stream = client.chat.completions.create(model=FAST, messages=MESSAGES, stream=True)
        seen = [hasattr(chunk, "impacts") for chunk in stream]
    assert seen == [False] * 4 + [True]  # known before the last chunk is handed over
    estimated_impacts(stream)
    u = recs.usage
    assert (u.model, u.input_tokens, u.output_tokens, u.warnings) == (FAST, 43, 4, ())


async def test_async_stream_accounts_once(aclient: Any) -> None:
    with cassette("groq", "stream"), records() as recs:
        stream = await aclient.chat.completions.create(model=FAST, messages=MESSAGES, stream=True)
        chunks = [chunk async for chunk in stream]
    estimated_impacts(chunks[-1])
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (43, 4)


def test_stream_closed_early_is_accounted_from_what_was_read(client: Any) -> None:
    with (
        cassette("groq", "stream"),
        records() as recs,
        client.chat.completions.create(model=FAST, messages=MESSAGES, stream=True) as s,
    ):
        next(iter(s))
        next(iter(s))
    u = recs.usage
    assert u.output_tokens == 1  # "Bon": 3 characters, about one token
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]


@pytest.mark.parametrize("name", ["no_usage", "stream_no_usage"])
def test_answer_without_usage_is_estimated_never_zero(client: Any, name: str) -> None:
    stream = name.startswith("stream")
    with cassette("groq", name), records() as recs:
        resp = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=stream)
        if stream:
            list(resp)
    u = recs.usage
    assert u.input_tokens > 0 and u.output_tokens == 3  # "Bonjour !": 9 characters
    assert {"output-tokens-estimated", "input-tokens-estimated"} <= {w[0] for w in u.warnings}
    estimated_impacts(resp)


def test_malformed_usage_is_estimated_and_flagged(client: Any) -> None:
    with cassette("groq", "bad_usage"), records() as recs:
        resp = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    u = recs.usage
    assert u.input_tokens > 0 and u.output_tokens == 3
    assert "usage-invalid" in {w[0] for w in u.warnings}
    estimated_impacts(resp)


def test_unknown_model_is_reported_not_raised(client: Any) -> None:
    with cassette("groq", "unknown_model"):
        resp = client.chat.completions.create(model="acme-unreleased-9000", messages=MESSAGES)
    [error] = resp.impacts.errors
    assert error.code == "model-not-registered" and "acme-unreleased-9000" in error.message


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
async def test_api_error_passes_through_unchanged(aio: bool) -> None:
    EcoLogits.init(providers=["groq"])
    transport = failing_transport(400, {"error": {"message": "bad", "type": "invalid_request"}})
    http = (httpx.AsyncClient if aio else httpx.Client)(transport=transport)
    cls = groq.AsyncGroq if aio else groq.Groq
    c = cls(api_key="gsk_test", max_retries=0, http_client=http)
    with records() as recs, pytest.raises(groq.BadRequestError) as raised:
        result = c.chat.completions.create(model=MODEL, messages=MESSAGES)
        if aio:
            await result
    assert type(raised.value) is groq.BadRequestError and raised.value.status_code == 400
    assert list(recs) == []


def test_raw_response_is_accounted_on_parse(client: Any) -> None:
    with cassette("groq", "chat"), records() as recs:
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
        resp = raw.parse()
    estimated_impacts(resp)
    assert recs.usage.output_tokens == 5


def test_embeddings_count_prompt_tokens(client: Any) -> None:
    with cassette("groq", "embeddings"), records() as recs:
        resp = client.embeddings.create(
            model="nomic-embed-text-v1_5", input=["Hello World!", "Goodbye World!"]
        )
    estimated_impacts(resp)
    u = recs.usage
    assert (u.modality, u.input_tokens, u.endpoint) == ("embedding", 8, "embeddings.create")


def test_a_blocking_budget_refuses_before_sending(client: Any) -> None:
    with (
        Budget(per_request={"gwp": "0 g"}, mode="block"),
        cassette("groq", "chat") as played,
        records() as recs,
        pytest.raises(BudgetExceeded, match="refused before sending") as refused,
    ):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=50)
    assert MODEL in str(refused.value)
    assert list(recs) == [] and played.play_count == 0
