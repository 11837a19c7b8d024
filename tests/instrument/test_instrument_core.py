"""The generic wrapper (instrument/core.py): hooks, guard, re-entrancy, streams of every shape.

SDK behaviour is exercised with the real openai client against cassettes; the shapes no
installed SDK of this file's scope returns (plain generators, async generators, objects
that refuse attributes, nested calls) are exercised with small functions of this module
patched through the same registry code the adapters use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

import pytest

openai = pytest.importorskip("openai")

from tests.support.cassettes import openai_include_usage, use_cassette  # noqa: E402
from tokenprint import EcoLogits, events  # noqa: E402
from tokenprint.errors import BudgetExceeded  # noqa: E402
from tokenprint.estimator import Estimator  # noqa: E402
from tokenprint.instrument import _patch_target  # noqa: E402
from tokenprint.instrument.contract import Accumulator, Call, Target  # noqa: E402
from tokenprint.instrument.read import combined, text_tokens  # noqa: E402
from tokenprint.records import Pending, RequestRecord, Usage  # noqa: E402

MESSAGES = [{"role": "user", "content": "Hello World!"}]


@pytest.fixture
def client() -> Any:
    EcoLogits.init(providers=["openai"])
    return openai.OpenAI(api_key="sk-test", max_retries=0)


@pytest.fixture
def records() -> Iterator[list[RequestRecord]]:
    seen: list[RequestRecord] = []
    events.add_after(seen.append)
    yield seen
    events.remove(seen.append)


# -- hooks ---------------------------------------------------------------------------------
def test_after_hook_gets_one_record_per_request(client: Any, records: list[Any]) -> None:
    with use_cassette("openai", "chat_completion"):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(records) == 1
    rec = records[0]
    assert rec.impacts is resp.impacts
    assert rec.usage.endpoint == "chat.completions.create"
    assert rec.usage.requested_model == "gpt-4o-mini"
    assert rec.usage.latency_s is not None and rec.usage.latency_s > 0


def test_stream_publishes_once_at_the_end(client: Any, records: list[Any]) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            **openai_include_usage(),
        )
        for i, _ in enumerate(stream):
            assert len(records) == (1 if i == 11 else 0)
        if hasattr(stream, "close"):
            stream.close()
    assert len(records) == 1


def test_before_hook_sees_pending_and_budget_block_sends_nothing(client: Any) -> None:
    pending: list[Pending] = []

    def block(p: Pending) -> None:
        pending.append(p)
        raise BudgetExceeded("blocked")

    events.add_before(block)
    try:
        with use_cassette("openai", "chat_completion") as cassette:
            with pytest.raises(BudgetExceeded):
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=500
                )
            assert cassette.play_count == 0
    finally:
        events.remove(block)
    (p,) = pending
    assert (p.provider, p.model, p.max_output_tokens, p.host) == (
        "openai",
        "gpt-4o-mini",
        500,
        "api.openai.com",
    )
    assert p.input_tokens == text_tokens(MESSAGES) == 3  # "Hello World!" ~ 12 chars / 4


def test_budget_exceeded_after_the_answer_propagates_with_impacts_attached(client: Any) -> None:
    caught: list[RequestRecord] = []

    def over(rec: RequestRecord) -> None:
        caught.append(rec)
        raise BudgetExceeded("over", request=rec)

    events.add_after(over)
    try:
        with use_cassette("openai", "chat_completion"), pytest.raises(BudgetExceeded) as err:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    finally:
        events.remove(over)
    assert err.value.request is caught[0]
    assert caught[0].impacts.energy is not None


def test_budget_exceeded_in_a_stream_comes_after_the_last_chunk(client: Any) -> None:
    def over(rec: RequestRecord) -> None:
        raise BudgetExceeded("over")

    events.add_after(over)
    got: list[Any] = []
    try:
        with use_cassette("openai", "chat_stream_usage"), pytest.raises(BudgetExceeded):
            stream = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                stream=True,
                **openai_include_usage(),
            )
            for chunk in stream:
                got.append(chunk)
    finally:
        events.remove(over)
    assert len(got) == 12
    assert got[-1].impacts.energy is not None


def test_labels_from_config_and_context_are_merged(records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"], labels={"app": "demo", "team": "a"})
    client = openai.OpenAI(api_key="sk-test", max_retries=0)
    with use_cassette("openai", "chat_completion"), EcoLogits.label(team="b", task="x"):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert dict(records[0].labels) == {"app": "demo", "team": "b", "task": "x"}


def test_a_stream_keeps_the_labels_of_where_it_was_made(client: Any, records: list[Any]) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        with EcoLogits.label(task="made-here"):
            stream = client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True, **openai_include_usage()
            )
        with EcoLogits.label(task="read-there"):
            list(stream)
    assert dict(records[0].labels) == {"task": "made-here"}


def test_site_override_sets_the_zone_of_the_request(client: Any) -> None:
    with use_cassette("openai", "chat_completion"), EcoLogits.site(zone="FRA"):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert resp.impacts.basis.zone == "FRA"


def test_init_zone_applies_to_every_request() -> None:
    EcoLogits.init(providers=["openai"], electricity_mix_zone="SWE")
    client = openai.OpenAI(api_key="sk-test", max_retries=0)
    with use_cassette("openai", "chat_completion"):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert resp.impacts.basis.zone == "SWE"


# -- the guard -----------------------------------------------------------------------------
def _broken_compute(self: Estimator, *args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("boom")


def test_instrumentation_error_raises_under_pytest(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Estimator, "compute", _broken_compute)
    with use_cassette("openai", "chat_completion"):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(RuntimeError, match="boom"):  # computed on first read
        resp.impacts.gwp  # noqa: B018


def test_instrumentation_error_raises_at_the_call_when_a_tracker_waits(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tokenprint import Tracker

    monkeypatch.setattr(Estimator, "compute", _broken_compute)
    with (
        use_cassette("openai", "chat_completion"),
        Tracker(),
        pytest.raises(RuntimeError, match="boom"),
    ):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_instrumentation_error_swallowed_when_not_strict(
    client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TOKENPRINT_STRICT", "0")
    monkeypatch.setattr(Estimator, "compute", _broken_compute)
    with use_cassette("openai", "chat_completion"):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert resp.choices[0].message.content == "Hello! How can I help you today?"
    assert [e.code for e in resp.impacts.errors] == ["instrumentation-error"]


# -- re-entrancy and nested calls ----------------------------------------------------------
def outer_call(client: Any) -> Any:
    """Stands for LiteLLM: a function that calls an SDK we patch too."""
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def _outer(inner: list[Any]) -> Usage:
    summed = combined(inner)  # the nested calls' builders, run here
    if summed is not None:
        return Usage("litellm", "gpt-4o-mini", summed.input_tokens, 7)
    return Usage("litellm", "gpt-4o-mini", 1, 1)


def _outer_usage(call: Call, resp: Any) -> Any:
    return partial(_outer, call.inner)


def test_call_inside_an_instrumented_call_is_counted_once(client: Any, records: list[Any]) -> None:
    _patch_target(Target(__name__, "outer_call", "outer", _outer_usage))
    with use_cassette("openai", "chat_completion"):
        resp = globals()["outer_call"](client)
    assert len(records) == 1
    assert records[0].usage.provider == "litellm"
    assert resp.impacts is records[0].impacts


def test_nested_calls_hand_their_usage_to_the_outer_call(client: Any, records: list[Any]) -> None:
    _patch_target(Target(__name__, "outer_call", "outer", _outer_usage))
    with use_cassette("openai", "chat_completion"):
        globals()["outer_call"](client)
    assert len(records) == 1
    assert records[0].usage.input_tokens == 1200  # from the nested openai response


def test_shutdown_restores_a_patched_module_function(client: Any) -> None:
    original = globals()["outer_call"]
    _patch_target(Target(__name__, "outer_call", "outer", _outer_usage))
    assert globals()["outer_call"] is not original
    EcoLogits.shutdown()
    assert globals()["outer_call"] is original


# -- stream shapes -------------------------------------------------------------------------
class Chunk:
    def __init__(self, text: str, final: bool = False) -> None:
        self.text = text
        self.final = final


class Chars(Accumulator):
    __slots__ = ("n",)

    def __init__(self, call: Call, stream: Any) -> None:
        super().__init__(call, stream)
        self.n = 0

    def add(self, chunk: Any) -> bool:
        self.n += len(chunk.text)
        return False

    def usage(self) -> Usage:
        return Usage("openai", "gpt-4o-mini", 10, self.n)


def gen_chunks(n: int) -> Iterator[Chunk]:
    for i in range(n):
        yield Chunk(f"c{i}")


async def agen_chunks(n: int) -> AsyncIterator[Chunk]:
    for i in range(n):
        await asyncio.sleep(0)
        yield Chunk(f"c{i}")


async def coro_agen_chunks(n: int) -> AsyncIterator[Chunk]:
    """Like google's AsyncModels.generate_content_stream: await, then iterate."""
    return agen_chunks(n)


def _patch(name: str) -> Any:
    EcoLogits.init(providers=["openai"])
    _patch_target(Target(__name__, name, name, stream=Chars))
    return globals()[name]


def test_plain_generator_is_tapped_and_every_chunk_passes(records: list[Any]) -> None:
    fn = _patch("gen_chunks")
    chunks = list(fn(5))
    assert [c.text for c in chunks] == ["c0", "c1", "c2", "c3", "c4"]
    assert chunks[-1].impacts is records[0].impacts
    assert records[0].usage.output_tokens == 10
    assert not hasattr(chunks[0], "impacts")


def test_plain_generator_closed_early_is_accounted(records: list[Any]) -> None:
    fn = _patch("gen_chunks")
    g = fn(5)
    next(g)
    next(g)
    g.close()
    assert records[0].usage.output_tokens == 4


async def test_async_generator_function_is_tapped(records: list[Any]) -> None:
    fn = _patch("agen_chunks")
    chunks = [c async for c in fn(3)]
    assert len(chunks) == 3 and chunks[-1].impacts is records[0].impacts


async def test_coroutine_returning_an_async_generator_is_tapped(records: list[Any]) -> None:
    fn = _patch("coro_agen_chunks")
    chunks = [c async for c in await fn(4)]
    assert len(chunks) == 4 and records[0].usage.output_tokens == 8


class Events:
    """Like botocore's EventStream: each ``for`` (or ``async for``) gets a new generator over
    one shared source."""

    def __init__(self, n: int) -> None:
        self.source = iter([Chunk(f"c{i}") for i in range(n)])

    def __iter__(self) -> Iterator[Chunk]:
        yield from self.source

    async def __aiter__(self) -> AsyncIterator[Chunk]:
        for chunk in self.source:
            yield chunk


class HeldChars(Chars):
    """``Chars`` for a stream handing out generators, inside a dict answer."""

    __slots__ = ()
    iterator = "__iter__"
    within = ("stream",)


def held_stream(n: int) -> dict[str, Any]:
    """Like boto3's converse_stream: a dict answer, the stream under a key."""
    return {"ResponseMetadata": {}, "stream": Events(n)}


def _held(n: int) -> dict[str, Any]:
    """``held_stream(n)``, patched with a ``HeldChars`` target."""
    EcoLogits.init(providers=["openai"])
    _patch_target(Target(__name__, "held_stream", "held_stream", stream=HeldChars))
    answer: dict[str, Any] = globals()["held_stream"](n)
    return answer


def test_a_stream_inside_a_dict_is_tapped_in_place_and_the_dict_carries_impacts(
    records: list[Any],
) -> None:
    answer = _held(4)
    stream: Any = answer["stream"]
    assert isinstance(answer["stream"], Events) and "impacts" not in answer
    chunks: list[Any] = list(stream)
    assert len(chunks) == 4 and len(records) == 1
    assert answer["impacts"] is records[0].impacts is chunks[-1].impacts is stream.impacts
    assert records[0].usage.output_tokens == 8


def test_a_loop_left_early_on_a_generator_handing_stream_ends_it_once(
    records: list[Any],
) -> None:
    answer = _held(5)
    for n, _ in enumerate(answer["stream"]):
        if n == 1:
            break
    assert len(records) == 1 and records[0].usage.output_tokens == 4
    assert answer["impacts"] is records[0].impacts


async def test_a_stream_handing_out_async_generators_is_tapped(records: list[Any]) -> None:
    answer = _held(3)
    chunks = [c async for c in answer["stream"]]
    assert len(chunks) == 3 and answer["impacts"] is records[0].impacts


def routed(service: str, n: int) -> dict[str, Any]:
    """Like botocore's ``_make_api_call``: one function behind many services."""
    return {"service": service, "stream": Events(n)}


def test_a_call_the_target_does_not_accept_passes_through_untouched(records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    mine = Target(__name__, "routed", "routed", stream=HeldChars,
                  accepts=lambda instance, args, kwargs: args[0] == "mine")  # fmt: skip
    _patch_target(mine)
    other = globals()["routed"]("other", 2)
    assert type(other["stream"]) is Events and list(other["stream"]) and records == []
    assert "impacts" not in other
    answer = globals()["routed"]("mine", 2)
    list(answer["stream"])
    assert len(records) == 1 and answer["impacts"] is records[0].impacts


def _broken_accepts(instance: Any, args: Any, kwargs: Any) -> bool:
    raise RuntimeError("accepts broke")


def test_an_accepts_test_that_fails_is_reported_and_the_call_passes_through(
    records: list[Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    EcoLogits.init(providers=["openai"])
    _patch_target(Target(__name__, "routed", "routed", stream=HeldChars, accepts=_broken_accepts))
    with pytest.raises(RuntimeError, match="accepts broke"):  # under pytest: raised
        globals()["routed"]("mine", 2)
    monkeypatch.setenv("TOKENPRINT_STRICT", "0")  # in production: logged, the call goes on
    answer = globals()["routed"]("mine", 2)
    assert type(answer["stream"]) is Events and list(answer["stream"]) and records == []
    assert "impacts" not in answer
    assert any("routed (accepts)" in r.getMessage() for r in caplog.records)


def text_answer(prompt: str) -> str:
    """Like huggingface text_generation: the answer is a plain str."""
    return prompt.upper()


def test_response_that_cannot_take_an_attribute_is_still_published(records: list[Any]) -> None:
    EcoLogits.init(providers=["openai"])
    _patch_target(
        Target(
            __name__,
            "text_answer",
            "text_generation",
            lambda call, r: partial(Usage, "huggingface_hub", "gpt-4o-mini", 1, len(r)),
        )
    )
    assert globals()["text_answer"]("abc") == "ABC"
    assert records[0].usage.output_tokens == 3


def test_sdk_call_after_shutdown_is_untouched(client: Any) -> None:
    EcoLogits.shutdown()
    with use_cassette("openai", "chat_completion"):
        resp = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert not hasattr(resp, "impacts")


def test_text_tokens_counts_about_four_characters_per_token() -> None:
    assert text_tokens("") == 0
    assert text_tokens("abcd") == 1
    assert text_tokens("abcde") == 2
    assert text_tokens([{"role": "user", "content": "x" * 40}]) == 10


# -- the per-type shortcut of the response path ------------------------------------------------
def test_only_types_that_cannot_be_streams_or_raw_responses_skip_the_checks() -> None:
    from types import MappingProxyType

    import pydantic

    from tokenprint.instrument import core
    from tokenprint.instrument.read import first_int

    class Answer(pydantic.BaseModel):
        text: str = ""

    class Streamish:
        _iterator = iter(())

    class SelfIterating(pydantic.BaseModel):
        def __next__(self) -> Any:
            raise StopIteration

    class APIResponse(pydantic.BaseModel):  # the name of a Stainless raw response
        pass

    def gen() -> Iterator[int]:
        yield 1

    # a pydantic answer is known not to be a stream from its type where pydantic names its
    # fields __pydantic_fields__ (>= 2.10); older releases: the instance is looked at
    assert core._plain_type(Answer) == hasattr(Answer, "__pydantic_fields__")
    assert not core._plain_type(Streamish)  # the instance's iterator decides
    assert not core._plain_type(type(gen()))
    assert not core._plain_type(SelfIterating)
    assert not core._plain_type(APIResponse)
    # first_int caches whether a type is a Mapping: both kinds still read
    assert first_int(MappingProxyType({"a": 3}), "a") == 3
    assert first_int(Answer(), "missing", "text") == 0
    assert first_int({"b": 2.0}, "a", "b") == 2


def test_a_stream_after_plain_answers_of_the_same_target_is_still_tapped(client: Any) -> None:
    """The shortcut is per (target, type): a target's plain answers never make its streams
    skip the tap."""
    for _ in range(2):
        with use_cassette("openai", "chat_completion"):
            answer = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert answer.impacts.has_values
    with use_cassette("openai", "chat_stream_usage"):
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, **openai_include_usage()
        )
        chunks = list(stream)
    assert chunks[-1].impacts.has_values
    assert chunks[-1].impacts.basis.output_tokens > 0


# -- impacts computed on first read ----------------------------------------------------------
def test_without_hooks_impacts_are_computed_on_first_read_and_match_the_eager_ones(
    client: Any, monkeypatch: pytest.MonkeyPatch, computes: list[int]
) -> None:
    from tokenprint import Tracker
    from tokenprint.instrument import contract

    ticks = iter(range(1000))
    monkeypatch.setattr(contract, "_clock", lambda: float(next(ticks)))  # latency 1 s each call
    with EcoLogits.site(zone="FRA"):
        with use_cassette("openai", "chat_completion"):
            lazy = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert computes == []
        with use_cassette("openai", "chat_completion"), Tracker() as tracker:
            eager = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert computes == [1]
    EcoLogits.shutdown()  # what the estimate needs was taken at the call
    assert lazy.impacts.to_dict() == eager.impacts.to_dict()
    assert lazy.impacts.basis.zone == "FRA" and lazy.impacts.basis.latency_s == 1.0
    assert computes == [1, 1]
    assert lazy.impacts.gwp == eager.impacts.gwp and computes == [1, 1]
    assert tracker.total.basis.requests == 1


def test_a_stream_without_hooks_gets_impacts_computed_on_first_read(
    client: Any, computes: list[int]
) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, **openai_include_usage()
        )
        last = list(stream)[-1]
    assert computes == []
    assert last.impacts is stream.impacts
    assert stream.impacts.basis.output_tokens == 9 and computes == [1]


class Answer:
    """A result that takes attributes (stands for an SDK's response object)."""


def answer() -> Answer:
    return Answer()


def _build(built: list[int], out: int) -> Usage:
    built.append(out)
    if out < 0:
        raise RuntimeError("late boom")
    return Usage("openai", "gpt-4o-mini", 10, out)


def _late(built: list[int], out: int) -> Any:
    """A usage function handing back a builder (``Target.usage``), as mistralai's does."""
    return lambda call, resp: partial(_build, built, out)


def test_a_usage_builder_runs_on_first_read_never_at_the_call() -> None:
    from tokenprint import Tracker

    built: list[int] = []
    EcoLogits.init(providers=["openai"])
    _patch_target(Target(__name__, "answer", "answer", _late(built, 5)))
    resp = globals()["answer"]()
    assert built == []
    assert resp.impacts.basis.output_tokens == 5 and built == [5]
    assert resp.impacts.gwp.value > 0 and built == [5]  # once
    with Tracker() as tracker:  # a hook waits for the numbers: built at the call
        globals()["answer"]()
        assert built == [5, 5]
    assert tracker.requests[0].usage.output_tokens == 5


def outer_answer() -> Any:
    """Stands for google-genai's public method: it makes two HTTP calls through a private
    method that is instrumented too (``answer`` here)."""
    globals()["answer"]()
    return globals()["answer"]()


def _summed(call: Call, resp: Any) -> Any:
    return partial(combined, call.inner)


def test_nested_usage_builders_are_collected_and_run_on_the_outer_first_read() -> None:
    built: list[int] = []
    EcoLogits.init(providers=["openai"])
    _patch_target(Target(__name__, "answer", "answer", _late(built, 5)))
    _patch_target(Target(__name__, "outer_answer", "outer", _summed))
    resp = globals()["outer_answer"]()
    assert built == []  # neither hop built its Usage at the call
    assert resp.impacts.basis.output_tokens == 10 and built == [5, 5]


def test_combined_calls_builders_and_takes_usages_as_they_are() -> None:
    first = Usage("google", "gemini-2.0-flash", 3, 4)
    last = Usage("google", "gemini-2.5-flash", 10, 20, warnings=(("w", "x"), ("v", "y")))
    assert combined([partial(lambda: first)]) == first
    assert combined([partial(lambda: last)]) == last
    assert combined([partial(lambda: first), last]) == last._replace(
        input_tokens=13, output_tokens=24
    )


def test_a_failing_usage_builder_raises_on_read_under_pytest() -> None:
    EcoLogits.init(providers=["openai"])
    _patch_target(Target(__name__, "answer", "answer", _late([], -1)))
    resp = globals()["answer"]()  # the call itself succeeds
    with pytest.raises(RuntimeError, match="late boom"):
        _ = resp.impacts.gwp


def test_a_failing_usage_builder_is_reported_on_read_in_production(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TOKENPRINT_STRICT", "0")
    EcoLogits.init(providers=["openai"])
    _patch_target(Target(__name__, "answer", "answer", _late([], -1)))
    resp = globals()["answer"]()
    assert [e.code for e in resp.impacts.errors] == ["instrumentation-error"]
    assert "late boom" in resp.impacts.errors[0].message
    assert [r for r in caplog.records if "late boom" in r.getMessage()]


_HELD: list[tuple[Any, Any]] = []


def openai_answer() -> Any:
    """An SDK answer (a pydantic model with extras) whose extras dict and set of fields are
    held, as another thread serializing the answer would hold them."""
    from openai.types.chat import ChatCompletion

    resp = ChatCompletion.model_validate(
        {"id": "c1", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
         "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}
    )  # fmt: skip
    _HELD.append((resp.__pydantic_extra__, resp.__pydantic_fields_set__))
    return resp


def test_attaching_never_resizes_what_another_thread_may_be_iterating() -> None:
    # LiteLLM serializes its answers in a logging thread while the caller gets them back;
    # pydantic-core panics when a dict it iterates changes size
    EcoLogits.init(providers=["openai"])
    _patch_target(
        Target(
            __name__,
            "openai_answer",
            "x",
            lambda c, r: partial(Usage, "openai", "gpt-4o-mini", 3, 4),
        )
    )
    _HELD.clear()
    for _ in range(2):  # the first answer of a type goes through attach(), the next inlined
        resp = globals()["openai_answer"]()
        extra, fields = _HELD[-1]
        assert "impacts" not in extra and "impacts" not in fields
        assert resp.impacts.basis.output_tokens == 4
        assert "impacts" in resp.model_fields_set
        assert "energy" in resp.model_dump()["impacts"]


def test_trackers_and_budgets_hold_the_after_hook_only_while_open() -> None:
    from tokenprint import Budget, Tracker

    assert not events.AFTER
    with Tracker():
        assert events.AFTER
        with Budget(total={"gwp": "1 g"}):
            assert events.AFTER
        assert events.AFTER
    assert not events.AFTER
    EcoLogits.init(budget=Budget(total={"gwp": "1 g"}))
    assert events.AFTER
    EcoLogits.init()  # re-init without a budget gives the global one's hook back
    assert not events.AFTER


# -- ChatChunks: the fields wherever the chunk objects keep them -----------------------------
class _Slotted:
    """A chunk part without ``__dict__``: read through ``field()``."""

    __slots__ = ("choices", "content", "delta", "finish_reason", "model", "usage")

    def __init__(self, **kw: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, kw.get(name))


def _litellm_like(**kw: Any) -> Any:
    """A pydantic model keeping its fields among the extras (LiteLLM's choices, deltas)."""
    import pydantic

    class Extras(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")

    return Extras(**kw)


def _plain(**kw: Any) -> Any:
    import types

    return types.SimpleNamespace(**kw)


@pytest.mark.parametrize("make", [_plain, _litellm_like, _Slotted], ids=["dict", "extras", "slots"])
def test_chat_chunks_read_model_text_usage_and_end_from_any_object_layout(make: Any) -> None:
    from tokenprint.instrument.read import ChatChunks

    acc = ChatChunks(Call(Target("m", "f", "e"), None, (), {}), None)
    usage = make(prompt_tokens=3, completion_tokens=2)

    def chunk(text: str | None, reason: str | None = None, u: Any = None, model: str = "m1") -> Any:
        choice = make(delta=make(content=text), finish_reason=reason)
        return make(model=model, choices=[choice], usage=u)

    assert acc.add(chunk("Hello", model="")) is False
    assert acc.add(chunk(" world")) is False
    assert acc.add(chunk(None, "stop")) is False  # no usage yet
    assert acc.add(make(model="m1", choices=[], usage=usage)) is True  # usage, no choices: the end
    assert (acc.model, acc.chars, acc.u) == ("m1", 11, usage)
    done = ChatChunks(Call(Target("m", "f", "e"), None, (), {}), None)
    assert done.add(chunk("x", None, usage)) is False  # usage beside an unfinished choice
    assert done.add(make(model="m1", choices=None, usage=usage)) is True
    bare = ChatChunks(Call(Target("m", "f", "e"), None, (), {}), None)
    last = make(delta=make(content="abc"), finish_reason="stop")
    assert bare.add(make(model="m1", choices=[last])) is False  # no usage field (HF 0.24)
    assert (bare.model, bare.chars, bare.u) == ("m1", 3, None)


def test_chat_chunks_count_a_chunk_once_when_a_field_is_missing_after_some_were_read() -> None:
    import types

    from tokenprint.instrument.read import ChatChunks

    class Event:  # mistralai's layout: the chunk inside each event
        def __init__(self, data: Any) -> None:
            self.data = data

    class Inside(ChatChunks):
        __slots__ = ()
        inside = "data"

    ns = types.SimpleNamespace
    acc = Inside(Call(Target("m", "f", "e"), None, (), {}), None)
    whole = ns(delta=ns(content="Hello"), finish_reason=None)
    odd = ns(delta=ns(content=" world"))  # no finish_reason: read again, field by field
    assert acc.add(Event(ns(model="m1", choices=[whole, odd], usage=None))) is False
    assert (acc.model, acc.chars, acc.inner.model) == ("m1", 11, "m1")
    assert acc.add(Event(ns(model="m1", choices=[], usage=ns(total_tokens=3)))) is True
    assert acc.chars == 11


def test_the_request_is_read_before_sending_from_its_declaration() -> None:
    from types import SimpleNamespace

    from tokenprint.instrument.contract import Request
    from tokenprint.instrument.core import pending

    request = Request(
        lambda call: ("google", "example.test"),
        text=("contents",),
        max_tokens=("max_tokens", "config.max_output_tokens"),
        positional=("model", "contents"),
    )
    target = Target("m", "f", "models.generate_content", request=request)
    for config in ({"max_output_tokens": 64}, SimpleNamespace(max_output_tokens=64)):
        call = Call(target, None, ("gemini-2.0-flash", "x" * 40), {"config": config})
        assert pending(call) == Pending(
            "google",
            "gemini-2.0-flash",
            64,
            10,
            "example.test",
            "models.generate_content",
            "text",
            call,
        )
    unset = Call(target, None, (), {"model": "m", "max_tokens": 7.5})  # not an int: no cap
    seen = pending(unset)
    assert seen is not None and seen.max_output_tokens is None and seen.input_tokens == 0
    assert seen.precision is None  # the site's, unless the request declares how to read it
    tagged = Target("m", "f", "e", request=request._replace(precision=lambda model: model[-4:]))
    assert pending(Call(tagged, None, ("llama:8b-int4",), {})).precision == "int4"  # type: ignore[union-attr]
