"""The pytest plugin's Markdown summary, run for real with pytester: to --impact-summary or
appended to $GITHUB_STEP_SUMMARY; ``tokenprint check`` on the report it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

import tokenprint
from tokenprint.cli import main
from tokenprint.cli._summary import show
from tokenprint.impacts import units

pytest_plugins = ["pytester"]

# The pytester fixture drops the modules first imported while it is in use (numpy would then
# fail to load again in later tests): inner runs are subprocesses, and what this file's tests
# use in-process (pint and numpy through amounts, the estimator) is loaded here.
units.parse_amount("1 g", "gwp")
tokenprint.estimate("gpt-4o-mini", 100, 50)

TESTS = """
import pytest
import tokenprint
from tokenprint import events
from tokenprint.records import RequestRecord, Usage


def send(output=100, model="gpt-4o-mini"):
    impacts = tokenprint.estimate(model, output, 50)
    events.run_after(RequestRecord.now(Usage("openai", model, 50, output), impacts, {}))


@pytest.mark.impact_budget(per_request={"gwp": "1 kg"})
def test_small():
    send(100)


@pytest.mark.impact_budget(total={"gwp": "1 ug"})
def test_big():
    send(100)
    send(3000)


@pytest.mark.impact_budget(per_request={"gwp": "1 kg"}, unknown_model="warn")
def test_unknown_model():
    send(10, model="nope-model")


def test_untracked():
    pass
"""


def gwp_kg(*outputs: int, bound: str = "central") -> float:
    """GWP of helper requests (best estimate, or "max"), in kg."""
    total = 0.0
    for output in outputs:
        gwp = tokenprint.estimate("gpt-4o-mini", output, 50).gwp
        assert gwp is not None
        total += getattr(gwp, bound)
    return total


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_inner=TESTS)
    return pytester


def test_impact_summary_lists_totals_tests_breaches_and_unestimated(
    inner: pytest.Pytester,
) -> None:
    out = inner.path / "summary.md"
    result = inner.runpytest_subprocess("--impact-summary", str(out), "-W", "ignore::UserWarning")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([f"impact summary written to {out}"])
    text = out.read_text()
    assert text.startswith("### tokenprint: impacts of the tests\n")
    assert "4 request(s) in `pytest session`, **1 not estimated**" in text
    assert f"| GWP (gCO2eq) | {show('gwp', gwp_kg(100, 100, 3000))} |" in text
    assert "| test_inner.py::test_big | 2 | 0 | " in text
    assert f"| {show('gwp', gwp_kg(100, 3000))} |" in text
    assert "| test_inner.py::test_unknown_model | 1 | 1 | " in text
    assert "| test_inner.py::test_untracked | 0 | 0 |" in text  # the option tracks every test
    assert "#### Breaches (1)" in text
    assert "- test_inner.py::test_big: gwp total" in text
    assert "test_small:" not in text.split("#### Breaches")[1]
    assert (
        "- test_inner.py::test_unknown_model request 4 (nope-model): model-not-registered" in text
    )


@pytest.fixture
def step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$GITHUB_STEP_SUMMARY, holding an earlier step's summary."""
    path = tmp_path / "step.md"
    path.write_text("## earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    return path


def test_github_step_summary_gets_the_summary_appended(inner: pytest.Pytester, step: Path) -> None:
    result = inner.runpytest_subprocess("-W", "ignore::UserWarning")
    result.assert_outcomes(passed=3, failed=1)
    text = step.read_text()
    assert text.startswith("## earlier step\n### tokenprint: impacts of the tests\n")
    # only the tests asking for tracking are in it: the plugin does nothing unasked
    assert "test_small" in text and "test_untracked" not in text


def test_github_step_summary_untouched_when_nothing_is_tracked(
    pytester: pytest.Pytester, step: Path
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    assert step.read_text() == "## earlier step\n"


def test_check_reads_the_plugins_report_and_summarises_it(
    inner: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    report = inner.path / "impacts.json"
    inner.runpytest_subprocess("--impact-report", str(report), "-W", "ignore::UserWarning")
    summary = inner.path / "check.md"
    limit = f"{gwp_kg(100, bound='max') * 1.5 * 1000}g"
    code = main(
        ["check", str(report), "--max-gwp", limit, "--per", "test", "--summary", str(summary)]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "test_inner.py::test_big: gwp" in out and "test_small: gwp" not in out
    text = summary.read_text()
    assert "**2 breach(es)**" in text  # test_big over the limit, test_unknown_model unestimated
    assert "- test_inner.py::test_big: gwp" in text
