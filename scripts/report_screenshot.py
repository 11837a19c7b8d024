"""Redraw docs/img/report.png: an HTML report of a short real run, shot by headless chromium.

For about fifteen seconds, CodeCarbon's offline tracker measures some local work (this
machine) while API requests, estimated by tokenprint, go to the jsonl exporter; then
``tokenprint report --codecarbon --html`` renders both and chromium takes the screenshot.
Needs codecarbon (the ``test`` extra) and Debian's ``chromium``.

    python scripts/report_screenshot.py [--out docs/img/report.png]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

import tokenprint
from tokenprint import EcoLogits, events
from tokenprint.cli import main
from tokenprint.records import RequestRecord, Usage

# (model, provider, input tokens, output tokens, labels) of the requests made each round
REQUESTS = [
    ("gpt-4o-mini", "openai", 800, 150, {"feature": "chat", "team": "support"}),
    ("gpt-4o", "openai", 2500, 600, {"feature": "search", "team": "core"}),
    ("claude-3-5-sonnet", "anthropic", 1200, 400, {"feature": "summary", "team": "core"}),
]


def _work(seconds: float) -> None:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(i * i for i in range(20_000))


def run(folder: Path) -> Path:
    from codecarbon import OfflineEmissionsTracker

    jsonl, csv = folder / "impacts.jsonl", folder / "emissions.csv"
    tracker = OfflineEmissionsTracker(
        country_iso_code="FRA", output_dir=str(folder), project_name="nightly-eval",
        log_level="error", measure_power_secs=1,
    )  # fmt: skip
    EcoLogits.init(exporters=[f"jsonl:{jsonl}"])
    try:
        for n in range(8):
            tracker.start()
            _work(1.5)
            tracker.stop()
            for model, provider, tokens_in, tokens_out, labels in REQUESTS[: 1 + n % 3]:
                impacts = tokenprint.estimate(model, tokens_out, tokens_in)
                usage = Usage(provider, model, tokens_in, tokens_out, latency_s=2.0)
                events.run_after(RequestRecord.now(usage, impacts, labels))
    finally:
        EcoLogits.shutdown()
    page = folder / "report.html"
    here = os.getcwd()
    os.chdir(folder)  # the report names its inputs as given
    try:
        assert main(["report", jsonl.name, "--codecarbon", csv.name, "--html", page.name]) == 0
    finally:
        os.chdir(here)
    return page


def main_() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/img/report.png")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        page = run(Path(tmp))
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp}/profile", "--window-size=800,2050",
             f"--screenshot={Path(args.out).resolve()}", page.as_uri()],
            check=True, capture_output=True,
        )  # fmt: skip
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main_()
