"""Config: the immutable settings built by ``EcoLogits.init()``.

Explicit ``init()`` arguments win over a config file (``[tool.tokenprint]`` in
pyproject.toml, or tokenprint.toml) and ``TOKENPRINT_*`` environment variables; see
:func:`build_config`.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from typing import Any

from tokenprint.context import check_labels
from tokenprint.errors import InvalidArgumentError, InvalidTypeError
from tokenprint.impacts.profiles import ElectricityMix

__all__ = [
    "ENV_VARS",
    "FILE_KEYS",
    "Config",
    "build_config",
    "env_settings",
    "file_settings",
    "find_config_file",
]


@dataclasses.dataclass(frozen=True)
class Config:
    """What ``EcoLogits.init()`` was asked to do. Read-only; build a new one to change it."""

    providers: tuple[str, ...] | None = None
    """SDKs to instrument; None means every supported SDK that is importable."""
    electricity_mix_zone: str | ElectricityMix | None = None
    """Zone for every request (default: each provider's data-centre zone)."""
    datacenters: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    """Per-provider data-centre overrides: ``{"openai": {"zone": "FRA", "pue": 1.1}}``."""
    budget: Mapping[str, Any] | Any = None
    """The global budget, checked on every request: a table of
    :class:`~tokenprint.budgets.Budget`'s arguments (from a file or the environment, made
    into a Budget by ``init()``), or a Budget given in code."""
    exporters: tuple[Any, ...] = ()
    """Exporter objects or specs: ``"jsonl:PATH"``, ``"log"``, ``"codecarbon:PATH"``."""
    opentelemetry_endpoint: str | None = None
    meter_provider: Any = None
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Labels added to every request (exporters' attributes), as text; the rule of
    :func:`tokenprint.context.check_labels` (no reserved names, sizes, types) holds."""
    models_file: str | None = None
    """A user data file of extra models (same columns as data/models.csv)."""
    hub_resolver: bool = False
    """Read unknown Hugging Face models' sizes from the Hub (cached on disk)."""

    def __post_init__(self) -> None:
        # a Config made by hand for EcoLogits.apply() obeys the same rule as init(labels=...)
        object.__setattr__(self, "labels", check_labels(self.labels, "Config.labels"))

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


# -- sources: a config file and TOKENPRINT_* environment variables ------------------------

ENV_PREFIX = "TOKENPRINT_"
FILE_KEYS: tuple[str, ...] = (
    "providers",
    "zone",
    "electricity_mix_zone",
    "datacenters",
    "budget",
    "exporters",
    "opentelemetry_endpoint",
    "labels",
    "models_file",
    "hub_resolver",
)
"""Keys accepted in ``[tool.tokenprint]`` / tokenprint.toml (``zone`` is short for
``electricity_mix_zone``)."""

BUDGET_KEYS: tuple[str, ...] = (
    "per_request",
    "total",
    "mode",
    "bound",
    "assume_output_tokens",
    "name",
    "unknown_model",
)
ENV_VARS: dict[str, str] = {
    "TOKENPRINT_PROVIDERS": "providers",
    "TOKENPRINT_ZONE": "zone",
    "TOKENPRINT_EXPORTERS": "exporters",
    "TOKENPRINT_OPENTELEMETRY_ENDPOINT": "opentelemetry_endpoint",
    "TOKENPRINT_LABELS": "labels",
    "TOKENPRINT_MODELS_FILE": "models_file",
    "TOKENPRINT_HUB_RESOLVER": "hub_resolver",
    "TOKENPRINT_BUDGET_PER_REQUEST": "budget.per_request",
    "TOKENPRINT_BUDGET_TOTAL": "budget.total",
    "TOKENPRINT_BUDGET_MODE": "budget.mode",
    "TOKENPRINT_BUDGET_BOUND": "budget.bound",
    "TOKENPRINT_BUDGET_UNKNOWN_MODEL": "budget.unknown_model",
}
"""Environment variables read by :func:`build_config` (``TOKENPRINT_CONFIG`` names a file)."""

_MERGED = ("labels", "datacenters", "budget")
"""Table settings merged key by key across sources (the others are replaced whole)."""


def _bad(source: str, key: str, what: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"{source}: {key}: {what}")


def _str_list(source: str, key: str, value: object, *, split: bool) -> tuple[str, ...]:
    if split and isinstance(value, str):
        value = [v for v in (p.strip() for p in value.split(",")) if v]
    elif isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _bad(source, key, f"expected a list of strings, got {value!r}")
    return tuple(value)


def _pairs(source: str, key: str, value: object) -> dict[str, str]:
    """``"a=1,b=2"`` (environment) or a table (file) to a str→str dict."""
    if isinstance(value, str):
        out: dict[str, str] = {}
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            k, sep, v = part.partition("=")
            if not sep or not k.strip():
                raise _bad(
                    source, key, f"expected name=value pairs separated by commas, got {part!r}"
                )
            out[k.strip()] = v.strip()
        return out
    if not isinstance(value, Mapping):
        raise _bad(source, key, f"expected a table, got {value!r}")
    for k, v in value.items():
        if isinstance(v, (Mapping, list)):
            raise _bad(source, f"{key}.{k}", f"expected a string or a number, got {v!r}")
    return {str(k): str(v) for k, v in value.items()}


def _labels(source: str, key: str, value: object) -> dict[str, str]:
    """``"a=1,b=2"`` (environment) or a table (file), checked by the one label rule."""
    raw = _pairs(source, key, value) if isinstance(value, str) else value
    if not isinstance(raw, Mapping):
        raise _bad(source, key, f"expected a table, got {value!r}")
    try:
        return check_labels(raw, f"{source}: {key}")
    except InvalidTypeError as exc:  # one error class per bad setting in a file
        raise InvalidArgumentError(str(exc)) from None


def _bool(source: str, key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise _bad(source, key, f"expected true or false, got {value!r}")


def _zone(source: str, key: str, value: object) -> str:
    from tokenprint.estimator import check_zone

    if not isinstance(value, str):
        raise _bad(source, key, f"expected a zone code such as 'FRA', got {value!r}")
    try:
        zone = check_zone(value)
    except InvalidArgumentError as exc:
        raise _bad(source, key, str(exc)) from None
    assert isinstance(zone, str)
    return zone


def _datacenters(source: str, key: str, value: object) -> dict[str, Any]:
    from tokenprint.catalog.datacenters import check_datacenter, check_settings
    from tokenprint.impacts.profiles import DataCenter

    if not isinstance(value, Mapping):
        raise _bad(source, key, f"expected a table of providers, got {value!r}")
    out: dict[str, Any] = {}
    for provider, settings in value.items():
        where = f"{key}.{provider}"
        if isinstance(settings, DataCenter):
            try:
                out[str(provider)] = check_datacenter(settings)
            except InvalidArgumentError as exc:
                raise _bad(source, where, str(exc)) from None
            continue
        if not isinstance(settings, Mapping):
            raise _bad(
                source, where, f"expected a table such as {{zone = 'FRA'}}, got {settings!r}"
            )
        if "zone" in settings:
            settings = {**settings, "zone": _zone(source, f"{where}.zone", settings["zone"])}
        try:
            out[str(provider)] = check_settings(settings)
        except InvalidArgumentError as exc:
            raise _bad(source, where, str(exc)) from None
    return out


def _budget_table(source: str, key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(source, key, f"expected a table (per_request, total, mode...), got {value!r}")
    for k in value:
        if k not in BUDGET_KEYS:
            raise _bad(source, f"{key}.{k}", f"unknown key; expected one of {list(BUDGET_KEYS)}")
    return dict(value)


def _exporters(source: str, key: str, value: object, *, split: bool) -> tuple[Any, ...]:
    from tokenprint import exporters

    if split and isinstance(value, str):
        value = [v for v in (p.strip() for p in value.split(",")) if v]
    elif isinstance(value, (str, Mapping)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise _bad(source, key, f"expected a list of exporter specs, got {value!r}")
    for i, spec in enumerate(value):
        try:
            exporters.validate(spec)
        except InvalidArgumentError as exc:
            raise _bad(source, f"{key}[{i}]", str(exc)) from None
    return tuple(value)


def _check(source: str, raw: Mapping[str, Any], base: str, *, env: bool) -> dict[str, Any]:
    """Validate one source's raw settings; Config field names as keys."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in FILE_KEYS:
            raise _bad(source, key, f"unknown key; expected one of {list(FILE_KEYS)}")
        if key == "providers":
            out["providers"] = _str_list(source, key, value, split=env)
        elif key in ("zone", "electricity_mix_zone"):
            out["electricity_mix_zone"] = _zone(source, key, value)
        elif key == "datacenters":
            out["datacenters"] = _datacenters(source, key, value)
        elif key == "budget":
            out["budget"] = _budget_table(source, key, value)
        elif key == "exporters":
            out["exporters"] = _exporters(source, key, value, split=env)
        elif key == "labels":
            out["labels"] = _labels(source, key, value)
        elif key == "hub_resolver":
            out["hub_resolver"] = _bool(source, key, value)
        else:  # opentelemetry_endpoint, models_file
            if not isinstance(value, str):
                raise _bad(source, key, f"expected a string, got {value!r}")
            if key == "models_file" and base and not os.path.isabs(value):
                value = os.path.join(base, value)
            out[key] = value
    return out


def _read_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            data: dict[str, Any] = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgumentError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read config file {path}: {exc.strerror}") from None
    return data


def find_config_file(config_file: str | None = None) -> tuple[str, str] | None:
    """(path, table) of the config file to read, or None: ``config_file``, else
    ``$TOKENPRINT_CONFIG``, else ./tokenprint.toml, else ./pyproject.toml if it has a
    ``[tool.tokenprint]`` table. ``table`` is ``""`` for the whole file."""
    path = config_file or os.environ.get("TOKENPRINT_CONFIG")
    if path:
        is_pyproject = os.path.basename(path) == "pyproject.toml"
        return path, "tool.tokenprint" if is_pyproject else ""
    if os.path.isfile("tokenprint.toml"):
        return "tokenprint.toml", ""
    if os.path.isfile("pyproject.toml"):
        return "pyproject.toml", "tool.tokenprint"
    return None


def file_settings(config_file: str | None = None) -> dict[str, Any]:
    """Validated settings of the config file (empty when there is none)."""
    found = find_config_file(config_file)
    if found is None:
        return {}
    path, table = found
    data: Any = _read_toml(path)
    for part in table.split(".") if table else ():
        data = data.get(part, {}) if isinstance(data, Mapping) else {}
    if not isinstance(data, Mapping):
        raise InvalidArgumentError(f"{path}: [{table}] must be a table")
    source = f"{path} [{table}]" if table else path
    return _check(source, data, os.path.dirname(os.path.abspath(path)), env=False)


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Validated settings of the ``TOKENPRINT_*`` environment variables."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    budget: dict[str, Any] = {}
    for var, key in ENV_VARS.items():
        value = env.get(var)
        if value is None or not value.strip():
            continue
        if key.startswith("budget."):
            sub = key.split(".", 1)[1]
            budget[sub] = _pairs(var, sub, value) if sub in ("per_request", "total") else value
            continue
        out = _check(var, {key: value}, "", env=True)
        raw.update(out)
    if budget:
        raw["budget"] = budget
    return raw


def _merge(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Later layers win; tables in ``_MERGED`` merge key by key."""
    values: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            old = values.get(key)
            if key in _MERGED and isinstance(old, Mapping) and isinstance(value, Mapping):
                values[key] = {**old, **value}
            else:
                values[key] = value
    return values


def _check_budget(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A budget table, checked by building the Budget it describes (then dropped: the
    Config keeps the table, ``init()`` makes the live Budget)."""
    from tokenprint.budgets import Budget

    try:
        Budget(**spec)
    except (InvalidArgumentError, TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"budget: {exc}") from exc
    return dict(spec)


def _explicit(explicit: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in explicit.items() if v is not None}
    providers = values.get("providers")
    if isinstance(providers, str):
        values["providers"] = (providers,)
    elif providers is not None:
        values["providers"] = tuple(providers)
    if "datacenters" in values:
        values["datacenters"] = _datacenters("init()", "datacenters", values["datacenters"])
    if "labels" in values:
        values["labels"] = check_labels(values["labels"], "init(): labels")
    if "exporters" in values:
        ex = values["exporters"]
        many = isinstance(ex, (list, tuple, set, frozenset))
        values["exporters"] = tuple(ex) if many else (ex,)
    return values


def build_config(explicit: Mapping[str, Any], config_file: str | None = None) -> Config:
    """Merge the sources into a Config. Precedence, highest first: explicit ``init()``
    arguments (those not None), ``TOKENPRINT_*`` environment variables, the config file.
    ``labels``, ``datacenters`` and a budget table merge key by key; other settings are
    replaced whole. A budget table is checked and kept as a table.
    An unknown key or a bad value raises one :class:`InvalidArgumentError` naming its source
    and key.
    """
    values = _merge(file_settings(config_file), env_settings(), _explicit(explicit))
    budget = values.get("budget")
    if isinstance(budget, Mapping):
        values["budget"] = _check_budget(budget)
    return Config(**values)
