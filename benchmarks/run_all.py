"""Run every benchmark in ``benchmarks/`` and print their tables, with the machine.

Run: ``.venv/bin/python benchmarks/run_all.py [--quick]`` (``--quick`` is passed on to each
benchmark for a short smoke run). Each ``bench_*.py`` runs in a fresh interpreter, one after
the other, so that none measures another's imports or caches. Nothing is asserted: the
figures are for ``docs/performance.md``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["machine", "main"]

HERE = Path(__file__).resolve().parent


def machine() -> list[str]:
    """What the figures were measured on."""
    lines = [
        f"python      {platform.python_version()} ({platform.python_implementation()})",
        f"platform    {platform.platform()}",
        f"cpus        {os.cpu_count()} (usable: {len(os.sched_getaffinity(0))})"
        if hasattr(os, "sched_getaffinity")
        else f"cpus        {os.cpu_count()}",
    ]
    try:
        cpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = [ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if "Model name" in ln]
        if model:
            lines.append(f"cpu model   {model[0]}")
    except (OSError, subprocess.CalledProcessError):
        pass
    if hasattr(os, "getloadavg"):
        lines.append("load avg    " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    extra = ["--quick"] if "--quick" in args else []
    scripts = sorted(p for p in HERE.glob("bench_*.py"))
    print("machine")
    for line in machine():
        print("  " + line)
    failed = []
    for script in scripts:
        print(f"\n== {script.name} {' '.join(extra)}".rstrip())
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent)
        print(f"({script.name}: {time.perf_counter() - start:.0f} s)")
        if done.returncode:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
