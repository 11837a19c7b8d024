"""vcrpy set-up shared by the SDK tests: hand-written cassettes under tests/cassettes/<sdk>/,
never recorded (``record_mode="none"``), secrets filtered."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import vcr

__all__ = ["CASSETTES", "use_cassette"]

CASSETTES = Path(__file__).parent / "cassettes"

_VCR = vcr.VCR(
    record_mode="none",
    filter_headers=["authorization", "x-api-key", "api-key", "x-amz-date", "x-amz-security-token"],
    decode_compressed_response=True,
    match_on=["method", "scheme", "host", "port", "path", "query"],
)


@contextlib.contextmanager
def use_cassette(sdk: str, name: str) -> Iterator[Any]:
    """Play ``tests/cassettes/<sdk>/<name>.yaml``; a request it does not hold fails."""
    path = CASSETTES / sdk / f"{name}.yaml"
    assert path.exists(), path
    with _VCR.use_cassette(str(path), allow_playback_repeats=False) as cassette:
        yield cassette
