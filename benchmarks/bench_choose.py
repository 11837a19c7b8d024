"""Benchmark of ``tokenprint.choose``: the per-request call of a router, once cached.

Run: ``.venv/bin/python benchmarks/bench_choose.py [--quick]``. Target: a cached call
<= 50 µs (median of batches); the first call, which estimates every candidate, is printed
too. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

__all__ = ["main"]

CANDIDATES = ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku", "gemini-2.0-flash", "o3-mini"]


def cached_time(number: int, batches: int) -> list[float]:
    """Seconds per cached ``choose()`` call, one figure per batch."""
    import tokenprint

    tokenprint.choose(CANDIDATES, min_score=1280)
    out = []
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(number):
            tokenprint.choose(CANDIDATES, min_score=1280)
        out.append((time.perf_counter() - t) / number)
    return out


def first_time() -> float:
    """Seconds for the first call of a new bar (every candidate estimated, data loaded)."""
    import tokenprint

    t = time.perf_counter()
    tokenprint.choose(CANDIDATES, min_score=1281, task="overall")
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    first_ms = first_time() * 1e3
    times = cached_time(2_000 if args.quick else 50_000, 3 if args.quick else 9)
    median_us = statistics.median(times) * 1e6
    print(f"first call, {len(CANDIDATES)} candidates (estimates)  {first_ms:8.2f} ms")
    print(f"cached call (median of {len(times)} batches)  {median_us:8.3f} µs   target <= 50 µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
