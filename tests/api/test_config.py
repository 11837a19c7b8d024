"""Configuration from pyproject.toml, tokenprint.toml and TOKENPRINT_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenprint import EcoLogits
from tokenprint.budgets import Budget
from tokenprint.config import build_config
from tokenprint.errors import InvalidArgumentError, InvalidTypeError
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
        (
            "[datacenters.openai]\npue = [1.3, 1.1]\n",
            r"tokenprint\.toml: datacenters\.openai: pue: low above high in \[1\.3, 1\.1\]",
        ),
        (
            "[datacenters.openai]\nwue = -0.5\n",
            r"tokenprint\.toml: datacenters\.openai: wue: must be >= 0, got -0\.5",
        ),
        (
            "[datacenters.local]\nbatch_size = [0, 8]\n",
            r"tokenprint\.toml: datacenters\.local: batch_size: must be >= 1",
        ),
        (
            "[datacenters.local]\naccelerator_count = [2, 4]\n",
            r"tokenprint\.toml: datacenters\.local: accelerator_count: must be an int >= 1",
        ),
        ("[datacenters.openai]\npue = nan\n", r"datacenters\.openai: pue: must be finite"),
        ("[budget]\nper_requests = {}\n", r"budget\.per_requests: unknown key"),
        ('[budget]\nper_request = {co2 = "1 g"}\n', r"budget: unknown budget criterion 'co2'"),
        ('hub_resolver = "maybe"\n', r"hub_resolver: expected true or false"),
        (
            'labels = {a = {b = "c"}}\n',
            r"tokenprint\.toml: labels: label 'a' must be a str, int, float or bool, got dict",
        ),
        ('labels = {model = "spoofed"}\n', r"tokenprint\.toml: labels: label name 'model' is"),
        ('labels = {"gen_ai.system" = "acme"}\n', r"labels: label name 'gen_ai\.system' is"),
        ('labels = {"my team" = "a"}\n', r"labels: label name 'my team' must be 1 to 64"),
        ("labels = {day = 2026-01-02}\n", r"labels: label 'day' must be a str, int, float"),
        ("labels = [1]\n", r"tokenprint\.toml: labels: expected a table"),
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


def test_datacenter_ranges_in_code_are_those_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "tokenprint.toml").write_text("[datacenters.openai]\npue = [1.1, 1.3]\n")
    from_file = build_config({}).datacenters
    for pair in ([1.1, 1.3], (1.1, 1.3)):
        assert build_config({"datacenters": {"openai": {"pue": pair}}}).datacenters == from_file
    assert from_file == {"openai": {"pue": Range(1.1, 1.3)}}


def test_a_datacenter_profile_in_init_is_checked() -> None:
    from tokenprint.catalog.datacenters import get_datacenter

    dc = get_datacenter("openai")
    assert dc is not None
    with pytest.raises(
        InvalidArgumentError, match=r"^init\(\): datacenters\.openai: pue: must be >= 1, got -1\.2"
    ):
        EcoLogits.init(datacenters={"openai": dc._replace(pue=-1.2)})  # type: ignore[dict-item]
    listed = dc._replace(pue=[1.1, 1.3])  # type: ignore[arg-type]
    config = EcoLogits.init(datacenters={"openai": listed})  # type: ignore[dict-item]
    checked: object = config.datacenters["openai"]
    assert checked == dc._replace(pue=Range(1.1, 1.3))


# -- TOKENPRINT_STRICT -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" On ", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("OFF", False),
    ],
)
def test_strict_variable_accepts_the_usual_booleans(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    from tokenprint import events

    monkeypatch.setenv("TOKENPRINT_STRICT", value)
    assert events.strict() is expected


def test_strict_variable_with_another_value_warns_once_and_keeps_the_default(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tokenprint import events

    monkeypatch.setattr(events, "_strict_warned", set())
    monkeypatch.setenv("TOKENPRINT_STRICT", "perhaps")
    with caplog.at_level("WARNING", logger="tokenprint"):
        assert events.strict() is True  # under pytest
        monkeypatch.delenv("PYTEST_CURRENT_TEST")
        assert events.strict() is False  # elsewhere
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "TOKENPRINT_STRICT" in warnings[0].getMessage()
    assert "'perhaps'" in warnings[0].getMessage()


def test_empty_strict_variable_is_unset(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tokenprint import events

    monkeypatch.setenv("TOKENPRINT_STRICT", "")
    with caplog.at_level("WARNING", logger="tokenprint"):
        assert events.strict() is True
    assert caplog.records == []


# -- labels: the same rule as EcoLogits.label(), from every source ----------------------------


def test_labels_from_a_file_become_text(tmp_path: Path) -> None:
    (tmp_path / "tokenprint.toml").write_text(
        'labels = {team = "search", shard = 3, ratio = 0.5, canary = true, "app.v-1" = "x"}\n'
    )
    assert build_config({}).labels == {
        "team": "search",
        "shard": "3",
        "ratio": "0.5",
        "canary": "True",
        "app.v-1": "x",
    }


@pytest.mark.parametrize("name", ["provider", "model", "endpoint", "modality", "host"])
def test_init_refuses_a_reserved_label_name(name: str) -> None:
    with pytest.raises(
        InvalidArgumentError, match=rf"^init\(\): labels: label name '{name}' is reserved"
    ):
        EcoLogits.init(labels={name: "spoofed"})
    assert EcoLogits.config() is None  # nothing was put into effect


def test_init_refuses_bad_label_types_and_sizes_naming_the_label() -> None:
    with pytest.raises(InvalidTypeError, match=r"init\(\): labels: label 'owner' must be a str"):
        EcoLogits.init(labels={"owner": object()})  # type: ignore[dict-item]
    with pytest.raises(InvalidTypeError, match=r"init\(\): labels: label name 7 must be a str"):
        EcoLogits.init(labels={7: "x"})  # type: ignore[dict-item]
    with pytest.raises(InvalidArgumentError, match=r"label 'note' is 300 characters long"):
        EcoLogits.init(labels={"note": "x" * 300})
    with pytest.raises(InvalidArgumentError, match=r"label name 'tokenprint\.x' is reserved"):
        EcoLogits.init(labels={"tokenprint.x": "1"})
    with pytest.raises(InvalidTypeError, match=r"init\(\): labels: expected a mapping"):
        EcoLogits.init(labels="team=a")  # type: ignore[arg-type]
    config = EcoLogits.init(labels={"shard": 3, "canary": False})  # type: ignore[dict-item]
    assert config.labels == {"shard": "3", "canary": "False"}


def test_env_labels_follow_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENPRINT_LABELS", "team=a,model=spoofed")
    with pytest.raises(
        InvalidArgumentError, match=r"^TOKENPRINT_LABELS: labels: label name 'model' is reserved"
    ):
        build_config({})
    monkeypatch.setenv("TOKENPRINT_LABELS", "team=" + "x" * 257)
    with pytest.raises(InvalidArgumentError, match=r"label 'team' is 257 characters long"):
        build_config({})


def test_a_config_made_by_hand_follows_the_rule_too() -> None:
    from tokenprint.config import Config

    with pytest.raises(InvalidArgumentError, match=r"^Config\.labels: label name 'provider'"):
        Config(labels={"provider": "acme"})
    with pytest.raises(InvalidArgumentError, match=r"label name 'model'"):
        EcoLogits.apply(Config().replace(labels={"model": "spoofed"}))
    assert Config(labels={"n": 1}).labels == {"n": "1"}  # type: ignore[dict-item]
