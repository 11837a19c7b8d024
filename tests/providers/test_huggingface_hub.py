"""Hugging Face Hub adapter: the real InferenceClient / AsyncInferenceClient against our
cassettes (Hub ids, endpoint URLs, "tgi", chat and text generation)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts

huggingface_hub = pytest.importorskip("huggingface_hub")
from huggingface_hub import AsyncInferenceClient, InferenceClient  # noqa: E402

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
MESSAGES: list[Any] = [{"role": "user", "content": "Count to three."}]
ENDPOINT = "http://localhost:8080"
with_usage_option = pytest.mark.skipif(
    "stream_options" not in inspect.signature(InferenceClient.chat_completion).parameters,
    reason="this huggingface_hub cannot ask streams for usage",
)


def _client(*args: Any, **kwargs: Any) -> Any:
    return InferenceClient(*args, **kwargs)


def _aclient(*args: Any, **kwargs: Any) -> Any:
    return AsyncInferenceClient(*args, **kwargs)


@pytest.fixture(autouse=True)
def _instrumented() -> None:
    EcoLogits.init(providers=["huggingface_hub"])


def _has_values(obj: Any) -> None:
    assert isinstance(obj.impacts, Impacts)
    assert obj.impacts.errors == []
    assert obj.impacts.energy is not None


def test_chat_completion_with_positional_messages_carries_impacts() -> None:
    with cassette("huggingface_hub", "chat"), records() as recs:
        resp = _client(MODEL, token="hf_test").chat_completion(MESSAGES, max_tokens=20)
    assert type(resp).__name__ == "ChatCompletionOutput"
    _has_values(resp)
    u = recs.usage
    assert (u.provider, u.model, u.input_tokens, u.output_tokens) == (
        "huggingface_hub", MODEL, 41, 8,
    )  # fmt: skip
    assert u.endpoint == "chat_completion"


def test_openai_style_chat_completions_create_is_counted_once() -> None:
    with cassette("huggingface_hub", "chat"), records() as recs:
        client = _client(token="hf_test")
        resp = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    _has_values(resp)
    assert len(recs) == 1
    assert recs.usage.requested_model == MODEL


async def test_async_chat_completion_carries_impacts() -> None:
    with cassette("huggingface_hub", "chat"), records() as recs:
        resp = await _aclient(MODEL, token="hf_test").chat_completion(MESSAGES)
    _has_values(resp)
    assert recs.usage.output_tokens == 8


def test_chat_completion_without_usage_is_estimated_from_the_request_and_its_text() -> None:
    with cassette("huggingface_hub", "chat_no_usage"), records() as recs:
        resp = _client(MODEL, token="hf_test").chat_completion(MESSAGES)
    assert resp.usage is None
    _has_values(resp)
    u = recs.usage
    assert (u.model, u.input_tokens, u.output_tokens) == (MODEL, 4, 4)  # 15 and 16 characters
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]


@with_usage_option
def test_chat_stream_with_usage_option_reads_the_final_usage_chunk() -> None:
    client = _client(MODEL, token="hf_test")
    with cassette("huggingface_hub", "stream"), records() as recs:
        chunks = list(
            client.chat_completion(MESSAGES, stream=True, stream_options={"include_usage": True})
        )
    assert chunks[-1].choices == []
    assert [hasattr(c, "impacts") for c in chunks] == [False, False, False, True]
    _has_values(chunks[-1])
    assert (recs.usage.input_tokens, recs.usage.output_tokens, recs.usage.warnings) == (41, 7, ())


@with_usage_option
async def test_async_chat_stream_is_accounted() -> None:
    client = _aclient(MODEL, token="hf_test")
    with cassette("huggingface_hub", "stream"), records() as recs:
        stream = await client.chat_completion(
            MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [c async for c in stream]
    assert hasattr(chunks[-1], "impacts")
    assert recs.usage.output_tokens == 7


def test_chat_stream_without_usage_is_estimated_from_the_text_and_says_so() -> None:
    client = _client(ENDPOINT)
    with cassette("huggingface_hub", "stream_no_usage"), records() as recs:
        chunks = list(client.chat_completion(MESSAGES, stream=True))
    assert len(chunks) == 3
    u = recs.usage
    assert u.output_tokens == 4  # "One, two, three.": 16 characters
    assert u.input_tokens > 0
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]
    assert hasattr(chunks[-1], "impacts")


def test_endpoint_url_takes_the_model_from_the_answer_and_the_host_from_the_url() -> None:
    with cassette("huggingface_hub", "endpoint"), records() as recs:
        resp = _client(ENDPOINT).chat_completion(MESSAGES)
    _has_values(resp)
    u = recs.usage
    assert (u.model, u.requested_model, u.host) == (MODEL, None, "localhost")
    assert u.provider == "self-hosted"


def test_base_url_with_model_tgi_is_an_endpoint_too() -> None:
    with cassette("huggingface_hub", "endpoint"), records() as recs:
        client = _client(base_url=ENDPOINT)
        resp = client.chat.completions.create(model="tgi", messages=MESSAGES)
    _has_values(resp)
    assert (recs.usage.model, recs.usage.host) == (MODEL, "localhost")


def test_no_model_name_anywhere_gives_an_error_in_impacts_not_an_exception() -> None:
    with cassette("huggingface_hub", "endpoint_tgi"), records() as recs:
        resp = _client("http://localhost:8081").chat_completion(MESSAGES, model="tgi")
    assert resp.model == "tgi"
    assert resp.impacts.energy is None and resp.impacts.errors
    assert (recs.usage.model, recs.usage.input_tokens) == (None, 20)


def test_text_generation_with_details_counts_generated_and_prefill_tokens() -> None:
    with cassette("huggingface_hub", "text_generation_details"), records() as recs:
        resp = _client(ENDPOINT).text_generation(
            "Count to three:", details=True, decoder_input_details=True, max_new_tokens=5
        )
    assert type(resp).__name__ == "TextGenerationOutput"
    assert isinstance(resp.impacts, Impacts)
    u = recs.usage
    assert (u.input_tokens, u.output_tokens, u.warnings) == (5, 5, ())
    assert u.endpoint == "text_generation"


async def test_async_text_generation_with_details_is_accounted() -> None:
    with cassette("huggingface_hub", "text_generation_details"), records() as recs:
        resp = await _aclient(ENDPOINT).text_generation(
            "Count to three:", details=True, decoder_input_details=True, max_new_tokens=5
        )
    assert isinstance(resp.impacts, Impacts)
    assert recs.usage.output_tokens == 5


def test_text_generation_bare_str_is_returned_unchanged_and_still_published() -> None:
    with cassette("huggingface_hub", "text_generation_plain"), records() as recs:
        text = _client(ENDPOINT).text_generation("Count to three:", max_new_tokens=5)
    assert type(text) is str and text == " One, two, three"
    u = recs.usage
    assert (u.input_tokens, u.output_tokens) == (4, 4)  # 15 and 16 characters
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]


def test_text_generation_stream_with_details_reads_the_last_event() -> None:
    client = _client(ENDPOINT)
    with cassette("huggingface_hub", "text_generation_stream"), records() as recs:
        events = list(client.text_generation("Count to three:", details=True, stream=True))
    assert events[-1].details.generated_tokens == 5
    assert hasattr(events[-1], "impacts")
    # input_length is a field on recent SDKs and a dict key on old ones (outputs are dicts)
    assert (recs.usage.input_tokens, recs.usage.output_tokens, recs.usage.warnings) == (5, 5, ())


def test_api_exception_propagates_unchanged() -> None:
    with cassette("huggingface_hub", "error"), records() as recs, pytest.raises(Exception) as info:
        _client("http://localhost:8082").chat_completion(MESSAGES)
    assert type(info.value).__name__ == "HfHubHTTPError"
    assert recs == []


def test_chat_stream_closed_early_is_accounted_with_an_estimate() -> None:
    client = _client(ENDPOINT)
    with cassette("huggingface_hub", "stream_no_usage"), records() as recs:
        stream = client.chat_completion(MESSAGES, stream=True)
        first = next(stream)
        stream.close()
    assert first.choices[0].delta.content == "One"
    assert recs.usage.output_tokens == 1
    assert [w[0] for w in recs.usage.warnings] == [
        "output-tokens-estimated",
        "input-tokens-estimated",
    ]


def test_a_blocking_budget_sees_the_model_set_on_the_client() -> None:
    from tokenprint import Budget, BudgetExceeded

    with (
        Budget(per_request={"gwp": "0 g"}, mode="block"),
        cassette("huggingface_hub", "chat"),
        records() as recs,
        pytest.raises(BudgetExceeded, match="refused before sending") as refused,
    ):
        _client(MODEL, token="hf_test").chat_completion(MESSAGES, max_tokens=20)
    assert MODEL in str(refused.value)  # the worst case of the client's model, not of none
    assert list(recs) == []  # nothing was sent
