"""Shared fixtures: every test starts and ends without instrumentation or custom models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tokenprint import EcoLogits, events
from tokenprint.catalog import models
from tokenprint.estimator import Estimator


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    yield
    EcoLogits.shutdown()
    models.unregister_models()
    # a hook left registered would make every later test take the eager path (impacts
    # computed and published at once) instead of the deferred one that applications get
    assert not events.AFTER and not events.BEFORE, (events.AFTER, events.BEFORE)


@pytest.fixture(autouse=True)
def _no_ci_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never append to the CI's own step summary (GitHub sets this variable)."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def computes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts impact computations (``Estimator.compute`` calls)."""
    calls: list[int] = []
    real = Estimator.compute

    def counting(self: Estimator, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Estimator, "compute", counting)
    return calls
