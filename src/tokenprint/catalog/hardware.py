"""Accelerators and servers (``data/accelerators.csv``, ``data/servers.csv``)."""

from __future__ import annotations

from tokenprint.catalog._files import parse_range, read_csv
from tokenprint.impacts.profiles import Accelerator, Server

__all__ = ["all_accelerators", "all_servers", "get_accelerator", "get_server"]

_acc: dict[str, Accelerator] | None = None
_srv: dict[str, Server] | None = None


def _load_acc() -> dict[str, Accelerator]:
    global _acc
    if _acc is None:
        acc: dict[str, Accelerator] = {}  # filled, then published: threads never see it half-built
        for r in read_csv("accelerators.csv"):
            a = Accelerator(
                name=r["name"].strip(),
                memory_gb=float(r["memory_gb"]),
                power_w=parse_range(r, "power_w"),
                peak_tflops=float(r["peak_tflops"]),
                decode_energy_scale=parse_range(r, "decode_energy_scale"),
                decode_time_scale=parse_range(r, "decode_time_scale"),
                embodied_gwp=parse_range(r, "embodied_gwp"),
                embodied_adpe=parse_range(r, "embodied_adpe"),
                embodied_pe=parse_range(r, "embodied_pe"),
            )
            acc[a.name.upper()] = a
        _acc = acc
    return _acc


def _load_srv() -> dict[str, Server]:
    global _srv
    if _srv is None:
        srv: dict[str, Server] = {}  # filled, then published (see _load_acc)
        for r in read_csv("servers.csv"):
            s = Server(
                name=r["name"].strip(),
                power_w=parse_range(r, "power_w"),
                accelerators=int(r["accelerators"]),
                embodied_gwp=parse_range(r, "embodied_gwp"),
                embodied_adpe=parse_range(r, "embodied_adpe"),
                embodied_pe=parse_range(r, "embodied_pe"),
                lifetime_years=parse_range(r, "lifetime_years"),
            )
            srv[s.name.lower()] = s
        _srv = srv
    return _srv


def get_accelerator(name: str) -> Accelerator:
    try:
        return _load_acc()[name.strip().upper()]
    except KeyError:
        from tokenprint.errors import InvalidArgumentError

        known = ", ".join(a.name for a in _load_acc().values())
        raise InvalidArgumentError(f"unknown accelerator {name!r}; known: {known}") from None


def get_server(name: str) -> Server:
    try:
        return _load_srv()[name.strip().lower()]
    except KeyError:
        from tokenprint.errors import InvalidArgumentError

        known = ", ".join(s.name for s in _load_srv().values())
        raise InvalidArgumentError(f"unknown server {name!r}; known: {known}") from None


def all_accelerators() -> list[Accelerator]:
    return list(_load_acc().values())


def all_servers() -> list[Server]:
    return list(_load_srv().values())
