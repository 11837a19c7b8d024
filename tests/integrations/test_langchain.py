"""LangChain and LangGraph: the real langchain-core, the real provider packages and their real
SDK clients, answering from the hand-written cassettes (vcrpy). The message a chat model
returns carries the impacts of its request at ``response_metadata["impacts"]``, and
``impacts_callback()`` sums a chain's or a graph's requests; each request counts once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk

from tests.support.cassettes import cassette, records
from tokenprint import EcoLogits
from tokenprint.impacts.results import Impacts
from tokenprint.instrument import SDKS
from tokenprint.integrations.langchain import ImpactsCallback, impacts_callback

PROMPT = "Hello World!"


@dataclass
class Package:
    """A LangChain provider package: its chat model and the cassettes it replays."""

    name: str
    """The package's module; the tests skip without it."""
    adapter: str
    """The key in ``tokenprint.instrument.SDKS`` of the SDK it calls."""
    model: Callable[[], BaseChatModel]
    plain: tuple[str, str]
    """Cassette (folder, name) of a complete answer."""
    stream: tuple[str, str] | None = None
    """Cassette of a streamed answer (None: not written for this package)."""


def _made(cls: Any, **fields: Any) -> BaseChatModel:
    """A chat model built as a user would (plain strings where a field wants a SecretStr)."""
    model: BaseChatModel = cls(**fields)
    return model


def _openai() -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return _made(ChatOpenAI, model="gpt-4o-mini", api_key="sk-test", max_retries=0,
                 stream_usage=True)  # fmt: skip


def _anthropic() -> BaseChatModel:
    from langchain_anthropic import ChatAnthropic

    return _made(
        ChatAnthropic, model="claude-3-5-sonnet-20241022", api_key="sk-ant-test", max_retries=0
    )


def _google() -> BaseChatModel:
    from langchain_google_genai import ChatGoogleGenerativeAI

    return _made(ChatGoogleGenerativeAI, model="gemini-2.0-flash", api_key="test-key",
                 api_version="v1beta", max_retries=0)  # fmt: skip


def _groq() -> BaseChatModel:
    from langchain_groq import ChatGroq

    return _made(ChatGroq, model="llama-3.1-8b-instant", api_key="gsk-test", max_retries=0)


def _ollama() -> BaseChatModel:
    from langchain_ollama import ChatOllama

    return _made(ChatOllama, model="llama3.1:8b", base_url="http://127.0.0.1:11434")


def _bedrock() -> BaseChatModel:
    from langchain_aws import ChatBedrockConverse

    return _made(ChatBedrockConverse, model="anthropic.claude-3-5-sonnet-20241022-v2:0",
                 region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test")  # fmt: skip


def _param(package: Package) -> Any:
    """The package as a test parameter: skipped without it, or while tokenprint has no adapter
    for its SDK."""
    import importlib.util

    missing = importlib.util.find_spec(package.name) is None
    marks = [
        pytest.mark.skipif(
            package.adapter not in SDKS,
            reason=f"tokenprint has no {package.adapter} adapter (SDKS) yet",
        ),
        pytest.mark.skipif(missing, reason=f"{package.name} is not installed (test-frameworks)"),
    ]
    return pytest.param(package, marks=marks, id=package.name.replace("_", "-"))


_ALL = [
    Package("langchain_openai", "openai", _openai, ("openai", "chat_completion"),
            ("openai", "chat_stream_usage")),
    Package("langchain_anthropic", "anthropic", _anthropic, ("anthropic", "message"),
            ("anthropic", "message_stream")),
    Package("langchain_google_genai", "google_genai", _google, ("google_genai", "content"),
            ("google_genai", "stream")),
    Package("langchain_groq", "groq", _groq, ("openai", "groq_chat")),
    Package("langchain_ollama", "ollama", _ollama, ("langchain", "ollama_chat"),
            ("langchain", "ollama_chat")),
    Package("langchain_aws", "bedrock", _bedrock, ("langchain", "bedrock_converse"),
            ("langchain", "bedrock_converse_stream")),
]  # fmt: skip
PACKAGES = [_param(p) for p in _ALL]
STREAMING = [_param(p) for p in _ALL if p.stream is not None]


def _carried(message: Any) -> Impacts:
    impacts = message.response_metadata.get("impacts")
    assert isinstance(impacts, Impacts), message.response_metadata
    return impacts


def _summed(chunks: list[Any]) -> Any:
    """The chunks added up the way LangChain users do (``chunk + chunk``)."""
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def _one_carrier(chunks: list[Any]) -> Impacts:
    """The impacts of a stream: on exactly one chunk, and on the chunks' sum."""
    carriers = [c for c in chunks if "impacts" in c.response_metadata]
    assert len(carriers) == 1, [c.response_metadata for c in chunks]
    total = _summed(chunks)
    assert _carried(total) is _carried(carriers[0])
    return _carried(total)


def _invoked(model: BaseChatModel, aio: bool) -> Any:
    """``invoke``, or ``ainvoke`` in a new event loop."""
    return asyncio.run(model.ainvoke(PROMPT)) if aio else model.invoke(PROMPT)


def _streamed(model: BaseChatModel, aio: bool) -> list[Any]:
    """Every chunk of ``stream``, or of ``astream`` in a new event loop."""

    async def collect() -> list[Any]:
        return [chunk async for chunk in model.astream(PROMPT)]

    return asyncio.run(collect()) if aio else list(model.stream(PROMPT))


# -- every provider package --------------------------------------------------------------------
@pytest.mark.parametrize("aio", [False, True], ids=["invoke", "ainvoke"])
@pytest.mark.parametrize("package", PACKAGES)
def test_message_carries_the_impacts_of_its_one_request(package: Package, aio: bool) -> None:
    EcoLogits.init()
    model = package.model()
    with cassette(*package.plain), records() as seen, EcoLogits.track() as tracker:
        message = _invoked(model, aio)
    assert isinstance(message, AIMessage)
    assert len(seen) == 1 and len(tracker) == 1  # counted once: by the SDK adapter
    assert _carried(message) is seen[0].impacts


def test_the_collector_is_subscribed_only_while_a_call_is_in_progress() -> None:
    """Between model calls, requests skip the work (nothing is subscribed for the link)."""
    from tokenprint import events
    from tokenprint.integrations import langchain

    EcoLogits.init()
    seen: list[bool] = []

    def sending(_: object) -> None:
        seen.append(langchain._collect in events.AFTER)

    events.add_before(sending)
    openai = _ALL[0]
    try:
        with cassette(*openai.plain):
            message = openai.model().invoke("hi")
    finally:
        events.remove(sending)
    assert seen == [True]  # subscribed while the request was sent
    assert langchain._collect not in events.AFTER
    assert isinstance(_carried(message), Impacts)


@pytest.mark.parametrize("aio", [False, True], ids=["stream", "astream"])
@pytest.mark.parametrize("package", STREAMING)
def test_stream_impacts_on_one_chunk_and_on_the_aggregated_message(
    package: Package, aio: bool
) -> None:
    EcoLogits.init()
    model = package.model()
    assert package.stream is not None
    with cassette(*package.stream), records() as seen, EcoLogits.track() as tracker:
        chunks = _streamed(model, aio)
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert len(seen) == 1 and len(tracker) == 1
    assert _one_carrier(chunks) is seen[0].impacts


@pytest.mark.parametrize("aio", [False, True], ids=["batch", "abatch"])
@pytest.mark.parametrize("package", PACKAGES)
def test_batch_each_message_carries_its_own_request(package: Package, aio: bool) -> None:
    EcoLogits.init()
    model = package.model()
    inputs: list[Any] = [PROMPT, PROMPT]
    with cassette(*package.plain, allow_playback_repeats=True), records() as seen:
        messages = asyncio.run(model.abatch(inputs)) if aio else model.batch(inputs)
    assert len(seen) == 2
    carried = [_carried(m) for m in messages]
    assert carried[0] is not carried[1]
    assert {id(c) for c in carried} == {id(r.impacts) for r in seen}


@pytest.mark.parametrize("aio", [False, True], ids=["stream", "astream"])
def test_callbacks_are_handed_the_chunk_with_the_impacts_as_it_streams(aio: bool) -> None:
    pytest.importorskip("langchain_openai")
    from langchain_core.callbacks import BaseCallbackHandler

    class Handed(BaseCallbackHandler):
        """What a streaming callback sees of each chunk when it is handed over."""

        def __init__(self) -> None:
            self.carried: list[bool] = []

        def on_llm_new_token(self, token: Any, *, chunk: Any = None, **kwargs: Any) -> None:
            self.carried.append("impacts" in chunk.message.response_metadata)

    EcoLogits.init()
    handler = Handed()
    model: Any = _openai().with_config(callbacks=[handler])
    with cassette("openai", "chat_stream_usage"), records() as seen:
        chunks = _streamed(model, aio)
    assert handler.carried.count(True) == 1
    assert _one_carrier(chunks) is seen[0].impacts


def test_invoke_of_a_streaming_model_carries_the_impacts_on_the_aggregated_message() -> None:
    pytest.importorskip("langchain_openai")
    from langchain_openai import ChatOpenAI

    EcoLogits.init()
    model = _made(ChatOpenAI, model="gpt-4o-mini", api_key="sk-test", streaming=True,
                  stream_usage=True, max_retries=0)  # fmt: skip
    with cassette("openai", "chat_stream_usage"), records() as seen:
        message = model.invoke(PROMPT)
    assert message.content == "Hello! How can I help you today?"
    assert len(seen) == 1
    assert _carried(message) is seen[0].impacts


def test_structured_output_raw_message_carries_the_impacts() -> None:
    pytest.importorskip("langchain_openai")
    from pydantic import BaseModel

    class Answer(BaseModel):
        answer: str

    EcoLogits.init()
    chain = _openai().with_structured_output(Answer, include_raw=True, method="json_mode")
    with cassette("openai", "chat_completion"), records() as seen:
        out: Any = chain.invoke(PROMPT)
    assert _carried(out["raw"]) is seen[0].impacts


def test_a_message_with_impacts_is_saved_as_langchain_saves_messages() -> None:
    """Chat histories write ``message_to_dict`` as JSON; pickling keeps the object."""
    pytest.importorskip("langchain_openai")
    import json
    import pickle

    from langchain_core.messages import message_to_dict, messages_from_dict

    EcoLogits.init()
    with cassette("openai", "chat_completion"):
        message = _openai().invoke(PROMPT)
    impacts = _carried(message)
    saved = json.loads(json.dumps(message_to_dict(message)))
    (back,) = messages_from_dict([saved])
    assert back.response_metadata["impacts"] == impacts.to_dict()
    assert _carried(pickle.loads(pickle.dumps(message))).to_dict() == impacts.to_dict()


# -- what can go wrong ---------------------------------------------------------------------
def test_sdk_error_passes_through_unchanged_and_nothing_is_counted() -> None:
    pytest.importorskip("langchain_openai")
    import openai

    EcoLogits.init()
    with (
        cassette("openai", "chat_error"),
        records() as seen,
        pytest.raises(openai.BadRequestError, match="Invalid value for 'messages'"),
    ):
        _openai().invoke(PROMPT)
    assert not seen


def test_sdk_error_in_a_stream_passes_through_unchanged() -> None:
    pytest.importorskip("langchain_openai")
    import openai

    EcoLogits.init()
    for aio in (False, True):
        with cassette("openai", "chat_error"), pytest.raises(openai.BadRequestError):
            _streamed(_openai(), aio)


def test_unknown_model_message_carries_impacts_with_the_error() -> None:
    pytest.importorskip("langchain_openai")
    from langchain_openai import ChatOpenAI

    EcoLogits.init()
    model = _made(ChatOpenAI, model="acme-llm-1", api_key="sk-test", max_retries=0)
    with cassette("openai", "chat_unknown_model"), EcoLogits.track() as tracker:
        message = model.invoke(PROMPT)
    impacts = _carried(message)
    assert [e.code for e in impacts.errors] == ["model-not-registered"]
    assert "acme-llm-1" in impacts.errors[0].message
    assert impacts.energy is None  # unestimated, never zero
    assert len(tracker.unestimated) == 1


def test_cache_hit_makes_no_request_and_carries_no_impacts() -> None:
    pytest.importorskip("langchain_anthropic")
    from langchain_core.caches import InMemoryCache

    EcoLogits.init()
    model = _anthropic()
    model.cache = InMemoryCache()
    with cassette("anthropic", "message"), records() as seen:
        first = model.invoke(PROMPT)
        again = model.invoke(PROMPT)  # from the cache: the cassette would refuse a second
    assert len(seen) == 1
    assert _carried(first) is seen[0].impacts
    assert "impacts" not in again.response_metadata  # (nor the SDK answer's own dump)
    assert again.content == first.content


def test_a_chat_model_calling_another_carries_its_request_on_both_messages() -> None:
    pytest.importorskip("langchain_openai")
    from langchain_core.outputs import ChatGeneration, ChatResult

    class Delegating(BaseChatModel):
        inner: Any

        @property
        def _llm_type(self) -> str:
            return "delegating"

        def _generate(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
        ) -> ChatResult:
            answer = self.inner.invoke(messages)
            inner.append(answer)
            return ChatResult(generations=[ChatGeneration(message=answer)])

    EcoLogits.init()
    inner: list[Any] = []
    with cassette("openai", "chat_completion"), records() as seen, EcoLogits.track() as tracker:
        message = Delegating(inner=_openai()).invoke(PROMPT)
    assert len(seen) == 1 and len(tracker) == 1
    assert _carried(message) is _carried(inner[0]) is seen[0].impacts


def test_a_stream_left_early_ends_the_model_stream_and_is_charged_once() -> None:
    pytest.importorskip("langchain_openai")
    EcoLogits.init()
    with cassette("openai", "chat_stream_usage"), EcoLogits.track() as tracker:
        stream: Any = _openai().stream(PROMPT)
        first = next(stream)
        stream.close()
    assert isinstance(first, AIMessageChunk)
    assert len(tracker) == 1


# -- installing and removing -----------------------------------------------------------------
def test_shutdown_restores_the_chat_model_methods() -> None:
    originals = {name: vars(BaseChatModel)[name] for name in ("invoke", "stream", "astream")}
    EcoLogits.init()
    assert vars(BaseChatModel)["invoke"] is not originals["invoke"]
    EcoLogits.init()  # idempotent: one layer
    assert vars(BaseChatModel)["invoke"].__wrapped__ is originals["invoke"]
    EcoLogits.shutdown()
    assert {name: vars(BaseChatModel)[name] for name in originals} == originals


def test_a_wrapper_put_over_ours_stays_and_ours_is_never_doubled() -> None:
    pytest.importorskip("langchain_openai")
    import functools

    original = vars(BaseChatModel)["invoke"]
    EcoLogits.init()
    ours = vars(BaseChatModel)["invoke"]

    @functools.wraps(ours)
    def theirs(self: Any, *args: Any, **kwargs: Any) -> Any:
        return ours(self, *args, **kwargs)

    BaseChatModel.invoke = theirs  # type: ignore[method-assign]
    try:
        EcoLogits.shutdown()
        assert vars(BaseChatModel)["invoke"] is theirs  # another library's wrapper stays
        with cassette("openai", "chat_completion"):
            assert "impacts" not in _openai().invoke(PROMPT).response_metadata  # ours: idle
        EcoLogits.init()
        assert vars(BaseChatModel)["invoke"] is theirs  # ours comes back beneath, once
        with cassette("openai", "chat_completion"), records() as seen:
            message = _openai().invoke(PROMPT)
        assert len(seen) == 1 and _carried(message) is seen[0].impacts
    finally:
        BaseChatModel.invoke = original  # type: ignore[method-assign]


def test_langchain_core_outside_the_supported_range_is_left_alone_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from importlib import metadata

    real = metadata.version
    monkeypatch.setattr(
        metadata, "version", lambda d: "0.2.9" if d == "langchain-core" else real(d)
    )
    original = vars(BaseChatModel)["invoke"]
    with caplog.at_level("WARNING", logger="tokenprint"):
        EcoLogits.init()
    assert vars(BaseChatModel)["invoke"] is original
    assert "langchain-core 0.2.9 is outside the supported range (>=0.3, <2)" in caplog.text


def test_without_init_messages_are_left_as_the_package_made_them() -> None:
    pytest.importorskip("langchain_openai")
    with cassette("openai", "chat_completion"):
        message = _openai().invoke(PROMPT)
    assert "impacts" not in message.response_metadata


def test_langchain_imported_after_init_is_linked() -> None:
    pytest.importorskip("langchain_openai")
    code = """
import sys
from tokenprint import EcoLogits
EcoLogits.init()
assert "langchain_core" not in sys.modules
from langchain_openai import ChatOpenAI
from tests.support.cassettes import cassette
with cassette("openai", "chat_completion"):
    message = ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", max_retries=0).invoke("Hi")
print(type(message.response_metadata["impacts"]).__name__)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Impacts"


# -- a chain's or a graph's total ----------------------------------------------------------
def _graph(first: BaseChatModel, second: BaseChatModel) -> Any:
    """Two nodes, one model call each, both answers kept in the state."""
    from langgraph.graph import END, START, MessagesState, StateGraph

    def ask(model: BaseChatModel) -> Any:
        def node(state: MessagesState) -> dict[str, Any]:
            return {"messages": [model.invoke(state["messages"][:1])]}

        return node

    graph = StateGraph(MessagesState)
    graph.add_node("first", ask(first))
    graph.add_node("second", ask(second))
    graph.add_edge(START, "first")
    graph.add_edge("first", "second")
    graph.add_edge("second", END)
    return graph.compile()


def test_impacts_callback_sums_the_two_model_calls_of_a_langgraph_run() -> None:
    pytest.importorskip("langgraph")
    pytest.importorskip("langchain_openai")
    pytest.importorskip("langchain_anthropic")
    EcoLogits.init()
    graph = _graph(_openai(), _anthropic())
    with (
        cassette("langchain", "graph_two_models"),
        records() as seen,
        impacts_callback() as cb,
    ):
        state = graph.invoke({"messages": [("user", PROMPT)]})
    assert isinstance(cb, ImpactsCallback)
    assert len(seen) == 2 and len(cb) == 2  # each request once
    answers = state["messages"][1:]
    assert [_carried(m) for m in answers] == [r.impacts for r in seen]
    assert cb.impacts.energy == Impacts.sum(r.impacts for r in seen).energy
    assert cb.impacts.basis.requests == 2
    assert sorted(cb.impacts_by_model) == ["claude-3-5-sonnet", "gpt-4o-mini"]


def test_a_checkpointed_graph_saves_and_restores_messages_with_impacts() -> None:
    pytest.importorskip("langgraph")
    pytest.importorskip("langchain_openai")
    from langgraph.checkpoint.memory import InMemorySaver

    EcoLogits.init()
    graph = _graph(_openai(), _openai()).builder.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "t1"}}
    with cassette("openai", "chat_completion", allow_playback_repeats=True):
        state = graph.invoke({"messages": [("user", PROMPT)]}, config)
    saved = graph.get_state(config).values["messages"][-1].response_metadata["impacts"]
    assert saved == _carried(state["messages"][-1]).to_dict()


@pytest.mark.parametrize("aio", [False, True], ids=["stream", "astream"])
def test_a_graph_streaming_messages_hands_over_one_chunk_with_the_impacts(aio: bool) -> None:
    pytest.importorskip("langgraph")
    pytest.importorskip("langchain_openai")
    from langgraph.graph import END, START, MessagesState, StateGraph

    EcoLogits.init()
    model = _openai()

    def node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    async def anode(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder: Any = StateGraph(MessagesState)
    builder.add_node("answer", anode if aio else node)
    builder.add_edge(START, "answer")
    builder.add_edge("answer", END)
    graph = builder.compile()
    inputs = {"messages": [("user", PROMPT)]}
    modes = ["messages", "values"]

    async def collect() -> list[Any]:
        return [part async for part in graph.astream(inputs, stream_mode=modes)]

    with cassette("openai", "chat_stream_usage"), records() as seen:
        parts = asyncio.run(collect()) if aio else list(graph.stream(inputs, stream_mode=modes))
    chunks = [data[0] for mode, data in parts if mode == "messages"]
    assert len(chunks) > 2 and len(seen) == 1
    assert _one_carrier(chunks) is seen[0].impacts
    final = [data for mode, data in parts if mode == "values"][-1]["messages"][-1]
    assert _carried(final) is seen[0].impacts


def test_impacts_callback_async_graph_run() -> None:
    pytest.importorskip("langgraph")
    pytest.importorskip("langchain_openai")
    EcoLogits.init()
    graph = _graph(_openai(), _openai())

    async def run() -> ImpactsCallback:
        async with impacts_callback("graph") as cb:
            await graph.ainvoke({"messages": [("user", PROMPT)]})
        return cb

    with cassette("openai", "chat_completion", allow_playback_repeats=True):
        cb = asyncio.run(run())
    assert len(cb) == 2
    assert list(cb.impacts_by_model) == ["gpt-4o-mini"]
    assert cb.impacts.basis.requests == 2


def test_impacts_callback_sees_the_threads_of_a_batch_and_nothing_after_the_block() -> None:
    pytest.importorskip("langchain_openai")
    EcoLogits.init()
    model = _openai()
    with cassette("openai", "chat_completion", allow_playback_repeats=True):
        with impacts_callback() as cb:
            model.batch([PROMPT, PROMPT, PROMPT])
        model.invoke(PROMPT)
    assert len(cb) == 3
