"""Accelerators and servers (``data/accelerators.csv``, ``data/servers.csv``)."""

from __future__ import annotations

from tokenprint.catalog._files import parse_range, read_csv
from tokenprint.impacts.profiles import Accelerator, Server

__all__ = ["all_accelerators", "all_servers", "get_accelerator", "get_server", "has_accelerator"]

_acc: dict[str, Accelerator] | None = None
_srv: dict[str, Server] | None = None


def _tflops(text: str | None) -> float:
    return float(text) if text else 0.0


def _load_acc() -> dict[str, Accelerator]:
    global _acc
    if _acc is None:
        acc: dict[str, Accelerator] = {}  # filled, then published: threads never see it half-built
        for r in read_csv("accelerators.csv"):
            a = Accelerator(
                name=r["name"].strip(),
                memory_gb=float(r["memory_gb"]),
                bandwidth_tbs=float(r["bandwidth_tbs"]),
                tflops_bf16=float(r["tflops_bf16"]),
                tflops_fp8=_tflops(r.get("tflops_fp8")),
                tflops_fp4=_tflops(r.get("tflops_fp4")),
                power_w=parse_range(r, "power_w"),
                embodied_gwp=parse_range(r, "embodied_gwp"),
                embodied_adpe=parse_range(r, "embodied_adpe"),
                embodied_pe=parse_range(r, "embodied_pe"),
            )
            acc[_key(a.name)] = a
        _acc = acc
    return _acc


def _key(name: str) -> str:
    """Case, spaces and dashes ignored: "TPU v6e", "tpu-v6e" and "TPUv6e" are one name."""
    return name.strip().upper().replace(" ", "").replace("-", "").replace("_", "")


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


def has_accelerator(name: str) -> bool:
    return _key(name) in _load_acc()


def get_accelerator(name: str) -> Accelerator:
    """An accelerator by datasheet name, case-insensitive ("H100", "h200", "TPU-v6e")."""
    try:
        return _load_acc()[_key(name)]
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
