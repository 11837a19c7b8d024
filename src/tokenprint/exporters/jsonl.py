"""JSON-lines exporter: one JSON object per request, appended to a file.

Each line holds what was called (provider, model, endpoint), the token counts, the labels
and the full ``Impacts.to_dict()`` (criteria with min/max, phases, warnings, errors, basis).
Read it back with ``pandas.read_json(path, lines=True)`` or ``jq``.
"""

from __future__ import annotations

import json
import os
import threading

from tokenprint.exporters._common import record_dict
from tokenprint.hooks import RequestRecord

__all__ = ["JsonLinesExporter"]


class JsonLinesExporter:
    """Append one line per request to ``path`` (created with its folder if missing)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()

    def export(self, record: RequestRecord) -> None:
        line = json.dumps(record_dict(record), separators=(",", ":")) + "\n"
        with self._lock:
            folder = os.path.dirname(self.path)
            if folder:
                os.makedirs(folder, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)

    def __repr__(self) -> str:
        return f"JsonLinesExporter({self.path!r})"
