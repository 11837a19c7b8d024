"""The speech catalogue: what ``data/audio_models.csv`` says of each speech model beyond the
columns of ``models.csv`` (names resolve through :mod:`tokenprint.catalog.models`, which
reads the same file).

Extra columns: ``encoder_params`` (billions; encoder-decoder models), ``input_rate`` and
``output_rate`` (audio tokens per second, ``_min``/``_max`` columns) and ``window_seconds``.
"""

from __future__ import annotations

import threading

from tokenprint.catalog import models
from tokenprint.catalog._files import parse_range, read_csv
from tokenprint.impacts.audio import GENERIC_INPUT_RATE, GENERIC_OUTPUT_RATE, AudioSpec
from tokenprint.impacts.ranges import Value

__all__ = ["spec_for"]

_lock = threading.Lock()
_specs: dict[str, AudioSpec] | None = None


def _rate(row: dict[str, str], key: str, default: Value) -> Value:
    return parse_range(row, key) if row.get(f"{key}_min") else default


def _row(row: dict[str, str]) -> AudioSpec:
    rec = models.record_from_row(row)
    return AudioSpec(
        name=rec.name,
        model=rec.spec(),
        encoder_params=float(row.get("encoder_params") or 0),
        input_rate=_rate(row, "input_rate", GENERIC_INPUT_RATE),
        output_rate=_rate(row, "output_rate", GENERIC_OUTPUT_RATE),
        window_seconds=float(row.get("window_seconds") or 0),
    )


def _all() -> dict[str, AudioSpec]:
    global _specs
    if _specs is None:
        with _lock:
            if _specs is None:
                _specs = {s.name: s for s in map(_row, read_csv("audio_models.csv"))}
    return _specs


def spec_for(record: models.ModelRecord) -> AudioSpec:
    """The speech spec of a resolved record: its row's, else a decoder-only model with the
    generic audio-token rates (a model registered with ``modality="speech-to-text"``)."""
    spec = _all().get(record.name)
    if spec is not None and spec.model.total_params == record.total_params:
        return spec
    return AudioSpec(record.name, record.spec())
