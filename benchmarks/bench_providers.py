"""Overhead of the instrumentation for every adapter, and memory over 100,000 calls.

For each provider with an adapter in place (the scenarios of ``tests/mock_sdks.py``: the
real SDK client on a mock transport answering from our cassettes), prints:

* **per call, end to end**: the SDK's chat call with its original methods and with
  tokenprint's wrappers, back to back in pairs (alternating order); the median of the
  per-pair differences (target: <= 30 us added);
* **per chunk, end to end**: the slope of that difference between a stream of the
  cassette's events and one with ``LONG`` more content events (target: <= 2 us);
* **alone, cold**: tokenprint's work per call without the SDK's: the core's wrapper (with
  the provider's real target, resource object and answer, captured from a real call) around
  a method that returns the ready answer, each call timed right after a real uninstrumented
  SDK call, i.e. with the caches as the SDK leaves them (median; the figure to hold against
  the 30 us target: it is what an application pays, without the SDK's noise);
* **alone, hot**: the same wrapper in a tight loop (everything cached: about a third of the
  cold figure), and the stream tap over the ready chunk objects;
* **memory**: ``tracemalloc`` over 100,000 instrumented calls through that wrapper: memory
  held after 10,000 calls and after 100,000 (flat: no growth per call).

Times are ``time.thread_time`` (other processes on a shared machine do not inflate them).

Run: ``.venv/bin/python benchmarks/bench_providers.py [--quick] [provider ...]``
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import statistics
import sys
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import mock_sdks  # noqa: E402  (the scenarios live with the tests)

__all__ = ["main"]

LONG = 400
"""Content events added to the long stream."""
_clock = time.thread_time


class Captured(NamedTuple):
    """One real instrumented call, as the core saw it."""

    target: Any
    instance: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    result: Any
    chunks: list[Any]


def capture(provider: mock_sdks.Provider, shape: mock_sdks.Shape) -> Captured:
    """Run ``shape`` instrumented once and keep what the core received (the answer, or the
    stream's chunk objects)."""
    from tokenprint import EcoLogits
    from tokenprint.instrument import core

    seen: list[Any] = []
    chunks: list[Any] = []
    handle, tap_init = core._handle, core._Tap.__init__

    def spy(rt: Any, call: Any, result: Any) -> Any:
        if call.target.follow is None and not seen:
            seen.append((call, result))
        return handle(rt, call, result)

    class Recording(core.Accumulator):
        """The adapter's accumulator, with every chunk it is fed kept."""

        __slots__ = ("inner",)

        def __init__(self, inner: core.Accumulator) -> None:
            super().__init__(inner.call, inner.stream)
            self.inner = inner

        def add(self, chunk: Any) -> bool:
            chunks.append(chunk)
            return self.inner.add(chunk)

        def usage(self) -> Any:
            return self.inner.usage()

        def extra(self) -> Any:
            return self.inner.extra()

    def spy_init(self: Any, rt: Any, call: Any, acc: Any) -> None:
        tap_init(self, rt, call, Recording(acc))

    core._handle = spy  # type: ignore[assignment]
    core._Tap.__init__ = spy_init  # type: ignore[method-assign]
    try:
        EcoLogits.init(providers=[provider.name])
        out = mock_sdks.run_shape(provider, shape)
        assert out.error is None, out.error
    finally:
        core._handle = handle  # type: ignore[assignment]
        core._Tap.__init__ = tap_init  # type: ignore[method-assign]
        EcoLogits.shutdown()
    call, result = seen[0]
    return Captured(call.target, call.instance, call.args, dict(call.kwargs), result, chunks)


# -- end to end ------------------------------------------------------------------------------
Switch = tuple[Any, str, Any, Any]
"""A patched SDK attribute: (owner, name, the SDK's original, tokenprint's wrapper)."""


def _switches() -> list[Switch]:
    from tokenprint import instrument

    return [(o, a, original, vars(o)[a]) for o, a, original, _ in instrument._patched]


def _switch(switches: list[Switch], on: bool) -> None:
    for owner, attr, original, wrapper in switches:
        setattr(owner, attr, wrapper if on else original)


def _paired(
    provider: mock_sdks.Provider,
    shape: mock_sdks.Shape,
    wire: Any,
    n: int,
    precision: float | None = None,
    budget: float = 0.0,
) -> tuple[float, float, float]:
    """Seconds: the median plain call, the median of the per-pair differences (instrumented
    - plain) and its standard error, over ``n`` pairs; with ``precision``, more pairs are
    added until the standard error is below it or ``budget`` seconds have passed. Each pair
    is the SDK call with its original methods and with tokenprint's wrappers (switched in
    place before each call: both calls of a pair start after the same class change), back
    to back in alternating order, each on a client built in its own setting (some SDKs bind
    methods when a client is built)."""
    from tokenprint import EcoLogits

    EcoLogits.init(providers=[provider.name])
    mock_sdks.run_shape(provider, shape)  # imports what the call needs: its targets get patched
    switches = _switches()
    assert switches, provider.name
    try:
        clients = {}
        for on in (False, True):
            _switch(switches, on)
            clients[on] = provider.client_for(wire, shape.aio)

        def run(on: bool) -> float:
            _switch(switches, on)
            client = clients[on]
            gc.collect()  # a collection inside a timed call would swamp the difference
            t = _clock()
            if shape.aio:
                asyncio.run(shape.run(client, []))
            else:
                shape.run(client, [])
            return _clock() - t

        plain: list[float] = []
        added: list[float] = []
        for _ in range(10):  # the first pairs warm caches up
            run(False), run(True)
        gc.collect()  # what exists now is left out of the collections between calls
        gc.freeze()
        gc.disable()
        start = time.monotonic()
        while True:
            for i in range(n if not added else 100):
                first = bool(i % 2)
                a, b = run(first), run(not first)
                p, q = (b, a) if first else (a, b)
                plain.append(p)
                added.append(q - p)
            if precision is None or _se(added) < precision or time.monotonic() - start > budget:
                break
    finally:
        gc.enable()
        gc.unfreeze()
        _switch(switches, True)
        EcoLogits.shutdown()
    return statistics.median(plain), statistics.median(added), _se(added)


def _se(xs: list[float]) -> float:
    """Standard error of the median of ``xs`` (normal approximation: 1.2533 sd / sqrt(n))."""
    return 1.2533 * statistics.stdev(xs) / math.sqrt(len(xs))


def bench_call(provider: mock_sdks.Provider, n: int, budget: float) -> tuple[float, float, float]:
    """(plain, added, standard error) per call; pairs are added up to ``budget`` seconds
    until the standard error is under 2 us (a mocked mistralai call varies by +-0.4 ms)."""
    shape = provider.shapes["sync"]
    return _paired(provider, shape, provider.wire(shape), n, 2e-6, budget)


def _numbered(event: bytes, k: int) -> bytes:
    """The event with its text fields suffixed by ``k`` (LiteLLM refuses repeated chunks)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: f"{v}{k}" if key in ("content", "text") and isinstance(v, str) else walk(v)
                for key, v in node.items()
            }
        return [walk(x) for x in node] if isinstance(node, list) else node

    lines = []
    for line in event.decode().split("\n"):
        head, _, rest = line.partition(":")
        if head == "data" and rest.strip().startswith("{"):
            line = "data: " + json.dumps(walk(json.loads(rest)))
        lines.append(line)
    return "\n".join(lines).encode()


def _stretched(wire: mock_sdks.Wire, extra: int) -> None:
    """Add ``extra`` copies of the stream's middle (content) event to every answer."""
    out = {}
    for path, (status, headers, body) in wire.answers.items():
        events = [e for e in body.split(b"\n\n") if e.strip()]
        mid = len(events) // 2
        events[mid:mid] = [_numbered(events[mid], k) for k in range(extra)]
        out[path] = (status, headers, b"\n\n".join(events) + b"\n\n")
    wire.answers = out


def bench_chunk(provider: mock_sdks.Provider, n: int) -> tuple[float, float] | None:
    """Added seconds per chunk: slope of the paired difference between short and long, and
    its standard error."""
    shape = provider.shapes.get("stream")
    if shape is None:
        return None
    short_wire, long_wire = provider.wire(shape), provider.wire(shape)
    _stretched(long_wire, LONG)
    _, short, se_short = _paired(provider, shape, short_wire, n)
    _, long, se_long = _paired(provider, shape, long_wire, n)
    return (long - short) / LONG, math.hypot(se_short, se_long) / LONG


# -- isolated --------------------------------------------------------------------------------
def bench_isolated(cap: Captured, stream: Captured | None, n: int) -> tuple[float, float | None]:
    """Added seconds per call (the wrapper around a ready answer) and per chunk (the tap
    over ready chunks), tokenprint's work alone."""
    import timeit

    from tokenprint import EcoLogits, runtime
    from tokenprint.instrument import core

    EcoLogits.init(providers=["openai"])
    try:
        wrapper = core.make_wrapper(cap.target, False)
        result = cap.result

        def sdk(*args: Any, **kwargs: Any) -> Any:
            return result

        def inst() -> Any:
            return wrapper(sdk, cap.instance, cap.args, cap.kwargs)

        def plain() -> Any:
            return sdk(*cap.args, **cap.kwargs)

        t_inst = min(timeit.repeat(inst, number=n, repeat=5, timer=_clock)) / n
        t_plain = min(timeit.repeat(plain, number=n, repeat=5, timer=_clock)) / n
        per_chunk = None
        if stream is not None and stream.chunks and stream.target.stream is not None:
            rt = runtime.current()
            assert rt is not None
            chunks = stream.chunks * max(1, 2000 // len(stream.chunks))
            call = core.Call(stream.target, stream.instance, stream.args, stream.kwargs)

            def tapped() -> None:
                tap = core._Tap(rt, call, stream.target.stream(call, stream.result))
                for _ in core._iter(tap, iter(chunks)):
                    pass

            def untapped() -> None:
                for _ in iter(chunks):
                    pass

            t_tap = min(timeit.repeat(tapped, number=1, repeat=5, timer=_clock))
            t_none = min(timeit.repeat(untapped, number=1, repeat=5, timer=_clock))
            per_chunk = (t_tap - t_none) / len(chunks)
    finally:
        EcoLogits.shutdown()
    return t_inst - t_plain, per_chunk


def bench_cold(provider: mock_sdks.Provider, cap: Captured, n: int) -> float:
    """Added seconds per call of the wrapper around a ready answer (as in
    :func:`bench_isolated`), each call timed right after a real, uninstrumented call of the
    same SDK method on the same resource, whose fresh answer it is handed: the caches as the
    SDK leaves them, as in an application. Median of ``n``."""
    import importlib

    from tokenprint import runtime
    from tokenprint.config import Config
    from tokenprint.engine import Estimator
    from tokenprint.instrument import core

    *path, name = cap.target.method.split(".")
    owner: Any = importlib.import_module(cap.target.module)
    for part in path:
        owner = getattr(owner, part)
    method = getattr(owner, name)  # after capture()'s shutdown(): the SDK's own
    original = partial(method, cap.instance) if cap.instance is not None and path else method
    shape = provider.shapes["sync"]
    provider.client_for(provider.wire(shape), False)  # an SDK-wide mock (HF) answers as in capture
    # tokenprint's state without init(): nothing is patched
    runtime.set_current(runtime.Runtime(Config(), Estimator()))
    try:
        wrapper = core.make_wrapper(cap.target, False)
        answer: Any = None

        def sdk(*args: Any, **kwargs: Any) -> Any:
            return answer

        plain: list[float] = []
        inst: list[float] = []
        for i in range(2 * n):
            answer = original(*cap.args, **cap.kwargs)  # the SDK's work, untimed
            if i % 2:
                t = _clock()
                sdk(*cap.args, **cap.kwargs)
                plain.append(_clock() - t)
            else:
                t = _clock()
                wrapper(sdk, cap.instance, cap.args, cap.kwargs)
                inst.append(_clock() - t)
    finally:
        runtime.set_current(None)
    return statistics.median(inst) - statistics.median(plain)


def bench_memory(cap: Captured, calls: int) -> tuple[float, float]:
    """KiB held by Python after 10% of ``calls`` instrumented calls and after all of them
    (through the core's wrapper with the provider's real target and answer)."""
    from tokenprint import EcoLogits
    from tokenprint.instrument import core

    EcoLogits.init(providers=["openai"])
    wrapper = core.make_wrapper(cap.target, False)
    result = cap.result

    def sdk(*args: Any, **kwargs: Any) -> Any:
        return result

    try:
        for _ in range(1000):  # caches filled before measuring
            wrapper(sdk, cap.instance, cap.args, cap.kwargs)
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        marks = []
        for i in range(calls):
            wrapper(sdk, cap.instance, cap.args, cap.kwargs)
            if i + 1 in (calls // 10, calls):
                gc.collect()
                marks.append((tracemalloc.get_traced_memory()[0] - base) / 1024)
        tracemalloc.stop()
    finally:
        EcoLogits.shutdown()
    return marks[0], marks[1]


# -- table -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    wanted = [a for a in args if not a.startswith("-")] or mock_sdks.available()
    n = 60 if quick else 1000
    calls = 20_000 if quick else 100_000
    rows = []
    for name in wanted:
        provider = mock_sdks.PROVIDERS[name]
        cap = capture(provider, provider.shapes["sync"])
        stream_shape = provider.shapes.get("stream")
        scap = capture(provider, stream_shape) if stream_shape is not None else None
        plain, added, se = bench_call(provider, n, 5.0 if quick else 60.0)
        chunk = bench_chunk(provider, max(20, n // 4))
        iso_call, iso_chunk = bench_isolated(cap, scap, 2000 if quick else 20000)
        cold = bench_cold(provider, cap, 100 if quick else 500)
        early, late = bench_memory(cap, calls)
        rows.append((name, plain, (added, se), chunk, cold, iso_call, iso_chunk, early, late))
        mock_sdks.restore_globals()
        print(f"{name} done", file=sys.stderr, flush=True)

    def us(v: float | None, digits: int = 1) -> str:
        return "-" if v is None else f"{v * 1e6:.{digits}f}"

    def pm(v: tuple[float, float] | None, digits: int = 1) -> str:
        """A median with its standard error."""
        return "-" if v is None else f"{us(v[0], digits)} +-{us(v[1], digits)}"

    head = (
        "provider",
        "call plain us",
        "added/call us",
        "added/chunk us",
        "alone, cold us",
        "alone, hot us",
        "tap/chunk, hot us",
        f"KiB after {calls // 10:,}",
        f"KiB after {calls:,}",
    )
    table = [
        (
            name,
            us(plain, 0),
            pm(added),
            pm(chunk, 2),
            us(cold),
            us(iso_call),
            us(iso_chunk, 2),
            f"{early:.1f}",
            f"{late:.1f}",
        )
        for name, plain, added, chunk, cold, iso_call, iso_chunk, early, late in rows
    ]
    widths = [max(len(str(r[i])) for r in (head, *table)) for i in range(len(head))]
    for r in (head, None, *table):
        if r is None:
            print("  ".join("-" * w for w in widths))
            continue
        cells = zip(r, widths, strict=True)
        print("  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(cells)))
    print(
        "targets: added <= 30 us per call, <= 2 us per chunk; memory flat (the same after "
        f"{calls // 10:,} and {calls:,} calls). End-to-end figures carry the SDK's own noise; "
        "the 'alone' ones are tokenprint's work without the SDK's (cold: after a real SDK call)."
    )


if __name__ == "__main__":
    main()
