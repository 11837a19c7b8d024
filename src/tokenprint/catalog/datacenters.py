"""Where providers serve from (``data/datacenters.csv``): zone, PUE, WUE, hardware.

A provider is looked up by name (``openai``, ``azure``, ``groq``...) or by the host name of
the API base URL, so OpenAI-compatible hosts get their own profile: an exact host, a parent
domain (``xyz.openai.azure.com``), or a pattern with ``*`` (``bedrock-runtime.*.amazonaws.com``).
A cloud region in the host (``us-east-1``, ``europe-west4``) sets the electricity zone.
Local and private-network hosts get the ``self-hosted`` profile.
"""

from __future__ import annotations

import math
import numbers
import operator
import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

from tokenprint.catalog._files import parse_range, read_csv, split_list
from tokenprint.impacts.profiles import DataCenter
from tokenprint.impacts.ranges import Range, Value
from tokenprint.impacts.serving import BYTES_PER_PRECISION

__all__ = [
    "SELF_HOSTED",
    "SETTINGS",
    "DataCenterRecord",
    "all_datacenters",
    "check_datacenter",
    "check_settings",
    "for_host",
    "get_datacenter",
    "zone_of_region",
]

SELF_HOSTED = "self-hosted"
_LOCAL = ("localhost", "127.", "0.0.0.0", "[::1]", "::1", "host.docker.internal", "10.", "192.168.")
_PRIVATE_172 = re.compile(r"^172\.(1[6-9]|2\d|3[01])\.")

# Cloud regions (AWS and Google Cloud names) -> electricity zone (ISO 3166-1 alpha-3).
_REGIONS: dict[str, str] = {
    "us": "USA", "ca": "CAN", "northamerica": "CAN", "sa": "BRA", "southamerica": "BRA",
    "eu-west-1": "IRL", "eu-west-2": "GBR", "eu-west-3": "FRA", "eu-central-1": "DEU",
    "eu-central-2": "CHE", "eu-north-1": "SWE", "eu-south-1": "ITA", "eu-south-2": "ESP",
    "europe-west1": "BEL", "europe-west2": "GBR", "europe-west3": "DEU", "europe-west4": "NLD",
    "europe-west6": "CHE", "europe-west8": "ITA", "europe-west9": "FRA",
    "europe-north1": "FIN", "europe-southwest1": "ESP", "europe-central2": "POL",
    "ap-northeast-1": "JPN", "ap-northeast-2": "KOR", "ap-northeast-3": "JPN",
    "ap-south-1": "IND", "ap-southeast-1": "SGP", "ap-southeast-2": "AUS",
    "asia-northeast1": "JPN", "asia-northeast3": "KOR", "asia-south1": "IND",
    "asia-southeast1": "SGP", "australia-southeast1": "AUS", "me-central-1": "ARE",
    "me-west1": "ISR", "il-central-1": "ISR", "mx-central-1": "MEX",
}  # fmt: skip
_REGION = re.compile(
    r"(?:^|[.-])((?:[a-z]{2}-[a-z]+-\d)|(?:(?:us|europe|asia|australia|northamerica|"
    r"southamerica|me)-[a-z]+\d))(?=[.-]|$)"
)


SETTINGS = tuple(f for f in DataCenter._fields if f != "name")
"""The keys a site can be described with (``datacenters=``, ``site(datacenter=)``, files)."""
PRECISION_ALIASES = {"fp4": "mxfp4"}
_LOWEST = {
    "pue": 1.0,
    "wue": 0.0,
    "batch_size": 1.0,
    "batch_per_accelerator": 0.0,
    "utilisation": 0.0,
}
_OPEN_LOW = {"batch_per_accelerator", "utilisation"}
_OPTIONAL = {"accelerator_count", "batch_size"}
"""Settings that may be None (derived from the model and the rest of the setup)."""


def _bad(where: str, key: str, why: str) -> Exception:
    from tokenprint.errors import InvalidArgumentError

    return InvalidArgumentError(f"{where}{key}: {why}")


def _number(x: object) -> float | None:
    """``x`` as a float when it is a real number (numpy's included), else None; bool is not
    a number here."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    return float(x)


def _amount(where: str, key: str, v: object) -> Value:
    """A finite number, or a [low, high] pair (list, tuple or Range), at or above the key's
    lowest value; a float, or a Range when low < high."""
    pair: tuple[object, object]
    if isinstance(v, Range):
        pair = (v.min, v.max)
    elif isinstance(v, (list, tuple)) and len(v) == 2:
        pair = (v[0], v[1])
    else:
        pair = (v, v)
    nums: list[float] = []
    for x in pair:
        n = _number(x)
        if n is None:
            raise _bad(where, key, f"expected a number or [low, high], got {v!r}")
        nums.append(n)
    low = _LOWEST[key]
    for x in nums:
        if not math.isfinite(x):
            raise _bad(where, key, f"must be finite, got {v!r}")
        if x < low or (key in _OPEN_LOW and x <= low):
            sign = ">" if key in _OPEN_LOW else ">="
            raise _bad(where, key, f"must be {sign} {low:g}, got {v!r}")
    a, b = nums
    if key == "utilisation" and b > 1.0:
        raise _bad(where, key, f"a share: must be <= 1, got {v!r}")
    if a > b:
        raise _bad(where, key, f"low above high in {v!r}")
    return a if a == b else Range(a, b)


def _whole(where: str, key: str, v: object) -> int:
    """An int >= 1: an int, an integer type with ``__index__`` (numpy's), or a whole float."""
    n: int | None = None
    if not isinstance(v, bool):
        if hasattr(type(v), "__index__"):
            n = operator.index(v)  # type: ignore[arg-type]
        else:
            f = _number(v)
            n = int(f) if f is not None and f.is_integer() else None
    if n is None or n < 1:
        raise _bad(where, key, f"must be an int >= 1, got {v!r}")
    return n


def check_settings(changes: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    """Validated site settings, normalised (amounts as floats or Ranges, counts as ints,
    names as the catalogue spells them): unknown keys, unknown accelerators or precisions,
    a PUE below 1, a negative WUE, a zero or negative count or batch, a share outside
    (0, 1], a NaN or infinite amount, or a [low, high] pair with low above high raise
    InvalidArgumentError naming the key (prefixed with ``where``, e.g. a file and table).

    ``accelerator_count`` and ``batch_size`` may be None (derived from the model)."""
    from tokenprint.catalog import hardware

    if not isinstance(changes, Mapping):
        raise _bad(where, "datacenter", f"expected a mapping of settings, got {changes!r}")
    out: dict[str, Any] = {}
    for key, v in changes.items():
        if key not in SETTINGS:
            raise _bad(where, key, f"unknown setting; expected one of {list(SETTINGS)}")
        if v is None and key in _OPTIONAL:
            out[key] = None
        elif key in _LOWEST:
            out[key] = _amount(where, key, v)
        elif key == "accelerator_count":
            out[key] = _whole(where, key, v)
        elif not isinstance(v, str) or not v.strip():
            raise _bad(where, key, f"expected a non-empty string, got {v!r}")
        elif key == "zone":
            out[key] = v.strip().upper()
        elif key == "accelerator":
            for name in split_list(v):
                if not hardware.has_accelerator(name):
                    raise _bad(
                        where,
                        key,
                        f"unknown accelerator {name!r}; known: "
                        + ", ".join(a.name for a in hardware.all_accelerators()),
                    )
            out[key] = v
        elif key == "precision":
            names = [PRECISION_ALIASES.get(p.lower(), p.lower()) for p in split_list(v)]
            for name in names:
                if name not in BYTES_PER_PRECISION:
                    raise _bad(
                        where,
                        key,
                        f"unknown precision {name!r}; known: "
                        + ", ".join(sorted({*BYTES_PER_PRECISION, *PRECISION_ALIASES})),
                    )
            out[key] = "|".join(names)
        elif key == "server":
            hardware.get_server(v)
            out[key] = v
    return out


def check_datacenter(dc: DataCenter, where: str = "") -> DataCenter:
    """A whole profile built by hand, checked and normalised as :func:`check_settings`
    checks a mapping of settings (its name must be a non-empty string)."""
    if not isinstance(dc.name, str) or not dc.name.strip():
        raise _bad(where, "name", f"expected a non-empty string, got {dc.name!r}")
    return dc._replace(**check_settings({k: getattr(dc, k) for k in SETTINGS}, where))


class DataCenterRecord(NamedTuple):
    profile: DataCenter
    location: str
    hosts: tuple[str, ...]
    sources: tuple[str, ...]


_rows: dict[str, DataCenterRecord] | None = None
_by_host: dict[str, str] = {}
_patterns: list[tuple[str, str]] = []


def _load() -> dict[str, DataCenterRecord]:
    global _rows, _by_host, _patterns
    if _rows is None:
        rows: dict[str, DataCenterRecord] = {}
        hosts: dict[str, str] = {}
        patterns: list[tuple[str, str]] = []
        for r in read_csv("datacenters.csv"):
            name = r["provider"].strip().lower()
            dc = DataCenter(
                name=name,
                zone=r["zone"].strip().upper(),
                pue=parse_range(r, "pue"),
                wue=parse_range(r, "wue"),
                accelerator=(r.get("accelerator") or "H100").strip(),
                server=(r.get("server") or "hgx-8gpu").strip(),
                precision=(r.get("precision") or "fp8|bf16").strip(),
                batch_per_accelerator=parse_range(r, "batch_per_accelerator"),
                utilisation=parse_range(r, "utilisation"),
            )
            rec = DataCenterRecord(
                dc,
                (r.get("location") or "").strip(),
                split_list(r.get("hosts")),
                split_list(r.get("sources")),
            )
            rows[name] = rec
            for h in rec.hosts:
                if "*" in h:
                    patterns.append((h.lower(), name))
                else:
                    hosts[h.lower()] = name
        _by_host, _patterns = hosts, patterns
        _rows = rows
    return _rows


def get_datacenter(provider: str) -> DataCenter | None:
    """The profile of a provider by name, or None when not catalogued."""
    rec = _load().get(provider.strip().lower())
    return rec.profile if rec else None


def zone_of_region(host: str) -> str | None:
    """The electricity zone of a cloud region named in a host, e.g. ``us-east-1`` -> USA."""
    m = _REGION.search(host.lower())
    if m is None:
        return None
    region = m.group(1)
    return _REGIONS.get(region) or _REGIONS.get(region.split("-", 1)[0])


def _name_for(h: str) -> str | None:
    name = _by_host.get(h)
    if name is None:
        # a parent domain: "xyz.openai.azure.com" -> "openai.azure.com"
        parts = h.split(".")
        for i in range(1, len(parts) - 1):
            name = _by_host.get(".".join(parts[i:]))
            if name:
                return name
        for pattern, pname in _patterns:
            if fnmatchcase(h, pattern):
                return pname
    if name is None and (h.startswith(_LOCAL) or _PRIVATE_172.match(h) or h.endswith(".local")):
        name = SELF_HOSTED
    return name


def for_host(host: str | None) -> DataCenter | None:
    """The profile for an API host name (``api.groq.com``), the self-hosted profile for a
    local address, or None when the host is unknown. A region in the host sets the zone."""
    if not host:
        return None
    h = host.strip().lower()
    if "://" in h:
        h = h.split("://", 1)[1]
    h = h.split("/", 1)[0]
    if not h.startswith("["):
        h = h.rsplit(":", 1)[0] if h.count(":") == 1 else h
    _load()
    name = _name_for(h)
    dc = get_datacenter(name) if name else None
    if dc is not None and name != SELF_HOSTED:
        zone = zone_of_region(h)
        if zone and zone != dc.zone:
            dc = dc._replace(zone=zone)
    return dc


def all_datacenters() -> list[DataCenterRecord]:
    return list(_load().values())
