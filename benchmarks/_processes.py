"""A benchmark's measuring part, run in fresh interpreters: a process's memory layout
shifts end-to-end figures by a few us, so one process is one sample."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

__all__ = ["in_processes"]

ROOT = Path(__file__).resolve().parents[1]


def in_processes(script: str, args: list[str], processes: int) -> dict[str, list[float]]:
    """Run ``python script *args`` ``processes`` times from the repository root; each run
    prints a JSON object of figures on its last line. Returns each figure's values, one per
    process."""
    runs: dict[str, list[float]] = {}
    for _ in range(processes):
        out = subprocess.run(
            [sys.executable, script, *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        for key, value in json.loads(out.splitlines()[-1]).items():
            runs.setdefault(key, []).append(value)
    return runs
