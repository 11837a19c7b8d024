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
from typing import Any, TypeVar

__all__ = ["Scope"]

F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S", bound="Scope")


class Scope:
    """Base class; subclasses implement :meth:`_push` (and optionally :meth:`_close`)."""

    _stack: contextlib.ExitStack | None = None

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
        self._stack = stack
        return self

    def __exit__(self, *exc: object) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()
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
