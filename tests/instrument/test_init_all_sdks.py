"""EcoLogits.init() with every SDK: never raises; an SDK that is missing, or installed at an
unsupported version, is skipped with one warning."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tokenprint import EcoLogits, instrument
from tokenprint.instrument import SDKS

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # litellm: no network at import

SRC = Path(__file__).resolve().parents[2] / "src"
ADAPTED = ("mistralai", "cohere", "huggingface_hub", "google_genai", "litellm", "bedrock")
"""The SDKs of the adapters tested here (openai/anthropic: test_instrument_init.py)."""

EXPECTED = {
    "mistralai": (
        "Chat.complete", "Chat.stream_async", "Chat.parse", "Fim.complete", "Agents.stream",
    ),
    "cohere": (
        "BaseCohere.chat", "AsyncBaseCohere.chat_stream", "V2Client.chat",
        "AsyncV2Client.chat_stream",
    ),
    "huggingface_hub": ("InferenceClient.chat_completion", "AsyncInferenceClient.text_generation"),
    "google_genai": (
        "Models.generate_content", "Models._generate_content",
        "AsyncModels.generate_content_stream",
    ),
    "litellm": ("litellm.completion", "litellm.acompletion"),
    "bedrock": ("BaseClient._make_api_call",),
}  # fmt: skip


def _installed(name: str) -> bool:
    try:
        importlib.import_module(SDKS[name].module)
    except ImportError:
        return False
    return True


def _import_targets(name: str) -> None:
    """Import every module an adapter targets (what using the SDK would import)."""
    for adapter in SDKS[name].adapters:
        for target in getattr(importlib.import_module(adapter), "TARGETS", ()):
            with contextlib.suppress(ImportError):  # the other layout (mistralai 1.x vs 3.x)
                importlib.import_module(target.module)


def _patched_names() -> set[str]:
    return {f"{getattr(owner, '__name__', owner)}.{attr}" for owner, attr in instrument.patched()}


def test_init_with_every_sdk_installed_never_raises_and_patches_each_adapter() -> None:
    present = [name for name in SDKS if _installed(name)]
    EcoLogits.init()
    for name in present:
        _import_targets(name)
    assert set(instrument.installed()) == set(present)
    names = _patched_names()
    for name in ADAPTED:
        if name not in present:
            continue
        for expected in EXPECTED[name]:
            if expected == "Chat.parse" and not hasattr(_chat_class(), "parse"):
                continue  # mistralai 1.0 has no parse
            if expected.startswith(("V2Client", "AsyncV2Client")) and not _has_cohere_v2():
                continue
            assert expected in names, (name, expected)


def _chat_class() -> Any:
    try:
        return importlib.import_module("mistralai.client.chat").Chat
    except ImportError:
        return importlib.import_module("mistralai.chat").Chat


def _has_cohere_v2() -> bool:
    try:
        importlib.import_module("cohere.v2.client")
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("name", ADAPTED)
def test_sdk_at_an_unsupported_version_is_skipped_with_one_warning(
    name: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if not _installed(name):
        pytest.skip(f"{name} not installed")
    real = instrument._version
    monkeypatch.setattr(
        instrument,
        "_version",
        lambda sdk, module: "0.0.1" if sdk is SDKS[name] else real(sdk, module),
    )
    monkeypatch.setattr(instrument, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="tokenprint"):
        EcoLogits.init(providers=[name])
        EcoLogits.shutdown()
        EcoLogits.init(providers=[name])
    messages = [r.getMessage() for r in caplog.records]
    assert [m for m in messages if "outside the supported range" in m] == [
        f"tokenprint: {SDKS[name].distribution} 0.0.1 is outside the supported range "
        f"(>={SDKS[name].minimum}, <{SDKS[name].below}); it is not instrumented"
    ]
    assert name not in instrument.installed()
    assert instrument.patched() == []


def test_missing_sdks_are_skipped_with_one_warning_each() -> None:
    """In a fresh interpreter where importing the SDKs fails (a meta path finder blocks them),
    init() names them, warns once per SDK however often it runs, and never raises."""
    blocked = [SDKS[name].module for name in ADAPTED]
    code = f"""
        import importlib.abc, logging, sys

        BLOCKED = {blocked!r}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, Block())
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        from tokenprint import EcoLogits

        EcoLogits.init()  # all SDKs: the missing ones are silently left out
        print("all ok", flush=True)
        for _ in range(2):
            EcoLogits.init(providers={list(ADAPTED)!r})
            EcoLogits.shutdown()
        try:
            import mistralai
        except ImportError:
            print("still not importable", flush=True)
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["PYTHONPATH"] = str(SRC)
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["all ok", "still not importable"]
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("tokenprint:")]
    assert sorted(warnings) == sorted(
        f"tokenprint: {SDKS[name].distribution} is not installed; it is not instrumented"
        for name in ADAPTED
    )
