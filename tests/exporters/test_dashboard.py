"""The Grafana dashboard (docs/dashboards/tokenprint.json) queries only metrics the Prometheus
exporter really emits: every PromQL expression's metric names are read from the JSON and
found in a scrape of the exporter's HTTP endpoint."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prometheus_client")

from prometheus_client.parser import text_string_to_metric_families

from tests.support.exporter_records import make_record
from tests.support.prometheus_server import scrape
from tokenprint import Budget, EcoLogits, events, exporters

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "dashboards" / "tokenprint.json"

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_BRACES = re.compile(r"\{[^}]*\}|\[[^\]]*\]")
_NAME = re.compile(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
_KEYWORDS |= {"and", "or", "unless"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (functions, labels, strings, range and
    Grafana variables left out)."""
    text = _STRING.sub("", expr)
    text = _GROUPING.sub("", text)
    text = _BRACES.sub("", text)
    return {m for m in _NAME.findall(text) if m not in _KEYWORDS}


def queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression: panel targets, then the variables' label_values() queries."""
    out: list[str] = []
    panels = list(dashboard["panels"])
    while panels:
        panel = panels.pop()
        panels.extend(panel.get("panels", []))
        out.extend(t["expr"] for t in panel.get("targets", []))
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            q = var["query"]["query"]
            out.append(re.fullmatch(r"label_values\((.*),\s*\w+\)", q).group(1))  # type: ignore[union-attr]
    return out


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def emitted_sample_names() -> set[str]:
    """The sample names in a scrape of the exporter, after requests of every kind."""
    EcoLogits.init(
        exporters=[{"type": "prometheus", "port": 0, "addr": "127.0.0.1"}],
        budget=Budget(per_request={"gwp": "1 ug"}, mode="warn"),
    )
    (exporter,) = exporters.active()
    with pytest.warns(UserWarning):  # the breach, then the unknown model
        events.run_after(make_record(labels={"task": "qa"}))
        events.run_after(make_record(model="no-such-model-xyz"))
    return {
        s.name
        for family in text_string_to_metric_families(scrape(exporter.port))
        for s in family.samples
    }


def test_metric_names_are_read_from_promql() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le) (rate(tokenprint_request_gwp_grams_bucket"
        '{model=~"$m"}[$__rate_interval]))) / on (model) group_left '
        "sum(tokenprint_requests_total offset 1h)"
    )
    assert metric_names(expr) == {
        "tokenprint_request_gwp_grams_bucket",
        "tokenprint_requests_total",
    }


def test_every_query_names_a_metric_the_exporter_emits() -> None:
    emitted = emitted_sample_names()
    all_queries = queries(load())
    assert len(all_queries) > 10
    for expr in all_queries:
        names = metric_names(expr)
        assert names, f"no metric in {expr!r}"
        assert names <= emitted, (expr, names - emitted)


def test_the_dashboard_shows_what_the_issue_asks() -> None:
    text = " ".join(queries(load()))
    for name in (
        "tokenprint_energy_joules_total",
        "tokenprint_gwp_grams_total",
        "tokenprint_wcf_liters_total",
        "tokenprint_requests_unestimated_total",
        "tokenprint_budget_breaches_total",
    ):
        assert name in text, name
    assert "sum by (model)" in text and "sum by ($label)" in text


def test_no_legend_sums_overlapping_windows() -> None:
    """A series of ``increase(...[$__rate_interval])`` has a point per step, each over a
    window longer than the step: their sum counts each request several times, so a legend
    shows the mean per interval instead."""
    for panel in load()["panels"]:
        exprs = " ".join(t["expr"] for t in panel.get("targets", ()))
        if "$__rate_interval" in exprs:
            calcs = panel["options"]["legend"]["calcs"]
            assert "sum" not in calcs, panel["title"]
