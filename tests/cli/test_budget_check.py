"""``tokenprint check``: limits on a JSON impact report, for CI steps that don't run pytest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tokenprint
from tokenprint import EcoLogits, events
from tokenprint.cli import main
from tokenprint.records import RequestRecord, Usage


def send(output: int, model: str = "gpt-4o-mini") -> None:
    impacts = tokenprint.estimate(model, output, 50)
    events.run_after(RequestRecord.now(Usage("openai", model, 50, output), impacts, {}))


@pytest.fixture
def report(tmp_path: Path) -> tuple[str, float, float]:
    """A tracker report of two requests; returns (path, total gwp min, max) in grams."""
    with EcoLogits.track() as t:
        send(100)
        send(1000)
    path = str(tmp_path / "report.json")
    t.to_json(path)
    gwp = t.total.gwp
    assert gwp is not None
    return path, gwp.min * 1000, gwp.max * 1000


def test_within_limits_exits_zero(
    report: tuple[str, float, float], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, high = report
    assert main(["check", path, "--max-gwp", f"{high * 1.01}g", "--max-energy", "1 kWh"]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 total item(s) within energy <= 1 kWh, gwp <=")


def test_breach_exits_one_and_lists_it(
    report: tuple[str, float, float], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, high = report
    limit = high * 0.99
    assert main(["check", path, "--max-gwp", f"{limit}g"]) == 1
    out = capsys.readouterr().out
    assert "impact budget exceeded (1):" in out
    assert f"total: gwp {high:.4g} g (max) exceeds {limit:.4g} g" in out


def test_bound_min_checks_the_low_end(report: tuple[str, float, float]) -> None:
    path, low, high = report
    between = (low + high) / 2
    assert main(["check", path, "--max-gwp", f"{between}g", "--bound", "min"]) == 0
    assert main(["check", path, "--max-gwp", f"{between}g", "--bound", "max"]) == 1


def test_per_request_checks_each_request(
    report: tuple[str, float, float], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, _ = report
    small = tokenprint.estimate("gpt-4o-mini", 100, 50).gwp
    assert small is not None
    limit = small.max * 1000 * 1.01  # the 100-token request fits, the 1000-token one not
    assert main(["check", path, "--max-gwp", f"{limit}g", "--per", "request"]) == 1
    out = capsys.readouterr().out
    assert "request 2 (gpt-4o-mini): gwp" in out
    assert "request 1 " not in out


def test_per_test_checks_each_test_of_a_pytest_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with EcoLogits.track() as a:
        send(100)
    with EcoLogits.track() as b:
        send(1000)
    data = {
        "format": "tokenprint-report",
        "version": 1,
        "total": (a.total + b.total).to_dict(),
        "tests": [
            {"nodeid": "t.py::test_a", "total": a.total.to_dict(), "requests": []},
            {"nodeid": "t.py::test_b", "total": b.total.to_dict(), "requests": []},
        ],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    a_gwp = a.total.gwp
    assert a_gwp is not None
    limit = f"{a_gwp.max * 1000 * 1.01}g"
    assert main(["check", str(path), "--max-gwp", limit, "--per", "test"]) == 1
    out = capsys.readouterr().out
    assert "t.py::test_b: gwp" in out and "t.py::test_a" not in out


def test_water_limit_reads_the_wcf_criterion(report: tuple[str, float, float]) -> None:
    path, _, _ = report
    assert main(["check", path, "--max-water", "1 L"]) == 0
    assert main(["check", path, "--max-water", "0.001 mL"]) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--max-gwp", "5g"],  # report missing (path replaced below)
        [],  # no limit
        ["--max-gwp", "5 Wh"],  # wrong dimension
        ["--max-gwp", "5"],  # no unit
    ],
)
def test_bad_input_exits_two(
    args: list[str], report: tuple[str, float, float], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, _ = report
    target = path + ".missing" if args == ["--max-gwp", "5g"] else path
    assert main(["check", target, *args]) == 2
    assert capsys.readouterr().err.startswith("tokenprint: error:")


@pytest.mark.parametrize(
    "content", ["not json", '{"format": "something-else"}', '{"format": "tokenprint-report"}']
)
def test_unreadable_reports_exit_two(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert main(["check", str(path), "--max-gwp", "5g"]) == 2


def test_a_report_with_nothing_to_check_exits_two(
    report: tuple[str, float, float], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _, _ = report  # a tracker report: requests, no tests
    assert main(["check", path, "--max-gwp", "5g", "--per", "test"]) == 2
    assert "has no tests to check" in capsys.readouterr().err


def test_command_line_exit_status_is_non_zero_on_breach(report: tuple[str, float, float]) -> None:
    path, _, _ = report
    cmd = [sys.executable, "-m", "tokenprint", "check", path, "--max-energy", "1e-9 Wh"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert out.returncode == 1
    assert "energy" in out.stdout
