"""Streams: tap a streamed answer without replacing it, account it once when it ends.

The SDK's stream object is kept (its type, context manager, ``.response``, ``close()``); its
internal iterator is swapped for one that shows each chunk to the target's
:class:`~tokenprint.instrument.contract.Accumulator` on its way to the caller. A stream that
is its own iterator gets a subclass of its class whose ``__next__``/``__anext__`` do the same.
Whatever ends the stream (exhaustion, ``close()``, leaving ``with``, an error, the last chunk
recognised) finishes the tap exactly once: the usage is read, the impacts attached to the last
chunk and to the stream, and the request published in the scene it was made in.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import types
from collections.abc import AsyncIterator, Iterator
from typing import Any

from tokenprint import events
from tokenprint.errors import BudgetExceeded, BudgetWarning
from tokenprint.impacts.results import Impacts
from tokenprint.instrument.account import Scene, attach, failed, impacts_of, publish
from tokenprint.instrument.contract import Accumulator, Call
from tokenprint.records import Usage

__all__ = ["NOT_A_STREAM", "Tap", "follow", "set_attribute", "tap"]


class Tap:
    """The state of one tapped stream: fed chunk by chunk, finished exactly once."""

    __slots__ = ("acc", "breach", "broken", "call", "done", "last", "owners", "scene")

    def __init__(self, scene: Scene, call: Call, acc: Accumulator) -> None:
        self.scene = scene
        self.call = call
        self.acc = acc
        self.last: Any = None
        self.done = False
        self.broken = False
        self.breach: BudgetExceeded | None = None
        self.owners: list[Any] = []

    def feed(self, chunk: Any) -> None:
        """Show a chunk to the accumulator; finish when it says the chunk is the last. An
        accumulator that raises is reported and not fed again; the chunks still pass."""
        self.last = chunk
        if self.broken:
            return
        try:
            if self.acc.add(chunk):
                self.finish()
        except Exception as exc:
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
        call.end()
        done: Usage | None = None
        try:
            usage = self.acc.usage()
            if usage is None:
                return
            impacts, done = impacts_of(self.scene, call, usage)
            self._attach(impacts)
        except Exception as exc:
            with contextlib.suppress(Exception):  # best effort: reported just below
                self._attach(failed(exc))
            events.report(exc, f"{call.target.endpoint} (stream end)")
            return
        if done is not None:
            try:
                publish(self.scene, done, impacts, call)
            except BudgetExceeded as exc:
                exc.response = self.owners[0] if self.owners else self.last
                self.breach = exc

    def __del__(self) -> None:
        # a stream abandoned without being read to its end or closed (a self-iterating
        # stream object, or one never iterated): accounted when the garbage collector takes it
        if not self.done:
            self.finish()
            self.warn()

    def warn(self) -> None:
        """Report the budget breach of :meth:`finish` as a warning, where raising is
        impossible or would replace another exception (the stream's own error, its
        finalisation)."""
        breach, self.breach = self.breach, None
        if breach is not None:
            events.warn(BudgetWarning(str(breach)))

    def _attach(self, impacts: Impacts) -> None:
        if self.last is not None:
            attach(self.last, impacts)
        for owner in self.owners:
            attach(owner, impacts)
        for obj in self.acc.extra():
            attach(obj, impacts)

    def reraise(self) -> None:
        """Raise the budget breach of :meth:`finish`, once, where the caller can see it."""
        breach, self.breach = self.breach, None
        if breach is not None:
            raise breach

    def end(self) -> None:
        """The stream ended normally or was closed: finish, then raise a budget breach."""
        self.finish()
        self.reraise()

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Around the iteration of the stream's chunks: its end, whatever ends it (closed
        early: ``GeneratorExit``, an SDK error, a cancellation...)."""
        try:
            yield
        except BaseException:
            self.finish()
            self.warn()
            raise
        self.end()

    def stopped(self, exc: BaseException) -> None:
        """The stream's iterator raised ``exc``: its end (a breach is raised on an
        exhausted stream, where the caller sees it) or an error."""
        if isinstance(exc, (StopIteration, StopAsyncIteration)):
            self.end()
        else:
            self.finish()
            self.warn()


def _iter(tap: Tap, inner: Iterator[Any]) -> Iterator[Any]:
    with tap.watching():
        for chunk in inner:
            tap.feed(chunk)
            yield chunk


async def _aiter(tap: Tap, inner: AsyncIterator[Any]) -> AsyncIterator[Any]:
    with tap.watching():
        async for chunk in inner:
            tap.feed(chunk)
            yield chunk


_TAP = "_tokenprint_tap"
NOT_A_STREAM = object()
"""What :func:`tap` returns for an answer that is not a stream."""


def tap(scene: Scene, call: Call, result: Any) -> Any:
    """Tap a streamed answer: the object to return (the SDK's stream object itself, or a new
    generator for a plain generator), or :data:`NOT_A_STREAM`."""
    make = call.target.stream
    assert make is not None
    iterator = getattr(make, "iterator", "_iterator")
    answer = result
    within = getattr(make, "within", ())
    if within:  # the stream sits in a dict answer (boto3): tap it, return the answer
        if type(answer) is not dict:
            return NOT_A_STREAM
        result = next((answer[k] for k in within if k in answer), None)
        if isinstance(result, (types.GeneratorType, types.AsyncGeneratorType)):
            return NOT_A_STREAM  # cannot be tapped in place, and the dict is not replaced
    inner: Any = None
    if isinstance(result, (types.GeneratorType, types.AsyncGeneratorType)):
        inner, owner = result, None
    elif iterator is None or iterator == "__iter__":
        cls = type(result)
        if not (
            (hasattr(cls, "__next__") or hasattr(cls, "__anext__"))
            if iterator is None
            else (hasattr(cls, "__iter__") or hasattr(cls, "__aiter__"))
        ):
            return NOT_A_STREAM
        owner = result
    else:
        if hasattr(type(result), "__pydantic_fields__"):
            return NOT_A_STREAM  # an answer model (a cheap test: no failing getattr on it)
        inner = getattr(result, iterator, None)
        if inner is None or not (hasattr(inner, "__next__") or hasattr(inner, "__anext__")):
            return NOT_A_STREAM
        owner = result
    acc = make(call, result)
    if acc is None:
        return NOT_A_STREAM
    t = Tap(scene, call, acc)
    if answer is not result:
        t.owners.append(answer)
    if inner is None:  # a stream object that is its own iterator, or hands out generators
        assert owner is not None
        t.owners.append(owner)
        set_attribute(owner, _TAP, t)
        owner.__class__ = _tapped_class(type(owner), iterator is not None)
        _hook_close(owner, t)
        return answer
    wrapped = _aiter(t, inner) if hasattr(inner, "__anext__") else _iter(t, inner)
    if owner is None:
        return wrapped  # a plain generator cannot be patched in place: the caller gets ours
    t.owners.append(owner)
    set_attribute(owner, iterator, wrapped)
    set_attribute(owner, _TAP, t)
    _hook_close(owner, t)
    return answer


_tapped_classes: dict[tuple[type, bool], type] = {}


def _tapped_class(cls: type, iterable: bool = False) -> type:
    """A subclass of a self-iterating stream class whose ``__next__``/``__anext__`` feed the
    instance's tap (``iterable``: whose ``__iter__``/``__aiter__`` hand out tapped
    generators): the object keeps its identity, attributes and ``isinstance``."""
    sub = _tapped_classes.get((cls, iterable))
    if sub is not None:
        return sub
    ns: dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
    if iterable:
        ns.update(_iterable_methods(cls))
    else:
        ns.update(_iterator_methods(cls))
    sub = _tapped_classes[(cls, iterable)] = type(cls.__name__, (cls,), ns)
    return sub


def _iterable_methods(cls: type) -> dict[str, Any]:
    def __iter__(self: Any) -> Iterator[Any]:
        return _iter(getattr(self, _TAP), cls.__iter__(self))  # type: ignore[attr-defined]

    def __aiter__(self: Any) -> AsyncIterator[Any]:
        return _aiter(getattr(self, _TAP), cls.__aiter__(self))  # type: ignore[attr-defined]

    methods = {"__iter__": __iter__, "__aiter__": __aiter__}
    return {name: f for name, f in methods.items() if hasattr(cls, name)}


def _iterator_methods(cls: type) -> dict[str, Any]:
    def __next__(self: Any) -> Any:
        t: Tap = getattr(self, _TAP)
        try:
            chunk = cls.__next__(self)  # type: ignore[attr-defined]
        except BaseException as exc:
            t.stopped(exc)
            raise
        t.feed(chunk)
        return chunk

    async def __anext__(self: Any) -> Any:
        t: Tap = getattr(self, _TAP)
        try:
            chunk = await cls.__anext__(self)  # type: ignore[attr-defined]
        except BaseException as exc:
            t.stopped(exc)
            raise
        t.feed(chunk)
        return chunk

    methods = {"__next__": __next__, "__anext__": __anext__}
    return {name: f for name, f in methods.items() if hasattr(cls, name)}


def _hook_close(owner: Any, t: Tap) -> None:
    """Closing the stream (``close()``, ``with``/``async with`` exit) finishes the tap."""
    original = getattr(owner, "close", None)
    if original is None:
        return
    if inspect.iscoroutinefunction(original):

        async def aclose() -> Any:
            try:
                return await original()
            finally:
                t.end()

        set_attribute(owner, "close", aclose)
    else:

        def close() -> Any:
            try:
                return original()
            finally:
                t.end()

        set_attribute(owner, "close", close)


def follow(helper: Any, attribute: str) -> None:
    """A helper object wrapping a tapped stream gets that stream's impacts and close."""
    inner = getattr(helper, attribute, None)
    t = getattr(inner, _TAP, None) if inner is not None else None
    if isinstance(t, Tap):
        t.owners.append(helper)
        _hook_close(helper, t)


def set_attribute(obj: Any, name: str, value: Any) -> None:
    """``setattr``, falling back to ``object.__setattr__`` for models that forbid extras."""
    try:
        setattr(obj, name, value)
    except Exception:
        object.__setattr__(obj, name, value)
