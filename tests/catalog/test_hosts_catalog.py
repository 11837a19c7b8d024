"""The ids Groq, Together AI and Ollama answer with resolve to catalogue rows, and their
hosts to their data centres."""

from __future__ import annotations

import pytest

import tokenprint
from tokenprint.catalog import datacenters

IDS = {
    # Groq
    "llama-3.3-70b-versatile": "meta-llama/Llama-3.3-70B-Instruct",
    "llama-3.1-8b-instant": "meta-llama/Llama-3.1-8B-Instruct",
    "openai/gpt-oss-120b": "openai/gpt-oss-120b",
    # Together AI
    "meta-llama/Llama-3.3-70B-Instruct-Turbo": "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo": "meta-llama/Llama-3.1-8B-Instruct",
    "deepseek-ai/DeepSeek-V3": "deepseek-ai/DeepSeek-V3",
    "Qwen/Qwen2.5-72B-Instruct-Turbo": "Qwen/Qwen2.5-72B-Instruct",
    # Ollama tags, with and without a build suffix
    "llama3.1:8b": "meta-llama/Llama-3.1-8B-Instruct",
    "qwen2.5:7b": "Qwen/Qwen2.5-7B-Instruct",
    "mistral": "open-mistral-7b",
    "mistral:latest": "open-mistral-7b",
    "gemma2:9b": "google/gemma-2-9b-it",
    "qwen2.5:7b-instruct-q4_K_M": "Qwen/Qwen2.5-7B-Instruct",
    "llama3.1:8b-instruct-q8_0": "meta-llama/Llama-3.1-8B-Instruct",
    "llama3.1:8b-instruct-fp16": "meta-llama/Llama-3.1-8B-Instruct",
}


@pytest.mark.parametrize(("name", "row"), IDS.items())
def test_host_ids_resolve_without_a_guess(name: str, row: str) -> None:
    res = tokenprint.resolve_model(name)
    assert res.record is not None and res.record.name == row
    assert res.warning is None  # never the loose match


@pytest.mark.parametrize(
    "name", ["llama3.1:8b-text-q4_K_M", "acme-unreleased-9000", "my-assistant:q4_K_M"]
)
def test_other_tags_stay_unknown(name: str) -> None:
    assert tokenprint.resolve_model(name).record is None


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("api.groq.com", "groq"),
        ("api.together.xyz", "together"),
        ("api-inference.together.ai", "together"),
        ("localhost", "self-hosted"),
    ],
)
def test_hosts_have_their_data_centre(host: str, name: str) -> None:
    dc = datacenters.for_host(host)
    assert dc is not None and dc.name == name
