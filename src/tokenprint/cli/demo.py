"""``tokenprint demo``: see tokenprint work in one command, with no API key and no network.

An embedded loopback HTTP server (127.0.0.1, a free port) answers like the OpenAI and
Anthropic APIs (chat, plain and streamed, with realistic bodies and token counts). The
*real* installed ``openai`` and ``anthropic`` clients are pointed at it, tokenprint
instruments them with ``EcoLogits.init()``, and the command prints each request's impacts
and the totals. Estimates use each provider's catalogued data-centre profile (the answers
come from the loopback server, the footprint is that of the real service).

``--live`` sends the same requests to the real APIs for each of ``OPENAI_API_KEY`` and
``ANTHROPIC_API_KEY`` that is set. An SDK that is not installed is skipped with a note.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

from tokenprint.cli._table import fmt_range, table
from tokenprint.records import RequestRecord

__all__ = ["SUBCOMMANDS", "DemoServer", "Scenario", "run_demo"]

PROMPT = "In two sentences, why does the energy use of an LLM request depend on its length?"
REPLY = (
    "Each generated token needs one forward pass through the whole model, so the energy "
    "grows with the number of output tokens. Longer prompts also cost more, because the "
    "model must read every input token before it can answer."
)


def _tokens(text: str) -> list[str]:
    """Split a reply into token-sized pieces (words with their leading space)."""
    words = text.split(" ")
    return [words[0], *(" " + w for w in words[1:])]


def _prompt_tokens(messages: Any) -> int:
    """About 4 characters per token plus a few per message, like the APIs count them."""
    chars = 0
    n = 0
    for m in messages if isinstance(messages, list) else []:
        n += 1
        content = m.get("content", "") if isinstance(m, dict) else ""
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        chars += len(str(content))
    return max(1, round(chars / 4)) + 4 * n


def _sse(events: list[tuple[str | None, dict[str, Any] | str]]) -> bytes:
    out = []
    for name, data in events:
        payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        out.append((f"event: {name}\n" if name else "") + f"data: {payload}\n\n")
    return "".join(out).encode()


def openai_chat(body: dict[str, Any], n: int) -> tuple[str, bytes]:
    """(content type, body) of an OpenAI ``/v1/chat/completions`` answer."""
    model = str(body.get("model", "gpt-4o-mini"))
    pieces = _tokens(REPLY)
    prompt = _prompt_tokens(body.get("messages"))
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": len(pieces),
        "total_tokens": prompt + len(pieces),
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    base = {"id": f"chatcmpl-demo{n}", "created": int(time.time()), "model": model}
    base["system_fingerprint"] = "fp_tokenprint_demo"
    if not body.get("stream"):
        message = {"role": "assistant", "content": REPLY, "refusal": None}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
        doc = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
        return "application/json", json.dumps(doc).encode()
    chunk = {**base, "object": "chat.completion.chunk"}
    events: list[tuple[str | None, dict[str, Any] | str]] = []
    for i, piece in enumerate(["", *pieces]):
        delta = {"role": "assistant", "content": ""} if i == 0 else {"content": piece}
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}
        events.append((None, {**chunk, "choices": [choice], "usage": None}))
    end = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    events.append((None, {**chunk, "choices": [end], "usage": None}))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append((None, {**chunk, "choices": [], "usage": usage}))
    events.append((None, "[DONE]"))
    return "text/event-stream", _sse(events)


def anthropic_messages(body: dict[str, Any], n: int) -> tuple[str, bytes]:
    """(content type, body) of an Anthropic ``/v1/messages`` answer."""
    model = str(body.get("model", "claude-3-5-haiku-latest"))
    pieces = _tokens(REPLY)
    usage = {
        "input_tokens": _prompt_tokens(body.get("messages")),
        "output_tokens": len(pieces),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    message = {
        "id": f"msg_demo{n}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "stop_sequence": None,
    }
    if not body.get("stream"):
        doc = {
            **message,
            "content": [{"type": "text", "text": REPLY}],
            "stop_reason": "end_turn",
            "usage": usage,
        }
        return "application/json", json.dumps(doc).encode()
    start_usage = {**usage, "output_tokens": 1}
    text_block = {"type": "text", "text": ""}
    events: list[tuple[str | None, dict[str, Any] | str]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {**message, "content": [], "stop_reason": None, "usage": start_usage},
            },
        ),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": text_block},
        ),
        ("ping", {"type": "ping"}),
    ]
    for piece in pieces:
        delta = {"type": "text_delta", "text": piece}
        events.append(
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(pieces)},  # cumulative, as the API sends it
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return "text/event-stream", _sse(events)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counter = 0

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        type(self).counter += 1
        path = self.path.split("?", 1)[0].rstrip("/")
        if path.endswith("/chat/completions"):
            ctype, data = openai_chat(body, self.counter)
        elif path.endswith("/messages"):
            ctype, data = anthropic_messages(body, self.counter)
        else:
            ctype, data = "application/json", b'{"error": {"message": "not found"}}'
            self.send_response(404)
        if path.endswith(("/chat/completions", "/messages")):
            self.send_response(200)
            self.send_header("request-id", f"req_demo{self.counter}")
            self.send_header("x-request-id", f"req_demo{self.counter}")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Silent: the demo prints its own table."""


class DemoServer:
    """The loopback server, as a context manager: ``with DemoServer() as url: ...``."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Scenario(NamedTuple):
    """One demo request: what it shows, which SDK, which model, how to send it."""

    name: str
    provider: str
    model: str
    send: Callable[[Any, str], Any]
    """``send(client, model)``: make the request and read it to the end."""


MESSAGES = [{"role": "user", "content": PROMPT}]


def _openai_plain(client: Any, model: str) -> Any:
    return client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=120)


def _openai_stream(client: Any, model: str) -> Any:
    stream = client.chat.completions.create(
        model=model,
        messages=MESSAGES,
        max_tokens=120,
        stream=True,
        stream_options={"include_usage": True},
    )
    with stream:
        for _ in stream:
            pass
    return stream


def _anthropic_plain(client: Any, model: str) -> Any:
    return client.messages.create(model=model, messages=MESSAGES, max_tokens=120)


def _anthropic_stream(client: Any, model: str) -> Any:
    stream = client.messages.create(model=model, messages=MESSAGES, max_tokens=120, stream=True)
    with stream:
        for _ in stream:
            pass
    return stream


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("openai chat", "openai", "gpt-4o-mini", _openai_plain),
    Scenario("openai chat, streamed", "openai", "gpt-4o", _openai_stream),
    Scenario("anthropic messages", "anthropic", "claude-haiku-4-5", _anthropic_plain),
    Scenario("anthropic messages, streamed", "anthropic", "claude-sonnet-4", _anthropic_stream),
)
KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def _client(provider: str, base_url: str | None) -> Any:
    """The real SDK client: pointed at the loopback server, or the real API (live)."""
    if provider == "openai":
        import openai

        if base_url is None:
            return openai.OpenAI(max_retries=1)
        return openai.OpenAI(base_url=base_url + "/v1", api_key="demo-key", max_retries=0)
    import anthropic

    if base_url is None:
        return anthropic.Anthropic(max_retries=1)
    return anthropic.Anthropic(base_url=base_url, api_key="demo-key", max_retries=0)


class Result(NamedTuple):
    scenario: Scenario
    records: list[RequestRecord]
    attached: bool
    """True when the SDK's own response object carries ``impacts``."""


def run_demo(live: bool = False, note: Callable[[str], None] = print) -> list[Result]:
    """Run every scenario whose SDK is installed (and, live, whose key is set)."""
    from tokenprint import EcoLogits

    providers = []
    for p in ("openai", "anthropic"):
        if importlib.util.find_spec(p) is None:
            note(f"note: the {p} SDK is not installed, skipped (pip install 'tokenprint[{p}]')")
        elif live and not os.environ.get(KEYS[p]):
            note(f"note: {KEYS[p]} is not set, {p} skipped")
        else:
            providers.append(p)
    results: list[Result] = []
    if not providers:
        return results
    records: list[RequestRecord] = []
    EcoLogits.init(providers=providers, exporters=[records.append])
    try:
        server: Any = contextlib.nullcontext(None) if live else DemoServer()
        with server as base_url:
            clients = {p: _client(p, base_url) for p in providers}
            for sc in SCENARIOS:
                if sc.provider not in clients:
                    continue
                start = len(records)
                # the loopback host would count as self-hosted: estimate as the real service
                site = EcoLogits.site(datacenter=sc.provider) if base_url else None
                with site or contextlib.nullcontext():
                    response = sc.send(clients[sc.provider], sc.model)
                attached = getattr(response, "impacts", None) is not None
                results.append(Result(sc, records[start:], attached))
    finally:
        EcoLogits.shutdown()
    return results


def render(results: list[Result]) -> str:
    """A row per request, then the totals (Wh, mgCO2eq, mL; low–high ranges)."""
    from tokenprint.impacts.results import Impacts

    def cells(impacts: Impacts) -> list[str]:
        out = []
        for name, k in (("energy", 1e3), ("gwp", 1e6), ("wcf", 1e3)):
            x = impacts.criterion(name)
            out.append("n/a" if x is None else fmt_range(x.min * k, x.max * k))
        return out

    rows: list[list[str]] = []
    every: list[Impacts] = []
    for res in results:
        if not res.records:
            rows.append([res.scenario.name, res.scenario.model, "", "", "no impacts recorded"])
            continue
        for rec in res.records:
            u, b = rec.usage, rec.impacts.basis
            every.append(rec.impacts)
            rows.append(
                [
                    res.scenario.name,
                    u.model or "?",
                    f"{b.datacenter} ({b.zone})",
                    f"{u.input_tokens}/{u.output_tokens}",
                    *cells(rec.impacts),
                ]
            )
    if every:
        total = Impacts.sum(every)
        rows.append(["total", f"({len(every)} requests)", "", "", *cells(total)])
    heads = [
        "request",
        "model",
        "estimated as",
        "tokens in/out",
        "energy (Wh)",
        "gwp (mgCO2eq)",
        "water (mL)",
    ]
    return table(heads, rows)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--live",
        action="store_true",
        help="call the real APIs (needs OPENAI_API_KEY and/or ANTHROPIC_API_KEY)",
    )


def run(args: argparse.Namespace) -> int:
    where = "the real APIs" if args.live else "a loopback server answering like the APIs"
    print(f"tokenprint demo: real openai/anthropic SDK clients, instrumented, talking to {where}.")
    t0 = time.perf_counter()
    results = run_demo(live=args.live)
    if not results:
        print("nothing to run: install an SDK (pip install 'tokenprint[openai,anthropic]')")
        return 1
    print()
    print(render(results))
    print()
    attached = sum(r.attached for r in results)
    print(
        f"{attached} of {len(results)} SDK responses carry `.impacts` "
        f"(e.g. response.impacts.gwp); ranges are low – high; {time.perf_counter() - t0:.1f} s."
    )
    if not args.live:
        print("Estimates use each provider's data-centre profile; no network, no API key used.")
    ok = all(r.records for r in results)
    return 0 if ok else 1


SUBCOMMANDS = [
    (
        "demo",
        "run the real OpenAI/Anthropic clients against a built-in loopback API and show impacts",
        add_arguments,
        run,
    )
]
