"""Added cost per call of the OpenAI audio and video instrumentation, end to end.

The real openai client on a mock transport answering like the service (a gpt-4o-transcribe
JSON answer, an audio/mpeg speech answer, a queued Sora job), called with its original
methods and with tokenprint's wrappers, back to back in pairs (alternating order); prints
the median of the per-pair differences (target: <= 30 us added per call). The impacts are
not read, as in an application that never looks at them; a second figure reads them
(``impacts.energy``: the estimate computed on first read, catalogue look-ups cached).

Times are ``time.thread_time``. Run: ``.venv/bin/python benchmarks/bench_openai_av.py [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from collections.abc import Callable
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


def _calls(client: Any) -> dict[str, Callable[[], Any]]:
    return {
        "audio.transcriptions.create": lambda: client.audio.transcriptions.create(
            model="gpt-4o-transcribe", file=("a.mp3", MP3)
        ),
        "audio.speech.create": lambda: client.audio.speech.create(
            model="tts-1", voice="alloy", input="Hello there, how are you today?"
        ),
        "videos.create": lambda: client.videos.create(model="sora-2", prompt="a fox", seconds="8"),
    }


def _timed(fn: Callable[[], Any], read: bool) -> float:
    t = _clock()
    out = fn()
    if read:
        _ = out.impacts.energy
    return _clock() - t


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    n = 300 if "--quick" in args else 2000
    import httpx2
    import openai

    from tokenprint import EcoLogits, instrument

    warnings.simplefilter("ignore", DeprecationWarning)
    http = httpx2.Client(transport=httpx2.MockTransport(_answer))
    client = openai.OpenAI(api_key="sk-test", max_retries=0, http_client=http)
    EcoLogits.init(providers=["openai"])
    switches = [(o, a, orig, vars(o)[a]) for o, a, orig, _ in instrument._patched]

    def switch(on: bool) -> None:
        for owner, attr, original, wrapper in switches:
            setattr(owner, attr, wrapper if on else original)

    print(f"{'endpoint':30} {'added, impacts unread':>22} {'added, impacts read':>20}")
    for name, fn in _calls(client).items():
        row = []
        for read in (False, True):
            for _ in range(50):  # warm caches and the estimator's context
                fn()
            diffs = []
            for k in range(n):
                order = (True, False) if k % 2 else (False, True)
                t = {}
                for on in order:
                    switch(on)
                    t[on] = _timed(fn, read and on)
                diffs.append(t[True] - t[False])
            switch(True)
            row.append(statistics.median(diffs) * 1e6)
        print(f"{name:30} {row[0]:19.1f} us {row[1]:17.1f} us")
    EcoLogits.shutdown()


if __name__ == "__main__":
    main()
