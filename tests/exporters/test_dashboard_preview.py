"""The dashboard's preview (``scripts/dashboard_screenshot.py``, which draws
docs/img/dashboard.png): fed the answers of a real Prometheus scraping the exporter after a
short demo run, its page has a panel for every panel of the dashboard, each showing data,
with the values Prometheus answered; a broken query shows as such; chromium renders it."""

from __future__ import annotations

import copy
import json
import math
import shutil
import struct
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

import pytest

pytest.importorskip("prometheus_client")

from tests.support import prometheus_server
from tests.support.scripts import load_script

prometheus_server.skip_unless_installed()

preview = load_script("dashboard_screenshot")

SECONDS = 5.0
"""The demo run's length: enough for several scrapes (one a second) and for each
unknown-model request and budget breach to fall in a different one."""
STEP = 1.0
"""Seconds between the points of the range queries: the scrape interval, so that a series
born in the middle of the short run still has several points."""


class Run(NamedTuple):
    demo: Any  # the script's Demo: url, start, end
    dashboard: dict[str, Any]
    values: dict[str, str]
    data: dict[int, list[Any]]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """A short demo run scraped by a real Prometheus (kept running for the module), and the
    series of every panel queried on it."""
    folder = tmp_path_factory.mktemp("prometheus")
    with preview.demo(folder, SECONDS, log=lambda _: None) as done:
        dashboard = json.loads(preview.DASHBOARD.read_text())
        values = preview.variables(done.end - done.start)
        data = preview.fetch(done.url, dashboard, values, done.start, done.end, STEP)
        yield Run(done, dashboard, values, data)


class Panel(NamedTuple):
    kind: str
    values: list[float]  # a stat's numbers
    series: dict[str, int]  # a chart's lines: legend -> points drawn
    nodata: bool
    legend: dict[str, dict[str, float]]  # legend -> its values shown (mean, max...)


_CALCS = {c.lower() for c in preview.CALCS}


class _Page(HTMLParser):
    """The panels of a preview page, by id (each element belongs to the last panel opened)."""

    def __init__(self) -> None:
        super().__init__()
        self.panels: dict[int, Panel] = {}
        self.rows: list[str] = []
        self._in_row = False
        self._current: Panel | None = None
        self._id = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        cls = a.get("class", "")
        if cls == "panel":
            self._id = int(a["data-panel-id"])
            self._current = self.panels[self._id] = Panel(a["data-type"], [], {}, False, {})
        elif cls == "row":
            self._in_row = True
        elif self._current is not None and cls == "value":
            self._current.values.append(float(a["data-value"]))
        elif self._current is not None and cls == "series":
            self._current.series[a["data-legend"]] = int(a["data-points"])
            self._current.legend[a["data-legend"]] = {
                k[5:]: float(v) for k, v in a.items() if k[5:] in _CALCS
            }
        elif self._current is not None and cls == "nodata":
            self._current = self.panels[self._id] = self._current._replace(nodata=True)

    def handle_data(self, data: str) -> None:
        if self._in_row:
            self.rows.append(data)
            self._in_row = False


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def empty(page: _Page) -> list[int]:
    """The panels that show no data: no number, or no line of at least two points."""
    return [
        pid
        for pid, p in page.panels.items()
        if p.nodata
        or (p.kind == "stat" and not p.values)
        or (p.kind != "stat" and not any(n >= 2 for n in p.series.values()))
    ]


def _page(r: Run, dashboard: dict[str, Any] | None = None, data: Any = None) -> str:
    html: str = preview.page(
        dashboard or r.dashboard,
        r.data if data is None else data,
        r.values,
        r.demo.start,
        r.demo.end,
    )
    return html


def test_every_panel_is_drawn_with_data(run: Run) -> None:
    page = parse(_page(run))
    all_panels = preview.panels(run.dashboard)
    expected = {p["id"]: p["type"] for p in all_panels if p["type"] != "row"}
    assert {pid: p.kind for pid, p in page.panels.items()} == expected
    assert page.rows == [p["title"] for p in all_panels if p["type"] == "row"]
    assert len(expected) == 20  # 26 panels, 6 of them rows
    assert empty(page) == []


def test_stats_show_the_values_prometheus_answers(run: Run) -> None:
    page = parse(_page(run))
    stats = [p for p in preview.panels(run.dashboard) if p["type"] == "stat"]
    shown: dict[str, float] = {}
    for panel in stats:
        expr = preview.fill(panel["targets"][0]["expr"], run.values)
        (answer,) = prometheus_server.query(run.demo.url, expr, at=run.demo.end)["result"]
        (value,) = page.panels[panel["id"]].values
        assert value == float(answer["value"][1]), panel["title"]
        shown[panel["title"]] = value
    # the demo's unknown-model requests and budget breaches are on the dashboard
    assert shown["Requests without estimate"] > 0
    assert shown["Budget breaches"] > 0
    assert shown["Requests"] > shown["Requests without estimate"]


def test_charts_show_the_series_prometheus_answers(run: Run) -> None:
    page = parse(_page(run))
    plan = preview.schedule(SECONDS)
    estimated = {r.model for _, r in plan if r is not preview.UNKNOWN}
    assert set(page.panels[13].series) == estimated  # energy by model: {{model}}
    assert set(page.panels[17].series) == {r.labels["feature"] for _, r in plan}  # $label
    assert set(page.panels[22].series) == estimated | {preview.UNKNOWN.model}
    assert list(page.panels[23].series) == ["support-bot gwp (warn)"]
    # the points drawn are Prometheus's answer to the panel's query, NaN gaps left out
    expr = preview.fill(run.dashboard["panels"][8]["targets"][0]["expr"], run.values)
    assert run.dashboard["panels"][8]["id"] == 9
    (answer,) = prometheus_server.query_range(
        run.demo.url, expr, run.demo.start, run.demo.end, STEP
    )["result"]
    finite = [float(v) for _, v in answer["values"] if not math.isnan(float(v))]
    assert page.panels[9].series["best estimate"] == len(finite) >= 2
    # and its legend shows what the panel asks for, computed on those points
    assert preview.legend_calcs(run.dashboard["panels"][8]) == ["mean"]
    shown = page.panels[9].legend["best estimate"]
    assert shown == {"mean": pytest.approx(sum(finite) / len(finite))}


def test_a_broken_query_shows_no_data_or_fails(run: Run) -> None:
    broken = copy.deepcopy(run.dashboard)
    (energy,) = [p for p in broken["panels"] if p["id"] == 9]
    for target in energy["targets"]:  # a misspelt metric: Prometheus answers nothing
        target["expr"] = target["expr"].replace("_joules_total", "_joule_total")
    data = preview.fetch(run.demo.url, broken, run.values, run.demo.start, run.demo.end, STEP)
    assert empty(parse(_page(run, broken, data))) == [9]

    energy["targets"][0]["expr"] = "sum(increase(tokenprint_energy_joules_total[$__range])"
    with pytest.raises(AssertionError, match="parse error"):  # refused by Prometheus
        preview.fetch(run.demo.url, broken, run.values, run.demo.start, run.demo.end, STEP)


def test_chromium_renders_the_preview(run: Run, tmp_path: Path) -> None:
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    page = tmp_path / "dashboard.html"
    page.write_text(_page(run))
    png = tmp_path / "dashboard.png"  # kept in the test's folder to look at
    height = preview.page_height(run.dashboard)
    preview.shoot(page, png, height, tmp_path / "profile")
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (preview.WIDTH, height)
