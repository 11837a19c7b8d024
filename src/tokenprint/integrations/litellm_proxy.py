"""LiteLLM gateway: a LiteLLM ``CustomLogger`` that accounts every chat completion LiteLLM
reports as answered, and hands each record to tokenprint's subscribers (exporters, trackers,
budgets), the same records an instrumented SDK call gives.

In a LiteLLM proxy's ``config.yaml``::

    litellm_settings:
      callbacks: tokenprint.integrations.litellm_proxy.handler

``handler`` is created when the proxy loads it; if tokenprint was not initialised, it calls
``EcoLogits.init(providers=[])`` (exporters and settings from ``tokenprint.toml`` or the
``TOKENPRINT_*`` variables, no SDK patched): the callback is then the gateway's one
accountant. In an application, ``litellm.callbacks = [TokenprintLogger()]`` after
``EcoLogits.init(...)``.

Counted once: when tokenprint's litellm adapter is installed in the same process, it has
counted each ``completion``/``acompletion`` where it was made, and the callback leaves them;
a request LiteLLM logs twice (a ``text_completion`` wraps a ``completion`` that shares its
logging object, and both can pass LiteLLM's "already logged" check) is counted at its first
answer, by its ``litellm_call_id`` and model.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from tokenprint import context, events, instrument
from tokenprint.errors import BudgetExceeded, BudgetWarning
from tokenprint.instrument.contract import Call, Target
from tokenprint.instrument.core import account
from tokenprint.instrument.providers import litellm as adapter
from tokenprint.instrument.providers.openai import answer_usage

__all__ = ["TokenprintLogger", "handler"]

log = logging.getLogger("tokenprint")

_CHAT = adapter.TARGETS[0]
_READERS = {
    "completion": _CHAT.usage, "acompletion": _CHAT.usage,
    "text_completion": _CHAT.usage, "atext_completion": _CHAT.usage,
    "responses": answer_usage, "aresponses": answer_usage,
}  # fmt: skip
"""LiteLLM call types the callback reads: chat and text completions (LiteLLM's
``ModelResponse``/``TextCompletionResponse``), the Responses API (OpenAI-shaped)."""
_TARGETS = {kind: Target("litellm", kind, kind, read, None, _CHAT.request)
            for kind, read in _READERS.items()}  # fmt: skip
_ADAPTED = frozenset({"completion", "acompletion"})
"""What tokenprint's litellm adapter counts when installed."""
_LABELS = {
    "user_api_key_alias": "litellm.key_alias",
    "user_api_key_team_alias": "litellm.team",
    "user_api_key_user_id": "litellm.user",
    "user_api_key_end_user_id": "litellm.end_user",
}
"""The proxy's metadata on who called, kept as labels of the request."""
_told: set[str] = set()
_counted: OrderedDict[str, None] = OrderedDict()
"""The ``litellm_call_id`` and model of the latest requests counted (at most ``_KEPT``)."""
_KEPT = 4096
_counted_lock = threading.Lock()


class TokenprintLogger(CustomLogger):  # type: ignore[misc]
    """Accounts each answered request LiteLLM logs, from LiteLLM's own answer (streams: the
    answer LiteLLM assembles when the stream ends, once)."""

    def log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        _account(kwargs, response_obj, start_time, end_time)

    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        _account(kwargs, response_obj, start_time, end_time)

    def log_failure_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        """A failed request brought no answer: nothing is counted (as for an SDK error)."""

    async def async_log_failure_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        """A failed request brought no answer: nothing is counted (as for an SDK error)."""


def _account(kwargs: dict[str, Any], response: Any, start: Any, end: Any) -> None:
    """Account one logged request in its own labels, unless it is not ours to count."""
    try:
        call = _call(kwargs, start, end)
        if call is None:
            return
        with context.push(labels=_labels(kwargs)):
            account(call, kwargs.get("complete_streaming_response") or response)
    except BudgetExceeded as breach:  # the answer is already sent: nothing left to stop
        events.warn(BudgetWarning(str(breach)))
    except Exception as exc:
        events.report(exc, "litellm_proxy callback")


def _call(kwargs: dict[str, Any], start: Any, end: Any) -> Call | None:
    """The call LiteLLM made, as tokenprint's readers see it; None when not counted here."""
    kind = str(kwargs.get("call_type") or "")
    target = _TARGETS.get(kind)
    if target is None:
        _tell(kind, f"the LiteLLM callback does not count {kind or 'unnamed'} requests")
        return None
    if kwargs.get("cache_hit") or (kind in _ADAPTED and "litellm" in instrument.installed()):
        return None  # no model request, or counted by the litellm adapter where it was made
    if not _first(kwargs.get("litellm_call_id"), kwargs.get("model")):
        return None  # the same request logged again
    others = instrument.installed()
    if others and "litellm" not in others:
        twice = (
            f"tokenprint instruments {', '.join(others)} but not litellm: a request LiteLLM "
            "sends through one of these SDKs is counted twice; initialise tokenprint with "
            "litellm among its providers (the default) or with providers=[]"
        )
        _tell("sdks", twice, logging.WARNING)
    model, provider = kwargs.get("model"), kwargs.get("custom_llm_provider")
    if isinstance(model, str) and provider and not model.startswith(f"{provider}/"):
        model = f"{provider}/{model}"  # the catalogue resolves LiteLLM's prefixed names
    params = kwargs.get("litellm_params") or {}
    call = Call(target, None, (), {
        "model": model, "custom_llm_provider": provider, "api_base": params.get("api_base"),
        "messages": kwargs.get("messages") or kwargs.get("input"),
    })  # fmt: skip
    if isinstance(start, datetime) and isinstance(end, datetime):
        call.latency = (end - start).total_seconds()
    return call


def _first(call_id: object, model: object) -> bool:
    """False when this ``litellm_call_id``'s request to this model was already counted
    (LiteLLM may log one request from two threads at once); True when there is no id."""
    if not isinstance(call_id, str) or not call_id:
        return True
    key = f"{call_id} {model}"
    with _counted_lock:
        if key in _counted:
            return False
        _counted[key] = None
        if len(_counted) > _KEPT:
            _counted.popitem(last=False)
    return True


def _labels(kwargs: dict[str, Any]) -> dict[str, str]:
    """Who called, from the proxy's metadata (the key, team and user of the request)."""
    payload = kwargs.get("standard_logging_object") or {}
    meta = payload.get("metadata") or {}
    labels = {name: meta.get(key) for key, name in _LABELS.items()}
    labels["litellm.model_group"] = payload.get("model_group")
    return {k: v[:256] for k, v in labels.items() if isinstance(v, str) and v}


def _tell(key: str, message: str, level: int = logging.INFO) -> None:
    """Log ``message`` once per process."""
    if key not in _told:
        _told.add(key)
        log.log(level, "tokenprint: %s", message)


def _handler() -> TokenprintLogger:
    """The proxy's callback: tokenprint initialised for it unless the application did."""
    if events.current() is None:
        from tokenprint.api import EcoLogits

        EcoLogits.init(providers=[])
    return TokenprintLogger()


def __getattr__(name: str) -> Any:
    """``handler``, made when the proxy's config loader asks for it (not at import)."""
    global handler
    if name == "handler":
        handler = _handler()
        return handler
    raise AttributeError(name)


handler: TokenprintLogger
