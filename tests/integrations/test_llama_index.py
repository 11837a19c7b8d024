"""LlamaIndex: ``llama-index-llms-openai`` calls the openai SDK and keeps its answer as
``response.raw``, which carries the impacts. The real LlamaIndex LLM, its real openai client
replaying a hand-written chat completion. (Current releases require openai < 3: CI runs this
file in an environment of its own.)"""

from __future__ import annotations

from typing import Any

import pytest

llms_openai = pytest.importorskip("llama_index.llms.openai")
ChatMessage = pytest.importorskip("llama_index.core.llms").ChatMessage

from tests.support.cassettes import records, use_cassette  # noqa: E402
from tokenprint import EcoLogits  # noqa: E402
from tokenprint.impacts.results import Impacts  # noqa: E402


def _llm() -> Any:
    EcoLogits.init(providers=["openai"])
    return llms_openai.OpenAI(model="gpt-4o-mini", api_key="sk-test", max_retries=0)


def _counted(raw: Any, recs: Any) -> None:
    impacts = getattr(raw, "impacts", None)
    assert isinstance(impacts, Impacts)
    assert impacts.errors == [] and impacts.gwp is not None
    assert impacts.basis.output_tokens == 300
    assert len(recs) == 1


def test_chat_response_raw_carries_the_impacts() -> None:
    llm = _llm()
    with use_cassette("openai", "chat_completion"), records() as recs:
        response = llm.chat([ChatMessage(role="user", content="Hello World!")])
    assert response.message.content == "Hello! How can I help you today?"
    _counted(response.raw, recs)


def test_complete_response_raw_carries_the_impacts() -> None:
    llm = _llm()
    with use_cassette("openai", "chat_completion"), records() as recs:
        response = llm.complete("Hello World!")
    assert response.text == "Hello! How can I help you today?"
    _counted(response.raw, recs)


async def test_achat_response_raw_carries_the_impacts() -> None:
    llm = _llm()
    with use_cassette("openai", "chat_completion"), records() as recs:
        response = await llm.achat([ChatMessage(role="user", content="Hello World!")])
    _counted(response.raw, recs)
