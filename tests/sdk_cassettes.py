"""Shared pieces of the SDK adapter tests: replay a hand-written cassette, collect records.

Cassettes live in ``tests/cassettes/<sdk>/<name>.yaml`` (decoded YAML, written by hand, no
secrets). They are replayed with ``record_mode="none"``: a request the cassette does not
hold fails the test instead of reaching the network. Matching ignores the method's case
(aiohttp sends ``post``), the body and the headers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import vcr

from tokenprint import hooks

__all__ = ["CASSETTES", "Records", "cassette", "records"]

CASSETTES = Path(__file__).parent / "cassettes"


def _upper_method(request: Any) -> Any:
    request.method = request.method.upper()
    return request


_VCR = vcr.VCR(
    record_mode="none",
    before_record_request=_upper_method,
    filter_headers=["authorization", "x-api-key", "api-key", "x-goog-api-key"],
)


def cassette(sdk: str, name: str, **options: Any) -> Any:
    """Replay ``tests/cassettes/<sdk>/<name>.yaml`` (a context manager)."""
    return _VCR.use_cassette(str(CASSETTES / sdk / f"{name}.yaml"), **options)


class Records(list[hooks.RequestRecord]):
    """Every request record published while open (what trackers and exporters receive)."""

    @property
    def usage(self) -> Any:
        """The Usage of the only record (fails when there is not exactly one)."""
        assert len(self) == 1, f"expected one record, got {len(self)}"
        return self[0].usage


@contextlib.contextmanager
def records() -> Iterator[Records]:
    """Collect the after-hook records published inside the block."""
    out = Records()
    hooks.add_after(out.append)
    try:
        yield out
    finally:
        hooks.remove(out.append)
