"""EcoLogits: the facade. ``EcoLogits.init()`` once, then every response has ``impacts``.

The class keeps the EcoLogits API (``EcoLogits.init(providers=[...])``) so existing code
moves over by changing its import; the work is done by the modules it delegates to:
``instrument`` (SDK patching), ``budgets`` (tracking and limits), ``exporters``.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tokenprint import context
from tokenprint.config import Config, build_config
from tokenprint.impacts.profiles import DataCenter, ElectricityMix
from tokenprint.scopes import Scope

if TYPE_CHECKING:
    from tokenprint.budgets import Budget, Tracker

__all__ = ["EcoLogits"]

_lock = threading.RLock()


class _Labels(Scope):
    """``EcoLogits.label(task="x")``: labels for the requests made inside."""

    def __init__(self, labels: Mapping[str, Any]) -> None:
        self.labels = {str(k): str(v) for k, v in labels.items()}

    def _push(self) -> contextlib.AbstractContextManager[Any]:
        return context.push(labels=self.labels)


class _Site(Scope):
    """``EcoLogits.site(zone="FRA")``: per-request electricity zone / data-centre override."""

    def __init__(self, overrides: Mapping[str, Any]) -> None:
        self.overrides = dict(overrides)

    def _push(self) -> contextlib.AbstractContextManager[Any]:
        return context.push(overrides=self.overrides)


class EcoLogits:
    """Entry point: :meth:`init`, :meth:`shutdown`, :meth:`track`, :meth:`label`."""

    @classmethod
    def init(
        cls,
        providers: str | list[str] | tuple[str, ...] | None = None,
        electricity_mix_zone: str | ElectricityMix | None = None,
        *,
        datacenters: Mapping[str, Mapping[str, Any]] | None = None,
        budget: Any = None,
        exporters: Any = None,
        opentelemetry_endpoint: str | None = None,
        meter_provider: Any = None,
        labels: Mapping[str, str] | None = None,
        models_file: str | None = None,
        hub_resolver: bool | None = None,
        config_file: str | None = None,
    ) -> Config:
        """Instrument the installed SDKs (all importable ones, or ``providers``).

        Idempotent: calling it again replaces the settings and patches any SDK not yet
        patched. Raises :class:`tokenprint.TokenprintError` for an unknown provider name.
        """
        explicit = {
            "providers": providers,
            "electricity_mix_zone": electricity_mix_zone,
            "datacenters": datacenters,
            "budget": budget,
            "exporters": exporters,
            "opentelemetry_endpoint": opentelemetry_endpoint,
            "meter_provider": meter_provider,
            "labels": labels,
            "models_file": models_file,
            "hub_resolver": hub_resolver,
        }
        config = build_config(explicit, config_file)
        return cls.apply(config)

    @classmethod
    def apply(cls, config: Config) -> Config:
        """Put a ready-made Config into effect (what :meth:`init` does after merging)."""
        from tokenprint import budgets, exporters, instrument, runtime
        from tokenprint.engine import Estimator

        with _lock:
            instrument.check_providers(config.providers)
            # the model catalogue is loaded on the first request, unless init needs it now
            if config.models_file or config.hub_resolver or "tokenprint.catalog.hub" in sys.modules:
                from tokenprint.catalog import models

                if config.models_file:
                    models.load_file(config.models_file)
                models.use_hub(config.hub_resolver)
            estimator = Estimator(config.electricity_mix_zone, config.datacenters)
            runtime.set_current(runtime.Runtime(config, estimator))
            budgets.install(config)
            exporters.install(config)
            instrument.install(config)
        return config

    @classmethod
    def shutdown(cls) -> None:
        """Restore every patched SDK method and detach exporters and the global budget."""
        from tokenprint import budgets, exporters, instrument, runtime

        with _lock:
            instrument.uninstall()
            exporters.uninstall()
            budgets.uninstall()
            runtime.set_current(None)

    @classmethod
    def config(cls) -> Config | None:
        """The Config in effect, or None before ``init()``."""
        from tokenprint import runtime

        rt = runtime.current()
        return rt.config if rt else None

    @staticmethod
    def label(**labels: Any) -> _Labels:
        """Labels for the requests made inside (``with``/``async with``/decorator)."""
        return _Labels(labels)

    @staticmethod
    def site(
        *,
        zone: str | ElectricityMix | None = None,
        datacenter: str | DataCenter | Mapping[str, Any] | None = None,
        accelerator: str | None = None,
        accelerator_count: int | None = None,
        batch_size: float | None = None,
        precision: str | None = None,
    ) -> _Site:
        """Electricity zone, data centre and serving setup (``accelerator``,
        ``accelerator_count``, ``batch_size``, ``precision``) for the requests made inside.
        Invalid values raise here, not at the request."""
        from tokenprint.engine import check_zone, with_serving

        over: dict[str, Any] = {}
        if zone is not None:
            over["zone"] = check_zone(zone)
        serving = {
            "accelerator": accelerator,
            "accelerator_count": accelerator_count,
            "batch_size": batch_size,
            "precision": precision,
        }
        if isinstance(datacenter, Mapping) or any(v is not None for v in serving.values()):
            datacenter = with_serving(datacenter, **serving)
        if datacenter is not None:
            over["datacenter"] = datacenter
        return _Site(over)

    @staticmethod
    def track(**kwargs: Any) -> Tracker:
        """A tracker collecting every request made inside (see :mod:`tokenprint.budgets`)."""
        from tokenprint.budgets import Tracker

        return Tracker(**kwargs)

    @staticmethod
    def budget(
        per_request: Mapping[str, Any] | None = None,
        total: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Budget:
        """A :class:`~tokenprint.budgets.Budget` for the requests made inside
        (``with``/``async with``/decorator); ``mode``, ``bound`` as keywords."""
        from tokenprint.budgets import Budget

        return Budget(per_request, total, **kwargs)
