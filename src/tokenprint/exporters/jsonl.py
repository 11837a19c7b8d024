"""JSON-lines exporter: one JSON object per request, appended to a file.

Each line holds what was called (provider, model, endpoint), the token counts, the labels
and the impacts (:func:`tokenprint.exporters._common.impacts_dict`: each criterion's total
and phases as min/central/max, the SCI, warnings, errors, basis). Read it back with
``pandas.json_normalize`` or ``jq``; ``tokenprint check`` and ``report`` read it too.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from typing import TextIO

from tokenprint.exporters import _worker
from tokenprint.exporters._common import record_dict
from tokenprint.records import RequestRecord

__all__ = ["JsonLinesExporter"]


class JsonLinesExporter:
    """Append one line per request to ``path`` (created with its folder if missing).

    Lines are serialised and written on the exporters' background thread (a slow or full
    disk never holds the request), in request order; ``tokenprint.exporters.flush()`` waits
    for them. The file is opened on the first line and kept open, line-buffered, so each
    line reaches the file when written; :meth:`shutdown` flushes and closes it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._where = f"exporter {self!r}"

    def export(self, record: RequestRecord) -> None:
        _worker.submit(self.write, record, where=self._where)

    def write(self, record: RequestRecord) -> None:
        """Append ``record``'s line now, on the calling thread."""
        line = json.dumps(record_dict(record), separators=(",", ":")) + "\n"
        with self._lock:
            f = self._file
            if f is None or f.closed:
                folder = os.path.dirname(self.path)
                if folder:
                    os.makedirs(folder, exist_ok=True)
                f = self._file = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            try:
                f.write(line)
            except OSError:  # a full or failing disk: this line is lost (and reported) ...
                self._file = None  # ... and the next one reopens the file
                with contextlib.suppress(OSError):
                    f.close()  # the line still buffered would fail the same way: dropped
                raise

    def shutdown(self) -> None:
        """Write what is waiting (at most about a second), then close the file (a later
        request reopens it)."""
        _worker.flush()
        if not self._lock.acquire(timeout=0.1):  # a write is stuck (the disk): leave it be
            return
        try:
            if self._file is not None:
                self._file.close()
                self._file = None
        finally:
            self._lock.release()

    def __repr__(self) -> str:
        return f"JsonLinesExporter({self.path!r})"
