"""The LiteLLM gateway callback: the real ``litellm.completion``/``acompletion`` (and
``text_completion``/``atext_completion``) with ``TokenprintLogger`` registered, replaying
hand-written provider exchanges; each answered request reaches the exporters once, with who
called as labels, and never twice when tokenprint's litellm adapter is installed too."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits, events, instrument

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
litellm = pytest.importorskip("litellm")

from tokenprint.integrations import litellm_proxy  # noqa: E402
from tokenprint.integrations.litellm_proxy import TokenprintLogger  # noqa: E402

MESSAGES: list[Any] = [{"role": "user", "content": "Say hello."}]
MISTRAL = "mistral/mistral-large-2407"


# LiteLLM copies ``litellm.callbacks`` into these lists on each call and never takes them out:
# each test puts them back as they were, so no handler of ours answers another test's calls.
_CALLBACK_LISTS = (
    "callbacks",
    "input_callback",
    "success_callback",
    "failure_callback",
    "_async_input_callback",
    "_async_success_callback",
    "_async_failure_callback",
)


@pytest.fixture(autouse=True)
def _litellm_callbacks_restored() -> Iterator[None]:
    saved = {
        name: list(getattr(litellm, name)) for name in _CALLBACK_LISTS if hasattr(litellm, name)
    }
    yield
    for name, callbacks in saved.items():
        setattr(litellm, name, callbacks)


@pytest.fixture
def logger() -> TokenprintLogger:
    handler = TokenprintLogger()
    litellm.callbacks = [handler]
    return handler


def _wait_for(done: Callable[[], bool]) -> None:
    """LiteLLM runs success callbacks in a thread pool (sync calls) or a task (async)."""
    for _ in range(500):
        if done():
            return
        time.sleep(0.01)


async def _await_for(done: Callable[[], bool]) -> None:
    for _ in range(500):
        if done():
            return
        await asyncio.sleep(0.01)


def test_completion_is_accounted_by_the_callback_and_exported(
    logger: TokenprintLogger, tmp_path: Path
) -> None:
    out = tmp_path / "impacts.jsonl"
    EcoLogits.init(providers=[], exporters=[f"jsonl:{out}"])
    assert instrument.installed() == ()  # providers=[]: no SDK patched
    with cassette("litellm", "mistral_chat"), records() as recs:
        litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k")
        _wait_for(lambda: len(recs) > 0)
        time.sleep(0.05)  # a second record would arrive within this
    u = recs.usage
    assert (u.provider, u.model, u.input_tokens, u.output_tokens) == (
        "mistralai", "mistral-large-2407", 7, 3,
    )  # fmt: skip
    assert (u.requested_model, u.endpoint) == (MISTRAL, "completion")
    assert u.latency_s is not None and u.latency_s > 0
    assert recs[0].impacts.errors == [] and recs[0].impacts.gwp is not None
    EcoLogits.shutdown()  # flushes the exporter
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["model"] == "mistral-large-2407"


async def test_async_stream_is_accounted_once_when_it_ends(logger: TokenprintLogger) -> None:
    EcoLogits.init(providers=[])
    with cassette("litellm", "mistral_stream"), records() as recs:
        stream = await litellm.acompletion(
            model=MISTRAL, messages=MESSAGES, api_key="k", stream=True,
            stream_options={"include_usage": True},
        )  # fmt: skip
        async for _ in stream:
            pass
        await _await_for(lambda: len(recs) > 0)
        await asyncio.sleep(0.05)
    u = recs.usage
    assert (u.input_tokens, u.output_tokens, u.endpoint) == (7, 4, "acompletion")


def test_sync_stream_is_accounted_once_when_it_ends(logger: TokenprintLogger) -> None:
    EcoLogits.init(providers=[])
    with cassette("litellm", "mistral_stream"), records() as recs:
        for _ in litellm.completion(
            model=MISTRAL, messages=MESSAGES, api_key="k", stream=True,
            stream_options={"include_usage": True},
        ):  # fmt: skip
            pass
        _wait_for(lambda: len(recs) > 0)
        time.sleep(0.05)
    assert recs.usage.output_tokens == 4


@pytest.mark.parametrize("stream", [False, True])
async def test_with_the_litellm_adapter_installed_each_request_counts_once(
    logger: TokenprintLogger, stream: bool
) -> None:
    EcoLogits.init(providers=["litellm"])
    name = "mistral_stream" if stream else "mistral_chat"
    with cassette("litellm", name), records() as recs:
        resp = await litellm.acompletion(
            model=MISTRAL, messages=MESSAGES, api_key="k", stream=stream
        )
        if stream:
            async for _ in resp:
                pass
        await asyncio.sleep(0.2)  # the callback's task has run
    assert len(recs) == 1
    assert recs[0].usage.endpoint == "acompletion"


def test_proxy_metadata_become_labels(logger: TokenprintLogger) -> None:
    EcoLogits.init(providers=[])
    metadata = {"user_api_key_alias": "ci-key", "user_api_key_team_alias": "search"}
    with cassette("litellm", "mistral_chat"), records() as recs:
        litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k", metadata=metadata)
        _wait_for(lambda: len(recs) > 0)
    labels = dict(recs[0].labels)
    assert (labels["litellm.key_alias"], labels["litellm.team"]) == ("ci-key", "search")


def test_a_failed_request_counts_nothing(logger: TokenprintLogger) -> None:
    EcoLogits.init(providers=[])
    with cassette("litellm", "error"), records() as recs:
        with pytest.raises(Exception) as err:  # LiteLLM's own type, which varies by release
            litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k", num_retries=0)
        time.sleep(0.2)
    assert type(err.value).__module__.startswith("litellm")
    assert recs == []


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The module before its ``handler`` was asked for (it is made on first access)."""
    monkeypatch.delitem(vars(litellm_proxy), "handler", raising=False)
    return litellm_proxy


def test_handler_initialises_tokenprint_without_patching_any_sdk(module: Any) -> None:
    assert events.current() is None
    handler = module.handler
    assert isinstance(handler, TokenprintLogger)
    assert module.handler is handler
    assert events.current() is not None
    assert instrument.installed() == ()


def test_handler_keeps_the_application_settings(module: Any) -> None:
    EcoLogits.init(providers=["litellm"])
    assert isinstance(module.handler, TokenprintLogger)
    assert instrument.installed() == ("litellm",)


def test_a_budget_breach_in_the_callback_is_a_warning(logger: TokenprintLogger) -> None:
    from tokenprint import Budget
    from tokenprint.errors import BudgetWarning

    EcoLogits.init(providers=[], budget=Budget(per_request={"gwp": "0 g"}, mode="raise"))
    with (
        cassette("litellm", "mistral_chat"),
        records() as recs,
        pytest.warns(BudgetWarning),
    ):
        resp = litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k")
        _wait_for(lambda: len(recs) > 0)
        time.sleep(0.05)  # the warning is issued right after the record
    assert resp.choices[0].message.content == "Hello!"


def test_other_sdks_instrumented_without_litellm_are_warned_about_once(
    logger: TokenprintLogger, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    monkeypatch.setattr(litellm_proxy, "_told", set())  # as in a fresh process
    EcoLogits.init(providers=["openai"])
    with caplog.at_level(logging.INFO, logger="tokenprint"), records() as recs:
        for _ in range(2):
            with cassette("litellm", "mistral_chat"):
                litellm.completion(model=MISTRAL, messages=MESSAGES, api_key="k")
        _wait_for(lambda: len(recs) == 2)
    told = [r.getMessage() for r in caplog.records if "counted twice" in r.getMessage()]
    assert len(told) == 1
    assert "openai" in told[0]
    assert len(recs) == 2  # mistral's requests go through no patched SDK: counted once each


def test_a_responses_api_request_is_accounted(logger: TokenprintLogger) -> None:
    EcoLogits.init(providers=[])
    with cassette("openai", "responses_create"), records() as recs:
        litellm.responses(model="openai/gpt-4.1", input="Hello World!", api_key="k")
        _wait_for(lambda: len(recs) > 0)
    u = recs.usage
    assert (u.provider, u.model, u.endpoint) == ("openai", "gpt-4.1-2025-04-14", "responses")
    assert (u.input_tokens, u.cached_tokens, u.output_tokens) == (900, 512, 250)


class _HeldLogger(TokenprintLogger):
    """Holds each answer in LiteLLM's logging hook until another one arrives (at most 0.5 s):
    the interleaving in which LiteLLM, whose ``text_completion`` wraps a ``completion`` with
    the same logging object, hands one request to its callbacks from two threads."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Barrier(2)

    def logging_hook(self, kwargs: dict[str, Any], result: Any, call_type: str) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            self.arrived.wait(timeout=0.5)
        return kwargs, result


@pytest.mark.parametrize(
    ("replayed", "model", "counted"),
    [
        (("openai", "completions_legacy"), "gpt-3.5-turbo-instruct",
         ("openai", "gpt-3.5-turbo-instruct", 3, 5)),
        (("litellm", "mistral_chat"), MISTRAL, ("mistralai", "mistral-large-2407", 7, 3)),
    ],
    ids=["completions-endpoint", "through-chat"],
)  # fmt: skip
def test_a_text_completion_is_accounted_once(
    replayed: tuple[str, str], model: str, counted: tuple[str, str, int, int]
) -> None:
    litellm.callbacks = [_HeldLogger()]
    EcoLogits.init(providers=[])
    with cassette(*replayed), records() as recs:
        resp = litellm.text_completion(model=model, prompt="Say hello", api_key="k")
        _wait_for(lambda: len(recs) > 0)
        time.sleep(0.7)  # a second record would arrive within this
    assert resp.choices[0].text
    assert len(recs) == 1
    u = recs.usage
    assert (u.provider, u.model, u.input_tokens, u.output_tokens) == counted
    assert u.endpoint == "text_completion"
    assert recs[0].impacts.errors == [] and recs[0].impacts.gwp is not None


async def test_an_async_text_completion_is_accounted_once(logger: TokenprintLogger) -> None:
    EcoLogits.init(providers=[])
    with cassette("openai", "completions_legacy"), records() as recs:
        await litellm.atext_completion(
            model="gpt-3.5-turbo-instruct", prompt="Say hello", api_key="k"
        )
        await _await_for(lambda: len(recs) > 0)
        await asyncio.sleep(0.2)
    assert len(recs) == 1
    u = recs.usage
    assert (u.provider, u.model, u.input_tokens, u.output_tokens, u.endpoint) == (
        "openai", "gpt-3.5-turbo-instruct", 3, 5, "atext_completion",
    )  # fmt: skip


def test_the_proxy_config_loader_finds_the_handler(module: Any, tmp_path: Path) -> None:
    # how the proxy turns ``callbacks: tokenprint.integrations.litellm_proxy.handler`` in its
    # config.yaml into a callback (the full proxy server needs the litellm-proxy package)
    from litellm.proxy.types_utils.utils import get_instance_fn

    spec = "tokenprint.integrations.litellm_proxy.handler"
    config = tmp_path / "config.yaml"  # the loader looks for a module file next to it first
    config.write_text(f"litellm_settings:\n  callbacks: {spec}\n")
    handler = get_instance_fn(spec, str(config))
    assert isinstance(handler, TokenprintLogger)
    assert events.current() is not None and instrument.installed() == ()
