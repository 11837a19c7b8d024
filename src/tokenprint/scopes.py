"""Scope: one base for things used as ``with``, ``async with`` and as a decorator.

``EcoLogits.label(...)``, ``EcoLogits.track()`` and budgets all push something into the
per-request context for a block of code. A subclass says what to push (:meth:`_push`) and
what to do at the end (:meth:`_close`); this class makes it work in the three forms, sync
and async, and re-enters a fresh copy (:meth:`_fresh`) for each call of a decorated function.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["Scope"]

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
