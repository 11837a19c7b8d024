"""From a Usage record to Impacts: catalogue look-ups (cached), then the impact model of
the request's modality (text, embedding, image, video, speech-to-text, text-to-speech).

:class:`Estimator` holds the settings that shape an estimate (default zone, data-centre
overrides) and a cache of everything that depends only on (provider, model, host, zone), so
the per-request work is one dict look-up and the arithmetic of :mod:`tokenprint.impacts`.
The argument checks shared by the public ``estimate*`` functions and the configuration
(:func:`check_count`, :func:`check_zone`, :func:`with_serving`) live here too.
"""

from __future__ import annotations

import importlib
import math
import numbers
import operator
import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

import tokenprint.catalog as _catalog
from tokenprint.errors import InvalidArgumentError, InvalidTypeError
from tokenprint.impacts.audio import AudioSpec, speech_terms, transcription_terms
from tokenprint.impacts.embedding import embedding_coefficients, embedding_request
from tokenprint.impacts.image import (
    ImageSpec,
    image_coefficients,
    image_request,
    image_tokens,
    latent_tokens,
    video_tokens,
)
from tokenprint.impacts.llm import (
    METHODOLOGY_VERSION,
    Coefficients,
    Setup,
    coefficients,
    parts,
    request,
    spread,
    terms,
)
from tokenprint.impacts.profiles import DataCenter, ElectricityMix, Server
from tokenprint.impacts.ranges import Value
from tokenprint.impacts.results import Basis, ErrorMessage, Impacts, PartVectors, WarningMessage
from tokenprint.records import MAX_TOKENS, Usage

if TYPE_CHECKING:
    from tokenprint.catalog import audio, datacenters, grids, hardware, images, models

__all__ = [
    "Context",
    "DataCenterArg",
    "Estimator",
    "ZoneArg",
    "check_count",
    "check_latency",
    "check_zone",
    "default_estimator",
    "with_serving",
]


def _load_catalog() -> None:
    """Import the catalogue modules on first use, not at ``EcoLogits.init()``: importing
    them compiles the name-resolution patterns, which only a look-up needs."""
    if "models" not in globals():
        for name in ("audio", "datacenters", "grids", "hardware", "images", "models"):
            globals()[name] = importlib.import_module(f"tokenprint.catalog.{name}")


ZoneArg = str | ElectricityMix | None
DataCenterArg = str | DataCenter | Mapping[str, Any] | None


class Context(NamedTuple):
    """Everything an estimate needs besides the token counts (cached per request kind)."""

    record: models.ModelRecord
    server: Server
    datacenter: DataCenter
    mix: ElectricityMix
    warnings: tuple[WarningMessage, ...]
    prepared: dict[str, Any]
    """Per-modality precomputed factors (filled on first use, then reused)."""


Vectors = tuple[tuple[float, ...], ...]
"""(P5, best estimate, P95) impact vectors."""
Notes = tuple[tuple[str, str], ...]


class Estimate(NamedTuple):
    """What a modality's impact function returns."""

    vectors: Vectors
    parts: Callable[[], PartVectors] | None = None
    """Computes the energy and water breakdowns when first read."""
    setup: Setup | None = None
    notes: Notes = ()
    """(code, message) warnings of the estimate."""


ModalityFn = Callable[[Context, Usage], Estimate]


def _text(ctx: Context, u: Usage) -> Estimate:
    c: Coefficients | None = ctx.prepared.get("text")
    if c is None:
        c = ctx.prepared["text"] = coefficients(
            ctx.record.spec(), hardware.get_accelerator, ctx.server, ctx.datacenter, ctx.mix
        )
    w = terms(u.output_tokens, u.input_tokens, u.cached_tokens)
    return Estimate(request(c, w), partial(parts, c, w), c.setup)


def _embedding(ctx: Context, u: Usage) -> Estimate:
    c = ctx.prepared.get("embedding")
    if c is None:
        c = ctx.prepared["embedding"] = embedding_coefficients(
            ctx.record.spec(), hardware.get_accelerator, ctx.server, ctx.datacenter, ctx.mix
        )
    return Estimate(embedding_request(c, u.input_tokens), setup=c.setup)


def _diffusion(ctx: Context) -> tuple[ImageSpec, Coefficients]:
    """The image or video spec of the context's model and its coefficients (prepared once)."""
    prepared = ctx.prepared.get("image")
    if prepared is None:
        spec = images.spec_for(ctx.record)
        c = image_coefficients(spec, hardware.get_accelerator, ctx.server, ctx.datacenter, ctx.mix)
        prepared = ctx.prepared["image"] = (spec, c)
    return prepared  # type: ignore[no-any-return]


def _image(ctx: Context, u: Usage) -> Estimate:
    spec, c = _diffusion(ctx)
    tokens: Value
    notes: Notes = ()
    if spec.architecture == "autoregressive" and u.output_tokens > 0:
        tokens = float(u.output_tokens)  # the API's own count (gpt-image usage)
    else:
        tokens, notes = image_tokens(spec, u.images or 1, u.image_size, u.image_quality)
    vectors = image_request(c, spec, tokens, u.input_tokens, latent_tokens(spec, u.image_size))
    return Estimate(vectors, setup=c.setup, notes=notes)


def _video(ctx: Context, u: Usage) -> Estimate:
    spec, c = _diffusion(ctx)
    tokens, sequence, notes = video_tokens(spec, u.images or 1, u.image_size, u.seconds)
    return Estimate(image_request(c, spec, tokens, 0.0, sequence), setup=c.setup, notes=notes)


def _speech(ctx: Context) -> tuple[AudioSpec, Coefficients]:
    prepared = ctx.prepared.get("speech")
    if prepared is None:
        spec = audio.spec_for(ctx.record)
        c = coefficients(spec.model, hardware.get_accelerator, ctx.server, ctx.datacenter, ctx.mix)
        prepared = ctx.prepared["speech"] = (spec, c)
    return prepared  # type: ignore[no-any-return]


def _speech_to_text(ctx: Context, u: Usage) -> Estimate:
    spec, c = _speech(ctx)
    at, audio_in, notes = transcription_terms(spec, u.input_tokens, u.output_tokens, u.seconds)
    return Estimate(spread(c, at, audio_in), setup=c.setup, notes=notes)


def _text_to_speech(ctx: Context, u: Usage) -> Estimate:
    spec, c = _speech(ctx)
    at, audio_out, notes = speech_terms(spec, u.input_tokens, u.output_tokens)
    return Estimate(spread(c, at, audio_out), setup=c.setup, notes=notes)


MODALITIES: dict[str, ModalityFn] = {
    "text": _text,
    "embedding": _embedding,
    "image": _image,
    "video": _video,
    "speech-to-text": _speech_to_text,
    "text-to-speech": _text_to_speech,
}
"""The impact function of each modality."""


def _resolve(modality: str, model: str | None, provider: str | None) -> models.Resolution:
    """Model-name resolution: the image catalogue for images and videos, else the text
    catalogue (which holds the speech models)."""
    if modality in ("image", "video"):
        return images.resolve(model, provider)
    return models.resolve(model, provider)


def _override(base: DataCenter, changes: Mapping[str, Any]) -> DataCenter:
    return base._replace(**datacenters.check_settings(changes))


def _checked_sites(
    sites: Mapping[str, DataCenter | Mapping[str, Any]],
) -> dict[str, DataCenter | Mapping[str, Any]]:
    """Per-provider profiles or settings (``Estimator(datacenters=)``), checked."""
    if not sites:
        return {}
    _load_catalog()
    return {
        name: datacenters.check_datacenter(v, f"datacenters.{name}: ")
        if isinstance(v, DataCenter)
        else datacenters.check_settings(v, f"datacenters.{name}: ")
        for name, v in sites.items()
    }


def _site_key(datacenter: DataCenter | Mapping[str, Any]) -> tuple[DataCenterArg, Any]:
    """A site override and its part of the cache key. What ``estimate*`` and ``site()``
    pass is checked already (hashable: floats, Ranges, strings); anything else, such as a
    ``[low, high]`` list given to :meth:`Estimator.compute` directly, is checked here."""
    key: Any = tuple(sorted(datacenter.items())) if isinstance(datacenter, Mapping) else datacenter
    try:
        hash(key)
    except TypeError:
        checked = with_serving(datacenter)
        key = tuple(sorted(checked.items())) if isinstance(checked, Mapping) else checked
        return checked, key
    return datacenter, key


class Estimator:
    """Computes Impacts from Usage records with fixed settings; thread-safe."""

    def __init__(
        self,
        zone: ZoneArg = None,
        datacenters: Mapping[str, DataCenter | Mapping[str, Any]] | None = None,
    ) -> None:
        if isinstance(zone, str):
            _load_catalog()
            grids.get_mix(zone)  # fail early on an unknown zone
        self.zone = zone
        self.datacenters = _checked_sites(datacenters or {})
        self._cache: dict[tuple[Any, ...], Context | ErrorMessage] = {}
        self._catalog = -1
        self._lock = threading.Lock()

    # -- context -------------------------------------------------------------------------
    def _datacenter(
        self, u: Usage, override: DataCenterArg, publisher: str
    ) -> tuple[DataCenter, list[WarningMessage]]:
        warns: list[WarningMessage] = []
        if isinstance(override, DataCenter):
            return override, warns
        if isinstance(override, str):
            dc = datacenters.get_datacenter(override)
            if dc is None:
                raise InvalidArgumentError(f"unknown data centre / provider {override!r}")
            return dc, warns
        dc = datacenters.for_host(u.host)
        if dc is None and u.provider:
            dc = datacenters.get_datacenter(u.provider)
        if dc is None and not u.provider and not u.host:
            dc = datacenters.get_datacenter(publisher)
        if dc is None:
            dc = datacenters.get_datacenter(datacenters.SELF_HOSTED)
            assert dc is not None
            who = u.host or u.provider or "unknown"
            warns.append(
                WarningMessage(
                    "datacenter-unknown",
                    f"no data-centre profile for {who!r}: using the generic self-hosted profile "
                    "(world-average electricity, wide PUE/WUE ranges)",
                )
            )
        elif dc.name == datacenters.SELF_HOSTED:
            warns.append(
                WarningMessage(
                    "datacenter-self-hosted",
                    f"{u.host or u.provider!r} looks self-hosted: using the generic self-hosted "
                    "profile",
                )
            )
        custom = self.datacenters.get(dc.name) or (u.provider and self.datacenters.get(u.provider))
        if isinstance(custom, DataCenter):
            dc = custom
        elif custom:
            dc = _override(dc, custom)
        if isinstance(override, Mapping):
            dc = _override(dc, override)
        if u.precision:  # what the host says it loaded wins over an assumed setup
            dc = dc._replace(precision=u.precision)
        return dc, warns

    def context(
        self, u: Usage, zone: ZoneArg = None, datacenter: DataCenterArg = None
    ) -> Context | ErrorMessage:
        """Catalogue look-ups for a request (cached); an ErrorMessage when the model is
        unknown. Raises for invalid explicit settings (zone, data centre)."""
        dc_key: Any = datacenter
        if datacenter is not None and not isinstance(datacenter, str):
            datacenter, dc_key = _site_key(datacenter)
        key = (u.provider, u.model, u.requested_model, u.host, zone, dc_key, u.modality,
               u.precision)  # fmt: skip
        # register_model()/unregister_models()/load_file() rebuild the model index: cached
        # contexts (and cached "not registered" errors) are stale then.
        if _catalog.version != self._catalog:
            with self._lock:
                self._cache.clear()
                self._catalog = -1
        else:
            hit = self._cache.get(key)
            if hit is not None:
                return hit
        version = _catalog.version
        ctx = self._build_context(u, zone, datacenter)
        with self._lock:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = ctx
            self._catalog = version
        return ctx

    def _build_context(
        self, u: Usage, zone: ZoneArg, datacenter: DataCenterArg
    ) -> Context | ErrorMessage:
        _load_catalog()
        res = _resolve(u.modality, u.model, u.provider)
        if res.record is None and u.requested_model and u.requested_model != u.model:
            res = _resolve(u.modality, u.requested_model, u.provider)
        if res.record is None:
            name = u.model or u.requested_model
            extra = f" (ambiguous: {', '.join(res.ambiguous)})" if res.ambiguous else ""
            return ErrorMessage(
                "model-not-registered",
                f"model {name!r} is not in the catalogue{extra}; add it with "
                "tokenprint.register_model() or a models file",
            )
        rec = res.record
        warns: list[WarningMessage] = []
        if res.warning:
            warns.append(WarningMessage("model-fuzzy-matched", res.warning))
        if rec.estimated:
            warns.append(
                WarningMessage(
                    "model-arch-not-released",
                    f"{rec.name}: the publisher does not disclose its size; parameters are an "
                    "estimated range",
                )
            )
        dc, dc_warns = self._datacenter(u, datacenter, rec.provider)
        warns += dc_warns
        z = zone if zone is not None else self.zone
        mix = z if isinstance(z, ElectricityMix) else grids.get_mix(z if z is not None else dc.zone)
        if mix.fallback:
            warns.append(
                WarningMessage(
                    "electricity-mix-fallback",
                    f"some electricity factors of zone {mix.zone} are world averages",
                )
            )
        return Context(
            record=rec,
            server=hardware.get_server(dc.server),
            datacenter=dc,
            mix=mix,
            warnings=tuple(warns),
            prepared={},
        )

    # -- compute -------------------------------------------------------------------------
    def compute(self, u: Usage, zone: ZoneArg = None, datacenter: DataCenterArg = None) -> Impacts:
        """Impacts of one request. Unknown models give Impacts with an error, not a raise."""
        ctx = self.context(u, zone, datacenter)
        if isinstance(ctx, ErrorMessage):
            return Impacts.failed(ctx, _basis(u, None))
        fn = MODALITIES.get(u.modality)
        if fn is None:
            return Impacts.failed(
                ErrorMessage("modality-not-supported", f"no impact model for {u.modality!r}"),
                _basis(u, ctx),
            )
        out = fn(ctx, u)
        low, mid, high = out.vectors
        warnings = list(ctx.warnings)
        if u.warnings:
            warnings.extend(WarningMessage(code, message) for code, message in u.warnings)
        if out.notes:
            warnings.extend(WarningMessage(code, message) for code, message in out.notes)
        if out.setup is not None and not out.setup.fits:
            warnings.append(_overcommitted(ctx, out.setup))
        return Impacts(
            low,
            high,
            central=mid,
            parts=out.parts,
            basis=partial(_basis, u, ctx, out.setup),
            warnings=warnings,
        )


def _overcommitted(ctx: Context, setup: Setup) -> WarningMessage:
    return WarningMessage(
        "serving-setup-overcommitted",
        f"{ctx.record.name} in {setup.precision} does not fit in {setup.accelerator_count} x "
        f"{setup.accelerator}: the estimate assumes the stated setup runs it anyway (state "
        "more accelerators or a narrower precision)",
    )


def _basis(u: Usage, ctx: Context | None, setup: Setup | None = None) -> Basis:
    return _make_basis(
        (
            u.provider if u.provider else (ctx.datacenter.name if ctx else None),
            u.model if u.model is not None else u.requested_model,
            ctx.record.name if ctx else None,
            u.modality,
            u.input_tokens,
            u.cached_tokens,
            u.output_tokens,
            u.reasoning_tokens,
            u.latency_s,
            ctx.mix.zone if ctx else None,
            setup.accelerator if setup else (ctx.datacenter.accelerator if ctx else None),
            ctx.datacenter.name if ctx else None,
            METHODOLOGY_VERSION,
            u.images,
            u.image_size,
            u.image_quality,
            1,
            setup.accelerator_count if setup else None,
            setup.batch_size if setup else None,
            setup.precision if setup else None,
            u.seconds,
            0,
        )
    )


_make_basis = Basis._make


_default: Estimator | None = None


def default_estimator() -> Estimator:
    """The Estimator used by :func:`estimate` (no overrides)."""
    global _default
    if _default is None:
        _default = Estimator()
    return _default


def with_serving(datacenter: object, **serving: Any) -> DataCenterArg:
    """``datacenter`` (None, a provider name, a :class:`DataCenter` or a mapping of
    settings) with the serving settings given (None ones left out), checked and normalised
    (a ``[low, high]`` list becomes a Range): an unknown key, provider or accelerator, or a
    value out of its range (see :func:`tokenprint.catalog.datacenters.check_settings`)
    raises here, naming it."""
    given = {k: v for k, v in serving.items() if v is not None}
    if not given and (datacenter is None or isinstance(datacenter, str)):
        return datacenter
    _load_catalog()
    if isinstance(datacenter, Mapping):
        given, datacenter = {**datacenter, **given}, None
    given = datacenters.check_settings(given)
    if isinstance(datacenter, DataCenter):
        return datacenters.check_datacenter(datacenter._replace(**given))
    if isinstance(datacenter, str):
        base = datacenters.get_datacenter(datacenter)
        if base is None:
            raise InvalidArgumentError(f"unknown data centre / provider {datacenter!r}")
        return base._replace(**given)
    if datacenter is not None:
        raise InvalidTypeError(
            "datacenter must be a provider name, a DataCenter or a mapping of settings, "
            f"got {type(datacenter).__name__}"
        )
    return given


def check_count(name: str, v: object, *, floats: bool = True) -> int:
    """A token count, returned as an int: an int, an integer type with ``__index__``
    (numpy's), or a whole float (``10.0``), from 0 to :data:`~tokenprint.records.MAX_TOKENS`
    (2**53). bool, str, None and fractional numbers raise InvalidTypeError; negative, NaN,
    infinite or larger values InvalidArgumentError, naming the argument. ``floats=False``
    refuses floats too (image counts and steps)."""
    if type(v) is int and 0 <= v <= MAX_TOKENS:
        return v
    n: int | None
    if isinstance(v, bool):
        n = None
    elif hasattr(type(v), "__index__"):
        n = operator.index(v)  # type: ignore[arg-type]
    elif floats and isinstance(v, numbers.Real):
        f = float(v)
        if not math.isfinite(f):
            raise InvalidArgumentError(f"{name} must be a finite count, got {v!r}")
        n = int(f) if f.is_integer() else None
    else:
        n = None
    if n is None:
        raise InvalidTypeError(
            f"{name} must be an int (a whole number), got {type(v).__name__} {v!r}"
        )
    if n < 0:
        raise InvalidArgumentError(f"{name} must be >= 0, got {n}")
    if n > MAX_TOKENS:
        raise InvalidArgumentError(f"{name} must be <= 2**53, got {n}")
    return n


def check_latency(v: object) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InvalidTypeError(f"latency must be a number of seconds, got {type(v).__name__}")
    if not v >= 0 or v == float("inf"):
        raise InvalidArgumentError(f"latency must be a finite number >= 0, got {v}")
    return float(v)


def check_zone(zone: object) -> ZoneArg:
    if zone is None or isinstance(zone, ElectricityMix):
        return zone
    if not isinstance(zone, str):
        raise InvalidTypeError(f"zone must be a zone code such as 'FRA', got {type(zone).__name__}")
    _load_catalog()
    if not grids.has_zone(zone):
        grids.get_mix(zone)  # raises UnknownZoneError with the helpful message
    return zone.strip().upper()
