"""Model architectures (``data/architectures.csv``): what each open model's ``config.json``
says about its layers, attention and experts, looked up by model name."""

from __future__ import annotations

import re

from tokenprint.catalog._files import read_csv, split_list
from tokenprint.impacts.profiles import Architecture

__all__ = ["all_architectures", "lookup"]

_rows: dict[str, Architecture] | None = None
_SUFFIX = re.compile(r"(-fp8|-bf16|-instruct|-thinking|-2507|-it|-hf)+$")


def _int(v: str | None) -> int:
    return int(float(v)) if v not in (None, "") else 0


def _float(v: str | None) -> float:
    return float(v) if v not in (None, "") else 0.0


def _load() -> dict[str, Architecture]:
    global _rows
    if _rows is None:
        rows: dict[str, Architecture] = {}
        for r in read_csv("architectures.csv"):
            layers = _int(r["layers"])
            a = Architecture(
                name=r["name"].strip(),
                layers=layers,
                attention_heads=_int(r["attention_heads"]),
                kv_heads=_int(r["kv_heads"]),
                head_dim=_float(r["head_dim"]),
                kv_latent_dim=_float(r.get("kv_latent_dim")),
                full_attention_layers=(
                    layers
                    if not r.get("full_attention_layers")
                    else _int(r["full_attention_layers"])
                ),
                sliding_window=_float(r.get("sliding_window")),
                experts=_int(r.get("experts")),
                experts_per_token=_int(r.get("experts_per_token")),
                expert_params=_float(r.get("expert_params_b")),
                native_precision=(r.get("native_precision") or "bf16").strip().lower(),
                sources=split_list(r.get("sources")),
            )
            rows[a.name.lower()] = a
        _rows = rows
    return _rows


def _key(name: str) -> str:
    return _SUFFIX.sub("", name.strip().lower())


def lookup(name: str) -> Architecture | None:
    """The architecture row of a model name (exact, then without ``-FP8``/``-Instruct``-like
    suffixes on both sides), or None."""
    rows = _load()
    hit = rows.get(name.strip().lower())
    if hit is not None:
        return hit
    key = _key(name)
    for row_name, row in rows.items():
        if _key(row_name) == key:
            return row
    return None


def all_architectures() -> list[Architecture]:
    return list(_load().values())
