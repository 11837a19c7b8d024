"""Scopes (labels, site overrides, trackers, budgets) are re-entrant and thread-safe."""

from __future__ import annotations

import threading

from tokenprint import EcoLogits, context


def test_same_label_scope_nested_keeps_outer_context_until_outer_exit() -> None:
    scope = EcoLogits.label(task="a")
    with scope:
        with scope:
            assert context.labels() == {"task": "a"}
        assert context.labels() == {"task": "a"}, "inner exit must not close the outer one"
    assert context.labels() == {}


def test_decorated_function_called_from_two_threads_sees_its_own_labels() -> None:
    scope = EcoLogits.label(team="x")
    inside = threading.Barrier(2)
    seen: list[dict[str, str]] = []

    @scope
    def work() -> None:
        inside.wait(timeout=5)  # both threads are inside the scope at once
        seen.append(dict(context.labels()))
        inside.wait(timeout=5)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [{"team": "x"}, {"team": "x"}]
    assert context.labels() == {}


async def test_label_scope_as_async_decorator_restores_context() -> None:
    @EcoLogits.label(step="embed")
    async def run() -> dict[str, str]:
        return dict(context.labels())

    assert await run() == {"step": "embed"}
    assert context.labels() == {}
