"""OpenAI adapter for audio and video: ``audio.transcriptions.create``,
``audio.translations.create``, ``audio.speech.create``, ``videos.create`` and
``videos.create_and_poll`` (sync and async).

Transcriptions report ``usage`` in tokens (gpt-4o-transcribe: audio tokens in, text tokens
out) or in seconds of audio (whisper-1); an answer without usage gives its ``duration``
(``verbose_json``), else the duration of a WAV upload, else nothing (the impact model then
estimates it from the transcript). A ``text``/``srt``/``vtt`` answer is a ``str``: it cannot
carry ``.impacts``, but the request is counted (trackers, budgets, exporters). Speech answers
are audio bytes: the binary response object carries the impacts; its text is the request's
``input``. A video job is accounted when it is created, for the seconds and size it asks for.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from tokenprint.instrument.contract import Accumulator, Builder, Call, Request, Target
from tokenprint.instrument.providers.openai import both, where
from tokenprint.instrument.read import (
    ESTIMATED_INPUT,
    ESTIMATED_OUTPUT,
    USAGE_INVALID,
    chars_to_tokens,
    field,
    is_count,
    text_tokens,
    usage_for,
    wav_seconds,
)
from tokenprint.records import Usage

__all__ = ["TARGETS"]

_DEFAULT_VIDEO_MODEL = "sora-2"
_DEFAULT_VIDEO_SECONDS = "4"
"""What the Videos API uses when the request names no model or length (its defaults)."""


def _seconds(v: Any) -> float | None:
    """A duration in seconds (a number or a numeric string, as ``Video.seconds``), else None."""
    try:
        s = float(v) if isinstance(v, (int, float, str)) and not isinstance(v, bool) else None
    except ValueError:
        return None
    return s if s is not None and math.isfinite(s) and 0.0 <= s <= 1e7 else None


def _transcript(call: Call, u: Any, chars: int, duration: Any) -> Usage:
    """Counted tokens; else the audio's seconds (usage, ``duration``, a WAV upload) and the
    transcript's text (the impact model estimates what is missing)."""
    tokens = (field(u, "input_tokens"), field(u, "output_tokens"))
    if is_count(tokens[0]) and is_count(tokens[1]):
        return usage_for(call, None, input_tokens=tokens[0], output_tokens=tokens[1],
                         modality="speech-to-text")  # fmt: skip
    said = (
        (ESTIMATED_OUTPUT, USAGE_INVALID) if field(u, "type") == "tokens" else (ESTIMATED_OUTPUT,)
    )
    seconds = _seconds(field(u, "seconds")) or _seconds(duration) or wav_seconds(call.get("file"))
    return usage_for(call, None, output_tokens=chars_to_tokens(chars), seconds=seconds,
                     modality="speech-to-text", warnings=said)  # fmt: skip


def transcript_usage(call: Call, resp: Any) -> Builder | None:
    """A ``Transcription``/``Translation`` (verbose or not), or the ``str`` of a text format."""
    if isinstance(resp, str):
        return partial(_transcript, call, None, len(resp), None)
    text = getattr(resp, "text", None)
    if not isinstance(text, str):
        return None
    return partial(_transcript, call, getattr(resp, "usage", None), len(text),
                   getattr(resp, "duration", None))  # fmt: skip


class TranscriptStream(Accumulator):
    """``stream=True`` (gpt-4o-transcribe): ``transcript.text.delta`` events, then a
    ``transcript.text.done`` event with the usage."""

    __slots__ = ("chars", "u")

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.chars = 0
        self.u: Any = None

    def add(self, event: Any) -> bool:
        delta = getattr(event, "delta", None)
        self.chars += len(delta) if isinstance(delta, str) else 0
        if getattr(event, "type", None) == "transcript.text.done":
            self.u = getattr(event, "usage", None)
            return True
        return False

    def usage(self) -> Usage:
        return _transcript(self.call, self.u, self.chars, None)


def _speech(call: Call) -> Usage:
    tokens = text_tokens(call.get("input"))
    return usage_for(call, None, input_tokens=tokens, modality="text-to-speech",
                     warnings=(ESTIMATED_INPUT,))  # fmt: skip


def speech_usage(call: Call, resp: Any) -> Builder | None:
    """The binary response (``HttpxBinaryResponseContent``, or the streamed response of
    ``with_streaming_response``): no usage, the request's text is what was spoken."""
    return None if resp is None else partial(_speech, call)


def _video(call: Call, model: Any, seconds: Any, size: Any) -> Usage:
    size = size if isinstance(size, str) else call.get("size")
    seconds = _seconds(seconds or call.get("seconds") or _DEFAULT_VIDEO_SECONDS)
    model = model or call.get("model") or _DEFAULT_VIDEO_MODEL
    return usage_for(call, model, images=1, modality="video", seconds=seconds,
                     image_size=size if isinstance(size, str) else None)  # fmt: skip


def video_usage(call: Call, resp: Any) -> Builder | None:
    """A ``Video`` job: its model, seconds and size (the answer's, else the request's)."""
    if not hasattr(resp, "seconds") or not hasattr(resp, "size"):
        return None
    return partial(_video, call, getattr(resp, "model", None), resp.seconds, resp.size)


TRANSCRIPTION = Request(where, text=("prompt",), modality="speech-to-text")
SPEECH = Request(where, text=("input", "instructions"), modality="text-to-speech")
VIDEO = Request(where, text=("prompt",), modality="video", default_model=_DEFAULT_VIDEO_MODEL)


_AUDIO = "openai.resources.audio."
_VIDEOS = "openai.resources.videos"
TARGETS: list[Target] = [
    *both(_AUDIO + "transcriptions", "Transcriptions", "create", "audio.transcriptions.create",
          TranscriptStream, transcript_usage, TRANSCRIPTION),
    *both(_AUDIO + "translations", "Translations", "create", "audio.translations.create", None,
          transcript_usage, TRANSCRIPTION),
    *both(_AUDIO + "speech", "Speech", "create", "audio.speech.create", None, speech_usage,
          SPEECH),
    *both(_VIDEOS, "Videos", "create", "videos.create", None, video_usage, VIDEO),
    *both(_VIDEOS, "Videos", "create_and_poll", "videos.create_and_poll", None, video_usage,
          VIDEO),
]  # fmt: skip
