"""Anthropic adapter: the real anthropic client against hand-written cassettes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

anthropic = pytest.importorskip("anthropic")

from pydantic import BaseModel  # noqa: E402

from tests.support.cassettes import records, request_id, sdk_method, use_cassette  # noqa: E402
from tokenprint import EcoLogits  # noqa: E402
from tokenprint.impacts.results import Impacts  # noqa: E402
from tokenprint.records import Pending  # noqa: E402

KW: dict[str, Any] = {
    "model": "claude-3-5-sonnet-latest",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Hello World!"}],
}
TEXT = "Hello! How can I help you today?"


class City(BaseModel):
    city: str
    country: str


@pytest.fixture
def client() -> Iterator[Any]:
    EcoLogits.init(providers=["anthropic"])
    yield anthropic.Anthropic(api_key="sk-ant-test", max_retries=0)


@pytest.fixture
def aclient() -> Iterator[Any]:
    EcoLogits.init(providers=["anthropic"])
    yield anthropic.AsyncAnthropic(api_key="sk-ant-test", max_retries=0)


def _ok(impacts: Any) -> Impacts:
    assert isinstance(impacts, Impacts)
    assert impacts.errors == []
    assert impacts.energy is not None and impacts.energy.bound("max") > 0
    return impacts


# -- messages.create -----------------------------------------------------------------------
def test_create_carries_impacts_with_cache_reads_counted_as_input(client: Any) -> None:
    with use_cassette("anthropic", "message"):
        msg = client.messages.create(**KW)
    b = _ok(msg.impacts).basis
    assert (b.provider, b.model, b.datacenter) == (
        "anthropic",
        "claude-3-5-sonnet-20241022",
        "anthropic",
    )
    assert (b.input_tokens, b.cached_tokens, b.output_tokens) == (2020, 2000, 180)


def test_request_id_and_type_preserved(client: Any) -> None:
    with use_cassette("anthropic", "message"):
        msg = client.messages.create(**KW)
    assert type(msg) is anthropic.types.Message
    assert request_id(msg) == "req_tokenprint_msg_0001"


def test_model_dump_json_works_with_impacts_attached(client: Any) -> None:
    with use_cassette("anthropic", "message"):
        msg = client.messages.create(**KW)
    data = json.loads(msg.model_dump_json())
    assert data["content"][0]["text"] == TEXT
    assert data["impacts"]["gwp"]["value"]["max"] > 0


async def test_async_create_carries_impacts(aclient: Any) -> None:
    with use_cassette("anthropic", "message"):
        msg = await aclient.messages.create(**KW)
    assert _ok(msg.impacts).basis.output_tokens == 180
    assert request_id(msg) == "req_tokenprint_msg_0001"


def test_api_exception_propagates(client: Any) -> None:
    with use_cassette("anthropic", "message_error"), pytest.raises(anthropic.BadRequestError):
        client.messages.create(**KW)


async def test_async_api_exception_propagates(aclient: Any) -> None:
    with use_cassette("anthropic", "message_error"), pytest.raises(anthropic.BadRequestError):
        await aclient.messages.create(**KW)


def test_unknown_model_gives_error_in_impacts_not_exception(client: Any) -> None:
    with use_cassette("anthropic", "message_unknown_model"):
        msg = client.messages.create(**{**KW, "model": "claude-acme-9"})
    assert msg.content[0].text == TEXT
    assert [e.code for e in msg.impacts.errors] == ["model-not-registered"]


def test_parse_carries_impacts(client: Any) -> None:
    if not hasattr(client.messages, "parse"):
        pytest.skip("messages.parse() appeared in a later anthropic release")
    with use_cassette("anthropic", "message_parse"):
        msg = client.messages.parse(**KW, output_format=City)
    assert msg.parsed_output == City(city="Paris", country="France")
    assert _ok(msg.impacts).basis.output_tokens == 180


def test_beta_create_carries_impacts(client: Any) -> None:
    with use_cassette("anthropic", "beta_message"):
        msg = client.beta.messages.create(**KW)
    assert _ok(msg.impacts).basis.output_tokens == 180


# -- answers without usable usage ----------------------------------------------------------
ESTIMATED = (3, 8)  # "Hello World!" (12 characters) in, TEXT (32 characters) out


def test_message_without_usage_is_estimated_from_the_request_and_its_text(client: Any) -> None:
    with use_cassette("anthropic", "message_no_usage"), records() as recs:
        msg = client.messages.create(**KW)
    assert msg.usage is None and msg.content[0].text == TEXT
    u = recs.usage
    assert (u.provider, u.model) == ("anthropic", "claude-3-5-sonnet-20241022")
    assert (u.input_tokens, u.output_tokens) == ESTIMATED
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]
    assert _ok(msg.impacts).basis.output_tokens == 8


@pytest.mark.parametrize("name", ["message_usage_mistyped", "message_usage_string"])
def test_message_with_wrongly_typed_usage_is_estimated_and_flagged_invalid(
    client: Any, name: str
) -> None:
    with use_cassette("anthropic", name), records() as recs:
        msg = client.messages.create(**KW)
    u = recs.usage
    assert (u.input_tokens, u.output_tokens) == ESTIMATED
    codes = [w[0] for w in u.warnings]
    assert codes == ["input-tokens-estimated", "output-tokens-estimated", "usage-invalid"]
    assert "usage-invalid" in {w.code for w in _ok(msg.impacts).warnings}


# -- create(stream=True) -------------------------------------------------------------------
def test_stream_output_tokens_of_message_delta_are_cumulative(client: Any) -> None:
    with use_cassette("anthropic", "message_stream"):
        stream = client.messages.create(**KW, stream=True)
        events = list(stream)
    assert type(stream) is anthropic.Stream
    # message_start says 1, message_delta says 180 (the total): never 181
    assert _ok(stream.impacts).basis.output_tokens == 180
    assert stream.impacts.basis.input_tokens == 2020
    assert events[-1].type == "message_stop" and events[-1].impacts is stream.impacts
    assert len(events) == 14  # every event the SDK yields (it drops the ping itself)


def test_stream_used_as_context_manager(client: Any) -> None:
    with (
        use_cassette("anthropic", "message_stream"),
        client.messages.create(**KW, stream=True) as stream,
    ):
        for _ in stream:
            pass
    assert _ok(stream.impacts).basis.output_tokens == 180


def test_stream_not_consumed_to_the_end_is_accounted_on_close(client: Any) -> None:
    with use_cassette("anthropic", "message_stream"):
        stream = client.messages.create(**KW, stream=True)
        seen = [next(stream) for _ in range(6)]  # start, block start, 4 deltas
        stream.close()
    impacts = _ok(stream.impacts)
    assert seen[-1].impacts is impacts
    assert impacts.basis.input_tokens == 2020
    assert impacts.basis.output_tokens == 4  # "Hello! How can": 14 characters, ~4 per token
    assert "output-tokens-estimated" in {w.code for w in impacts.warnings}


async def test_async_stream_carries_impacts(aclient: Any) -> None:
    with use_cassette("anthropic", "message_stream"):
        stream = await aclient.messages.create(**KW, stream=True)
        async with stream:
            events = [e async for e in stream]
    assert type(stream) is anthropic.AsyncStream
    assert len(events) == 14
    assert _ok(stream.impacts).basis.output_tokens == 180


# -- messages.stream() helper --------------------------------------------------------------
def test_stream_helper_iterating_events_gets_impacts(client: Any) -> None:
    with use_cassette("anthropic", "message_stream"), client.messages.stream(**KW) as stream:
        kinds = [e.type for e in stream]
    assert "text" in kinds and kinds[-1] == "message_stop"
    assert _ok(stream.impacts).basis.output_tokens == 180


def test_stream_helper_text_stream_gets_impacts(client: Any) -> None:
    with use_cassette("anthropic", "message_stream"), client.messages.stream(**KW) as stream:
        text = "".join(stream.text_stream)
    assert text == TEXT
    assert _ok(stream.impacts).basis.output_tokens == 180


def test_stream_helper_get_final_message_only_gets_impacts(client: Any) -> None:
    with use_cassette("anthropic", "message_stream"), client.messages.stream(**KW) as stream:
        final = stream.get_final_message()
    assert final.usage.output_tokens == 180
    assert _ok(stream.impacts) is final.impacts
    assert stream.impacts.basis.output_tokens == 180


def test_stream_helper_not_consumed_to_the_end_is_accounted_on_exit(client: Any) -> None:
    with use_cassette("anthropic", "message_stream"), client.messages.stream(**KW) as stream:
        next(iter(stream))
    assert _ok(stream.impacts).basis.model == "claude-3-5-sonnet-20241022"


async def test_async_stream_helper_gets_impacts(aclient: Any) -> None:
    with use_cassette("anthropic", "message_stream"):
        async with aclient.messages.stream(**KW) as stream:
            final = await stream.get_final_message()
    assert final.content[0].text == TEXT
    assert _ok(stream.impacts).basis.output_tokens == 180


def test_beta_stream_helper_gets_impacts(client: Any) -> None:
    with (
        use_cassette("anthropic", "beta_message_stream"),
        sdk_method(client, "beta.messages.stream")(**KW) as stream,
    ):
        text = "".join(stream.text_stream)
    assert text == TEXT
    assert _ok(stream.impacts).basis.output_tokens == 180


# -- raw responses -------------------------------------------------------------------------
def test_raw_response_passes_through_and_parse_carries_impacts(client: Any) -> None:
    with use_cassette("anthropic", "message"):
        raw = client.messages.with_raw_response.create(**KW)
        assert raw.headers["request-id"] == "req_tokenprint_msg_0001"
        msg = raw.parse()
    assert type(msg) is anthropic.types.Message
    assert _ok(msg.impacts).basis.output_tokens == 180


async def test_async_raw_response_parse_carries_impacts(aclient: Any) -> None:
    with use_cassette("anthropic", "message"):
        raw = await aclient.messages.with_raw_response.create(**KW)
        msg = raw.parse()
        if hasattr(msg, "__await__"):  # AsyncAPIResponse.parse is a coroutine in anthropic 2.x
            msg = await msg
    assert _ok(msg.impacts).basis.output_tokens == 180


def test_streaming_response_passes_through_untouched(client: Any) -> None:
    with (
        use_cassette("anthropic", "message"),
        client.messages.with_streaming_response.create(**KW) as resp,
    ):
        assert not hasattr(resp, "impacts")
        body = json.loads(resp.read())
    assert body["usage"]["output_tokens"] == 180


# -- Bedrock and Vertex --------------------------------------------------------------------
def test_bedrock_client_is_provider_bedrock() -> None:
    pytest.importorskip("botocore")  # AnthropicBedrock signs requests with botocore
    EcoLogits.init(providers=["anthropic"])
    client = anthropic.AnthropicBedrock(
        aws_region="us-east-1", aws_access_key="AKIATEST", aws_secret_key="secret", max_retries=0
    )
    with use_cassette("anthropic", "bedrock_message"):
        msg = client.messages.create(
            model="anthropic.claude-3-5-sonnet-20241022-v2:0",
            max_tokens=1024,
            messages=KW["messages"],
        )
    b = msg.impacts.basis
    assert b.provider == "bedrock"
    assert (b.model, b.input_tokens, b.output_tokens) == ("claude-3-5-sonnet-20241022", 2020, 180)
    assert msg.impacts.errors == []


def test_vertex_client_is_provider_vertex() -> None:
    EcoLogits.init(providers=["anthropic"])
    client = anthropic.AnthropicVertex(
        region="us-east5", project_id="tokenprint-test", access_token="ya29.test", max_retries=0
    )
    with use_cassette("anthropic", "vertex_message"):
        msg = client.messages.create(
            model="claude-3-5-sonnet-v2@20241022", max_tokens=1024, messages=KW["messages"]
        )
    b = msg.impacts.basis
    assert b.provider == "vertex"
    assert (b.input_tokens, b.output_tokens) == (2020, 180)
    assert msg.impacts.errors == []


# -- before sending ------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["create", "stream"])
def test_budget_block_before_sending_raises_and_sends_nothing(client: Any, how: str) -> None:
    from tokenprint import events
    from tokenprint.errors import BudgetExceeded

    pending: list[Pending] = []

    def block(p: Pending) -> None:
        pending.append(p)
        raise BudgetExceeded("blocked")

    events.add_before(block)
    try:
        with use_cassette("anthropic", "message") as cassette, pytest.raises(BudgetExceeded):
            if how == "create":
                client.messages.create(**KW)
            else:
                with client.messages.stream(**KW):
                    pass
        assert cassette.play_count == 0
    finally:
        events.remove(block)
    (p,) = pending
    assert (p.provider, p.model, p.max_output_tokens, p.host) == (
        "anthropic",
        "claude-3-5-sonnet-latest",
        1024,
        "api.anthropic.com",
    )
    assert p.endpoint == f"messages.{how}"
