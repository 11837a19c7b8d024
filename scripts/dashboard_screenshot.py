"""Redraw docs/img/dashboard.png: the Grafana dashboard's panels, each drawn from its own
query run on a real Prometheus scraping a short demo run, shot by headless chromium.

Grafana is not packaged for Debian, so this script draws the preview itself: tokenprint's
Prometheus exporter serves a mixed workload (several providers, models and labels, requests
to a model the catalogue does not know, a budget breached now and then) for about ninety
seconds while Debian's ``prometheus`` scrapes it every second; then every panel of
``docs/dashboards/tokenprint.json`` has its variables filled in, its queries run over
Prometheus's HTTP API, and is laid out on one self-contained HTML page by its ``gridPos``
(Grafana's 24-column grid), which chromium shoots. Needs ``prometheus`` and ``chromium``
(Debian packages) and the ``prometheus`` extra.

    python scripts/dashboard_screenshot.py [--seconds 90] [--out docs/img/dashboard.png]
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import math
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' Prometheus runner, shared rather than copied

from tests.support import prometheus_server  # noqa: E402
from tokenprint import Budget, EcoLogits, events, exporters  # noqa: E402
from tokenprint.errors import BudgetWarning  # noqa: E402
from tokenprint.estimator import default_estimator  # noqa: E402
from tokenprint.records import RequestRecord, Usage  # noqa: E402

DASHBOARD = ROOT / "docs" / "dashboards" / "tokenprint.json"

# -- the demo workload ----------------------------------------------------------------------


class Request(NamedTuple):
    """One kind of request of the demo: what an application would send."""

    model: str
    provider: str
    input_tokens: int
    output_tokens: int
    labels: Mapping[str, str]


# The labels the demo's requests carry (EcoLogits.label): the product feature and the team.
CHAT = {"feature": "chat", "team": "support"}
SEARCH_CORE = {"feature": "search", "team": "core"}
SEARCH_DOCS = {"feature": "search", "team": "docs"}
SUMMARY_CORE = {"feature": "summary", "team": "core"}
SUMMARY_DOCS = {"feature": "summary", "team": "docs"}

# The steady traffic, with how often each kind comes (relative weights): chat on small models
# for the support team, search and summaries on larger ones for the others.
TRAFFIC: list[tuple[Request, int]] = [
    (Request("gpt-4o-mini", "openai", 800, 150, CHAT), 6),
    (Request("claude-3-5-haiku", "anthropic", 600, 120, CHAT), 4),
    (Request("gpt-4o", "openai", 2500, 600, SEARCH_CORE), 2),
    (Request("mistral-small", "mistralai", 500, 200, SEARCH_DOCS), 3),
    (Request("claude-3-5-sonnet", "anthropic", 1200, 400, SUMMARY_CORE), 2),
    (Request("gemini-1.5-flash", "google", 3000, 250, SUMMARY_DOCS), 2),
]

# An in-house model missing from the catalogue: counted, but without an estimate.
UNKNOWN = Request("acme-llm-1", "openai", 900, 300, CHAT)
# A long escalated answer on a large model: about 2.4 g CO2e at the top of its range, over
# the support bot's per-request budget below.
ESCALATION = Request("gpt-4o", "openai", 3000, 2000, CHAT)

# Where in the run (fractions of its length) the unknown-model requests and the escalations
# fall: several of each, at least a scrape apart even in a five-second run, so that
# Prometheus's increase() sees them grow.
UNKNOWN_AT = (0.1, 0.3, 0.5, 0.7, 0.9)
ESCALATION_AT = (0.2, 0.45, 0.65, 0.85)

RATE = 6.0
"""Mean requests per second of the steady traffic (it swings by two thirds around it)."""
SEED = 7  # any fixed seed: the same run every time


def budget() -> Budget:
    """The support bot's budget: 1 g CO2e per request at most, warned when broken."""
    return Budget(per_request={"gwp": "1 g"}, mode="warn", name="support-bot")


def schedule(seconds: float) -> list[tuple[float, Request]]:
    """The requests of a run of ``seconds`` seconds, as (offset in seconds, request), in
    order: the steady traffic, rising and falling over the run, plus the special ones."""
    rng = random.Random(SEED)
    kinds, weights = zip(*TRAFFIC, strict=True)
    out: list[tuple[float, Request]] = []
    t = 0.0
    while True:  # a Poisson process whose rate swings over one and a half periods
        rate = RATE * (1 + 2 / 3 * math.sin(3 * math.pi * t / seconds))
        t += rng.expovariate(rate)
        if t >= seconds:
            break
        out.append((t, rng.choices(kinds, weights)[0]))
    out += [(f * seconds, UNKNOWN) for f in UNKNOWN_AT]
    out += [(f * seconds, ESCALATION) for f in ESCALATION_AT]
    return sorted(out, key=lambda item: item[0])


def publish(request: Request, limit: Budget) -> None:
    """Hand a finished request to tokenprint's exporters, as the instrumentation does; the
    support team's requests run under its budget."""
    usage = Usage(
        request.provider,
        request.model,
        request.input_tokens,
        request.output_tokens,
        latency_s=1.0,
        endpoint="chat.completions.create",
        requested_model=request.model,
    )
    record = RequestRecord.now(usage, default_estimator().compute(usage), dict(request.labels))
    if request.labels.get("team") == "support":
        with limit:
            events.run_after(record)
    else:
        events.run_after(record)


def workload(seconds: float) -> int:
    """Publish :func:`schedule`'s requests at their times (tokenprint must be initialised
    with an exporter); returns how many were published."""
    plan = schedule(seconds)
    limit = budget()
    start = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BudgetWarning)  # counted by the exporter instead
        for offset, request in plan:
            time.sleep(max(0.0, start + offset - time.monotonic()))
            publish(request, limit)
    return len(plan)


# -- the dashboard's queries ----------------------------------------------------------------

RATE_INTERVAL = "15s"
"""``$__rate_interval``: Grafana makes it at least four scrape intervals; 15 s (fifteen
scrapes here) keeps the per-interval increases of a short demo smooth."""
STEP = 2.0
"""Seconds between the points of the range queries: 45 points across a 90-second run."""
LABEL = "feature"
"""``$label``: the demo's own label, added to the variable's list as the dashboard says."""


def variables(seconds: float) -> dict[str, str]:
    """The dashboard's variables as this preview sets them: every provider and model (the
    variables' ``allValue``), grouped by ``feature``, over the run's length."""
    return {
        "provider": ".*",
        "model": ".*",
        "label": LABEL,
        "__range": f"{math.ceil(seconds)}s",
        "__rate_interval": RATE_INTERVAL,
    }


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with its ``$name`` and ``${name}`` variables replaced (an unknown one fails)."""
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", lambda m: values[m.group(1) or m.group(2)], text)


class Series(NamedTuple):
    """One line of a panel: its legend and its (time, value) points (NaN: a gap)."""

    legend: str
    points: list[tuple[float, float]]


def legend(template: str, labels: Mapping[str, str]) -> str:
    """A legend as Grafana writes it: ``{{name}}`` replaced by the series' label (empty when
    absent); without a template, the series' labels."""
    if not template:
        return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template)


def panels(dashboard: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every panel, rows' nested panels included, in the dashboard's order."""
    out: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def fetch(
    url: str,
    dashboard: Mapping[str, Any],
    values: Mapping[str, str],
    start: float,
    end: float,
    step: float = STEP,
) -> dict[int, list[Series]]:
    """Each panel's series (by panel id): stat panels by instant queries at ``end`` (the
    value Grafana's ``lastNotNull`` shows), time series by range queries from ``start`` to
    ``end``, a point every ``step`` seconds. A query Prometheus refuses fails here."""
    out: dict[int, list[Series]] = {}
    for panel in panels(dashboard):
        if panel["type"] == "row":
            continue
        series: list[Series] = []
        for target in panel.get("targets", []):
            expr = fill(target["expr"], values)
            template = fill(target.get("legendFormat", ""), values)
            if panel["type"] == "stat":
                data = prometheus_server.query(url, expr, at=end)
                rows = [(r["metric"], [r["value"]]) for r in data["result"]]
            else:
                data = prometheus_server.query_range(url, expr, start, end, step)
                rows = [(r["metric"], r["values"]) for r in data["result"]]
            for metric, pairs in rows:
                points = [(float(t), float(v)) for t, v in pairs]
                series.append(Series(legend(template, metric), points))
        out[panel["id"]] = series
    return out


# -- numbers as Grafana shows them ----------------------------------------------------------

_SI = {-4: "p", -3: "n", -2: "µ", -1: "m", 0: "", 1: "k", 2: "M", 3: "G"}
_SYMBOLS = {"joule": "J", "massg": "g", "litre": "L"}  # Grafana's SI-prefixed units
_SHORT = ["", " K", " Mil", " Bil"]  # Grafana's "short" unit


def number(unit: str, v: float) -> str:
    """``v`` in a Grafana unit: SI prefixes for joule, massg and litre, K/Mil for short;
    three significant digits."""
    if math.isnan(v):
        return "NaN"
    if unit in _SYMBOLS:
        k = 0 if v == 0 else max(-4, min(3, math.floor(math.log10(abs(v)) / 3)))
        return f"{v / 1000**k:.3g} {_SI[k]}{_SYMBOLS[unit]}"
    k = 0 if abs(v) < 1000 else min(3, math.floor(math.log10(abs(v)) / 3))
    scaled = v / 1000**k
    text = f"{scaled:.0f}" if scaled == round(scaled) else f"{scaled:.3g}"
    return text + _SHORT[k]


def ticks(top: float) -> list[float]:
    """Round values from 0 to at least ``top`` for an axis: steps of 1, 2 or 5 times a
    power of ten, three to six of them."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


# -- the page -------------------------------------------------------------------------------

WIDTH = 1200
"""Page width in CSS pixels (the screenshot's)."""
PAD = 16  # page padding, as Grafana's dashboard body
GAP = 8  # Grafana's grid margin between panels
CELL_H = 30  # Grafana's grid row height (GRID_CELL_HEIGHT)
COLUMNS = 24  # Grafana's grid columns
CELL_W = (WIDTH - 2 * PAD - GAP * (COLUMNS - 1)) / COLUMNS
HEADER = 96  # the title bar and the variables bar above the grid
TITLE_H = 32  # a panel's title line
_CHAR = 6.0  # mean width of a character of the charts' 11-px text, for the legend's width
_LABEL_W = 64  # room for one HH:MM:SS time label of the charts (about 50 px) and a gap
_EVERY = (5, 10, 15, 30, 60, 120, 300, 600)  # seconds between time labels to choose from

# Colours close to Grafana's dark theme (canvas, panel, border, text, weak text, grid lines)
# and to the first colours of its classic palette, in its order.
_CANVAS, _PANEL, _BORDER = "#111217", "#181b1f", "#2c2f35"
_TEXT, _WEAK, _GRID = "#ccccdc", "#8e8e9e", "#2a2d33"
PALETTE = ["#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9", "#705DA0"]

_CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;background:{_CANVAS};color:{_TEXT};font:13px/1.4 Inter,"Helvetica Neue",
Arial,system-ui,sans-serif}}
.top{{height:{HEADER}px;padding:12px {PAD}px 0}}
.title{{font-size:18px;font-weight:500;display:flex;justify-content:space-between}}
.range{{font-size:13px;color:{_TEXT};border:1px solid {_BORDER};border-radius:2px;
padding:2px 10px;background:{_PANEL}}}
.vars{{margin-top:12px;display:flex;gap:8px;flex-wrap:wrap}}
.var{{border:1px solid {_BORDER};border-radius:2px;display:flex}}
.var b{{font-weight:500;padding:4px 8px;background:#22252b;color:#6e9fff}}
.var span{{padding:4px 10px;background:{_PANEL}}}
.note{{margin-left:auto;color:{_WEAK};font-size:12px;align-self:center}}
.grid{{position:relative;margin:0 {PAD}px}}
.panel{{position:absolute;background:{_PANEL};border:1px solid {_BORDER};border-radius:2px;
overflow:hidden}}
.panel h2{{font-size:14px;font-weight:500;margin:0;height:{TITLE_H}px;line-height:{TITLE_H}px;
padding:0 8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.row{{position:absolute;font-size:16px;font-weight:500;line-height:{CELL_H}px}}
.row:before{{content:"⌄ ";color:{_WEAK}}}
.stat{{display:flex;align-items:center;justify-content:center;color:{PALETTE[0]};
font-size:34px;font-weight:500}}
.nodata{{display:flex;align-items:center;justify-content:center;color:{_WEAK};font-size:16px}}
svg text{{font:11px Inter,Arial,sans-serif;fill:{_WEAK}}}
svg text.key{{fill:{_TEXT}}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _box(grid: Mapping[str, int]) -> tuple[float, float, float, float]:
    """A gridPos in pixels (left, top, width, height), as Grafana's grid lays it out."""
    left = grid["x"] * (CELL_W + GAP)
    top = grid["y"] * (CELL_H + GAP)
    width = grid["w"] * CELL_W + (grid["w"] - 1) * GAP
    height = grid["h"] * CELL_H + (grid["h"] - 1) * GAP
    return left, top, width, height


def _stat(series: Sequence[Series], unit: str, h: float) -> str:
    """The stat's value: the last non-NaN point of each series (Grafana's lastNotNull)."""
    shown = []
    for s in series:
        values = [v for _, v in s.points if not math.isnan(v)]
        if values:
            shown.append(
                f'<span class="value" data-value="{values[-1]!r}">{_e(number(unit, values[-1]))}'
                "</span>"
            )
    if not shown:
        return _nodata(h)
    return f'<div class="stat" style="height:{h - TITLE_H - 2:.0f}px">{"".join(shown)}</div>'


def _nodata(h: float) -> str:
    return f'<div class="nodata" style="height:{h - TITLE_H - 2:.0f}px">No data</div>'


def _segments(points: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """The runs of points between NaN gaps (Prometheus answers NaN where, e.g., a quantile
    has no requests to rank)."""
    out: list[list[tuple[float, float]]] = [[]]
    for t, v in points:
        if math.isnan(v):
            if out[-1]:
                out.append([])
        else:
            out[-1].append((t, v))
    return [run for run in out if run]


CALCS: Mapping[str, tuple[str, Callable[[list[float]], float]]] = {
    "mean": ("Mean", statistics.fmean),
    "max": ("Max", max),
    "min": ("Min", min),
    "sum": ("Total", math.fsum),
    "lastNotNull": ("Last *", lambda values: values[-1]),
}
"""Grafana's legend calculations the dashboard uses: column title, and how it is computed
over a series' points (gaps left out)."""
_CALC_W = 64  # px per legend value column


def _chart(
    series: Sequence[Series],
    unit: str,
    w: float,
    h: float,
    start: float,
    end: float,
    calcs: Sequence[str],
) -> str:
    """Lines with a faint fill (the panels' fillOpacity 10), axes, and Grafana's table
    legend on the right with each series' ``calcs`` (the panels' legend options)."""
    drawn = [(s, _segments(s.points)) for s in series]
    drawn = [(s, runs) for s, runs in drawn if runs]
    if not drawn:
        return _nodata(h)
    chart_h = h - TITLE_H - 2
    columns = [CALCS[c] for c in calcs]
    cells = [[fn([v for run in runs for _, v in run]) for _, fn in columns] for _, runs in drawn]
    # the legend: at most 45 % of the panel (longer names are cut), room for a swatch (16 px)
    # and the value columns beside the names
    values_w = _CALC_W * len(columns)
    key_w = min(0.45 * w, 16 + values_w + _CHAR * max(len(s.legend) for s, _ in drawn))
    # margins: the y-axis labels (52 px), the legend, the time labels (22 px)
    left, right, top, bottom = 52, key_w + 8, 8, 22
    plot_w, plot_h = w - 2 - left - right, chart_h - top - bottom
    high = max(v for _, runs in drawn for run in runs for _, v in run)
    axis = ticks(high)

    def x(t: float) -> float:
        return left + (t - start) / (end - start) * plot_w

    def y(v: float) -> float:
        return top + plot_h - v / axis[-1] * plot_h

    parts = [f'<svg class="chart" width="{w - 2:.0f}" height="{chart_h:.0f}">']
    for v in axis:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="{_GRID}"/><text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">'
            f"{_e(number(unit, v))}</text>"
        )
    every = next(  # seconds between time labels: the first that leaves room for one
        (n for n in _EVERY if n / (end - start) * plot_w >= _LABEL_W), _EVERY[-1]
    )
    first = math.ceil(start / every) * every
    for tick in range(first, int(end) + 1, every):
        label = time.strftime("%H:%M:%S", time.gmtime(tick))
        parts.append(
            f'<text x="{x(tick):.1f}" y="{top + plot_h + 15:.1f}" text-anchor="middle">'
            f"{label}</text>"
        )
    for i, ((s, runs), row) in enumerate(zip(drawn, cells, strict=True)):
        colour = PALETTE[i % len(PALETTE)]
        count = sum(len(run) for run in runs)
        data = "".join(f' data-{c.lower()}="{v!r}"' for c, v in zip(calcs, row, strict=True))
        parts.append(f'<g class="series" data-legend="{_e(s.legend)}" data-points="{count}"{data}>')
        for run in runs:
            if len(run) == 1:  # a lone point, drawn as a dot (as Grafana's automatic points)
                ((t, v),) = run
                parts.append(f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"/>')
                continue
            line = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in run)
            base = f"{x(run[-1][0]):.1f},{y(0):.1f} {x(run[0][0]):.1f},{y(0):.1f}"
            parts.append(
                f'<polygon points="{line} {base}" fill="{colour}" fill-opacity="0.1"/>'
                f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
            )
        parts.append("</g>")
    kx = w - 2 - key_w
    parts.append(f'<text x="{kx:.1f}" y="{top + 10}">Name</text>')
    for j, (title, _) in enumerate(columns):
        right_x = w - 10 - _CALC_W * (len(columns) - 1 - j)
        parts.append(f'<text x="{right_x:.1f}" y="{top + 10}" text-anchor="end">{title}</text>')
    for i, ((s, _), row) in enumerate(zip(drawn, cells, strict=True)):
        ky = top + 28 + 18 * i  # below the header line, one 18-px line per series
        colour = PALETTE[i % len(PALETTE)]
        room = int((key_w - 16 - values_w) / _CHAR)  # characters beside swatch and values
        name = s.legend if len(s.legend) <= room else s.legend[: room - 1] + "…"
        parts.append(
            f'<line x1="{kx:.1f}" x2="{kx + 12:.1f}" y1="{ky - 4}" y2="{ky - 4}" '
            f'stroke="{colour}" stroke-width="3"/>'
            f'<text class="key" x="{kx + 16:.1f}" y="{ky}">{_e(name)}</text>'
        )
        for j, v in enumerate(row):
            right_x = w - 10 - _CALC_W * (len(columns) - 1 - j)
            parts.append(
                f'<text class="key" x="{right_x:.1f}" y="{ky}" text-anchor="end">'
                f"{_e(number(unit, v))}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def legend_calcs(panel: Mapping[str, Any]) -> list[str]:
    """The values a time-series panel's legend shows (Grafana's default: none)."""
    return list(panel.get("options", {}).get("legend", {}).get("calcs", []))


def page_height(dashboard: Mapping[str, Any]) -> int:
    """The page's height in pixels: the header and the grid down to its lowest panel."""
    rows: int = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels(dashboard))
    return HEADER + rows * (CELL_H + GAP) + PAD


def page(
    dashboard: Mapping[str, Any],
    data: Mapping[int, Sequence[Series]],
    values: Mapping[str, str],
    start: float,
    end: float,
) -> str:
    """The dashboard as one self-contained HTML page: each panel at its ``gridPos``, with its
    title, and its stat value or chart drawn from ``data`` (:func:`fetch`)."""
    boxes = []
    for panel in panels(dashboard):
        left, top, w, h = _box(panel["gridPos"])
        title = fill(panel["title"], values)
        where = f"left:{left:.0f}px;top:{top:.0f}px;width:{w:.0f}px"
        if panel["type"] == "row":
            boxes.append(f'<div class="row" style="{where}">{_e(title)}</div>')
            continue
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        series = data.get(panel["id"], [])
        body = (
            _stat(series, unit, h)
            if panel["type"] == "stat"
            else _chart(series, unit, w, h, start, end, legend_calcs(panel))
        )
        boxes.append(
            f'<div class="panel" data-panel-id="{panel["id"]}" data-type="{panel["type"]}" '
            f'style="{where};height:{h:.0f}px"><h2>{_e(title)}</h2>{body}</div>'
        )
    picks = [("Data source", "Prometheus"), ("Provider", "All"), ("Model", "All")]
    picks.append(("Group by label", values["label"]))
    bar = "".join(f'<div class="var"><b>{_e(k)}</b><span>{_e(v)}</span></div>' for k, v in picks)
    span = values["__range"]
    grid_h = page_height(dashboard) - HEADER - PAD
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{_e(dashboard["title"])}'
        f"</title><style>{_CSS}</style></head><body>"
        f'<div class="top"><div class="title"><span>{_e(dashboard["title"])}</span>'
        f'<span class="range">Last {_e(span)} (UTC)</span></div>'
        f'<div class="vars">{bar}<span class="note">Preview: each panel\'s own query on a real '
        "Prometheus, drawn by scripts/dashboard_screenshot.py (not by Grafana)</span></div></div>"
        f'<div class="grid" style="height:{grid_h}px">{"".join(boxes)}</div></body></html>'
    )


# -- the run --------------------------------------------------------------------------------


class Demo(NamedTuple):
    """A finished demo run: the Prometheus server that scraped it, and when it ran."""

    url: str
    start: float
    end: float


@contextlib.contextmanager
def demo(folder: Path, seconds: float, log: Callable[[str], None] = print) -> Iterator[Demo]:
    """The demo workload served by tokenprint's Prometheus exporter and scraped by a real
    Prometheus (its files in ``folder``), which is kept running while the caller queries it."""
    EcoLogits.init(exporters=[{"type": "prometheus", "port": 0, "addr": "127.0.0.1"}])
    try:
        (exporter,) = exporters.active()
        with prometheus_server.server(exporter.port, folder) as url:
            wait_until_scraping(url)
            start = time.time()
            log(f"demo workload for {seconds:.0f} s, scraped by {url}")
            sent = workload(seconds)
            prometheus_server.wait_for(
                lambda: _total(url) == sent, what=f"Prometheus to scrape the {sent} requests"
            )
            yield Demo(url, start, time.time())
    finally:
        EcoLogits.shutdown()


def run(folder: Path, seconds: float) -> Path:
    """The demo run, then the preview page of its data written in ``folder``."""
    dashboard = json.loads(DASHBOARD.read_text())
    with demo(folder, seconds) as done:
        values = variables(done.end - done.start)
        data = fetch(done.url, dashboard, values, done.start, done.end)
    out = folder / "dashboard.html"
    out.write_text(page(dashboard, data, values, done.start, done.end))
    return out


def wait_until_scraping(url: str) -> None:
    """Wait for Prometheus's first scrape (its target discovery first waits about five
    seconds), so that the run's first seconds are on the charts."""
    prometheus_server.wait_for(
        lambda: prometheus_server.query(url, "up == 1")["result"], what="a first scrape"
    )


def _total(url: str) -> float | None:
    result = prometheus_server.query(url, "sum(tokenprint_requests_total)")["result"]
    return float(result[0]["value"][1]) if result else None


def shoot(page_file: Path, png: Path, height: int, profile: Path) -> None:
    """A screenshot of ``page_file`` by headless chromium, ``WIDTH`` by ``height`` pixels."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--force-device-scale-factor=1", f"--user-data-dir={profile}",
         f"--window-size={WIDTH},{height}", f"--screenshot={png.resolve()}", page_file.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=90.0, help="length of the demo run")
    p.add_argument("--out", default="docs/img/dashboard.png")
    args = p.parse_args()
    if prometheus_server.BINARY is None:
        sys.exit("the Prometheus server binary is not installed (apt-get install prometheus)")
    with tempfile.TemporaryDirectory() as tmp:
        html_page = run(Path(tmp), args.seconds)
        height = page_height(json.loads(DASHBOARD.read_text()))
        shoot(html_page, Path(args.out), height, Path(tmp) / "profile")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
