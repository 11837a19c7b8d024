"""Added cost per call of the OpenAI audio and video instrumentation.

The real openai client on a mock transport answering like the service (a gpt-4o-transcribe
JSON answer, an audio/mpeg speech answer, a queued Sora job). Two figures per endpoint,
each with the impacts unread (an application that never looks at them) and read
(``impacts.energy``: the Usage built and the estimate computed on first read):

* **end to end**: the SDK's method with its original code and with tokenprint's wrapper,
  back to back in pairs (alternating order), median of the per-pair differences (the SDK's
  own time per call, hundreds of us, makes this noisy by a few us);
* **alone, hot**: the core's wrapper for the endpoint's target around a function returning
  a real answer, less that function alone, medians over many calls (target: <= 30 us).

Times are ``time.thread_time``. Run: ``.venv/bin/python benchmarks/bench_openai_av.py [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from typing import Any

__all__ = ["main"]

_clock = time.thread_time
MP3 = b"ID3" + b"\x00" * 64


def _answer(request: Any) -> Any:
    import httpx2

    path = request.url.path
    if path.endswith("/audio/speech"):
        return httpx2.Response(200, content=MP3, headers={"content-type": "audio/mpeg"})
    if path.endswith("/videos"):
        video = {"id": "video_1", "object": "video", "model": "sora-2", "status": "queued",
                 "progress": 0, "created_at": 1, "seconds": "8", "size": "1280x720"}  # fmt: skip
        return httpx2.Response(200, json=video)
    usage = {"type": "tokens", "input_tokens": 140, "output_tokens": 16, "total_tokens": 156}
    return httpx2.Response(200, json={"text": "Hello there.", "usage": usage})


def _calls(client: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    """endpoint -> (the SDK resource, the arguments of its ``create``)."""
    return {
        "audio.transcriptions.create": (
            client.audio.transcriptions,
            {"model": "gpt-4o-transcribe", "file": ("a.mp3", MP3)},
        ),
        "audio.speech.create": (
            client.audio.speech,
            {"model": "tts-1", "voice": "alloy", "input": "Hello there, how are you today?"},
        ),
        "videos.create": (client.videos, {"model": "sora-2", "prompt": "a fox", "seconds": "8"}),
    }


def _timed(resource: Any, kwargs: dict[str, Any], read: bool) -> float:
    t = _clock()
    out = resource.create(**kwargs)
    if read:
        _ = out.impacts.energy
    return _clock() - t


def _alone(target: Any, resource: Any, kwargs: dict[str, Any], read: bool, n: int) -> float:
    from tokenprint.instrument import core

    ready = resource.create(**kwargs)  # a real answer
    wrapper = core.make_wrapper(target, False)

    def sdk(*args: Any, **kw: Any) -> Any:
        return ready

    def inst() -> None:
        out = wrapper(sdk, resource, (), kwargs)
        if read:
            _ = out.impacts.energy

    for _ in range(n // 10):
        inst()
    timed, plain = [], []
    for _ in range(n):
        t = _clock()
        inst()
        timed.append(_clock() - t)
        t = _clock()
        sdk(**kwargs)
        plain.append(_clock() - t)
    return (statistics.median(timed) - statistics.median(plain)) * 1e6


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    n = 300 if "--quick" in args else 2000
    import httpx2
    import openai

    from tokenprint import EcoLogits, instrument
    from tokenprint.instrument.providers.openai_av import TARGETS

    warnings.simplefilter("ignore", DeprecationWarning)
    http = httpx2.Client(transport=httpx2.MockTransport(_answer))
    client = openai.OpenAI(api_key="sk-test", max_retries=0, http_client=http)
    EcoLogits.init(providers=["openai"])
    switches = [(o, a, orig, vars(o)[a]) for o, a, orig, _ in instrument._patched]
    targets = {t.endpoint: t for t in TARGETS if not t.method.startswith("Async")}

    def switch(on: bool) -> None:
        for owner, attr, original, wrapper in switches:
            setattr(owner, attr, wrapper if on else original)

    print(f"{'endpoint':28} {'end to end: unread / read':>28} {'alone, hot: unread / read':>28}")
    for name, (resource, kwargs) in _calls(client).items():
        row = []
        for read in (False, True):
            for _ in range(50):  # warm caches and the estimator's context
                resource.create(**kwargs)
            diffs = []
            for k in range(n):
                order = (True, False) if k % 2 else (False, True)
                t = {}
                for on in order:
                    switch(on)
                    t[on] = _timed(resource, kwargs, read and on)
                diffs.append(t[True] - t[False])
            switch(True)
            row.append(statistics.median(diffs) * 1e6)
        alone = [_alone(targets[name], resource, kwargs, read, n * 10) for read in (False, True)]
        print(f"{name:28} {row[0]:12.1f} / {row[1]:5.1f} us {alone[0]:15.1f} / {alone[1]:5.1f} us")
    EcoLogits.shutdown()


if __name__ == "__main__":
    main()
