"""EcoLogits.init()/shutdown() and the SDK registry: patching, idempotence, versions, events."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tokenprint import EcoLogits, TokenprintError, instrument
from tokenprint.instrument import SDKS, parse_version

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter, outside pytest (no PYTEST_CURRENT_TEST)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST",)}
    clean.update(env)
    clean["PYTHONPATH"] = os.pathsep.join([str(SRC), str(ROOT)])  # tokenprint, tests.support
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
        check=False,
    )


def test_unknown_provider_raises_listing_the_valid_ones() -> None:
    with pytest.raises(TokenprintError) as err:
        EcoLogits.init(providers=["openai", "acme"])
    message = str(err.value)
    assert "'acme'" in message
    for name in SDKS:
        assert name in message


def test_provider_names_accept_a_string_dashes_and_case() -> None:
    EcoLogits.init(providers="OpenAI")
    EcoLogits.init(providers=["google-genai", "huggingface-hub"])


@pytest.mark.parametrize("name", sorted(SDKS))
def test_init_with_each_supported_provider_never_raises(name: str) -> None:
    EcoLogits.init(providers=[name])


def test_init_twice_then_shutdown_restores_originals() -> None:
    openai = pytest.importorskip("openai")
    from openai.resources.chat.completions import Completions

    original = Completions.__dict__["create"]
    EcoLogits.init()
    once = instrument.patched()
    assert Completions.__dict__["create"] is not original
    EcoLogits.init()
    assert instrument.patched() == once  # idempotent: nothing patched twice
    EcoLogits.shutdown()
    assert Completions.__dict__["create"] is original
    assert instrument.patched() == []
    assert "openai" in repr(openai)


def test_init_again_after_shutdown_patches_again() -> None:
    pytest.importorskip("openai")
    from openai.resources.chat.completions import Completions

    original = Completions.__dict__["create"]
    EcoLogits.init(providers=["openai"])
    EcoLogits.shutdown()
    EcoLogits.init(providers=["openai"])
    assert Completions.__dict__["create"] is not original
    assert "openai" in instrument.installed()


def test_only_the_named_providers_are_patched() -> None:
    pytest.importorskip("openai")
    pytest.importorskip("anthropic")
    EcoLogits.init(providers=["anthropic"])
    assert instrument.installed() == ("anthropic",)


def test_sdk_outside_the_supported_range_is_skipped_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("openai")
    monkeypatch.setitem(SDKS, "openai", SDKS["openai"]._replace(minimum="99.0", below=None))
    monkeypatch.setattr(instrument, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="tokenprint"):
        EcoLogits.init(providers=["openai"])
        EcoLogits.shutdown()
        EcoLogits.init(providers=["openai"])
    warnings = [r for r in caplog.records if "outside the supported range" in r.getMessage()]
    assert len(warnings) == 1
    assert "openai" not in instrument.installed()


def test_parse_version() -> None:
    assert parse_version("1.40.0rc1") == (1, 40, 0)
    assert parse_version("0.40") == (0, 40)
    assert parse_version("2.14.0.post1") == (2, 14, 0)
    assert parse_version("3.0.0a1") < parse_version("3.0.1")


def test_sdk_imported_after_init_is_patched() -> None:
    proc = _run(
        """
        import sys
        from tokenprint import EcoLogits, instrument
        EcoLogits.init()
        assert "openai" not in sys.modules
        import openai
        from openai.resources.chat.completions import Completions
        assert instrument.is_patched(Completions.__dict__["create"])
        print("patched", instrument.installed())
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "patched" in proc.stdout and "openai" in proc.stdout


def test_import_tokenprint_loads_no_sdk() -> None:
    proc = _run(
        """
        import sys, tokenprint
        from tokenprint import EcoLogits
        EcoLogits.init()
        print(sorted(m for m in ("openai", "anthropic", "pint") if m in sys.modules))
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_instrumentation_error_swallowed_outside_pytest() -> None:
    pytest.importorskip("openai")
    proc = _run(
        """
        import logging
        import openai
        from tests.support.cassettes import use_cassette
        from tokenprint import EcoLogits
        from tokenprint.estimator import Estimator

        logging.basicConfig(level=logging.WARNING, format="LOG %(name)s %(message)s")

        def broken(self, *a, **k):
            raise RuntimeError("boom")

        Estimator.compute = broken
        EcoLogits.init(providers=["openai"])
        client = openai.OpenAI(api_key="sk-test", max_retries=0)
        for _ in range(3):
            with use_cassette("openai", "chat_completion"):
                r = client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello World!"}]
                )
            assert type(r).__name__ == "ChatCompletion", type(r)
            assert r.choices[0].message.content == "Hello! How can I help you today?"
            assert getattr(r, "_request_id", None) in (None, "req_tokenprint_chat_0001")
            assert r.usage.completion_tokens == 300
            print("error", r.impacts.errors[0].code)
        """,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split().count("instrumentation-error") == 3
    log_lines = [line for line in proc.stderr.splitlines() if line.startswith("LOG tokenprint")]
    assert len(log_lines) == 1, proc.stderr
    assert "boom" in log_lines[0]


def test_importing_and_initialising_leaves_the_host_logging_alone() -> None:
    proc = _run(
        """
        import logging
        before = (logging.getLoggerClass(), list(logging.getLogger().handlers))
        import tokenprint
        from tokenprint import EcoLogits
        EcoLogits.init()
        import openai, anthropic
        after = (logging.getLoggerClass(), list(logging.getLogger().handlers))
        assert before == after, (before, after)
        assert logging.getLogger("tokenprint").handlers == []
        print("ok")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_every_target_the_installed_sdk_has_is_patched_once_its_module_loads() -> None:
    import importlib

    pytest.importorskip("openai")
    pytest.importorskip("anthropic")
    EcoLogits.init(providers=["openai", "anthropic"])
    targets = [
        target
        for sdk in ("openai", "anthropic")
        for module in instrument.SDKS[sdk].adapters
        for target in importlib.import_module(module).TARGETS
    ]
    seen = 0
    for target in targets:
        try:
            owner: Any = importlib.import_module(target.module)  # loads it: the hook patches
        except ImportError:
            continue  # a layout of another SDK release
        *path, attr = target.method.split(".")
        for part in path:
            owner = vars(owner).get(part) if isinstance(owner, ModuleType) else owner
        if owner is None or not hasattr(owner, attr):
            continue
        assert instrument.is_patched(getattr(owner, attr)), target
        seen += 1
    assert seen >= 8  # create/parse/stream of both SDKs, sync and async, at the least


def test_no_method_is_patched_twice() -> None:
    EcoLogits.init()
    pairs = instrument.patched()
    assert len(pairs) == len(set(pairs))


def test_patched_methods_keep_their_name_docstring_signature_and_kind() -> None:
    import inspect

    pytest.importorskip("openai")
    from openai.resources.chat.completions import AsyncCompletions, Completions

    originals = {cls: vars(cls)["create"] for cls in (Completions, AsyncCompletions)}
    EcoLogits.init(providers=["openai"])
    for cls, original in originals.items():
        patched = vars(cls)["create"]
        assert patched is not original and instrument.is_patched(patched)
        assert patched.__wrapped__ is original
        assert (patched.__name__, patched.__qualname__, patched.__doc__) == (
            original.__name__,
            original.__qualname__,
            original.__doc__,
        )
        assert inspect.signature(patched) == inspect.signature(original)
        assert inspect.iscoroutinefunction(patched) == (cls is AsyncCompletions)


def _recording(seen: list[Any]) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        seen.append(instance)
        return wrapped(*args, **kwargs)

    return wrapper


def test_a_method_another_library_wrapped_first_is_wrapped_around_and_both_run() -> None:
    # OpenTelemetry's and Langfuse's instrumentors patch with wrapt too
    openai = pytest.importorskip("openai")
    import wrapt
    from openai.resources.chat.completions import Completions

    from tests.support.cassettes import use_cassette

    original = vars(Completions)["create"]
    seen: list[Any] = []
    wrapt.wrap_function_wrapper(Completions, "create", _recording(seen))
    theirs = vars(Completions)["create"]
    try:
        EcoLogits.init(providers=["openai"])
        assert instrument.is_patched(vars(Completions)["create"])
        client = openai.OpenAI(api_key="sk-test", max_retries=0)
        with use_cassette("openai", "chat_completion"):
            resp = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello World!"}]
            )
        assert seen == [client.chat.completions]  # their wrapper saw the bound resource
        assert resp.impacts.energy.value > 0
        EcoLogits.shutdown()
        assert vars(Completions)["create"] is theirs
    finally:
        Completions.create = original  # type: ignore[method-assign]


def test_a_method_another_library_wraps_afterwards_still_carries_impacts() -> None:
    openai = pytest.importorskip("openai")
    import wrapt
    from openai.resources.chat.completions import Completions

    from tests.support.cassettes import use_cassette

    original = vars(Completions)["create"]
    seen: list[Any] = []
    EcoLogits.init(providers=["openai"])
    try:
        wrapt.wrap_function_wrapper(Completions, "create", _recording(seen))
        client = openai.OpenAI(api_key="sk-test", max_retries=0)
        with use_cassette("openai", "chat_completion"):
            resp = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello World!"}]
            )
        assert seen == [client.chat.completions]
        assert resp.impacts.energy.value > 0
    finally:
        EcoLogits.shutdown()
        Completions.create = original  # type: ignore[method-assign]


def test_a_static_method_target_is_wrapped_with_wrapt_and_binds_like_the_original() -> None:
    from tokenprint.instrument import _patch_target
    from tokenprint.instrument.contract import Target
    from tokenprint.records import Usage

    EcoLogits.init(providers=["openai"])
    _patch_target(
        Target(
            __name__,
            "_Static.make",
            "make",
            lambda call, r: partial(Usage, "openai", "gpt-4o", 1, 2),
        )
    )
    assert type(vars(_Static)["make"]).__name__ == "FunctionWrapper"
    assert instrument.is_patched(vars(_Static)["make"])
    made: Any
    for made in (_Static.make(3), _Static().make(3)):
        assert made.n == 3 and made.impacts.basis.output_tokens == 2
    EcoLogits.shutdown()
    assert type(vars(_Static)["make"]) is staticmethod


class _Made:
    def __init__(self, n: int) -> None:
        self.n = n


class _Static:
    @staticmethod
    def make(n: int) -> _Made:
        return _Made(n)


# -- uninstalling is polite: a wrapper another library put on top of ours stays -----------------
def _counting_on_top(kind: str, calls: list[int]) -> Any:
    """Wrap what ``Completions.create`` is now (tokenprint's function) the way another GenAI
    instrumentation would, counting calls; returns what is then installed."""
    import functools

    import wrapt
    from openai.resources.chat.completions import Completions

    inner = vars(Completions)["create"]
    if kind == "wrapt":

        def counting_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            calls.append(1)
            return wrapped(*args, **kwargs)

        wrapt.wrap_function_wrapper(Completions, "create", counting_wrapper)
    else:

        def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return inner(self, *args, **kwargs)

        if kind == "functools.wraps":  # copies tokenprint's mark and sets __wrapped__
            counting = functools.wraps(inner)(counting)
        Completions.create = counting  # type: ignore[method-assign]
    return vars(Completions)["create"]


def _chat(client: Any) -> Any:
    from tests.support.cassettes import use_cassette

    with use_cassette("openai", "chat_completion"):
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello World!"}]
        )


@pytest.mark.parametrize("kind", ["plain", "functools.wraps", "wrapt"])
def test_shutdown_leaves_a_wrapper_installed_on_top_and_init_again_reuses_our_layer(
    kind: str, computes: list[int]
) -> None:
    openai = pytest.importorskip("openai")
    from openai.resources.chat.completions import Completions

    from tests.support.cassettes import records

    original = vars(Completions)["create"]
    calls: list[int] = []
    EcoLogits.init(providers=["openai"])
    ours = vars(Completions)["create"]
    try:
        theirs = _counting_on_top(kind, calls)
        client = openai.OpenAI(api_key="sk-test", max_retries=0)

        EcoLogits.shutdown()
        assert vars(Completions)["create"] is theirs  # their instrumentation is not lost
        assert instrument.patched() == []
        resp = _chat(client)
        assert calls == [1]  # theirs still runs...
        assert type(resp).__name__ == "ChatCompletion"  # ...and hands back the SDK's answer
        assert resp.choices[0].message.content == "Hello! How can I help you today?"
        assert getattr(resp, "impacts", None) is None and computes == []  # ours passes through

        EcoLogits.init(providers=["openai"])
        assert vars(Completions)["create"] is theirs  # no second layer of ours on top
        assert instrument.patched().count((Completions, "create")) == 1
        with records() as seen:
            resp = _chat(client)
        assert calls == [1, 1]
        assert resp.impacts.energy.value > 0
        assert len(seen) == 1 and len(computes) == 1  # counted once
        EcoLogits.init(providers=["openai"])  # idempotent with a revived layer too
        assert instrument.patched().count((Completions, "create")) == 1

        EcoLogits.shutdown()
        assert vars(Completions)["create"] is theirs
        assert getattr(_chat(client), "impacts", None) is None
    finally:
        EcoLogits.shutdown()
        Completions.create = original  # type: ignore[method-assign]
    # once theirs is gone (the SDK's original back), the next init() patches afresh
    EcoLogits.init(providers=["openai"])
    now = vars(Completions)["create"]
    assert now is not ours and instrument.is_patched(now) and now.__wrapped__ is original
    assert _chat(openai.OpenAI(api_key="sk-test", max_retries=0)).impacts.energy.value > 0


def test_a_layer_left_beneath_another_wrapper_stays_off_when_init_names_other_providers() -> None:
    openai = pytest.importorskip("openai")
    pytest.importorskip("anthropic")
    from openai.resources.chat.completions import Completions

    original = vars(Completions)["create"]
    calls: list[int] = []
    EcoLogits.init(providers=["openai"])
    try:
        theirs = _counting_on_top("plain", calls)
        EcoLogits.shutdown()
        EcoLogits.init(providers=["anthropic"])  # openai is not asked for: ours stays idle
        resp = _chat(openai.OpenAI(api_key="sk-test", max_retries=0))
        assert calls == [1] and vars(Completions)["create"] is theirs
        assert getattr(resp, "impacts", None) is None
        assert (Completions, "create") not in instrument.patched()
    finally:
        EcoLogits.shutdown()
        Completions.create = original  # type: ignore[method-assign]


def test_a_layer_someone_took_out_before_shutdown_is_forgotten_and_patched_afresh() -> None:
    openai = pytest.importorskip("openai")
    from openai.resources.chat.completions import Completions

    original = vars(Completions)["create"]
    EcoLogits.init(providers=["openai"])
    ours = vars(Completions)["create"]
    Completions.create = original  # type: ignore[method-assign]  # e.g. a benchmark's switch
    EcoLogits.shutdown()
    assert vars(Completions)["create"] is original  # left as it was found
    EcoLogits.init(providers=["openai"])
    now = vars(Completions)["create"]
    assert now is not ours and now.__wrapped__ is original  # one fresh layer
    assert _chat(openai.OpenAI(api_key="sk-test", max_retries=0)).impacts.energy.value > 0
    EcoLogits.shutdown()
    assert vars(Completions)["create"] is original
