"""Exporters: specs, the JSON-lines and logging exporters, dispatch and its guard."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.support.exporter_records import make_record
from tokenprint import EcoLogits, events, exporters
from tokenprint.errors import InvalidArgumentError, InvalidTypeError
from tokenprint.exporters.codecarbon import CodeCarbonExporter
from tokenprint.exporters.jsonl import JsonLinesExporter
from tokenprint.exporters.log import LoggingExporter
from tokenprint.impacts.results import CRITERIA
from tokenprint.records import RequestRecord


class Collect:
    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self.closed = 0

    def export(self, record: RequestRecord) -> None:
        self.records.append(record)

    def shutdown(self) -> None:
        self.closed += 1


class Broken:
    def export(self, record: RequestRecord) -> None:
        raise RuntimeError("disk full")

    def __repr__(self) -> str:
        return "Broken()"


def test_string_specs_build_the_named_exporters(tmp_path: Path) -> None:
    j = exporters.build(f"jsonl:{tmp_path / 'a.jsonl'}")
    assert isinstance(j, JsonLinesExporter) and j.path == str(tmp_path / "a.jsonl")
    assert isinstance(exporters.build("log"), LoggingExporter)
    assert exporters.build("log:debug").level == logging.DEBUG
    cc = exporters.build("codecarbon")
    assert isinstance(cc, CodeCarbonExporter) and cc.path == "emissions.csv"
    assert exporters.build(f"codecarbon:{tmp_path / 'e.csv'}").path == str(tmp_path / "e.csv")


def test_table_spec_passes_options() -> None:
    cc = exporters.build({"type": "codecarbon", "path": "x.csv", "per": "run"})
    assert isinstance(cc, CodeCarbonExporter) and cc.per == "run" and cc.path == "x.csv"


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("csv:out.csv", "unknown exporter 'csv:out.csv'"),
        ("jsonl", "needs a path"),
        ("opentelemetry:foo", "takes no argument"),
        ({"type": "jsonl", "path": "a", "colour": "red"}, "unknown option 'colour'"),
        ({"path": "a"}, "needs 'type'"),
        ("log:LOUD", "unknown log level 'LOUD'"),
        ({"type": "codecarbon", "per": "week"}, "per must be 'request' or 'run'"),
    ],
)
def test_bad_spec_raises_naming_the_problem(spec: object, needle: str) -> None:
    with pytest.raises(InvalidArgumentError, match=needle):
        exporters.build(spec)


def test_non_exporter_object_is_a_type_error() -> None:
    with pytest.raises(InvalidTypeError, match="an exporter must be"):
        exporters.validate(42)


def test_jsonl_appends_one_parseable_line_per_request(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "impacts.jsonl"
    ex = JsonLinesExporter(path)
    ex.export(make_record(labels={"task": "summarise"}))
    ex.export(make_record(model="gpt-4o", output_tokens=10))
    ex.shutdown()  # the lines are written on the exporters' thread: wait for them
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(x) for x in lines)
    assert first["provider"] == "openai" and first["model"] == "gpt-4o-mini"
    assert first["endpoint"] == "chat.completions.create"
    assert first["labels"] == {"task": "summarise"}
    assert first["output_tokens"] == 120 and first["input_tokens"] == 40
    assert first["timestamp"] == "2026-01-01T00:00:00.000+00:00"
    gwp = first["impacts"]["gwp"]
    assert first["impacts"]["units"]["gwp"] == "kgCO2eq"
    assert 0 < gwp["min"] < gwp["central"] < gwp["max"]
    assert second["model"] == "gpt-4o" and second["labels"] == {}


def test_jsonl_values_equal_the_record_impacts(tmp_path: Path) -> None:
    """Every number of the line is the record's: totals, phases and SCI, with their units."""
    record = make_record()
    JsonLinesExporter(tmp_path / "x.jsonl").export(record)
    exporters.flush()
    data = json.loads((tmp_path / "x.jsonl").read_text())["impacts"]
    impacts = record.impacts

    def bounds(x: Any) -> dict[str, float]:
        return {"min": x.min, "central": x.central, "max": x.max}

    for name in CRITERIA:
        total = impacts.criterion(name)
        assert total is not None
        assert data[name] == bounds(total) and data["units"][name] == total.unit
    assert impacts.usage is not None and impacts.embodied is not None
    assert data["usage"] == {n: bounds(getattr(impacts.usage, n)) for n in CRITERIA}
    assert data["embodied"] == {
        n: bounds(getattr(impacts.embodied, n)) for n in ("gwp", "adpe", "pe")
    }
    sci = impacts.sci
    assert sci is not None and sci.per_request is not None and sci.per_token is not None
    assert data["sci"] == {
        "unit": "gCO2eq",
        "per_request": bounds(sci.per_request),
        "per_token": bounds(sci.per_token),
    }
    assert data["methodology_version"] == impacts.methodology_version
    assert data["basis"]["model_resolved"] == impacts.basis.model_resolved


def test_jsonl_line_of_an_unestimated_request_has_no_numbers(tmp_path: Path) -> None:
    """An unknown model's line carries its error and no criterion (never zeros)."""
    record = make_record(model="no-such-model-xyz")
    assert not record.impacts.has_values
    JsonLinesExporter(tmp_path / "x.jsonl").export(record)
    exporters.flush()
    data = json.loads((tmp_path / "x.jsonl").read_text())["impacts"]
    assert not set(data) & {*CRITERIA, "usage", "embodied", "sci", "units"}
    assert data["errors"] and data["errors"][0]["code"] == record.impacts.errors[0].code


def test_log_exporter_writes_a_readable_line_with_structured_extra(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="tokenprint.requests"):
        LoggingExporter().export(make_record(labels={"task": "qa"}))
    (rec,) = caplog.records
    assert rec.name == "tokenprint.requests" and rec.levelno == logging.INFO
    msg = rec.getMessage()
    assert msg.startswith("openai gpt-4o-mini chat.completions.create: 40 in / 120 out tokens;")
    assert "gwp " in msg and "kgCO2eq" in msg and msg.endswith(" task=qa")
    assert rec.tokenprint["labels"] == {"task": "qa"}  # type: ignore[attr-defined]


def test_log_exporter_is_silent_below_its_level(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tokenprint.requests"):
        LoggingExporter("INFO").export(make_record())
    assert caplog.records == []


def test_log_exporter_reports_failed_estimates(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tokenprint.requests"):
        LoggingExporter().export(make_record(model="no-such-model-xyz"))
    assert "no estimate ([model-not-registered]" in caplog.records[0].getMessage()


def test_init_attaches_exporters_and_shutdown_flushes_them() -> None:
    sink = Collect()
    EcoLogits.init(exporters=[sink])
    assert exporters.active() == (sink,)
    record = make_record()
    events.run_after(record)
    assert sink.records == [record]
    EcoLogits.shutdown()
    assert sink.closed == 1 and exporters.active() == ()
    events.run_after(make_record())
    assert len(sink.records) == 1


def test_plain_callable_is_an_exporter() -> None:
    seen: list[RequestRecord] = []
    EcoLogits.init(exporters=seen.append)
    events.run_after(make_record())
    assert len(seen) == 1


def test_reinit_replaces_previous_exporters() -> None:
    a, b = Collect(), Collect()
    EcoLogits.init(exporters=[a])
    EcoLogits.init(exporters=[b])
    events.run_after(make_record())
    assert a.closed == 1 and a.records == [] and len(b.records) == 1


def test_bad_spec_fails_init_before_attaching_anything() -> None:
    sink = Collect()
    with pytest.raises(InvalidArgumentError):
        EcoLogits.init(exporters=[sink, "nope"])
    assert exporters.active() == ()


def test_failing_exporter_does_not_stop_the_others_and_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TOKENPRINT_STRICT", "0")
    sink = Collect()
    EcoLogits.init(exporters=[Broken(), sink])
    with caplog.at_level(logging.WARNING, logger="tokenprint"):
        events.run_after(make_record())
        events.run_after(make_record())
    assert len(sink.records) == 2
    errors = [r for r in caplog.records if "exporter Broken()" in r.getMessage()]
    assert len(errors) == 1 and "disk full" in errors[0].getMessage()


def test_failing_exporter_raises_under_pytest_strict_mode() -> None:
    EcoLogits.init(exporters=[Broken()])
    with pytest.raises(RuntimeError, match="disk full"):
        events.run_after(make_record())


def test_failed_reinit_keeps_the_previous_exporters() -> None:
    sink = Collect()
    config = EcoLogits.init(exporters=[sink])
    bad = config.replace(exporters=("log", {"type": "log", "logger": 5}))  # fails when built
    with pytest.raises(TypeError):
        exporters.install(bad.exporters)
    assert exporters.active() == (sink,) and sink.closed == 0
