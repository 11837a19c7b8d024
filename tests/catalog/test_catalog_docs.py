"""The generated catalogue pages (docs/models.md, docs/zones.md) match the data files."""

from __future__ import annotations

from types import ModuleType

from tests.support.scripts import load_script


def _generator() -> ModuleType:
    return load_script("gen_catalog_docs")


def test_generated_catalogue_pages_are_up_to_date() -> None:
    for path, text in _generator().pages().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of date: run python scripts/gen_catalog_docs.py"
        )


def test_models_page_lists_every_text_model_and_zones_page_every_zone() -> None:
    gen = _generator()
    models_md, zones_md = gen.models_page(), gen.zones_page()
    assert "`meta-llama/Llama-3.1-8B-Instruct`" in models_md
    assert "| open-mixtral-8x7b" not in models_md  # names are code-quoted
    assert "`open-mixtral-8x7b` | moe | 46.7 | 12.9 |" in models_md
    assert "| FRA | France |" in zones_md and "| EEE | Europe |" in zones_md
