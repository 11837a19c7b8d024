"""Optional resolver for Hugging Face models that are not catalogued (off by default).

When enabled (``EcoLogits.init(hub_resolver=True)`` or :func:`enable_hub_resolver`), a name
such as ``org/model`` that the catalogue does not know is looked up on the Hub once: the
parameter count from the safetensors metadata (``HfApi.model_info``) and, for mixtures of
experts, the expert counts from ``config.json``. The answer (or the fact that there is none)
is cached on disk as JSON, so later runs make no request. Any failure (no network, no
``huggingface_hub``, a private or GGUF-only repository) leaves the name unresolved: it never
raises into the request path.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

from tokenprint.catalog import models
from tokenprint.catalog.models import ModelRecord
from tokenprint.impacts.ranges import Range, Value

__all__ = [
    "cache_dir",
    "disable_hub_resolver",
    "enable_hub_resolver",
    "is_enabled",
    "lookup",
    "record_from_hub",
    "use",
]

_log = logging.getLogger(__name__)
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_EXPERTS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")
_SHAPE: tuple[str, ...] = ("hidden_size", "d_model", "moe_intermediate_size", "intermediate_size")
_SHAPE += ("ffn_dim", "num_hidden_layers", "n_layers", "num_layers")
_PER_TOKEN = ("num_experts_per_tok", "num_experts_per_token", "experts_per_token", "moe_topk")

_enabled = False
_dir: Path | None = None
_memo: dict[str, ModelRecord | None] = {}
_lock = threading.Lock()


def enable_hub_resolver(cache_dir: str | Path | None = None) -> None:
    """Look up uncatalogued Hugging Face ids on the Hub, caching answers in ``cache_dir``
    (default ``$TOKENPRINT_CACHE`` or ``~/.cache/tokenprint/hub``)."""
    global _enabled, _dir
    _dir = Path(cache_dir) if cache_dir is not None else None
    _enabled = True
    _memo.clear()
    models.set_fallback(lookup)


def disable_hub_resolver() -> None:
    global _enabled
    _enabled = False
    _memo.clear()
    models.set_fallback(None)


def use(enabled: bool) -> None:
    """Turn the resolver on or off (``Config.hub_resolver``); no change when it already is."""
    if enabled != _enabled:
        if enabled:
            enable_hub_resolver()
        else:
            disable_hub_resolver()


def is_enabled() -> bool:
    return _enabled


def cache_dir() -> Path:
    if _dir is not None:
        return _dir
    base = os.environ.get("TOKENPRINT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tokenprint"
    )
    return Path(base) / "hub"


def _cache_file(repo_id: str) -> Path:
    return cache_dir() / (repo_id.replace("/", "--") + ".json")


def _first_int(config: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for k in keys:
        v = config.get(k)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            return v
    return None


def _active_params(total: float, config: dict[str, Any]) -> tuple[Value, str]:
    """Active parameters (billions) of a MoE from its config, or the total when dense."""
    text = config.get("text_config")
    cfg: dict[str, Any] = text if isinstance(text, dict) else config
    experts, per_token = _first_int(cfg, _EXPERTS), _first_int(cfg, _PER_TOKEN)
    if not experts or not per_token or per_token >= experts:
        return total, "dense"
    hidden = _first_int(cfg, ("hidden_size", "d_model"))
    inter = _first_int(cfg, ("moe_intermediate_size", "intermediate_size", "ffn_dim"))
    layers = _first_int(cfg, ("num_hidden_layers", "n_layers", "num_layers"))
    if hidden and inter and layers:
        # Gated experts hold three hidden x intermediate matrices each; the unused share of
        # them is what a token does not touch.
        expert_b = 3 * hidden * inter * layers * experts / 1e9
        if expert_b < total:
            return round(total - expert_b * (experts - per_token) / experts, 3), "moe"
    return Range(total * per_token / experts, total), "moe"


def record_from_hub(repo_id: str, info: dict[str, Any]) -> ModelRecord | None:
    """A ModelRecord from the cached Hub facts, or None when they hold no parameter count."""
    params = info.get("parameters")
    if not isinstance(params, (int, float)) or params <= 0:
        return None
    total = round(params / 1e9, 3)
    raw = info.get("config")
    config: dict[str, Any] = raw if isinstance(raw, dict) else {}
    active, arch = _active_params(total, config)
    return ModelRecord(
        provider="huggingface",
        name=repo_id,
        total_params=total,
        active_params=active,
        architecture=arch,
        sources=(f"https://huggingface.co/{repo_id}",),
        notes="read from the Hugging Face Hub (safetensors metadata and config.json)",
    )


def _fetch(repo_id: str) -> dict[str, Any]:
    """Ask the Hub (network). Raises on any failure."""
    from huggingface_hub import HfApi, get_session, hf_hub_url

    info = HfApi().model_info(repo_id, expand=["safetensors"])
    st = info.safetensors
    total = st.total if st is not None else None
    config: dict[str, Any] = {}
    resp = get_session().get(hf_hub_url(repo_id, "config.json"), follow_redirects=True)
    if resp.status_code == 200:
        data = resp.json()
        if isinstance(data, dict):
            keep = (*_EXPERTS, *_PER_TOKEN, *_SHAPE)
            config = {k: data[k] for k in keep if k in data}
            text = data.get("text_config")
            if isinstance(text, dict):
                config["text_config"] = {k: text[k] for k in keep if k in text}
    return {"repo_id": repo_id, "parameters": total, "config": config}


def lookup(name: str) -> ModelRecord | None:
    """The record for a Hub id (``org/model``), from the disk cache or the Hub; None when
    the Hub has no parameter count for it or cannot be reached."""
    repo_id = name.strip()
    if not _REPO_ID.match(repo_id):
        return None
    if repo_id in _memo:
        return _memo[repo_id]
    with _lock:
        rec = None
        try:
            path = _cache_file(repo_id)
            if path.is_file():
                info = json.loads(path.read_text(encoding="utf-8"))
            else:
                info = _fetch(repo_id)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(info, indent=1, sort_keys=True), encoding="utf-8")
            rec = record_from_hub(repo_id, info)
        except Exception as exc:  # never break a request over a Hub look-up
            _log.debug("hub look-up of %s failed: %r", repo_id, exc)
            rec = None
        _memo[repo_id] = rec
        return rec
