"""Groq adapter: the real groq client against our cassettes (OpenAI-shaped answers, stream
usage in ``x_groq.usage``). The behaviours shared with other host SDKs are written once in
``tests/support/hosts.py``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cassettes import cassette, estimated_impacts, records
from tests.support.hosts import MESSAGES, Host

groq = pytest.importorskip("groq")

GROQ = Host("groq", "Groq", "AsyncGroq", "llama-3.3-70b-versatile", "llama-3.1-8b-instant",
            (43, 4), "InternalServerError")  # fmt: skip


@pytest.fixture
def client() -> Any:
    return GROQ.client()


def test_chat_carries_impacts_of_the_groq_data_centre(client: Any) -> None:
    with cassette("groq", "chat"), records() as recs:
        resp = client.chat.completions.create(model=GROQ.model, messages=MESSAGES)
    assert type(resp).__name__ == "ChatCompletion"
    impacts = estimated_impacts(resp)
    u = recs.usage
    assert (u.provider, u.host, u.model, u.input_tokens, u.output_tokens) == (
        "groq", "api.groq.com", GROQ.model, 43, 5,
    )  # fmt: skip
    assert u.endpoint == "chat.completions.create" and u.warnings == ()
    assert impacts.basis.model_resolved == "meta-llama/Llama-3.3-70B-Instruct"
    assert impacts.basis.datacenter == "groq"
    assert '"usage"' in resp.model_dump_json()  # the SDK's own serialisation still works


async def test_chat_async_carries_impacts() -> None:
    _, u = await GROQ.check_async()
    assert (u.input_tokens, u.output_tokens) == (43, 5)


def test_stream_reads_x_groq_usage_and_puts_impacts_on_the_last_chunk(client: Any) -> None:
    with cassette("groq", "stream"), records() as recs:
        stream = client.chat.completions.create(model=GROQ.fast, messages=MESSAGES, stream=True)
        seen = [hasattr(chunk, "impacts") for chunk in stream]
    assert seen == [False] * 4 + [True]  # known before the last chunk is handed over
    estimated_impacts(stream)
    u = recs.usage
    assert (u.model, u.input_tokens, u.output_tokens, u.warnings) == (GROQ.fast, 43, 4, ())


async def test_async_stream_accounts_once() -> None:
    await GROQ.check_async_stream()


def test_stream_closed_early_is_accounted_from_what_was_read(client: Any) -> None:
    with (
        cassette("groq", "stream"),
        records() as recs,
        client.chat.completions.create(model=GROQ.fast, messages=MESSAGES, stream=True) as s,
    ):
        next(iter(s))
        next(iter(s))
    u = recs.usage
    assert u.output_tokens == 1  # "Bon": 3 characters, about one token
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]


@pytest.mark.parametrize("name", ["no_usage", "stream_no_usage"])
def test_answer_without_usage_is_estimated_never_zero(name: str) -> None:
    GROQ.check_without_usage(name)


def test_malformed_usage_is_estimated_and_flagged(client: Any) -> None:
    with cassette("groq", "bad_usage"), records() as recs:
        resp = client.chat.completions.create(model=GROQ.model, messages=MESSAGES)
    u = recs.usage
    assert u.input_tokens > 0 and u.output_tokens == 3
    assert "usage-invalid" in {w[0] for w in u.warnings}
    estimated_impacts(resp)


def test_unknown_model_is_reported_not_raised() -> None:
    GROQ.check_unknown_model("acme-unreleased-9000")


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
async def test_api_error_passes_through_unchanged(aio: bool) -> None:
    await GROQ.check_api_error(aio)


def test_raw_response_is_accounted_on_parse(client: Any) -> None:
    with cassette("groq", "chat"), records() as recs:
        raw = client.chat.completions.with_raw_response.create(model=GROQ.model, messages=MESSAGES)
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


def test_a_blocking_budget_refuses_before_sending() -> None:
    GROQ.check_blocking_budget()
