"""LangChain and LangGraph: the message a chat model returns carries the impacts of the
requests made for it, and :func:`impacts_callback` gives a chain's or a graph run's total.

Whatever package made the chat model (langchain-openai, langchain-anthropic, ...), its
provider SDK call is counted by tokenprint's SDK adapter. ``EcoLogits.init()`` patches
``BaseChatModel.invoke``, ``ainvoke``, ``stream`` and ``astream`` (``batch`` and ``abatch``
call these): each call collects the requests published while it runs (a
:class:`~tokenprint.tracking.Tracker`, so nothing is counted twice) and puts their impacts
at ``message.response_metadata["impacts"]``. A stream collects the request it sends with its
first chunk and puts its impacts on the first chunk drawn once that request has ended
(LangChain's closing chunk), or on one more empty chunk: exactly one chunk carries them, so
adding the chunks up (``chunk + chunk``, which merges ``response_metadata``) keeps them.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import ModuleType
from typing import Any

from tokenprint import events, integrations
from tokenprint.impacts.results import Impacts
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


# -- the patches -----------------------------------------------------------------------------
Method = Callable[..., Any]


def _invoke(original: Method) -> Method:
    @functools.wraps(original)
    def invoke(self: Any, *args: Any, **kwargs: Any) -> Any:
        if events.current() is None:
            return original(self, *args, **kwargs)
        seen = Tracker()
        with seen:
            message = original(self, *args, **kwargs)
        _mark(message, seen)
        return message

    return invoke


def _ainvoke(original: Method) -> Method:
    @functools.wraps(original)
    async def ainvoke(self: Any, *args: Any, **kwargs: Any) -> Any:
        if events.current() is None:
            return await original(self, *args, **kwargs)
        seen = Tracker()
        with seen:
            message = await original(self, *args, **kwargs)
        _mark(message, seen)
        return message

    return ainvoke


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
    """The chunks; the first is drawn inside a tracker, since a chat model's stream sends its
    request then (the request is charged to the tracker wherever it ends). The impacts go on
    the first chunk drawn once the request has ended, else on one more chunk."""
    seen = Tracker()
    marked = False
    last = None
    try:
        with seen:
            chunk = next(chunks, _END)
        while chunk is not _END:
            if not marked and len(seen):
                marked = _mark(chunk, seen)
            last = chunk
            yield chunk
            chunk = next(chunks, _END)
    finally:
        chunks.close()  # (the consumer stopped early: end the model's stream too)
    closing = None if marked else _closing(last, seen)
    if closing is not None:
        yield closing


async def _atapped(chunks: AsyncGenerator[Any, None]) -> AsyncIterator[Any]:
    """:func:`_tapped` for ``astream``."""
    seen = Tracker()
    marked = False
    last = None
    try:
        with seen:
            chunk = await anext(chunks, _END)
        while chunk is not _END:
            if not marked and len(seen):
                marked = _mark(chunk, seen)
            last = chunk
            yield chunk
            chunk = await anext(chunks, _END)
    finally:
        await chunks.aclose()
    closing = None if marked else _closing(last, seen)
    if closing is not None:
        yield closing


_END = object()
"""The end of a stream (``next``'s default)."""


# -- the messages ----------------------------------------------------------------------------
def _mark(message: Any, seen: Tracker) -> bool:
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


def _impacts(seen: Tracker) -> Impacts | None:
    requests = seen.requests
    if not requests:
        return None
    if len(requests) == 1:
        return requests[0].impacts  # (keeps its basis: model, tokens)
    return Impacts.sum(r.impacts for r in requests)


def _closing(last: Any, seen: Tracker) -> Any:
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
