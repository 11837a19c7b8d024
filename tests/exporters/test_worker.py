"""The exporters' background thread: a stuck disk never holds a request, failures surface on
the caller's thread, flush waits a bounded time, an overloaded queue drops and says so."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.exporter_records import make_record
from tokenprint import EcoLogits, events, exporters
from tokenprint.exporters import _worker


@pytest.fixture
def stuck() -> Iterator[threading.Event]:
    """The background thread held by a job until the event is set (set at the end)."""
    release = threading.Event()
    started = threading.Event()

    def hold() -> None:
        started.set()
        release.wait(30)

    _worker.submit(hold, where="test")
    assert started.wait(10)
    try:
        yield release
    finally:
        release.set()
        assert _worker.wait(10)


def test_a_stuck_writer_does_not_hold_the_request(stuck: threading.Event, tmp_path: Path) -> None:
    path = tmp_path / "impacts.jsonl"
    EcoLogits.init(exporters=f"jsonl:{path}")
    events.run_after(make_record())  # returns while the writer is held
    assert not stuck.is_set() and not path.exists()
    stuck.set()
    assert exporters.flush(10)
    assert len(path.read_text().splitlines()) == 1


def test_flush_gives_up_after_its_timeout(
    stuck: threading.Event, caplog: pytest.LogCaptureFixture
) -> None:
    _worker.submit(lambda: None, where="test")
    with caplog.at_level(logging.WARNING, "tokenprint"):
        assert exporters.flush(0.05) is False
    assert "still had 1 items" in caplog.text


def test_a_full_queue_drops_and_says_so(
    stuck: threading.Event, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_worker, "MAX_PENDING", 2)
    done: list[int] = []
    with caplog.at_level(logging.WARNING, "tokenprint"):
        for i in range(5):
            _worker.submit(done.append, i, where="test")
        stuck.set()
        assert exporters.flush(10)
    assert done == [0, 1]
    assert "cannot keep up" in caplog.text and "dropped 3 items" in caplog.text


def test_a_failure_on_the_thread_is_raised_on_the_callers_under_pytest() -> None:
    def fail() -> None:
        raise OSError("No space left on device")

    _worker.submit(fail, where="exporter X")
    with pytest.raises(OSError, match="No space left"):
        exporters.flush(10)
    exporters.flush(10)  # reported once


def test_work_queued_behind_a_failure_still_runs_in_order(stuck: threading.Event) -> None:
    """What waited behind a failing item (taken as one batch with it) is not lost."""
    done: list[int] = []

    def fail() -> None:
        raise OSError("No space left on device")

    _worker.submit(done.append, 1, where="test")
    _worker.submit(fail, where="exporter Z")
    _worker.submit(done.append, 2, where="test")
    stuck.set()
    with pytest.raises(OSError, match="No space left"):
        exporters.flush(10)
    assert done == [1, 2]


def test_a_failure_is_logged_once_in_production(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TOKENPRINT_STRICT", "0")

    def fail() -> None:
        raise OSError("No space left on device")

    with caplog.at_level(logging.WARNING, "tokenprint"):
        for _ in range(3):
            _worker.submit(fail, where="exporter Y")
        exporters.flush(10)
    assert sum("exporter Y" in r.getMessage() for r in caplog.records) == 1


def test_shutdown_with_a_stuck_writer_waits_about_a_second_in_all(
    stuck: threading.Event, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    EcoLogits.init(exporters=[f"jsonl:{tmp_path / 'a.jsonl'}", f"jsonl:{tmp_path / 'b.jsonl'}"])
    events.run_after(make_record())
    done = threading.Thread(target=EcoLogits.shutdown, daemon=True)
    with caplog.at_level(logging.WARNING, "tokenprint"):
        done.start()
        done.join(5)  # one wait of 1 s for the three flushes (uninstall's, then each file's)
    assert not done.is_alive(), "shutdown waited for the stuck writer"
    assert caplog.text.count("not waiting longer") == 1
