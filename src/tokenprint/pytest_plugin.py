"""pytest plugin: impact budgets for tests, a per-test summary and a JSON report.

Registered through the ``pytest11`` entry point, so it loads in every pytest run of every
project that has tokenprint installed. It therefore does nothing until asked: importing it
loads neither an SDK nor pint nor tokenprint's own modules, and a test is tracked only when

* it carries ``@pytest.mark.impact_budget(per_request={...}, total={...}, bound="max")``,
* it uses the ``impacts`` fixture (a :class:`~tokenprint.tracking.Tracker` for the test), or
* the session was started with ``--impact-budget-<criterion>=AMOUNT``, ``--impact-report``
  or ``--impact-summary``.

When tests were tracked, a Markdown summary goes to ``--impact-summary=PATH``, or is
appended to ``$GITHUB_STEP_SUMMARY`` when that is set (GitHub Actions).

A tracked test that runs while tokenprint is not initialised gets ``EcoLogits.init()`` for
its duration (and ``shutdown()`` after). Budgets are checked when the test body ends: a
breach fails the test with one line per broken limit. ``--impact-budget-*`` limits apply to
each test's total by default (``--impact-budget-per=request`` for each request,
``=session`` for the sum of the whole run).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tokenprint.impacts.results import OPTION_NAMES

if TYPE_CHECKING:
    from tokenprint.budgets import Budget
    from tokenprint.tracking import Tracker

__all__ = ["impacts"]

_MARKER = "impact_budget"
_EXAMPLES = {"energy": "2Wh", "gwp": "0.5g", "adpe": "1e-6g", "pe": "20kJ", "water": "10mL"}


class _Session:
    """What the plugin collects in one run (created only when something is tracked)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.tests: list[tuple[str, Tracker]] = []
        self.session_breaches: list[str] = []
        self.breaches: list[str] = []
        """Every budget breach of the run, one line each (for the summary)."""
        self.summary: str | None = None
        """Where the Markdown summary went."""
        self.track_all = False
        """True when command-line options ask to track every test."""
        self._options: Budget | None = None
        self._parsed = False

    def options_budget(self) -> Budget | None:
        """The ``--impact-budget-*`` limits as a Budget (None when none given)."""
        if not self._parsed:
            self._parsed = True
            from tokenprint.budgets import Budget

            limits = {
                key: value
                for key in OPTION_NAMES
                if (value := self.config.getoption(f"impact_budget_{key}")) is not None
            }
            per = self.config.getoption("impact_budget_per")
            bound = self.config.getoption("impact_bound")
            if limits:
                try:
                    # a test whose model is unknown fails: it would pass any limit as zero
                    if per == "request":
                        self._options = Budget(
                            per_request=limits, bound=bound, unknown_model="fail"
                        )
                    else:
                        self._options = Budget(total=limits, bound=bound, unknown_model="fail")
                except (ValueError, TypeError) as exc:  # our errors mix these in
                    raise pytest.UsageError(f"--impact-budget-*: {exc}") from exc
        return self._options


_STATE = pytest.StashKey[_Session]()
_TRACKER = pytest.StashKey["Tracker"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tokenprint", "environmental impacts of AI requests (tokenprint)")
    for key in OPTION_NAMES:
        group.addoption(
            f"--impact-budget-{key}",
            dest=f"impact_budget_{key}",
            metavar="AMOUNT",
            default=None,
            help=f"fail a test whose {key} goes over AMOUNT (e.g. {_EXAMPLES[key]})",
        )
    group.addoption(
        "--impact-budget-per",
        dest="impact_budget_per",
        choices=("request", "test", "session"),
        default="test",
        help="what --impact-budget-* limits: each request, each test's total (default) or "
        "the whole session's total",
    )
    group.addoption(
        "--impact-bound",
        dest="impact_bound",
        choices=("max", "mean", "min"),
        default="max",
        help="which end of an impact's range is checked (default: max)",
    )
    group.addoption(
        "--impact-report",
        dest="impact_report",
        metavar="PATH",
        default=None,
        help="write the impacts of every tracked test to PATH (JSON, read by tokenprint check)",
    )
    group.addoption(
        "--impact-summary",
        dest="impact_summary",
        metavar="PATH",
        default=None,
        help="write a Markdown summary of the impacts to PATH (without it: appended to "
        "$GITHUB_STEP_SUMMARY when set)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(per_request=None, total=None, bound='max'): fail the test when its "
        "requests go over these impact limits, e.g. per_request={'gwp': '0.5 g'} (tokenprint)",
    )
    asked = (
        config.getoption("impact_report", None)
        or config.getoption("impact_summary", None)
        or any(config.getoption(f"impact_budget_{key}", None) for key in OPTION_NAMES)
    )
    if asked:
        state = _Session(config)
        state.track_all = True
        state.options_budget()  # bad amounts are a usage error before any test runs
        config.stash[_STATE] = state


def _state(config: pytest.Config) -> _Session:
    state = config.stash.get(_STATE, None)
    if state is None:
        state = config.stash[_STATE] = _Session(config)
    return state


@contextlib.contextmanager
def _instrumented() -> Iterator[None]:
    """``EcoLogits.init()`` for the block, unless tokenprint is already initialised."""
    from tokenprint import events

    if events.current() is not None:
        yield
        return
    from tokenprint.api import EcoLogits

    EcoLogits.init()
    try:
        yield
    finally:
        EcoLogits.shutdown()


@contextlib.contextmanager
def _tracking(item: pytest.Item) -> Iterator[Tracker]:
    """The test's tracker, opened (with instrumentation) for the block if not yet open."""
    existing = item.stash.get(_TRACKER, None)
    if existing is not None:
        yield existing
        return
    from tokenprint.tracking import Tracker

    tracker = Tracker(name=item.nodeid)
    item.stash[_TRACKER] = tracker
    _state(item.config).tests.append((item.nodeid, tracker))
    with _instrumented(), tracker:
        yield tracker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    state = item.config.stash.get(_STATE, None)
    if item.get_closest_marker(_MARKER) is None and not (state and state.track_all):
        return (yield)
    with _tracking(item):
        return (yield)


def _marker_budget(item: pytest.Item) -> Budget | None:
    mark = item.get_closest_marker(_MARKER)
    if mark is None:
        return None
    from tokenprint.budgets import Budget

    if mark.args:
        pytest.fail(
            f"@pytest.mark.{_MARKER} takes keywords: per_request={{...}}, total={{...}}, bound=",
            pytrace=False,
        )
    try:  # an unknown model fails the test unless the marker says otherwise
        return Budget(**{"unknown_model": "fail", **mark.kwargs})
    except (ValueError, TypeError) as exc:
        pytest.fail(f"@pytest.mark.{_MARKER}: {exc}", pytrace=False)


def _problems(item: pytest.Item, tracker: Tracker) -> list[str]:
    """Every broken limit of the test: its marker's, then the command line's."""
    found: list[str] = []
    budget = _marker_budget(item)
    requests = tracker.requests
    if budget is not None:
        found += budget.audit(requests)
    state = item.config.stash.get(_STATE, None)
    options = state.options_budget() if state else None
    if options is not None and item.config.getoption("impact_budget_per") != "session":
        found += [f"{line} [command line]" for line in options.audit(requests)]
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None]:
    result = yield  # a failing test keeps its own failure: we check only after success
    tracker = item.stash.get(_TRACKER, None)
    if tracker is not None:
        found = _problems(item, tracker)
        if found:
            _state(item.config).breaches += [f"{item.nodeid}: {line}" for line in found]
            pytest.fail("impact budget exceeded:\n  " + "\n  ".join(found), pytrace=False)
    return result


@pytest.fixture
def impacts(request: pytest.FixtureRequest) -> Iterator[Tracker]:
    """A tracker of the requests made by this test (``impacts.total``, ``.requests``)."""
    with _tracking(request.node) as tracker:
        yield tracker


# -- end of session: session budget, report, summary ----------------------------------------
def report(state: _Session) -> dict[str, Any]:
    """The JSON report: the run's total and each tracked test with its requests."""
    from tokenprint.impacts.results import Impacts
    from tokenprint.tracking import REPORT_FORMAT, request_dict

    tests = []
    totals = []
    for nodeid, tracker in state.tests:
        requests = tracker.requests
        total = Impacts.sum(r.impacts for r in requests)
        totals.append(total)
        tests.append(
            {
                "nodeid": nodeid,
                "total": total.to_dict(),
                "requests": [request_dict(r) for r in requests],
            }
        )
    return {
        "format": REPORT_FORMAT,
        "version": 1,
        "total": Impacts.sum(totals).to_dict(),
        "tests": tests,
    }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    options = state.options_budget()
    if options is not None and session.config.getoption("impact_budget_per") == "session":
        requests = [r for _, t in state.tests for r in t.requests]
        state.session_breaches = options.audit(requests)
        if state.session_breaches and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    data = report(state)
    path = session.config.getoption("impact_report")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
    _write_summary(session.config, state, data)


def _write_summary(config: pytest.Config, state: _Session, data: dict[str, Any]) -> None:
    """The Markdown summary, to --impact-summary or $GITHUB_STEP_SUMMARY (if either)."""
    path = config.getoption("impact_summary")
    if not state.tests or not (path or os.environ.get("GITHUB_STEP_SUMMARY")):
        return
    from tokenprint.cli import _read, _summary

    rep = _read.from_dict(data, config.getoption("impact_report") or "pytest session")
    breaches = state.breaches + [f"session: {line}" for line in state.session_breaches]
    text = _summary.markdown(rep, title="impacts of the tests", breaches=breaches)
    state.summary = _summary.write(text, path)


# Criteria shown in the summary: (name, header, factor from the canonical unit).
_SHOWN = (("energy", "energy Wh", 1e3), ("gwp", "gwp gCO2eq", 1e3), ("wcf", "water mL", 1e3))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not state.tests:
        return
    from tokenprint.budgets import bound_of
    from tokenprint.cli._table import fmt_range, table
    from tokenprint.impacts.results import Impacts

    def cells(total: Impacts) -> list[str]:
        vec = total.vectors
        out = [str(total.basis.requests)]
        for name, _, factor in _SHOWN:
            if vec is None:
                out.append("")
            else:
                low, high = bound_of(vec, name, "min"), bound_of(vec, name, "max")
                out.append(fmt_range(low * factor, high * factor))
        return out

    totals = [(nodeid, t.total) for nodeid, t in state.tests]
    rows = [[nodeid, *cells(total)] for nodeid, total in totals]
    rows.append(["TOTAL", *cells(Impacts.sum(t for _, t in totals))])
    heads = ["test", "requests", *(h for _, h, _ in _SHOWN)]
    terminalreporter.write_sep("-", "tokenprint: impacts per test (min – max)")
    terminalreporter.write_line(table(heads, rows))
    for line in state.session_breaches:
        terminalreporter.write_line(f"impact budget exceeded (session): {line}", red=True)
    path = config.getoption("impact_report")
    if path:
        terminalreporter.write_line(f"impact report written to {path}")
    if state.summary:
        terminalreporter.write_line(f"impact summary written to {state.summary}")
