"""Prometheus exporter: what a registry exposes (read back with prometheus_client's own
parser), labels, limits, specs, the HTTP endpoint and its shutdown."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

pytest.importorskip("prometheus_client")

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.exporter_records import make_record
from tests.support.prometheus_server import scrape
from tokenprint import Budget, EcoLogits, events, exporters
from tokenprint.errors import BudgetExceeded, InvalidArgumentError
from tokenprint.exporters.prometheus import (
    BUCKETS,
    METRIC_NAMES,
    PrometheusExporter,
    label_name,
)
from tokenprint.records import Pending

Samples = dict[str, list[tuple[dict[str, str], float]]]


def _samples(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), s.value))
    return out


def _read(registry: CollectorRegistry) -> Samples:
    return _samples(generate_latest(registry).decode())


def _init(**options: Any) -> CollectorRegistry:
    registry = CollectorRegistry()
    EcoLogits.init(exporters=[{"type": "prometheus", "registry": registry, **options}])
    return registry


def test_counters_sum_the_requests_in_published_units() -> None:
    registry = _init()
    a, b = make_record(), make_record(output_tokens=500)
    events.run_after(a)
    events.run_after(b)
    samples = _read(registry)
    assert a.impacts.gwp is not None and b.impacts.gwp is not None
    (gwp,) = samples["tokenprint_gwp_grams_total"]
    assert gwp[1] == pytest.approx((a.impacts.gwp.central + b.impacts.gwp.central) * 1e3)
    assert gwp[0] == {"provider": "openai", "model": "gpt-4o-mini", "operation": "chat"}
    (low,) = samples["tokenprint_gwp_min_grams_total"]
    assert low[1] == pytest.approx((a.impacts.gwp.min + b.impacts.gwp.min) * 1e3)
    assert a.impacts.energy is not None and b.impacts.energy is not None
    (energy,) = samples["tokenprint_energy_max_joules_total"]
    assert energy[1] == pytest.approx((a.impacts.energy.max + b.impacts.energy.max) * 3.6e6)
    assert samples["tokenprint_requests_total"][0][1] == 2
    assert samples["tokenprint_requests_unestimated_total"][0][1] == 0


def test_histograms_hold_each_request() -> None:
    registry = _init()
    record = make_record()
    events.run_after(record)
    samples = _read(registry)
    assert record.impacts.wcf is not None
    water = record.impacts.wcf.central
    (count,) = samples["tokenprint_request_wcf_liters_count"]
    (total,) = samples["tokenprint_request_wcf_liters_sum"]
    assert count[1] == 1 and total[1] == pytest.approx(water)
    buckets = {float(lb["le"]): v for lb, v in samples["tokenprint_request_wcf_liters_bucket"]}
    assert len(buckets) == len(BUCKETS["wcf"]) + 1
    assert all(v == (1 if le >= water else 0) for le, v in buckets.items())


def test_an_unestimated_request_is_counted_and_has_no_impact_values() -> None:
    registry = _init()
    events.run_after(make_record(model="no-such-model-xyz"))
    samples = _read(registry)
    (unestimated,) = samples["tokenprint_requests_unestimated_total"]
    assert unestimated == (
        {"provider": "openai", "model": "no-such-model-xyz", "operation": "chat"},
        1,
    )
    assert "tokenprint_gwp_grams_total" not in samples  # not a zero


def test_tokens_are_counted_for_the_sci_per_token() -> None:
    registry = _init()
    a = make_record(input_tokens=40, output_tokens=120)
    events.run_after(a)
    events.run_after(make_record(model="no-such-model-xyz"))  # no impacts: not in the SCI
    samples = _read(registry)
    tokens = {s[0]["model"]: s[1] for s in samples["tokenprint_tokens_total"]}
    assert tokens == {"gpt-4o-mini": 160, "no-such-model-xyz": 0}
    (gwp,) = samples["tokenprint_gwp_grams_total"]
    sci = a.impacts.sci
    assert sci is not None and sci.per_token is not None
    assert gwp[1] / tokens["gpt-4o-mini"] == pytest.approx(sci.per_token.central)


def test_user_labels_become_valid_label_names() -> None:
    registry = _init()
    labels = {"team": "search", "feature.name": "qa", "7days": "x", "tâche": "résumé"}
    events.run_after(make_record(labels=labels))
    ((got, _),) = _read(registry)["tokenprint_requests_total"]
    assert got == {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "operation": "chat",
        "team": "search",
        "feature_name": "qa",
        "label_7days": "x",
        "t_che": "résumé",
    }
    assert label_name("operation") == "label_operation"  # taken by tokenprint
    assert label_name("__x") == "label___x"  # reserved by Prometheus
    assert label_name("le") == "label_le"


def test_only_the_labels_asked_for_are_kept() -> None:
    registry = _init(labels=["team"])
    events.run_after(make_record(labels={"team": "a", "user_id": "u-123"}))
    ((got, _),) = _read(registry)["tokenprint_requests_total"]
    assert got["team"] == "a" and "user_id" not in got


def test_series_past_the_limit_are_folded_into_one(caplog: pytest.LogCaptureFixture) -> None:
    registry = _init(max_series=2)
    with caplog.at_level(logging.WARNING, "tokenprint"):
        for user in ("a", "b", "c", "d"):
            events.run_after(make_record(labels={"user": user}))
    requests = _read(registry)["tokenprint_requests_total"]
    assert sorted(v for _, v in requests) == [1, 1, 2]
    assert ({"tokenprint_overflow": "true"}, 2) in requests
    assert sum("tokenprint_overflow" in r.message for r in caplog.records) == 1


def test_budget_breaches_are_counted() -> None:
    registry = CollectorRegistry()
    EcoLogits.init(
        exporters=[{"type": "prometheus", "registry": registry}],
        budget=Budget(per_request={"gwp": "1 ug"}, mode="warn"),
    )
    with pytest.warns(UserWarning):
        events.run_after(make_record(labels={"team": "search"}))
    (breach,) = _read(registry)["tokenprint_budget_breaches_total"]
    assert breach == ({"budget": "", "mode": "warn", "criterion": "gwp", "team": "search"}, 1)


def test_a_breach_found_before_sending_carries_the_labels_of_where_it_was_made() -> None:
    registry = CollectorRegistry()
    EcoLogits.init(
        exporters=[{"type": "prometheus", "registry": registry}],
        labels={"app": "bot"},
        budget=Budget(per_request={"gwp": "1 ug"}, mode="block", name="tight"),
    )
    pending = Pending("openai", "gpt-4o-mini", 500, 50, endpoint="chat.completions.create")
    with EcoLogits.label(team="search"), pytest.raises(BudgetExceeded):
        events.run_before(pending)
    (breach,) = _read(registry)["tokenprint_budget_breaches_total"]
    assert breach[0] == {
        "budget": "tight", "mode": "block", "criterion": "gwp", "app": "bot", "team": "search"
    }  # fmt: skip


def test_every_family_is_described() -> None:
    registry = _init()
    events.run_after(make_record())
    names = {f.name for f in text_string_to_metric_families(generate_latest(registry).decode())}
    assert names == set(METRIC_NAMES)


def test_a_new_init_replaces_the_exporter_in_the_registry() -> None:
    EcoLogits.init(exporters="prometheus")  # the default registry
    EcoLogits.init(exporters="prometheus")  # no "duplicated timeseries" error
    events.run_after(make_record())
    assert _read(REGISTRY)["tokenprint_requests_total"][0][1] == 1
    EcoLogits.shutdown()
    assert "tokenprint_requests_total" not in _read(REGISTRY)


def test_the_endpoint_serves_the_metrics_and_stops_at_shutdown() -> None:
    EcoLogits.init(exporters=[{"type": "prometheus", "port": 0, "addr": "127.0.0.1"}])
    (exporter,) = exporters.active()
    assert isinstance(exporter, PrometheusExporter) and exporter.port
    port = exporter.port
    events.run_after(make_record())
    assert _samples(scrape(port))["tokenprint_requests_total"][0][1] == 1
    EcoLogits.shutdown()
    with pytest.raises(OSError):
        scrape(port)


def test_a_port_in_use_costs_a_warning_not_the_application(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.WARNING, "tokenprint"):
            EcoLogits.init(exporters=[{"type": "prometheus", "port": port, "addr": "127.0.0.1"}])
    assert "could not listen" in caplog.text
    events.run_after(make_record())  # still counted, in the registry
    assert _read(REGISTRY)["tokenprint_requests_total"][0][1] == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("prometheus:http", "port must be"),
        ({"type": "prometheus", "port": 70000}, "port must be"),
        ({"type": "prometheus", "max_series": 0}, "max_series"),
        ({"type": "prometheus", "labels": "team"}, "labels must be"),
        ({"type": "prometheus", "path": "x"}, "unknown option"),
    ],
)
def test_bad_specs_are_refused_before_anything_is_attached(spec: Any, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        EcoLogits.init(exporters=[spec])
    assert not exporters.active()


def test_spec_with_a_port() -> None:
    port = 0
    EcoLogits.init(exporters=f"prometheus:{port}")
    (exporter,) = exporters.active()
    assert isinstance(exporter, PrometheusExporter) and exporter.port
