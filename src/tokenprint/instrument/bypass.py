"""Libraries that send model requests past every SDK tokenprint patches: one warning each,
naming what is not counted and what to do, once the library is loaded while tokenprint is on.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Callable
from types import ModuleType

from tokenprint import events

__all__ = ["watch"]

logger = logging.getLogger("tokenprint")


def _dspy_native(module: ModuleType) -> bool:
    """Releases of DSPy with the lm15 engine send most requests with their own HTTP client
    (``dspy.LM``'s default ``engine="auto"`` picks it for OpenAI, Anthropic, Gemini...
    models), not through LiteLLM; earlier ones call LiteLLM for every request."""
    try:
        return importlib.util.find_spec("dspy.clients.engines.lm15_engine") is not None
    except (ImportError, ValueError):
        return False


_DSPY = (
    "DSPy is loaded: tokenprint does not count the requests dspy.LM sends with its own HTTP "
    "client (its default engine, lm15, used for OpenAI, Anthropic, Gemini and other models). "
    "Create the LM with engine='litellm' (dspy.LM(model, engine='litellm')): its requests "
    "then go through LiteLLM, which tokenprint counts"
)

LIBRARIES: dict[str, tuple[Callable[[ModuleType], bool], str]] = {"dspy": (_dspy_native, _DSPY)}
"""Module -> (whether this release bypasses the patched SDKs, the warning)."""
_watched: set[str] = set()
_told: set[str] = set()


def watch() -> None:
    """Check each library now if it is imported, else when it is; idempotent."""
    import wrapt

    for name in LIBRARIES:
        module = sys.modules.get(name)
        if module is not None:
            _check(name)(module)
        elif name not in _watched:
            _watched.add(name)
            wrapt.register_post_import_hook(_check(name), name)


def _check(name: str) -> Callable[[ModuleType], None]:
    def hook(module: ModuleType) -> None:
        bypasses, message = LIBRARIES[name]
        if name in _told or events.current() is None or not bypasses(module):
            return
        _told.add(name)
        logger.warning("tokenprint: %s", message)

    return hook
