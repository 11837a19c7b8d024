"""Config: the immutable settings built by ``EcoLogits.init()``.

Explicit ``init()`` arguments win over a config file (``[tool.tokenprint]`` in
pyproject.toml, or tokenprint.toml) and ``TOKENPRINT_*`` environment variables; see
:func:`build_config`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tokenprint.impacts.profiles import ElectricityMix

__all__ = ["Config", "build_config"]


@dataclasses.dataclass(frozen=True)
class Config:
    """What ``EcoLogits.init()`` was asked to do. Read-only; build a new one to change it."""

    providers: tuple[str, ...] | None = None
    """SDKs to instrument; None means every supported SDK that is importable."""
    electricity_mix_zone: str | ElectricityMix | None = None
    """Zone for every request (default: each provider's data-centre zone)."""
    datacenters: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    """Per-provider data-centre overrides: ``{"openai": {"zone": "FRA", "pue": 1.1}}``."""
    budget: Any = None
    """A global :class:`tokenprint.budgets.Budget`, checked on every request."""
    exporters: tuple[Any, ...] = ()
    """Exporter objects or specs: ``"jsonl:PATH"``, ``"log"``, ``"codecarbon:PATH"``."""
    opentelemetry_endpoint: str | None = None
    meter_provider: Any = None
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Labels added to every request (exporters' attributes)."""
    models_file: str | None = None
    """A user data file of extra models (same columns as data/models.csv)."""
    hub_resolver: bool = False
    """Read unknown Hugging Face models' sizes from the Hub (cached on disk)."""

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def build_config(explicit: Mapping[str, Any], config_file: str | None = None) -> Config:
    """Merge sources into a Config: explicit arguments (not None) over file/env settings."""
    values: dict[str, Any] = {}
    values.update({k: v for k, v in explicit.items() if v is not None})
    providers = values.get("providers")
    if isinstance(providers, str):
        values["providers"] = (providers,)
    elif providers is not None:
        values["providers"] = tuple(providers)
    if "exporters" in values:
        ex = values["exporters"]
        values["exporters"] = (ex,) if isinstance(ex, str) else tuple(ex)
    return Config(**values)
