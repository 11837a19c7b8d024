"""Ollama adapter: the real ollama client against our cassettes (a local server's JSON and
NDJSON answers)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.cassettes import cassette, estimated_impacts, failing_transport, records
from tests.support.hosts import refused_before_sending
from tokenprint import Budget, EcoLogits, events
from tokenprint.budgets import worst_case
from tokenprint.instrument.providers.ollama import precision_of
from tokenprint.records import Pending, Usage

ollama = pytest.importorskip("ollama")

MODEL = "llama3.1:8b"
MESSAGES: list[Any] = [{"role": "user", "content": "Say hello in French."}]
HOST = "http://localhost:11434"


@pytest.fixture
def client() -> Any:
    EcoLogits.init(providers=["ollama"])
    return ollama.Client(host=HOST)


def test_chat_carries_impacts_of_the_self_hosted_site(client: Any) -> None:
    with cassette("ollama", "chat"), records() as recs:
        resp = client.chat(model=MODEL, messages=MESSAGES)
    assert type(resp).__name__ == "ChatResponse"
    impacts = estimated_impacts(resp)
    u = recs.usage
    assert (u.provider, u.host, u.model, u.input_tokens, u.output_tokens) == (
        "ollama", "localhost", MODEL, 16, 5,
    )  # fmt: skip
    assert u.endpoint == "chat" and u.warnings == ()
    assert u.latency_s == pytest.approx(1.8439205)  # Ollama's total_duration, not our clock
    assert (impacts.basis.datacenter, impacts.basis.precision) == ("self-hosted", "int4")
    assert impacts.basis.model_resolved == "meta-llama/Llama-3.1-8B-Instruct"
    assert resp["message"]["content"] == "Bonjour !"  # the SDK's own object, subscriptable


async def test_chat_async_carries_impacts() -> None:
    EcoLogits.init(providers=["ollama"])
    with cassette("ollama", "chat"), records() as recs:
        resp = await ollama.AsyncClient(host=HOST).chat(model=MODEL, messages=MESSAGES)
    estimated_impacts(resp)
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (16, 5)


def test_stream_puts_impacts_on_the_done_part(client: Any) -> None:
    with cassette("ollama", "chat_stream"), records() as recs:
        seen = [hasattr(p, "impacts") for p in client.chat(MODEL, MESSAGES, stream=True)]
    assert seen == [False, False, False, True]
    u = recs.usage
    assert (u.input_tokens, u.output_tokens, u.warnings) == (16, 5, ())
    assert u.latency_s == pytest.approx(1.8439205)


async def test_async_stream_accounts_once() -> None:
    EcoLogits.init(providers=["ollama"])
    with cassette("ollama", "chat_stream"), records() as recs:
        stream = await ollama.AsyncClient(host=HOST).chat(MODEL, MESSAGES, stream=True)
        parts = [p async for p in stream]
    estimated_impacts(parts[-1])
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (16, 5)


def test_stream_ending_without_its_done_part_is_estimated(client: Any) -> None:
    with cassette("ollama", "chat_stream_cut"), records() as recs:
        parts = list(client.chat(MODEL, MESSAGES, stream=True))
    u = recs.usage
    assert (u.input_tokens, u.output_tokens) == (5, 3)  # 20 characters asked, 9 answered
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]
    assert estimated_impacts(parts[-1]).basis.latency_s is not None  # our clock, then


def test_stream_closed_early_is_accounted(client: Any) -> None:
    with cassette("ollama", "chat_stream"), records() as recs:
        stream = client.chat(MODEL, MESSAGES, stream=True)
        next(stream)
        stream.close()
    assert recs.usage.output_tokens == 1  # "Bon"


def test_generate_and_its_stream(client: Any) -> None:
    with cassette("ollama", "generate"), records() as recs:
        resp = client.generate("qwen2.5:7b", "The capital of France is")
    assert estimated_impacts(resp).basis.model_resolved == "Qwen/Qwen2.5-7B-Instruct"
    assert (recs.usage.input_tokens, recs.usage.output_tokens) == (30, 3)
    with cassette("ollama", "generate_stream"), records() as recs:
        parts = list(client.generate("qwen2.5:7b", "The capital of France is", stream=True))
    estimated_impacts(parts[-1])
    assert (recs.usage.input_tokens, recs.usage.endpoint) == (30, "generate")


def test_module_functions_use_the_default_client(monkeypatch: pytest.MonkeyPatch) -> None:
    EcoLogits.init(providers=["ollama"])
    monkeypatch.setattr(ollama._client, "_client", httpx.Client(base_url="http://127.0.0.1:11434"))
    with cassette("ollama", "chat_local"), records() as recs:
        resp = ollama.chat(model=MODEL, messages=MESSAGES)
    estimated_impacts(resp)
    assert (recs.usage.host, recs.usage.output_tokens) == ("127.0.0.1", 5)


def test_a_cached_prompt_is_estimated_and_counted_as_cached(client: Any) -> None:
    with cassette("ollama", "cached_prompt"), records() as recs:
        resp = client.chat(model=MODEL, messages=MESSAGES)
    u = recs.usage
    assert (u.input_tokens, u.cached_tokens, u.output_tokens) == (5, 5, 5)
    assert [w[0] for w in u.warnings] == ["input-tokens-estimated"]
    estimated_impacts(resp)


def test_an_answer_without_counts_is_estimated_never_zero(client: Any) -> None:
    with cassette("ollama", "no_counts"), records() as recs:
        resp = client.chat(model=MODEL, messages=MESSAGES)
    u = recs.usage
    assert (u.input_tokens, u.output_tokens) == (5, 3)
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated", "input-tokens-estimated"]
    estimated_impacts(resp)


def test_a_counted_prompt_without_an_output_count_keeps_the_count(client: Any) -> None:
    with cassette("ollama", "no_output_count"), records() as recs:
        resp = client.chat(model=MODEL, messages=MESSAGES)
    u = recs.usage
    assert (u.input_tokens, u.output_tokens) == (17, 3)
    assert [w[0] for w in u.warnings] == ["output-tokens-estimated"]  # the input was counted
    estimated_impacts(resp)


def test_the_quantisation_tag_sets_the_weight_precision(client: Any) -> None:
    model = "qwen2.5:7b-instruct-q8_0"
    with cassette("ollama", "quantised"):
        resp = client.chat(model=model, messages=MESSAGES)
    impacts = estimated_impacts(resp)
    assert (impacts.basis.precision, impacts.basis.model_resolved) == (
        "int8", "Qwen/Qwen2.5-7B-Instruct",
    )  # fmt: skip
    with cassette("ollama", "chat"):
        default = client.chat(model=MODEL, messages=MESSAGES).impacts
    assert default.energy.value.central < impacts.energy.value.central  # fewer bytes read


@pytest.mark.parametrize(
    ("tag", "precision"),
    [
        ("llama3.1:8b", "int4"),
        ("mistral", "int4"),
        ("qwen2.5:7b-instruct-q4_K_M", "int4"),
        ("llama3.1:8b-instruct-q5_K_M", "int4"),
        ("gemma2:9b-instruct-q6_K", "int8"),
        ("llama3.1:8b-instruct-q8_0", "int8"),
        ("llama3.1:8b-instruct-fp16", "fp16"),
        ("llama3.2:3b-instruct-bf16", "bf16"),
        ("phi3:3.8b-mini-4k-instruct-iq3_m", "int4"),
        ("registry.example/qwen2.5:7b", "int4"),
    ],
)
def test_precision_of_a_tag(tag: str, precision: str) -> None:
    assert precision_of(tag, "int4") == precision


def test_the_users_self_hosted_configuration_sets_the_site() -> None:
    EcoLogits.init(providers=["ollama"], datacenters={"self-hosted": {"accelerator": "A100",
                                                                      "zone": "FRA"}})  # fmt: skip
    with cassette("ollama", "chat"):
        resp = ollama.Client(host=HOST).chat(model=MODEL, messages=MESSAGES)
    basis = estimated_impacts(resp).basis
    assert (basis.hardware, basis.zone, basis.precision) == ("A100", "FRA", "int4")


def test_embed_counts_prompt_eval_count(client: Any) -> None:
    with cassette("ollama", "embed"), records() as recs:
        resp = client.embed(model="nomic-embed-text", input=["Hello World!", "Goodbye World!"])
    estimated_impacts(resp)
    u = recs.usage
    assert (u.modality, u.input_tokens, u.precision) == ("embedding", 8, "fp16")


def test_unknown_model_is_reported_not_raised_and_counts_as_unestimated(client: Any) -> None:
    with cassette("ollama", "unknown_model"), EcoLogits.track() as tracker:
        resp = client.chat(model="my-assistant:latest", messages=MESSAGES)
    [error] = resp.impacts.errors
    assert error.code == "model-not-registered" and "my-assistant" in error.message
    assert [r.usage.model for r in tracker.unestimated] == ["my-assistant:latest"]


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
async def test_a_server_error_passes_through_unchanged(aio: bool) -> None:
    EcoLogits.init(providers=["ollama"])
    transport = failing_transport(404, {"error": 'model "llama3.1:70b" not found'})
    c = (ollama.AsyncClient if aio else ollama.Client)(host=HOST, transport=transport)
    with records() as recs, pytest.raises(ollama.ResponseError) as raised:
        result = c.chat(model="llama3.1:70b", messages=MESSAGES)
        if aio:
            await result
    assert raised.value.status_code == 404 and "not found" in raised.value.error
    assert list(recs) == []


def test_a_stream_failing_before_its_first_part_is_not_counted(client: Any) -> None:
    c = ollama.Client(host=HOST, transport=failing_transport(500, {"error": "out of memory"}))
    with records() as recs, pytest.raises(ollama.ResponseError):
        list(c.chat(model=MODEL, messages=MESSAGES, stream=True))
    assert list(recs) == []


def test_a_blocking_budget_refuses_before_sending(client: Any) -> None:
    send = lambda: client.chat(model=MODEL, messages=MESSAGES, options={"num_predict": 50})  # noqa: E731
    refused_before_sending(cassette("ollama", "chat"), MODEL, send)


def test_a_blocking_budget_estimates_with_the_tags_precision(client: Any) -> None:
    model = "llama3.1:8b-instruct-q4_K_M"  # int4 weights: cheaper than the site's bf16|fp8
    sent: list[Pending] = []
    events.add_before(sent.append)
    try:
        with cassette("ollama", "chat"):
            client.chat(model=model, messages=MESSAGES, options={"num_predict": 50})
    finally:
        events.remove(sent.append)
    worst = Usage("ollama", model, input_tokens=5, output_tokens=50, host="localhost",
                  endpoint="chat", requested_model=model)  # fmt: skip
    estimator = events.current().estimator  # type: ignore[union-attr]
    int4, site = (estimator.compute(worst._replace(precision=p)) for p in ("int4", None))
    assert worst_case(sent[0], None).gwp == int4.gwp != site.gwp  # as after the answer
    # a budget that the int4 worst case fits in, the site's precision not: the request passes
    limit = (int4.gwp.value.max + site.gwp.value.max) / 2 * 1000  # type: ignore[union-attr]
    assert int4.gwp.value.max * 1000 < limit < site.gwp.value.max * 1000  # type: ignore[union-attr]
    with (
        Budget(per_request={"gwp": f"{limit} g"}, mode="block"),
        cassette("ollama", "chat") as tape,
    ):
        resp = client.chat(model=model, messages=MESSAGES, options={"num_predict": 50})
    assert tape.play_count == 1 and estimated_impacts(resp).basis.precision == "int4"
