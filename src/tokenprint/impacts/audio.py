"""Impacts of speech-to-text and text-to-speech requests: pure functions, no SDK, no files.

Both are token work for a transformer (``docs/methodology.md``, "Speech"), costed by
:mod:`tokenprint.impacts.llm` on the same hardware, site and electricity layers:

* **speech-to-text**: the audio is prefilled as audio tokens, the transcript decoded as text
  tokens. An encoder-decoder (Whisper) runs its encoder over fixed 30-second windows of 1,500
  frames each and its decoder over the text; each term is scaled by the share of the
  parameters that does that work. A decoder-only model (gpt-4o-transcribe) reads audio tokens
  like any input.
* **text-to-speech**: the text is prefilled, the speech decoded as audio tokens, a fixed
  number per second of speech; without a count from the API the seconds follow from the
  text at a speaking rate.

Undisclosed rates and speaking rates travel as Ranges; the result is monotone in each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from tokenprint.impacts.llm import terms
from tokenprint.impacts.profiles import ModelSpec
from tokenprint.impacts.ranges import Range, Value, hi, lo

__all__ = [
    "CHARS_PER_TOKEN",
    "GENERIC_INPUT_RATE",
    "GENERIC_OUTPUT_RATE",
    "SPEECH_CHARS_PER_SECOND",
    "AudioSpec",
    "audio_tokens",
    "speech_terms",
    "transcription_terms",
]

Terms = tuple[float, ...]
Note = tuple[str, str]

# Characters per text token: the library's rule for text it counts itself (read.py), so that
# an input estimated from characters converts back to the characters it came from.
CHARS_PER_TOKEN = 4.0
# Speaking rate of read English: 150-160 words per minute in conversation (Yuan, Liberman and
# Cieri 2006, "Towards an integrated understanding of speaking rate in conversation",
# Interspeech), about 5.7 characters per word with its space: 14-15 characters per second;
# 12-18 spans slower and faster voices and the `speed` setting's default.
SPEECH_CHARS_PER_SECOND = Range(12.0, 18.0)
# Audio tokens per second of a model without its own row: OpenAI bills realtime audio at one
# token per 100 ms of the user's speech and one per 50 ms of the model's (realtime cost
# guide); neural codecs run at 12.5-75 frames per second (Mimi, EnCodec): our ranges.
GENERIC_INPUT_RATE = Range(10.0, 25.0)
GENERIC_OUTPUT_RATE = Range(20.0, 75.0)
_RATE = f"{lo(SPEECH_CHARS_PER_SECOND):g}-{hi(SPEECH_CHARS_PER_SECOND):g}"


class AudioSpec(NamedTuple):
    """What a speech model contributes to its impacts (built by the catalogue)."""

    name: str
    model: ModelSpec
    encoder_params: float = 0.0
    """Billions of parameters of the audio encoder of an encoder-decoder; 0 for a
    decoder-only model (all parameters see every token)."""
    input_rate: Value = GENERIC_INPUT_RATE
    """Audio tokens (or encoder frames) per second of input audio."""
    output_rate: Value = GENERIC_OUTPUT_RATE
    """Audio tokens per second of output speech."""
    window_seconds: float = 0.0
    """Fixed input window the encoder always processes in full (Whisper: 30 s); 0 = none."""


def _spoken_seconds(text_tokens: float) -> Value:
    return text_tokens * CHARS_PER_TOKEN / SPEECH_CHARS_PER_SECOND


def audio_tokens(spec: AudioSpec, seconds: float) -> Value:
    """Audio tokens the model reads for ``seconds`` of audio (whole windows for Whisper)."""
    if spec.window_seconds > 0:
        seconds = max(math.ceil(seconds / spec.window_seconds), 1) * spec.window_seconds
    return spec.input_rate * seconds


def transcription_terms(
    spec: AudioSpec, input_tokens: int, output_tokens: int, seconds: float | None
) -> tuple[Callable[[float], Terms], Value, tuple[Note, ...]]:
    """How to weigh the terms (:func:`~tokenprint.impacts.llm.terms`) of a transcription as
    a function of its audio tokens, and their count: ``input_tokens`` when the API counted
    them, else the audio tokens of ``seconds``, else of the seconds it takes to say the
    transcript's ``output_tokens``."""
    notes: tuple[Note, ...] = ()
    audio: Value
    if input_tokens > 0:
        audio = float(input_tokens)
    elif seconds is not None:
        audio = audio_tokens(spec, seconds)
    else:
        said = _spoken_seconds(output_tokens)
        audio = Range(lo(audio_tokens(spec, lo(said))), hi(audio_tokens(spec, hi(said))))
        notes = (
            (
                "audio-duration-estimated",
                "the answer gave no audio duration: estimated from the transcript at "
                f"{_RATE} characters per second of speech",
            ),
        )
    enc = min(spec.encoder_params / lo(spec.model.total_params), 1.0)
    window = spec.window_seconds * lo(spec.input_rate)

    def at(n: float) -> Terms:
        if not enc:
            return terms(output_tokens, n)
        # Whisper transcribes window by window: the decoder writes each window's share of
        # the transcript attending to that window's frames only, and the encoder's
        # (bidirectional) attention stays within each window
        k = max(n / window, 1.0)
        w = terms(output_tokens / k, min(n, window))
        dec = 1.0 - enc  # the decoder's layers decode and cross-attend to the audio
        attention = n * min(n, window)
        return (output_tokens * dec, w[1] * k * dec, n * enc, attention * enc, 0.0)

    return at, audio, notes


def speech_terms(
    spec: AudioSpec, input_tokens: int, output_tokens: int
) -> tuple[Callable[[float], Terms], Value, tuple[Note, ...]]:
    """How to weigh the terms of speaking ``input_tokens`` of text as a function of its
    audio tokens, and their count: the API's ``output_tokens`` when given, else the audio
    tokens of the seconds the text takes to say."""

    def at(n: float) -> Terms:
        return terms(n, input_tokens)

    if output_tokens > 0:
        return at, float(output_tokens), ()
    note = (
        "audio-tokens-estimated",
        f"the answer reported no audio tokens: estimated from the text at {_RATE} characters "
        "per second of speech and the model's audio tokens per second",
    )
    return at, spec.output_rate * _spoken_seconds(input_tokens), (note,)
