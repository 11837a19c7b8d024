"""The pytest plugin, run for real with pytester: markers, fixture, options, summary, report.

Inner test files make requests without network: they hand records built from
``tokenprint.estimate()`` to the after-hook, as the instrumentation core does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tokenprint
import tokenprint.api
import tokenprint.budgets
import tokenprint.estimator

pytest_plugins = ["pytester"]

# Inline pytester runs drop the modules first imported during the run; importing ours here
# keeps one copy of each, so the after-hook the inner runs register is always the same one.
assert tokenprint.budgets and tokenprint.api and tokenprint.estimator

HELPER = """
import pytest
import tokenprint
from tokenprint import events
from tokenprint.records import RequestRecord
from tokenprint.records import Usage


def send(output=100, model="gpt-4o-mini"):
    impacts = tokenprint.estimate(model, output, 50)
    record = RequestRecord.now(Usage("openai", model, 50, output), impacts, {})
    events.run_after(record)
"""


def grams(output: int = 100) -> float:
    """Upper bound of the GWP of one helper request, in grams."""
    gwp = tokenprint.estimate("gpt-4o-mini", output, 50).gwp
    assert gwp is not None
    return gwp.max * 1000.0


def write(pytester: pytest.Pytester, body: str) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_inner=HELPER + textwrap.dedent(body))


def test_marker_per_request_fails_the_test_with_a_readable_message(
    pytester: pytest.Pytester,
) -> None:
    limit = grams(100) * 2
    write(
        pytester,
        f"""
        @pytest.mark.impact_budget(per_request={{"gwp": "{limit} g"}})
        def test_small():
            send(output=100)

        @pytest.mark.impact_budget(per_request={{"gwp": "{limit} g"}})
        def test_big():
            send(output=100)
            send(output=5000)
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_big*",
            "*impact budget exceeded:*",
            f"*request 2: gwp per-request * g (max) exceeds the budget of {limit:.4g} g"
            " (request to gpt-4o-mini)*",
        ]
    )
    result.stdout.no_fnmatch_line("*request 1:*")


def test_marker_total_limits_the_sum_of_the_tests_requests(pytester: pytest.Pytester) -> None:
    limit = grams(100) * 2.5
    write(
        pytester,
        f"""
        pytestmark = pytest.mark.impact_budget(total={{"gwp": "{limit} g"}})

        def test_two():
            send()
            send()

        def test_three():
            send()
            send()
            send()
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*gwp total * g (max) exceeds the budget of*"])


def test_a_failing_test_keeps_its_own_failure(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        @pytest.mark.impact_budget(per_request={"gwp": "0 g"})
        def test_broken():
            send()
            assert 1 == 2, "own failure"
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*own failure*"])
    result.stdout.no_fnmatch_line("*impact budget exceeded*")


def test_bad_marker_arguments_fail_the_test_and_say_why(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        @pytest.mark.impact_budget(per_request={"gwp": 0.5})
        def test_no_unit():
            send()
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*impact_budget: budget gwp=0.5 has no unit*"])


def test_impacts_fixture_tracks_the_tests_requests(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_counts(impacts):
            send()
            send(model="gpt-4o")
            assert len(impacts.requests) == 2
            assert set(impacts.by_model()) == {"gpt-4o-mini", "gpt-4o"}
            assert impacts.total.gwp < "1 kg"

        def test_fresh_tracker_per_test(impacts):
            assert impacts.requests == []

        @pytest.mark.asyncio
        async def test_async(impacts):
            send()
            assert len(impacts.requests) == 1
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)


def test_tracked_test_gets_tokenprint_initialised_for_its_duration(
    pytester: pytest.Pytester,
) -> None:
    write(
        pytester,
        """
        from tokenprint import EcoLogits

        def test_tracked(impacts):
            assert EcoLogits.config() is not None

        def test_untracked_afterwards():
            assert EcoLogits.config() is None
        """,
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_command_line_budget_applies_to_each_tests_total(pytester: pytest.Pytester) -> None:
    limit = grams(100) * 2.5
    write(
        pytester,
        """
        def test_light():
            send()
            send()

        def test_heavy():
            send()
            send()
            send()
        """,
    )
    result = pytester.runpytest(f"--impact-budget-gwp={limit}g")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*gwp total * exceeds the budget of * g [[]command line[]]*"])


def test_command_line_budget_per_request(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_small():
            send(output=10)

        def test_big():
            send(output=5000)
        """,
    )
    limit = grams(100)
    result = pytester.runpytest(f"--impact-budget-gwp={limit}g", "--impact-budget-per=request")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*request 1: gwp per-request*"])


def test_session_budget_fails_the_run_not_a_test(pytester: pytest.Pytester) -> None:
    limit = grams(100) * 1.5
    write(
        pytester,
        """
        def test_one():
            send()

        def test_two():
            send()
        """,
    )
    result = pytester.runpytest(f"--impact-budget-gwp={limit}g", "--impact-budget-per=session")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*impact budget exceeded (session): gwp total*"])


def test_water_energy_and_bound_options(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_one():
            send()
        """,
    )
    impacts = tokenprint.estimate("gpt-4o-mini", 100, 50)
    assert impacts.wcf is not None and impacts.energy is not None
    between_ml = (impacts.wcf.min + impacts.wcf.max) / 2 * 1000 * 0.99
    loose = pytester.runpytest(f"--impact-budget-water={between_ml}mL", "--impact-bound=min")
    loose.assert_outcomes(passed=1)
    strict = pytester.runpytest(f"--impact-budget-water={between_ml}mL", "--impact-bound=mean")
    strict.assert_outcomes(failed=1)
    strict.stdout.fnmatch_lines(["*wcf total * mL (mean) exceeds*"])
    energy = pytester.runpytest("--impact-budget-energy=1 kWh")
    energy.assert_outcomes(passed=1)


def test_unreadable_command_line_amount_is_a_usage_error(pytester: pytest.Pytester) -> None:
    write(pytester, "def test_one():\n    pass\n")
    result = pytester.runpytest("--impact-budget-gwp=banana")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--impact-budget-*banana*"])


def test_terminal_summary_lists_tracked_tests_and_the_total(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_a(impacts):
            send()

        def test_b(impacts):
            send()
            send()

        def test_untracked():
            send()
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*tokenprint: impacts per test (min – max)*",
            "test*requests*energy Wh*gwp gCO2eq*water mL",
            "*test_inner.py::test_a*1*",
            "*test_inner.py::test_b*2*",
            "TOTAL*3*",
        ]
    )
    result.stdout.no_fnmatch_line("*test_untracked*")


def test_no_summary_when_nothing_is_tracked(pytester: pytest.Pytester) -> None:
    write(pytester, "def test_one():\n    send()\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*impacts per test*")


def test_impact_report_writes_json_for_tokenprint_check(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_a():
            send()

        def test_b():
            send(model="gpt-4o")
        """,
    )
    path = pytester.path / "impacts.json"
    result = pytester.runpytest(f"--impact-report={path}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"impact report written to {path}"])
    data = json.loads(path.read_text())
    assert data["format"] == "tokenprint-report"
    assert [t["nodeid"] for t in data["tests"]] == [
        "test_inner.py::test_a",
        "test_inner.py::test_b",
    ]
    assert data["total"]["basis"]["requests"] == 2
    assert data["tests"][1]["requests"][0]["basis"]["model_resolved"] == "gpt-4o"
    a = tokenprint.estimate("gpt-4o-mini", 100, 50).gwp
    b = tokenprint.estimate("gpt-4o", 100, 50).gwp
    assert a is not None and b is not None
    assert data["total"]["gwp"]["value"]["max"] == pytest.approx(a.max + b.max)

    from tokenprint.cli import main

    assert main(["check", str(path), "--max-gwp", "1kg"]) == 0
    assert main(["check", str(path), "--max-gwp", f"{a.max * 1000}g"]) == 1


def test_plugin_is_inert_unless_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inert="""
        import sys

        def test_nothing_loaded():
            assert "tokenprint.pytest_plugin" in sys.modules  # loaded by the entry point
            loaded = [m for m in ("tokenprint.budgets", "pint", "openai", "anthropic")
                      if m in sys.modules]
            assert loaded == []
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    code = (
        "from importlib.metadata import entry_points;"
        "print([e.value for e in entry_points(group='pytest11') if e.name == 'tokenprint'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['tokenprint.pytest_plugin']"


def test_marker_and_fixture_on_an_instrumented_openai_call(pytester: pytest.Pytester) -> None:
    pytest.importorskip("openai")
    cassette = Path(__file__).parents[1] / "cassettes" / "budgets" / "chat_one.yaml"
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_inner=f"""
        import openai
        import pytest
        import vcr

        MESSAGES = [{{"role": "user", "content": "Summarise this ticket."}}]

        def summarise():
            client = openai.OpenAI(api_key="sk-test", max_retries=0)
            with vcr.use_cassette({str(cassette)!r}, record_mode="none"):
                return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

        @pytest.mark.impact_budget(per_request={{"energy": "0 Wh"}})
        def test_over_budget():
            summarise()

        def test_fixture_sees_the_call(impacts):
            resp = summarise()
            assert [r.impacts for r in impacts.requests] == [resp.impacts]
            assert impacts.total.gwp < "1 g"
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*request 1: energy per-request * Wh (max) exceeds the budget of 0 Wh*"]
    )


def test_an_unknown_model_fails_a_budgeted_test_and_the_check_instead_of_counting_zero(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        pytester,
        """
        @pytest.mark.impact_budget(per_request={"gwp": "0.000001 mg"})
        def test_typo():
            send(model="gtp-4o-mini")

        @pytest.mark.impact_budget(per_request={"gwp": "1 kg"}, unknown_model="warn")
        def test_tolerated():
            send(model="gtp-4o-mini")
        """,
    )
    path = pytester.path / "impacts.json"
    result = pytester.runpytest(f"--impact-report={path}", "-W", "ignore::UserWarning")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_typo*", "*request 1: the impacts of a request to 'gtp-4o-mini' are unknown*"]
    )
    from tokenprint.cli import main

    assert main(["check", str(path), "--max-gwp", "1kg"]) == 1
    assert "not estimated (model-not-registered)" in capsys.readouterr().out
