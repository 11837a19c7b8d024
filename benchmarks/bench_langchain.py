"""What the LangChain integration adds to a model call and to a streamed chunk.

``ChatOpenAI`` (langchain-openai) on the openai SDK's real client, on the test suite's mock
transport answering from the cassettes (``tests/support/sdk_matrix.py``), with the openai SDK
instrumented in both arms; only ``BaseChatModel``'s patched methods are switched:

* **per call**: ``invoke`` with the integration's methods and with LangChain's own, back to
  back in pairs (alternating order); the median of the per-pair differences. It includes the
  estimate computed at once (the integration's subscriber waits for it); without the
  integration ``ChatOpenAI`` has it computed too, dumping the SDK's answer with its impacts;
* **per call, tracked**: the same inside ``EcoLogits.track()``, where the estimate is
  computed in both arms: the link's own work;
* **per chunk**: over pairs of ``stream`` calls of the cassette's events with ``LONG`` more
  content events, the median gap between two chunks reaching the caller, with less without.

Each figure is the median of several fresh processes' medians (``time.thread_time``).

Run: ``.venv/bin/python benchmarks/bench_langchain.py [--quick]``.
"""

from __future__ import annotations

import gc
import itertools
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _processes import in_processes  # noqa: E402
from bench_providers import LONG, _stretched  # noqa: E402

from tests.support import sdk_matrix  # noqa: E402

__all__ = ["main"]

_clock = time.thread_time


def _model(answer: str, extra: int = 0) -> Any:
    """A ChatOpenAI answering from ``cassettes/openai/<answer>.yaml``."""
    import httpx2
    from langchain_openai import ChatOpenAI

    wire = sdk_matrix.Wire(httpx2, "openai", answer)
    if extra:
        _stretched(wire, extra)
    client = httpx2.Client(transport=wire.transport())
    fields: dict[str, Any] = {"api_key": "sk-test", "max_retries": 0, "http_client": client}
    return ChatOpenAI(model="gpt-4o-mini", stream_usage=True, **fields)


def _switch(on: bool) -> None:
    from tokenprint import integrations

    for owner, attr, original, installed in integrations._patched:
        setattr(owner, attr, installed if on else original)


def child(n: int) -> dict[str, float]:
    """One process's figures (seconds)."""
    from tokenprint import EcoLogits

    EcoLogits.init(providers=["openai"])
    plain, long = _model("chat_completion"), _model("chat_stream_usage", LONG)
    ticks: list[float] = []
    gaps: tuple[list[float], list[float]] = ([], [])

    def call(on: bool) -> float:
        _switch(on)
        gc.collect()
        t = _clock()
        plain.invoke("Hello World!")
        return _clock() - t

    def paired(n: int) -> list[tuple[float, float]]:
        """(without, with) the integration, ``n`` pairs in alternating order."""
        out = []
        for i in range(n):
            first = bool(i % 2)
            a, b = call(first), call(not first)
            out.append((b, a) if first else (a, b))
        return out

    def stream(on: bool) -> None:
        _switch(on)
        ticks.clear()
        gc.collect()
        for _ in long.stream("Hello World!"):
            ticks.append(_clock())
        gaps[on].extend(b - a for a, b in itertools.pairwise(ticks))

    for _ in range(10):  # warm-up
        call(False), call(True)
    gc.freeze()
    gc.disable()
    pairs = paired(n)
    with EcoLogits.track() as tracker:
        tracked = paired(n)
    assert len(tracker) == 2 * n
    for i in range(max(10, n // 20)):
        stream(bool(i % 2))
        stream(not i % 2)
    gc.enable()
    _switch(True)
    EcoLogits.shutdown()
    return {
        "call_plain": statistics.median(p for p, _ in pairs),
        "call_added": statistics.median(on - off for off, on in pairs),
        "tracked_added": statistics.median(on - off for off, on in tracked),
        "chunk_added": statistics.median(gaps[1]) - statistics.median(gaps[0]),
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        print(json.dumps(child(int(args[1]))))
        return
    quick = "--quick" in args
    runs = in_processes(__file__, ["--child", "40" if quick else "400"], 1 if quick else 5)

    def us(key: str) -> str:
        values = [v * 1e6 for v in runs[key]]
        return f"{statistics.median(values):.1f} us ({min(values):.1f} to {max(values):.1f})"

    print("LangChain integration (ChatOpenAI on the mock transport, openai instrumented)")
    print(f"  invoke, without the integration   {us('call_plain')}")
    print(f"  added per model call              {us('call_added')}")
    print(f"  the same, inside EcoLogits.track() {us('tracked_added')}")
    print(f"  added per streamed chunk          {us('chunk_added')}")


if __name__ == "__main__":
    main()
