"""AWS Bedrock through boto3 (provider ``bedrock``): ``converse``, ``converse_stream``,
``invoke_model``, ``invoke_model_with_response_stream``. botocore builds its client classes at
run time and every AWS call goes through ``BaseClient._make_api_call(operation, params)``: that
method is patched, ``accepts`` lets the four operations through. The answer dict gets an
``"impacts"`` key; a stream's last event too (``response["stream"]`` or ``["body"]``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from typing import Any

from tokenprint.instrument import read
from tokenprint.instrument.contract import Accumulator, Builder, Call, Request, Target
from tokenprint.records import Usage

__all__ = ["TARGETS"]

_ENDPOINTS = {"Converse": "converse", "ConverseStream": "converse_stream",
              "InvokeModel": "invoke_model",
              "InvokeModelWithResponseStream": "invoke_model_with_response_stream"}  # fmt: skip
"""The operations covered, by the name of the client method."""
Names = tuple[str, str, str, str]
"""Input, output, cache-read and cache-write counts, as one of the three sources names them."""
_CONVERSE: Names = ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")
_HEADERS: Names = ("x-amzn-bedrock-input-token-count", "x-amzn-bedrock-output-token-count",
                   "x-amzn-bedrock-cache-read-input-token-count",
                   "x-amzn-bedrock-cache-write-input-token-count")  # fmt: skip
_METRICS: Names = ("inputTokenCount", "outputTokenCount", "cacheReadInputTokenCount",
                   "cacheWriteInputTokenCount")  # fmt: skip
_TEXT_KEYS = frozenset({"text", "generation", "outputText", "completion"})
"""Text in invoke_model chunks: Anthropic, Nova, Mistral, Cohere, Llama, Titan, older ones."""


def accepts(instance: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bool:
    """A Bedrock Runtime call among the four covered; any other AWS call passes through."""
    operation = args[0] if args else kwargs.get("operation_name")
    service = instance.meta.service_model.service_name if operation in _ENDPOINTS else None
    return service == "bedrock-runtime"


def where(call: Call) -> tuple[str, str | None]:
    """Bedrock, in the client's region: the region serves the request whatever the endpoint
    URL (a VPC endpoint, a proxy), and its name sets the electricity zone."""
    region = call.instance.meta.region_name
    return "bedrock", f"bedrock-runtime.{region}.amazonaws.com" if region else None


def model(call: Call) -> Any:
    """``modelId``; an ARN (an inference profile, a provisioned model) by its last part."""
    model_id = call.get("params", {}).get("modelId")
    return model_id.rsplit("/", 1)[-1] if isinstance(model_id, str) else model_id


def _counts(call: Call, names: Names, u: Any) -> Usage:
    read_, write = read.first_int(u, names[2]), read.first_int(u, names[3])
    inp, out = read.first_int(u, names[0]) + read_ + write, read.first_int(u, names[1])
    return read.usage_for(call, None, input_tokens=inp, output_tokens=out, cached_tokens=read_)


def _usage(call: Call, names: Names, u: Any, chars: int | None, output: Any = None) -> Usage:
    """Bedrock's counts (input excludes cache reads and writes: they are added), under the
    one missing-usage rule; a bytes ``body`` sent to invoke_model gives the input estimate."""
    if output is not None:  # converse: the text of the answer's content blocks
        texts = (read.field(b, "text") for b in read.field(output, "content") or ())
        chars = sum(len(t) for t in texts if isinstance(t, str))
    usage = read.reported(call, None, u, chars, partial(_counts, call, names), names[:2])
    body = call.get("params", {}).get("body")
    if read.ESTIMATED_INPUT in usage.warnings and isinstance(body, (bytes, bytearray)):
        tokens = read.text_tokens(body.decode("utf-8", "replace"))
        usage = usage._replace(input_tokens=max(usage.input_tokens, tokens))
    return usage._replace(endpoint=_ENDPOINTS.get(call.get("operation"), ""))


def _int(v: Any) -> Any:
    return int(v) if isinstance(v, str) and v.isdigit() else v  # headers are strings


def answer_usage(call: Call, answer: Any) -> Builder | None:
    """converse: ``usage``; invoke_model: the count headers, else the (unread) body's size."""
    operation = call.get("operation") if type(answer) is dict else None
    if operation == "Converse":
        message = read.field(answer.get("output"), "message")
        return partial(_usage, call, _CONVERSE, answer.get("usage"), None, message or {})
    if operation != "InvokeModel":
        return None
    headers = read.field(answer.get("ResponseMetadata"), "HTTPHeaders") or {}
    counts = {h: _int(headers[h]) for h in _HEADERS if h in headers} or None
    length = _int(headers.get("content-length"))
    return partial(_usage, call, _HEADERS, counts, length if type(length) is int else None)


def _chunk_chars(value: Any) -> int:
    """Characters of text in a decoded invoke_model chunk, whatever the model family."""
    if isinstance(value, dict):
        return sum(len(v) if k in _TEXT_KEYS and isinstance(v, str) else _chunk_chars(v)
                   for k, v in value.items())  # fmt: skip
    return sum(map(_chunk_chars, value)) if isinstance(value, list) else 0


class Events(Accumulator):
    """converse_stream events (``metadata`` last, with the usage) or invoke-stream chunks."""

    __slots__ = ("chars", "names", "parts", "u")
    iterator = "__iter__"  # botocore's EventStream: each ``for`` gets a new generator
    within = ("stream", "body")
    parts: list[bytes]

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars, self.parts, self.u, self.names = 0, [], None, _CONVERSE

    def add(self, event: Any) -> bool:
        if "chunk" in event:  # invoke_model_with_response_stream
            data = event["chunk"].get("bytes") or b"{}"
            self.parts.append(data)
            if b'"amazon-bedrock-invocationMetrics"' not in data:
                return False  # the last chunk carries Bedrock's metrics
            self.u, self.names = json.loads(data).get("amazon-bedrock-invocationMetrics"), _METRICS
            return True
        if "contentBlockDelta" in event:  # converse_stream
            text = event["contentBlockDelta"].get("delta", {}).get("text")
            self.chars += len(text) if isinstance(text, str) else 0
            return False
        if "metadata" in event:
            self.u = event["metadata"].get("usage")
            return True
        return False

    def usage(self) -> Usage:
        parts = self.parts if self.u is None else ()
        chars = self.chars + sum(_chunk_chars(json.loads(p)) for p in parts)
        return _usage(self.call, self.names, self.u, chars)


class _Streams:
    """``Target.stream``: an accumulator for the two streamed operations only."""

    iterator, within = Events.iterator, Events.within

    def __call__(self, call: Call, stream: Any) -> Events | None:
        streamed = str(call.get("operation")).endswith("Stream")  # the two streamed ones
        return Events(call, stream) if streamed else None


REQUEST = Request(where, ("params",), ("params.inferenceConfig.maxTokens",), model=model,
                  positional=("operation", "params"))  # fmt: skip
_CLIENT = ("botocore.client", "BaseClient._make_api_call", "bedrock-runtime")
TARGETS = [Target(*_CLIENT, answer_usage, _Streams(), REQUEST, accepts=accepts)]
