"""Shared fixtures: every test starts and ends without instrumentation or custom models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tokenprint import EcoLogits
from tokenprint.catalog import models


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    yield
    EcoLogits.shutdown()
    models.unregister_models()
