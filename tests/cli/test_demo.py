"""``tokenprint demo``: real SDK clients against the embedded loopback API, offline."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tokenprint.cli import demo

pytest.importorskip("openai")
pytest.importorskip("anthropic")


def _offline_env() -> dict[str, str]:
    """No API keys; any request leaving the machine goes to a closed port and fails."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")}
    env.update(
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        ALL_PROXY="http://127.0.0.1:9",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def test_demo_command_runs_offline_and_prints_the_table(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tokenprint", "demo"],
        capture_output=True,
        text=True,
        env=_offline_env(),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("request ") and "gwp (mgCO2eq)" in line for line in lines)
    for name in (
        "openai chat ",
        "openai chat, streamed",
        "anthropic messages ",
        "anthropic messages, streamed",
    ):
        assert any(line.startswith(name) for line in lines), name
    total = next(line for line in lines if line.startswith("total"))
    assert "4 requests" in total and " – " in total
    assert "4 of 4 SDK responses carry `.impacts`" in out.stdout
    assert "internal error" not in out.stderr


def test_each_scenario_records_the_servers_token_counts() -> None:
    results = demo.run_demo()
    assert [r.scenario.name for r in results] == [s.name for s in demo.SCENARIOS]
    reply_tokens = len(demo._tokens(demo.REPLY))
    for res in results:
        (record,) = res.records
        assert res.attached, res.scenario.name
        assert record.usage.output_tokens == reply_tokens, res.scenario.name
        assert record.usage.input_tokens > 0
        assert record.usage.model == res.scenario.model
        assert record.impacts.basis.datacenter == res.scenario.provider  # not "self-hosted"
        assert record.impacts.errors == []


def test_missing_sdk_is_skipped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "anthropic" else real(name, *a),
    )
    notes: list[str] = []
    results = demo.run_demo(note=notes.append)
    assert {r.scenario.provider for r in results} == {"openai"}
    assert notes == [
        "note: the anthropic SDK is not installed, skipped (pip install 'tokenprint[anthropic]')"
    ]


def test_live_without_keys_runs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    notes: list[str] = []
    assert demo.run_demo(live=True, note=notes.append) == []
    assert notes == [
        "note: OPENAI_API_KEY is not set, openai skipped",
        "note: ANTHROPIC_API_KEY is not set, anthropic skipped",
    ]


def test_openai_stream_without_include_usage_sends_no_usage_chunk() -> None:
    _, body = demo.openai_chat({"model": "gpt-4o", "messages": [], "stream": True}, 1)
    assert b'"usage":{' not in body and body.endswith(b"data: [DONE]\n\n")
