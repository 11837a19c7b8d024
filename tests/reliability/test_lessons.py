"""One test per crash of lessons.md that concerns openai, anthropic, init() or logging.

Each test is named after what users met in other libraries and pins that it cannot happen
here. (Crashes of other SDKs live in their adapters' tests.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

from tests.support.cassettes import (  # noqa: E402
    closable,
    openai_include_usage,
    request_id,
    sdk_method,
    use_cassette,
)
from tokenprint import EcoLogits, events  # noqa: E402
from tokenprint.instrument import SDKS  # noqa: E402
from tokenprint.records import RequestRecord  # noqa: E402

MESSAGES = [{"role": "user", "content": "Hello World!"}]
AKW: dict[str, Any] = {
    "model": "claude-3-5-sonnet-latest",
    "max_tokens": 1024,
    "messages": MESSAGES,
}


@pytest.fixture
def oa() -> Any:
    EcoLogits.init()
    return openai.OpenAI(api_key="sk-test", max_retries=0)


@pytest.fixture
def an() -> Any:
    EcoLogits.init()
    return anthropic.Anthropic(api_key="sk-ant-test", max_retries=0)


# -- init ----------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", ["mistralai", "huggingface_hub"])
def test_init_with_a_provider_whose_sdk_moved_or_lacks_an_extra_does_not_raise(
    provider: str,
) -> None:
    # ecologits: ImportError with mistralai 3.x; huggingface_hub needed tiktoken
    EcoLogits.init(providers=[provider])


def test_sdk_extras_are_not_pinned_narrowly() -> None:
    # ecologits pinned openai<2 and anthropic<0.46, conflicting with users' stacks
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    assert extras["openai"] == ["openai>=1.0"]
    assert extras["anthropic"] == ["anthropic>=0.40"]
    assert all("<" not in spec for name in SDKS for spec in extras.get(name, []))


# -- openai --------------------------------------------------------------------------------
def test_final_usage_chunk_with_empty_choices_raises_no_index_error(oa: Any) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        chunks = list(
            oa.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                stream=True,
                **openai_include_usage(),
            )
        )
    assert chunks[-1].choices == [] and chunks[-1].impacts.errors == []


def test_answer_with_usage_none_raises_no_attribute_error(oa: Any) -> None:
    local = openai.OpenAI(api_key="k", base_url="http://localhost:11434/v1", max_retries=0)
    with use_cassette("openai", "chat_usage_none"):
        resp = local.chat.completions.create(model="llama3.1:8b", messages=MESSAGES)
    assert resp.impacts.basis.output_tokens > 0


def test_with_raw_response_raises_no_attribute_error(oa: Any) -> None:
    with use_cassette("openai", "chat_completion"):
        raw = oa.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    assert raw.parse().impacts.energy is not None


def test_stream_is_not_replaced_by_a_bare_generator(oa: Any) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        stream = oa.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            **openai_include_usage(),
        )
        assert isinstance(stream, openai.Stream)
        assert stream.response.status_code == 200
        with closable(stream) as s:
            assert s is stream
            list(s)


def test_chat_completions_stream_helper_does_not_crash(oa: Any) -> None:
    with (
        use_cassette("openai", "chat_stream_usage"),
        sdk_method(oa, "chat.completions.stream", "beta.chat.completions.stream")(
            model="gpt-4o-mini", messages=MESSAGES
        ) as stream,
    ):
        assert stream.get_final_completion().choices[0].message.content


def test_responses_stream_helper_does_not_crash(oa: Any) -> None:
    with (
        use_cassette("openai", "responses_stream"),
        sdk_method(oa, "responses.stream")(model="gpt-4.1", input="Hello World!") as stream,
    ):
        assert stream.get_final_response().output_text == "Hello! How can I help?"


def test_azure_empty_first_chunk_is_not_dropped() -> None:
    EcoLogits.init()
    client = openai.AzureOpenAI(
        api_key="az-test",
        api_version="2024-10-21",
        azure_endpoint="https://tokenprint-test.openai.azure.com",
        max_retries=0,
    )
    with use_cassette("openai", "azure_chat_stream"):
        chunks = list(
            client.chat.completions.create(
                model="my-gpt4o",
                messages=MESSAGES,
                stream=True,
                **openai_include_usage(),
            )
        )
    assert chunks[0].model == "" and chunks[0].choices == []


def test_impacts_are_computed_once_per_stream_not_per_chunk(oa: Any, computes: list[int]) -> None:
    with use_cassette("openai", "chat_stream_usage"):
        stream = oa.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, **openai_include_usage()
        )
        chunks = list(stream)
    assert len(chunks) == 12
    assert computes == []  # nothing asked for the impacts yet: computed on first read
    assert stream.impacts.gwp is not None and chunks[-1].impacts is stream.impacts
    assert chunks[-1].impacts.energy is not None
    assert len(computes) == 1


def test_streamed_output_tokens_are_not_one_per_chunk(oa: Any) -> None:
    with use_cassette("openai", "chat_stream_no_usage"):
        stream = oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert stream.impacts.basis.output_tokens == (len(text) + 3) // 4 != len(chunks)


def test_response_is_not_rebuilt_so_request_id_and_type_survive(oa: Any) -> None:
    with use_cassette("openai", "chat_completion"):
        resp = oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(resp) is openai.types.chat.ChatCompletion
    assert request_id(resp) == "req_tokenprint_chat_0001"


# -- anthropic -----------------------------------------------------------------------------
def test_anthropic_create_stream_true_raises_no_attribute_error(an: Any) -> None:
    with use_cassette("anthropic", "message_stream"):
        stream = an.messages.create(**AKW, stream=True)
        list(stream)
    assert stream.impacts.energy is not None


def test_anthropic_stream_helper_gets_impacts_without_text_stream(an: Any) -> None:
    with use_cassette("anthropic", "message_stream"), an.messages.stream(**AKW) as stream:
        for _event in stream:
            pass
    assert stream.impacts.energy is not None


def test_anthropic_cumulative_output_tokens_are_not_added_twice(an: Any) -> None:
    records: list[RequestRecord] = []
    events.add_after(records.append)
    try:
        with use_cassette("anthropic", "message_stream"):
            list(an.messages.create(**AKW, stream=True))
    finally:
        events.remove(records.append)
    assert records[0].usage.output_tokens == 180  # message_start said 1: not 181


def test_anthropic_response_keeps_its_request_id(an: Any) -> None:
    with use_cassette("anthropic", "message"):
        msg = an.messages.create(**AKW)
    assert request_id(msg) == "req_tokenprint_msg_0001"


# -- logging -------------------------------------------------------------------------------
def test_import_does_not_change_the_logger_class() -> None:
    import logging

    import tokenprint

    assert logging.getLoggerClass() is logging.Logger
    assert tokenprint.__name__ == "tokenprint"
    assert logging.getLogger("tokenprint").handlers == []
