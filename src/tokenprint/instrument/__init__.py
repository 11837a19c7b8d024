"""SDK instrumentation: patch the provider SDKs so responses carry ``impacts``.

:data:`SDKS` lists every supported SDK: the module to watch, its distribution, the supported
version range and the adapter modules (``instrument/providers/*.py``) whose ``TARGETS`` are
patched. :func:`install` registers a post-import hook per SDK (wrapt), so an SDK is patched
when ``init()`` runs if it is already imported, or later when the application imports it.
:func:`uninstall` restores every original method where tokenprint's function is still the one
installed; where another library has wrapped it since, that library's function stays and
tokenprint's, beneath it, becomes a pass-through until a later ``init()`` turns it back on.
The wrapper itself is :mod:`tokenprint.instrument.core`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import logging
import sys
import threading
from types import FunctionType, MethodType, ModuleType
from typing import Any, NamedTuple

from tokenprint.errors import TokenprintError

__all__ = [
    "MARK",
    "SDKS",
    "Sdk",
    "check_providers",
    "install",
    "installed",
    "is_patched",
    "normalize",
    "parse_version",
    "patched",
    "supported",
    "uninstall",
]

logger = logging.getLogger("tokenprint")


class Sdk(NamedTuple):
    """A supported SDK."""

    module: str
    """Import name watched by the post-import hook (``google.genai``)."""
    distribution: str
    """Distribution name for the version check (``google-genai``)."""
    minimum: str
    """Oldest supported version (inclusive)."""
    below: str | None
    """First unsupported version (exclusive): the next major not yet checked."""
    adapters: tuple[str, ...]
    """Provider modules; each exports ``TARGETS`` (see :mod:`tokenprint.instrument.contract`)."""


_P = "tokenprint.instrument.providers."

SDKS: dict[str, Sdk] = {
    "openai": Sdk(
        "openai",
        "openai",
        "1.0",
        "4",
        (_P + "openai_chat", _P + "openai_responses", _P + "openai_media", _P + "openai_av"),
    ),
    "anthropic": Sdk("anthropic", "anthropic", "0.40", "3", (_P + "anthropic",)),
    "mistralai": Sdk(
        "mistralai", "mistralai", "1.0", "4", (_P + "mistralai", _P + "mistralai_media")
    ),
    "cohere": Sdk("cohere", "cohere", "5.0", "8", (_P + "cohere", _P + "cohere_media")),
    "huggingface_hub": Sdk(
        "huggingface_hub",
        "huggingface_hub",
        "0.24",
        "3",
        (_P + "huggingface_hub", _P + "huggingface_hub_media"),
    ),
    "google_genai": Sdk(
        "google.genai", "google-genai", "1.0", "4", (_P + "google_genai", _P + "google_genai_media")
    ),
    "litellm": Sdk("litellm", "litellm", "1.40", "2", (_P + "litellm",)),
    "bedrock": Sdk("botocore", "botocore", "1.34.116", "2", (_P + "bedrock",)),
    "groq": Sdk("groq", "groq", "0.11", "2", (_P + "groq",)),
    "ollama": Sdk("ollama", "ollama", "0.4", "1", (_P + "ollama",)),
    "together": Sdk("together", "together", "2.0", "4", (_P + "together",)),
}
"""Provider name -> SDK. Provider names accept ``-`` for ``_`` and any case."""


def normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(".", "_")


def check_providers(providers: tuple[str, ...] | None) -> None:
    """Raise TokenprintError for provider names that are not supported."""
    if providers is None:
        return
    unknown = [p for p in providers if not isinstance(p, str) or normalize(p) not in SDKS]
    if unknown:
        raise TokenprintError(
            f"unknown provider(s) {', '.join(map(repr, unknown))}; "
            f"supported: {', '.join(sorted(SDKS))}"
        )


def parse_version(v: str) -> tuple[int, ...]:
    """Leading numeric parts of a version string: ``"1.40.0rc1"`` -> ``(1, 40, 0)``."""
    out: list[int] = []
    for part in v.split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        out.append(int(digits))
        if len(digits) != len(part):
            break
    return tuple(out)


# --------------------------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------------------------
_lock = threading.RLock()
_wanted: set[str] = set()
"""Providers the current init() asked for (hooks of others are no-ops)."""
_hooked: set[str] = set()
"""Providers whose post-import hook is registered (wrapt hooks cannot be removed)."""
_done: set[str] = set()
"""Providers patched now."""
_warned: set[str] = set()
_patched: list[tuple[Any, str, Any, bool]] = []
"""(owner, attribute, original, original was in owner's own __dict__) per patched method."""


class _Layer:
    """A function tokenprint installed in place of ``owner.attr``, while it is there: live
    (in :data:`_patched`), or idle, a pass-through left beneath another library's wrapper by
    :func:`uninstall` and turned back on by the next ``init()`` that patches ``owner.attr``."""

    __slots__ = ("active", "attr", "idle", "installed", "live", "original", "own", "owner")

    def __init__(
        self, owner: Any, attr: str, original: Any, own: bool, installed: Any, live: Any, idle: Any
    ) -> None:
        self.owner, self.attr, self.original, self.own = owner, attr, original, own
        self.installed = installed
        """What was set on ``owner`` (see :func:`_patched_function`)."""
        self.live, self.idle = live, idle
        """The core wrapper, and the pass-through put in its place while buried."""
        self.active = True


_layers: dict[tuple[int, str], _Layer] = {}
"""Every function tokenprint installed and has not removed, by (id(owner), attribute); the
layer keeps its owner alive, so the id stays its own."""


def installed() -> tuple[str, ...]:
    """Providers currently patched."""
    return tuple(sorted(_done))


def patched() -> list[tuple[Any, str]]:
    """(owner, attribute) of every method patched now."""
    return [(owner, attr) for owner, attr, _, _ in _patched]


def install(providers: tuple[str, ...] | None = None) -> None:
    """Patch the SDKs named in ``providers`` (all supported if None, none if empty): now for
    those already imported, at import time for the others. Idempotent."""
    names = tuple(SDKS) if providers is None else tuple(normalize(p) for p in providers)
    import wrapt

    from tokenprint.instrument import bypass  # (here, as wrapt: importing stays cheap)

    with _lock:
        _wanted.clear()
        _wanted.update(names)
        for name in names:
            sdk = SDKS[name]
            if name not in _hooked:
                _hooked.add(name)
                wrapt.register_post_import_hook(_hook_for(name), sdk.module)
                _hook_namespace(name, sdk)
            else:
                module = sys.modules.get(sdk.module)
                if module is not None:
                    _guarded_patch(name, module)
            if providers:
                _warn_if_missing(name, sdk)
    bypass.watch()


def _hook_namespace(name: str, sdk: Sdk) -> None:
    """wrapt's post-import hooks never fire for a namespace package (mistralai 3.x has no
    ``__init__.py``): for one not imported yet, watch the modules its adapters patch."""
    if sdk.module in sys.modules:
        return
    import importlib.util

    try:
        spec = importlib.util.find_spec(sdk.module)
    except (ImportError, ValueError):
        return
    if spec is None or spec.origin is not None or spec.submodule_search_locations is None:
        return  # not installed, or a regular package (its own hook fires)
    import wrapt

    modules: set[str] = set()
    for adapter in sdk.adapters:
        try:
            modules.update(
                t.module for t in getattr(importlib.import_module(adapter), "TARGETS", ())
            )
        except ModuleNotFoundError:
            continue
    for module in sorted(modules):
        wrapt.register_post_import_hook(_hook_for(name), module)


def _warn_if_missing(name: str, sdk: Sdk) -> None:
    """A provider named in ``providers=`` whose SDK is not installed: one warning, no error
    (its post-import hook stays registered and does nothing)."""
    key = name + ":missing"
    if sdk.module in sys.modules or key in _warned:
        return
    try:
        import importlib.util

        found = importlib.util.find_spec(sdk.module) is not None
    except (ImportError, ValueError):  # a parent package missing, or blocked
        found = False
    if not found:
        _warned.add(key)
        logger.warning("tokenprint: %s is not installed; it is not instrumented", sdk.distribution)


def _hook_for(name: str) -> Any:
    def hook(module: ModuleType) -> None:
        with _lock:
            if name in _wanted:
                _guarded_patch(name, module)

    return hook


def supported(
    distribution: str,
    version: str | None,
    minimum: str,
    below: str | None,
    what: str,
    warned: set[str],
) -> bool:
    """Whether ``version`` (None: unknown, let through) is in ``[minimum, below)``; else one
    warning per distribution (remembered in ``warned``) that it is not ``what``."""
    if version is None:
        return True
    v = parse_version(version)
    if v >= parse_version(minimum) and not (below and v >= parse_version(below)):
        return True
    if distribution not in warned:
        warned.add(distribution)
        logger.warning(
            "tokenprint: %s %s is outside the supported range (>=%s%s); it is not %s",
            distribution,
            version,
            minimum,
            f", <{below}" if below else "",
            what,
        )
    return False


def _version(sdk: Sdk, module: ModuleType) -> str | None:
    v = getattr(module, "__version__", None)
    if isinstance(v, str):
        return v
    try:
        from importlib import metadata

        return metadata.version(sdk.distribution)
    except Exception:
        return None


def _guarded_patch(name: str, module: ModuleType) -> None:
    """Patch one SDK; a failure is ours, never the application's (its import goes on)."""
    try:
        _patch_sdk(name, module)
    except Exception as exc:
        from tokenprint import events

        events.report(exc, f"patching {name}")


def _patch_sdk(name: str, module: ModuleType) -> None:
    """Patch every target of one SDK (the lock is held)."""
    if name in _done:
        return
    sdk = SDKS[name]
    version = _version(sdk, module)
    if not supported(sdk.distribution, version, sdk.minimum, sdk.below, "instrumented", _warned):
        return
    _done.add(name)
    for adapter in sdk.adapters:
        try:
            mod = importlib.import_module(adapter)
        except ModuleNotFoundError as exc:
            if exc.name == adapter:
                continue  # adapter not written yet
            raise
        for target in getattr(mod, "TARGETS", ()):
            _patch_or_defer(name, target)


_deferred: dict[str, list[tuple[str, Any]]] = {}
"""Targets whose module is not imported yet, by module name (patched by a post-import hook,
so init() never imports an SDK's lazily loaded modules itself)."""
_module_hooks: set[str] = set()


def _patch_or_defer(name: str, target: Any) -> None:
    module = sys.modules.get(target.module)
    if module is not None:
        _patch_target(target, module)
        return
    _deferred.setdefault(target.module, []).append((name, target))
    if target.module not in _module_hooks:
        _module_hooks.add(target.module)
        import wrapt

        wrapt.register_post_import_hook(_on_module_import, target.module)


def _on_module_import(module: ModuleType) -> None:
    with _lock:
        for name, target in _deferred.pop(module.__name__, ()):
            if name in _done:
                try:
                    _patch_target(target, module)
                except Exception as exc:
                    from tokenprint import events

                    events.report(exc, f"patching {target.module}.{target.method}")


def _patch_target(target: Any, module: ModuleType | None = None) -> None:
    """Wrap one target now (its module is imported, or is imported here)."""
    from tokenprint.instrument import core

    try:
        owner: Any = module if module is not None else importlib.import_module(target.module)
        *path, attr = target.method.split(".")
        for part in path:
            # the module's own namespace first: a lazy package __getattr__ would import
            owner = vars(owner)[part] if part in vars(owner) else getattr(owner, part)
    except (ImportError, AttributeError):
        logger.debug("tokenprint: %s.%s not found; skipped", target.module, target.method)
        return
    own = attr in vars(owner)
    original = vars(owner)[attr] if own else getattr(owner, attr, None)
    if _revive(owner, attr, original):
        return
    if original is None or is_patched(original):
        return
    func = getattr(original, "__func__", original)
    is_async = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        inspect.unwrap(func)  # decorated with functools.wraps (openai's @required_args)
    )
    live = core.make_wrapper(target, is_async)
    wrapper = _patched_function(original, live, isinstance(owner, type), is_async)
    setattr(owner, attr, wrapper)
    _layers[id(owner), attr] = _Layer(
        owner, attr, original, own, wrapper, live, _pass_async if is_async else _pass
    )
    _patched.append((owner, attr, original, own))


def _revive(owner: Any, attr: str, current: Any) -> bool:
    """True when ``owner.attr`` already has a layer of ours: live, or idle beneath another
    library's wrapper (turned back on here, so nothing is patched on top of it)."""
    layer = _layers.get((id(owner), attr))
    if layer is None:
        return False
    if layer.active:
        return True
    if _beneath(current, layer) is False:  # our layer was taken out: patch afresh
        del _layers[id(owner), attr]
        return False
    _rewire(layer.installed, layer.live)
    layer.active = True
    _patched.append((owner, attr, layer.original, layer.own))
    return True


def _beneath(current: Any, layer: _Layer) -> bool | None:
    """Whether ``layer`` is still under ``current``, following ``__wrapped__`` (wrapt
    proxies, ``functools.wraps``): True, False when the chain reaches the SDK's original
    first or nothing is there, None when it cannot tell (a wrapper that does not say what it
    wraps: taken as wrapping ours, rather than risk a second layer)."""
    if current is None:
        return False
    seen = 0
    while current is not None and seen < 100:
        if current is layer.installed:
            return True
        if current is layer.original:
            return False
        current = getattr(current, "__wrapped__", None)
        seen += 1
    return None


def _pass(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
    """The core wrapper of an idle layer: the call, untouched."""
    return wrapped(*args, **kwargs)


async def _pass_async(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
    return await wrapped(*args, **kwargs)


def _rewire(installed: Any, wrapper: Any) -> None:
    """Make the function tokenprint installed call ``wrapper`` from now on (the closure
    cell named ``wrapper`` of :func:`_patched_function`'s function, or of the relay behind
    its wrapt proxy); its identity, and whatever another library built on it, stay."""
    fn: Any = installed if type(installed) is FunctionType else installed._self_wrapper
    cell = fn.__closure__[fn.__code__.co_freevars.index("wrapper")]
    cell.cell_contents = wrapper


MARK = "_tokenprint_wrapper"
"""Attribute set (True) on every function tokenprint installs: patching twice is a no-op."""


def _patched_function(original: Any, wrapper: Any, method: bool, is_async: bool) -> Any:
    """What replaces ``original``: the core's ``wrapper(wrapped, instance, args, kwargs)``
    behind a plain function with the original's name, docstring, ``__wrapped__`` (so its
    signature) and kind (``async def`` for a coroutine function). A function in a class
    binds like the original. Anything that is not a plain function (a static or class
    method, another library's wrapt proxy) is wrapped with ``wrapt.FunctionWrapper``, which
    handles every descriptor; the plain function is the common case because it is cheaper
    per call than a bound ``FunctionWrapper``."""
    if type(original) is not FunctionType:  # (a wrapt proxy passes isinstance)
        import wrapt

        def relay(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
            return wrapper(wrapped, instance, args, kwargs)  # (see _rewire)

        proxy: Any = wrapt.FunctionWrapper(original, relay)
        setattr(proxy, "_self" + MARK, True)  # wrapt keeps "_self_*" names on the proxy
        return proxy
    patched: Any
    if method and is_async:

        async def patched(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            return await wrapper(MethodType(original, self), self, args, kwargs)

    elif method:

        def patched(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            return wrapper(MethodType(original, self), self, args, kwargs)

    elif is_async:

        async def patched(*args: Any, **kwargs: Any) -> Any:
            return await wrapper(original, None, args, kwargs)

    else:

        def patched(*args: Any, **kwargs: Any) -> Any:
            return wrapper(original, None, args, kwargs)

    functools.update_wrapper(patched, original)
    setattr(patched, MARK, True)
    return patched


def is_patched(obj: Any) -> bool:
    """True for what tokenprint installed in place of an SDK method."""
    return bool(getattr(obj, MARK, False) or getattr(obj, "_self" + MARK, False))


def uninstall() -> None:
    """Restore every patched method where tokenprint's function is still the one installed.
    Where another library has put its own function there since (wrapping ours), it stays:
    ours, beneath it, becomes a pass-through, and a later ``init()`` turns that layer back
    on instead of patching a second one on top. Post-import hooks stay registered but do
    nothing."""
    with _lock:
        _wanted.clear()
        while _patched:
            owner, attr, original, own = _patched.pop()
            layer = _layers.pop((id(owner), attr), None)
            current = vars(owner).get(attr)
            if layer is not None and current is not layer.installed:
                _rewire(layer.installed, layer.idle)
                if _beneath(current, layer) is not False:  # someone else's wrapper on top
                    layer.active = False
                    _layers[id(owner), attr] = layer
                continue  # (or ours was taken out already: nothing to restore)
            if own:
                setattr(owner, attr, original)
            else:
                with contextlib.suppress(AttributeError):
                    delattr(owner, attr)
        _done.clear()
        _deferred.clear()
