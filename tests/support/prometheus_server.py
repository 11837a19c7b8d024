"""A real Prometheus server for tests: Debian's ``prometheus`` binary, started on loopback
with a generated configuration scraping one target, queried over its HTTP API, and always
stopped. Every wait is bounded."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "BINARY",
    "free_port",
    "query",
    "query_range",
    "scrape",
    "server",
    "skip_unless_installed",
    "wait_for",
]

BINARY = shutil.which("prometheus") or (
    "/usr/bin/prometheus" if os.path.exists("/usr/bin/prometheus") else None
)
"""The Prometheus server binary, or None when it is not installed."""


def skip_unless_installed() -> None:
    """Skip the calling test module, with how to install it, when the binary is absent."""
    if BINARY is None:
        import pytest

        pytest.skip(
            "the Prometheus server binary is not installed (apt-get install prometheus; "
            ".ci/run installs it)",
            allow_module_level=True,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        body: bytes = reply.read()
        return body


def scrape(port: int) -> str:
    """The text a scrape of ``127.0.0.1:port/metrics`` returns."""
    return _get(f"http://127.0.0.1:{port}/metrics").decode()


@contextlib.contextmanager
def server(target_port: int, folder: Path, interval: str = "1s") -> Iterator[str]:
    """Run Prometheus scraping ``127.0.0.1:target_port`` every ``interval``; yields its URL."""
    assert BINARY is not None
    port = free_port()
    config = folder / "prometheus.yml"
    config.write_text(
        "global:\n"
        f"  scrape_interval: {interval}\n"
        f"  evaluation_interval: {interval}\n"
        "scrape_configs:\n"
        "  - job_name: app\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{target_port}']\n"
    )
    log = (folder / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            BINARY,
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url, proc), what="Prometheus to be ready", log=folder)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def _ready(url: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"prometheus exited with {proc.returncode}")
    try:
        return _get(url + "/-/ready", timeout=1.0).startswith(b"Prometheus")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def query(url: str, expr: str, at: float | None = None) -> dict[str, Any]:
    """The ``data`` of an instant query (at the time ``at``, default now; ``status`` must be
    success)."""
    params = {"query": expr} if at is None else {"query": expr, "time": repr(at)}
    return _api(f"{url}/api/v1/query?{urllib.parse.urlencode(params)}", expr)


def query_range(url: str, expr: str, start: float, end: float, step: float) -> dict[str, Any]:
    """The ``data`` of a range query from ``start`` to ``end`` every ``step`` seconds
    (``status`` must be success)."""
    params = {"query": expr, "start": repr(start), "end": repr(end), "step": repr(step)}
    return _api(f"{url}/api/v1/query_range?{urllib.parse.urlencode(params)}", expr)


def _api(address: str, expr: str) -> dict[str, Any]:
    try:
        reply = json.loads(_get(address))
    except urllib.error.HTTPError as exc:  # a bad query answers 400 with the reason
        reply = json.loads(exc.read())
    assert reply["status"] == "success", (expr, reply)
    data: dict[str, Any] = reply["data"]
    return data


def wait_for(
    condition: Callable[[], Any], what: str, timeout: float = 30.0, log: Path | None = None
) -> Any:
    """Poll ``condition`` until it returns something true (returned), or fail after ``timeout``
    seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = ""
            if log is not None and (log / "prometheus.log").exists():
                tail = (log / "prometheus.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")
        time.sleep(0.2)
