"""The HTML report: one self-contained page (inline CSS and SVG, nothing fetched).

Charts are SVG drawn here: the emissions over time (the API requests estimated by
tokenprint next to the local compute measured by CodeCarbon), by model and by label. Each
number shown carries its exact value in a ``data-value`` attribute (canonical unit).
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Iterable, Sequence

from tokenprint.cli._read import Entry, Local, Report, Totals, add
from tokenprint.cli._summary import NAMES, show
from tokenprint.cli._table import DISPLAY

__all__ = ["render"]

_W = 680
_API, _LOCAL = "#2b7a78", "#c0713b"
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2b2a;margin:0;
background:#f5f7f6}
main{max-width:760px;margin:0 auto;padding:24px 20px 40px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.meta{color:#56615f;font-size:13px;margin:0}
section{background:#fff;border:1px solid #dfe5e3;border-radius:8px;padding:4px 18px 14px;
margin-top:16px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:5px 8px;border-bottom:1px solid #e8edeb;text-align:right}
th:first-child,td:first-child{text-align:left}
th{font-weight:600;color:#3c4a48}
.note{color:#56615f;font-size:13px}
svg text{font:12px system-ui,sans-serif;fill:#1d2b2a}
.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _value(criterion: str, v: float) -> str:
    """A number as shown, with its exact canonical value attached."""
    return f'<span data-criterion="{criterion}" data-value="{v!r}">{show(criterion, v)}</span>'


def _unit(criterion: str) -> str:
    return f"{NAMES[criterion]} ({DISPLAY[criterion][0]})"


def _when(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


# -- charts ---------------------------------------------------------------------------------
def _bars(chart: str, rows: Sequence[tuple[str, float, float, float, str]], crit: str) -> str:
    """Horizontal bars (label, best estimate, P5, P95, colour), P5–P95 as a whisker."""
    if not rows:
        return '<p class="note">Nothing to draw.</p>'
    left, right, step = 200, 90, 28
    top = max(hi for _, _, _, hi, _ in rows) or 1.0
    span = _W - left - right
    parts = [
        f'<svg class="chart" id="chart-{chart}" role="img" width="{_W}" '
        f'height="{step * len(rows) + 8}" viewBox="0 0 {_W} {step * len(rows) + 8}">'
    ]
    for i, (label, mid, lo, hi, colour) in enumerate(rows):
        y = 4 + i * step
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="0" y="{y + 16}"><title>{_e(label)}</title>{_e(short)}</text>')
        parts.append(
            f'<rect class="bar" data-label="{_e(label)}" data-value="{mid!r}" x="{left}" '
            f'y="{y + 3}" width="{max(1.0, mid / top * span):.1f}" height="{step - 10}" '
            f'rx="2" fill="{colour}"/>'
        )
        if hi > lo:
            x0, x1 = left + lo / top * span, left + hi / top * span
            yy = y + 3 + (step - 10) / 2
            parts.append(
                f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{yy}" y2="{yy}" stroke="#1d2b2a" '
                'stroke-width="1.2"/>'
            )
        parts.append(
            f'<text x="{left + hi / top * span + 6:.1f}" y="{y + 16}">{show(crit, mid)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_MAX_POINTS = 600
_MAX_BARS = 20


def _cumulative(points: Iterable[tuple[float | None, float]]) -> list[tuple[float, float]]:
    """Running totals in time order, thinned to at most ``_MAX_POINTS`` (the last kept)."""
    out: list[tuple[float, float]] = []
    total = 0.0
    for t, v in sorted((t, v) for t, v in points if t is not None):
        total += v
        out.append((t, total))
    if len(out) > _MAX_POINTS:
        step = len(out) / _MAX_POINTS
        out = [out[int(i * step)] for i in range(_MAX_POINTS)] + [out[-1]]
    return out


def _timeline(series: Sequence[tuple[str, str, list[tuple[float, float]]]], crit: str) -> str:
    """Cumulative totals over time, one step line per series (name, colour, points)."""
    points = [p for _, _, pts in series for p in pts]
    if not points:
        return '<p class="note">No timestamps to draw.</p>'
    t0, t1 = min(t for t, _ in points), max(t for t, _ in points)
    t1 = t1 if t1 > t0 else t0 + 1.0
    top = max(v for _, v in points) or 1.0
    left, bottom, height = 70, 28, 220
    span_x, span_y = _W - left - 16, height - bottom - 12

    def xy(t: float, v: float) -> str:
        return f"{left + (t - t0) / (t1 - t0) * span_x:.1f},{12 + span_y - v / top * span_y:.1f}"

    parts = [
        f'<svg class="chart" id="chart-time" role="img" width="{_W}" height="{height}" '
        f'viewBox="0 0 {_W} {height}">'
    ]
    for frac in (0.0, 0.5, 1.0):
        y = 12 + span_y - frac * span_y
        parts.append(
            f'<line x1="{left}" x2="{_W - 16}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e1e7e5"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{show(crit, top * frac)}</text>"
        )
    base = height - bottom + 18
    parts.append(f'<text x="{left}" y="{base}">{_when(t0)} UTC</text>')
    parts.append(f'<text x="{_W - 16}" y="{base}" text-anchor="end">{_when(t1)} UTC</text>')
    for name, colour, pts in series:
        if not pts:
            continue
        steps = [xy(t0, 0.0), xy(pts[0][0], 0.0)]
        prev = 0.0
        for t, v in pts:
            steps += [xy(t, prev), xy(t, v)]
            prev = v
        steps.append(xy(t1, prev))
        parts.append(
            f'<polyline class="series" data-series="{_e(name)}" data-value="{prev!r}" '
            f'points="{" ".join(steps)}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


# -- sections -------------------------------------------------------------------------------
def _totals_table(total: Totals) -> str:
    rows = "".join(
        f'<tr data-row="{c}"><td>{_unit(c)}</td><td>{_value(c, v[1])}</td>'
        f"<td>{_value(c, v[0])} – {_value(c, v[2])}</td></tr>"
        for c, v in total.items()
    )
    return (
        '<table id="totals"><tr><th>criterion</th><th>best estimate</th>'
        f"<th>P5 – P95</th></tr>{rows}</table>"
    )


def _local_section(rep: Report, local: Sequence[Local]) -> str:
    if not local:
        return (
            '<p class="note">No CodeCarbon measurements given: add <code>--codecarbon '
            "emissions.csv</code> to show the local compute next to the API requests.</p>"
        )
    here = add(x.values for x in local)
    rows = []
    for c in ("energy", "gwp", "wcf"):
        if c in here or c in rep.total:
            api = rep.total.get(c)
            mine = here.get(c)
            rows.append(
                f"<tr><td>{_unit(c)}</td>"
                f"<td>{_value(c, mine[1]) if mine else '–'}</td>"
                f"<td>{_value(c, api[1]) if api else '–'}</td></tr>"
            )
    bars = []
    for c in ("energy", "gwp"):
        if c in here:
            bars.append((f"local compute, {NAMES[c]}", *_mid_lo_hi(here[c]), _LOCAL, c))
        if c in rep.total:
            bars.append((f"API requests, {NAMES[c]}", *_mid_lo_hi(rep.total[c]), _API, c))
    charts = "".join(
        f"<h3>{_unit(c)}</h3>" + _bars(f"local-{c}", [b[:5] for b in bars if b[5] == c], c)
        for c in ("energy", "gwp")
    )
    return (
        f'<p class="note">{len(local)} CodeCarbon measurement(s) of the machine running the '
        f"code, next to the {len(rep.requests)} API request(s) estimated by tokenprint.</p>"
        '<table id="local"><tr><th>criterion</th><th>local compute (CodeCarbon, measured)</th>'
        f"<th>API requests (tokenprint, estimated)</th></tr>{''.join(rows)}</table>{charts}"
    )


def _mid_lo_hi(v: tuple[float, float, float]) -> tuple[float, float, float]:
    return v[1], v[0], v[2]


def _grouped(rep: Report, key: str) -> list[tuple[str, int, Totals]]:
    """(group, requests, totals) by model or by label (``key=value``), largest GWP first."""
    groups: dict[str, list[Totals]] = {}
    for e in rep.requests:
        names = [e.model] if key == "model" else [f"{k}={v}" for k, v in sorted(e.labels.items())]
        for name in names:
            groups.setdefault(name, []).append(e.values)
    out = [(name, len(v), add(v)) for name, v in groups.items()]
    return sorted(out, key=lambda g: -g[2].get("gwp", (0.0, 0.0, 0.0))[1])


def _group_section(rep: Report, key: str) -> str:
    groups = _grouped(rep, key)
    if not groups:
        return f'<p class="note">No {key}s in these requests.</p>'
    drawn = [(name, *_mid_lo_hi(t["gwp"]), _API) for name, _, t in groups if "gwp" in t]
    chart = _bars(key, drawn[:_MAX_BARS], "gwp")
    if len(drawn) > _MAX_BARS:
        chart += f'<p class="note">The {_MAX_BARS} largest of {len(drawn)} drawn.</p>'

    cols = ("energy", "gwp", "wcf")
    heads = "".join(f"<th>{_unit(c)}</th>" for c in cols)
    rows = "".join(
        f"<tr><td>{_e(name)}</td><td>{n}</td>"
        + "".join(f"<td>{_value(c, t[c][1]) if c in t else '–'}</td>" for c in cols)
        + "</tr>"
        for name, n, t in groups
    )
    note = '<p class="note">Bars: best estimate; line: P5 – P95 range.</p>'
    return f"{note}{chart}<table><tr><th>{key}</th><th>requests</th>{heads}</tr>{rows}</table>"


def _unestimated(rep: Report) -> str:
    missing = [(name, e) for name, e in rep.named() if not e.values]
    if not missing:
        return '<p class="note">Every request was estimated.</p>'
    items = "".join(
        f"<li>{_e(name)}: {_e(', '.join(e.errors) or 'no impacts')}</li>" for name, e in missing
    )
    return f'<p class="note">Not counted in the totals (never as zero):</p><ul>{items}</ul>'


def _series(
    entries: Sequence[Entry], local: Sequence[Local]
) -> list[tuple[str, str, list[tuple[float, float]]]]:
    api = _cumulative((e.time, e.values["gwp"][1]) for e in entries if "gwp" in e.values)
    mine = _cumulative((x.time, x.values["gwp"][1]) for x in local if "gwp" in x.values)
    return [("API requests (tokenprint)", _API, api), ("local compute (CodeCarbon)", _LOCAL, mine)]


def render(rep: Report, local: Sequence[Local], *, sources: Sequence[str], version: str) -> str:
    """The whole page."""
    methodology = ", ".join(rep.methodology) or "not recorded in this file"
    n, missing = len(rep.requests), len(rep.unestimated)
    keys = "".join(
        f'<span class="key" style="background:{c}"></span>{_e(name)}'
        for name, c, pts in _series(rep.requests, local)
        if pts
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokenprint report</title><style>{_CSS}</style></head>
<body><main>
<h1>Environmental impacts of AI requests</h1>
<p class="meta">From {_e(", ".join(sources))} · tokenprint {_e(version)} ·
methodology <span id="methodology">{_e(methodology)}</span></p>
<section><h2>Totals</h2>
<p class="note"><span id="requests" data-value="{n}">{n}</span> request(s),
<span id="unestimated" data-value="{missing}">{missing}</span> not estimated.
Best estimate with its P5 – P95 range.</p>
{_totals_table(rep.total)}</section>
<section><h2>Local compute and API requests</h2>{_local_section(rep, local)}</section>
<section><h2>Emissions over time (cumulative, {DISPLAY["gwp"][0]})</h2>
<p class="note">{keys}</p>{_timeline(_series(rep.requests, local), "gwp")}</section>
<section><h2>By model ({DISPLAY["gwp"][0]})</h2>{_group_section(rep, "model")}</section>
<section><h2>By label ({DISPLAY["gwp"][0]})</h2>{_group_section(rep, "label")}</section>
<section><h2>Requests not estimated</h2>{_unestimated(rep)}</section>
<p class="meta">Estimates: tokenprint methodology {_e(methodology)} (docs/methodology.md).
Local compute: CodeCarbon's own measurements, as written in its emissions.csv.</p>
</main></body></html>
"""
