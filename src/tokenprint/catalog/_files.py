"""Finding and reading the shipped data files (CSV), shared by every catalogue module."""

from __future__ import annotations

import csv
from pathlib import Path

from tokenprint.impacts.ranges import Range, Value

__all__ = ["data_dir", "parse_range", "read_csv", "split_list"]

_PACKAGE_DATA = Path(__file__).resolve().parent.parent / "data"  # inside a wheel
_REPO_DATA = Path(__file__).resolve().parents[3] / "data"  # source checkout / editable


def data_dir() -> Path:
    """The folder holding the data files: ``tokenprint/data`` in a wheel, else ``data/``."""
    return _PACKAGE_DATA if _PACKAGE_DATA.is_dir() else _REPO_DATA


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a CSV data file; lines starting with ``#`` are comments."""
    with (data_dir() / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def parse_range(row: dict[str, str], key: str) -> Value:
    """``key_min``/``key_max`` columns (or a single ``key`` column) as a float or Range."""
    if key in row and row[key] not in ("", None):
        return float(row[key])
    low, high = row.get(f"{key}_min", ""), row.get(f"{key}_max", "")
    if low == "" and high == "":
        raise ValueError(f"missing value for {key!r}")
    a = float(low if low != "" else high)
    b = float(high if high != "" else low)
    return a if a == b else Range(a, b)


def split_list(text: str | None) -> tuple[str, ...]:
    """A ``|``-separated cell as a tuple of non-empty stripped items."""
    return tuple(s.strip() for s in (text or "").split("|") if s.strip())
