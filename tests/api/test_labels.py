"""EcoLogits.label(): labels for the requests made inside, in every form, sync and async."""

from __future__ import annotations

import asyncio

from tokenprint import EcoLogits, context


def test_label_as_context_manager_nests_and_restores() -> None:
    assert context.labels() == {}
    with EcoLogits.label(task="summarise", user=7):
        assert context.labels() == {"task": "summarise", "user": "7"}
        with EcoLogits.label(task="translate"):
            assert context.labels() == {"task": "translate", "user": "7"}
        assert context.labels() == {"task": "summarise", "user": "7"}
    assert context.labels() == {}


def test_label_as_decorator_applies_on_each_call() -> None:
    @EcoLogits.label(task="qa")
    def answer() -> dict[str, str]:
        return dict(context.labels())

    assert answer() == {"task": "qa"}
    assert answer() == {"task": "qa"}
    assert context.labels() == {}


async def test_label_as_async_context_manager() -> None:
    async with EcoLogits.label(task="chat"):
        await asyncio.sleep(0)
        assert context.labels() == {"task": "chat"}
    assert context.labels() == {}


async def test_label_as_async_decorator_isolates_concurrent_tasks() -> None:
    @EcoLogits.label(task="a")
    async def a() -> dict[str, str]:
        await asyncio.sleep(0.01)
        return dict(context.labels())

    @EcoLogits.label(task="b")
    async def b() -> dict[str, str]:
        await asyncio.sleep(0)
        return dict(context.labels())

    assert list(await asyncio.gather(a(), b())) == [{"task": "a"}, {"task": "b"}]
    assert context.labels() == {}
