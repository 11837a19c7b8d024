"""vcrpy set-up shared by the SDK tests: hand-written cassettes under tests/cassettes/<sdk>/,
never recorded (``record_mode="none"``: a request a cassette does not hold fails instead of
reaching the network), secrets filtered, the method's case ignored (aiohttp sends ``post``);
plus :func:`records`, which collects what trackers and exporters receive."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import vcr

from tokenprint import events
from tokenprint.records import RequestRecord

__all__ = [
    "CASSETTES",
    "Records",
    "cassette",
    "estimated_impacts",
    "failing_transport",
    "records",
    "use_cassette",
]

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


def _upper_method(request: Any) -> Any:
    request.method = request.method.upper()
    return request


_VCR = vcr.VCR(
    record_mode="none",
    before_record_request=_upper_method,
    filter_headers=[
        "authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-amz-date",
        "x-amz-security-token",
    ],
    decode_compressed_response=True,
    match_on=["method", "scheme", "host", "port", "path", "query"],
)


def cassette(sdk: str, name: str, **options: Any) -> Any:
    """Replay ``tests/cassettes/<sdk>/<name>.yaml`` (a context manager; vcrpy options pass)."""
    return _VCR.use_cassette(str(CASSETTES / sdk / f"{name}.yaml"), **options)


@contextlib.contextmanager
def use_cassette(sdk: str, name: str) -> Iterator[Any]:
    """Play ``tests/cassettes/<sdk>/<name>.yaml``; a request it does not hold fails."""
    path = CASSETTES / sdk / f"{name}.yaml"
    assert path.exists(), path
    with _VCR.use_cassette(str(path), allow_playback_repeats=False) as cassette:
        yield cassette


def openai_include_usage() -> dict[str, Any]:
    """Keyword arguments asking an OpenAI chat stream for its usage chunk; releases before
    ``stream_options`` existed get the same request body through ``extra_body``."""
    import inspect

    from openai.resources.chat import Completions

    options = {"include_usage": True}
    if "stream_options" in inspect.signature(Completions.create).parameters:
        return {"stream_options": options}
    return {"extra_body": {"stream_options": options}}


def request_id(obj: Any) -> Any:
    """``obj._request_id``, or skip the test on SDK releases that do not keep it."""
    import pytest

    rid = getattr(obj, "_request_id", None)
    if rid is None:
        pytest.skip("this SDK release does not keep the request id on responses")
    return rid


def sdk_method(obj: Any, *paths: str) -> Any:
    """The first of the dotted attribute ``paths`` that ``obj`` has (SDK releases move
    methods: ``chat.completions.parse`` was ``beta.chat.completions.parse``), or skip."""
    import pytest

    for path in paths:
        target = obj
        for part in path.split("."):
            target = getattr(target, part, None)
            if target is None:
                break
        if target is not None:
            return target
    pytest.skip(f"this SDK release has none of {', '.join(paths)}")


def closable(stream: Any) -> Any:
    """``stream``, or skip on SDK releases whose streams have no ``close()`` / ``with``."""
    import pytest

    if not hasattr(type(stream), "close"):
        pytest.skip("streams of this SDK release have no close() or context manager")
    return stream


class Records(list[RequestRecord]):
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
    events.add_after(out.append)
    try:
        yield out
    finally:
        events.remove(out.append)


def estimated_impacts(obj: Any) -> Any:
    """``obj.impacts``, checked to be an estimate: no error, a positive energy."""
    from tokenprint.impacts.results import Impacts

    impacts = obj.impacts
    assert isinstance(impacts, Impacts), impacts
    assert impacts.errors == [], impacts.errors
    assert impacts.energy is not None and impacts.energy.value.min > 0  # type: ignore[union-attr]
    return impacts


def failing_transport(status: int, body: dict[str, Any]) -> Any:
    """An ``httpx`` transport (sync and async) answering every request with an error."""
    import httpx

    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))
