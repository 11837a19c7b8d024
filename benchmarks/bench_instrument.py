"""Overhead of the instrumentation on an OpenAI client with a mock transport.

Prints a table:
* per call: ``chat.completions.create`` instrumented vs not (the original method, called
  in turn with the instrumented one in the same process), median of many calls (target:
  <= 30 us added);
* per streamed chunk: the slope between a short and a long stream, instrumented vs not
  (target: <= 2 us per chunk);
* the same two costs isolated from the SDK's own work (the wrapper around a method that
  returns a ready response; the tap over ready chunks), which noise cannot hide;
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


def _interleaved(kind: str, rounds: int, n: int, **kwargs: Any) -> tuple[float, float]:
    """Time (10th percentile) of one ``create(**kwargs)`` (streams: read to the end) through the
    original method and through the instrumented one, the two called in turn, so that load
    and drift hit both alike."""
    from openai.resources.chat import Completions

    from tokenprint import EcoLogits

    client = _client()
    resource = client.chat.completions
    EcoLogits.init(providers=["openai"])
    original = vars(Completions)["create"].__wrapped__  # the method as the SDK defines it

    def run(fn: Callable[..., Any], *args: Any) -> None:
        result = fn(*args, model="gpt-4o-mini", **kwargs)
        if kind == "stream":
            for _ in result:
                pass

    plain: list[float] = []
    inst: list[float] = []
    clock = time.thread_time
    for i in range(rounds * n + 20):
        order = ((plain, original, resource), (inst, resource.create))
        for times, fn, *args in order if i % 2 else order[::-1]:
            t = clock()
            run(fn, *args)
            if i >= 20:  # the first calls warm caches up
                times.append(clock() - t)
    EcoLogits.shutdown()
    return _low(plain) * 1e6, _low(inst) * 1e6


def _low(times: list[float]) -> float:
    """The 10th percentile: the cost of a call that the shared machine did not disturb much
    (medians move by more than the effect measured when other processes compete)."""
    return statistics.quantiles(times, n=10)[0]


def bench_call(rounds: int, n: int) -> tuple[float, float]:
    msgs = [{"role": "user", "content": "Hello World!"}]
    return _interleaved("call", rounds, n, messages=msgs)


def bench_stream(rounds: int, n: int) -> tuple[float, float, float, float]:
    def sized(size: int) -> tuple[float, float]:
        msgs = [{"role": "user", "content": str(size)}]
        return _interleaved(
            "stream",
            rounds,
            n,
            messages=msgs,
            stream=True,
            stream_options={"include_usage": True},
        )

    short, long = sized(10), sized(410)
    return short[0], short[1], long[0], long[1]


def bench_isolated(n: int) -> tuple[float, float]:
    """The instrumentation alone, without the SDK's own work: the wrapper around a method
    that returns a ready ChatCompletion, and the stream tap over ready chunks."""
    import timeit

    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    from tokenprint import EcoLogits, runtime
    from tokenprint.instrument import core
    from tokenprint.instrument.providers import openai as adapter

    client = _client()
    resource = client.chat.completions
    resp = ChatCompletion.model_validate(CHAT)
    target = adapter.TARGETS[0]
    wrapper = core.make_wrapper(target, False)
    kwargs = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}

    def sdk(**kw: Any) -> Any:
        return resp

    EcoLogits.init(providers=["openai"])
    rt = runtime.current()
    assert rt is not None
    clock = time.thread_time
    plain = min(timeit.repeat(lambda: sdk(**kwargs), number=n, repeat=5, timer=clock))
    inst = min(
        timeit.repeat(lambda: wrapper(sdk, resource, (), kwargs), number=n, repeat=5, timer=clock)
    )
    chunk = ChatCompletionChunk.model_validate(json.loads(_chunk(" tok")[6:]))
    chunks = [chunk] * n
    call = core.Call(target, resource, (), kwargs)

    def tapped() -> None:
        tap = core._Tap(rt, call, adapter.ChatStream(call, None))
        for _ in core._iter(tap, iter(chunks)):
            pass

    def untapped() -> None:
        for _ in iter(chunks):
            pass

    t_tap = min(timeit.repeat(tapped, number=1, repeat=5, timer=clock))
    t_plain = min(timeit.repeat(untapped, number=1, repeat=5, timer=clock))
    EcoLogits.shutdown()
    return (inst - plain) / n * 1e6, (t_tap - t_plain) / n * 1e6


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
    quick = "--quick" in sys.argv
    rounds, n = (3, 200) if quick else (7, 1000)
    plain, inst = bench_call(rounds, n)
    s_plain, s_inst, l_plain, l_inst = bench_stream(rounds, max(20, n // 20))
    per_chunk = ((l_inst - s_inst) - (l_plain - s_plain)) / 400
    first, again = bench_init(3 if quick else 5)
    iso_call, iso_chunk = bench_isolated(2000 if quick else 20000)
    rows = [
        ("chat.completions.create, not instrumented", f"{plain:9.1f} us"),
        ("chat.completions.create, instrumented", f"{inst:9.1f} us"),
        ("  added per call (target <= 30 us)", f"{inst - plain:9.1f} us"),
        ("stream of 10 chunks, not / instrumented", f"{s_plain:7.0f} / {s_inst:7.0f} us"),
        ("stream of 410 chunks, not / instrumented", f"{l_plain:7.0f} / {l_inst:7.0f} us"),
        ("  added per chunk (target <= 2 us)", f"{per_chunk:9.2f} us"),
        ("isolated: wrapper around a ready response", f"{iso_call:9.1f} us"),
        ("isolated: stream tap per ready chunk", f"{iso_chunk:9.2f} us"),
        ("EcoLogits.init(), SDKs imported, first (target <= 30 ms)", f"{first:9.1f} ms"),
        ("EcoLogits.init() again after shutdown()", f"{again:9.1f} ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  value")
    print("-" * (width + 20))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
