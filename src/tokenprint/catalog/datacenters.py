"""Where providers serve from (``data/datacenters.csv``): zone, PUE, WUE, hardware.

A provider is looked up by name (``openai``, ``azure``, ``groq``...) or by the host name of
the API base URL, so OpenAI-compatible hosts get their own profile. Unknown local hosts get
the ``self-hosted`` profile.
"""

from __future__ import annotations

from typing import NamedTuple

from tokenprint.catalog._files import parse_range, read_csv, split_list
from tokenprint.impacts.profiles import DataCenter

__all__ = ["SELF_HOSTED", "DataCenterRecord", "all_datacenters", "for_host", "get_datacenter"]

SELF_HOSTED = "self-hosted"
_LOCAL = ("localhost", "127.", "0.0.0.0", "[::1]", "::1", "host.docker.internal")


class DataCenterRecord(NamedTuple):
    profile: DataCenter
    location: str
    hosts: tuple[str, ...]
    sources: tuple[str, ...]


_rows: dict[str, DataCenterRecord] | None = None
_by_host: dict[str, str] | None = None


def _load() -> dict[str, DataCenterRecord]:
    global _rows, _by_host
    if _rows is None:
        rows: dict[str, DataCenterRecord] = {}
        hosts: dict[str, str] = {}
        for r in read_csv("datacenters.csv"):
            name = r["provider"].strip().lower()
            dc = DataCenter(
                name=name,
                zone=r["zone"].strip().upper(),
                pue=parse_range(r, "pue"),
                wue=parse_range(r, "wue"),
                accelerator=(r.get("accelerator") or "H100").strip(),
                server=(r.get("server") or "hgx-8gpu").strip(),
            )
            rec = DataCenterRecord(
                dc,
                (r.get("location") or "").strip(),
                split_list(r.get("hosts")),
                split_list(r.get("sources")),
            )
            rows[name] = rec
            for h in rec.hosts:
                hosts[h.lower()] = name
        _by_host = hosts
        _rows = rows
    return _rows


def get_datacenter(provider: str) -> DataCenter | None:
    """The profile of a provider by name, or None when not catalogued."""
    rec = _load().get(provider.strip().lower())
    return rec.profile if rec else None


def for_host(host: str | None) -> DataCenter | None:
    """The profile for an API host name (``api.groq.com``), the self-hosted profile for a
    local address, or None when the host is unknown."""
    if not host:
        return None
    h = host.strip().lower()
    _load()
    assert _by_host is not None
    name = _by_host.get(h)
    if name is None:
        # match a parent domain: "xyz.openai.azure.com" -> "openai.azure.com"
        parts = h.split(".")
        for i in range(1, len(parts) - 1):
            name = _by_host.get(".".join(parts[i:]))
            if name:
                break
    if name is None and h.startswith(_LOCAL):
        name = SELF_HOSTED
    return get_datacenter(name) if name else None


def all_datacenters() -> list[DataCenterRecord]:
    return list(_load().values())
