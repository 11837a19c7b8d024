"""The adapter contract: what a provider module declares, and what its readers receive.

A provider module (``instrument/providers/<sdk>.py``) exports ``TARGETS``, a list of:

* :class:`Target`: a method to patch, a usage reader for its answer, an accumulator for its
  streams and a :class:`Request` describing what it sends;
* :class:`Follow`: a stream helper's ``__enter__`` that wraps a stream another target tapped
  (it shares that stream's impacts and end);
* :class:`Final`: a stream helper's method that builds a final object anew on each call
  (``get_final_completion()``): the object gets the impacts already attached to the helper.

A usage reader is ``reader(call, answer) -> builder | None``: None when the answer is not one
it reads, else a function of no argument that builds the :class:`~tokenprint.records.Usage`
(a ``functools.partial``). The core calls the builder when the impacts are first read, so a
request whose impacts nobody reads costs a few look-ups. Bind the builder to what it needs
(the usage object, the model, request arguments), never to the answer itself: the answer
holds its impacts, which would hold the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from tokenprint.records import Usage

__all__ = [
    "Accumulator",
    "Builder",
    "Call",
    "Final",
    "Follow",
    "Reader",
    "Request",
    "Target",
    "Where",
]


_clock = time.perf_counter


class Call:
    """One intercepted call, as the readers see it."""

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
        self.inner: list[Builder] = []
        """Usage builders of the instrumented calls made inside this one (an SDK method that
        calls another, or makes several HTTP calls per user call): a reader may sum them
        (:func:`~tokenprint.instrument.read.combined`) or ignore them."""

    def begin(self) -> None:
        """The request is being sent: start timing it."""
        self.start = _clock()

    def end(self) -> None:
        """The answer is back (streams: the last chunk): record the latency."""
        self.latency = _clock() - self.start

    def get(self, name: str, default: Any = None) -> Any:
        """A call argument by keyword, else by its position in ``Request.positional``."""
        if name in self.kwargs:
            return self.kwargs[name]
        request = self.target.request
        if request is not None and name in request.positional:
            position = request.positional.index(name)
            if len(self.args) > position:
                return self.args[position]
        return default


Builder = Callable[[], Usage]
"""Builds the Usage of a request when its impacts are first read."""
Reader = Callable[[Call, Any], "Builder | None"]
"""``reader(call, answer)``: a builder of the answer's Usage, or None for an answer it does
not read (a wrapper, a raw response, a stream manager)."""
Where = Callable[[Call], "tuple[str | None, str | None]"]
"""``where(call)``: (provider, host) a call goes to (the client's base URL, a keyword)."""


class Request(NamedTuple):
    """What a request holds, declared: the core reads it before sending, to reserve the
    request's worst case in a blocking budget."""

    where: Where
    text: tuple[str, ...] = ()
    """Arguments holding the request's text (messages, prompt, system...)."""
    max_tokens: tuple[str, ...] = ()
    """Arguments that cap the output, the first one given wins; ``"config.max_tokens"``
    reads a key or attribute of an argument."""
    modality: str = "text"
    model: str | Callable[[Call], Any] = "model"
    """The argument naming the model, or a function of the call giving it (a model set on
    the client rather than in the call)."""
    default_model: str | None = None
    """The model the API uses when none is named."""
    positional: tuple[str, ...] = ()
    """Names of the arguments that may come by position, in order (``self`` excluded)."""
    precision: Callable[[Any], str | None] | None = None
    """``precision(model)``: the weight precision the host serves the requested model in,
    as its answer's Usage will say (Ollama's quantisation tag); None: the site's."""


class Accumulator:
    """Reads a stream's chunks as they pass. Subclass it per SDK; one instance per stream.

    ``add`` is called with every chunk, in order, before the user sees it (keep it cheap: no
    copies, no impacts). Return True when the chunk is known to be the last one: impacts are
    then computed before it is handed over, so the user finds ``chunk.impacts`` inside the
    loop. ``usage`` is called exactly once, when the stream ends for any reason (also after a
    partial read); return None when nothing can be said.
    """

    __slots__ = ("call", "stream")

    iterator: str | None = "_iterator"
    """Where the SDK's stream object keeps its internal iterator (swapped for the tap); None
    for a stream object that is its own iterator (``__next__`` on its class); ``"__iter__"``
    for an iterable whose ``__iter__``/``__aiter__`` hands out a new generator (botocore's
    ``EventStream``)."""
    within: tuple[str, ...] = ()
    """Keys of a dict answer under which the stream object sits (boto3's
    ``response["stream"]``), the first present wins; the dict also carries the impacts."""

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


StreamFn = Callable[[Call, Any], "Accumulator | None"]


class Target(NamedTuple):
    """One method to patch and how to read what it returns."""

    module: str
    """Module that defines it (``openai.resources.chat.completions``), patched when imported."""
    method: str
    """``Class.method`` (or a module-level ``function``) inside ``module``."""
    endpoint: str
    """What the user called (``chat.completions.create``), recorded in Usage.endpoint."""
    usage: Reader | None = None
    """Usage of a complete answer (see the module docstring)."""
    stream: StreamFn | None = None
    """Accumulator for a streamed answer (a generator, or an object whose iterator the
    accumulator's ``iterator`` names)."""
    request: Request | None = None
    """What the request holds, for the before-sending worst case."""
    carrier: Callable[[Any], Any] | None = None
    """The object inside the answer that gets ``impacts``, when it is not the answer itself
    (fern's ``HttpResponse`` -> ``.data``, what the SDK's public method hands over)."""
    accepts: Callable[[Any, tuple[Any, ...], Mapping[str, Any]], bool] | None = None
    """``accepts(instance, args, kwargs)``: whether a call is one to account, for a method
    that serves more than the provider (botocore's ``BaseClient._make_api_call``, behind
    every AWS service); a call it refuses passes through untouched."""


class Follow(NamedTuple):
    """A stream helper's ``__enter__``: it gets the impacts and the end of the tapped stream
    it wraps (held in ``attribute``)."""

    module: str
    method: str
    endpoint: str
    attribute: str


class Final(NamedTuple):
    """A stream helper's method returning a final object built anew on each call: that
    object gets the impacts attached to the helper."""

    module: str
    method: str
    endpoint: str


Patch = Target | Follow | Final
"""Anything a provider module lists in ``TARGETS``."""
