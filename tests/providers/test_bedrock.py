"""Bedrock adapter: the real boto3 ``bedrock-runtime`` client against a loopback server
answering like the service (JSON answers, token-count headers, event-stream framing)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")

from botocore.exceptions import ClientError, EventStreamError  # noqa: E402

from tests.support import bedrock as aws  # noqa: E402
from tests.support.cassettes import records  # noqa: E402
from tokenprint import Budget, EcoLogits, estimate  # noqa: E402
from tokenprint.catalog.models import resolve  # noqa: E402
from tokenprint.errors import BudgetExceeded  # noqa: E402
from tokenprint.impacts.results import Impacts  # noqa: E402

SONNET = "anthropic.claude-3-5-sonnet-20241022-v2:0"
LLAMA = "meta.llama3-1-70b-instruct-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello World! " * 20}]}]
USAGE = {"inputTokens": 12, "outputTokens": 30, "totalTokens": 42}
TEXT = "Hello! How can I help you today?"
ESTIMATED_OUT = -(-len(TEXT) // 4)  # about 4 characters per token, rounded up
METRICS = {"inputTokenCount": 14, "outputTokenCount": 9, "invocationLatency": 310,
           "firstByteLatency": 120}  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[aws.BedrockServer]:
    yield from aws.serve()


@pytest.fixture
def client(server: aws.BedrockServer) -> Any:
    server.replies.clear()
    server.requests.clear()
    EcoLogits.init(providers=["bedrock"])
    return aws.client(server.url)


def _ok(impacts: Any) -> Impacts:
    assert isinstance(impacts, Impacts)
    assert impacts.errors == []
    assert impacts.energy is not None and impacts.energy.bound("max") > 0
    return impacts


def _codes(impacts: Impacts) -> set[str]:
    return {w.code for w in impacts.warnings}


def _converse_events(usage: Any = USAGE) -> aws.Reply:
    events = [aws.event("messageStart", {"role": "assistant"})]
    for part in ("Hello! ", "How can I ", "help you today?"):
        events.append(aws.event("contentBlockDelta", {"contentBlockIndex": 0,
                                                      "delta": {"text": part}}))  # fmt: skip
    events += [aws.event("contentBlockStop", {"contentBlockIndex": 0}),
               aws.event("messageStop", {"stopReason": "end_turn"})]  # fmt: skip
    if usage is not None:
        events.append(aws.event("metadata", {"usage": usage, "metrics": {"latencyMs": 300}}))
    return aws.event_stream(*events)


def _claude_chunks(metrics: Any = METRICS) -> aws.Reply:
    """Anthropic's messages format, streamed through invoke_model_with_response_stream."""
    chunks = [aws.chunk_event({"type": "message_start", "message": {"role": "assistant"}})]
    for part in ("Hello! ", "How can I ", "help you today?"):
        chunks.append(aws.chunk_event({"type": "content_block_delta", "index": 0,
                                       "delta": {"type": "text_delta", "text": part}}))  # fmt: skip
    last: dict[str, Any] = {"type": "message_stop"}
    if metrics is not None:
        last["amazon-bedrock-invocationMetrics"] = metrics
    chunks.append(aws.chunk_event(last))
    return aws.event_stream(*chunks)


def _invoke_reply(headers: dict[str, str]) -> aws.Reply:
    body = json.dumps({"generation": TEXT, "stop_reason": "stop"}).encode()
    return aws.Reply(200, {"Content-Type": "application/json", **headers}, body)


TOKEN_HEADERS = {"X-Amzn-Bedrock-Input-Token-Count": "21",
                 "X-Amzn-Bedrock-Output-Token-Count": "8"}  # fmt: skip
INVOKE_BODY = json.dumps({"prompt": "Hello World! " * 20, "max_gen_len": 64})


# -- converse --------------------------------------------------------------------------------
def test_converse_answer_dict_carries_impacts(client: Any, server: aws.BedrockServer) -> None:
    server.reply(aws.json_reply(aws.converse_body(TEXT, USAGE)))
    answer = client.converse(modelId=SONNET, messages=MESSAGES)
    b = _ok(answer["impacts"]).basis
    assert (b.provider, b.model, b.model_resolved) == ("bedrock", SONNET, "claude-3-5-sonnet")
    assert (b.input_tokens, b.output_tokens, b.zone) == (12, 30, "USA")
    assert answer["output"]["message"]["content"][0]["text"] == TEXT  # the answer is intact
    assert answer["ResponseMetadata"]["RequestId"] == "tokenprint-test-0001"


def test_converse_cache_reads_and_writes_count_as_input(client: Any, server: Any) -> None:
    usage_shape = client.meta.service_model.operation_model("Converse").output_shape
    if "cacheReadInputTokens" not in usage_shape.members["usage"].members:
        pytest.skip("this botocore's Converse usage has no cache counts")
    usage = {**USAGE, "cacheReadInputTokens": 2000, "cacheWriteInputTokens": 300}
    server.reply(aws.json_reply(aws.converse_body(TEXT, usage)))
    with records() as recs:
        client.converse(modelId=SONNET, messages=MESSAGES)
    u = recs.usage
    assert (u.input_tokens, u.cached_tokens, u.output_tokens) == (2312, 2000, 30)
    assert u.endpoint == "converse"


@pytest.mark.parametrize(("region", "zone"), [("eu-west-3", "FRA"), ("ap-northeast-1", "JPN")])
def test_client_region_sets_the_zone(server: Any, region: str, zone: str) -> None:
    EcoLogits.init(providers=["bedrock"])
    server.reply(aws.json_reply(aws.converse_body(TEXT, USAGE)))
    answer = aws.client(server.url, region).converse(modelId=SONNET, messages=MESSAGES)
    assert (answer["impacts"].basis.zone, answer["impacts"].basis.datacenter) == (zone, "bedrock")


@pytest.mark.parametrize(
    "model_id",
    [
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "eu.anthropic.claude-sonnet-4-20250514-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
    ],
)
def test_inference_profiles_and_arns_resolve(client: Any, server: Any, model_id: str) -> None:
    server.reply(aws.json_reply(aws.converse_body(TEXT, USAGE)))
    answer = client.converse(modelId=model_id, messages=MESSAGES)
    assert _ok(answer["impacts"]).basis.model_resolved == "claude-sonnet-4"


@pytest.mark.parametrize(
    "usage",
    [None, {}, {"inputTokens": 12, "outputTokens": None}, {"inputTokens": 12}],
    ids=["missing", "empty", "null-output", "no-output-count"],
)
def test_converse_missing_or_malformed_usage_is_estimated_never_zero(
    client: Any, server: Any, usage: Any
) -> None:
    server.reply(aws.json_reply(aws.converse_body(TEXT, usage)))
    answer = client.converse(modelId=SONNET, messages=MESSAGES)
    impacts = _ok(answer["impacts"])
    assert impacts.basis.output_tokens == ESTIMATED_OUT  # from the answer's text
    assert impacts.basis.input_tokens > 0
    assert "output-tokens-estimated" in _codes(impacts)


def test_unknown_model_is_an_error_in_impacts_naming_it(client: Any, server: Any) -> None:
    server.reply(aws.json_reply(aws.converse_body(TEXT, USAGE)))
    answer = client.converse(modelId="acme.unreleased-model-v1:0", messages=MESSAGES)
    errors = answer["impacts"].errors
    assert [e.code for e in errors] == ["model-not-registered"]
    assert "acme.unreleased-model-v1:0" in errors[0].message


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (aws.error(400, "ValidationException", "The provided model identifier is invalid."),
         "ValidationException"),
        (aws.error(429, "ThrottlingException", "Too many requests, please wait."),
         "ThrottlingException"),
    ],
)  # fmt: skip
def test_sdk_errors_pass_through_unchanged(
    client: Any, server: Any, reply: aws.Reply, code: str
) -> None:
    def call() -> ClientError:
        server.reply(reply)
        with pytest.raises(ClientError) as info:
            client.converse(modelId=SONNET, messages=MESSAGES)
        return info.value

    with records() as recs:
        seen = call()
    EcoLogits.shutdown()
    plain = call()
    assert type(seen) is type(plain) and str(seen) == str(plain)
    assert seen.response["Error"]["Code"] == code
    assert "impacts" not in seen.response
    assert recs == []


def test_other_aws_calls_pass_through_untouched(client: Any, server: Any) -> None:
    if not hasattr(client, "apply_guardrail"):
        pytest.skip("this botocore has no apply_guardrail")
    server.reply(aws.json_reply({"action": "NONE", "outputs": [], "assessments": [],
                                 "usage": {"topicPolicyUnits": 1}}))  # fmt: skip
    # a blocking budget that refuses any request it cannot estimate never sees the call
    refuse_unknown = Budget(total={"gwp": "1 kg"}, mode="block", unknown_model="fail")
    with records() as recs, refuse_unknown:
        guard = {"guardrailIdentifier": "g1", "guardrailVersion": "1", "source": "INPUT"}
        answer = client.apply_guardrail(**guard, content=[{"text": {"text": "hi"}}])
    assert "impacts" not in answer and recs == [] and len(server.requests) == 1


# -- before sending --------------------------------------------------------------------------
def test_block_budget_reads_max_tokens_and_refuses_before_sending(client: Any, server: Any) -> None:
    gwp = estimate(SONNET, output_tokens=200, input_tokens=100, provider="bedrock").gwp
    assert gwp is not None
    limit = f"{gwp.bound('max') * 1000} g"
    server.reply(aws.json_reply(aws.converse_body(TEXT, USAGE)))
    with Budget(per_request={"gwp": limit}, mode="block"):
        client.converse(modelId=SONNET, messages=MESSAGES, inferenceConfig={"maxTokens": 50})
        assert len(server.requests) == 1
        with pytest.raises(BudgetExceeded, match="refused before sending"):
            client.converse(modelId=SONNET, messages=MESSAGES,
                            inferenceConfig={"maxTokens": 100_000})  # fmt: skip
    assert len(server.requests) == 1  # the second request was never sent


def test_unknown_model_under_a_failing_policy_is_refused_before_sending(
    client: Any, server: Any
) -> None:
    with (
        Budget(total={"gwp": "1 kg"}, mode="block", unknown_model="fail"),
        pytest.raises(BudgetExceeded, match=re.escape("acme.unreleased-model-v1:0")),
    ):
        client.converse(modelId="acme.unreleased-model-v1:0", messages=MESSAGES)
    assert server.requests == []


# -- converse_stream -------------------------------------------------------------------------
def test_converse_stream_metadata_event_carries_impacts_inside_the_loop(
    client: Any, server: Any
) -> None:
    server.reply(_converse_events())
    with records() as recs:
        answer = client.converse_stream(modelId=SONNET, messages=MESSAGES)
        seen = []
        for event in answer["stream"]:
            seen.append(event)
            if "metadata" in event:
                impacts = _ok(event["impacts"])  # already there when the caller gets it
    assert [next(iter(e)) for e in seen][-1] == "metadata"
    assert answer["impacts"] is impacts
    assert (impacts.basis.input_tokens, impacts.basis.output_tokens) == (12, 30)
    assert len(recs) == 1 and recs.usage.endpoint == "converse_stream"


def test_converse_stream_without_metadata_is_estimated_from_deltas(
    client: Any, server: Any
) -> None:
    server.reply(_converse_events(usage=None))
    answer = client.converse_stream(modelId=SONNET, messages=MESSAGES)
    events = list(answer["stream"])
    impacts = _ok(answer["impacts"])
    assert impacts.basis.output_tokens == ESTIMATED_OUT
    assert {"output-tokens-estimated", "input-tokens-estimated"} <= _codes(impacts)
    assert events[-1]["impacts"] is impacts  # the last event seen


def test_converse_stream_closed_early_is_accounted_once(client: Any, server: Any) -> None:
    server.reply(_converse_events())
    with records() as recs:
        answer = client.converse_stream(modelId=SONNET, messages=MESSAGES)
        stream = answer["stream"]
        for n, _ in enumerate(stream):
            if n == 1:
                break
        stream.close()
        assert len(recs) == 1
    assert recs.usage.output_tokens == 2  # "Hello! " seen: estimated from it
    assert _ok(answer["impacts"]).basis.output_tokens == 2


def test_converse_stream_error_event_propagates_and_is_accounted_once(
    client: Any, server: Any
) -> None:
    events = [aws.event("messageStart", {"role": "assistant"}),
              aws.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": TEXT}}),
              aws.exception_event("throttlingException", "Too many tokens")]  # fmt: skip
    server.reply(aws.event_stream(*events))
    with records() as recs, pytest.raises(EventStreamError, match="Too many tokens"):
        answer = client.converse_stream(modelId=SONNET, messages=MESSAGES)
        for _ in answer["stream"]:
            pass
    assert len(recs) == 1
    assert recs.usage.output_tokens == ESTIMATED_OUT


# -- invoke_model ----------------------------------------------------------------------------
def test_invoke_model_counts_from_the_token_headers(client: Any, server: Any) -> None:
    headers = {**TOKEN_HEADERS, "X-Amzn-Bedrock-Cache-Read-Input-Token-Count": "100"}
    server.reply(_invoke_reply(headers))
    answer = client.invoke_model(modelId=LLAMA, body=INVOKE_BODY)
    b = _ok(answer["impacts"]).basis
    assert (b.input_tokens, b.cached_tokens, b.output_tokens) == (121, 100, 8)
    assert b.model_resolved == "meta-llama/Llama-3.1-70B-Instruct"
    assert json.loads(answer["body"].read())["generation"] == TEXT  # the body is still unread


def test_invoke_model_without_headers_is_estimated_from_the_body(client: Any, server: Any) -> None:
    server.reply(_invoke_reply({}))
    answer = client.invoke_model(modelId=LLAMA, body=INVOKE_BODY.encode())
    impacts = _ok(answer["impacts"])
    size = len(json.dumps({"generation": TEXT, "stop_reason": "stop"}))
    assert impacts.basis.output_tokens == -(-size // 4)  # from the body's length
    assert impacts.basis.input_tokens == -(-len(INVOKE_BODY) // 4)  # from the bytes sent
    assert {"output-tokens-estimated", "input-tokens-estimated"} <= _codes(impacts)


def test_invoke_model_malformed_headers_are_estimated(client: Any, server: Any) -> None:
    server.reply(_invoke_reply({"X-Amzn-Bedrock-Input-Token-Count": "many",
                                "X-Amzn-Bedrock-Output-Token-Count": "8"}))  # fmt: skip
    answer = client.invoke_model(modelId=LLAMA, body=INVOKE_BODY)
    impacts = _ok(answer["impacts"])
    assert impacts.basis.input_tokens > 0 and impacts.basis.output_tokens == 8
    assert {"usage-invalid", "input-tokens-estimated"} <= _codes(impacts)


# -- invoke_model_with_response_stream ---------------------------------------------------------
def test_invoke_stream_last_chunk_carries_impacts_from_invocation_metrics(
    client: Any, server: Any
) -> None:
    server.reply(_claude_chunks())
    with records() as recs:
        answer = client.invoke_model_with_response_stream(modelId=SONNET, body=INVOKE_BODY)
        events = list(answer["body"])
    impacts = _ok(events[-1]["impacts"])
    assert answer["impacts"] is impacts
    assert (impacts.basis.input_tokens, impacts.basis.output_tokens) == (14, 9)
    assert len(recs) == 1 and recs.usage.endpoint == "invoke_model_with_response_stream"
    assert json.loads(events[1]["chunk"]["bytes"])["delta"]["text"] == "Hello! "


def test_invoke_stream_without_metrics_is_estimated_from_chunk_texts(
    client: Any, server: Any
) -> None:
    server.reply(_claude_chunks(metrics=None))
    answer = client.invoke_model_with_response_stream(modelId=SONNET, body=INVOKE_BODY)
    list(answer["body"])
    impacts = _ok(answer["impacts"])
    assert impacts.basis.output_tokens == ESTIMATED_OUT
    assert "output-tokens-estimated" in _codes(impacts)


def test_invoke_stream_partly_read_then_closed_is_accounted_once(client: Any, server: Any) -> None:
    server.reply(_claude_chunks())
    with records() as recs:
        answer = client.invoke_model_with_response_stream(modelId=SONNET, body=INVOKE_BODY)
        iterator = iter(answer["body"])
        next(iterator)
        answer["body"].close()
        del iterator
    assert len(recs) == 1
    assert "impacts" in answer


# -- catalogue -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
        ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
        ("meta.llama3-1-70b-instruct-v1:0", "meta-llama/Llama-3.1-70B-Instruct"),
        ("us.meta.llama3-2-90b-instruct-v1:0", "meta-llama/Llama-3.2-90B-Vision-Instruct"),
        ("amazon.nova-pro-v1:0", "nova-pro"),
        ("us.amazon.nova-lite-v1:0", "nova-lite"),
        ("eu.amazon.nova-micro-v1:0", "nova-micro"),
        ("mistral.mistral-large-2407-v1:0", "mistral-large-2407"),
        ("cohere.command-r-plus-v1:0", "command-r-plus"),
    ],
)
def test_bedrock_ids_resolve(model_id: str, name: str) -> None:
    record = resolve(model_id, "bedrock").record
    assert record is not None and record.name == name
