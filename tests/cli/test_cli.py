"""The command line, run as users run it: the ``tokenprint`` console script and ``-m``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tokenprint
from tokenprint.cli._table import fmt_range

CONSOLE = str(Path(sys.executable).parent / "tokenprint")
RUNNERS = {"console-script": [CONSOLE], "python-m": [sys.executable, "-m", "tokenprint"]}


@pytest.fixture(params=sorted(RUNNERS))
def runner(request: pytest.FixtureRequest) -> list[str]:
    cmd: list[str] = RUNNERS[request.param]
    return cmd


def _cells(line: str) -> list[str]:
    """A table line's cells (columns are at least two spaces apart)."""
    return re.split(r"\s{2,}", line.strip())


def _run(cmd: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)


def test_console_script_is_installed() -> None:
    assert Path(CONSOLE).is_file(), "the 'tokenprint' console script is not installed"


def test_estimate_prints_a_table(runner: list[str]) -> None:
    out = _run(runner, "estimate", "--model", "gpt-4o", "--output-tokens", "500")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    impacts = tokenprint.estimate("gpt-4o", 500)
    b = impacts.basis
    assert lines[0].startswith("gpt-4o via openai (USA): 0 input, 500 output tokens")
    assert b.batch_size is not None
    assert lines[1] == (
        f"served on {b.accelerator_count} x {b.hardware}, {b.precision} weights, "
        f"{b.batch_size:.0f} sequences per replica (best estimate)"
    )
    assert lines[1].startswith("served on ") and " x H100, " in lines[1]
    assert _cells(lines[2]) == ["phase", "criterion", "best estimate", "P5 – P95", "unit"]
    rows = {
        tuple(cells[:2]): cells
        for cells in map(_cells, lines[4:])
        if cells[0] in ("total", "energy part", "wcf part", "usage", "embodied")
    }
    assert ("total", "energy") in rows and ("embodied", "gwp") in rows
    assert {("energy part", p) for p in ("accelerators", "host", "idle", "facility")} <= set(rows)
    assert {("wcf part", p) for p in ("onsite", "offsite")} <= set(rows)
    assert len(rows) == 19  # 5 totals, 4 energy parts, 2 water parts, 5 usage, 3 embodied
    gwp = impacts.gwp
    assert gwp is not None and f"{gwp.central:.3g}" != f"{gwp.mean:.3g}"
    expected = [f"{gwp.central:.3g}", fmt_range(gwp.min, gwp.max), "kgCO2eq"]
    assert rows["total", "gwp"][2:] == expected
    assert "kgCO2eq" in out.stdout and "kWh" in out.stdout
    assert lines[-1].startswith("methodology ")


def test_estimate_json_parses_and_carries_the_arguments(runner: list[str]) -> None:
    out = _run(
        runner,
        "estimate",
        "--model",
        "gpt-4o",
        "--output-tokens",
        "500",
        "--input-tokens",
        "1000",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["energy"]["unit"] == "kWh"
    assert 0 < data["energy"]["value"]["min"] < data["energy"]["value"]["max"]
    assert data["basis"]["input_tokens"] == 1000
    assert data["basis"]["output_tokens"] == 500
    assert data["methodology_version"]
    assert data["errors"] == []


def _json(*args: str) -> dict[str, object]:
    out = _run(
        [CONSOLE], "estimate", "--model", "gpt-4o", "--output-tokens", "500", "--json", *args
    )
    assert out.returncode == 0, out.stderr
    data: dict[str, object] = json.loads(out.stdout)
    return data


def _gwp_max(data: dict[str, object]) -> float:
    gwp = data["gwp"]
    assert isinstance(gwp, dict)
    return float(gwp["value"]["max"])


def test_zone_option_changes_the_electricity_mix() -> None:
    usa, fra = _json("--zone", "USA"), _json("--zone", "FRA")
    assert _gwp_max(fra) < _gwp_max(usa)
    assert fra["basis"] == {**usa["basis"], "zone": "FRA"}  # type: ignore[dict-item]


def test_provider_option_picks_the_datacenter() -> None:
    data = _json("--provider", "mistralai")
    basis = data["basis"]
    assert isinstance(basis, dict)
    assert (basis["datacenter"], basis["zone"]) == ("mistralai", "SWE")


def test_estimate_prints_its_warnings_on_stderr_after_the_table(runner: list[str]) -> None:
    args = ["estimate", "--model", "gpt-4o", "--output-tokens", "500", "--provider", "nope"]
    out = _run(runner, *args)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1].startswith("methodology ")
    assert "warning" not in out.stdout
    codes = [w.code for w in tokenprint.estimate("gpt-4o", 500, provider="nope").warnings]
    assert "datacenter-unknown" in codes
    lines = out.stderr.splitlines()
    assert [line.split(": ")[2] for line in lines] == codes
    unknown = lines[codes.index("datacenter-unknown")]
    assert unknown.startswith("tokenprint: warning: datacenter-unknown: no data-centre profile")
    assert "'nope'" in unknown
    # with --json the warnings are in the JSON and on stderr; stdout stays JSON only
    out = _run(runner, *args, "--json")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert [w["code"] for w in data["warnings"]] == codes
    assert out.stderr.splitlines() == lines


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "--model", "gpt-4o", "--output-tokens", "-5"],
        ["estimate", "--model", "gpt-4o", "--output-tokens", "many"],
        ["estimate", "--model", "gpt-4o", "--output-tokens", "1.5"],
        ["estimate", "--model", "no-such-model-xyz", "--output-tokens", "5"],
        ["estimate", "--model", "gpt-4o", "--output-tokens", "5", "--zone", "ATLANTIS"],
        ["estimate", "--model", "gpt-4o", "--output-tokens", "5", "--latency", "-1"],
        ["estimate", "--model", "gpt-4o", "--output-tokens", "5", "--cached-tokens", "3"],
        ["estimate", "--output-tokens", "5"],
        ["frobnicate"],
        [],
    ],
)
def test_bad_input_exits_2_with_one_line(runner: list[str], args: list[str]) -> None:
    out = _run(runner, *args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("tokenprint: error: ")


def test_unknown_model_message_names_it() -> None:
    out = _run([CONSOLE], "estimate", "--model", "no-such-model-xyz", "--output-tokens", "5")
    assert "no-such-model-xyz" in out.stderr


def test_models_lists_and_filters_the_catalogue(runner: list[str]) -> None:
    out = _run(runner, "models", "gpt-4o")
    assert out.returncode == 0, out.stderr
    names = [line.split()[1] for line in out.stdout.splitlines()[2:-1]]
    assert "gpt-4o" in names and "gpt-4o-mini" in names
    assert not any(n.startswith("claude") for n in names)
    assert out.stdout.splitlines()[-1] == f"{len(names)} model(s)"


def test_models_lists_image_models_by_modality(runner: list[str]) -> None:
    out = _run(runner, "models", "--modality", "image")
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()[2:-1]]
    names = [r[1] for r in rows]
    assert "gpt-image-1" in names and "dall-e-3" in names
    assert {r[5] for r in rows} == {"image"}


def test_models_without_query_lists_more_than_a_filter() -> None:
    every = _run([CONSOLE], "models").stdout.splitlines()
    some = _run([CONSOLE], "models", "gpt-4o").stdout.splitlines()
    assert len(every) > len(some)


def test_models_filter_that_matches_nothing_says_so() -> None:
    out = _run([CONSOLE], "models", "zzz-no-such-model")
    assert out.returncode == 0
    assert out.stdout.splitlines()[-1] == "0 model(s)"


def test_zones_lists_and_filters_zones(runner: list[str]) -> None:
    out = _run(runner, "zones", "FRA")
    assert out.returncode == 0, out.stderr
    rows = out.stdout.splitlines()[2:-1]
    assert any(r.startswith("FRA ") and "France" in r for r in rows)
    assert not any(r.startswith("DEU ") for r in rows)
    everything = _run(runner, "zones").stdout.splitlines()
    assert any(r.startswith("DEU ") for r in everything)


def test_version_option(runner: list[str]) -> None:
    out = _run(runner, "--version")
    assert out.returncode == 0
    assert out.stdout.startswith("tokenprint ")
