"""Shared fixtures: every test starts and ends without instrumentation or custom models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tokenprint import EcoLogits, hooks
from tokenprint.catalog import models


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    yield
    EcoLogits.shutdown()
    models.unregister_models()
    # a hook left registered would make every later test take the eager path (impacts
    # computed and published at once) instead of the deferred one that applications get
    assert not hooks.AFTER and not hooks.BEFORE, (hooks.AFTER, hooks.BEFORE)
