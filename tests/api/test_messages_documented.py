"""Every warning and error code the source can emit has its section in docs/messages.md
(results link to ``messages/#<code>``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A code is the first argument of a WarningMessage/ErrorMessage, or the first item of a
# (code, message) constant such as ``ESTIMATED_OUTPUT = ("output-tokens-estimated", "...")``.
_MESSAGE = re.compile(r'(?:WarningMessage|ErrorMessage)\(\s*"([a-z]+(?:-[a-z]+)+)"')
_CONSTANT = re.compile(r'^[A-Z_]+ = \(\s*"([a-z]+(?:-[a-z]+)+)",', re.M)


def _codes_in_source() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "src" / "tokenprint").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes.update(_MESSAGE.findall(text), _CONSTANT.findall(text))
    return codes


def test_every_message_code_in_the_source_is_documented() -> None:
    documented = set(
        re.findall(r"^### ([a-z-]+)$", (ROOT / "docs" / "messages.md").read_text(), re.M)
    )
    codes = _codes_in_source()
    assert {"model-not-registered", "input-tokens-estimated", "usage-invalid"} <= codes
    assert codes - documented == set()
