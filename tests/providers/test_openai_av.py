"""OpenAI audio and video: the real openai client against a mock transport answering like
the service (multipart uploads in, JSON, plain text or audio bytes out)."""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Callable
from typing import Any

import pytest

openai = pytest.importorskip("openai")
httpx2 = pytest.importorskip("httpx2")

from tests.providers.test_openai_media import _ok  # noqa: E402
from tests.support.cassettes import records  # noqa: E402
from tokenprint import EcoLogits  # noqa: E402
from tokenprint.impacts.results import Impacts  # noqa: E402

# the SDK deprecates translations and the Sora API; the calls still go through it
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

Handler = Callable[[Any], Any]
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" * 64
TRANSCRIPT = "The quick brown fox jumps over the lazy dog, again and again."


def _wav(seconds: float, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return buf.getvalue()


def _json(body: Any, status: int = 200) -> Handler:
    def answer(request: Any) -> Any:
        answer.requests.append(request)  # type: ignore[attr-defined]
        if isinstance(body, str):
            return httpx2.Response(status, text=body, headers={"content-type": "text/plain"})
        return httpx2.Response(status, json=body)

    answer.requests = []  # type: ignore[attr-defined]
    return answer


def _client(handler: Handler, aio: bool = False) -> Any:
    EcoLogits.init(providers=["openai"])
    if aio:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
        return openai.AsyncOpenAI(api_key="sk-test", max_retries=0, http_client=http)
    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return openai.OpenAI(api_key="sk-test", max_retries=0, http_client=http)


def _best(resp: Any) -> float:
    """The best estimate of an answer's energy, kWh."""
    return float(resp.impacts.energy.value.central)


def _codes(impacts: Impacts) -> set[str]:
    return {w.code for w in impacts.warnings}


TOKENS = {
    "text": TRANSCRIPT,
    "usage": {
        "type": "tokens",
        "input_tokens": 140,
        "input_token_details": {"audio_tokens": 140, "text_tokens": 0},
        "output_tokens": 16,
        "total_tokens": 156,
    },
}


# -- transcriptions and translations ---------------------------------------------------------
def test_gpt_4o_transcribe_counts_the_audio_tokens_it_reports() -> None:
    handler = _json(TOKENS)
    client = _client(handler)
    with records() as recs:
        resp = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.mp3", MP3))
    b = _ok(resp.impacts).basis
    assert (b.model, b.modality, b.input_tokens, b.output_tokens) == (
        "gpt-4o-transcribe",
        "speech-to-text",
        140,
        16,
    )
    assert recs.usage.endpoint == "audio.transcriptions.create"
    assert type(resp) is openai.types.audio.Transcription
    request = handler.requests[0]  # type: ignore[attr-defined]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert MP3 in request.read()


def test_whisper_duration_usage_sets_the_seconds_and_estimates_the_text() -> None:
    body = {"text": TRANSCRIPT, "usage": {"type": "duration", "seconds": 95}}
    client = _client(_json(body))
    with records() as recs:
        resp = client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", MP3))
    impacts = _ok(resp.impacts)
    assert recs.usage.seconds == impacts.basis.seconds == 95.0
    assert recs.usage.output_tokens == (len(TRANSCRIPT) + 3) // 4
    assert "output-tokens-estimated" in _codes(impacts)
    assert "audio-duration-estimated" not in _codes(impacts)


def test_four_windows_of_audio_cost_more_than_one() -> None:
    client = _client(_json({"text": TRANSCRIPT, "usage": {"type": "duration", "seconds": 95}}))
    long = client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", MP3))
    client = _client(_json({"text": TRANSCRIPT, "usage": {"type": "duration", "seconds": 5}}))
    short = client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", MP3))
    assert _best(long) > 3 * _best(short)


def test_verbose_json_without_usage_reads_its_duration() -> None:
    body = {"task": "transcribe", "language": "english", "duration": 42.5, "text": TRANSCRIPT}
    client = _client(_json(body))
    with records() as recs:
        resp = client.audio.transcriptions.create(
            model="whisper-1", file=("a.mp3", MP3), response_format="verbose_json"
        )
    assert type(resp) is openai.types.audio.TranscriptionVerbose
    _ok(resp.impacts)
    assert recs.usage.seconds == 42.5


def test_an_answer_without_usage_reads_a_wav_upload_duration() -> None:
    client = _client(_json({"text": TRANSCRIPT}))
    with records() as recs:
        resp = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav(3.0)))
    _ok(resp.impacts)
    assert recs.usage.seconds == pytest.approx(3.0)


def test_an_opened_wav_file_is_measured_from_its_path(tmp_path: Any) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(_wav(4.0))
    client = _client(_json({"text": TRANSCRIPT}))
    with records() as recs, path.open("rb") as f:
        client.audio.transcriptions.create(model="whisper-1", file=f)
        assert f.tell() == len(_wav(4.0))  # the upload read it; tokenprint did not move it
    assert recs.usage.seconds == pytest.approx(4.0)


def test_an_answer_without_usage_or_duration_is_estimated_from_the_transcript() -> None:
    client = _client(_json({"text": TRANSCRIPT}))
    resp = client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", MP3))
    assert {"output-tokens-estimated", "audio-duration-estimated"} <= _codes(_ok(resp.impacts))


def test_malformed_token_usage_is_estimated_with_a_warning() -> None:
    body = {"text": TRANSCRIPT, "usage": {"type": "tokens", "input_tokens": "many"}}
    client = _client(_json(body))
    with records() as recs:
        resp = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.mp3", MP3))
    assert {"usage-invalid", "audio-duration-estimated"} <= _codes(_ok(resp.impacts))
    assert recs.usage.output_tokens > 0


def test_a_text_format_answer_is_a_str_and_still_counted() -> None:
    client = _client(_json(TRANSCRIPT + "\n"))
    with records() as recs:
        resp = client.audio.transcriptions.create(
            model="whisper-1", file=("a.wav", _wav(2.0)), response_format="text"
        )
    assert isinstance(resp, str) and resp.startswith("The quick")
    (record,) = recs
    _ok(record.impacts)
    assert record.usage.modality == "speech-to-text"
    assert record.usage.seconds == pytest.approx(2.0)


def test_translations_are_counted() -> None:
    client = _client(_json({"text": TRANSCRIPT}))
    with records() as recs:
        resp = client.audio.translations.create(model="whisper-1", file=("a.wav", _wav(1.0)))
    _ok(resp.impacts)
    assert recs.usage.endpoint == "audio.translations.create"


async def test_async_transcription_carries_impacts() -> None:
    client = _client(_json(TOKENS), aio=True)
    resp = await client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a", MP3))
    assert _ok(resp.impacts).basis.input_tokens == 140


def _sse(events: list[dict[str, Any]]) -> Handler:
    data = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)

    def answer(request: Any) -> Any:
        return httpx2.Response(200, content=data, headers={"content-type": "text/event-stream"})

    return answer


def test_a_streamed_transcription_counts_the_done_event_usage() -> None:
    usage = TOKENS["usage"]
    client = _client(
        _sse(
            [
                {"type": "transcript.text.delta", "delta": "The quick"},
                {"type": "transcript.text.delta", "delta": " brown fox"},
                {"type": "transcript.text.done", "text": "The quick brown fox", "usage": usage},
            ]
        )
    )
    with records() as recs:
        stream = client.audio.transcriptions.create(
            model="gpt-4o-transcribe", file=("a.mp3", MP3), stream=True
        )
        events = list(stream)
    assert _ok(events[-1].impacts).basis.input_tokens == 140
    assert recs.usage.output_tokens == 16


def test_sdk_errors_pass_through_unchanged() -> None:
    client = _client(_json({"error": {"message": "bad audio", "type": "invalid_request"}}, 400))
    with records() as recs, pytest.raises(openai.BadRequestError, match="bad audio"):
        client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", MP3))
    assert list(recs) == []


# -- speech ----------------------------------------------------------------------------------
def _audio(request: Any) -> Any:
    return httpx2.Response(200, content=MP3, headers={"content-type": "audio/mpeg"})


@pytest.mark.parametrize("model", ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"])
def test_speech_binary_response_carries_impacts(model: str) -> None:
    client = _client(_audio)
    with records() as recs:
        resp = client.audio.speech.create(model=model, voice="alloy", input="Hello world! " * 20)
    assert resp.content == MP3
    impacts = _ok(resp.impacts)
    assert impacts.basis.modality == "text-to-speech"
    assert {"input-tokens-estimated", "audio-tokens-estimated"} <= _codes(impacts)
    assert recs.usage.input_tokens == 65


def test_longer_text_costs_more_speech() -> None:
    client = _client(_audio)
    short = client.audio.speech.create(model="tts-1", voice="alloy", input="Hi.")
    long = client.audio.speech.create(model="tts-1", voice="alloy", input="Hi. " * 500)
    assert _best(long) > 100 * _best(short)


def test_streamed_speech_response_carries_impacts() -> None:
    client = _client(_audio)
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input="Hello"
    ) as resp:
        data = b"".join(resp.iter_bytes())
    assert data == MP3
    assert _ok(resp.impacts).basis.model == "tts-1"


async def test_async_speech_carries_impacts() -> None:
    client = _client(_audio, aio=True)
    resp = await client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="Hi")
    assert _ok(resp.impacts).basis.modality == "text-to-speech"


# -- video -----------------------------------------------------------------------------------
def _video(seconds: str = "8", size: str = "1280x720", status: str = "queued") -> dict[str, Any]:
    return {
        "id": "video_123",
        "object": "video",
        "model": "sora-2",
        "status": status,
        "progress": 0 if status == "queued" else 100,
        "created_at": 1760000000,
        "seconds": seconds,
        "size": size,
    }


def test_video_create_is_accounted_for_the_requested_clip() -> None:
    client = _client(_json(_video()))
    with records() as recs:
        resp = client.videos.create(model="sora-2", prompt="a fox", seconds="8", size="1280x720")
    impacts = _ok(resp.impacts)
    assert (impacts.basis.model, impacts.basis.modality) == ("sora-2", "video")
    assert (recs.usage.seconds, recs.usage.image_size) == (8.0, "1280x720")
    assert resp.status == "queued"


def test_a_longer_video_costs_more() -> None:
    short = _client(_json(_video("4"))).videos.create(prompt="a fox", seconds="4")
    long = _client(_json(_video("12"))).videos.create(prompt="a fox", seconds="12")
    assert _best(long) > 2 * _best(short)


def test_create_and_poll_is_counted_once() -> None:
    answers = iter([_video(), _video(status="completed")])

    def answer(request: Any) -> Any:
        return httpx2.Response(200, json=next(answers))

    client = _client(answer)
    with records() as recs:
        resp = client.videos.create_and_poll(prompt="a fox", poll_interval_ms=1)
    assert resp.status == "completed"
    assert _ok(resp.impacts).basis.model == "sora-2"
    assert recs.usage.endpoint == "videos.create_and_poll"


async def test_async_video_create_carries_impacts() -> None:
    client = _client(_json(_video("4", "720x1280")), aio=True)
    resp = await client.videos.create(prompt="a fox")
    assert _ok(resp.impacts).basis.modality == "video"


def test_a_video_without_a_model_is_the_apis_default() -> None:
    body = {k: v for k, v in _video().items() if k != "model"}
    resp = _client(_json(body)).videos.create(prompt="a fox")
    assert _ok(resp.impacts).basis.model == "sora-2"
