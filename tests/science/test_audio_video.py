"""The speech and video models (docs/methodology.md, "Speech" and "Video generation"):
token counts worked out by hand, the catalogue rows, and a video estimate against ML.ENERGY's
measurement of an open video model."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from tests.support.profiles import ACC, MIX, POINT_SITE, SERVER
from tokenprint import register_model
from tokenprint.catalog import audio, hardware, images, models
from tokenprint.estimator import Estimator
from tokenprint.impacts.audio import (
    SPEECH_CHARS_PER_SECOND,
    AudioSpec,
    audio_tokens,
    speech_terms,
    transcription_terms,
)
from tokenprint.impacts.image import (
    VIDEO_SECONDS,
    ImageSpec,
    image_coefficients,
    image_request,
    video_tokens,
)
from tokenprint.impacts.llm import coefficients, request, spread, terms
from tokenprint.impacts.profiles import ModelSpec
from tokenprint.impacts.ranges import Range, hi, lo
from tokenprint.records import Usage

ROOT = Path(__file__).resolve().parents[2]
WHISPER = AudioSpec("w", ModelSpec("w", 1.55, 1.55), 0.635, 50.0, window_seconds=30.0)
DECODER = AudioSpec("d", ModelSpec("d", 8.0, 8.0), input_rate=10.0, output_rate=20.0)


def _acc(name: str) -> object:
    return ACC


# -- speech-to-text --------------------------------------------------------------------------
def test_whisper_reads_whole_30_second_windows_of_1500_frames() -> None:
    assert audio_tokens(WHISPER, 1.0) == 1500.0
    assert audio_tokens(WHISPER, 30.0) == 1500.0
    assert audio_tokens(WHISPER, 30.5) == 3000.0
    assert audio_tokens(WHISPER, 0.0) == 1500.0  # one padded window at least
    assert audio_tokens(DECODER, 12.0) == 120.0  # no window: 10 tokens a second


def test_encoder_decoder_terms_are_scaled_by_the_parameters_doing_the_work() -> None:
    at, audio_in, notes = transcription_terms(WHISPER, 0, 40, 45.0)
    assert (audio_in, notes) == (3000.0, ())
    enc = 0.635 / 1.55
    # two windows, each decoding half the transcript against its own 1,500 frames; the
    # encoder attends within each window, both ways
    per_window = 20 * (1500.0 + 20 / 2)
    assert at(3000.0) == pytest.approx(
        (40 * (1 - enc), 2 * per_window * (1 - enc), 3000.0 * enc, 3000.0 * 1500.0 * enc, 0.0)
    )


def test_whisper_energy_grows_in_step_with_the_audio() -> None:
    # windows are independent: an hour costs about what 120 half-minutes cost
    e = Estimator()

    def per_second(seconds: float) -> float:
        words = seconds * 2.5  # about 150 words a minute, ~1.3 tokens each
        u = Usage("openai", "whisper-1", 0, round(words * 1.3), modality="speech-to-text",
                  seconds=seconds)  # fmt: skip
        energy = e.compute(u).energy
        assert energy is not None
        return float(energy.central) / seconds

    assert per_second(3600.0) == pytest.approx(per_second(30.0), rel=0.5)


def test_counted_audio_tokens_are_prefilled_like_any_input() -> None:
    at, audio_in, notes = transcription_terms(DECODER, 140, 16, None)
    assert (audio_in, notes) == (140.0, ())
    assert at(140.0) == terms(16, 140.0)


def test_without_a_duration_the_seconds_follow_from_the_transcript() -> None:
    _, audio_in, notes = transcription_terms(DECODER, 0, 150, None)
    seconds = 150 * 4 / SPEECH_CHARS_PER_SECOND  # 600 characters
    assert audio_in == Range(lo(seconds) * 10, hi(seconds) * 10)
    assert [code for code, _ in notes] == ["audio-duration-estimated"]


# -- text-to-speech --------------------------------------------------------------------------
def test_speech_audio_tokens_follow_the_speaking_rate() -> None:
    at, audio_out, notes = speech_terms(DECODER, 30, 0)
    # 30 text tokens = 120 characters = 6.7-10 s of speech = 133-200 audio tokens at 20/s
    assert (lo(audio_out), hi(audio_out)) == pytest.approx((120 / 18 * 20, 120 / 12 * 20))
    assert at(150.0) == terms(150.0, 30)
    assert [code for code, _ in notes] == ["audio-tokens-estimated"]
    assert speech_terms(DECODER, 30, 500)[1:] == (500.0, ())


def test_a_count_known_as_a_range_spreads_the_interval_over_its_ends() -> None:
    spec = ModelSpec("m", 8.0, 8.0)
    c = coefficients(spec, _acc, SERVER, POINT_SITE, MIX)  # type: ignore[arg-type]
    low, mid, high = spread(c, lambda n: terms(n, 30), Range(100.0, 400.0))
    assert low == request(c, terms(100.0, 30))[0]
    assert mid == request(c, terms(200.0, 30))[1]
    assert high == request(c, terms(400.0, 30))[2]


# -- video -----------------------------------------------------------------------------------
WAN = ImageSpec(
    "Wan-AI/Wan2.1-T2V-14B-Diffusers",
    "diffusion",
    ModelSpec("wan", 14.288, 14.288),
    steps=50.0,
    guidance_passes=2.0,
    fps=16.0,
    frames_per_latent=4.0,
)


def test_video_tokens_are_latent_frames_times_patches_times_steps_and_passes() -> None:
    # Wan 2.1's default clip: 81 frames at 16 fps, 832x480 -> 21 latent frames of 52 x 30
    tokens, sequence, notes = video_tokens(WAN, 1, "832x480", 81 / 16)
    assert sequence == 21 * 52 * 30 == 32_760
    assert tokens == 50 * 2 * 32_760
    assert notes == ()
    tokens2, _, _ = video_tokens(WAN, 2, "832x480", 81 / 16)
    assert tokens2 == 2 * tokens


def test_an_unknown_video_length_spans_the_offered_lengths() -> None:
    tokens, _, notes = video_tokens(WAN, 1, "832x480", None)
    assert isinstance(tokens, Range)
    assert lo(tokens) == video_tokens(WAN, 1, "832x480", lo(VIDEO_SECONDS))[0]
    assert [code for code, _ in notes] == ["video-duration-unknown"]


def _measured_wan_14b_b200() -> float:
    """ML.ENERGY v3: GPU energy of one Wan 2.1 14B clip on one B200, batch 1 (J)."""
    with (ROOT / "data" / "mlenergy_diffusion.csv").open() as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for r in rows:
            if r["model_id"] == WAN.name and (r["gpu"], r["num_gpus"], r["batch_size"]) == (
                "B200",
                "1",
                "1",
            ):
                return float(r["energy_per_output_j"])
    raise AssertionError("no measurement")


def test_a_measured_open_video_model_lies_within_the_interval() -> None:
    tokens, sequence, _ = video_tokens(WAN, 1, "832x480", 81 / 16)
    site = POINT_SITE._replace(accelerator="B200", pue=1.0, wue=0.0)
    server = SERVER._replace(power_w=0.0)  # GPU energy alone, as measured
    c = image_coefficients(WAN, hardware.get_accelerator, server, site, MIX)
    low, mid, high = (v[0] * 3.6e6 for v in image_request(c, WAN, tokens, 0.0, sequence))
    measured = _measured_wan_14b_b200()
    assert low < measured < high
    assert measured / 3 < mid < measured * 3


# -- catalogue -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "modality"),
    [
        ("whisper-1", "speech-to-text"),
        ("gpt-4o-transcribe", "speech-to-text"),
        ("gpt-4o-mini-transcribe", "speech-to-text"),
        ("tts-1", "text-to-speech"),
        ("tts-1-hd", "text-to-speech"),
        ("gpt-4o-mini-tts", "text-to-speech"),
    ],
)
def test_speech_models_resolve_with_their_rows(name: str, modality: str) -> None:
    rec = models.resolve(name).record
    assert rec is not None and (rec.name, rec.modality) == (name, modality)
    assert any(s.startswith("https://") for s in rec.sources)
    spec = audio.spec_for(rec)
    assert spec.name == name and lo(spec.input_rate) > 0 and lo(spec.output_rate) > 0
    assert Estimator().compute(Usage("openai", name, 100, 50, modality=modality)).errors == []


def test_whisper_1_is_an_encoder_decoder_with_30_second_windows() -> None:
    rec = models.resolve("whisper-1").record
    assert rec is not None
    spec = audio.spec_for(rec)
    assert (spec.encoder_params, spec.input_rate, spec.window_seconds) == (0.635, 50.0, 30.0)


@pytest.mark.parametrize("name", ["sora-2", "sora-2-pro"])
def test_video_models_resolve_with_their_rows(name: str) -> None:
    res = images.resolve(name)
    assert res.record is not None and res.record.modality == "video"
    spec = images.spec_for(res.record)
    assert (spec.frames_per_latent, lo(spec.fps), hi(spec.fps)) == (4.0, 24.0, 30.0)
    assert models.resolve(name).record is None  # not a text model


def test_a_registered_speech_or_video_model_uses_generic_assumptions() -> None:
    register_model("my-asr", total_params=1.0, modality="speech-to-text")
    register_model("my-video", total_params=5.0, modality="video")
    asr = Estimator().compute(Usage(None, "my-asr", 0, 20, modality="speech-to-text", seconds=9))
    video = Estimator().compute(Usage(None, "my-video", modality="video", seconds=4.0))
    assert asr.errors == [] and video.errors == []
    rec = images.resolve("my-video").record
    assert rec is not None and hi(images.spec_for(rec).fps) == 30.0


def test_energy_grows_with_audio_text_and_video_length() -> None:
    e = Estimator()

    def kwh(u: Usage) -> float:
        energy = e.compute(u).energy
        assert energy is not None
        return float(energy.central)

    stt = [Usage("openai", "whisper-1", 0, 50, modality="speech-to-text", seconds=s)
           for s in (10.0, 100.0, 1000.0)]  # fmt: skip
    tts = [Usage("openai", "tts-1", n, modality="text-to-speech") for n in (10, 100, 1000)]
    video = [Usage("openai", "sora-2", modality="video", images=1, seconds=s)
             for s in (4.0, 8.0, 12.0)]  # fmt: skip
    for series in (stt, tts, video):
        values = [kwh(u) for u in series]
        assert values == sorted(values) and values[0] < values[-1]
        assert all(math.isfinite(v) and v > 0 for v in values)
