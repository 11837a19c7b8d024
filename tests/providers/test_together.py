"""Together AI adapter: the real together client (2.x and later, Stainless-generated)
against our cassettes. The behaviours shared with other host SDKs are written once in
``tests/support/hosts.py``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cassettes import estimated_impacts, records
from tests.support.hosts import MESSAGES, Host

together = pytest.importorskip("together")
if not hasattr(together, "AsyncTogether") or not hasattr(together, "InternalServerError"):
    pytest.skip("together 1.x is not supported", allow_module_level=True)

TOGETHER = Host("together", "Together", "AsyncTogether",
                "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", (41, 4),
                "InternalServerError",
                # 2.x sends every call to api.together.xyz, 3.x chat to api-inference
                {"match_on": ["method", "scheme", "path", "query"]})  # fmt: skip


@pytest.fixture
def client() -> Any:
    return TOGETHER.client()


def test_chat_carries_impacts_of_the_together_data_centre() -> None:
    with TOGETHER.cassette("chat"), records() as recs:
        resp = TOGETHER.chat()
    assert type(resp).__name__ == "ChatCompletion"
    impacts = estimated_impacts(resp)
    u = recs.usage
    assert (u.provider, u.model, u.input_tokens, u.output_tokens, u.warnings) == (
        "together", TOGETHER.model, 41, 5, (),
    )  # fmt: skip
    assert u.endpoint == "chat.completions.create"
    assert impacts.basis.model_resolved == "meta-llama/Llama-3.3-70B-Instruct"
    assert impacts.basis.datacenter == "together" and impacts.basis.zone == "USA"


async def test_chat_async_carries_impacts() -> None:
    _, u = await TOGETHER.check_async()
    assert (u.input_tokens, u.output_tokens) == (41, 5)


def test_stream_puts_impacts_on_the_last_chunk(client: Any) -> None:
    with TOGETHER.cassette("stream"), records() as recs:
        stream = client.chat.completions.create(model=TOGETHER.fast, messages=MESSAGES, stream=True)
        seen = [hasattr(chunk, "impacts") for chunk in stream]
    assert seen == [False, False, True]
    u = recs.usage
    assert (u.model, u.input_tokens, u.output_tokens, u.warnings) == (TOGETHER.fast, 41, 4, ())
    assert estimated_impacts(stream).basis.model_resolved == "meta-llama/Llama-3.1-8B-Instruct"


async def test_async_stream_accounts_once() -> None:
    await TOGETHER.check_async_stream()


@pytest.mark.parametrize("name", ["no_usage", "stream_no_usage"])
def test_answer_without_usage_is_estimated_never_zero(name: str) -> None:
    TOGETHER.check_without_usage(name)


def test_completion_reads_choice_text_and_usage(client: Any) -> None:
    with TOGETHER.cassette("completion"), records() as recs:
        resp = client.completions.create(
            model="Qwen/Qwen2.5-72B-Instruct-Turbo", prompt="The capital of France is"
        )
    assert estimated_impacts(resp).basis.model_resolved == "Qwen/Qwen2.5-72B-Instruct"
    assert (recs.usage.input_tokens, recs.usage.endpoint) == (6, "completions.create")


def test_embeddings_without_usage_estimate_the_input(client: Any) -> None:
    with TOGETHER.cassette("embeddings"), records() as recs:
        resp = client.embeddings.create(
            model="BAAI/bge-large-en-v1.5", input=["Hello World!", "Goodbye World!"]
        )
    estimated_impacts(resp)
    u = recs.usage
    assert (u.modality, u.input_tokens) == ("embedding", 7)  # 26 characters
    assert [w[0] for w in u.warnings] == ["input-tokens-estimated"]


def test_unknown_model_is_reported_not_raised() -> None:
    TOGETHER.check_unknown_model("acme/unreleased-9000")


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
async def test_api_error_passes_through_unchanged(aio: bool) -> None:
    await TOGETHER.check_api_error(aio)


def test_a_blocking_budget_refuses_before_sending() -> None:
    TOGETHER.check_blocking_budget()
