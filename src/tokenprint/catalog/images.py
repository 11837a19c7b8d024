"""The image- and video-generation catalogue (``data/image_models.csv``,
``data/video_models.csv``) and its name resolution.

Each row gives a model record (parameters, publisher: the same fields as the text
catalogue) and an :class:`~tokenprint.impacts.image.ImageSpec` (architecture, steps,
guidance passes, sizes, quality table). Names resolve like text models: exact, alias,
normalised, without an ``org/`` or ``models/`` prefix, without a dated snapshot. A model
added with ``register_model(..., modality="image")`` resolves too, with generic diffusion
assumptions.
"""

from __future__ import annotations

import re
import threading
from typing import NamedTuple

from tokenprint.catalog import models
from tokenprint.catalog._files import parse_range, read_csv, split_list
from tokenprint.impacts.image import GENERIC_STEPS, ImageSpec
from tokenprint.impacts.ranges import Range, Value

__all__ = ["MODALITIES", "ImageModel", "all_image_models", "resolve", "spec_for"]

MODALITIES = ("image", "video")
"""The modalities whose models this catalogue holds."""
_FILES = ("image_models.csv", "video_models.csv")
_SNAPSHOT = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")


class ImageModel(NamedTuple):
    """One row of the image catalogue."""

    record: models.ModelRecord
    spec: ImageSpec


_lock = threading.Lock()
_rows: list[ImageModel] | None = None
_index: dict[str, ImageModel | None] | None = None  # None value = ambiguous key


def _value(text: str) -> Value:
    """``"272"`` -> 272.0, ``"1:2"`` -> Range(1, 2)."""
    if ":" in text:
        a, b = text.split(":", 1)
        return Range(float(a), float(b))
    return float(text)


def _qualities(cell: str | None) -> tuple[tuple[str, Value], ...]:
    out = []
    for item in split_list(cell):
        name, _, val = item.partition("=")
        out.append((name.strip().lower(), _value(val.strip())))
    return tuple(out)


def _optional_range(row: dict[str, str], key: str, default: Value) -> Value:
    if not (row.get(f"{key}_min") or row.get(f"{key}_max") or row.get(key)):
        return default
    return parse_range(row, key)


def _row(row: dict[str, str]) -> ImageModel:
    rec = models.record_from_row(row)
    if rec.modality not in MODALITIES:
        rec = rec._replace(modality="image")
    spec = ImageSpec(
        name=rec.name,
        architecture=rec.architecture,
        model=rec.spec(),
        steps=_optional_range(row, "steps", GENERIC_STEPS),
        guidance_passes=_optional_range(row, "guidance_passes", 1.0),
        pixels_per_token=float(row.get("pixels_per_token") or 16),
        qualities=_qualities(row.get("qualities")),
        default_quality=(row.get("default_quality") or "").strip().lower(),
        sizes=split_list(row.get("sizes")),
        default_size=(row.get("default_size") or "1024x1024").strip().lower(),
        fps=_optional_range(row, "fps", 0.0),
        frames_per_latent=float(row.get("frames_per_latent") or 1),
    )
    return ImageModel(rec, spec)


def all_image_models() -> list[ImageModel]:
    """Every shipped image and video model (read from data/ on first use)."""
    global _rows
    if _rows is None:
        with _lock:
            if _rows is None:
                _rows = [_row(r) for f in _FILES for r in read_csv(f)]
    return _rows


def _get_index() -> dict[str, ImageModel | None]:
    global _index
    if _index is None:
        rows = all_image_models()
        # Full names first; an alias or a short name claimed by two rows is ambiguous.
        index: dict[str, ImageModel | None] = {models.normalize(m.record.name): m for m in rows}
        exact = set(index)
        for m in rows:
            for name in (m.record.name, *m.record.aliases):
                key = models.normalize(name)
                for k in {key, key.rsplit("/", 1)[-1]} - exact:
                    index[k] = m if index.get(k, m) is m else None
        _index = index
    return _index


def _lookup(name: str) -> ImageModel | None:
    index = _get_index()
    key = models.normalize(name)
    for cand in (key, key.rsplit("/", 1)[-1], _SNAPSHOT.sub("", key.rsplit("/", 1)[-1])):
        hit = index.get(cand)
        if hit is not None:
            return hit
    return None


def resolve(name: str | None, provider: str | None = None) -> models.Resolution:
    """The record of an image or video model: a registered model first, then the shipped
    rows."""
    if not name:
        return models.Resolution(None)
    res = models.resolve(name, provider)
    if res.record is not None and res.record.modality in MODALITIES:
        return res
    hit = _lookup(name)
    if hit is None:
        return models.Resolution(None)
    return models.Resolution(hit.record, "exact" if hit.record.name == name else "alias")


def spec_for(record: models.ModelRecord) -> ImageSpec:
    """The image spec of a resolved record; generic diffusion assumptions for a model
    registered without a catalogue row."""
    hit = _lookup(record.name)
    if hit is not None and hit.record == record:
        return hit.spec
    arch = record.architecture if record.architecture == "autoregressive" else "diffusion"
    if record.modality == "video":
        return ImageSpec(record.name, arch, record.spec(), fps=_GENERIC_FPS, frames_per_latent=4.0)
    return ImageSpec(record.name, arch, record.spec())


# A registered video model: 16-30 frames per second (Wan 2.1 16, HunyuanVideo 24, common
# output 24-30) and the 4x temporal compression of every video VAE in
# data/diffusion_architectures.csv.
_GENERIC_FPS = Range(16.0, 30.0)
