"""Every test of choosing starts and ends without user quality scores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tokenprint.catalog import quality


@pytest.fixture(autouse=True)
def _no_user_scores() -> Iterator[None]:
    quality.clear_quality()
    yield
    quality.clear_quality()
