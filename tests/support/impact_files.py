"""Impact files written by tokenprint's real writers: the jsonl and codecarbon exporters
(through ``EcoLogits.init(exporters=...)`` and the after-hook) and ``Tracker.to_json``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from tests.support.exporter_records import make_record
from tokenprint import EcoLogits, events
from tokenprint.records import RequestRecord
from tokenprint.tracking import Tracker

__all__ = ["Files", "sample_records", "write_files"]

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class Files(NamedTuple):
    jsonl: Path
    csv: Path
    json: Path
    tracker: Tracker
    """The tracker that saw the same requests: its totals are the expected ones."""


def sample_records(unknown: bool = False) -> list[RequestRecord]:
    """Requests of three models over an hour, with labels (and one unknown model)."""
    specs = [
        ("gpt-4o-mini", "openai", 120, {"feature": "chat"}),
        ("gpt-4o", "openai", 900, {"feature": "search", "team": "core"}),
        ("claude-3-5-sonnet", "anthropic", 400, {"feature": "chat"}),
        ("gpt-4o-mini", "openai", 2000, {"feature": "summary"}),
    ]
    if unknown:
        specs.append(("nope-model", "openai", 50, {"feature": "chat"}))
    return [
        make_record(model=m, provider=p, output_tokens=o, labels=lab, timestamp=T0 + 900 * i)
        for i, (m, p, o, lab) in enumerate(specs)
    ]


def write_files(folder: Path, records: Sequence[RequestRecord]) -> Files:
    """Hand ``records`` to the jsonl and codecarbon exporters and to a tracker."""
    files = Files(
        folder / "impacts.jsonl", folder / "emissions.csv", folder / "report.json", Tracker()
    )
    EcoLogits.init(exporters=[f"jsonl:{files.jsonl}", f"codecarbon:{files.csv}"])
    try:
        with files.tracker:
            for r in records:
                events.run_after(r)
    finally:
        EcoLogits.shutdown()
    files.tracker.to_json(str(files.json))
    return files
