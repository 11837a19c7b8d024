"""The one generic wrapper: every instrumented SDK method goes through here.

A provider module declares its targets and pure readers
(:mod:`tokenprint.instrument.contract`); this module does the rest, once for all SDKs: the
sync and async call paths, timing, the before-sending check, nested calls, raw responses,
streams (:mod:`~tokenprint.instrument.streams`), and the accounting of the answer
(:mod:`~tokenprint.instrument.account`).

Rules held here: the SDK call runs outside any try-block of ours, so its exceptions propagate
unchanged; our own failures go to :func:`tokenprint.events.report` (logged once, or raised
under pytest) and the caller still gets the SDK's own object; the only exception raised on
purpose is :class:`~tokenprint.errors.BudgetExceeded`, after the impacts are attached (for
streams: when the stream ends).
"""

from __future__ import annotations

import contextlib
import inspect
import types
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from tokenprint import events
from tokenprint.errors import BudgetExceeded
from tokenprint.impacts.results import Impacts
from tokenprint.instrument import streams
from tokenprint.instrument.account import Scene, attach, failed, impacts_of, publish
from tokenprint.instrument.contract import Call, Final, Follow, Patch, Target
from tokenprint.instrument.read import (
    field,
    is_raw_response,
    raw_response_type,
    request_tokens,
    requested_model,
)
from tokenprint.records import Pending

__all__ = ["account", "make_wrapper", "pending"]

_active: ContextVar[Call | None] = ContextVar("tokenprint_active_call", default=None)
"""The instrumented call in progress in this context (its nested calls are collected)."""


def pending(call: Call) -> Pending | None:
    """What is known of a request before it is sent, from its target's ``Request``."""
    request = call.target.request
    if request is None:
        return None
    provider, host = request.where(call)
    model = requested_model(call)
    cap: int | None = None
    for name in request.max_tokens:
        value = _argument(call, name)
        if type(value) is int:
            cap = value
            break
    endpoint = call.target.endpoint
    tokens = request_tokens(call)
    model = model or request.default_model
    precision = request.precision(model) if request.precision is not None else None
    return Pending(provider, model, cap, tokens, host, endpoint, request.modality, call,
                   precision)  # fmt: skip


def _argument(call: Call, name: str) -> Any:
    """An argument, or a key or attribute inside one (``"config.max_output_tokens"``, at any
    depth: ``"params.inferenceConfig.maxTokens"``)."""
    outer, *inner = name.split(".")
    value = call.get(outer)
    for part in inner:
        if value is None:
            return None
        value = value.get(part) if isinstance(value, Mapping) else field(value, part)
    return value


def _before(call: Call) -> None:
    try:
        request = pending(call)
    except Exception as exc:
        events.report(exc, f"{call.target.endpoint} (before)")
        return
    if request is not None:
        events.run_before(request)  # BudgetExceeded propagates: nothing is sent


# -- answers ---------------------------------------------------------------------------------
_PLAIN: dict[type, bool] = {}
"""Types whose objects are plain answers for every target (pydantic models that are neither
streams nor raw responses): later answers of these types skip the stream and raw checks."""


def _plain_type(cls: type) -> bool:
    known = _PLAIN.get(cls)
    if known is None:
        known = (
            hasattr(cls, "__pydantic_fields__")
            and not (hasattr(cls, "__next__") or hasattr(cls, "__anext__"))
            and not raw_response_type(cls)
        )
        if len(_PLAIN) < 1024:
            _PLAIN[cls] = known
    return known


def _handle(rt: events.Runtime, call: Call, result: Any) -> Any:
    """Account a finished call's answer; returns the answer itself (streams: tapped)."""
    target = call.target
    try:
        if not _plain_type(type(result)):
            if target.stream is not None:
                tapped = streams.tap(Scene(rt), call, result)
                if tapped is not streams.NOT_A_STREAM:
                    return tapped
            if is_raw_response(result):
                _hook_parse(rt, call, result)
                return result
        usage = target.usage(call, result) if target.usage is not None else None
        if usage is None:
            return result
        scene = Scene(rt)
        impacts, done = impacts_of(scene, call, usage)
        attach(result if target.carrier is None else target.carrier(result), impacts)
    except Exception as exc:
        events.report(exc, target.endpoint)
        with contextlib.suppress(Exception):  # best effort: the failure is reported above
            attach(result, failed(exc))
        return result
    if done is not None:
        try:
            publish(scene, done, impacts, call)
        except BudgetExceeded as exc:
            exc.response = result  # paid for: the caller may still show it
            raise
    return result


def account(call: Call, answer: Any) -> Any:
    """Account an answer obtained outside a patched method (a gateway's callback hands over
    the call it saw and its answer), as the wrapper would; returns the answer."""
    rt = events.current()
    return answer if rt is None else _handle(rt, call, answer)


def _hook_parse(rt: events.Runtime, call: Call, raw: Any) -> None:
    """Make ``raw.parse()`` hand back a parsed answer that carries impacts (first parse)."""
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

    streams.set_attribute(raw, "parse", aparse if inspect.iscoroutinefunction(original) else parse)


def _nested(outer: Call, target: Target, instance: Any, result: Any, args: Any, kw: Any) -> None:
    """Inside an instrumented call: keep the nested call's usage builder for the outer one."""
    if target.usage is None:
        return
    try:
        usage = target.usage(Call(target, instance, args, kw), result)
    except Exception as exc:
        events.report(exc, f"{target.endpoint} (nested)")
        return
    if usage is not None:
        outer.inner.append(usage)


# -- stream helpers --------------------------------------------------------------------------
def _helper(patch: Follow | Final, instance: Any, result: Any) -> Any:
    """A stream helper's answer: it shares the impacts of the stream it wraps or was built
    from."""
    try:
        if isinstance(patch, Follow):
            streams.follow(result, patch.attribute)
        else:
            impacts = getattr(instance, "impacts", None)
            if isinstance(impacts, Impacts):
                attach(result, impacts)
    except Exception as exc:
        events.report(exc, patch.endpoint)
    return result


# -- the wrappers ----------------------------------------------------------------------------
Wrapper = Callable[[Any, Any, tuple[Any, ...], Any], Any]
"""``wrapper(wrapped, instance, args, kwargs)``, wrapt's signature."""


def _refused(target: Target, instance: Any, args: tuple[Any, ...], kwargs: Any) -> bool:
    """True when the target's ``accepts`` test turns the call away (or fails: reported)."""
    try:
        return not target.accepts(instance, args, kwargs)  # type: ignore[misc]
    except Exception as exc:
        events.report(exc, f"{target.endpoint} (accepts)")
        return True


def _start(target: Target, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Call:
    """A call about to be made: checked against blocking budgets, then timed."""
    call = Call(target, instance, args, kwargs)
    if target.request is not None and events.BEFORE:
        _before(call)
    call.begin()
    return call


class _Running:
    """Around the SDK call: the call in progress in this context (its nested instrumented
    calls are collected into it); if the SDK raises, what was reserved for the request before
    sending is released, and the SDK's exception propagates unchanged."""

    __slots__ = ("call", "token")

    def __init__(self, call: Call) -> None:
        self.call = call

    def __enter__(self) -> None:
        self.token = _active.set(self.call)

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        _active.reset(self.token)
        if kind is not None and events.FAILED:
            events.run_failed(self.call)


async def _awaited(rt: events.Runtime, call: Call, coro: Any) -> Any:
    """The end of a sync method that hands back a coroutine (openai's ``@required_args``
    around an async method)."""
    with _Running(call):
        result = await coro
    call.end()
    return _handle(rt, call, result)


def make_wrapper(patch: Patch, is_async: bool) -> Wrapper:
    """The wrapper for one patched method."""
    if isinstance(patch, (Follow, Final)):
        return _helper_wrapper(patch, is_async)
    target = patch
    filtered = target.accepts is not None

    def sync_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        rt = events.current()
        if rt is None or (filtered and _refused(target, instance, args, kwargs)):
            return wrapped(*args, **kwargs)
        outer = _active.get()
        if outer is not None:
            result = wrapped(*args, **kwargs)
            _nested(outer, target, instance, result, args, kwargs)
            return result
        call = _start(target, instance, args, kwargs)
        with _Running(call):
            result = wrapped(*args, **kwargs)
        if type(result) is types.CoroutineType:
            return _awaited(rt, call, result)
        call.end()
        return _handle(rt, call, result)

    async def async_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        rt = events.current()
        if rt is None or (filtered and _refused(target, instance, args, kwargs)):
            return await wrapped(*args, **kwargs)
        outer = _active.get()
        if outer is not None:
            result = await wrapped(*args, **kwargs)
            _nested(outer, target, instance, result, args, kwargs)
            return result
        call = _start(target, instance, args, kwargs)
        with _Running(call):
            result = await wrapped(*args, **kwargs)
        call.end()
        return _handle(rt, call, result)

    return async_wrapper if is_async else sync_wrapper


def _helper_wrapper(patch: Follow | Final, is_async: bool) -> Wrapper:
    def sync_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        return result if events.current() is None else _helper(patch, instance, result)

    async def async_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        result = await wrapped(*args, **kwargs)
        return result if events.current() is None else _helper(patch, instance, result)

    return async_wrapper if is_async else sync_wrapper
