"""Electricity mixes by zone (``data/electricity_mixes.csv``), read on first use."""

from __future__ import annotations

from tokenprint.catalog._files import read_csv
from tokenprint.impacts.profiles import ElectricityMix

__all__ = ["WORLD", "all_zones", "get_mix", "has_zone"]

WORLD = "WOR"
_mixes: dict[str, ElectricityMix] | None = None


def _load() -> dict[str, ElectricityMix]:
    global _mixes
    if _mixes is None:
        out: dict[str, ElectricityMix] = {}
        for r in read_csv("electricity_mixes.csv"):
            z = r["zone"].strip().upper()
            out[z] = ElectricityMix(
                zone=z,
                gwp=float(r["gwp"]),
                adpe=float(r["adpe"]),
                pe=float(r["pe"]),
                wue=float(r["wue"]),
                name=(r.get("name") or "").strip(),
                fallback=(r.get("fallback") or "").strip() not in ("", "0", "false", "no"),
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
