"""DSPy: ``dspy.LM`` with ``engine="litellm"`` sends its requests through LiteLLM, which
tokenprint counts; the default engine of DSPy releases that have lm15 uses its own HTTP client,
which tokenprint does not see: one warning says so and what to do. The real dspy package,
against a cassette and a loopback server answering like OpenAI's chat completions."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
dspy = pytest.importorskip("dspy")

from tests.support.cassettes import cassette, records  # noqa: E402
from tokenprint import EcoLogits  # noqa: E402
from tokenprint.instrument import bypass  # noqa: E402

ANSWER = {
    "id": "chatcmpl-tp0001", "object": "chat.completion", "created": 1764100000,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
}  # fmt: skip
NATIVE = bypass.LIBRARIES["dspy"][0](dspy)
"""Whether this DSPy release has the lm15 engine."""


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """An OpenAI-compatible chat endpoint on loopback: its base URL and the paths it served."""
    paths: list[str] = []
    body = json.dumps(ANSWER).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            paths.append(self.path)
            self.rfile.read(int(self.headers["content-length"]))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/v1", paths
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bypass, "_told", set())  # as in a fresh process


def test_litellm_engine_requests_are_counted_once() -> None:
    EcoLogits.init(providers=["litellm"])
    lm = dspy.LM("mistral/mistral-large-2407", api_key="k", cache=False, engine="litellm")
    with cassette("litellm", "mistral_chat"), records() as recs:
        assert lm("Say hello.") == ["Hello!"]
    u = recs.usage
    assert (u.provider, u.model, u.input_tokens, u.output_tokens) == (
        "mistralai", "mistral-large-2407", 7, 3,
    )  # fmt: skip


def test_litellm_engine_on_an_openai_compatible_server_is_counted(
    server: tuple[str, list[str]],
) -> None:
    EcoLogits.init(providers=["litellm"])
    base, paths = server
    lm = dspy.LM("openai/gpt-4o-mini", api_key="k", api_base=base, cache=False, engine="litellm")
    with records() as recs:
        assert lm("Say hello.") == ["Hello!"]
    assert paths == ["/v1/chat/completions"]
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (7, 3)


@pytest.mark.skipif(not NATIVE, reason="this DSPy release calls LiteLLM for every request")
def test_default_engine_is_not_seen_and_one_warning_says_what_to_do(
    server: tuple[str, list[str]], told: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tokenprint"):
        EcoLogits.init()  # dspy is already imported: the warning comes at init
        EcoLogits.init()
    warnings = [r.getMessage() for r in caplog.records if "DSPy" in r.getMessage()]
    assert len(warnings) == 1
    assert "engine='litellm'" in warnings[0]
    base, paths = server
    lm = dspy.LM("openai/gpt-4o-mini", api_key="k", api_base=base, cache=False)
    with records() as recs:
        assert lm("Say hello.") == ["Hello!"]
    assert paths == ["/v1/chat/completions"]  # sent, by DSPy's own client...
    assert recs == []  # ...past every SDK tokenprint patches, as the warning says


def test_no_warning_while_tokenprint_is_off(told: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tokenprint"):
        bypass._check("dspy")(dspy)
    assert not [r for r in caplog.records if "DSPy" in r.getMessage()]


@pytest.mark.skipif(not NATIVE, reason="this DSPy release calls LiteLLM for every request")
def test_dspy_imported_after_init_is_warned_about_once() -> None:
    import subprocess
    import sys

    code = (
        "import logging; logging.basicConfig(); from tokenprint import EcoLogits; "
        "EcoLogits.init(); import dspy; EcoLogits.init()"
    )
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stderr.count("DSPy is loaded") == 1
