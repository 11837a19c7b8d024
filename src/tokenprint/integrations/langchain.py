"""LangChain and LangGraph: the message a chat model returns carries the impacts of the
requests made for it, and :func:`impacts_callback` gives a chain's or a graph run's total.

Whatever package made the chat model (langchain-openai, langchain-anthropic, ...), its
provider SDK call is counted by tokenprint's SDK adapter. ``EcoLogits.init()`` patches
``BaseChatModel.invoke``, ``ainvoke``, ``stream`` and ``astream`` (``batch`` and ``abatch``
call these): each call is in progress in a context variable, which the publication of a
request made under it reads (in the context the request was made in), so the call collects
the requests it made, each once, and puts their impacts at
``message.response_metadata["impacts"]``. A stream collects the request it sends with its
first chunk and puts its impacts on the first chunk drawn once that request has ended
(LangChain's closing chunk), or on one more empty chunk: exactly one chunk carries them, so
adding the chunks up (``chunk + chunk``, which merges ``response_metadata``) keeps them.
The run managers' ``on_llm_new_token`` is patched too, so that the callbacks (LangGraph's
``stream_mode="messages"``) are handed that chunk with the impacts on it.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from contextvars import ContextVar
from types import ModuleType
from typing import Any

from tokenprint import events, integrations
from tokenprint.impacts.results import Impacts
from tokenprint.records import RequestRecord
from tokenprint.tracking import Tracker

__all__ = ["KEY", "ImpactsCallback", "impacts_callback", "install"]

KEY = "impacts"
"""The ``response_metadata`` key holding a message's impacts."""


class ImpactsCallback(Tracker):
    """The impacts of every request made inside the block, read like LangChain's
    ``get_usage_metadata_callback()``: :attr:`impacts` is the total, :attr:`impacts_by_model`
    the total per model. It is a :class:`~tokenprint.tracking.Tracker` (``requests``,
    ``to_json()``...): it sees the requests of the threads and tasks LangChain and LangGraph
    start from the block, through LangChain or not, each once."""

    @property
    def impacts(self) -> Impacts:
        """The total (an unestimated request is named in its ``errors``, never zero)."""
        return self.total

    @property
    def impacts_by_model(self) -> dict[str, Impacts]:
        """The total per model (the catalogue name when resolved, else as answered)."""
        return self.by_model()


def impacts_callback(name: str | None = None) -> ImpactsCallback:
    """``with impacts_callback() as cb: graph.invoke(...)``, then ``cb.impacts``; also
    ``async with`` and a decorator."""
    return ImpactsCallback(name)


def install(module: ModuleType) -> None:
    """Patch the chat models' entry points (``langchain_core...chat_models`` is imported)."""
    base = module.BaseChatModel
    integrations.patch(base, "invoke", _invoke)
    integrations.patch(base, "ainvoke", _ainvoke)
    integrations.patch(base, "stream", _stream)
    integrations.patch(base, "astream", _astream)
    manager = importlib.import_module("langchain_core.callbacks.manager")
    integrations.patch(manager.CallbackManagerForLLMRun, "on_llm_new_token", _on_token)
    integrations.patch(manager.AsyncCallbackManagerForLLMRun, "on_llm_new_token", _on_atoken)


# -- the patches -----------------------------------------------------------------------------
Method = Callable[..., Any]


class _Call:
    """A model call in progress: the impacts of the requests made for it, and whether a
    streamed chunk that LangChain handed its callbacks carries them already. A call made
    inside another (a chat model calling one) is part of it: the outer call sees its
    requests too."""

    __slots__ = ("marked", "outer", "seen", "token")

    def __init__(self) -> None:
        self.seen: list[Impacts] = []
        self.marked = False
        self.outer = _call.get()

    def __enter__(self) -> _Call:
        """In progress in this context, its requests collected (``invoke``)."""
        _collecting.hold(+1)
        self.token = _call.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            _call.reset(self.token)
        finally:
            _collecting.hold(-1)


_call: ContextVar[_Call | None] = ContextVar("tokenprint_langchain_call", default=None)
"""The model call in progress in this context."""


def _collect(record: RequestRecord) -> None:
    """A finished request, published in the context it was made in: its impacts go to the
    model call in progress there, and to the calls that one is part of."""
    call = _call.get()
    while call is not None:
        call.seen.append(record.impacts)
        call = call.outer


_collecting = events.Held(events.add_after, _collect)
""":func:`_collect`, subscribed while some model call is in progress, in any context."""


def _invoke(original: Method) -> Method:
    @functools.wraps(original)
    def invoke(self: Any, *args: Any, **kwargs: Any) -> Any:
        if events.current() is None:
            return original(self, *args, **kwargs)
        with _Call() as call:
            message = original(self, *args, **kwargs)
        _mark(message, call.seen)
        return message

    return invoke


def _ainvoke(original: Method) -> Method:
    @functools.wraps(original)
    async def ainvoke(self: Any, *args: Any, **kwargs: Any) -> Any:
        if events.current() is None:
            return await original(self, *args, **kwargs)
        with _Call() as call:
            message = await original(self, *args, **kwargs)
        _mark(message, call.seen)
        return message

    return ainvoke


def _on_token(original: Method) -> Method:
    """A streaming model hands each chunk to its callbacks (LangGraph's
    ``stream_mode="messages"``, ``astream_events``), under ``stream`` and under ``invoke``
    alike: the first chunk handed over once the request has ended carries its impacts."""

    @functools.wraps(original)
    def on_llm_new_token(self: Any, token: Any, *, chunk: Any = None, **kwargs: Any) -> Any:
        _carry(chunk)
        return original(self, token, chunk=chunk, **kwargs)

    return on_llm_new_token


def _on_atoken(original: Method) -> Method:
    @functools.wraps(original)
    async def on_llm_new_token(self: Any, token: Any, *, chunk: Any = None, **kwargs: Any) -> Any:
        _carry(chunk)
        return await original(self, token, chunk=chunk, **kwargs)

    return on_llm_new_token


def _carry(chunk: Any) -> None:
    call = _call.get()
    if call is not None and not call.marked and chunk is not None and len(call.seen):
        call.marked = _mark(getattr(chunk, "message", None), call.seen)


def _stream(original: Method) -> Method:
    @functools.wraps(original)
    def stream(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        chunks = original(self, *args, **kwargs)
        return chunks if events.current() is None else _tapped(chunks)

    return stream


def _astream(original: Method) -> Method:
    @functools.wraps(original)
    def astream(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        chunks = original(self, *args, **kwargs)
        return chunks if events.current() is None else _atapped(chunks)

    return astream


def _tapped(chunks: Generator[Any, None, None]) -> Iterator[Any]:
    """The chunks, each drawn with the call in progress; the first with its requests
    collected, since a chat model's stream sends its request then (the request is charged to
    the call wherever it ends). The first chunk drawn once the request has ended carries its
    impacts (marked as LangChain hands it to its callbacks, see :func:`_carry`, or here),
    else one more chunk at the end."""
    call = _Call()
    last = None
    try:
        with call:
            chunk = next(chunks, _END)
        while chunk is not _END:
            if not call.marked and len(call.seen):
                call.marked = _mark(chunk, call.seen)
            last = chunk
            yield chunk
            chunk = _draw(call, chunks)
    finally:
        chunks.close()  # (the consumer stopped early: end the model's stream too)
    closing = None if call.marked else _closing(last, call.seen)
    if closing is not None:
        yield closing


def _draw(call: _Call, chunks: Iterator[Any]) -> Any:
    """The next chunk (or :data:`_END`), drawn with ``call`` in progress."""
    token = _call.set(call)
    try:
        return next(chunks, _END)
    finally:
        _call.reset(token)


async def _atapped(chunks: AsyncGenerator[Any, None]) -> AsyncIterator[Any]:
    """:func:`_tapped` for ``astream``."""
    call = _Call()
    last = None
    try:
        with call:
            chunk = await anext(chunks, _END)
        while chunk is not _END:
            if not call.marked and len(call.seen):
                call.marked = _mark(chunk, call.seen)
            last = chunk
            yield chunk
            chunk = await _adraw(call, chunks)
    finally:
        await chunks.aclose()
    closing = None if call.marked else _closing(last, call.seen)
    if closing is not None:
        yield closing


async def _adraw(call: _Call, chunks: AsyncIterator[Any]) -> Any:
    token = _call.set(call)
    try:
        return await anext(chunks, _END)
    finally:
        _call.reset(token)


_END = object()
"""The end of a stream (``next``'s default)."""


# -- the messages ----------------------------------------------------------------------------
def _mark(message: Any, seen: list[Impacts]) -> bool:
    """Put the impacts of the requests ``seen`` on ``message`` (True when it took them); with
    none (a cache hit, an SDK tokenprint does not instrument), take away any impacts it
    carries from elsewhere (a cached message, the dump of the SDK's answer)."""
    try:
        metadata = getattr(message, "response_metadata", None)
        if not isinstance(metadata, dict):
            return False
        impacts = _impacts(seen)
        if impacts is not None:
            message.response_metadata = {**metadata, KEY: impacts}
            return True
        if KEY in metadata:
            message.response_metadata = {k: v for k, v in metadata.items() if k != KEY}
    except Exception as exc:
        events.report(exc, "langchain message")
    return False


def _impacts(seen: list[Impacts]) -> Impacts | None:
    impacts = tuple(seen)  # (other threads of the call may still add to it)
    if not impacts:
        return None
    if len(impacts) == 1:
        return impacts[0]  # (keeps its basis: model, tokens)
    return Impacts.sum(impacts)


def _closing(last: Any, seen: list[Impacts]) -> Any:
    """One more empty chunk like the stream's last one, carrying the impacts of the requests
    ``seen``; None when there are none (or no chunk to model it on)."""
    try:
        if last is None or not len(seen):
            return None
        fields: dict[str, Any] = {"content": "" if isinstance(last.content, str) else []}
        if getattr(last, "id", None) is not None:
            fields["id"] = last.id
        if getattr(last, "chunk_position", None) == "last":
            fields["chunk_position"] = "last"
        chunk = type(last)(**fields)
        _mark(chunk, seen)
        return chunk
    except Exception as exc:
        events.report(exc, "langchain stream")
        return None
