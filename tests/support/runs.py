"""Checks shared by the agent-framework tests: a run's requests each counted once."""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["counted_once"]


def counted_once(recs: Any, tracker: Any, tokens: list[tuple[int, int]]) -> None:
    """Each request of the run published once, in order, with its (input, output) tokens;
    the tracker holds the same requests and its total is their sum."""
    assert [(r.usage.input_tokens, r.usage.output_tokens) for r in recs] == tokens
    assert len(tracker.requests) == len(tokens)
    gwp = sum(r.impacts.gwp.value.mean for r in tracker.requests)
    assert tracker.total.gwp.value.mean == pytest.approx(gwp)
    assert gwp > 0
