"""Overhead of the instrumentation for every adapter, and memory over 100,000 calls.

For each provider with an adapter in place (the scenarios of ``tests/sdk_matrix.py``: the
real SDK client on a mock transport answering from our cassettes), prints:

* **per call, end to end**: the SDK's chat call with its original methods and with
  tokenprint's wrappers, back to back in pairs (alternating order); the median of the
  per-pair differences, in each of several fresh processes that import this SDK alone, as
  an application would (target: <= 30 us added);
* **per chunk, end to end**: over pairs of streams of the cassette's events with ``LONG``
  more content events, the median gap between two chunks reaching the caller, instrumented
  less plain (target: <= 2 us). Chunks are iterated, never dumped: a dump would compute the
  impacts an application may never read;
* **alone, cold**: tokenprint's work per call without the SDK's: the function ``init()``
  installs, bound to the provider's real resource object (the core's wrapper with the real
  target and answer, captured from a real call), around a method that returns the ready
  answer, each call timed right after a real uninstrumented
  SDK call, i.e. with the caches as the SDK leaves them (median; the figure to hold against
  the 30 us target: it is what an application pays, without the SDK's noise);
* **tap per chunk, cold**: the stream tap alone on each chunk of a real, uninstrumented
  stream, right after the SDK made it (the figure to hold against the 2 us target: a chunk
  costs some SDKs hundreds of us, whose noise the end-to-end figure carries);
* **alone, hot**: the core's wrapper alone (called directly) in a tight loop (everything
  cached: a third to a half of the cold figure), and the stream tap over the ready chunk
  objects;
* **memory**: ``tracemalloc`` over 100,000 instrumented calls through that wrapper: memory
  held after 10,000 calls and after 100,000 (flat: no growth per call).

Times are ``time.thread_time`` (other processes on a shared machine do not inflate them).

Run: ``.venv/bin/python benchmarks/bench_providers.py [--quick] [provider ...]``.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
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
sys.path.insert(0, str(ROOT))

from _processes import in_processes  # noqa: E402

from tests.support import bedrock as aws  # noqa: E402
from tests.support import sdk_matrix  # noqa: E402  (the scenarios live with the tests)

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


def capture(provider: sdk_matrix.Provider, shape: sdk_matrix.Shape) -> Captured:
    """Run ``shape`` instrumented once and keep what the core received (the answer, or the
    stream's chunk objects)."""
    from tokenprint import EcoLogits
    from tokenprint.instrument import contract, core, streams

    seen: list[Any] = []
    chunks: list[Any] = []
    handle, tap_init = core._handle, streams.Tap.__init__

    def spy(rt: Any, call: Any, result: Any) -> Any:
        if not seen:
            seen.append((call, result))
        return handle(rt, call, result)

    class Recording(contract.Accumulator):
        """The adapter's accumulator, with every chunk it is fed kept."""

        __slots__ = ("inner",)

        def __init__(self, inner: contract.Accumulator) -> None:
            super().__init__(inner.call, inner.stream)
            self.inner = inner

        def add(self, chunk: Any) -> bool:
            chunks.append(chunk)
            return self.inner.add(chunk)

        def usage(self) -> Any:
            return self.inner.usage()

        def extra(self) -> Any:
            return self.inner.extra()

    def spy_init(self: Any, scene: Any, call: Any, acc: Any) -> None:
        tap_init(self, scene, call, Recording(acc))

    core._handle = spy  # type: ignore[assignment]
    streams.Tap.__init__ = spy_init  # type: ignore[method-assign]
    try:
        EcoLogits.init(providers=[provider.name])
        out = sdk_matrix.run_shape(provider, shape)
        assert out.error is None, out.error
    finally:
        core._handle = handle  # type: ignore[assignment]
        streams.Tap.__init__ = tap_init  # type: ignore[method-assign]
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


def _pairs(
    provider: sdk_matrix.Provider,
    shape: sdk_matrix.Shape,
    wires: list[Any],
    n: int,
    budget: float = math.inf,
    gaps: tuple[list[float], list[float]] | None = None,
) -> list[list[tuple[float, float]]]:
    """For each wire, up to ``n`` pairs of seconds (plain, instrumented) of one call of
    ``shape`` (streams read to the end), at least 20, fewer when ``budget`` seconds have
    passed. Each pair is the SDK call with its original methods and with tokenprint's
    wrappers (switched in place before each call: both calls of a pair start after the same
    class change), back to back in alternating order, each on a client built in its own
    setting (some SDKs bind methods when a client is built); the wires take turns within
    each round, so that drift hits them alike. ``gaps``: (plain, instrumented) lists that
    get the seconds between consecutive chunks reaching the caller, for stream shapes."""
    from tokenprint import EcoLogits

    EcoLogits.init(providers=[provider.name])
    sdk_matrix.run_shape(provider, shape)  # imports what the call needs: its targets get patched
    switches = _switches()
    assert switches, provider.name
    try:
        clients = {}
        for on in (False, True):
            _switch(switches, on)
            for k, wire in enumerate(wires):
                clients[k, on] = provider.client_for(wire, shape.aio)

        ticks: list[float] = []
        if gaps is not None:
            sdk_matrix.on_chunk = partial(_tick, ticks.append)

        def run(k: int, on: bool) -> float:
            _switch(switches, on)
            client = clients[k, on]
            ticks.clear()
            gc.collect()  # a collection inside a timed call would swamp the difference
            t = _clock()
            if shape.aio:
                asyncio.run(shape.run(client, None))
            else:
                shape.run(client, None)
            elapsed = _clock() - t
            if gaps is not None:
                gaps[on].extend(b - a for a, b in itertools.pairwise(ticks))
            return elapsed

        for _ in range(10):  # the first calls warm caches up
            for k in range(len(wires)):
                run(k, False), run(k, True)
        gc.collect()  # what exists now is left out of the collections between calls
        gc.freeze()
        gc.disable()
        out: list[list[tuple[float, float]]] = [[] for _ in wires]
        start = time.monotonic()
        for i in range(n):
            first = bool(i % 2)
            for k in range(len(wires)):
                a, b = run(k, first), run(k, not first)
                out[k].append((b, a) if first else (a, b))
            if i >= 20 and time.monotonic() - start > budget:
                break
    finally:
        sdk_matrix.on_chunk = None
        gc.enable()
        gc.unfreeze()
        _switch(switches, True)
        EcoLogits.shutdown()
    return out


def _tick(append: Any, chunk: Any) -> None:
    append(_clock())


def _added(pairs: list[tuple[float, float]]) -> float:
    """Median of the per-pair differences (instrumented - plain), seconds."""
    return statistics.median(inst - plain for plain, inst in pairs)


def e2e(name: str, n: int, budget: float) -> dict[str, float]:
    """One process's end-to-end figures for one provider (seconds): the plain call and what
    instrumenting adds per call (``n`` pairs), and per chunk: the median gap between two
    chunks reaching the caller, instrumented less plain, over streams of the cassette's
    events with ``LONG`` more content events (``n // 10`` pairs of streams at most, fewer
    after ``budget`` seconds: a LiteLLM chunk costs LiteLLM about 0.5 ms). LiteLLM's streams are
    measured with ``litellm.disable_streaming_logging``: by default it hands every chunk to a
    logging thread, whose turns at the GIL move the per-chunk difference by +-15 us either
    way, far above tokenprint's share (its calls keep their logging)."""
    provider = sdk_matrix.PROVIDERS[name]
    shape = provider.shapes["sync"]
    (call,) = _pairs(provider, shape, [provider.wire(shape)], n)
    out = {"call_plain": statistics.median(p for p, _ in call), "call_added": _added(call)}
    stream = provider.shapes.get("stream")
    if stream is not None:
        if name == "litellm":
            import litellm

            litellm.disable_streaming_logging = True
        long = provider.wire(stream)
        _stretched(long, LONG)
        gaps: tuple[list[float], list[float]] = ([], [])
        _pairs(provider, stream, [long], max(20, n // 10), budget, gaps)
        out["chunk_added"] = statistics.median(gaps[1]) - statistics.median(gaps[0])
    return out


def bench_e2e(name: str, processes: int, n: int, budget: float) -> dict[str, list[float]]:
    """:func:`e2e` in ``processes`` fresh interpreters, each importing this provider's SDK
    alone, as an application would."""
    return in_processes(__file__, ["--e2e-child", name, str(n), str(budget)], processes)


def _numbering(k: int) -> Any:
    """A JSON edit: text fields suffixed by ``k``."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: f"{v}{k}" if key in ("content", "text") and isinstance(v, str) else walk(v)
                for key, v in node.items()
            }
        return [walk(x) for x in node] if isinstance(node, list) else node

    return walk


def _numbered(event: bytes, k: int) -> bytes:
    """The event with its text fields suffixed by ``k`` (LiteLLM refuses repeated chunks)."""
    walk = _numbering(k)
    lines = []
    for line in event.decode().split("\n"):
        head, _, rest = line.partition(":")
        if head == "data" and rest.strip().startswith("{"):
            line = "data: " + json.dumps(walk(json.loads(rest)))
        elif line.startswith("{"):  # an NDJSON line (Ollama)
            line = json.dumps(walk(json.loads(line)))
        lines.append(line)
    return "\n".join(lines).encode()


def _stretched(wire: sdk_matrix.Wire, extra: int) -> None:
    """Add ``extra`` copies of the stream's middle (content) event to every answer."""
    out = {}
    for path, (status, headers, body) in wire.answers.items():
        if aws.is_event_stream(body):  # Bedrock: binary messages, not server-sent events
            messages = list(aws.messages(body))
            mid = len(messages) // 2
            copies = [aws.edit_events(aws.message(*messages[mid]), _numbering(k))
                      for k in range(extra)]  # fmt: skip
            parts = [aws.message(*m) for m in messages]
            parts[mid:mid] = copies
            out[path] = (status, headers, b"".join(parts))
            continue
        sep = b"\n\n" if b"\n\n" in body else b"\n"  # server-sent events, else NDJSON
        events = [e for e in body.split(sep) if e.strip()]
        mid = len(events) // 2
        events[mid:mid] = [_numbered(events[mid], k) for k in range(extra)]
        out[path] = (status, headers, sep.join(events) + sep)
    wire.answers = out


# -- isolated --------------------------------------------------------------------------------
def bench_isolated(cap: Captured, stream: Captured | None, n: int) -> tuple[float, float | None]:
    """Added seconds per call (the wrapper around a ready answer) and per chunk (the tap
    over ready chunks), tokenprint's work alone."""
    import timeit

    from tokenprint import EcoLogits, events
    from tokenprint.instrument import account, contract, core, streams

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
            rt = events.current()
            assert rt is not None
            chunks = stream.chunks * max(1, 2000 // len(stream.chunks))
            call = contract.Call(stream.target, stream.instance, stream.args, stream.kwargs)

            def tapped() -> None:
                tap = streams.Tap(
                    account.Scene(rt), call, stream.target.stream(call, stream.result)
                )
                for _ in streams._iter(tap, iter(chunks)):
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


def bench_cold(provider: sdk_matrix.Provider, cap: Captured, n: int) -> float:
    """Added seconds per call of the patched method around a ready answer, each call timed
    right after a real, uninstrumented call of the same SDK method on the same resource,
    whose fresh answer it is handed: the caches as the SDK leaves them, as in an
    application. The wrapper is reached as in production: what ``init()`` installs in place
    of the method (``instrument._patched_function``), bound to the SDK's resource object
    (or called, for a module-level function), against the same function bound or called
    plainly. Median of ``n``."""
    import importlib

    from tokenprint import events, instrument
    from tokenprint.estimator import Estimator
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
    events.set_current(events.Runtime(Estimator(), {}))
    try:
        answer: Any = None
        bound = cap.instance is not None and bool(path)

        def sdk(*args: Any, **kwargs: Any) -> Any:  # (self, ...) when bound
            return answer

        wrapper = core.make_wrapper(cap.target, False)
        patched = instrument._patched_function(sdk, wrapper, bound, False)
        args, kwargs, obj, cls = cap.args, cap.kwargs, cap.instance, type(cap.instance)
        plain: list[float] = []
        inst: list[float] = []
        for i in range(2 * n):
            answer = original(*args, **kwargs)  # the SDK's work, untimed
            if i % 2:
                t = _clock()
                if bound:
                    sdk.__get__(obj, cls)(*args, **kwargs)
                else:
                    sdk(*args, **kwargs)
                plain.append(_clock() - t)
            else:
                t = _clock()
                if bound:
                    patched.__get__(obj, cls)(*args, **kwargs)
                else:
                    patched(*args, **kwargs)
                inst.append(_clock() - t)
    finally:
        events.set_current(None)
    return statistics.median(inst) - statistics.median(plain)


class _Box:
    """An iterator handing out the chunk just put in ``chunk`` (stands for the SDK's own)."""

    def __init__(self) -> None:
        self.chunk: Any = None

    def __iter__(self) -> _Box:
        return self

    def __next__(self) -> Any:
        return self.chunk


def bench_chunk_cold(provider: sdk_matrix.Provider, cap: Captured, streams: int) -> float:
    """Added seconds per chunk of the stream tap, each chunk timed right after the SDK made
    it: the long stream run uninstrumented, and every chunk, as it reaches the caller, passed
    through the tap the adapter's target gets (the core's generator around the SDK's
    iterator, or for a stream object that iterates itself the tapped subclass' ``__next__``)
    or through the bare iterator, in alternate streams. Median over all chunks."""
    from tokenprint import events
    from tokenprint.estimator import Estimator
    from tokenprint.instrument import account, contract
    from tokenprint.instrument import streams as tapping

    target = cap.target
    assert target.stream is not None
    shape = provider.shapes["stream"]
    wire = provider.wire(shape)
    _stretched(wire, LONG)
    rt = events.Runtime(Estimator(), {})
    events.set_current(rt)  # tokenprint's state without init(): nothing is patched
    times: tuple[list[float], list[float]] = ([], [])
    try:
        for i in range(2 * streams):
            box = _Box()
            step: Any = box
            if i % 2:
                call = contract.Call(target, cap.instance, cap.args, cap.kwargs)
                acc = target.stream(call, cap.result)
                assert acc is not None
                tap = tapping.Tap(account.Scene(rt), call, acc)
                if acc.iterator is None:  # a stream object that iterates itself
                    setattr(box, tapping._TAP, tap)
                    box.__class__ = tapping._tapped_class(_Box)
                else:
                    step = tapping._iter(tap, box)
            out = times[i % 2]

            def tick(chunk: Any, box: Any = box, step: Any = step, out: Any = out) -> None:
                box.chunk = chunk
                t = _clock()
                next(step)
                out.append(_clock() - t)

            sdk_matrix.on_chunk = tick
            client = provider.client_for(wire, False)
            shape.run(client, None)
    finally:
        sdk_matrix.on_chunk = None
        events.set_current(None)
    return statistics.median(times[1]) - statistics.median(times[0])


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
    if "--e2e-child" in args:
        child, pairs, seconds = args[args.index("--e2e-child") + 1 :][:3]
        print(json.dumps(e2e(child, int(pairs), float(seconds))))
        return
    quick = "--quick" in args
    wanted = [a for a in args if not a.startswith("-")] or sdk_matrix.available()
    processes, n, budget = (2, 100, 3.0) if quick else (5, 1500, 20.0)
    calls = 20_000 if quick else 100_000
    rows = []
    for name in wanted:
        runs = bench_e2e(name, processes, n, budget)
        provider = sdk_matrix.PROVIDERS[name]
        cap = capture(provider, provider.shapes["sync"])
        stream_shape = provider.shapes.get("stream")
        scap = capture(provider, stream_shape) if stream_shape is not None else None
        iso_call, iso_chunk = bench_isolated(cap, scap, 2000 if quick else 20000)
        cold = bench_cold(provider, cap, 100 if quick else 500)
        chunk_cold = None
        if scap is not None and scap.target.stream is not None:
            chunk_cold = bench_chunk_cold(provider, scap, 10 if quick else 50)
        early, late = bench_memory(cap, calls)
        rows.append((name, runs, cold, iso_call, chunk_cold, iso_chunk, early, late))
        sdk_matrix.restore_globals()
        print(f"{name} done", file=sys.stderr, flush=True)

    def us(v: float | None, digits: int = 1) -> str:
        return "-" if v is None else f"{v * 1e6:.{digits}f}"

    def spread(v: list[float] | None, digits: int = 1) -> str:
        """The median of the processes' figures, and their range."""
        if not v:
            return "-"
        return f"{us(statistics.median(v), digits)} ({us(min(v), digits)} to {us(max(v), digits)})"

    head = (
        "provider",
        "call plain us",
        f"added/call us ({processes} processes)",
        "added/chunk us",
        "alone, cold us",
        "alone, hot us",
        "tap/chunk, cold us",
        "tap/chunk, hot us",
        f"KiB after {calls // 10:,}",
        f"KiB after {calls:,}",
    )
    table = [
        (
            name,
            us(statistics.median(runs["call_plain"]), 0),
            spread(runs["call_added"]),
            spread(runs.get("chunk_added"), 2),
            us(cold),
            us(iso_call),
            us(chunk_cold, 2),
            us(iso_chunk, 2),
            f"{early:.1f}",
            f"{late:.1f}",
        )
        for name, runs, cold, iso_call, chunk_cold, iso_chunk, early, late in rows
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
        f"{calls // 10:,} and {calls:,} calls). End to end: the median of the processes' "
        "medians over pairs of calls (range over processes in brackets); they carry the SDK's "
        "own noise. The 'alone' figures are tokenprint's work without the SDK's (cold: after "
        "a real SDK call)."
    )


if __name__ == "__main__":
    main()
