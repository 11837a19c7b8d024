"""Work of the LiteLLM gateway callback per request (``TokenprintLogger``).

A real ``litellm.completion`` replays a cassette with the callback registered, and the
arguments LiteLLM hands to the callback are kept; then the callback's accounting of that
request is timed on its own, over and over:

* **deferred**: no subscriber (the impacts are computed only if someone reads them);
* **published**: a subscriber listens, as exporters do (the impacts are computed and the
  record published at once).

The callback runs after LiteLLM has returned the answer (in a thread or a task), so this is
work the gateway does per request, not latency its callers wait for. Times are CPU time of
the measuring thread (``time.thread_time``); the median of each process, over several fresh
processes.

Run: ``.venv/bin/python benchmarks/bench_litellm_proxy.py [--quick]``
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Any

from _processes import ROOT, in_processes


def _captured() -> tuple[Any, ...]:
    """What LiteLLM hands to a success callback for one real (replayed) completion."""
    import litellm

    from tests.support.cassettes import cassette
    from tokenprint.integrations.litellm_proxy import TokenprintLogger

    seen: list[tuple[Any, ...]] = []

    class Capture(TokenprintLogger):
        def log_success_event(
            self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
        ) -> None:  # LiteLLM passes these by name
            seen.append((kwargs, response_obj, start_time, end_time))

    litellm.callbacks = [Capture()]
    with cassette("litellm", "mistral_chat"):
        litellm.completion(
            model="mistral/mistral-large-2407",
            messages=[{"role": "user", "content": "Say hello."}],
            api_key="k",
        )
    for _ in range(500):  # LiteLLM calls it from a thread pool
        if seen:
            break
        time.sleep(0.01)
    litellm.callbacks = []
    return seen[0]


def _median_us(fn: Any, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.thread_time()
        fn()
        times.append(time.thread_time() - t)
    return statistics.median(times) * 1e6


def measure(n: int) -> dict[str, float]:
    from tests.support.cassettes import records
    from tokenprint import EcoLogits
    from tokenprint.integrations.litellm_proxy import _account

    EcoLogits.init(providers=[])
    kwargs, response, start, end = _captured()

    def once() -> None:
        _account(kwargs, response, start, end)

    out = {"deferred": _median_us(once, n)}
    with records():
        out["published"] = _median_us(once, n)
    return out


def main(args: list[str]) -> None:
    if "--measure" in args:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        sys.path.insert(0, str(ROOT))
        print(json.dumps(measure(int(args[args.index("--measure") + 1]))))
        return
    quick = "--quick" in args
    processes, n = (2, 500) if quick else (5, 5000)
    runs = in_processes(__file__, ["--measure", str(n)], processes)
    print(f"LiteLLM gateway callback, per request ({processes} processes x {n} calls)")
    for key, label in (("deferred", "no subscriber"), ("published", "a subscriber listens")):
        values = runs[key]
        print(f"  {label:<22} {statistics.median(values):6.1f} us "
              f"(processes: {min(values):.1f}-{max(values):.1f})")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
