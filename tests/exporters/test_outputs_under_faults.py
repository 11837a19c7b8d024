"""Every output on at once, with the faults of production: a full disk under the JSON-lines
file (``/dev/full``), an unreachable OTLP collector, a scraper that connects and never speaks.
The other outputs lose no request, each fault is logged once, and shutdown is bounded."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

import pytest

pytest.importorskip("prometheus_client")
pytest.importorskip("opentelemetry.sdk")

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.exporter_records import make_record
from tests.support.prometheus_server import free_port
from tokenprint import EcoLogits, events, exporters
from tokenprint.exporters.prometheus import PrometheusExporter


def _shutdown_within(seconds: float) -> bool:
    """Run EcoLogits.shutdown() in a thread; True if it returned within ``seconds``."""
    done = threading.Thread(target=EcoLogits.shutdown, daemon=True)
    done.start()
    done.join(seconds)
    return not done.is_alive()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_faulty_outputs_lose_no_request_in_the_others(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TOKENPRINT_STRICT", "0")  # production behaviour: log, go on
    seen: list[Any] = []
    registry = CollectorRegistry()
    EcoLogits.init(
        exporters=[
            "jsonl:/dev/full",  # every write fails with ENOSPC
            f"otlp:http://127.0.0.1:{free_port()}",  # nothing listens there
            {"type": "prometheus", "registry": registry, "port": 0, "addr": "127.0.0.1"},
            seen.append,
        ]
    )
    prom = next(e for e in exporters.active() if isinstance(e, PrometheusExporter))
    assert prom.port is not None
    stalled = socket.create_connection(("127.0.0.1", prom.port))  # a scraper that never speaks
    try:
        with caplog.at_level(logging.WARNING, "tokenprint"):
            for _ in range(50):
                events.run_after(make_record())
            exposed = generate_latest(registry).decode()
            assert _shutdown_within(5.0), "shutdown hung"
    finally:
        stalled.close()
    assert len(seen) == 50
    families = text_string_to_metric_families(exposed)
    assert any(
        s.name == "tokenprint_requests_total" and s.value == 50 for f in families for s in f.samples
    )
    disk = [r for r in caplog.records if "JsonLinesExporter" in r.getMessage()]
    assert len(disk) == 1 and "No space left" in disk[0].getMessage()


def test_a_collector_that_never_answers_holds_shutdown_about_a_second() -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, reads nothing, never answers
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        EcoLogits.init(exporters=[f"otlp:http://127.0.0.1:{port}"])
        events.run_after(make_record())
        start = time.monotonic()
        assert _shutdown_within(10.0), "shutdown hung"
        took = time.monotonic() - start
    finally:
        silent.close()
    # a behaviour bound, not a timing: the SDK's own default would hold it 10 s and more
    assert took < 2.0, took
