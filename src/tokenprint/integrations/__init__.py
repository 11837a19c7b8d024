"""Frameworks and gateways: what they hand the user carries the impacts of the requests made
beneath them.

The SDK adapters (:mod:`tokenprint.instrument`) count every request; an integration links
those requests to the framework's own objects (a LangChain message) and reads them the
framework's way (a callback). It never counts a request itself, with one exception: the
LiteLLM proxy callback (:mod:`~tokenprint.integrations.litellm_proxy`) accounts the requests a
LiteLLM proxy routes, which no patched SDK method sees in that process.

:data:`INTEGRATIONS` lists them: the framework module whose import installs one, its
distribution and supported versions, and the tokenprint module that patches it (it exports
``install(module)``; its patches go through :func:`patch`). :func:`install` (run by
``EcoLogits.init()``) registers a post-import hook per framework, so a framework is linked
when ``init()`` runs if it is imported already, or when the application imports it;
:func:`uninstall` (``EcoLogits.shutdown()``) restores the originals.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple

__all__ = ["INTEGRATIONS", "Integration", "install", "installed", "patch", "uninstall"]

logger = logging.getLogger("tokenprint")


class Integration(NamedTuple):
    """A supported framework."""

    module: str
    """The framework module whose import installs the integration."""
    distribution: str
    """Distribution name for the version check."""
    minimum: str
    """Oldest supported version (inclusive)."""
    below: str | None
    """First unsupported version (exclusive)."""
    integration: str
    """The tokenprint module: ``install(module)`` patches the framework."""


INTEGRATIONS: dict[str, Integration] = {
    "langchain": Integration(
        "langchain_core.language_models.chat_models",
        "langchain-core",
        "0.3",
        "2",
        "tokenprint.integrations.langchain",
    ),
}
"""Name -> framework."""

_lock = threading.RLock()
_wanted = False
"""Whether an ``init()`` is in effect (the post-import hooks do nothing otherwise)."""
_hooked: set[str] = set()
_done: set[str] = set()
_warned: set[str] = set()
_patched: list[tuple[Any, str, Any, Any]] = []
"""(owner, attribute, original, what tokenprint set) per patched method."""
_buried: list[Any] = []
"""Functions of ours that another library wrapped before ``shutdown()``: left beneath it,
passing calls through while no ``init()`` is in effect, live again after one."""


def installed() -> tuple[str, ...]:
    """The integrations in place now."""
    return tuple(sorted(_done))


def install() -> None:
    """Link every supported framework: now if it is imported, else when it is. Idempotent."""
    global _wanted
    import wrapt

    with _lock:
        _wanted = True
        for name, spec in INTEGRATIONS.items():
            if name not in _hooked:
                _hooked.add(name)
                wrapt.register_post_import_hook(_hook_for(name), spec.module)
            else:
                module = sys.modules.get(spec.module)
                if module is not None:
                    _guarded(name, module)


def _hook_for(name: str) -> Callable[[ModuleType], None]:
    def hook(module: ModuleType) -> None:
        with _lock:
            if _wanted:
                _guarded(name, module)

    return hook


def _guarded(name: str, module: ModuleType) -> None:
    """Install one integration; a failure is ours, never the application's."""
    try:
        if name not in _done and _supported(name):
            _done.add(name)
            importlib.import_module(INTEGRATIONS[name].integration).install(module)
    except Exception as exc:
        from tokenprint import events

        events.report(exc, f"integrating {name}")


def _supported(name: str) -> bool:
    """Whether the installed framework is within the supported range (else one warning)."""
    from importlib import metadata

    from tokenprint.instrument import supported

    spec = INTEGRATIONS[name]
    try:
        version: str | None = metadata.version(spec.distribution)
    except metadata.PackageNotFoundError:
        version = None  # (a vendored copy: nothing to check)
    return supported(spec.distribution, version, spec.minimum, spec.below, "integrated", _warned)


def patch(owner: Any, attr: str, make: Callable[[Any], Any]) -> None:
    """Replace ``owner.attr`` with ``make(original)``, unless a function of ours is already
    there (on top, or beneath another library's wrapper: it comes back to life with the
    next ``init()``, since every integration function passes through without one)."""
    current = vars(owner).get(attr)
    if current is None or _ours_within(current):
        return
    installed = make(current)
    setattr(owner, attr, installed)
    _patched.append((owner, attr, current, installed))


def _ours_within(fn: Any) -> bool:
    """Whether ``fn`` is ours or wraps ours (following ``__wrapped__``)."""
    for _ in range(100):
        if fn is None:
            return False
        if any(fn is ours for ours in _buried) or any(fn is p[3] for p in _patched):
            return True
        fn = getattr(fn, "__wrapped__", None)
    return False


def uninstall() -> None:
    """Restore every patched method where tokenprint's function is still the one there;
    where another library has wrapped it since, that wrapper stays and ours, beneath it,
    passes every call through until the next ``init()``."""
    global _wanted
    with _lock:
        _wanted = False
        while _patched:
            owner, attr, original, installed = _patched.pop()
            if vars(owner).get(attr) is installed:
                setattr(owner, attr, original)
            else:
                _buried.append(installed)
        _done.clear()
