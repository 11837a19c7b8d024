"""The one generic wrapper: every instrumented SDK method goes through here.

An adapter (``instrument/providers/<sdk>.py``) declares :class:`Target` rows: which method to
patch and pure functions that read a :class:`~tokenprint.Usage` from the SDK's objects.
This module does everything else, once for all SDKs: the sync and async call paths, timing,
the re-entrancy guard, stream tapping (the SDK's stream object is kept, its internal iterator
is swapped), attaching ``impacts`` in place, the error guard and the before/after events.

Rules held here (DESIGN.md): the SDK call runs outside any try-block of ours, so its
exceptions propagate unchanged; our own failures go to :func:`tokenprint.events.report`
(logged once, or raised under pytest) and the caller still gets the SDK's own object; the
only exception raised on purpose is :class:`~tokenprint.errors.BudgetExceeded`, after the
impacts are attached (for streams: when the stream ends).
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import time
import types
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from tokenprint import context, events
from tokenprint.errors import BudgetExceeded
from tokenprint.impacts.results import ErrorMessage, Impacts
from tokenprint.records import Pending, RequestRecord, Usage

if TYPE_CHECKING:
    from tokenprint.events import Estimates as Estimator

__all__ = [
    "ESTIMATED_INPUT",
    "ESTIMATED_OUTPUT",
    "SELF",
    "Accumulator",
    "Call",
    "ChatChunks",
    "Target",
    "attach",
    "chars_to_tokens",
    "combined",
    "field",
    "first_int",
    "host_of",
    "make_wrapper",
    "provider_for_host",
    "raw_response",
    "text_tokens",
]

_perf = time.perf_counter
_BEFORE, _AFTER = events.BEFORE, events.AFTER  # the hook lists themselves: tested per request


class Call:
    """One intercepted call, as adapter functions see it. (The wrappers build it without
    ``__init__``, attribute by attribute: keep them in step with it.)"""

    __slots__ = ("args", "inner", "instance", "kwargs", "latency", "start", "target")

    def __init__(self, target: Target, instance: Any, args: tuple[Any, ...], kwargs: Any) -> None:
        self.target = target
        self.instance = instance
        """The object the method is bound to (the SDK resource: ``client.chat.completions``)."""
        self.args = args
        self.kwargs: Mapping[str, Any] = kwargs
        self.start = 0.0
        self.latency: float | None = None
        """Seconds from the call to its return (streams: to the last chunk)."""
        self.inner: list[Usage | partial[Usage]] = []
        """Usage of nested instrumented calls, when the target has ``collect_inner``: each as
        its target's ``usage`` gave it, a Usage or a builder of one (:func:`combined` reads
        both)."""

    def get(self, name: str, position: int | None = None, default: Any = None) -> Any:
        """A call argument by keyword, else by position (``args`` excludes ``self``)."""
        if name in self.kwargs:
            return self.kwargs[name]
        if position is not None and len(self.args) > position:
            return self.args[position]
        return default


class Accumulator:
    """Reads a stream's chunks as they pass. Subclass it per SDK; one instance per stream.

    ``add`` is called with every chunk, in order, before the user sees it (keep it cheap:
    no copies, no impacts). Return True when the chunk is known to be the last one: impacts
    are then computed before it is handed over, so the user finds ``chunk.impacts`` inside
    the loop. ``usage`` is called exactly once, when the stream ends for any reason (also
    after a partial read); return None when nothing can be said.
    """

    __slots__ = ("call", "stream")

    def __init__(self, call: Call, stream: Any) -> None:
        self.call = call
        self.stream = stream

    def add(self, chunk: Any) -> bool:
        return False

    def usage(self) -> Usage | None:
        return None

    def extra(self) -> Iterable[object]:
        """Further objects that should carry the impacts (a final message snapshot)."""
        return ()


UsageFn = Callable[[Call, Any], "Usage | partial[Usage] | None"]
StreamFn = Callable[[Call, Any], "Accumulator | None"]
PendingFn = Callable[[Call], "Pending | None"]


class Target(NamedTuple):
    """One method to patch and how to read what it returns."""

    module: str
    """Module to import (``openai.resources.chat.completions``)."""
    method: str
    """``Class.method`` (or a module-level ``function``) inside ``module``."""
    endpoint: str
    """What the user called (``chat.completions.create``), recorded in Usage.endpoint."""
    usage: UsageFn | None = None
    """Usage of a complete response; None (or returning None) passes the result through.
    It may instead return a ``functools.partial`` that builds the Usage: it is then called
    when the impacts are first read (at once when a tracker, budget or exporter waits for
    them), which keeps the per-call work to a few look-ups. Bind it to what it needs (the
    answer's usage object, the model, request arguments), never to the answer itself: the
    answer holds its impacts, which would hold the answer."""
    stream: StreamFn | None = None
    """Accumulator for a streamed result: a generator, an async generator, or an object
    whose ``iterator`` attribute holds its (async) iterator."""
    pending: PendingFn | None = None
    """What is known before sending (for budgets' block mode); only called when some
    before-hook is registered."""
    iterator: str = "_iterator"
    """Name of the internal iterator attribute of the SDK's stream objects; ``"self"`` (see
    :data:`SELF`) for stream objects that are their own iterator (litellm)."""
    raw: Callable[[Any], bool] | None = None
    """True for a raw-response wrapper (``with_raw_response``): its ``parse()`` result is
    then processed as this target's response."""
    follow: str | None = None
    """For a helper that wraps a stream returned by another instrumented call
    (``ChatCompletionStreamManager.__enter__``): the attribute holding the inner stream. The
    helper then gets the inner stream's impacts; nothing else is done."""
    collect_inner: bool = False
    """Collect the Usage of nested instrumented calls into ``call.inner`` (an adapter that
    makes several HTTP calls per user call and wants to sum them), instead of letting the
    nested calls pass through unaccounted."""
    is_async: bool | None = None
    """Force the async path (default: detected from the original function)."""
    carrier: Callable[[Any], Any] | None = None
    """The object inside the result that gets ``impacts`` (fern's ``HttpResponse`` ->
    ``.data``, what the SDK's public method hands to the user); default: the result."""
    inherit: bool = False
    """The result gets the impacts already attached to the instance: a stream helper's
    final object built anew on each call (openai ``get_final_completion()``). Nothing else
    is done."""


# --------------------------------------------------------------------------------------------
# helpers for adapters
# --------------------------------------------------------------------------------------------
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


_RAW_TYPES = frozenset({"LegacyAPIResponse", "APIResponse", "AsyncAPIResponse"})


def raw_response(result: Any) -> bool:
    """``Target.raw`` for Stainless-generated SDKs (openai, anthropic): True for what
    ``with_raw_response`` returns, False for ``with_streaming_response`` (left untouched;
    it sends the ``X-Stainless-Raw-Response: stream`` header) and everything else."""
    if type(result).__name__ not in _RAW_TYPES:
        return False
    headers = getattr(getattr(result, "_options", None), "headers", None)
    mode = headers.get("X-Stainless-Raw-Response") if isinstance(headers, Mapping) else None
    return mode != "stream"


def first_int(obj: Any, *names: str) -> int:
    """The first attribute (or key) among ``names`` that holds a number, as an int; else 0."""
    if obj is None:
        return 0
    cls = type(obj)
    mapping = _MAPPINGS.get(cls)
    if mapping is None:  # isinstance(obj, Mapping) runs ABCMeta's Python code: once per type
        mapping = isinstance(obj, Mapping)
        if len(_MAPPINGS) < 1024:
            _MAPPINGS[cls] = mapping
    d = None if mapping else getattr(obj, "__dict__", None)
    for name in names:
        if mapping:
            v = obj.get(name)
        else:  # field(), with its common case (a pydantic field in __dict__) inlined
            v = d.get(name, _ABSENT) if d is not None else _ABSENT
            if v is _ABSENT:
                v = field(obj, name)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if v != v or v in (_INF, -_INF):  # NaN, infinite: not a count
                continue
            return int(v)  # negative counts are flagged by the core (usage-invalid)
    return 0


_INF = float("inf")
_MAPPINGS: dict[type, bool] = {}


def _chars(value: Any, depth: int = 0) -> int:
    if isinstance(value, str):
        return len(value)
    if depth > 6 or value is None:
        return 0
    if isinstance(value, Mapping):
        return sum(_chars(v, depth + 1) for k, v in value.items() if k not in _SKIP_KEYS)
    if isinstance(value, (list, tuple)):
        return sum(_chars(v, depth + 1) for v in value)
    d = getattr(value, "__dict__", None)
    return _chars(d, depth + 1) if isinstance(d, dict) else 0


_SKIP_KEYS = frozenset({"role", "type", "id", "name", "cache_control"})


def text_tokens(*values: Any) -> int:
    """Rough token count of request text: about 4 characters per token (OpenAI's rule of
    thumb for English, https://platform.openai.com/tokenizer). Used before a request is sent
    (budgets) and for streams that report no usage."""
    return chars_to_tokens(sum(_chars(v) for v in values))


def chars_to_tokens(chars: int) -> int:
    """Tokens in ``chars`` characters of text, rounded up: the 4-characters-per-token rule of
    :func:`text_tokens`, for answers whose text is counted as it streams."""
    return (chars + 3) // 4


ESTIMATED_OUTPUT = (
    "output-tokens-estimated",
    "the answer reported no token usage: output tokens estimated from its text at about "
    "4 characters per token",
)
"""The warning an adapter adds to a Usage whose output tokens come from :func:`text_tokens`."""
ESTIMATED_INPUT = (
    "input-tokens-estimated",
    "the answer did not report prompt tokens: input tokens estimated from the request text at "
    "about 4 characters per token",
)
"""The warning an adapter adds to a Usage whose input tokens come from :func:`text_tokens`."""


def text_usage(
    provider: str | None,
    model: str | None,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
    host: str | None = None,
    requested_model: str | None = None,
    warnings: tuple[tuple[str, str], ...] = (),
) -> Usage:
    return Usage(
        provider, model, input_tokens, output_tokens, cached_tokens, reasoning_tokens,
        host=host, requested_model=requested_model, warnings=warnings,
    )  # fmt: skip


def combined(usages: Iterable[Usage | partial[Usage]]) -> Usage | None:
    """One Usage for several HTTP calls made by one user call (tool-call loops, continuation
    hops, ``call.inner``): token counts summed; the other fields of the last call (the model
    that answered last); warnings of all, once each. Builders (see ``Target.usage``) are
    called. None for an empty input."""
    if type(usages) is list and len(usages) == 1:
        only: Usage | partial[Usage] = usages[0]
        if not isinstance(only, Usage):
            only = only()
        if len(only.warnings) < 2:
            return only  # the common case (one HTTP call): that call's own Usage
        usages = [only]
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


class ChatChunks(Accumulator):
    """Accumulator for OpenAI-shaped chat chunks (mistral, huggingface, litellm...): the model
    of the first chunk that names one, ``usage`` of the last chunk that carries it, and the
    characters of the streamed text (``choices[].delta.content``) for an estimate when no
    usage comes. Subclasses write :meth:`usage` from ``model``, ``u`` and ``chars``, and
    set :attr:`inside` when the chunk sits inside an event (mistral ``event.data``)."""

    __slots__ = ("chars", "inner", "model", "u")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars = 0
        self.model: str | None = None
        self.u: Any = None
        self.inner: Any = None
        """The last chunk read inside an event (when :attr:`inside` is set)."""

    inside: str | None = None
    """The attribute of each event that holds the chunk (mistral: ``"data"``); None: the
    events are the chunks."""

    def add(self, chunk: Any) -> bool:
        # the usual layout first: every field in its object's __dict__ (pydantic models and
        # dataclasses: mistralai, huggingface_hub), read with no call and as few distinct
        # look-ups as can be, for they are slow right after the SDK's own work (cold
        # caches); a field missing there sends the chunk to _add_any, which reads any
        # layout: nothing is kept before all the reads are done
        inside = self.inside
        try:
            c = chunk if inside is None else chunk.__dict__[inside]
            d = c.__dict__
            choices = d["choices"]
            chars = 0
            ended = True  # a usage chunk ends the stream when it has no choices or a reason
            for choice in choices:
                cd = choice.__dict__
                text = cd["delta"].__dict__["content"]
                if type(text) is str:  # faster than isinstance() here, cold
                    chars += len(text)
                ended = cd["finish_reason"] is not None
        except (AttributeError, KeyError, TypeError):
            return self._add_any(chunk)
        if inside is not None:
            self.inner = c
        if not self.model:
            model = d.get("model", _ABSENT)
            self.model = (field(c, "model") if model is _ABSENT else model) or None
        if chars:
            self.chars += chars
        u = d.get("usage", _ABSENT)
        if u is _ABSENT:  # no usage field (huggingface_hub 0.24)
            u = field(c, "usage")
        if u is None:
            return False
        self.u = u
        return ended

    def _add_any(self, chunk: Any) -> bool:
        """:meth:`add` for any layout: each field from the object's ``__dict__``, its pydantic
        extras (LiteLLM's choices keep their fields there, its deltas some of theirs) or its
        attributes (:func:`field`)."""
        inside = self.inside
        c = chunk if inside is None else getattr(chunk, inside, chunk)
        if inside is not None:
            self.inner = c
        if not self.model:
            self.model = field(c, "model") or None
        ended = True
        for choice in field(c, "choices") or ():
            text = field(field(choice, "delta"), "content")
            if type(text) is str:  # as in add()
                self.chars += len(text)
            ended = field(choice, "finish_reason") is not None
        u = field(c, "usage")
        if u is None:
            return False
        self.u = u
        return ended


_ABSENT = object()
_ON_CLASS: dict[tuple[type, str], bool] = {}


def field(obj: Any, name: str) -> Any:
    """``getattr(obj, name, None)``, cheap on pydantic models: an attribute they lack makes
    their ``__getattr__`` raise and catch (about 3 µs, per chunk on LiteLLM streams), so the
    instance ``__dict__`` and extras are read first, and a name the class does not define
    either (checked once per class) is absent."""
    d = getattr(obj, "__dict__", None)
    if d is not None:
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


def _fields_of(cls: type) -> Any:
    """A pydantic model class's fields: ``__pydantic_fields__`` (pydantic >= 2.10), else
    ``model_fields`` (older 2.x, e.g. litellm's ModelResponse on pydantic 2.8)."""
    fields = getattr(cls, "__pydantic_fields__", None)
    return fields if fields is not None else getattr(cls, "model_fields", ())


def attach(obj: Any, impacts: Impacts) -> bool:
    """Set ``obj.impacts`` in place; False when the object cannot take an attribute."""
    cls = type(obj)
    how = _ATTACH.get(cls)
    if how is None:
        how = _attach_kind(obj)
        if len(_ATTACH) < 1024:
            _ATTACH[cls] = how
    extra = obj.__pydantic_extra__ if how == _EXTRA else None
    if type(extra) is dict:
        # a pydantic model with extra="allow" (openai, anthropic, cohere, litellm): what its
        # __setattr__ does for an unknown name, without the per-call look-ups, except that
        # the extras and the set of fields are swapped for copies, never grown in place:
        # another thread may be serializing the answer (LiteLLM's logging thread does), and
        # pydantic-core panics when a dict it iterates changes size
        _put(obj, "__pydantic_extra__", {**extra, "impacts": impacts})
        _put(obj, "__pydantic_fields_set__", obj.__pydantic_fields_set__ | _IMPACTS)
        return True
    if how == _SLOT:
        # a pydantic model without extras (mistral, google): its __setattr__ would raise
        object.__setattr__(obj, "impacts", impacts)
        return True
    try:
        obj.impacts = impacts
        return True
    except Exception:
        try:
            object.__setattr__(obj, "impacts", impacts)
            return True
        except Exception:
            return False


_put = object.__setattr__
_IMPACTS = frozenset({"impacts"})
_EXTRA, _SLOT, _PLAIN = 1, 2, 3
_ATTACH: dict[type, int] = {}
"""How :func:`attach` sets ``impacts`` on objects of a type (decided once per type; the
response path reads it to skip the call for pydantic models with extras)."""


def _attach_kind(obj: Any) -> int:
    extra = getattr(obj, "__pydantic_extra__", _ABSENT)
    if extra is _ABSENT or "impacts" in _fields_of(type(obj)):
        return _PLAIN
    return _EXTRA if type(extra) is dict else _SLOT if extra is None else _PLAIN


# --------------------------------------------------------------------------------------------
# compute and publish
# --------------------------------------------------------------------------------------------
_active: ContextVar[Call | None] = ContextVar("tokenprint_active_call", default=None)


_new_usage = tuple.__new__  # Usage._make without its Python frame


def _compute(
    estimator: Estimator, latency: float | None, endpoint: str, over: Any, usage: Usage
) -> tuple[Usage, Impacts]:
    """The Usage completed (latency, endpoint) and checked, and its Impacts. ``over``: the
    scope's overrides (``context.overrides()``) when the request was made."""
    if usage[6] is None or not usage[9]:  # latency_s, endpoint: filled by the core
        usage = _new_usage(
            Usage,
            (
                *usage[:6],
                latency if usage[6] is None else usage[6],
                usage[7],
                usage[8],
                usage[9] or endpoint,
                *usage[10:],
            ),
        )
    i, o, c, r = usage[2], usage[3], usage[4], usage[5]  # token counts
    if not (type(i) is int and type(o) is int and type(c) is int and type(r) is int) or not (
        0 <= i <= _MAX and 0 <= o <= _MAX and 0 <= c <= _MAX and 0 <= r <= _MAX
    ):
        usage = _valid_counts(usage)
    if over:
        return usage, estimator.compute(usage, over.get("zone"), over.get("datacenter"))
    return usage, estimator.compute(usage)


def _later(
    estimator: Estimator,
    latency: float | None,
    endpoint: str,
    over: Any,
    usage: Usage | partial[Usage],
) -> Impacts:
    """A deferred Impacts' computation (on its first read): never raises, except under
    pytest's strict mode, where ``events.report`` raises so that tests see the failure."""
    try:
        if not isinstance(usage, Usage):  # a partial building it (Target.usage)
            usage = usage()
        return _compute(estimator, latency, endpoint, over, usage)[1]
    except Exception as exc:
        events.report(exc, endpoint)
        return _failed(exc)


def _now(rt: events.Runtime, call: Call, usage: Usage) -> tuple[Usage, Impacts]:
    """The completed Usage and its Impacts, computed at once (some after-hook waits)."""
    return _compute(rt.estimator, call.latency, call.target.endpoint, context.overrides(), usage)


def _deferred(rt: events.Runtime, call: Call, usage: Usage) -> Impacts:
    """Impacts computed on first read (no after-hook waits for them: most responses are
    never asked). What the estimate needs is taken now: the latency, the scope's overrides.
    :func:`_handle` inlines this; the streams' end calls it."""
    over = context.overrides()
    return Impacts.deferred(
        partial(_later, rt.estimator, call.latency, call.target.endpoint, over, usage)
    )


_new_impacts = object.__new__


_INVALID = (
    "usage-invalid",
    "the answer reported token counts that are not counts (negative, NaN, infinite, beyond "
    "2**53 or not a number); they are counted as 0",
)
_MAX = 2**53
"""Largest token count taken as such (floats hold integers exactly up to here)."""


def _count(v: Any) -> tuple[int, bool]:
    """(a valid token count, whether ``v`` was already one); floats are truncated."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return 0, False
    if v != v or not 0 <= v <= _MAX:  # NaN, negative, infinite, absurd
        return 0, False
    return int(v), True


def _valid_counts(usage: Usage) -> Usage:
    """Token counts an adapter could not read cleanly become non-negative ints (0 for
    anything that is not a number), with a warning when one was invalid."""
    (i, ok_i), (o, ok_o), (c, ok_c), (r, ok_r) = map(_count, usage[2:6])
    fixed = usage._replace(input_tokens=i, output_tokens=o, cached_tokens=c, reasoning_tokens=r)
    if ok_i and ok_o and ok_c and ok_r:
        return fixed
    return fixed._replace(warnings=(*usage.warnings, _INVALID))


def _publish(rt: events.Runtime, usage: Usage, impacts: Impacts) -> None:
    """Hand the finished request to the after-hooks; BudgetExceeded propagates. Callers
    skip it when there is none (``events.AFTER`` empty: no tracker, budget or exporter)."""
    base = rt.labels
    ctx = context.labels()
    labels = ({**base, **ctx} if base else ctx) if ctx else base
    events.run_after(RequestRecord.now(usage, impacts, labels))


def _failed(exc: BaseException) -> Impacts:
    return Impacts.failed(
        ErrorMessage(
            "instrumentation-error",
            f"tokenprint could not compute impacts: {type(exc).__name__}: {exc}",
        )
    )


def _before(call: Call) -> None:
    pending_fn = call.target.pending
    assert pending_fn is not None
    try:
        pending = pending_fn(call)
    except Exception as exc:
        events.report(exc, f"{call.target.endpoint} (before)")
        return
    if pending is not None:
        events.run_before(pending)  # BudgetExceeded propagates: nothing is sent


# --------------------------------------------------------------------------------------------
# responses
# --------------------------------------------------------------------------------------------
def _handle(rt: events.Runtime, call: Call, result: Any) -> Any:
    """Account a finished call's result; returns the result itself (streams: tapped)."""
    target = call.target
    try:
        if target.follow is not None:
            _follow(result, target.follow)
            return result
        if target.inherit:
            impacts = getattr(call.instance, "impacts", None)
            if isinstance(impacts, Impacts):
                attach(result, impacts)
            return result
        key = (id(target), type(result))
        if _ANSWERS.get(key) is not target:
            if target.stream is not None:
                tapped = _tap(rt, call, result)
                if tapped is not _NOT_A_STREAM:
                    return tapped
            if target.raw is not None and target.raw(result):
                _hook_parse(rt, call, result)
                return result
            if len(_ANSWERS) < 1024 and _answer_type(target, key[1]):
                _ANSWERS[key] = target
        usage = target.usage(call, result) if target.usage is not None else None
        if usage is None:
            return result
        done: Usage | None = None  # the Usage to publish, when some after-hook waits
        if _AFTER:  # decided once: a hook added meanwhile waits for the next call
            if not isinstance(usage, Usage):  # a partial building it (Target.usage)
                usage = usage()
            done, impacts = _now(rt, call, usage)
        else:  # _deferred() and Impacts.deferred() inlined: this is the common path
            impacts = _new_impacts(Impacts)
            impacts._pending = partial(
                _later, rt.estimator, call.latency, target.endpoint, context.overrides(), usage
            )
        carrier = result if target.carrier is None else target.carrier(result)
        extra = carrier.__pydantic_extra__ if _ATTACH.get(type(carrier)) == _EXTRA else None
        if type(extra) is dict:  # attach() inlined for most answers: copies swapped in
            _put(carrier, "__pydantic_extra__", {**extra, "impacts": impacts})
            _put(carrier, "__pydantic_fields_set__", carrier.__pydantic_fields_set__ | _IMPACTS)
        else:
            attach(carrier, impacts)
    except Exception as exc:
        events.report(exc, target.endpoint)
        with contextlib.suppress(Exception):  # best effort: the failure is reported above
            attach(result, _failed(exc))
        return result
    if done is not None:
        _publish(rt, done, impacts)
    return result


_ANSWERS: dict[tuple[int, type], Target] = {}
"""(target id, result type) -> target, for results that are plain answers, neither a stream
nor a raw response, by their type alone: later results of that type skip both checks. Keyed
by the target's id (hashing a ``Target`` would hash all its fields on every request); the
value keeps that target alive, so its id stays its own, and is checked by identity too."""


def _answer_type(target: Target, cls: type) -> bool:
    """True when the checks of :func:`_handle` found ``cls`` not to be a stream or a raw
    response from the type alone (as :func:`_tap` and :func:`raw_response` decide it)."""
    if issubclass(cls, (types.GeneratorType, types.AsyncGeneratorType)):
        return False
    if target.stream is not None:
        if target.iterator == SELF:
            if hasattr(cls, "__next__") or hasattr(cls, "__anext__"):
                return False
        elif target.iterator and not hasattr(cls, "__pydantic_fields__"):
            return False  # _tap looked at the instance's iterator attribute
    return target.raw is None or (target.raw is raw_response and cls.__name__ not in _RAW_TYPES)


def _hook_parse(rt: events.Runtime, call: Call, raw: Any) -> None:
    """Make ``raw.parse()`` hand back a parsed object that carries impacts (first parse)."""
    original = raw.parse
    seen: list[Any] = []

    def parse(*args: Any, **kwargs: Any) -> Any:
        parsed = original(*args, **kwargs)
        if not seen:
            seen.append(parsed)
            return _handle(rt, call, parsed)
        return parsed

    async def aparse(*args: Any, **kwargs: Any) -> Any:  # AsyncAPIResponse.parse
        parsed = await original(*args, **kwargs)
        if not seen:
            seen.append(parsed)
            return _handle(rt, call, parsed)
        return parsed

    _set(raw, "parse", aparse if inspect.iscoroutinefunction(original) else parse)


def _set(obj: Any, name: str, value: Any) -> None:
    try:
        setattr(obj, name, value)
    except Exception:
        object.__setattr__(obj, name, value)


# --------------------------------------------------------------------------------------------
# streams
# --------------------------------------------------------------------------------------------
class _Tap:
    """The state of one tapped stream: finishes exactly once. Each chunk is fed by the taps
    themselves (``_iter``, ``_aiter``, the tapped classes' ``__next__``/``__anext__``): the
    same few lines, inlined in each because they run per chunk (a call costs about 0.9 us
    cold): ``last`` set, then ``acc.add``, ``finish`` when it says the stream ended, ``fail``
    when it raises."""

    __slots__ = ("acc", "breach", "broken", "call", "done", "last", "owners", "rt")

    def __init__(self, rt: events.Runtime, call: Call, acc: Accumulator) -> None:
        self.rt = rt
        self.call = call
        self.acc = acc
        self.last: Any = None
        self.done = False
        self.broken = False
        self.breach: BudgetExceeded | None = None
        self.owners: list[Any] = []

    def fail(self, exc: Exception) -> None:
        """The accumulator raised: stop feeding it; the chunks still pass."""
        self.broken = True
        events.report(exc, f"{self.call.target.endpoint} (stream chunk)")

    def finish(self) -> None:
        """Compute, attach and publish, once; a budget breach is kept for :meth:`reraise`."""
        if self.done:
            return
        self.done = True
        if sys.is_finalizing():  # a stream left open until the interpreter exits: imports
            return  # and exporters are gone, and nobody will read the impacts
        call = self.call
        call.latency = _perf() - call.start
        try:
            usage = self.acc.usage()
            if usage is None:
                return
            publish = bool(_AFTER)
            if publish:
                usage, impacts = _now(self.rt, call, usage)
            else:
                impacts = _deferred(self.rt, call, usage)
            self._attach(impacts)
        except Exception as exc:
            with contextlib.suppress(Exception):  # best effort: reported just below
                self._attach(_failed(exc))
            events.report(exc, f"{call.target.endpoint} (stream end)")
            return
        try:
            if publish:
                _publish(self.rt, usage, impacts)
        except BudgetExceeded as exc:
            self.breach = exc

    def _attach(self, impacts: Impacts) -> None:
        if self.last is not None:
            attach(self.last, impacts)
        for owner in self.owners:
            attach(owner, impacts)
        for obj in self.acc.extra():
            attach(obj, impacts)

    def reraise(self) -> None:
        breach, self.breach = self.breach, None
        if breach is not None:
            raise breach


def _iter(tap: _Tap, inner: Iterator[Any]) -> Iterator[Any]:
    feed = tap.acc.add
    try:
        for chunk in inner:
            tap.last = chunk  # the feed, inlined (see _Tap)
            if not tap.broken:
                try:
                    if feed(chunk):
                        tap.finish()
                except Exception as exc:
                    tap.fail(exc)
            yield chunk
    except BaseException:  # closed early (GeneratorExit), SDK error, cancelled...
        tap.finish()
        raise
    tap.finish()
    tap.reraise()


async def _aiter(tap: _Tap, inner: AsyncIterator[Any]) -> AsyncIterator[Any]:
    feed = tap.acc.add
    try:
        async for chunk in inner:
            tap.last = chunk  # the feed, inlined (see _Tap)
            if not tap.broken:
                try:
                    if feed(chunk):
                        tap.finish()
                except Exception as exc:
                    tap.fail(exc)
            yield chunk
    except BaseException:  # closed early (GeneratorExit), SDK error, cancelled...
        tap.finish()
        raise
    tap.finish()
    tap.reraise()


_TAP_ATTR = "_tokenprint_tap"


_NOT_A_STREAM = object()


def _tap(rt: events.Runtime, call: Call, result: Any) -> Any:
    """Tap a streamed result: the object to return (the SDK's stream object itself, or a new
    generator for a plain generator), or ``_NOT_A_STREAM``."""
    target = call.target
    assert target.stream is not None
    inner: Any
    if isinstance(result, types.GeneratorType):
        kind, inner, owner = 1, result, None
    elif isinstance(result, types.AsyncGeneratorType):
        kind, inner, owner = 2, result, None
    elif target.iterator == SELF:
        if not (hasattr(type(result), "__next__") or hasattr(type(result), "__anext__")):
            return _NOT_A_STREAM
        kind, inner, owner = 0, None, result
    else:
        if not target.iterator or hasattr(type(result), "__pydantic_fields__"):
            return _NOT_A_STREAM  # a response model (cheap test: no failing getattr on it)
        inner = getattr(result, target.iterator, None)
        if inner is None or not (hasattr(inner, "__next__") or hasattr(inner, "__anext__")):
            return _NOT_A_STREAM
        kind, owner = (2 if hasattr(inner, "__anext__") else 1), result
    acc = target.stream(call, result)
    if acc is None:
        return _NOT_A_STREAM
    tap = _Tap(rt, call, acc)
    if kind == 0:
        tap.owners.append(owner)
        _set(owner, _TAP_ATTR, tap)
        owner.__class__ = _tapped_class(type(owner))
        _hook_close(owner, tap)
        return owner
    wrapped = _iter(tap, inner) if kind == 1 else _aiter(tap, inner)
    if owner is None:
        return wrapped  # a plain generator cannot be patched in place: the caller gets ours
    tap.owners.append(owner)
    _set(owner, target.iterator, wrapped)
    _set(owner, _TAP_ATTR, tap)
    _hook_close(owner, tap)
    return owner


SELF = "self"
"""``Target.iterator`` value for stream objects that iterate themselves (``__next__`` /
``__anext__`` on their class, no internal iterator to swap)."""
_tapped_classes: dict[type, type] = {}


def _tapped_class(cls: type) -> type:
    """A subclass of a self-iterating stream class whose ``__next__``/``__anext__`` feed the
    instance's tap: the object keeps its identity, attributes and ``isinstance``."""
    sub = _tapped_classes.get(cls)
    if sub is not None:
        return sub

    def __next__(self: Any) -> Any:
        tap: _Tap = getattr(self, _TAP_ATTR)
        try:
            chunk = cls.__next__(self)  # type: ignore[attr-defined]
        except StopIteration:
            tap.finish()
            tap.reraise()
            raise
        except BaseException:
            tap.finish()
            raise
        tap.last = chunk  # the feed, inlined (see _Tap)
        if not tap.broken:
            try:
                if tap.acc.add(chunk):
                    tap.finish()
            except Exception as exc:
                tap.fail(exc)
        return chunk

    async def __anext__(self: Any) -> Any:
        tap: _Tap = getattr(self, _TAP_ATTR)
        try:
            chunk = await cls.__anext__(self)  # type: ignore[attr-defined]
        except StopAsyncIteration:
            tap.finish()
            tap.reraise()
            raise
        except BaseException:
            tap.finish()
            raise
        tap.last = chunk  # the feed, inlined (see _Tap)
        if not tap.broken:
            try:
                if tap.acc.add(chunk):
                    tap.finish()
            except Exception as exc:
                tap.fail(exc)
        return chunk

    ns: dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
    if hasattr(cls, "__next__"):
        ns["__next__"] = __next__
    if hasattr(cls, "__anext__"):
        ns["__anext__"] = __anext__
    sub = _tapped_classes[cls] = type(cls.__name__, (cls,), ns)
    return sub


def _hook_close(owner: Any, tap: _Tap) -> None:
    """Closing the stream (``close()``, ``with``/``async with`` exit) finishes the tap."""
    original = getattr(owner, "close", None)
    if original is None:
        return
    if inspect.iscoroutinefunction(original):

        async def aclose() -> Any:
            try:
                return await original()
            finally:
                tap.finish()
                tap.reraise()

        _set(owner, "close", aclose)
    else:

        def close() -> Any:
            try:
                return original()
            finally:
                tap.finish()
                tap.reraise()

        _set(owner, "close", close)


def _follow(helper: Any, attr: str) -> None:
    """A helper object wrapping a tapped stream gets that stream's impacts and close."""
    inner = getattr(helper, attr, None)
    tap = getattr(inner, _TAP_ATTR, None) if inner is not None else None
    if isinstance(tap, _Tap):
        tap.owners.append(helper)
        _hook_close(helper, tap)


# --------------------------------------------------------------------------------------------
# the wrappers
# --------------------------------------------------------------------------------------------
def _nested(outer: Call, target: Target, instance: Any, result: Any, args: Any, kw: Any) -> None:
    """Inside an instrumented call: record the nested call's usage (or its builder, called
    when the outer call's impacts are computed) for the outer one."""
    if not outer.target.collect_inner or target.usage is None:
        return
    try:
        usage = target.usage(Call(target, instance, args, kw), result)
    except Exception as exc:
        events.report(exc, f"{target.endpoint} (nested)")
        return
    if usage is not None:
        outer.inner.append(usage)


async def _awaiting(rt: events.Runtime, call: Call, coro: Any) -> Any:
    token = _active.set(call)
    try:
        result = await coro
    finally:
        _active.reset(token)
    call.latency = _perf() - call.start
    return _handle(rt, call, result)


_new_call = object.__new__


def make_wrapper(target: Target, is_async: bool) -> Callable[..., Any]:
    """The wrapt wrapper ``(wrapped, instance, args, kwargs)`` for one target."""

    def sync_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        rt = events._current  # a global read: this runs on every request
        if rt is None:
            return wrapped(*args, **kwargs)
        outer = _active.get()
        if outer is not None:
            result = wrapped(*args, **kwargs)
            _nested(outer, target, instance, result, args, kwargs)
            return result
        if target.follow is not None or target.inherit:
            return _handle(rt, Call(target, instance, args, kwargs), wrapped(*args, **kwargs))
        call = _new_call(Call)  # Call(target, instance, args, kwargs) without its frame
        call.target = target
        call.instance = instance
        call.args = args
        call.kwargs = kwargs
        call.inner = []
        call.latency = None
        if target.pending is not None and _BEFORE:
            _before(call)
        token = _active.set(call)
        call.start = _perf()
        try:
            result = wrapped(*args, **kwargs)
        finally:
            _active.reset(token)
        if type(result) is types.CoroutineType:  # a sync def handing back a coroutine
            return _awaiting(rt, call, result)
        call.latency = _perf() - call.start
        return _handle(rt, call, result)

    async def async_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        rt = events._current  # a global read: this runs on every request
        if rt is None:
            return await wrapped(*args, **kwargs)
        outer = _active.get()
        if outer is not None:
            result = await wrapped(*args, **kwargs)
            _nested(outer, target, instance, result, args, kwargs)
            return result
        if target.follow is not None or target.inherit:
            res = await wrapped(*args, **kwargs)
            return _handle(rt, Call(target, instance, args, kwargs), res)
        call = _new_call(Call)  # as in sync_wrapper
        call.target = target
        call.instance = instance
        call.args = args
        call.kwargs = kwargs
        call.inner = []
        call.latency = None
        if target.pending is not None and _BEFORE:
            _before(call)
        token = _active.set(call)
        call.start = _perf()
        try:
            result = await wrapped(*args, **kwargs)
        finally:
            _active.reset(token)
        call.latency = _perf() - call.start
        return _handle(rt, call, result)

    return async_wrapper if is_async else sync_wrapper
