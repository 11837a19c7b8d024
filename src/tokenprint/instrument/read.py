"""Readers every adapter shares: fields of SDK objects, hosts, token counts from text, the
warnings that say a count was estimated, and the accumulator of OpenAI-shaped chat chunks.

Pure functions of SDK objects: nothing here patches, computes impacts or keeps state beyond
small per-type and per-URL caches.
"""

from __future__ import annotations

import io
import math
import os
import wave
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from tokenprint.instrument.contract import Accumulator, Builder, Call
from tokenprint.records import Usage

__all__ = [
    "CHAT_COUNTS",
    "ESTIMATED_INPUT",
    "ESTIMATED_OUTPUT",
    "RESPONSES_COUNTS",
    "USAGE_INVALID",
    "USAGE_MISSING",
    "ChatChunks",
    "answered",
    "base_host",
    "chars_to_tokens",
    "chat_answer",
    "chat_usage",
    "choice_chars",
    "client_site",
    "combined",
    "counted",
    "embedded",
    "embedding_usage",
    "estimated",
    "field",
    "first_int",
    "host_of",
    "is_count",
    "is_raw_response",
    "provider_for_host",
    "reported",
    "request_tokens",
    "requested_model",
    "text_tokens",
    "usage_for",
    "wav_seconds",
]

ESTIMATED_OUTPUT = (
    "output-tokens-estimated",
    "the answer reported no token usage: output tokens estimated from its text at about "
    "4 characters per token",
)
"""The warning of a Usage whose output tokens come from :func:`chars_to_tokens`."""
ESTIMATED_INPUT = (
    "input-tokens-estimated",
    "the answer did not report prompt tokens: input tokens estimated from the request text at "
    "about 4 characters per token",
)
"""The warning of a Usage whose input tokens come from :func:`text_tokens`."""
USAGE_MISSING = (
    "usage-missing",
    "the answer reported no token usage and its text could not be read: output tokens counted as 0",
)
"""The warning of a Usage without usage whose answer's text could not be read."""
USAGE_INVALID = (
    "usage-invalid",
    "the answer reported token counts that are not numbers: they are estimated from the "
    "request and answer texts at about 4 characters per token",
)
"""The warning of a Usage whose reported counts were unusable, and estimated instead."""


# -- fields of SDK objects -------------------------------------------------------------------
_ABSENT = object()
_ON_CLASS: dict[tuple[type, str], bool] = {}
_MAPPINGS: dict[type, bool] = {}


def field(obj: Any, name: str) -> Any:
    """``getattr(obj, name, None)`` (a key for a mapping), cheap on pydantic models: an
    attribute they lack makes their ``__getattr__`` raise and catch, so the instance
    ``__dict__`` and the extras are read first, and a name the class does not define either
    (checked once per class) is absent."""
    d = getattr(obj, "__dict__", None)
    if d is None:
        if obj is None:
            return None
        return obj.get(name) if _is_mapping(obj) else getattr(obj, name, None)
    value = d.get(name, _ABSENT)
    if value is not _ABSENT:
        return value
    extra = getattr(obj, "__pydantic_extra__", _ABSENT)
    if extra is not _ABSENT:
        if extra and name in extra:
            return extra[name]
        key = (type(obj), name)
        on_class = _ON_CLASS.get(key)
        if on_class is None:
            on_class = _ON_CLASS[key] = hasattr(type(obj), name)
        if not on_class:
            return None
    return getattr(obj, name, None)


def _is_mapping(obj: Any) -> bool:
    """``isinstance(obj, Mapping)``, decided once per type."""
    cls = type(obj)
    known = _MAPPINGS.get(cls)
    if known is None:
        known = isinstance(obj, Mapping)
        if len(_MAPPINGS) < 1024:
            _MAPPINGS[cls] = known
    return known


def first_int(obj: Any, *names: str) -> int:
    """The first attribute (or key) among ``names`` that holds a number, as an int; else 0.
    NaN and infinities are skipped; negative counts are kept (the core flags them)."""
    if obj is None:
        return 0
    mapping = _is_mapping(obj)
    for name in names:
        v = obj.get(name) if mapping else field(obj, name)
        if is_count(v):
            return int(v)
    return 0


def is_count(v: Any) -> bool:
    """A number that can be a count (the core still flags negative and absurd ones): not a
    bool, NaN, an infinity, None or any other type."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return isinstance(v, int) or math.isfinite(v)


# -- where a request goes --------------------------------------------------------------------
_hosts: dict[int, tuple[Any, str | None]] = {}


def host_of(url: Any) -> str | None:
    """Host of a base URL (``httpx.URL``, str or None); cached per URL object."""
    if url is None:
        return None
    hit = _hosts.get(id(url))
    if hit is not None and hit[0] is url:
        return hit[1]
    host = _parse_host(url)
    if len(_hosts) < 256:
        _hosts[id(url)] = (url, host)  # the entry keeps ``url`` alive, so its id stays its own
    return host


def _parse_host(url: Any) -> str | None:
    host = getattr(url, "host", None)
    if isinstance(host, str):
        return host or None
    s = str(url)
    if "://" in s:
        s = s.split("://", 1)[1]
    s = s.split("/", 1)[0].rsplit("@", 1)[-1]
    if s.startswith("["):
        return s.split("]", 1)[0] + "]"
    return s.split(":", 1)[0] or None


_host_providers: dict[tuple[str | None, str], str] = {}


def provider_for_host(host: str | None, default: str) -> str:
    """The catalogued data-centre name serving ``host`` (``groq``...), else ``default``."""
    key = (host, default)
    hit = _host_providers.get(key)
    if hit is None:
        from tokenprint.catalog import datacenters

        dc = datacenters.for_host(host)
        hit = dc.name if dc is not None else default
        if len(_host_providers) < 1024:
            _host_providers[key] = hit
    return hit


def base_host(client: Any) -> str | None:
    """The host of a Stainless client's base URL (``_base_url`` first: in every release, and
    openai 3.x's ``base_url`` property imports on each access)."""
    return host_of(getattr(client, "_base_url", None) or getattr(client, "base_url", None))


def client_site(resource: Any, default: str) -> tuple[str, str | None]:
    """(provider, host) of the Stainless client behind a resource or a stream (its
    ``_client``): the host of its base URL, the provider of the data centre catalogued for
    that host (a proxy, a local server), else ``default``."""
    host = base_host(getattr(resource, "_client", None))
    return provider_for_host(host, default), host


_RAW_TYPES = frozenset({"LegacyAPIResponse", "APIResponse", "AsyncAPIResponse"})


def is_raw_response(result: Any) -> bool:
    """True for what a Stainless-generated SDK's ``with_raw_response`` and
    ``with_streaming_response`` return (openai, anthropic): its ``parse()`` gives the answer
    (a stream for ``stream=True``: the OpenAI Agents SDK streams this way). A body read
    without ``parse()`` (``read()``, ``iter_lines()``) is the caller's own."""
    return type(result).__name__ in _RAW_TYPES


def raw_response_type(cls: type) -> bool:
    """True when objects of ``cls`` may be raw responses (:func:`is_raw_response`)."""
    return cls.__name__ in _RAW_TYPES


# -- tokens from text ------------------------------------------------------------------------
_SKIP_KEYS = frozenset({"role", "type", "id", "name", "cache_control"})


def _chars(value: Any, depth: int = 0) -> int:
    if isinstance(value, str):
        return len(value)
    if depth > 6 or value is None:
        return 0
    if isinstance(value, Mapping):
        return sum(_chars(v, depth + 1) for k, v in value.items() if k not in _SKIP_KEYS)
    if isinstance(value, (list, tuple)):
        if value and all(type(v) is int for v in value):
            return 4 * len(value)  # token ids (embeddings input): one token each
        return sum(_chars(v, depth + 1) for v in value)
    d = getattr(value, "__dict__", None)
    return _chars(d, depth + 1) if isinstance(d, dict) else 0


def text_tokens(*values: Any) -> int:
    """Rough token count of request text: about 4 characters per token (OpenAI's rule of
    thumb for English, https://platform.openai.com/tokenizer); a list of ints is token ids.
    Used before a request is sent (budgets) and when an answer reports no usage."""
    return chars_to_tokens(sum(_chars(v) for v in values))


def requested_model(call: Call) -> Any:
    """The model a call asks for, as its target's ``Request.model`` names it."""
    request = call.target.request
    if request is None:
        return call.get("model")
    return request.model(call) if callable(request.model) else call.get(request.model)


def usage_for(call: Call, model: Any, **fields: Any) -> Usage:
    """A Usage of the provider, host and requested model of ``call`` (its target's
    ``Request``), answered by ``model`` (else the requested one), with ``fields``."""
    request = call.target.request
    provider, host = request.where(call) if request is not None else (None, None)
    requested = requested_model(call)
    return Usage(provider, model or requested, host=host, requested_model=requested, **fields)


def estimated(
    call: Call, model: Any, chars: int | None, warning: tuple[str, str] = ESTIMATED_OUTPUT
) -> Usage:
    """The Usage of an answer that reported no usage at all: input tokens from the request's
    text (:data:`ESTIMATED_INPUT`), output tokens from the ``chars`` characters of the
    answer (``warning``), or 0 with :data:`USAGE_MISSING` when its text could not be read
    (``chars`` None)."""
    out, said = (0, USAGE_MISSING) if chars is None else (chars_to_tokens(chars), warning)
    tokens = {"input_tokens": request_tokens(call), "output_tokens": out}
    return usage_for(call, model, warnings=(said, ESTIMATED_INPUT), **tokens)


def reported(
    call: Call,
    model: Any,
    u: Any,
    chars: int | None,
    counts: Callable[[Any], Usage],
    names: tuple[str, str],
) -> Usage:
    """The one rule for an answer's usage ``u`` (an object or a mapping), read by ``counts``,
    its input and output counts named by ``names``:

    - no usage at all (``u`` None): :func:`estimated` from the request's text and the
      ``chars`` of the answer, with both estimate warnings;
    - a count among ``names`` that is not a number (None, a string, NaN...): that count
      estimated the same way (at least what ``counts`` read beside it: cache reads, thinking
      tokens), with its estimate warning and :data:`USAGE_INVALID`;
    - otherwise ``counts(u)``, as read (the core flags negative and absurd counts)."""
    if u is None:
        return estimated(call, model, chars)
    usage = counts(u)
    bad_in, bad_out = (not is_count(field(u, name)) for name in names)
    if not (bad_in or bad_out):
        return usage
    warnings = list(usage.warnings)
    if bad_in:
        usage = usage._replace(input_tokens=max(usage.input_tokens, request_tokens(call)))
        warnings.append(ESTIMATED_INPUT)
    if bad_out:
        out = chars_to_tokens(chars) if chars is not None else 0
        usage = usage._replace(output_tokens=max(usage.output_tokens, out))
        warnings.append(ESTIMATED_OUTPUT if chars is not None else USAGE_MISSING)
    return usage._replace(warnings=(*warnings, USAGE_INVALID))


CHAT_COUNTS = ("prompt_tokens", "completion_tokens", "prompt_tokens_details",
               "completion_tokens_details")  # fmt: skip
"""OpenAI chat usage: input, output, input details, output details."""
RESPONSES_COUNTS = ("input_tokens", "output_tokens", "input_tokens_details",
                    "output_tokens_details")  # fmt: skip
"""The same in OpenAI Responses API names."""


def counted(call: Call, model: Any, u: Any, names: tuple[str, ...] = CHAT_COUNTS) -> Usage:
    """The Usage of an answer that reported OpenAI-shaped usage ``u`` (an object or a
    mapping), its fields named by ``names``: input and output tokens, then the details that
    hold ``cached_tokens`` and ``reasoning_tokens``."""
    inp, out, in_details, out_details = names
    return usage_for(
        call,
        model,
        input_tokens=first_int(u, inp),
        output_tokens=first_int(u, out),
        cached_tokens=first_int(field(u, in_details), "cached_tokens"),
        reasoning_tokens=first_int(field(u, out_details), "reasoning_tokens"),
    )


def answered(
    call: Call, model: Any, u: Any, chars: int | None, names: tuple[str, ...] = CHAT_COUNTS
) -> Usage:
    """OpenAI-shaped usage ``u`` (:func:`counted`, fields named by ``names``) under the rule
    of :func:`reported`: estimated from the request and the ``chars`` of the answer when
    ``u`` is None or its counts are not numbers."""
    counts = partial(counted, call, model, names=names)
    return reported(call, model, u, chars, counts, (names[0], names[1]))


def chat_answer(call: Call, model: Any, u: Any, choices: Any) -> Usage:
    """A complete OpenAI-shaped chat answer: :func:`answered`, its text read from its
    ``choices`` (a builder's work: the text is read when the Usage is built)."""
    return answered(call, model, u, choice_chars(choices))


def chat_usage(call: Call, answer: Any) -> Builder | None:
    """The reader of an OpenAI-shaped chat or completion answer (``model``, ``usage``,
    ``choices``) from an SDK other than openai's (groq, together); None for anything else
    (a raw or streaming response)."""
    if not hasattr(answer, "usage") or not hasattr(answer, "choices"):
        return None
    return partial(chat_answer, call, field(answer, "model"), answer.usage, answer.choices)


def embedding_usage(call: Call, answer: Any) -> Builder | None:
    """The reader of an OpenAI-shaped embedding answer (``data``, ``model``, ``usage`` with
    ``prompt_tokens``, or no usage: estimated, :func:`embedded`)."""
    if not hasattr(answer, "data") or not hasattr(answer, "model"):
        return None
    return partial(embedded, call, answer.model, field(answer, "usage"), _EMBEDDING_COUNTS)


_EMBEDDING_COUNTS = ("prompt_tokens", "total_tokens")


def choice_chars(choices: Any) -> int:
    """Characters of the text of OpenAI-shaped choices: ``message.content`` (a str), or
    ``text`` (legacy completions)."""
    n = 0
    for choice in choices or ():
        message = field(choice, "message")
        content = field(message, "content") if message is not None else field(choice, "text")
        n += len(content) if isinstance(content, str) else 0
    return n


def embedded(call: Call, model: Any, u: Any, names: tuple[str, ...]) -> Usage:
    """The Usage of an embedding answer: input tokens from the first of ``names`` in ``u``
    holding a number, else estimated from the request's text (:data:`ESTIMATED_INPUT`, and
    :data:`USAGE_INVALID` when ``u`` was there without a number)."""
    if u is not None and any(is_count(field(u, name)) for name in names):
        return usage_for(call, model, input_tokens=first_int(u, *names), modality="embedding")
    said = (ESTIMATED_INPUT,) if u is None else (ESTIMATED_INPUT, USAGE_INVALID)
    return usage_for(
        call, model, input_tokens=request_tokens(call), modality="embedding", warnings=said
    )


def request_tokens(call: Call) -> int:
    """Tokens of the text a call sends: the arguments its target's ``Request.text`` names."""
    request = call.target.request
    return text_tokens(*(call.get(name) for name in request.text)) if request else 0


def chars_to_tokens(chars: int) -> int:
    """Tokens in ``chars`` characters of text, rounded up (the rule of :func:`text_tokens`)."""
    return (chars + 3) // 4


def wav_seconds(file: Any) -> float | None:
    """Duration of an uploaded WAV file: bytes, a path, a ``(name, bytes, ...)`` tuple, or
    a file opened from a path (read again from its path: its position is the caller's);
    None for other formats and other file objects."""
    if isinstance(file, tuple) and len(file) > 1:
        file = file[1]
    if hasattr(file, "read"):
        file = getattr(file, "name", None)
    if isinstance(file, (bytes, bytearray)):
        file = io.BytesIO(file)
    elif not isinstance(file, (str, os.PathLike)):
        return None
    try:
        with wave.open(file, "rb") as w:
            return w.getnframes() / w.getframerate()
    except (wave.Error, OSError, EOFError, ZeroDivisionError):
        return None


# -- several calls as one --------------------------------------------------------------------
def combined(usages: Iterable[Usage | Builder]) -> Usage | None:
    """One Usage for several HTTP calls made by one user call (tool-call loops, continuation
    hops, ``call.inner``): token counts summed; the other fields of the last call (the model
    that answered last); warnings of all, once each. Builders are called. None for an empty
    input."""
    last: Usage | None = None
    inp = out = cached = reasoning = 0
    warnings: dict[tuple[str, str], None] = {}
    for item in usages:
        u = item if isinstance(item, Usage) else item()
        last = u
        inp += u.input_tokens
        out += u.output_tokens
        cached += u.cached_tokens
        reasoning += u.reasoning_tokens
        warnings.update(dict.fromkeys(u.warnings))
    if last is None:
        return None
    return last._replace(
        input_tokens=inp,
        output_tokens=out,
        cached_tokens=cached,
        reasoning_tokens=reasoning,
        warnings=tuple(warnings),
    )


# -- OpenAI-shaped chat streams --------------------------------------------------------------
class ChatChunks(Accumulator):
    """Accumulator for OpenAI-shaped chat chunks (mistral, huggingface, litellm...): the model
    of the first chunk that names one, ``usage`` of the last chunk that carries it, and the
    characters of the streamed text (``choices[].delta.content``, or ``choices[].text`` in
    completion chunks) for an estimate when no usage comes. :meth:`usage` counts ``u`` as
    OpenAI-shaped usage (:func:`answered`); subclasses may read it otherwise, find it
    elsewhere in a chunk (:meth:`usage_in`), and set :attr:`inside` when the chunk sits
    inside an event (mistral ``event.data``)."""

    __slots__ = ("chars", "inner", "model", "u")

    inside: str | None = None
    """The attribute of each event that holds the chunk (mistral: ``"data"``); None: the
    events are the chunks."""

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars = 0
        self.model: str | None = None
        self.u: Any = None
        self.inner: Any = None
        """The last chunk read inside an event (when :attr:`inside` is set)."""

    def add(self, chunk: Any) -> bool:
        # the chunk's own fields are plain attribute reads; a choice's and a delta's, and
        # ``usage`` (absent from most chunks), go through field(): LiteLLM keeps the former
        # among pydantic extras, and a pydantic model raises and catches for a missing name
        c = chunk if self.inside is None else getattr(chunk, self.inside)
        if self.inside is not None:
            self.inner = c
        if not self.model:
            self.model = getattr(c, "model", None) or None
        choices = getattr(c, "choices", None) or ()
        for choice in choices:
            text = field(field(choice, "delta"), "content")
            if text is None:  # a completion chunk (``choices[].text``)
                text = field(choice, "text")
            if isinstance(text, str):
                self.chars += len(text)
        u = self.usage_in(c)
        if u is None:
            return False
        self.u = u
        # a usage chunk ends the stream when it has no choices or its last one has a reason
        return not choices or field(choices[-1], "finish_reason") is not None

    def usage_in(self, c: Any) -> Any:
        """The usage object chunk ``c`` carries (its ``usage``), else None."""
        return field(c, "usage")

    def usage(self) -> Usage:
        return answered(self.call, self.model, self.u, self.chars)
