"""Overhead of the instrumentation on an OpenAI client with a mock transport.

Prints a table:
* per call, end to end: ``chat.completions.create`` instrumented vs not (the original
  method), called back to back in pairs, in alternating order; the median of the per-pair
  differences, in each of several fresh processes (target: <= 30 us added); and the same
  with ``response.impacts.gwp`` read after the instrumented call (impacts are computed on
  first read when no tracker, budget or exporter is active);
* per streamed chunk, end to end: the same for a short and a long stream; the slope
  between them (target: <= 2 us per chunk);
* tokenprint's own work per call without the SDK's: the core's wrapper around a method
  that returns a ready answer, timed right after a real SDK call (**cold**: the caches as
  the SDK leaves them, as in an application) and in a hot loop (everything cached: about a
  third of the cold figure, which is why the hot figure alone understates the cost);
* the stream tap alone over ready chunks (hot loop);
* ``EcoLogits.init()`` with openai and anthropic already imported, in a fresh interpreter
  (first init, tokenprint's own lazy imports included; and a re-init) (target: <= 30 ms).

Times are CPU time of the measuring thread (``time.thread_time``; ``time.process_time``
for init), so that other processes competing for the cores do not inflate them.

Run: ``.venv/bin/python benchmarks/bench_instrument.py [--quick]``
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _processes import in_processes

ROOT = Path(__file__).resolve().parents[1]

CHAT = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1764100000,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help you today?"},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
}


def _chunk(content: str | None, usage: dict[str, int] | None = None) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1764100000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": []
        if content is None
        else [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }
    if usage is not None:
        body["usage"] = usage
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def _sse(n: int) -> bytes:
    usage = {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": 12 + n}
    return b"".join(_chunk(" tok") for _ in range(n)) + _chunk(None, usage) + b"data: [DONE]\n\n"


def _client() -> Any:
    import httpx2
    import openai

    body = json.dumps(CHAT).encode()
    streams = {n: _sse(n) for n in (10, 410)}

    def handler(request: Any) -> Any:
        payload = json.loads(request.content)
        if payload.get("stream"):
            n = int(payload["messages"][0]["content"])
            return httpx2.Response(
                200, content=streams[n], headers={"content-type": "text/event-stream"}
            )
        return httpx2.Response(200, content=body, headers={"content-type": "application/json"})

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return openai.OpenAI(api_key="sk-bench", http_client=http, max_retries=0)


def _paired(kind: str, n: int, read: bool = False, **kwargs: Any) -> list[tuple[float, float]]:
    """``n`` pairs (plain, instrumented) of one ``create(**kwargs)`` (streams: read to the
    end): the original method and the instrumented one called back to back, in alternating
    order, so that load and drift hit both calls of a pair alike. ``read``: the timed
    instrumented call also reads ``response.impacts.gwp`` (computed on that first read)."""
    from openai.resources.chat import Completions

    from tokenprint import EcoLogits

    client = _client()
    resource = client.chat.completions
    EcoLogits.init(providers=["openai"])
    original = vars(Completions)["create"].__wrapped__  # the method as the SDK defines it

    def run(fn: Callable[..., Any], *args: Any) -> float:
        t = clock()
        result = fn(*args, model="gpt-4o-mini", **kwargs)
        if kind == "stream":
            for _ in result:
                pass
        if read and not args:  # the instrumented call
            result.impacts.gwp  # noqa: B018
        return clock() - t

    clock = time.thread_time
    pairs = []
    for i in range(n + 20):
        if i % 2:
            plain = run(original, resource)
            inst = run(resource.create)
        else:
            inst = run(resource.create)
            plain = run(original, resource)
        if i >= 20:  # the first calls warm caches up
            pairs.append((plain, inst))
    EcoLogits.shutdown()
    return pairs


def _added(pairs: list[tuple[float, float]]) -> float:
    """Median of the per-pair differences (instrumented - plain), in us."""
    return statistics.median(inst - plain for plain, inst in pairs) * 1e6


def _plain(pairs: list[tuple[float, float]]) -> float:
    return statistics.median(plain for plain, _ in pairs) * 1e6


def e2e(n: int) -> dict[str, float]:
    """One process's end-to-end figures (us): per call, and per chunk (slope between a
    stream of 10 chunks and one of 410)."""
    msgs = [{"role": "user", "content": "Hello World!"}]
    call = _paired("call", n, messages=msgs)
    call_read = _paired("call", n // 2, read=True, messages=msgs)
    stream: dict[str, Any] = {"stream": True, "stream_options": {"include_usage": True}}
    m = max(20, n // 20)
    short = _paired("stream", m, messages=[{"role": "user", "content": "10"}], **stream)
    long = _paired("stream", m, messages=[{"role": "user", "content": "410"}], **stream)
    return {
        "call_plain": _plain(call),
        "call_added": _added(call),
        "call_read_added": _added(call_read),
        "short_plain": _plain(short),
        "long_plain": _plain(long),
        "chunk_added": (_added(long) - _added(short)) / 400,
    }


def bench_e2e(processes: int, n: int) -> dict[str, list[float]]:
    """``e2e(n)`` in ``processes`` fresh interpreters."""
    return in_processes(__file__, ["--e2e-child", str(n)], processes)


def bench_cold(n: int) -> tuple[float, float]:
    """tokenprint's work alone, with the caches as an SDK call leaves them: the core's
    wrapper around a method that returns the answer of a real (uninstrumented) call made
    just before; vs the same method unwrapped. (us added: median, hot loop)"""
    import timeit

    from openai.resources.chat import Completions

    from tokenprint import EcoLogits
    from tokenprint.instrument import core
    from tokenprint.instrument.providers import openai_chat as adapter

    client = _client()
    resource = client.chat.completions
    original: Any = Completions.create  # before init(): the SDK's own method
    wrapper = core.make_wrapper(adapter.TARGETS[0], False)
    kwargs = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    EcoLogits.init(providers=["openai"])
    clock = time.thread_time
    plain: list[float] = []
    inst: list[float] = []
    answer: Any = None

    def sdk(**kw: Any) -> Any:
        return answer

    for i in range(2 * n):
        answer = original(resource, **kwargs)  # the SDK's work, untimed: caches as it leaves them
        if i % 2:
            t = clock()
            sdk(**kwargs)
            plain.append(clock() - t)
        else:
            t = clock()
            wrapper(sdk, resource, (), kwargs)
            inst.append(clock() - t)
    hot = min(timeit.repeat(lambda: wrapper(sdk, resource, (), kwargs), number=n, repeat=5))
    hot_plain = min(timeit.repeat(lambda: sdk(**kwargs), number=n, repeat=5))
    EcoLogits.shutdown()
    cold = (statistics.median(inst) - statistics.median(plain)) * 1e6
    return cold, (hot - hot_plain) / n * 1e6


def bench_tap(n: int) -> float:
    """The stream tap alone over ``n`` ready chunks: us added per chunk (hot loop)."""
    import timeit

    from openai.types.chat import ChatCompletionChunk

    from tokenprint import EcoLogits, events
    from tokenprint.instrument import account, contract, streams
    from tokenprint.instrument.providers import openai_chat as adapter

    resource = _client().chat.completions
    kwargs = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    EcoLogits.init(providers=["openai"])
    rt = events.current()
    assert rt is not None
    chunk = ChatCompletionChunk.model_validate(json.loads(_chunk(" tok")[6:]))
    chunks = [chunk] * n
    target = adapter.TARGETS[0]
    assert isinstance(target, contract.Target)
    call = contract.Call(target, resource, (), kwargs)

    def tapped() -> None:
        tap = streams.Tap(account.Scene(rt), call, adapter.ChatStream(call, None))
        for _ in streams._iter(tap, iter(chunks)):
            pass

    def untapped() -> None:
        for _ in iter(chunks):
            pass

    clock = time.thread_time
    t_tap = min(timeit.repeat(tapped, number=1, repeat=5, timer=clock))
    t_plain = min(timeit.repeat(untapped, number=1, repeat=5, timer=clock))
    EcoLogits.shutdown()
    return (t_tap - t_plain) / n * 1e6


INIT = """
import time, statistics
import openai, anthropic
client = openai.OpenAI(api_key="k")
client.chat.completions, client.responses  # the resources an application would use
anthropic.Anthropic(api_key="k").messages
from tokenprint import EcoLogits
clock = time.process_time
t = clock(); EcoLogits.init(); first = clock() - t
again = []
for _ in range(20):
    EcoLogits.shutdown()
    t = clock(); EcoLogits.init(); again.append(clock() - t)
print(first * 1e3, statistics.median(again) * 1e3)
"""


def bench_init(runs: int) -> tuple[float, float]:
    """Fresh interpreters with bytecode caches allowed (as for an installed package: pip
    compiles on install), in a private prefix; the first run only warms that cache."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as pyc:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = pyc
        firsts, agains = [], []
        for i in range(runs + 1):
            out = subprocess.run(
                [sys.executable, "-c", textwrap.dedent(INIT)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env=env,
            ).stdout.split()
            if i:
                firsts.append(float(out[0]))
                agains.append(float(out[1]))
    return statistics.median(firsts), statistics.median(agains)


def main() -> None:
    if "--e2e-child" in sys.argv:
        print(json.dumps(e2e(int(sys.argv[sys.argv.index("--e2e-child") + 1]))))
        return
    quick = "--quick" in sys.argv
    processes, n = (2, 300) if quick else (7, 3000)
    runs = bench_e2e(processes, n)
    cold, hot = bench_cold(500 if quick else 3000)
    first, again = bench_init(3 if quick else 5)
    tap = bench_tap(2000 if quick else 20000)

    def spread(key: str, digits: int = 1) -> str:
        v = runs[key]
        return (
            f"{statistics.median(v):9.{digits}f} us  "
            f"({min(v):.{digits}f} to {max(v):.{digits}f} over {len(v)} processes)"
        )

    rows = [
        ("chat.completions.create, not instrumented", spread("call_plain", 0)),
        ("  added per call, end to end (target <= 30 us)", spread("call_added")),
        ("  the same, reading response.impacts.gwp", spread("call_read_added")),
        ("stream of 10 chunks, not instrumented", spread("short_plain", 0)),
        ("stream of 410 chunks, not instrumented", spread("long_plain", 0)),
        ("  added per chunk, end to end (target <= 2 us)", spread("chunk_added", 2)),
        ("tokenprint alone per call, after an SDK call (cold)", f"{cold:9.1f} us"),
        ("tokenprint alone per call, hot loop", f"{hot:9.1f} us"),
        ("stream tap per ready chunk, hot loop", f"{tap:9.2f} us"),
        ("EcoLogits.init(), SDKs imported, first (target <= 30 ms)", f"{first:9.1f} ms"),
        ("EcoLogits.init() again after shutdown()", f"{again:9.1f} ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  value")
    print("-" * (width + 20))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        "End to end: median over pairs of calls (plain, instrumented) made back to back in "
        "alternating order, in each of several fresh processes; the first figure is the "
        "median of the processes' medians."
    )


if __name__ == "__main__":
    main()
