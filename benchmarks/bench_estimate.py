"""Benchmark of the hot path and of ``import tokenprint``; prints a table.

Run: ``.venv/bin/python benchmarks/bench_estimate.py [--quick]``. Targets: one
``estimate()`` of a catalogued model <= 10 µs median after the first call; ``import
tokenprint`` loads no SDK, no pint and no data file. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

__all__ = ["main"]

HEAVY = ("pint", "pydantic", "pydantic_core", "openai", "anthropic", "wrapt", "csv")

_IMPORT_PROBE = """
import sys, time, json
before = set(sys.modules)
t = time.perf_counter()
import tokenprint
dt = time.perf_counter() - t
new = sorted(set(sys.modules) - before)
print(json.dumps({"seconds": dt, "modules": new}))
"""


def per_call(fn: Callable[[], object], *, number: int, repeat: int) -> tuple[float, float, float]:
    """Seconds per call over ``repeat`` batches of ``number`` calls: (median wall time, best
    wall time, median CPU time of this process). On a busy machine the CPU time is the
    steadier figure: it leaves out the time other processes held the core."""
    fn()  # the first call loads data and fills caches: not what is measured
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(number):
            fn()
        cpu.append((time.process_time() - c) / number)
        wall.append((time.perf_counter() - t) / number)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def first_call() -> float:
    """Seconds of the first estimate() in a fresh interpreter (reads the data files)."""
    code = (
        "import time, tokenprint\n"
        "t = time.perf_counter()\n"
        "tokenprint.estimate('gpt-4o', output_tokens=500)\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def import_probe(runs: int) -> tuple[float, list[str]]:
    """Median seconds of ``import tokenprint`` in fresh interpreters, and what it loads."""
    times: list[float] = []
    modules: list[str] = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, check=True
        )
        data = json.loads(out.stdout)
        times.append(float(data["seconds"]))
        modules = list(data["modules"])
    return statistics.median(times), modules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs (smoke test)")
    args = parser.parse_args(argv)
    number, repeat, runs = (200, 5, 3) if args.quick else (2000, 25, 9)

    import tokenprint
    from tokenprint.estimator import default_estimator
    from tokenprint.records import Usage

    est = default_estimator()
    usage = Usage("openai", "gpt-4o", 1000, 500)
    impacts = tokenprint.estimate("gpt-4o", output_tokens=500)

    def read_values() -> object:
        gwp = impacts.gwp
        assert gwp is not None
        return gwp.value

    cases: list[tuple[str, Callable[[], object]]] = [
        ("estimate('gpt-4o', output_tokens=500)", lambda: tokenprint.estimate("gpt-4o", 500)),
        (
            "estimate(..., input_tokens=1000, zone='FRA')",
            lambda: tokenprint.estimate("gpt-4o", 500, 1000, zone="FRA"),
        ),
        ("Estimator.compute(Usage)  [instrumented path]", lambda: est.compute(usage)),
        ("impacts.gwp.value  [reading a result]", read_values),
    ]
    rows: list[tuple[str, str, str, str]] = []
    for name, fn in cases:
        med, best, cpu = per_call(fn, number=number, repeat=repeat)
        rows.append((name, f"{med * 1e6:.2f} µs", f"{best * 1e6:.2f} µs", f"{cpu * 1e6:.2f} µs"))
    rows.append(("first estimate() in a fresh process", f"{first_call() * 1e3:.1f} ms", "", ""))
    imp, modules = import_probe(runs)
    rows.append(("import tokenprint (fresh process)", f"{imp * 1e3:.1f} ms", "", ""))

    width = max(len(r[0]) for r in rows)
    heads = ("median", "best", "median CPU")
    print(f"{'case':<{width}}  " + "  ".join(f"{h:>12}" for h in heads))
    print(f"{'-' * width}  " + "  ".join("-" * 12 for _ in heads))
    for name, *cells in rows:
        print(f"{name:<{width}}  " + "  ".join(f"{c:>12}" for c in cells))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{os.cpu_count()} CPUs, load average {load:.2f} (timings need an idle machine)")

    ours = [m for m in modules if m.startswith("tokenprint")]
    heavy = [m for m in HEAVY if m in modules]
    print(f"import tokenprint loads {len(modules)} modules; tokenprint modules: {ours}")
    print(f"heavy modules loaded at import: {heavy or 'none'}")
    print(f"python {sys.version.split()[0]}, tokenprint {tokenprint.__version__}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
