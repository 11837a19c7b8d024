"""Real SDK clients on a mock transport, for the reliability suite and the benchmarks.

:data:`PROVIDERS` is the provider matrix: every SDK with an adapter, with its client factory
and its call shapes. The fault, hostile-input, shutdown, first-read and generated-token-count
tests run every shape of every provider here (``available()``), and
``tests/reliability/test_faults.py`` fails when an adapter module has no shape here.

Each provider's wire answers are the hand-written cassettes under ``tests/cassettes/`` (the
first interaction's status, headers and body), served by an ``httpx2``/``httpx``
``MockTransport`` plugged into the SDK's own client, so the SDK parses real bytes. A
:class:`Wire` can also answer with an HTTP error, raise a timeout, or cut a stream after a
few events (a connection reset mid-stream).

A :class:`Shape` is one way of calling an SDK (sync, async, stream, async stream, helper);
:func:`run_shape` runs it and returns an :class:`Outcome`: a JSON-able snapshot of what the
user received (result, every chunk in order, or the exception), with ``impacts`` keys
removed, so an instrumented run can be compared with an uninstrumented one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vcr.serializers import yamlserializer

from tests.support import bedrock as aws

__all__ = [
    "DROP",
    "MODES",
    "PROVIDERS",
    "Outcome",
    "Provider",
    "Shape",
    "Wire",
    "adapters_without_scenarios",
    "available",
    "edit_body",
    "edit_tokens",
    "restore_globals",
    "run_shape",
    "snapshot",
]

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
MODES = ("ok", "http_400", "http_500", "timeout", "cut")
"""How a Wire answers: as recorded, an HTTP 400 or 500, a read timeout, or (streams) the
connection reset after the first events."""
CUT_AT = 0.5
"""Share of a stream's server-sent events delivered before its connection is reset."""


Answer = tuple[int, dict[str, str], bytes]


@functools.cache
def _load(sdk: str, name: str) -> dict[str, Answer]:
    """The cassette's answers by request path (the last one also under ``""``, and GET
    look-ups such as the Hub's model info also under ``"GET <path>"``)."""
    from urllib.parse import urlsplit

    data: Any = yamlserializer.deserialize((CASSETTES / sdk / f"{name}.yaml").read_text())
    out: dict[str, Answer] = {}
    for item in data["interactions"]:
        resp = item["response"]
        headers = {k: v[0] if isinstance(v, list) else v for k, v in resp["headers"].items()}
        headers.pop("content-length", None)
        headers.pop("content-encoding", None)
        body = resp["body"]["string"]
        answer = (resp["status"]["code"], headers, body.encode() if isinstance(body, str) else body)
        path = urlsplit(item["request"]["uri"]).path
        out[path] = out[""] = answer
        if item["request"]["method"].upper() == "GET":
            out["GET " + path] = answer
    return out


def _cut(http: Any, events: list[bytes], error: Callable[[], Exception]) -> Any:
    """A response body that yields the first events, then fails like a reset connection."""

    class Cut(http.SyncByteStream, http.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __iter__(self) -> Iterator[bytes]:
            yield from events
            raise error()

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for e in events:
                yield e
            raise error()

    return Cut()


class Wire:
    """A mock transport serving one cassette answer; ``mode`` picks a failure instead.

    ``http`` is the module of the SDK's HTTP client (``httpx2`` or ``httpx``)."""

    def __init__(self, http: Any, sdk: str, name: str, mode: str = "ok") -> None:
        self.http = http
        self.answers = _load(sdk, name)
        self.mode = mode
        self.requests = 0

    def _answer(self, request: Any) -> Any:
        self.requests += 1
        http = self.http
        status, headers, body = self.answers.get(request.url.path) or self.answers[""]
        if request.method == "GET" and "GET " + request.url.path in self.answers:
            # a metadata look-up before the call: the failure modes hit the call itself
            return http.Response(status, headers=headers, content=body, request=request)
        if self.mode == "timeout":
            raise http.ReadTimeout("timed out (mock)", request=request)
        if self.mode in ("http_400", "http_500"):
            code = 400 if self.mode == "http_400" else 500
            err: dict[str, Any] = {"message": f"mock {code}"}
            err["error"] = {"message": f"mock {code}", "type": "invalid_request_error"}
            return http.Response(code, json=err, request=request)
        if self.mode == "cut":
            sep = b"\n\n" if b"\n\n" in body else b"\n"  # server-sent events, else NDJSON
            events = [e + sep for e in body.split(sep) if e.strip()]

            def reset() -> Exception:
                exc: Exception = http.RemoteProtocolError(
                    "connection reset (mock)", request=request
                )
                return exc

            sent = events[: max(1, int(len(events) * CUT_AT))]
            stream = _cut(http, sent, reset)
            return http.Response(status, headers=headers, stream=stream, request=request)
        return http.Response(status, headers=headers, content=body, request=request)

    def transport(self) -> Any:
        return self.http.MockTransport(self._answer)

    def async_transport(self) -> Any:
        async def answer(request: Any) -> Any:
            return self._answer(request)

        return self.http.MockTransport(answer)


# --------------------------------------------------------------------------------------------
# snapshots
# --------------------------------------------------------------------------------------------
_VOLATILE = frozenset({"impacts", "created"})
"""Keys left out of snapshots: ours, and LiteLLM's stream chunks' ``created`` (the clock)."""
_TOOK = re.compile(r"time taken=[0-9.]+ seconds")
"""LiteLLM's timeout messages carry the elapsed time."""


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def snapshot(obj: Any) -> Any:
    """What the user sees of an SDK object, JSON-able, without any ``impacts``."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return {"type": type(obj).__qualname__, "data": _strip(dump(mode="json"))}
    tolist = getattr(obj, "tolist", None)  # numpy arrays
    if callable(tolist):
        return {"type": type(obj).__qualname__, "data": tolist()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"type": type(obj).__qualname__, "data": _strip(dataclasses.asdict(obj))}
    if isinstance(obj, (list, tuple)):
        return [snapshot(x) for x in obj]
    return {"type": type(obj).__qualname__}


@dataclass
class Outcome:
    """What one call handed the user."""

    chunks: list[Any] = field(default_factory=list)
    result: Any = None
    error: tuple[str, str] | None = None
    impacts: Any = None
    """The Impacts object found on the result (or the stream), if any."""

    def as_json(self) -> dict[str, Any]:
        return {"chunks": self.chunks, "result": self.result, "error": self.error}


class Shape:
    """One way of calling an SDK: ``run(client, chunks) -> (value, carrier)`` appends every
    streamed chunk (snapshot) to ``chunks`` and returns the value to snapshot and the object
    expected to carry ``impacts``. Async shapes return a coroutine. The chat shapes
    (``sync``, ``async``, ``stream``, ``async_stream``) also take ``chunks=None``: the stream
    is iterated and nothing is kept (benchmarks)."""

    def __init__(
        self,
        name: str,
        wire: str,
        run: Callable[..., Any],
        *,
        stream: bool,
        aio: bool,
        adapter: str = "",
    ) -> None:
        self.name = name
        self.wire = wire
        """Cassette name in the provider's folder, or ``folder/name``."""
        self.run = run
        self.stream = stream
        self.aio = aio
        self.adapter = adapter
        """Adapter module (``providers/<adapter>.py``) that instruments the shape; default:
        the provider's own name."""


@dataclass
class Provider:
    """An SDK's scenarios: the SDKS key, its HTTP module, a client factory
    ``(transport, is_async) -> client`` and the call shapes."""

    name: str
    http: str
    sdk: str
    client: Callable[[Any, bool], Any]
    shapes: dict[str, Shape]

    def wire(self, shape: Shape, mode: str = "ok") -> Wire:
        import importlib

        folder, _, name = shape.wire.rpartition("/")
        return Wire(importlib.import_module(self.http), folder or self.sdk, name, mode)

    def adapter_of(self, shape: Shape) -> str:
        return "tokenprint.instrument.providers." + (shape.adapter or self.name)

    def covered(self) -> dict[str, Shape]:
        """The shapes whose adapter module exists (adapters not written yet are left out)."""
        import importlib.util

        return {
            k: s
            for k, s in self.shapes.items()
            if importlib.util.find_spec(self.adapter_of(s)) is not None
        }

    def client_for(self, wire: Wire, aio: bool) -> Any:
        """A new client answering from ``wire``. New for every call: SDK objects built before
        ``init()`` may hold unpatched bound methods (cohere's Client wraps ``chat`` per
        instance; openai's ``with_raw_response`` is a cached property)."""
        return self.client(wire.async_transport() if aio else wire.transport(), aio)


def run_shape(
    provider: Provider,
    shape: Shape,
    mode: str = "ok",
    edit: Callable[[bytes], bytes] | None = None,
) -> Outcome:
    """Call the SDK once through ``shape`` on a fresh client and wire (its answers' bodies
    passed through ``edit``); never raises."""
    wire = provider.wire(shape, mode)
    if edit is not None:
        wire.answers = {p: (st, h, edit(b)) for p, (st, h, b) in wire.answers.items()}
    client = provider.client_for(wire, shape.aio)
    out = Outcome()
    try:
        if shape.aio:
            value, carrier = asyncio.run(shape.run(client, out.chunks))
        else:
            value, carrier = shape.run(client, out.chunks)
        out.result = snapshot(value)
        out.impacts = (carrier.get("impacts") if type(carrier) is dict  # boto3's answers
                       else getattr(carrier, "impacts", None))  # fmt: skip
    except Exception as exc:
        message = _TOOK.sub("time taken=(elapsed)", str(exc))
        out.error = (f"{type(exc).__module__}.{type(exc).__qualname__}", message)
    return out


on_chunk: Callable[[Any], None] | None = None
"""Benchmarks: called with each chunk of the chat stream shapes as it reaches the caller
(``bench_providers.py`` times the gaps between chunks, and its own work on each chunk)."""


def _drain(stream: Any, chunks: list[Any] | None) -> Any:
    """Iterate ``stream``, each chunk's snapshot appended to ``chunks``; None: only iterate
    (benchmarks: a snapshot dumps the chunk, and with it its impacts)."""
    last = None
    tick = on_chunk
    for chunk in stream:
        if tick is not None:
            tick(chunk)
        if chunks is not None:
            chunks.append(snapshot(chunk))
        last = chunk
    return last


async def _adrain(stream: Any, chunks: list[Any] | None) -> Any:
    """:func:`_drain` for an async stream."""
    last = None
    tick = on_chunk
    async for chunk in stream:
        if tick is not None:
            tick(chunk)
        if chunks is not None:
            chunks.append(snapshot(chunk))
        last = chunk
    return last


# --------------------------------------------------------------------------------------------
# openai
# --------------------------------------------------------------------------------------------
_MSG = [{"role": "user", "content": "Hello World!"}]


def _openai_client(transport: Any, aio: bool) -> Any:
    import httpx2
    import openai

    if aio:
        return openai.AsyncOpenAI(
            api_key="sk-test", max_retries=0, http_client=httpx2.AsyncClient(transport=transport)
        )
    return openai.OpenAI(
        api_key="sk-test", max_retries=0, http_client=httpx2.Client(transport=transport)
    )


_OA = {"model": "gpt-4o-mini", "messages": _MSG}


def _oa_responses(c: Any, chunks: list[Any]) -> Any:
    r = c.responses.create(model="gpt-4.1", input="Hello World!")
    return r, r


def _oa_responses_stream(c: Any, chunks: list[Any]) -> Any:
    s = c.responses.create(model="gpt-4.1", input="Hello World!", stream=True)
    _drain(s, chunks)
    return None, s


def _chat_shapes(
    model: str,
    stream_model: str,
    wire: str = "chat",
    stream_wire: str = "stream",
    stream_options: dict[str, Any] | None = None,
    adapter: str = "",
) -> dict[str, Shape]:
    """The four chat shapes of an OpenAI-shaped ``chat.completions.create``."""
    ask = {"model": model, "messages": _MSG}
    flow = {"model": stream_model, "messages": _MSG, "stream": True}
    if stream_options is not None:
        flow["stream_options"] = stream_options

    def sync(c: Any, chunks: list[Any]) -> Any:
        r = c.chat.completions.create(**ask)
        return r, r

    async def aio(c: Any, chunks: list[Any]) -> Any:
        r = await c.chat.completions.create(**ask)
        return r, r

    def stream(c: Any, chunks: list[Any]) -> Any:
        s = c.chat.completions.create(**flow)
        _drain(s, chunks)
        return None, s

    async def astream(c: Any, chunks: list[Any]) -> Any:
        s = await c.chat.completions.create(**flow)
        await _adrain(s, chunks)
        return None, s

    return {
        "sync": Shape("sync", wire, sync, stream=False, aio=False, adapter=adapter),
        "async": Shape("async", wire, aio, stream=False, aio=True, adapter=adapter),
        "stream": Shape("stream", stream_wire, stream, stream=True, aio=False, adapter=adapter),
        "async_stream": Shape(
            "async_stream", stream_wire, astream, stream=True, aio=True, adapter=adapter
        ),
    }


def _oa_helper(c: Any, chunks: list[Any]) -> Any:
    with c.chat.completions.stream(
        model="gpt-4o-mini", messages=_MSG, stream_options={"include_usage": True}
    ) as s:
        for event in s:
            chunks.append(snapshot(event))
        final = s.get_final_completion()
    return final, s


def _oa_raw(c: Any, chunks: list[Any]) -> Any:
    raw = c.chat.completions.with_raw_response.create(**_OA)
    chunks.append(raw.headers.get("x-request-id"))
    r = raw.parse()
    return r, r


_EMBED_IN = ["Hello World!", "Goodbye World!"]


def _oa_embed(c: Any, chunks: list[Any]) -> Any:
    r = c.embeddings.create(model="text-embedding-3-small", input=_EMBED_IN)
    return r, r


async def _oa_aembed(c: Any, chunks: list[Any]) -> Any:
    r = await c.embeddings.create(model="text-embedding-3-small", input=_EMBED_IN)
    return r, r


def _oa_image(c: Any, chunks: list[Any]) -> Any:
    r = c.images.generate(
        prompt="A green leaf", model="dall-e-3", n=1, quality="hd", size="1792x1024"
    )
    return r, r


def _oa_transcribe(c: Any, chunks: list[Any]) -> Any:
    r = c.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.mp3", b"ID3 audio"))
    return r, r


async def _oa_atranscribe(c: Any, chunks: list[Any]) -> Any:
    r = await c.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a", b"ID3"))
    return r, r


def _oa_speech(c: Any, chunks: list[Any]) -> Any:
    r = c.audio.speech.create(model="tts-1", voice="alloy", input="Hello World!")
    chunks.append(r.content.decode())
    return None, r


def _oa_video(c: Any, chunks: list[Any]) -> Any:
    import warnings

    with warnings.catch_warnings():  # the SDK deprecates the Sora API
        warnings.simplefilter("ignore", DeprecationWarning)
        r = c.videos.create(
            model="sora-2", prompt="A green leaf in the wind", seconds="8", size="1280x720"
        )
    return r, r


OPENAI = Provider(
    "openai", "httpx2", "openai", _openai_client,
    {
        **_chat_shapes("gpt-4o-mini", "gpt-4o-mini", "chat_completion", "chat_stream_usage",
                       {"include_usage": True}, "openai_chat"),
        "helper_stream": Shape(
            "helper_stream", "chat_stream_usage", _oa_helper, stream=True, aio=False,
            adapter="openai_chat",
        ),
        "helper_raw": Shape("helper_raw", "chat_completion", _oa_raw, stream=False, aio=False,
                            adapter="openai_chat"),
        "responses": Shape("responses", "responses_create", _oa_responses, stream=False,
                           aio=False, adapter="openai_responses"),
        "responses_stream": Shape("responses_stream", "responses_stream", _oa_responses_stream,
                                  stream=True, aio=False, adapter="openai_responses"),
        "embeddings": Shape(
            "embeddings", "media/openai_embeddings", _oa_embed, stream=False, aio=False,
            adapter="openai_media",
        ),
        "async_embeddings": Shape(
            "async_embeddings", "media/openai_embeddings", _oa_aembed, stream=False, aio=True,
            adapter="openai_media",
        ),
        "images": Shape(
            "images", "media/openai_image_dalle3", _oa_image, stream=False, aio=False,
            adapter="openai_media",
        ),
        "transcription": Shape(
            "transcription", "media/openai_transcription", _oa_transcribe, stream=False,
            aio=False, adapter="openai_av",
        ),
        "async_transcription": Shape(
            "async_transcription", "media/openai_transcription", _oa_atranscribe,
            stream=False, aio=True, adapter="openai_av",
        ),
        "speech": Shape("speech", "media/openai_speech", _oa_speech, stream=False, aio=False,
                        adapter="openai_av"),
        "video": Shape("video", "media/openai_video", _oa_video, stream=False, aio=False,
                       adapter="openai_av"),
    },
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# anthropic
# --------------------------------------------------------------------------------------------
def _anthropic_client(transport: Any, aio: bool) -> Any:
    import anthropic
    import httpx2

    if aio:
        return anthropic.AsyncAnthropic(
            api_key="sk-ant-test",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=transport),
        )
    return anthropic.Anthropic(
        api_key="sk-ant-test", max_retries=0, http_client=httpx2.Client(transport=transport)
    )


_AN = {"model": "claude-3-5-sonnet-latest", "max_tokens": 1024, "messages": _MSG}


def _an_sync(c: Any, chunks: list[Any]) -> Any:
    r = c.messages.create(**_AN)
    return r, r


async def _an_async(c: Any, chunks: list[Any]) -> Any:
    r = await c.messages.create(**_AN)
    return r, r


def _an_stream(c: Any, chunks: list[Any]) -> Any:
    s = c.messages.create(**_AN, stream=True)
    _drain(s, chunks)
    return None, s


async def _an_astream(c: Any, chunks: list[Any]) -> Any:
    s = await c.messages.create(**_AN, stream=True)
    await _adrain(s, chunks)
    return None, s


def _an_helper(c: Any, chunks: list[Any]) -> Any:
    with c.messages.stream(**_AN) as s:
        for event in s:
            chunks.append(snapshot(event))
        final = s.get_final_message()
    return final, s


async def _an_ahelper(c: Any, chunks: list[Any]) -> Any:
    async with c.messages.stream(**_AN) as s:
        async for event in s:
            chunks.append(snapshot(event))
        final = await s.get_final_message()
    return final, s


ANTHROPIC = Provider(
    "anthropic", "httpx2", "anthropic", _anthropic_client,
    {
        "sync": Shape("sync", "message", _an_sync, stream=False, aio=False),
        "async": Shape("async", "message", _an_async, stream=False, aio=True),
        "stream": Shape("stream", "message_stream", _an_stream, stream=True, aio=False),
        "async_stream": Shape(
            "async_stream", "message_stream", _an_astream, stream=True, aio=True
        ),
        "helper_stream": Shape(
            "helper_stream", "message_stream", _an_helper, stream=True, aio=False
        ),
        "async_helper_stream": Shape(
            "async_helper_stream", "message_stream", _an_ahelper, stream=True, aio=True
        ),
    },
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# mistralai
# --------------------------------------------------------------------------------------------
def _mistral_client(transport: Any, aio: bool) -> Any:
    import httpx2
    from mistralai.client import Mistral

    if aio:
        return Mistral(api_key="test-key", async_client=httpx2.AsyncClient(transport=transport))
    return Mistral(api_key="test-key", client=httpx2.Client(transport=transport))


_MI = {"model": "mistral-large-2407", "messages": _MSG}


def _mi_sync(c: Any, chunks: list[Any]) -> Any:
    r = c.chat.complete(**_MI)
    return r, r


async def _mi_async(c: Any, chunks: list[Any]) -> Any:
    r = await c.chat.complete_async(**_MI)
    return r, r


def _mi_stream(c: Any, chunks: list[Any]) -> Any:
    s = c.chat.stream(**_MI)
    _drain(s, chunks)
    return None, s


async def _mi_astream(c: Any, chunks: list[Any]) -> Any:
    s = await c.chat.stream_async(**_MI)
    await _adrain(s, chunks)
    return None, s


def _mi_helper(c: Any, chunks: list[Any]) -> Any:
    with c.chat.stream(**_MI) as s:
        _drain(s, chunks)
    return None, s


def _mi_embed(c: Any, chunks: list[Any]) -> Any:
    r = c.embeddings.create(
        model="mistral-embed", inputs=["Embed this sentence.", "As well as this one."]
    )
    return r, r


MISTRALAI = Provider(
    "mistralai", "httpx2", "mistralai", _mistral_client,
    {
        "sync": Shape("sync", "chat", _mi_sync, stream=False, aio=False),
        "async": Shape("async", "chat", _mi_async, stream=False, aio=True),
        "stream": Shape("stream", "stream", _mi_stream, stream=True, aio=False),
        "async_stream": Shape("async_stream", "stream", _mi_astream, stream=True, aio=True),
        "helper_stream": Shape("helper_stream", "stream", _mi_helper, stream=True, aio=False),
        "embeddings": Shape(
            "embeddings", "media/mistral_embeddings", _mi_embed, stream=False, aio=False,
            adapter="mistralai_media",
        ),
    },
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# cohere
# --------------------------------------------------------------------------------------------
def _cohere_client(transport: Any, aio: bool) -> Any:
    import cohere
    import httpx

    if aio:
        return cohere.AsyncClientV2(
            api_key="k", max_retries=0, httpx_client=httpx.AsyncClient(transport=transport)
        )
    return cohere.ClientV2(
        api_key="k", max_retries=0, httpx_client=httpx.Client(transport=transport)
    )


_CO = {
    "model": "command-r-plus-08-2024",
    "messages": [{"role": "user", "content": "Name a fruit."}],
}


def _co_sync(c: Any, chunks: list[Any]) -> Any:
    r = c.chat(**_CO)
    return r, r


async def _co_async(c: Any, chunks: list[Any]) -> Any:
    r = await c.chat(**_CO)
    return r, r


def _co_stream(c: Any, chunks: list[Any]) -> Any:
    last = _drain(c.chat_stream(**_CO), chunks)
    return None, last


async def _co_astream(c: Any, chunks: list[Any]) -> Any:
    last = await _adrain(c.chat_stream(**_CO), chunks)
    return None, last


_CO_EMBED = {
    "texts": _EMBED_IN, "model": "embed-v4.0", "input_type": "search_query",
    "embedding_types": ["float"],
}  # fmt: skip


def _co_embed(c: Any, chunks: list[Any]) -> Any:
    r = c.embed(**_CO_EMBED)
    return r, r


async def _co_aembed(c: Any, chunks: list[Any]) -> Any:
    r = await c.embed(**_CO_EMBED)
    return r, r


COHERE = Provider(
    "cohere", "httpx", "cohere", _cohere_client,
    {
        "sync": Shape("sync", "v2_chat", _co_sync, stream=False, aio=False),
        "async": Shape("async", "v2_chat", _co_async, stream=False, aio=True),
        "stream": Shape("stream", "v2_stream", _co_stream, stream=True, aio=False),
        "async_stream": Shape("async_stream", "v2_stream", _co_astream, stream=True, aio=True),
        "embed": Shape(
            "embed", "media/cohere_v2_embed", _co_embed, stream=False, aio=False,
            adapter="cohere_media",
        ),
        "async_embed": Shape(
            "async_embed", "media/cohere_v2_embed", _co_aembed, stream=False, aio=True,
            adapter="cohere_media",
        ),
    },
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# huggingface_hub
# --------------------------------------------------------------------------------------------
def _hf_client(transport: Any, aio: bool) -> Any:
    import httpx2
    import huggingface_hub as hf

    if aio:
        hf.set_async_client_factory(lambda: httpx2.AsyncClient(transport=transport))
        return hf.AsyncInferenceClient(base_url="http://localhost:8080", token="hf_test")
    hf.set_client_factory(lambda: httpx2.Client(transport=transport))
    return hf.InferenceClient(base_url="http://localhost:8080", token="hf_test")


_HF = {
    "model": "meta-llama/Llama-3.1-8B-Instruct",
    "messages": [{"role": "user", "content": "Count to three."}],
}
_HF_STREAM = {**_HF, "stream": True, "stream_options": {"include_usage": True}}


def _hf_sync(c: Any, chunks: list[Any]) -> Any:
    r = c.chat_completion(**_HF)
    return r, r


async def _hf_async(c: Any, chunks: list[Any]) -> Any:
    r = await c.chat_completion(**_HF)
    return r, r


def _hf_stream(c: Any, chunks: list[Any]) -> Any:
    return None, _drain(c.chat_completion(**_HF_STREAM), chunks)


async def _hf_astream(c: Any, chunks: list[Any]) -> Any:
    return None, await _adrain(await c.chat_completion(**_HF_STREAM), chunks)


def _hf_helper(c: Any, chunks: list[Any]) -> Any:
    r = c.chat.completions.create(**_HF)
    return r, r


def _hf_features(c: Any, chunks: list[Any]) -> Any:
    import huggingface_hub as hf

    local = hf.InferenceClient(provider="hf-inference", token="hf_test")
    r = local.feature_extraction("Hello World!", model="BAAI/bge-small-en-v1.5")
    return r, r


HUGGINGFACE_HUB = Provider(
    "huggingface_hub", "httpx2", "huggingface_hub", _hf_client,
    {
        "sync": Shape("sync", "chat", _hf_sync, stream=False, aio=False),
        "async": Shape("async", "chat", _hf_async, stream=False, aio=True),
        "stream": Shape("stream", "stream", _hf_stream, stream=True, aio=False),
        "async_stream": Shape("async_stream", "stream", _hf_astream, stream=True, aio=True),
        "helper_openai_style": Shape(
            "helper_openai_style", "chat", _hf_helper, stream=False, aio=False
        ),
        "feature_extraction": Shape(
            "feature_extraction", "media/hf_feature_extraction", _hf_features, stream=False,
            aio=False, adapter="huggingface_hub_media",
        ),
    },
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# google_genai
# --------------------------------------------------------------------------------------------
def _google_client(transport: Any, aio: bool) -> Any:
    import httpx2
    from google import genai
    from google.genai import types

    options = types.HttpOptions(
        api_version="v1beta",
        retry_options=types.HttpRetryOptions(attempts=1),
        httpx_client=None if aio else httpx2.Client(transport=transport),
        httpx_async_client=httpx2.AsyncClient(transport=transport) if aio else None,
    )
    return genai.Client(api_key="test-key", http_options=options)


_GO = {"model": "gemini-2.0-flash", "contents": "Tell me a fact about owls."}


def _go_sync(c: Any, chunks: list[Any]) -> Any:
    r = c.models.generate_content(**_GO)
    return r, r


async def _go_async(c: Any, chunks: list[Any]) -> Any:
    r = await c.aio.models.generate_content(**_GO)
    return r, r


def _go_stream(c: Any, chunks: list[Any]) -> Any:
    return None, _drain(c.models.generate_content_stream(**_GO), chunks)


async def _go_astream(c: Any, chunks: list[Any]) -> Any:
    return None, await _adrain(await c.aio.models.generate_content_stream(**_GO), chunks)


def _go_chat(c: Any, chunks: list[Any]) -> Any:
    r = c.chats.create(model="gemini-2.0-flash").send_message("Tell me a fact about owls.")
    return r, r


def _go_embed(c: Any, chunks: list[Any]) -> Any:
    r = c.models.embed_content(
        model="text-embedding-004", contents=["Hello World! Hello World!", "Goodbye World!"]
    )
    return r, r


GOOGLE_GENAI = Provider(
    "google_genai", "httpx2", "google_genai", _google_client,
    {
        "sync": Shape("sync", "content", _go_sync, stream=False, aio=False),
        "async": Shape("async", "content", _go_async, stream=False, aio=True),
        "stream": Shape("stream", "stream", _go_stream, stream=True, aio=False),
        "async_stream": Shape("async_stream", "stream", _go_astream, stream=True, aio=True),
        "helper_chat": Shape("helper_chat", "content", _go_chat, stream=False, aio=False),
        "embed": Shape(
            "embed", "media/google_embed_developer", _go_embed, stream=False, aio=False,
            adapter="google_genai_media",
        ),
    },
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# litellm (through the openai SDK, which LiteLLM calls with the client it is given)
# --------------------------------------------------------------------------------------------
def _litellm_client(transport: Any, aio: bool) -> Any:
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
    import litellm  # noqa: F401

    return _openai_client(transport, aio)


_LI = {"model": "openai/gpt-4o-mini", "messages": _MSG}
_LI_STREAM = {**_LI, "stream": True, "stream_options": {"include_usage": True}}


def _li_sync(c: Any, chunks: list[Any]) -> Any:
    import litellm

    r = litellm.completion(**_LI, client=c)
    return r, r


async def _li_async(c: Any, chunks: list[Any]) -> Any:
    import litellm

    r = await litellm.acompletion(**_LI, client=c)
    return r, r


def _li_stream(c: Any, chunks: list[Any]) -> Any:
    import litellm

    s = litellm.completion(**_LI_STREAM, client=c)
    _drain(s, chunks)
    return None, s


async def _li_astream(c: Any, chunks: list[Any]) -> Any:
    import litellm

    s = await litellm.acompletion(**_LI_STREAM, client=c)
    await _adrain(s, chunks)
    return None, s


LITELLM = Provider(
    "litellm", "httpx2", "openai", _litellm_client,
    {
        "sync": Shape("sync", "chat_completion", _li_sync, stream=False, aio=False),
        "async": Shape("async", "chat_completion", _li_async, stream=False, aio=True),
        "stream": Shape("stream", "chat_stream_usage", _li_stream, stream=True, aio=False),
        "async_stream": Shape(
            "async_stream", "chat_stream_usage", _li_astream, stream=True, aio=True
        ),
    },
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# bedrock (boto3: botocore's own HTTP stack, its requests handed to the mock transport)
# --------------------------------------------------------------------------------------------
def _bedrock_client(transport: Any, aio: bool) -> Any:
    return aws.mock_client(transport)


_BR = {"modelId": "anthropic.claude-3-5-sonnet-20241022-v2:0",
       "messages": [{"role": "user", "content": [{"text": "Hello World!"}]}],
       "inferenceConfig": {"maxTokens": 256}}  # fmt: skip
_BR_BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 256,
                       "messages": [{"role": "user", "content": "Hello World!"}]})  # fmt: skip


def _answer(r: dict[str, Any]) -> str:
    """A boto3 answer as the user sees it, without the stream or body objects, JSON."""
    return dumps({k: v for k, v in r.items() if k not in ("stream", "body", "impacts")})


def _aws_drain(stream: Any, chunks: list[Any] | None) -> Any:
    """:func:`_drain` for boto3's events (dicts): each kept as JSON, without ``impacts``."""
    if chunks is None:
        return _drain(stream, None)
    last = None
    for event in stream:
        chunks.append(dumps(_strip(event)))
        last = event
    return last


def _br_sync(c: Any, chunks: list[Any]) -> Any:
    r = c.converse(**_BR)
    return _answer(r), r


def _br_stream(c: Any, chunks: list[Any]) -> Any:
    r = c.converse_stream(**_BR)
    _aws_drain(r["stream"], chunks)
    return _answer(r), r


def _br_invoke(c: Any, chunks: list[Any]) -> Any:
    r = c.invoke_model(modelId=_BR["modelId"], body=_BR_BODY)
    return _answer(r) + r["body"].read().decode(), r


def _br_invoke_stream(c: Any, chunks: list[Any]) -> Any:
    r = c.invoke_model_with_response_stream(modelId=_BR["modelId"], body=_BR_BODY)
    _aws_drain(r["body"], chunks)
    return _answer(r), r


BEDROCK = Provider(
    "bedrock", "httpx", "bedrock", _bedrock_client,
    {
        "sync": Shape("sync", "converse", _br_sync, stream=False, aio=False),
        "stream": Shape("stream", "converse_stream", _br_stream, stream=True, aio=False),
        "invoke": Shape("invoke", "invoke_model", _br_invoke, stream=False, aio=False),
        "invoke_stream": Shape(
            "invoke_stream", "invoke_model_stream", _br_invoke_stream, stream=True, aio=False
        ),
    },
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# groq, together (Stainless-generated, OpenAI-shaped), ollama (NDJSON streams)
# --------------------------------------------------------------------------------------------
def _stainless_client(module: str, sync: str, aio_name: str) -> Callable[[Any, bool], Any]:
    """A factory for a Stainless SDK's clients on ``httpx``."""

    def make(transport: Any, aio: bool) -> Any:
        import importlib

        import httpx

        sdk = importlib.import_module(module)
        http = httpx.AsyncClient if aio else httpx.Client
        cls = getattr(sdk, aio_name if aio else sync)
        return cls(api_key="k", max_retries=0, http_client=http(transport=transport))

    return make


def _embed_shape(model: str) -> Shape:
    def run(c: Any, chunks: list[Any]) -> Any:
        r = c.embeddings.create(model=model, input=_EMBED_IN)
        return r, r

    return Shape("embeddings", "embeddings", run, stream=False, aio=False)


GROQ = Provider(
    "groq", "httpx", "groq", _stainless_client("groq", "Groq", "AsyncGroq"),
    {**_chat_shapes("llama-3.3-70b-versatile", "llama-3.1-8b-instant"),
     "embeddings": _embed_shape("nomic-embed-text-v1_5")},
)  # fmt: skip


def _together_completion(c: Any, chunks: list[Any]) -> Any:
    r = c.completions.create(model="Qwen/Qwen2.5-72B-Instruct-Turbo",
                             prompt="The capital of France is")  # fmt: skip
    return r, r


TOGETHER = Provider(
    "together", "httpx", "together", _stainless_client("together", "Together", "AsyncTogether"),
    {**_chat_shapes("meta-llama/Llama-3.3-70B-Instruct-Turbo",
                    "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
     "completion": Shape("completion", "completion", _together_completion, stream=False,
                         aio=False),
     "embeddings": _embed_shape("BAAI/bge-large-en-v1.5")},
)  # fmt: skip


def _ollama_client(transport: Any, aio: bool) -> Any:
    import ollama

    cls = ollama.AsyncClient if aio else ollama.Client
    return cls(host="http://localhost:11434", transport=transport)


_OL = {"model": "llama3.1:8b", "messages": _MSG}


def _ol_sync(c: Any, chunks: list[Any]) -> Any:
    r = c.chat(**_OL)
    return r, r


async def _ol_async(c: Any, chunks: list[Any]) -> Any:
    r = await c.chat(**_OL)
    return r, r


def _ol_stream(c: Any, chunks: list[Any]) -> Any:
    return None, _drain(c.chat(**_OL, stream=True), chunks)


async def _ol_astream(c: Any, chunks: list[Any]) -> Any:
    return None, await _adrain(await c.chat(**_OL, stream=True), chunks)


def _ol_generate(c: Any, chunks: list[Any]) -> Any:
    return None, _drain(c.generate("qwen2.5:7b", "The capital of France is", stream=True), chunks)


def _ol_embed(c: Any, chunks: list[Any]) -> Any:
    r = c.embed(model="nomic-embed-text", input=_EMBED_IN)
    return r, r


OLLAMA = Provider(
    "ollama", "httpx", "ollama", _ollama_client,
    {
        "sync": Shape("sync", "chat", _ol_sync, stream=False, aio=False),
        "async": Shape("async", "chat", _ol_async, stream=False, aio=True),
        "stream": Shape("stream", "chat_stream", _ol_stream, stream=True, aio=False),
        "async_stream": Shape("async_stream", "chat_stream", _ol_astream, stream=True, aio=True),
        "generate_stream": Shape("generate_stream", "generate_stream", _ol_generate,
                                 stream=True, aio=False),
        "embed": Shape("embed", "embed", _ol_embed, stream=False, aio=False),
    },
)  # fmt: skip


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        OPENAI,
        ANTHROPIC,
        MISTRALAI,
        COHERE,
        HUGGINGFACE_HUB,
        GOOGLE_GENAI,
        LITELLM,
        GROQ,
        TOGETHER,
        OLLAMA,
        BEDROCK,
    )
}
"""Scenarios per SDKS key."""


def available() -> list[str]:
    """Providers with scenarios whose SDK is installed and some of whose shapes have an
    adapter in place."""
    from tokenprint.instrument import SDKS

    out = []
    for name, sdk in SDKS.items():
        if name in PROVIDERS and _installed(sdk.module) and PROVIDERS[name].covered():
            out.append(name)
    return out


def _installed(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def adapters_without_scenarios() -> list[str]:
    """Adapter modules in place (for an installed SDK) that no shape here exercises."""
    import importlib.util

    from tokenprint.instrument import SDKS

    claimed = {p.adapter_of(s) for p in PROVIDERS.values() for s in p.shapes.values()}
    return [
        a
        for sdk in SDKS.values()
        if _installed(sdk.module)
        for a in sdk.adapters
        if a not in claimed and importlib.util.find_spec(a) is not None
    ]


def restore_globals() -> None:
    """Undo what the client factories change process-wide (huggingface_hub's HTTP client
    factories), for tests that use the mocks inside the pytest process."""
    import sys

    hf = sys.modules.get("huggingface_hub")
    if hf is not None:
        from huggingface_hub.utils import _http

        hf.set_client_factory(_http.default_client_factory)
        hf.set_async_client_factory(_http.default_async_client_factory)


def edit_body(body: bytes, walk: Callable[[Any], Any]) -> bytes:
    """The body with ``walk`` applied to its JSON: a JSON answer, each line of an NDJSON
    stream (Ollama), the ``data:`` lines of server-sent events, or the messages of AWS's binary
    event stream (Bedrock)."""
    if aws.is_event_stream(body):
        return aws.edit_events(body, walk)
    text = body.decode()
    if text.lstrip().startswith(("{", "[")):
        rows = [line for line in text.split("\n") if line.strip()]
        if len(rows) > 1 and all(r.startswith("{") for r in rows):  # NDJSON
            return "".join(json.dumps(walk(json.loads(r))) + "\n" for r in rows).encode()
        return json.dumps(walk(json.loads(text))).encode()
    lines = []
    for line in text.split("\n"):
        head, _, rest = line.partition(":")
        if head == "data" and rest.strip().startswith("{"):
            line = "data: " + json.dumps(walk(json.loads(rest)))
        lines.append(line)
    return "\n".join(lines).encode()


def edit_tokens(body: bytes, value: Callable[[str], Any]) -> bytes:
    """The body (:func:`edit_body`) with every token count replaced by ``value(key)``;
    ``value`` may return :data:`DROP` to remove the key. Token counts: numeric fields whose
    name mentions tokens, and Ollama's ``prompt_eval_count``/``eval_count``."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                counts = "token" in k.lower() or k.endswith("eval_count")
                if counts and isinstance(v, (int, float)) and k != "max_tokens":
                    v = value(k)
                    if v is DROP:
                        continue
                else:
                    v = walk(v)
                out[k] = v
            return out
        if isinstance(node, list):
            return [walk(x) for x in node]
        return node

    return edit_body(body, walk)


DROP = object()
"""Returned by an :func:`edit_tokens` value function: leave the field out."""


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=repr)
