"""Cost of the outputs per request, with every exporter on: OpenTelemetry (SDK meter
provider, and a recording span the attributes land on), Prometheus (own registry, HTTP
endpoint listening) and JSON lines (a file on disk).

Prints:
* the added CPU time per request: ``events.run_after(record)`` with the exporters attached,
  minus the same with nothing attached; the median over batches: on the request's thread
  (what the request waits for; target: <= 50 us) and for the whole process (the exporters'
  background thread included: serialising JSON lines, recording histograms);
* each exporter alone, the same way;
* memory over 100 000 requests (20 000 with ``--quick``): the process's resident size after
  each tenth, and the growth per 1 000 requests over the second half, once caches and the
  allocator's arenas have warmed up (target: flat; the requests carry labels from a small
  set, as an application's do, and the background work is let finish every 1 000
  requests, as an application's pace allows).

Records are computed once by the estimator before timing: the figures are the exporters'
cost, not the estimate's. Times are CPU time (``time.thread_time``, ``time.process_time``),
so that other processes competing for the cores do not inflate them.

Run: ``.venv/bin/python benchmarks/bench_exporters.py [--quick]``
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tokenprint import EcoLogits, events, exporters
from tokenprint.estimator import default_estimator
from tokenprint.records import RequestRecord, Usage

MODELS = ("gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet-20241022", "text-embedding-3-small")
TASKS = ("summarise", "search", "chat", "eval")


def records() -> list[RequestRecord]:
    """Sixteen distinct requests (model x task), estimated once."""
    est = default_estimator()
    out: list[RequestRecord] = []
    for model in MODELS:
        embedding = model.startswith("text-embedding")
        usage = Usage(
            "anthropic" if model.startswith("claude") else "openai",
            model,
            input_tokens=400,
            output_tokens=0 if embedding else 200,
            latency_s=1.2,
            modality="embedding" if embedding else "text",
            endpoint="embeddings.create" if embedding else "chat.completions.create",
            requested_model=model,
        )
        impacts = est.compute(usage)
        out.extend(RequestRecord(usage, impacts, {"task": t}, time.time()) for t in TASKS)
    return out


def exporter_specs(folder: Path) -> dict[str, list[Any]]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from prometheus_client import CollectorRegistry

    otel = {"type": "opentelemetry", "meter_provider": MeterProvider([InMemoryMetricReader()])}
    prom = {"type": "prometheus", "registry": CollectorRegistry(), "port": 0, "addr": "127.0.0.1"}
    jsonl = f"jsonl:{folder / 'impacts.jsonl'}"
    return {
        "all three": [otel, prom, jsonl],
        "opentelemetry": [otel],
        "otel, 2 hist.": [{**otel, "histograms": ["energy", "gwp"]}],
        "prometheus": [prom],
        "jsonl": [jsonl],
    }


def per_request(recs: list[RequestRecord], batches: int, size: int) -> tuple[float, float]:
    """Median CPU seconds per ``run_after`` over ``batches`` batches of ``size`` requests: of
    the requests' thread, and of the whole process (the exporters' background thread
    included: each batch ends when its work is done)."""
    thread, process = [], []
    for _ in range(batches):
        t0, p0 = time.thread_time(), time.process_time()
        for i in range(size):
            events.run_after(recs[i % len(recs)])
        t1 = time.thread_time()
        exporters.flush(60)
        thread.append((t1 - t0) / size)
        process.append((time.process_time() - p0) / size)
    return statistics.median(thread), statistics.median(process)


def run(recs: list[RequestRecord], start: int, stop: int) -> None:
    """Requests ``start`` to ``stop``, letting the background work finish every 1,000 (an
    application's requests take far longer than the exporters' work: no backlog builds)."""
    for i in range(start, stop):
        events.run_after(recs[i % len(recs)])
        if i % 1000 == 999:
            exporters.flush(60)
    exporters.flush(60)


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4  # resident pages of 4 KiB


def main() -> None:
    quick = "--quick" in sys.argv
    batches, size = (15, 500) if quick else (40, 1000)
    total = 20_000 if quick else 100_000
    recs = records()
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("bench")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, tracer.start_as_current_span("request"):
        assert trace.get_current_span().is_recording()
        base = per_request(recs, batches, size)  # nothing attached: the publish itself
        print(f"{'outputs':<16}{'request thread':>16}{'whole process':>16}   (added us/request)")
        for name, specs in exporter_specs(Path(tmp)).items():
            EcoLogits.init(providers=[], exporters=specs)
            per_request(recs, 2, size)  # warm up
            on_thread, whole = per_request(recs, batches, size)
            figures[name] = (on_thread - base[0]) * 1e6
            figures[name + " (process)"] = (whole - base[1]) * 1e6
            print(f"{name:<16}{figures[name]:>16.1f}{figures[name + ' (process)']:>16.1f}")
            EcoLogits.shutdown()

        EcoLogits.init(providers=[], exporters=exporter_specs(Path(tmp))["all three"])
        tenth = total // 10
        sizes = []
        for k in range(10):
            run(recs, k * tenth, (k + 1) * tenth)
            sizes.append(rss_kib())
        EcoLogits.shutdown()
    half = sizes[4]  # after a warm-up of half the requests (caches, allocator arenas)
    growth = (sizes[-1] - half) / (total / 2 / 1000)
    print(f"\nmemory, all three on: resident KiB after each {tenth:,} requests: {sizes}")
    print(f"second half: {growth:+.2f} KiB per 1,000 requests")
    figures.update(rss_kib=sizes, kib_per_1000_second_half=growth)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
