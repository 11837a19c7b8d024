"""Per-request context in contextvars: labels, trackers, budgets, site overrides, and
:class:`Scope`, the base of everything that pushes into it for a block of code.

Each thread and asyncio task sees its own values (config is an object, context is a
contextvar), so two concurrent requests never see each other's tracker or labels. The
instrumentation reads the context when a request starts; a stream is charged to that context
wherever it ends.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, TypeVar

from tokenprint.errors import InvalidArgumentError, InvalidTypeError

__all__ = [
    "MAX_LABEL_NAME",
    "MAX_LABEL_VALUE",
    "RESERVED_LABELS",
    "RESERVED_PREFIXES",
    "Scope",
    "budgets",
    "check_labels",
    "labels",
    "overrides",
    "push",
    "request_labels",
    "trackers",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_labels: ContextVar[Mapping[str, str]] = ContextVar("tokenprint_labels", default=_EMPTY)
_trackers: ContextVar[tuple[Any, ...]] = ContextVar("tokenprint_trackers", default=())
_budgets: ContextVar[tuple[Any, ...]] = ContextVar("tokenprint_budgets", default=())
_overrides: ContextVar[Mapping[str, Any]] = ContextVar("tokenprint_overrides", default=_EMPTY)


# The readers are the contextvars' own ``get`` methods: no Python frame on the request path.
labels: Callable[[], Mapping[str, str]] = _labels.get
"""User labels of the current context (``EcoLogits.label(task="summarise")``)."""


def request_labels(base: Mapping[str, str]) -> Mapping[str, str]:
    """The labels of a request made now: the current context's over ``base`` (those given
    to ``init()``)."""
    own = _labels.get()
    return ({**base, **own} if base else own) if own else base


trackers: Callable[[], tuple[Any, ...]] = _trackers.get
"""Trackers open in the current context, outermost first, each once (re-opening one that is
open already adds nothing)."""
budgets: Callable[[], tuple[Any, ...]] = _budgets.get
"""Budgets active in the current context, each once (scoped ones; the global one is kept by
:mod:`tokenprint.budgets`)."""
overrides: Callable[[], Mapping[str, Any]] = _overrides.get
"""Per-request settings: ``zone`` and ``datacenter`` overrides."""


# -- labels: the rule, for EcoLogits.label(), init(labels=...) and the config sources ---------
RESERVED_LABELS: frozenset[str] = frozenset(
    {
        # what exporters write next to the labels: OpenTelemetry attributes, and the fields of
        # a JSON-lines / log record (exporters/_common.record_dict)
        "provider",
        "model",
        "requested_model",
        "endpoint",
        "modality",
        "host",
        "timestamp",
        "input_tokens",
        "cached_tokens",
        "output_tokens",
        "reasoning_tokens",
        "latency_s",
        "labels",
        "impacts",
    }
)
"""Label names tokenprint sets itself (compared without regard to case)."""
RESERVED_PREFIXES: tuple[str, ...] = ("gen_ai.", "tokenprint.")
"""Label names may not start with these: OpenTelemetry's GenAI conventions and tokenprint's
own attributes (``tokenprint.impacts.gwp``...)."""
MAX_LABEL_NAME = 64
MAX_LABEL_VALUE = 256
_NAME = re.compile(rf"[\w.\-]{{1,{MAX_LABEL_NAME}}}")  # \w: letters (any script), digits, _


def check_labels(labels: object, where: str = "labels") -> dict[str, str]:
    """Labels as the requests carry them (name -> str), or an error naming the label.

    A name is a str of 1 to :data:`MAX_LABEL_NAME` letters, digits, ``_``, ``.`` or ``-``,
    neither one of :data:`RESERVED_LABELS` nor starting with one of
    :data:`RESERVED_PREFIXES`; a value is a str, int, float or bool (kept as its ``str()``) of
    at most :data:`MAX_LABEL_VALUE` characters. A wrong type raises
    :class:`~tokenprint.errors.InvalidTypeError`, anything else
    :class:`~tokenprint.errors.InvalidArgumentError`; ``where`` begins the message."""
    if not isinstance(labels, Mapping):
        raise InvalidTypeError(
            f"{where}: expected a mapping of label names to values, got {type(labels).__name__}"
        )
    out: dict[str, str] = {}
    for name, value in labels.items():
        if not isinstance(name, str):
            raise InvalidTypeError(
                f"{where}: label name {name!r} must be a str, got {type(name).__name__}"
            )
        if not _NAME.fullmatch(name):
            raise InvalidArgumentError(
                f"{where}: label name {name!r} must be 1 to {MAX_LABEL_NAME} letters, digits, "
                "'_', '.' or '-'"
            )
        low = name.lower()
        if low in RESERVED_LABELS:
            raise InvalidArgumentError(
                f"{where}: label name {name!r} is reserved (tokenprint writes it for every "
                f"request; reserved: {', '.join(sorted(RESERVED_LABELS))}); choose another name"
            )
        if low.startswith(RESERVED_PREFIXES):
            raise InvalidArgumentError(
                f"{where}: label name {name!r} is reserved (names starting with "
                f"{' or '.join(map(repr, RESERVED_PREFIXES))} belong to OpenTelemetry's GenAI "
                "conventions and tokenprint); choose another name"
            )
        if not isinstance(value, (str, int, float)):  # (bool is an int)
            raise InvalidTypeError(
                f"{where}: label {name!r} must be a str, int, float or bool, "
                f"got {type(value).__name__}"
            )
        try:
            text = str(value)
        except ValueError:  # an int too long to print (sys.get_int_max_str_digits)
            text = None
        if text is None or len(text) > MAX_LABEL_VALUE:
            size = "thousands of" if text is None else len(text)
            raise InvalidArgumentError(
                f"{where}: label {name!r} is {size} characters long; at most {MAX_LABEL_VALUE}"
            )
        out[name] = text
    return out


def _within(item: object, items: tuple[Any, ...]) -> bool:
    """True when ``item`` itself (not an equal object) is already open."""
    return any(x is item for x in items)


@contextlib.contextmanager
def push(
    *,
    labels: Mapping[str, str] | None = None,
    tracker: Any = None,
    budget: Any = None,
    overrides: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """Add to the current context for the duration of a ``with`` block."""
    tokens: list[tuple[ContextVar[Any], Any]] = []
    if labels:
        tokens.append((_labels, _labels.set({**_labels.get(), **labels})))
    if tracker is not None and not _within(tracker, _trackers.get()):
        tokens.append((_trackers, _trackers.set((*_trackers.get(), tracker))))
    if budget is not None and not _within(budget, _budgets.get()):
        tokens.append((_budgets, _budgets.set((*_budgets.get(), budget))))
    if overrides:
        tokens.append((_overrides, _overrides.set({**_overrides.get(), **overrides})))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


# -- scopes ----------------------------------------------------------------------------------
# ``EcoLogits.label(...)``, ``EcoLogits.site(...)``, trackers and budgets push something into
# the context for a block of code. A subclass says what to push (:meth:`Scope._push`) and
# what to do at the end (:meth:`Scope._close`); the base makes it work as ``with``,
# ``async with`` and a decorator, re-entering a fresh copy (:meth:`Scope._fresh`) for each call
# of a decorated function.

F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S", bound="Scope")


# The activations open in the current context, innermost last. Kept in a contextvar (not on
# the object) so the same scope can be nested, and shared by threads and asyncio tasks that
# each enter it (a decorated function called concurrently), without one exit closing
# another's activation.
_open: ContextVar[tuple[tuple[Scope, contextlib.ExitStack], ...]] = ContextVar(
    "tokenprint_open_scopes", default=()
)


class Scope:
    """Base class; subclasses implement :meth:`_push` (and optionally :meth:`_close`).

    Re-entrant: the same object may be open in nested blocks and in several threads or
    tasks at once; each activation lives in the context of the code that opened it.
    """

    def _push(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _close(self) -> None:
        """Called when the block ends (after the context is restored)."""

    def _fresh(self: S) -> S:
        """A copy for one call of a decorated function (default: the same object)."""
        return self

    def __enter__(self: S) -> S:
        stack = contextlib.ExitStack()
        stack.enter_context(self._push())
        token = _open.set((*_open.get(), (self, stack)))
        stack.callback(_open.reset, token)
        return self

    def __exit__(self, *exc: object) -> None:
        for obj, stack in reversed(_open.get()):
            if obj is self:
                stack.close()
                break
        self._close()

    async def __aenter__(self: S) -> S:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)

    def __call__(self, fn: F) -> F:
        """Use as a decorator: each call runs inside a fresh scope (sync or async)."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await fn(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return fn(*args, **kwargs)

        return run  # type: ignore[return-value]
