"""tokenprint: the environmental impacts of each generative-AI request.

``EcoLogits.init()`` once, then every SDK response carries ``response.impacts``; or call
``tokenprint.estimate(model=..., output_tokens=...)`` without any SDK.

Public names are loaded on first access, so ``import tokenprint`` stays cheap: no SDK, no
pint and no data file is touched until used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "EcoLogits": "tokenprint.api",
    "estimate": "tokenprint.api",
    "estimate_embedding": "tokenprint.api",
    "estimate_image": "tokenprint.api",
    "Estimator": "tokenprint.estimator",
    "Impacts": "tokenprint.impacts.results",
    "Impact": "tokenprint.impacts.results",
    "Energy": "tokenprint.impacts.results",
    "GWP": "tokenprint.impacts.results",
    "ADPe": "tokenprint.impacts.results",
    "PE": "tokenprint.impacts.results",
    "WCF": "tokenprint.impacts.results",
    "Basis": "tokenprint.impacts.results",
    "SCI": "tokenprint.impacts.results",
    "WarningMessage": "tokenprint.impacts.results",
    "ErrorMessage": "tokenprint.impacts.results",
    "Range": "tokenprint.impacts.ranges",
    "ElectricityMix": "tokenprint.impacts.profiles",
    "DataCenter": "tokenprint.impacts.profiles",
    "Usage": "tokenprint.records",
    "register_model": "tokenprint.catalog.models",
    "load_models": "tokenprint.catalog.models",
    "resolve_model": "tokenprint.catalog.models",
    "enable_hub_resolver": "tokenprint.catalog.hub",
    "custom_mix": "tokenprint.catalog.grids",
    "METHODOLOGY_VERSION": "tokenprint.impacts.llm",
    "TokenprintError": "tokenprint.errors",
    "InvalidArgumentError": "tokenprint.errors",
    "InvalidTypeError": "tokenprint.errors",
    "UnknownZoneError": "tokenprint.errors",
    "ModelNotRegisteredError": "tokenprint.errors",
    "Budget": "tokenprint.budgets",
    "BudgetWarning": "tokenprint.errors",
    "BudgetExceeded": "tokenprint.errors",
    "Tracker": "tokenprint.tracking",
    "compare": "tokenprint.choice",
    "recommend": "tokenprint.choice",
    "choose": "tokenprint.choice",
    "add_quality": "tokenprint.catalog.quality",
    "load_quality": "tokenprint.catalog.quality",
    "account_batch": "tokenprint.batch",
}

__all__ = [
    "GWP",
    "METHODOLOGY_VERSION",
    "PE",
    "SCI",
    "WCF",
    "ADPe",
    "Basis",
    "Budget",
    "BudgetExceeded",
    "BudgetWarning",
    "DataCenter",
    "EcoLogits",
    "ElectricityMix",
    "Energy",
    "ErrorMessage",
    "Estimator",
    "Impact",
    "Impacts",
    "InvalidArgumentError",
    "InvalidTypeError",
    "ModelNotRegisteredError",
    "Range",
    "TokenprintError",
    "Tracker",
    "UnknownZoneError",
    "Usage",
    "WarningMessage",
    "__version__",
    "account_batch",
    "add_quality",
    "choose",
    "compare",
    "custom_mix",
    "enable_hub_resolver",
    "estimate",
    "estimate_embedding",
    "estimate_image",
    "load_models",
    "load_quality",
    "recommend",
    "register_model",
    "resolve_model",
]

if TYPE_CHECKING:
    from tokenprint.api import EcoLogits, estimate, estimate_embedding, estimate_image
    from tokenprint.batch import account_batch
    from tokenprint.budgets import Budget
    from tokenprint.catalog.grids import custom_mix
    from tokenprint.catalog.hub import enable_hub_resolver
    from tokenprint.catalog.models import load_models, register_model, resolve_model
    from tokenprint.catalog.quality import add_quality, load_quality
    from tokenprint.choice import choose, compare, recommend
    from tokenprint.errors import (
        BudgetExceeded,
        BudgetWarning,
        InvalidArgumentError,
        InvalidTypeError,
        ModelNotRegisteredError,
        TokenprintError,
        UnknownZoneError,
    )
    from tokenprint.estimator import Estimator
    from tokenprint.impacts.llm import METHODOLOGY_VERSION
    from tokenprint.impacts.profiles import DataCenter, ElectricityMix
    from tokenprint.impacts.ranges import Range
    from tokenprint.impacts.results import (
        GWP,
        PE,
        SCI,
        WCF,
        ADPe,
        Basis,
        Energy,
        ErrorMessage,
        Impact,
        Impacts,
        WarningMessage,
    )
    from tokenprint.records import Usage
    from tokenprint.tracking import Tracker


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tokenprint' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
