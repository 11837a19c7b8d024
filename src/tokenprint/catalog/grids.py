"""Electricity mixes by zone (``data/electricity_mixes.csv``), read on first use."""

from __future__ import annotations

import math

from tokenprint.catalog._files import read_csv, split_list
from tokenprint.impacts.profiles import ElectricityMix

__all__ = ["FACTORS", "WORLD", "all_zones", "custom_mix", "fallback_factors", "get_mix", "has_zone"]

WORLD = "WOR"
FACTORS = ("gwp", "adpe", "pe", "wue")
"""The four factors of a zone: kgCO2eq, kgSbeq, MJ and off-site litres per kWh."""
_mixes: dict[str, ElectricityMix] | None = None
_fallbacks: dict[str, tuple[str, ...]] = {}


def _load() -> dict[str, ElectricityMix]:
    global _mixes
    if _mixes is None:
        out: dict[str, ElectricityMix] = {}
        for r in read_csv("electricity_mixes.csv"):
            z = r["zone"].strip().upper()
            flags = split_list(r.get("fallback"))
            _fallbacks[z] = tuple(f for f in flags if f in FACTORS)
            out[z] = ElectricityMix(
                zone=z,
                gwp=float(r["gwp"]),
                adpe=float(r["adpe"]),
                pe=float(r["pe"]),
                wue=float(r["wue"]),
                name=(r.get("name") or "").strip(),
                fallback=bool(flags) and flags[0] not in ("0", "false", "no"),
            )
        _mixes = out
    return _mixes


def has_zone(zone: str) -> bool:
    return zone.strip().upper() in _load()


def get_mix(zone: str) -> ElectricityMix:
    """The mix of a zone (ISO 3166-1 alpha-3, ``WOR`` world, ``EEE`` Europe).

    Raises :class:`tokenprint.errors.UnknownZoneError` for a zone not in the catalogue.
    """
    mix = _load().get(zone.strip().upper()) if isinstance(zone, str) else None
    if mix is None:
        from tokenprint.errors import UnknownZoneError

        raise UnknownZoneError(
            f"unknown electricity-mix zone {zone!r}; use an ISO 3166-1 alpha-3 code such as "
            "'FRA' or 'USA', or 'WOR' for the world average (see `tokenprint zones`)"
        )
    return mix


def all_zones() -> list[ElectricityMix]:
    return sorted(_load().values(), key=lambda m: m.zone)


def fallback_factors(zone: str) -> tuple[str, ...]:
    """The factors of a zone that are the world average for lack of data (may be empty)."""
    get_mix(zone)
    return _fallbacks.get(zone.strip().upper(), ())


def custom_mix(
    gwp: float, adpe: float, pe: float, wue: float, *, name: str = "custom"
) -> ElectricityMix:
    """A user-supplied mix (per kWh: kgCO2eq, kgSbeq, MJ, off-site litres), checked.

    Pass it wherever a zone is accepted (``EcoLogits.init(electricity_mix_zone=...)``,
    ``estimate(zone=...)``). Raises :class:`tokenprint.InvalidArgumentError`.
    """
    from tokenprint.errors import InvalidArgumentError

    values = {"gwp": gwp, "adpe": adpe, "pe": pe, "wue": wue}
    for key, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise InvalidArgumentError(f"custom mix: {key} must be a finite number >= 0, got {v!r}")
    return ElectricityMix(
        zone=name.upper(), gwp=float(gwp), adpe=float(adpe), pe=float(pe), wue=float(wue), name=name
    )
