"""The package imports cheaply and estimates a catalogued model."""

from __future__ import annotations

import subprocess
import sys

import tokenprint


def test_import_loads_no_sdk_no_pint_no_data() -> None:
    code = (
        "import sys, tokenprint;"
        "mods=('pint','openai','anthropic','tokenprint.catalog.models','tokenprint.choice',"
        "'tokenprint.batch','tokenprint.catalog.quality','tokenprint.integrations',"
        "'tokenprint.instrument.bypass','tokenprint.exporters.prometheus');"
        "bad=[m for m in mods if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_estimate_catalogued_model_has_values() -> None:
    impacts = tokenprint.estimate(model="gpt-4o", output_tokens=500)
    assert impacts.errors == []
    assert impacts.energy is not None and impacts.energy.max > impacts.energy.min > 0
