"""Together AI adapter: the real together client (2.x and later, Stainless-generated)
against our cassettes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.cassettes import cassette, estimated_impacts, failing_transport, records
from tokenprint import Budget, BudgetExceeded, EcoLogits

together = pytest.importorskip("together")
if not hasattr(together, "AsyncTogether") or not hasattr(together, "APIStatusError"):
    pytest.skip("together 1.x is not supported", allow_module_level=True)

MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
FAST = "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"
MESSAGES: list[Any] = [{"role": "user", "content": "Say hello in French."}]


@pytest.fixture
def client() -> Any:
    EcoLogits.init(providers=["together"])
    return together.Together(api_key="tg_test", max_retries=0)


def test_chat_carries_impacts_of_the_together_data_centre(client: Any) -> None:
    with cassette("together", "chat"), records() as recs:
        resp = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert type(resp).__name__ == "ChatCompletion"
    impacts = estimated_impacts(resp)
    u = recs.usage
    assert (u.provider, u.host, u.model, u.input_tokens, u.output_tokens) == (
        "together", "api.together.ai", MODEL, 41, 5,
    )  # fmt: skip
    assert u.endpoint == "chat.completions.create" and u.warnings == ()
    assert impacts.basis.model_resolved == "meta-llama/Llama-3.3-70B-Instruct"
    assert impacts.basis.datacenter == "together" and impacts.basis.zone == "USA"
    assert '"usage"' in resp.model_dump_json()


async def test_chat_async_carries_impacts() -> None:
    EcoLogits.init(providers=["together"])
    aclient = together.AsyncTogether(api_key="tg_test", max_retries=0)
    with cassette("together", "chat"), records() as recs:
        resp = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES)
    estimated_impacts(resp)
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (41, 5)


def test_stream_puts_impacts_on_the_last_chunk(client: Any) -> None:
    with cassette("together", "stream"), records() as recs:
        stream = client.chat.completions.create(model=FAST, messages=MESSAGES, stream=True)
        seen = [hasattr(chunk, "impacts") for chunk in stream]
    assert seen == [False, False, True]
    u = recs.usage
    assert (u.model, u.input_tokens, u.output_tokens, u.warnings) == (FAST, 41, 4, ())
    assert estimated_impacts(stream).basis.model_resolved == "meta-llama/Llama-3.1-8B-Instruct"


async def test_async_stream_accounts_once() -> None:
    EcoLogits.init(providers=["together"])
    aclient = together.AsyncTogether(api_key="tg_test", max_retries=0)
    with cassette("together", "stream"), records() as recs:
        stream = await aclient.chat.completions.create(model=FAST, messages=MESSAGES, stream=True)
        chunks = [chunk async for chunk in stream]
    estimated_impacts(chunks[-1])
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (41, 4)


@pytest.mark.parametrize("name", ["no_usage", "stream_no_usage"])
def test_answer_without_usage_is_estimated_never_zero(client: Any, name: str) -> None:
    stream = name.startswith("stream")
    model = FAST if stream else MODEL
    with cassette("together", name), records() as recs:
        resp = client.chat.completions.create(model=model, messages=MESSAGES, stream=stream)
        if stream:
            list(resp)
    u = recs.usage
    assert u.input_tokens > 0 and u.output_tokens == 3  # "Bonjour !": 9 characters
    assert {"output-tokens-estimated", "input-tokens-estimated"} <= {w[0] for w in u.warnings}
    estimated_impacts(resp)


def test_completion_reads_choice_text_and_usage(client: Any) -> None:
    with cassette("together", "completion"), records() as recs:
        resp = client.completions.create(
            model="Qwen/Qwen2.5-72B-Instruct-Turbo", prompt="The capital of France is"
        )
    assert estimated_impacts(resp).basis.model_resolved == "Qwen/Qwen2.5-72B-Instruct"
    assert (recs.usage.input_tokens, recs.usage.endpoint) == (6, "completions.create")


def test_embeddings_without_usage_estimate_the_input(client: Any) -> None:
    with cassette("together", "embeddings"), records() as recs:
        resp = client.embeddings.create(
            model="BAAI/bge-large-en-v1.5", input=["Hello World!", "Goodbye World!"]
        )
    estimated_impacts(resp)
    u = recs.usage
    assert (u.modality, u.input_tokens) == ("embedding", 7)  # 26 characters
    assert [w[0] for w in u.warnings] == ["input-tokens-estimated"]


def test_unknown_model_is_reported_not_raised(client: Any) -> None:
    with cassette("together", "unknown_model"):
        resp = client.chat.completions.create(model="acme/unreleased-9000", messages=MESSAGES)
    [error] = resp.impacts.errors
    assert error.code == "model-not-registered" and "acme/unreleased-9000" in error.message


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
async def test_api_error_passes_through_unchanged(aio: bool) -> None:
    EcoLogits.init(providers=["together"])
    transport = failing_transport(500, {"error": {"message": "overloaded"}})
    http = (httpx.AsyncClient if aio else httpx.Client)(transport=transport)
    cls = together.AsyncTogether if aio else together.Together
    c = cls(api_key="tg_test", max_retries=0, http_client=http)
    with records() as recs, pytest.raises(together.InternalServerError) as raised:
        result = c.chat.completions.create(model=MODEL, messages=MESSAGES)
        if aio:
            await result
    assert type(raised.value) is together.InternalServerError
    assert list(recs) == []


def test_a_blocking_budget_refuses_before_sending(client: Any) -> None:
    with (
        Budget(per_request={"gwp": "0 g"}, mode="block"),
        cassette("together", "chat") as played,
        records() as recs,
        pytest.raises(BudgetExceeded, match="refused before sending") as refused,
    ):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=50)
    assert MODEL in str(refused.value)
    assert list(recs) == [] and played.play_count == 0
