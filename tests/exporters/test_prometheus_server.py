"""The Prometheus exporter end to end: real OpenAI SDK requests (cassettes) through tokenprint,
scraped by a real Prometheus server (Debian's ``prometheus``) started on loopback, whose HTTP
API answers the totals just produced; every query of the Grafana dashboard runs on it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

openai = pytest.importorskip("openai")
pytest.importorskip("prometheus_client")

from tests.exporters.test_dashboard import load, queries  # noqa: E402
from tests.support import prometheus_server  # noqa: E402
from tests.support.cassettes import use_cassette  # noqa: E402
from tokenprint import EcoLogits, exporters  # noqa: E402
from tokenprint.errors import BudgetExceeded  # noqa: E402

prometheus_server.skip_unless_installed()

MESSAGES = [{"role": "user", "content": "Summarise: the cat sat on the mat."}]


def _client() -> Any:
    return openai.OpenAI(api_key="sk-test", max_retries=0)


def _requests() -> dict[str, float]:
    """Run requests of every kind through tokenprint; the totals Prometheus must answer."""
    client = _client()
    gwp: dict[str, float] = {}
    with EcoLogits.label(task="summarise"), use_cassette("exporters", "chat"):
        chat = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    gwp["summarise"] = chat.impacts.gwp.central * 1e3
    with EcoLogits.label(task="search"), use_cassette("media", "openai_embeddings"):
        emb = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    gwp["search"] = emb.impacts.gwp.central * 1e3
    with use_cassette("openai", "chat_unknown_model"):
        client.chat.completions.create(model="acme-llm-1", messages=MESSAGES)
    # refused before sending: a breach, no request
    tight = EcoLogits.budget(per_request={"gwp": "1 ug"}, mode="block", name="tight")
    with tight, pytest.raises(BudgetExceeded):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    return gwp


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[str, dict[str, float]]]:
    """tokenprint's endpoint after the requests, and a Prometheus server scraping it."""
    EcoLogits.init(
        providers=["openai"], exporters=[{"type": "prometheus", "port": 0, "addr": "127.0.0.1"}]
    )
    try:
        (exporter,) = exporters.active()
        gwp = _requests()
        with prometheus_server.server(exporter.port, tmp_path) as url:
            prometheus_server.wait_for(
                lambda: _value(url, "sum(tokenprint_requests_total)") == 3,
                what="Prometheus to scrape the 3 requests",
            )
            prometheus_server.wait_for(  # two scrapes: rates and increases have a value
                lambda: _value(url, "min(count_over_time(tokenprint_requests_total[1m]))") == 2,
                what="a second scrape",
            )
            yield url, gwp
    finally:
        EcoLogits.shutdown()


def _value(url: str, expr: str) -> float | None:
    result = prometheus_server.query(url, expr)["result"]
    return float(result[0]["value"][1]) if result else None


def _by(url: str, expr: str, label: str) -> dict[str, float]:
    return {
        r["metric"].get(label, ""): float(r["value"][1])
        for r in prometheus_server.query(url, expr)["result"]
    }


def test_prometheus_answers_the_totals_just_produced(
    prometheus: tuple[str, dict[str, float]],
) -> None:
    url, gwp = prometheus
    total = _value(url, "sum(tokenprint_gwp_grams_total)")
    assert total is not None and math.isclose(total, sum(gwp.values()), rel_tol=1e-9)
    by_task = _by(url, "sum by (task) (tokenprint_gwp_grams_total)", "task")
    assert by_task.keys() == gwp.keys()
    for task, value in gwp.items():
        assert math.isclose(by_task[task], value, rel_tol=1e-9), task
    ops = _by(url, "sum by (operation) (tokenprint_requests_total)", "operation")
    assert ops == {"chat": 2, "embeddings": 1}
    assert _value(url, "sum(tokenprint_requests_unestimated_total)") == 1
    unknown = _by(url, "tokenprint_requests_unestimated_total > 0", "model")
    assert unknown == {"acme-llm-1": 1}
    breaches = prometheus_server.query(url, "tokenprint_budget_breaches_total")["result"]
    assert [(r["metric"]["budget"], r["metric"]["mode"], r["value"][1]) for r in breaches] == [
        ("tight", "block", "1")
    ]
    count = _value(url, "sum(tokenprint_request_energy_joules_count)")
    assert count == 2  # the estimated requests, in the histogram


def test_every_dashboard_query_runs_on_prometheus(
    prometheus: tuple[str, dict[str, float]],
) -> None:
    url, _ = prometheus
    grafana = {
        "$__rate_interval": "1m",
        "$__range": "1h",
        "$provider": ".*",
        "$model": ".*",
        "$label": "task",
    }
    answered = 0
    for expr in queries(load()):
        for var, value in grafana.items():
            expr = expr.replace(var, value)
        data = prometheus_server.query(url, expr)  # asserts status "success"
        answered += bool(data["result"])
    assert answered >= 10  # the panels have data


def test_the_server_is_stopped_after_use(tmp_path: Path) -> None:
    port = prometheus_server.free_port()
    with prometheus_server.server(port, tmp_path) as url:
        assert prometheus_server.query(url, "up")["resultType"] == "vector"
    with pytest.raises(OSError):
        prometheus_server.query(url, "up")
