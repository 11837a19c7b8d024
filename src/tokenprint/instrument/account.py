"""Accounting a finished request: its Usage completed and checked, its Impacts (computed at
once when a subscriber waits, else on first read), attached to the SDK's own objects, and the
record handed to the subscribers of the context the request was made in.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from functools import partial
from typing import Any

from tokenprint import context, events
from tokenprint.impacts.results import ErrorMessage, Impacts
from tokenprint.instrument.contract import Builder, Call
from tokenprint.records import MAX_TOKENS, RequestRecord, Usage

__all__ = ["Scene", "attach", "failed", "impacts_of"]


class Scene:
    """The moment a request was made: the runtime in effect, the context's labels and site
    overrides, and a copy of the whole context (its trackers and budgets). The request is
    published inside that copy, so it is charged where it was made, wherever and whenever it
    ends (a stream read in another task, or finalised by the garbage collector)."""

    __slots__ = ("after", "context", "labels", "overrides", "runtime")

    def __init__(self, runtime: events.Runtime) -> None:
        self.runtime = runtime
        self.after = tuple(events.AFTER)
        """The after-subscribers when the request was made: those it is published to."""
        self.context = contextvars.copy_context()
        self.overrides = context.overrides()
        self.labels: Mapping[str, str] = context.request_labels(runtime.labels)


def impacts_of(scene: Scene, call: Call, usage: Usage | Builder) -> tuple[Impacts, Usage | None]:
    """The Impacts of a finished call, and the Usage to publish when some subscriber waits
    (then computed at once; else None, and the Impacts compute on first read)."""
    if scene.after:
        done = complete(call, usage)
        return estimate(scene, done), done
    return Impacts.deferred(partial(_later, scene, call, usage)), None


def publish(scene: Scene, usage: Usage, impacts: Impacts, call: Call) -> None:
    """Hand the finished request to the after-subscribers, in the context it was made in;
    BudgetExceeded propagates."""
    record = RequestRecord.now(usage, impacts, scene.labels, call)
    scene.context.run(events.run_after, record, scene.after)


def complete(call: Call, usage: Usage | Builder) -> Usage:
    """The Usage built, with the call's latency and endpoint filled and its token counts
    checked."""
    if not isinstance(usage, Usage):
        usage = usage()
    if usage.latency_s is None or not usage.endpoint:
        usage = usage._replace(
            latency_s=call.latency if usage.latency_s is None else usage.latency_s,
            endpoint=usage.endpoint or call.target.endpoint,
        )
    return _checked(usage)


def estimate(scene: Scene, usage: Usage) -> Impacts:
    over = scene.overrides
    if over:
        return scene.runtime.estimator.compute(usage, over.get("zone"), over.get("datacenter"))
    return scene.runtime.estimator.compute(usage)


def _later(scene: Scene, call: Call, usage: Usage | Builder) -> Impacts:
    """A deferred computation (on first read): never raises, except under pytest, where
    :func:`tokenprint.events.report` raises so that tests see the failure."""
    try:
        return estimate(scene, complete(call, usage))
    except Exception as exc:
        events.report(exc, call.target.endpoint)
        return failed(exc)


def failed(exc: BaseException) -> Impacts:
    return Impacts.failed(
        ErrorMessage(
            "instrumentation-error",
            f"tokenprint could not compute impacts: {type(exc).__name__}: {exc}",
        )
    )


# -- token counts ----------------------------------------------------------------------------
_MAX = MAX_TOKENS
"""Largest token count taken as such (:data:`tokenprint.records.MAX_TOKENS`)."""
_INVALID = (
    "usage-invalid",
    "the answer reported token counts that are not counts (negative, NaN, infinite, beyond "
    "2**53 or not a number); they are counted as 0",
)


def _count(v: Any) -> tuple[int, bool]:
    """(a valid token count, whether ``v`` was already one); floats are truncated."""
    if type(v) is int and 0 <= v <= _MAX:
        return v, True
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return 0, False
    if v != v or not 0 <= v <= _MAX:  # NaN, negative, infinite, absurd
        return 0, False
    return int(v), True


def _checked(usage: Usage) -> Usage:
    """Token counts an adapter could not read cleanly become non-negative ints (0 for
    anything that is not a number), with a warning when one was invalid."""
    counts = (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens)
    if all(type(v) is int and 0 <= v <= _MAX for v in counts):
        return usage
    (i, ok_i), (o, ok_o), (c, ok_c), (r, ok_r) = map(_count, counts)
    fixed = usage._replace(input_tokens=i, output_tokens=o, cached_tokens=c, reasoning_tokens=r)
    if ok_i and ok_o and ok_c and ok_r:
        return fixed
    return fixed._replace(warnings=(*usage.warnings, _INVALID))


# -- attaching -------------------------------------------------------------------------------
_EXTRA, _SLOT, _PLAIN, _KEY = 1, 2, 3, 4
_ATTACH: dict[type, int] = {}
"""How :func:`attach` sets ``impacts`` on objects of a type (decided once per type)."""
_IMPACTS = frozenset({"impacts"})


def attach(obj: Any, impacts: Impacts) -> bool:
    """Set ``obj.impacts`` in place (a plain ``dict``, boto3's answers: ``obj["impacts"]``);
    False when the object cannot take an attribute."""
    cls = type(obj)
    how = _ATTACH.get(cls)
    if how is None:
        how = _attach_kind(obj)
        if len(_ATTACH) < 1024:
            _ATTACH[cls] = how
    if how == _EXTRA:
        extra = obj.__pydantic_extra__
        if type(extra) is dict:
            # a pydantic model with extra="allow" (openai, anthropic, cohere, litellm): what
            # its __setattr__ does for an unknown name, except that the extras and the set of
            # fields are swapped for copies, never grown in place: another thread may be
            # serializing the answer (LiteLLM's logging thread does), and pydantic-core
            # panics when a dict it iterates changes size
            object.__setattr__(obj, "__pydantic_extra__", {**extra, "impacts": impacts})
            fields_set = obj.__pydantic_fields_set__ | _IMPACTS
            object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
            return True
    if how == _KEY:
        obj["impacts"] = impacts
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


def _attach_kind(obj: Any) -> int:
    if type(obj) is dict:
        return _KEY
    extra = getattr(obj, "__pydantic_extra__", None)
    if not hasattr(obj, "__pydantic_extra__") or "impacts" in _fields_of(type(obj)):
        return _PLAIN
    return _EXTRA if type(extra) is dict else _SLOT if extra is None else _PLAIN


def _fields_of(cls: type) -> Any:
    """A pydantic model class's fields: ``__pydantic_fields__`` (pydantic >= 2.10), else
    ``model_fields`` (older 2.x, e.g. litellm's ModelResponse on pydantic 2.8)."""
    fields = getattr(cls, "__pydantic_fields__", None)
    return fields if fields is not None else getattr(cls, "model_fields", ())
