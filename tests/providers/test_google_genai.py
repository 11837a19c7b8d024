"""Google Gen AI adapter: the real google-genai client (sync and aio, chats, automatic function
calling, continuation) against our cassettes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts

genai = pytest.importorskip("google.genai")
from google.genai import types  # noqa: E402

MODEL = "gemini-2.0-flash"
PROMPT = "Tell me a fact about owls."


@pytest.fixture
def client() -> Any:
    EcoLogits.init(providers=["google_genai"])
    # The cassettes hold the v1beta paths: pin them (the SDK's default moved to v1).
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(api_version="v1beta"))


def _has_values(obj: Any) -> None:
    assert isinstance(obj.impacts, Impacts)
    assert obj.impacts.errors == []
    assert obj.impacts.energy is not None


def _thoughts_supported() -> bool:
    return "thoughts_token_count" in types.GenerateContentResponseUsageMetadata.model_fields


def test_generate_content_counts_thoughts_as_output_and_cached_as_input(client: Any) -> None:
    with cassette("google_genai", "content"), records() as recs:
        resp = client.models.generate_content(model=MODEL, contents=PROMPT)
    assert type(resp).__name__ == "GenerateContentResponse"
    _has_values(resp)
    u = recs.usage
    thoughts = 30 if _thoughts_supported() else 0
    assert (u.input_tokens, u.output_tokens, u.cached_tokens) == (9, 12 + thoughts, 4)
    assert u.reasoning_tokens == thoughts
    assert (u.provider, u.model, u.requested_model) == ("google", "gemini-2.0-flash-001", MODEL)
    assert (u.host, u.endpoint) == ("generativelanguage.googleapis.com", "models.generate_content")


def test_response_forbidding_extras_keeps_its_dump_clean(client: Any) -> None:
    with cassette("google_genai", "content"):
        resp = client.models.generate_content(model=MODEL, contents=PROMPT)
    assert "impacts" not in resp.model_dump()
    assert resp.text.startswith("Owls")


async def test_async_generate_content_carries_impacts(client: Any) -> None:
    with cassette("google_genai", "content"), records() as recs:
        resp = await client.aio.models.generate_content(model=MODEL, contents=PROMPT)
    _has_values(resp)
    assert recs.usage.input_tokens == 9


def test_chat_send_message_is_accounted_once(client: Any) -> None:
    with cassette("google_genai", "content"), records() as recs:
        resp = client.chats.create(model=MODEL).send_message(PROMPT)
    _has_values(resp)
    assert len(recs) == 1


def test_stream_takes_the_last_running_total_not_the_sum(client: Any) -> None:
    with cassette("google_genai", "stream"), records() as recs:
        chunks = list(client.models.generate_content_stream(model=MODEL, contents=PROMPT))
    assert [c.usage_metadata.candidates_token_count for c in chunks] == [1, 6, 12]
    assert [hasattr(c, "impacts") for c in chunks] == [False, False, True]
    _has_values(chunks[-1])
    thoughts = 30 if _thoughts_supported() else 0
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (9, 12 + thoughts)


async def test_async_stream_is_accounted(client: Any) -> None:
    with cassette("google_genai", "stream"), records() as recs:
        stream = await client.aio.models.generate_content_stream(model=MODEL, contents=PROMPT)
        chunks = [c async for c in stream]
    assert hasattr(chunks[-1], "impacts")
    assert recs.usage.input_tokens == 9


def test_chat_send_message_stream_is_accounted(client: Any) -> None:
    with cassette("google_genai", "stream"), records() as recs:
        chunks = list(client.chats.create(model=MODEL).send_message_stream(PROMPT))
    assert hasattr(chunks[-1], "impacts")
    assert len(recs) == 1


def test_stream_closed_early_is_accounted(client: Any) -> None:
    with cassette("google_genai", "stream"), records() as recs:
        stream = client.models.generate_content_stream(model=MODEL, contents=PROMPT)
        next(stream)
        stream.close()
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (9, 1)


# -- answers without usage -------------------------------------------------------------------
ESTIMATED = ["output-tokens-estimated", "input-tokens-estimated"]
OWLS = (7, 12)  # PROMPT: 26 characters; "Owls can rotate their heads about 270 degrees.": 46


def test_answer_without_usage_is_estimated_from_the_request_and_its_text(client: Any) -> None:
    with cassette("google_genai", "content_no_usage"), records() as recs:
        resp = client.models.generate_content(model=MODEL, contents=PROMPT)
    assert resp.usage_metadata is None
    _has_values(resp)
    u = recs.usage
    assert (u.model, u.input_tokens, u.output_tokens) == ("gemini-2.0-flash-001", *OWLS)
    assert [w[0] for w in u.warnings] == ESTIMATED


def test_stream_without_usage_is_estimated_from_the_streamed_text(client: Any) -> None:
    with cassette("google_genai", "stream_no_usage"), records() as recs:
        chunks = list(client.models.generate_content_stream(model=MODEL, contents=PROMPT))
    assert [c.usage_metadata for c in chunks] == [None, None, None]
    _has_values(chunks[-1])
    u = recs.usage
    assert (u.input_tokens, u.output_tokens) == OWLS
    assert [w[0] for w in u.warnings] == ESTIMATED


def test_stream_without_usage_closed_early_is_estimated_from_the_text_seen(client: Any) -> None:
    with cassette("google_genai", "stream_no_usage"), records() as recs:
        stream = client.models.generate_content_stream(model=MODEL, contents=PROMPT)
        next(stream)
        stream.close()
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (7, 1)  # "Owls"


def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


# Real types, not strings: google-genai 1.0 cannot read postponed annotations.
get_weather.__annotations__ = {"city": str, "return": str}


def test_automatic_function_calling_counts_every_http_call(client: Any) -> None:
    config = types.GenerateContentConfig(tools=[get_weather])
    with cassette("google_genai", "afc") as cas, records() as recs:
        resp = client.models.generate_content(
            model=MODEL, contents="What is the weather in Paris?", config=config
        )
    assert cas.play_count == 2
    assert resp.text == "It is sunny in Paris."
    assert resp.usage_metadata.prompt_token_count == 60  # the SDK reports the last call only
    _has_values(resp)
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (100, 13)


async def test_async_automatic_function_calling_counts_every_http_call(client: Any) -> None:
    config = types.GenerateContentConfig(tools=[get_weather])
    with cassette("google_genai", "afc"), records() as recs:
        resp = await client.aio.models.generate_content(
            model=MODEL, contents="What is the weather in Paris?", config=config
        )
    _has_values(resp)
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (100, 13)


def test_automatic_continuation_counts_both_hops(client: Any) -> None:
    if not hasattr(genai.models.Models, "_generate_content_with_continuation"):
        pytest.skip("this google-genai has no automatic continuation")
    with cassette("google_genai", "continuation") as cas, records() as recs:
        resp = client.models.generate_content(model=MODEL, contents=PROMPT)
    assert cas.play_count == 2
    assert resp.text == "Owls are birds of prey that hunt at night."
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (18, 25)


def test_api_exception_propagates_unchanged(client: Any) -> None:
    with cassette("google_genai", "error"), records() as recs, pytest.raises(Exception) as info:
        client.models.generate_content(model=MODEL, contents=PROMPT)
    assert type(info.value).__name__ == "ClientError"
    assert recs == []


def _chunk(rid: str, prompt: int, out: int, reason: str | None) -> Any:
    return types.GenerateContentResponse(
        response_id=rid,
        model_version="gemini-2.0-flash-001",
        candidates=[types.Candidate(finish_reason=types.FinishReason(reason) if reason else None)],
        usage_metadata=types.GenerateContentResponseUsageMetadata(
            prompt_token_count=prompt, candidates_token_count=out
        ),
    )


def _read(chunks: list[Any]) -> Any:
    from tokenprint.instrument.contract import Call
    from tokenprint.instrument.providers.google_genai import TARGETS, Chunks

    acc = Chunks(Call(TARGETS[0], None, (), {"model": MODEL}), None)
    assert not any(acc.add(c) for c in chunks)
    return acc.usage()


def test_stream_of_several_http_calls_adds_each_calls_last_running_total() -> None:
    if "response_id" not in types.GenerateContentResponse.model_fields:
        pytest.skip("this google-genai has no response_id (nor several calls per stream)")
    # automatic function calling: two calls, each with its own running totals
    u = _read([_chunk("a", 40, 2, None), _chunk("a", 40, 6, "STOP"), _chunk("b", 60, 7, "STOP")])
    assert (u.input_tokens, u.output_tokens, u.model) == (100, 13, "gemini-2.0-flash-001")


def test_stream_continuation_hop_replaces_the_previous_running_total() -> None:
    if "CONTINUATION" not in types.FinishReason.__members__:
        pytest.skip("this google-genai has no continuation")  # nor response_id
    # the SDK adds the previous hops' usage into the next hop's chunks
    u = _read([_chunk("a", 9, 20, "CONTINUATION"), _chunk("b", 18, 25, "STOP")])
    assert (u.input_tokens, u.output_tokens) == (18, 25)


def test_combined_sums_counts_keeps_the_last_model_and_each_warning_once() -> None:
    from tokenprint.instrument.read import combined
    from tokenprint.records import Usage

    w = ("output-tokens-estimated", "x")
    first = Usage("google", "a", 10, 2, 1, 0, warnings=(w,))
    last = Usage("google", "b", 20, 3, 0, 1, host="h", warnings=(w,))
    assert combined([first, last]) == last._replace(
        input_tokens=30, output_tokens=5, cached_tokens=1, reasoning_tokens=1, warnings=(w,)
    )
    assert combined([]) is None
    assert combined([last]) == last  # one HTTP call: its Usage as it is
    twice = last._replace(warnings=(w, w))
    assert combined([twice]) == last  # ... each warning still once
    assert combined(iter([first])) == first


def test_stream_with_automatic_function_calling_counts_both_http_calls(client: Any) -> None:
    if "response_id" not in types.GenerateContentResponse.model_fields:
        pytest.skip("this google-genai streams no function-calling loop")
    config = types.GenerateContentConfig(tools=[get_weather])
    with cassette("google_genai", "afc_stream") as cas, records() as recs:
        chunks = list(
            client.models.generate_content_stream(
                model=MODEL, contents="What is the weather in Paris?", config=config
            )
        )
    if cas.play_count < 2:
        pytest.skip("this google-genai does not run function calls in streams")
    assert "".join(c.text or "" for c in chunks).endswith("It is sunny in Paris.")
    assert hasattr(chunks[-1], "impacts")
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (100, 13)
