"""The behaviours every OpenAI-shaped, Stainless-generated host SDK (groq, together) must
show, written once: ``tests/providers/test_groq.py`` and ``test_together.py`` call them, one
named test each, with their SDK's :class:`Host`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.cassettes import cassette, estimated_impacts, failing_transport, records
from tokenprint import Budget, BudgetExceeded, EcoLogits

__all__ = ["MESSAGES", "Host", "refused_before_sending"]

MESSAGES: list[Any] = [{"role": "user", "content": "Say hello in French."}]


def refused_before_sending(played: Any, model: str, send: Callable[[], Any]) -> None:
    """``send()`` under a blocking budget that no request fits: refused, naming the model,
    before the cassette ``played`` (entered here) answers anything."""
    with (
        Budget(per_request={"gwp": "0 g"}, mode="block"),
        played as tape,
        records() as recs,
        pytest.raises(BudgetExceeded, match="refused before sending") as refused,
    ):
        send()
    assert model in str(refused.value)
    assert list(recs) == [] and tape.play_count == 0


@dataclass(frozen=True)
class Host:
    """An SDK, its clients and what its cassettes hold (``chat``, ``stream``, ``no_usage``,
    ``stream_no_usage``, ``unknown_model``)."""

    sdk: str
    sync: str
    aio: str
    model: str
    """The model of the ``chat`` cassette."""
    fast: str
    """The model of the ``stream`` cassette."""
    stream_counts: tuple[int, int]
    error: str
    """The SDK's exception class for an HTTP 500."""
    replay: dict[str, Any] = field(default_factory=dict)
    """vcrpy options of its cassettes (``match_on`` without the host, for an SDK whose
    releases send the same paths to different hosts)."""

    def cassette(self, name: str) -> Any:
        """Replay ``tests/cassettes/<sdk>/<name>.yaml``."""
        return cassette(self.sdk, name, **self.replay)

    def client(self, aio: bool = False, **options: Any) -> Any:
        """A client of the SDK, instrumented."""
        EcoLogits.init(providers=[self.sdk])
        module = pytest.importorskip(self.sdk)
        cls = getattr(module, self.aio if aio else self.sync)
        return cls(api_key="test-key", max_retries=0, **options)

    def chat(self, aio: bool = False, **kwargs: Any) -> Any:
        """The ``chat.completions.create`` call (a coroutine when ``aio``)."""
        ask = {"model": self.model, "messages": MESSAGES, **kwargs}
        return self.client(aio).chat.completions.create(**ask)

    async def check_async(self) -> tuple[Any, Any]:
        with self.cassette("chat"), records() as recs:
            resp = await self.chat(aio=True)
        estimated_impacts(resp)
        return resp, recs.usage

    async def check_async_stream(self) -> None:
        with self.cassette("stream"), records() as recs:
            stream = await self.chat(aio=True, model=self.fast, stream=True)
            chunks = [chunk async for chunk in stream]
        estimated_impacts(chunks[-1])
        assert (recs.usage.input_tokens, recs.usage.output_tokens) == self.stream_counts

    def check_without_usage(self, name: str) -> None:
        """An answer or a stream whose usage is missing: both counts estimated from the
        texts ("Bonjour !": 9 characters, 3 tokens), with their warnings."""
        stream = name.startswith("stream")
        model = self.fast if stream else self.model
        with self.cassette(name), records() as recs:
            resp = self.chat(model=model, stream=stream)
            if stream:
                list(resp)
        u = recs.usage
        assert u.input_tokens > 0 and u.output_tokens == 3
        codes = {w[0] for w in u.warnings}
        assert {"output-tokens-estimated", "input-tokens-estimated"} <= codes
        estimated_impacts(resp)

    def check_unknown_model(self, model: str) -> None:
        with self.cassette("unknown_model"):
            resp = self.chat(model=model)
        [error] = resp.impacts.errors
        assert error.code == "model-not-registered" and model in error.message

    async def check_api_error(self, aio: bool) -> None:
        """An HTTP 500 raises the SDK's own exception, unchanged; nothing is counted."""
        transport = failing_transport(500, {"error": {"message": "overloaded"}})
        http = (httpx.AsyncClient if aio else httpx.Client)(transport=transport)
        client = self.client(aio, http_client=http)
        error = getattr(pytest.importorskip(self.sdk), self.error)
        with records() as recs, pytest.raises(error) as raised:
            result = client.chat.completions.create(model=self.model, messages=MESSAGES)
            if aio:
                await result
        assert type(raised.value) is error and raised.value.status_code == 500
        assert list(recs) == []

    def check_blocking_budget(self) -> None:
        client = self.client()
        send = lambda: client.chat.completions.create(  # noqa: E731
            model=self.model, messages=MESSAGES, max_tokens=50
        )
        refused_before_sending(self.cassette("chat"), self.model, send)
