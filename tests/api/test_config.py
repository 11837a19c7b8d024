"""Configuration from pyproject.toml, tokenprint.toml and TOKENPRINT_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenprint import EcoLogits
from tokenprint.budgets import Budget
from tokenprint.config import build_config
from tokenprint.errors import InvalidArgumentError
from tokenprint.impacts.ranges import Range


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs in an empty folder with no TOKENPRINT_* configuration variable."""
    monkeypatch.chdir(tmp_path)
    for var in (
        "TOKENPRINT_CONFIG",
        "TOKENPRINT_PROVIDERS",
        "TOKENPRINT_ZONE",
        "TOKENPRINT_EXPORTERS",
        "TOKENPRINT_LABELS",
        "TOKENPRINT_OPENTELEMETRY_ENDPOINT",
        "TOKENPRINT_MODELS_FILE",
        "TOKENPRINT_HUB_RESOLVER",
        "TOKENPRINT_BUDGET_PER_REQUEST",
        "TOKENPRINT_BUDGET_TOTAL",
        "TOKENPRINT_BUDGET_MODE",
        "TOKENPRINT_BUDGET_BOUND",
    ):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


PYPROJECT = """
[project]
name = "my-app"

[tool.tokenprint]
providers = ["openai", "anthropic"]
zone = "fra"
exporters = ["log", {type = "jsonl", path = "impacts.jsonl"}]
labels = {team = "search", env = "dev"}
models_file = "models.csv"

[tool.tokenprint.datacenters.openai]
zone = "SWE"
pue = [1.1, 1.3]
"""


def test_no_source_gives_defaults() -> None:
    assert build_config({}) == build_config({"providers": None})
    assert build_config({}).providers is None


def test_pyproject_tool_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    c = build_config({})
    assert c.providers == ("openai", "anthropic")
    assert c.electricity_mix_zone == "FRA"
    assert c.exporters == ("log", {"type": "jsonl", "path": "impacts.jsonl"})
    assert c.labels == {"team": "search", "env": "dev"}
    assert c.datacenters == {"openai": {"zone": "SWE", "pue": Range(1.1, 1.3)}}
    assert c.models_file == str(tmp_path / "models.csv")  # relative to the file


def test_pyproject_without_tool_table_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert build_config({}).providers is None


def test_tokenprint_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "tokenprint.toml").write_text('providers = ["mistralai"]\n')
    c = build_config({})
    assert c.providers == ("mistralai",)
    assert c.labels == {}  # one file only: pyproject.toml is not read at all


def test_config_file_argument_and_env_variable_name_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.toml").write_text('zone = "DEU"\n')
    (tmp_path / "b.toml").write_text('zone = "ITA"\n')
    assert build_config({}, str(tmp_path / "a.toml")).electricity_mix_zone == "DEU"
    monkeypatch.setenv("TOKENPRINT_CONFIG", str(tmp_path / "b.toml"))
    assert build_config({}).electricity_mix_zone == "ITA"


def test_precedence_explicit_over_env_over_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    monkeypatch.setenv("TOKENPRINT_ZONE", "deu")
    monkeypatch.setenv("TOKENPRINT_PROVIDERS", "cohere, mistralai")
    monkeypatch.setenv("TOKENPRINT_LABELS", "env=prod,region=eu")
    c = build_config({})
    assert c.electricity_mix_zone == "DEU"  # env over file
    assert c.providers == ("cohere", "mistralai")
    assert c.labels == {"team": "search", "env": "prod", "region": "eu"}  # merged per key
    c = build_config({"electricity_mix_zone": "ITA", "labels": {"env": "test"}})
    assert c.electricity_mix_zone == "ITA"  # explicit over env
    assert c.labels == {"team": "search", "env": "test", "region": "eu"}
    assert c.providers == ("cohere", "mistralai")  # not given explicitly: env stays


def test_init_uses_the_file(tmp_path: Path) -> None:
    (tmp_path / "tokenprint.toml").write_text('zone = "FRA"\nlabels = {app = "bot"}\n')
    config = EcoLogits.init()
    assert config.electricity_mix_zone == "FRA" and config.labels == {"app": "bot"}
    assert EcoLogits.init(electricity_mix_zone="SWE").electricity_mix_zone == "SWE"


def test_env_exporters_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENPRINT_EXPORTERS", "log:debug, jsonl:out.jsonl")
    assert build_config({}).exporters == ("log:debug", "jsonl:out.jsonl")


def test_budget_table_and_env_become_one_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tokenprint.toml").write_text(
        '[budget]\nper_request = {gwp = "0.5 g"}\nmode = "warn"\n'
    )
    monkeypatch.setenv("TOKENPRINT_BUDGET_TOTAL", "energy=2 Wh, water=10 mL")
    spec = build_config({}).budget
    assert spec == {
        "per_request": {"gwp": "0.5 g"},
        "mode": "warn",
        "total": {"energy": "2 Wh", "water": "10 mL"},
    }
    budget = Budget.coerce(spec)
    assert budget.mode == "warn"
    assert {lim.criterion for lim in budget.per_request} == {"gwp"}
    assert {lim.criterion for lim in budget.totals_limits} == {"energy", "wcf"}


def test_hub_resolver_env_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENPRINT_HUB_RESOLVER", "yes")
    assert build_config({}).hub_resolver is True
    assert build_config({"hub_resolver": False}).hub_resolver is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('zones = "FRA"\n', r"tokenprint\.toml: zones: unknown key"),
        ('providers = "openai"\nzone = 3\n', r"tokenprint\.toml: zone: expected a zone code"),
        ('zone = "XXQ"\n', r"tokenprint\.toml: zone: .*XXQ"),
        ("providers = [1]\n", r"tokenprint\.toml: providers: expected a list of strings"),
        ('exporters = ["csv:x"]\n', r"tokenprint\.toml: exporters\[0\]: unknown exporter"),
        ('exporters = ["log:LOUD"]\n', r"exporters\[0\]: unknown log level 'LOUD'"),
        (
            'exporters = [{type = "codecarbon", per = "week"}]\n',
            r"exporters\[0\]: codecarbon exporter: per must be",
        ),
        (
            "[datacenters.openai]\npeu = 1.2\n",
            r"tokenprint\.toml: datacenters\.openai: peu: unknown setting; "
            r"expected one of \[.*'pue'",
        ),
        (
            '[datacenters.openai]\npue = "low"\n',
            r"tokenprint\.toml: datacenters\.openai: pue: expected a number or \[low, high\], "
            r"got 'low'",
        ),
        ("[budget]\nper_requests = {}\n", r"budget\.per_requests: unknown key"),
        ('[budget]\nper_request = {co2 = "1 g"}\n', r"budget: unknown budget criterion 'co2'"),
        ('hub_resolver = "maybe"\n', r"hub_resolver: expected true or false"),
        ('labels = {a = {b = "c"}}\n', r"labels\.a: expected a string or a number"),
        ("zone = \n", r"tokenprint\.toml: invalid TOML"),
    ],
)
def test_invalid_file_gives_one_error_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "tokenprint.toml").write_text(text)
    with pytest.raises(InvalidArgumentError, match=message):
        EcoLogits.init()


def test_invalid_pyproject_error_names_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tokenprint]\nprovider = 'openai'\n")
    with pytest.raises(
        InvalidArgumentError, match=r"pyproject\.toml \[tool\.tokenprint\]: provider"
    ):
        build_config({})


def test_invalid_env_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENPRINT_LABELS", "oops")
    with pytest.raises(
        InvalidArgumentError, match="TOKENPRINT_LABELS: labels: expected name=value"
    ):
        build_config({})


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="cannot read config file"):
        build_config({}, str(tmp_path / "nope.toml"))
