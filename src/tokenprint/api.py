"""The public entry points: the :class:`EcoLogits` facade and the ``estimate*`` functions.

``EcoLogits.init()`` once, then every response has ``impacts``. The class keeps the EcoLogits
API (``EcoLogits.init(providers=[...])``) so existing code moves over by changing its import.
This module is the composition root: it turns a :class:`~tokenprint.config.Config` into live
objects (the estimator, the global budget, the exporters) and hands each to the module that
runs it (``instrument`` patches the SDKs, ``budgets`` and ``exporters`` subscribe to events).
``estimate()``, ``estimate_embedding()`` and ``estimate_image()`` give the impacts of a request
without any SDK.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tokenprint import context, events
from tokenprint.config import Config, build_config
from tokenprint.errors import InvalidArgumentError, InvalidTypeError, ModelNotRegisteredError
from tokenprint.estimator import (
    DataCenterArg,
    check_count,
    check_latency,
    check_zone,
    default_estimator,
    with_serving,
)
from tokenprint.impacts.image import image_tokens, parse_size
from tokenprint.impacts.profiles import DataCenter, ElectricityMix
from tokenprint.impacts.results import Impacts
from tokenprint.records import MAX_TOKENS, Usage

if TYPE_CHECKING:
    from tokenprint.budgets import Budget
    from tokenprint.tracking import Tracker

__all__ = ["EcoLogits", "estimate", "estimate_embedding", "estimate_image"]

_lock = threading.RLock()
_config: Config | None = None


class _Labels(context.Scope):
    """``EcoLogits.label(task="x")``: labels for the requests made inside."""

    def __init__(self, labels: Mapping[str, Any]) -> None:
        self.labels = context.check_labels(labels, "EcoLogits.label()")

    def _push(self) -> contextlib.AbstractContextManager[Any]:
        return context.push(labels=self.labels)


class _Site(context.Scope):
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
        global _config
        from tokenprint import budgets, exporters, instrument, integrations
        from tokenprint.estimator import Estimator

        with _lock:
            instrument.check_providers(config.providers)
            # the model catalogue is loaded on the first request, unless init needs it now
            if config.models_file:
                from tokenprint.catalog import models

                models.load_file(config.models_file)
            if config.hub_resolver or "tokenprint.catalog.hub" in sys.modules:
                from tokenprint.catalog import hub

                hub.use(config.hub_resolver)
            estimator = Estimator(config.electricity_mix_zone, config.datacenters)
            budget = None if config.budget is None else budgets.Budget.coerce(config.budget)
            exporters.install(
                config.exporters, config.opentelemetry_endpoint, config.meter_provider
            )
            events.set_current(events.Runtime(estimator, config.labels))
            _config = config
            budgets.install(budget)
            instrument.install(config.providers)
            integrations.install()
        return config

    @classmethod
    def shutdown(cls) -> None:
        """Restore every patched SDK method and detach exporters and the global budget."""
        global _config
        from tokenprint import budgets, exporters, instrument, integrations

        with _lock:
            integrations.uninstall()
            instrument.uninstall()
            exporters.uninstall()
            budgets.uninstall()
            events.set_current(None)
            _config = None

    @classmethod
    def config(cls) -> Config | None:
        """The Config in effect, or None before ``init()``."""
        return _config

    @staticmethod
    def label(**labels: Any) -> _Labels:
        """Labels for the requests made inside (``with``/``async with``/decorator).

        Names: 1 to 64 letters, digits, ``_``, ``.`` or ``-``, not one tokenprint writes
        itself (``provider``, ``model``, ``endpoint``..., see
        :data:`tokenprint.context.RESERVED_LABELS`) nor starting with ``gen_ai.`` or
        ``tokenprint.``; values: str, int, float or bool, at most 256 characters as text.
        A bad label raises :class:`InvalidArgumentError` (or :class:`InvalidTypeError` for a
        wrong type) here, naming it."""
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
        over: dict[str, Any] = {}
        if zone is not None:
            over["zone"] = check_zone(zone)
        serving = {
            "accelerator": accelerator,
            "accelerator_count": accelerator_count,
            "batch_size": batch_size,
            "precision": precision,
        }
        datacenter = with_serving(datacenter, **serving)
        if datacenter is not None:
            over["datacenter"] = datacenter
        return _Site(over)

    @staticmethod
    def track(**kwargs: Any) -> Tracker:
        """A tracker collecting every request made inside (see :mod:`tokenprint.tracking`)."""
        from tokenprint.tracking import Tracker

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


def estimate(
    model: str,
    output_tokens: int,
    input_tokens: int = 0,
    *,
    provider: str | None = None,
    latency: float | None = None,
    zone: str | ElectricityMix | None = None,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
    datacenter: DataCenterArg = None,
    strict: bool = False,
    accelerator: str | None = None,
    accelerator_count: int | None = None,
    batch_size: float | None = None,
    precision: str | None = None,
) -> Impacts:
    """Impacts of one text-generation request, without any SDK.

    ``output_tokens`` is the visible answer; ``reasoning_tokens`` are hidden reasoning tokens
    decoded on top of it (so they may outnumber it); ``cached_tokens`` is the part of
    ``input_tokens`` served from a prompt cache. A token count is a whole number from 0 to
    2**53: an int, a numpy integer or a whole float such as ``10.0``. ``provider`` picks
    the data centre (default: the model publisher's); ``zone`` the electricity mix. A
    self-hosted setup is stated with ``accelerator`` ("H100", "B200"...),
    ``accelerator_count`` (per model replica), ``batch_size`` (sequences decoded together)
    and ``precision`` ("bf16", "fp8", "mxfp4"...). An unknown model gives Impacts with a
    ``model-not-registered`` error, or raises :class:`ModelNotRegisteredError` if
    ``strict``.
    """
    if not isinstance(model, str) or not model.strip():
        raise InvalidTypeError(f"model must be a non-empty str, got {model!r}")
    output_tokens = check_count("output_tokens", output_tokens)
    input_tokens = check_count("input_tokens", input_tokens)
    cached_tokens = check_count("cached_tokens", cached_tokens)
    reasoning_tokens = check_count("reasoning_tokens", reasoning_tokens)
    if cached_tokens > input_tokens:
        raise InvalidArgumentError("cached_tokens cannot exceed input_tokens")
    if output_tokens + reasoning_tokens > MAX_TOKENS:
        raise InvalidArgumentError("output_tokens + reasoning_tokens must be <= 2**53")
    lat = check_latency(latency)
    z = check_zone(zone)
    if provider is not None and not isinstance(provider, str):
        raise InvalidTypeError(f"provider must be a str, got {type(provider).__name__}")
    datacenter = with_serving(
        datacenter,
        accelerator=accelerator,
        accelerator_count=accelerator_count,
        batch_size=batch_size,
        precision=precision,
    )
    usage = Usage(
        provider,
        model,
        input_tokens=input_tokens,
        output_tokens=output_tokens + reasoning_tokens,
        cached_tokens=cached_tokens,
        reasoning_tokens=reasoning_tokens,
        latency_s=lat,
        endpoint="estimate",
    )
    return _compute(usage, z, datacenter, strict)


def _check_model(model: object) -> str:
    if not isinstance(model, str) or not model.strip():
        raise InvalidTypeError(f"model must be a non-empty str, got {model!r}")
    return model


def _check_provider(provider: object) -> str | None:
    if provider is not None and not isinstance(provider, str):
        raise InvalidTypeError(f"provider must be a str, got {type(provider).__name__}")
    return provider


def _compute(usage: Usage, zone: object, datacenter: DataCenterArg, strict: bool) -> Impacts:
    impacts = default_estimator().compute(usage, check_zone(zone), datacenter)
    if strict and impacts.errors:
        raise ModelNotRegisteredError(impacts.errors[0].message)
    return impacts


def estimate_embedding(
    model: str,
    input_tokens: int,
    *,
    provider: str | None = None,
    zone: str | ElectricityMix | None = None,
    datacenter: DataCenterArg = None,
    strict: bool = False,
) -> Impacts:
    """Impacts of embedding ``input_tokens`` tokens (all inputs of one request together).

    ``provider`` picks the data centre (default: the model publisher's), ``zone`` the
    electricity mix. An unknown model gives Impacts with a ``model-not-registered`` error,
    or raises :class:`ModelNotRegisteredError` if ``strict``.
    """
    usage = Usage(
        _check_provider(provider),
        _check_model(model),
        input_tokens=check_count("input_tokens", input_tokens),
        modality="embedding",
        endpoint="estimate",
    )
    return _compute(usage, zone, with_serving(datacenter), strict)


def estimate_image(
    model: str,
    *,
    n: int = 1,
    size: str | None = None,
    quality: str | None = None,
    steps: int | None = None,
    provider: str | None = None,
    zone: str | ElectricityMix | None = None,
    datacenter: DataCenterArg = None,
    strict: bool = False,
) -> Impacts:
    """Impacts of generating ``n`` images of ``size`` (``"1024x1024"``; ``"auto"`` or None:
    the model's default) at ``quality`` (the API's setting: ``"low"``/``"medium"``/``"high"``
    for gpt-image, ``"standard"``/``"hd"`` for DALL·E 3).

    ``steps`` fixes the denoising steps of a diffusion model (otherwise the catalogue's
    range). Unknown models: as :func:`estimate_embedding`.
    """
    _check_model(model)
    n = check_count("n", n, floats=False)
    if n == 0:
        raise InvalidArgumentError("n must be >= 1")
    for name, text in (("size", size), ("quality", quality)):
        if text is not None and not isinstance(text, str):
            raise InvalidTypeError(f"{name} must be a str, got {type(text).__name__}")
    if size is not None and size.strip().lower() != "auto":
        try:
            parse_size(size)
        except ValueError as exc:
            raise InvalidArgumentError(str(exc)) from None
    if steps is not None:
        if quality is not None:
            raise InvalidArgumentError("give either quality or steps, not both")
        steps = check_count("steps", steps, floats=False)
        if steps == 0:
            raise InvalidArgumentError("steps must be >= 1")
        quality = f"steps={steps}"
    usage = Usage(
        _check_provider(provider),
        model,
        modality="image",
        endpoint="estimate",
        images=n,
        image_size=size,
        image_quality=quality,
    )
    if quality is not None and steps is None:
        _check_quality(usage, quality)
    return _compute(usage, zone, with_serving(datacenter), strict)


def _check_quality(usage: Usage, quality: str) -> None:
    """Refuse a quality the model does not have (the SDKs refuse it too)."""
    from tokenprint.catalog import images as image_catalog

    res = image_catalog.resolve(usage.model, usage.provider)
    if res.record is None:
        return  # reported as model-not-registered by the estimate itself
    spec = image_catalog.spec_for(res.record)
    _, notes = image_tokens(spec, 1, usage.image_size, quality)
    for _code, message in notes:
        raise InvalidArgumentError(message)
