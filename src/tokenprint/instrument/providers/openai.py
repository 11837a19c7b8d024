"""The OpenAI SDK's clients and answers, as the OpenAI modules (:mod:`.openai_chat`,
:mod:`.openai_responses`, :mod:`.openai_media`) read them.

OpenAI clients, AzureOpenAI clients (provider ``azure``) and OpenAI-compatible hosts,
recognised by the client's base URL (provider = the catalogued data centre of that host, else
``openai-compatible``); usage in chat or Responses field names, or estimated from the text.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tokenprint.instrument.contract import (
    Accumulator,
    Builder,
    Call,
    Final,
    Follow,
    Reader,
    Request,
    Target,
)
from tokenprint.instrument.read import (
    CHAT_COUNTS,
    RESPONSES_COUNTS,
    answered,
    base_host,
    choice_chars,
    estimated,
    field,
    provider_for_host,
)
from tokenprint.records import Usage

__all__ = [
    "REQUEST",
    "TextStream",
    "answer",
    "answer_usage",
    "both",
    "client_of",
    "stream_helper",
    "where",
]

_AZURE = frozenset({"AzureOpenAI", "AsyncAzureOpenAI"})
_NO_STREAM_USAGE = (
    "output-tokens-estimated",
    "the stream reported no usage (set stream_options={'include_usage': True}): output "
    "tokens estimated from the streamed text at about 4 characters per token",
)


def client_of(obj: Any) -> tuple[str, str | None]:
    """(provider, host) of the client behind a resource or a stream."""
    client = getattr(obj, "_client", None)
    host = base_host(client)
    if type(client).__name__ in _AZURE:
        return "azure", host
    if host is None or host == "api.openai.com":
        return "openai", host
    return provider_for_host(host, "openai-compatible"), host


def where(call: Call) -> tuple[str, str | None]:
    """``Request.where``: the client the call was made on."""
    return client_of(call.instance)


def _counted(call: Call, model: Any, u: Any, chars: int) -> Usage:
    """The Usage of an answer with usage ``u``, in chat or Responses names (a field this
    openai release does not know is kept as a dict: both are read), or estimated from the
    request and the answer's ``chars`` (``read.reported``)."""
    responses = field(u, "input_tokens") is not None or field(u, "output_tokens") is not None
    return answered(call, model, u, chars, RESPONSES_COUNTS if responses else CHAT_COUNTS)


class TextStream(Accumulator):
    """What an OpenAI stream's accumulator keeps: the model, the usage object when the stream
    reports one, and the characters of the streamed text for an estimate when it does not
    (``stream_options={'include_usage': True}`` unset, or the stream closed early)."""

    __slots__ = ("chars", "model", "u")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars = 0
        self.model: str | None = None
        self.u: Any = None

    def usage(self) -> Usage:
        if self.u is not None:
            return _counted(self.call, self.model, self.u, self.chars)
        return estimated(self.call, self.model, self.chars, _NO_STREAM_USAGE)


def answer_usage(call: Call, resp: Any) -> Builder | None:
    """A ChatCompletion, Completion or Responses ``Response`` (parsed variants included)."""
    if not hasattr(resp, "usage") or not hasattr(resp, "model"):
        return None  # with_streaming_response's APIResponse and other wrappers
    return partial(answer, call, resp.model, resp.usage, field(resp, "choices"),
                   field(resp, "output"))  # fmt: skip


def answer(call: Call, model: Any, u: Any, choices: Any, output: Any) -> Usage:
    """An answer's Usage, counted, else estimated from the text of the chat ``choices`` or
    of the Responses ``output`` (its items' ``content`` parts); objects or mappings (a
    batch results file's bodies)."""
    chars = choice_chars(choices)
    for item in output or ():
        for part in field(item, "content") or ():
            text = field(part, "text")
            chars += len(text) if isinstance(text, str) else 0
    return _counted(call, model, u, chars)


REQUEST = Request(
    where,
    text=("messages", "input", "prompt", "instructions"),
    max_tokens=("max_completion_tokens", "max_tokens", "max_output_tokens"),
)


def both(
    module: str,
    cls: str,
    method: str,
    endpoint: str,
    stream: Any,
    usage: Reader = answer_usage,
    request: Request = REQUEST,
) -> list[Target]:
    """The sync and async variants of one method."""
    variants = (f"{cls}.{method}", f"Async{cls}.{method}")
    return [Target(module, m, endpoint, usage, stream, request) for m in variants]


def stream_helper(module: str, cls: str, endpoint: str, final: str) -> list[Follow | Final]:
    """A ``.stream()`` manager: its ``__enter__`` calls ``create(stream=True)`` (a target);
    the helper stream it returns shares that stream's impacts and end, and so does the final
    object its ``final`` method builds."""
    stream = cls.replace("Manager", "")
    return [
        Follow(module, f"{cls}.__enter__", endpoint, "_raw_stream"),
        Follow(module, f"Async{cls}.__aenter__", endpoint, "_raw_stream"),
        Final(module, f"{stream}.{final}", endpoint),
        Final(module, f"Async{stream}.{final}", endpoint),
    ]
