"""The CodeCarbon-compatible exporter, read back with the codecarbon package itself."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest

from tests.support.exporter_records import make_record
from tokenprint import EcoLogits, events
from tokenprint.cli._read import load
from tokenprint.exporters.codecarbon import COLUMNS, CodeCarbonExporter

pd = pytest.importorskip("pandas")
emissions_data = pytest.importorskip("codecarbon.output_methods.emissions_data")
file_output = pytest.importorskip("codecarbon.output_methods.file")


def _read_back(path: Path) -> list[Any]:
    """Rows as codecarbon's own EmissionsData records (what its dashboards load)."""
    df = pd.read_csv(path)
    return [emissions_data.EmissionsData(**row) for row in df.to_dict("records")]


def test_columns_are_codecarbon_emissions_data_fields() -> None:
    fields = [f.name for f in dataclasses.fields(emissions_data.EmissionsData)]
    assert list(COLUMNS) == fields


def test_one_row_per_request_read_back_by_codecarbon(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    ex = CodeCarbonExporter(path, project_name="chatbot")
    first = make_record(labels={"experiment_id": "exp-1"})
    ex.export(first)
    ex.export(make_record(model="gpt-4o", latency_s=None))
    rows = _read_back(path)
    assert len(rows) == 2
    a, b = rows
    assert first.impacts.gwp is not None and first.impacts.energy is not None
    assert first.impacts.wcf is not None
    assert a.project_name == "chatbot" and a.experiment_id == "exp-1"
    assert a.run_id == b.run_id == ex.run_id
    assert math.isclose(a.emissions, first.impacts.gwp.central, rel_tol=1e-12)
    assert math.isclose(a.energy_consumed, first.impacts.energy.central, rel_tol=1e-12)
    assert math.isclose(a.water_consumed, first.impacts.wcf.central, rel_tol=1e-12)
    assert a.duration == 1.5
    assert math.isclose(a.emissions_rate, a.emissions / 1.5)
    assert math.isclose(a.gpu_power, a.energy_consumed * 3.6e6 / 1.5)
    assert a.cloud_provider == "openai" and a.country_iso_code == first.impacts.basis.zone
    assert a.gpu_model == first.impacts.basis.hardware and a.on_cloud == "Y"
    assert b.duration == 0 and b.emissions_rate == 0  # no latency known
    # codecarbon accepts the file's header as its own
    out = file_output.FileOutput(path.name, str(tmp_path))
    assert out.has_valid_headers(a)


def test_a_request_without_impacts_leaves_its_values_empty_not_zero(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    ex = CodeCarbonExporter(path)
    unknown = make_record(model="no-such-model-xyz")
    assert not unknown.impacts.has_values
    ex.export(unknown)
    ex.export(make_record())
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for column in ("emissions", "energy_consumed", "water_consumed", "gpu_power"):
        assert rows[0][column] == ""
        assert float(rows[1][column]) > 0
    df = pd.read_csv(path)  # what CodeCarbon's dashboards load: unknown, not zero
    assert math.isnan(df["emissions"][0]) and df["emissions"][1] > 0
    report = load(str(path))  # tokenprint's own reader lists it as not estimated
    assert len(report.requests) == 2 and len(report.unestimated) == 1


def test_codecarbon_tracker_rows_append_to_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    CodeCarbonExporter(path).export(make_record())
    (ours,) = _read_back(path)
    theirs = dataclasses.replace(ours, project_name="local-training", emissions=0.25)
    file_output.FileOutput(path.name, str(tmp_path)).out(theirs, None)
    CodeCarbonExporter(path).export(make_record())
    rows = _read_back(path)
    assert [r.project_name for r in rows] == ["tokenprint", "local-training", "tokenprint"]
    assert not list(tmp_path.glob("*.bak*")), "codecarbon backed the file up: header mismatch"


def test_usage_only_emissions_leave_out_embodied(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    record = make_record()
    CodeCarbonExporter(path, include_embodied=False).export(record)
    (row,) = _read_back(path)
    assert record.impacts.usage is not None and record.impacts.gwp is not None
    assert math.isclose(row.emissions, record.impacts.usage.gwp.central, rel_tol=1e-12)
    assert row.emissions < record.impacts.gwp.central


def test_per_run_writes_one_summed_row_at_shutdown(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    EcoLogits.init(exporters=[{"type": "codecarbon", "path": str(path), "per": "run"}])
    records = [make_record(), make_record(output_tokens=900)]
    for r in records:
        events.run_after(r)
    assert not path.exists()
    EcoLogits.shutdown()
    (row,) = _read_back(path)
    expected = sum(r.impacts.gwp.central for r in records if r.impacts.gwp is not None)
    assert math.isclose(row.emissions, expected, rel_tol=1e-12)
    assert row.duration >= 0 and row.cloud_provider == "openai"


def test_per_run_without_requests_writes_nothing(tmp_path: Path) -> None:
    ex = CodeCarbonExporter(tmp_path / "none.csv", per="run")
    ex.shutdown()
    assert not (tmp_path / "none.csv").exists()


def test_existing_file_with_older_header_keeps_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    old_header = [c for c in COLUMNS if c not in ("water_consumed", "wue")]
    path.write_text(",".join(old_header) + "\n")
    CodeCarbonExporter(path).export(make_record())
    with path.open(newline="") as f:
        header, row = list(csv.reader(f))
    assert header == old_header and len(row) == len(old_header)
    assert float(row[header.index("emissions")]) > 0


def test_spec_string_writes_csv_through_the_hook(tmp_path: Path) -> None:
    path = tmp_path / "cc" / "emissions.csv"
    EcoLogits.init(exporters=f"codecarbon:{path}")
    events.run_after(make_record())
    assert len(_read_back(path)) == 1
