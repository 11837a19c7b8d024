"""scripts/build_data.py turns the pinned upstream tables into our electricity CSV."""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.scripts import load_script

ECO = "ecologits-0.11.3-py3-none-any.whl"
CC = "codecarbon-3.3.2-py3-none-any.whl"


def _script() -> ModuleType:
    return load_script("build_data")


def _wheel(path: Path, member: str, data: object) -> str:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, json.dumps(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def wheels(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    mixes = {
        "electricity_mixes": [
            {"name": "WOR", "gwp": 0.45, "adpe": 1e-8, "pe": 2.5, "wue": 3.9, "warnings": None},
            {"name": "FRA", "gwp": 0.04, "adpe": 5e-8, "pe": 9.3, "wue": 3.7, "warnings": None},
            {
                "name": "ABW",
                "gwp": 0.55,
                "adpe": 1e-8,
                "pe": 2.5,
                "wue": 3.9,
                "warnings": ["electricity-mix-adpe-world", "electricity-mix-wue-world"],
            },
        ]
    }
    names = {
        "FRA": {"country_name": "France", "carbon_intensity": 56.0, "year": 2023},
        "ABW": {"country_name": "Aruba", "carbon_intensity": 561.2, "year": 2022},
    }
    pins = {
        ECO: _wheel(tmp_path / ECO, "ecologits/data/electricity_mixes.json", mixes),
        CC: _wheel(tmp_path / CC, "codecarbon/data/private_infra/global_energy_mix.json", names),
    }
    return tmp_path, pins


def test_build_writes_four_factors_with_source_year_and_fallbacks(
    wheels: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, pins = wheels
    build = _script()
    monkeypatch.setattr(build, "PINNED", pins)
    text = build.build_mixes(folder)
    rows = {r["zone"]: r for r in csv.DictReader(x for x in text.splitlines() if x[:1] != "#")}
    assert list(rows) == ["WOR", "ABW", "FRA"]  # world first, then by code
    assert rows["WOR"]["name"] == "World" and rows["FRA"]["name"] == "France"
    assert rows["ABW"]["fallback"] == "adpe|wue"
    assert rows["ABW"]["adpe_source"].startswith("WOR") and rows["ABW"]["pe_source"] != ""
    assert rows["FRA"]["fallback"] == "" and rows["FRA"]["wue_year"] == "2020"
    assert float(rows["FRA"]["gwp"]) == 0.04


def test_build_refuses_a_wheel_that_is_not_the_pinned_one(
    wheels: tuple[Path, dict[str, str]],
) -> None:
    folder, _ = wheels
    with pytest.raises(SystemExit, match="not the pinned digest"):
        _script().build_mixes(folder)
