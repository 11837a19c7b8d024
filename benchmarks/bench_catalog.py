"""Benchmark of the model catalogue: loading it once, and a name look-up.

Run: ``.venv/bin/python benchmarks/bench_catalog.py [--runs N]``. Targets: loading
the whole catalogue (reading and indexing every model row) <= 20 ms once, in a fresh
process (wall and CPU time are both printed: on a busy machine the wall time counts
waits); a look-up <= 2 µs (a repeated name is one dict hit). Numbers are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

__all__ = ["main"]

_LOAD_PROBE = """
import json, time
from tokenprint.catalog import models   # import cost is not the catalogue's load
t, c = time.perf_counter(), time.process_time()
rec = models.resolve("gpt-4o-2024-08-06").record
load, cpu = time.perf_counter() - t, time.process_time() - c
t = time.perf_counter()
models._get_loose()
loose = time.perf_counter() - t
print(json.dumps({"load": load, "cpu": cpu, "loose": loose, "rows": len(models.all_models())}))
"""

NAMES = (
    "gpt-4o-2024-08-06",
    "claude-3-7-sonnet-latest",
    "meta-llama/Llama-3.1-8B-Instruct",
    "groq/llama-3.1-8b-instant",
    "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
    "mistral-large-2407",
)


def load_times(runs: int) -> list[dict[str, float]]:
    out = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", _LOAD_PROBE], capture_output=True, text=True, check=True
        )
        out.append(json.loads(proc.stdout))
    return out


def lookup_time(number: int = 200_000) -> float:
    """Seconds per cached ``resolve()`` over a mix of names (median of 5 batches)."""
    from tokenprint.catalog.models import resolve

    for n in NAMES:
        resolve(n)
    batches = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(number // len(NAMES)):
            for n in NAMES:
                resolve(n)
        batches.append((time.perf_counter() - t) / number)
    return statistics.median(batches)


def first_resolution_time() -> float:
    """Seconds to resolve a name the first time (index already built), median over names."""
    from tokenprint.catalog import models

    models.resolve("gpt-4o")
    times = []
    for n in (*NAMES, "llama3.1:8b-instruct-q4_K_M", "no-such-model"):
        models._cache.clear()
        t = time.perf_counter()
        models.resolve(n)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--runs", type=int, default=9, help="fresh processes for the load time")
    p.add_argument("--quick", action="store_true", help="three processes (smoke test)")
    args = p.parse_args(argv)
    loads = load_times(3 if args.quick else args.runs)
    load_ms = statistics.median(x["load"] for x in loads) * 1e3
    cpu_ms = statistics.median(x["cpu"] for x in loads) * 1e3
    loose_ms = statistics.median(x["loose"] for x in loads) * 1e3
    rows = int(loads[0]["rows"])
    lookup_us = lookup_time() * 1e6
    first_us = first_resolution_time() * 1e6
    print(f"catalogue rows                         {rows}")
    print(f"load + index, fresh process (median)   {load_ms:7.2f} ms   target <= 20 ms")
    print(f"  of which CPU time (median)           {cpu_ms:7.2f} ms   (wall time counts waits)")
    print(f"loose-match index, built on demand      {loose_ms:7.2f} ms")
    print(f"look-up of a known name (cached)       {lookup_us:7.3f} µs   target <= 2 µs")
    print(f"first resolution of a name (uncached)  {first_us:7.2f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
