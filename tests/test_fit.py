"""The serving constants are the fit's output, and the fit holds up (scripts/fit_serving.py)."""

from __future__ import annotations

from types import ModuleType

import pytest
from script_support import load_script

from tokenprint.impacts import llm, serving


@pytest.fixture(scope="module")
def fit_script() -> ModuleType:
    return load_script("fit_serving")


def test_constants_in_the_code_are_the_fit_of_the_measurements(fit_script: ModuleType) -> None:
    fitted = fit_script.fit()
    for name, value in fitted._asdict().items():
        assert getattr(serving, name.upper()) == pytest.approx(value, rel=0.01, abs=1e-6), name


def test_fit_residual_interval_is_the_fits(fit_script: ModuleType) -> None:
    rows = fit_script.load_rows(fit_script.FIT_TASKS)
    low, high = fit_script.residual_interval(rows, serving.Fitted())
    assert (llm.FIT_RESIDUAL.min, llm.FIT_RESIDUAL.max) == pytest.approx((low, high), rel=0.01)


def test_generic_shapes_are_the_fit_of_the_catalogued_architectures(
    fit_script: ModuleType,
) -> None:
    kv, attention, spread = fit_script.generic_shapes()
    assert pytest.approx(kv, rel=0.01) == serving.GENERIC_KV
    assert pytest.approx(attention, rel=0.01) == serving.GENERIC_ATTENTION
    assert (serving.GENERIC_KV_SPREAD.min, serving.GENERIC_KV_SPREAD.max) == pytest.approx(
        spread, rel=0.01
    )


def test_nine_in_ten_measured_configurations_are_within_a_factor_of_two(
    fit_script: ModuleType,
) -> None:
    rows = fit_script.load_rows(fit_script.FIT_TASKS)
    energy = fit_script.quality(rows, serving.Fitted(), 0)
    assert energy.n > 450
    assert energy.within_2 >= 0.9
    assert 0.8 < energy.median_ratio < 1.25
    latency = fit_script.quality(rows, serving.Fitted(), 1)
    assert latency.within_2 >= 0.85


def test_every_measured_model_has_an_architecture_row(fit_script: ModuleType) -> None:
    assert len(fit_script.load_rows()) == 760  # load_rows stops on a model without one
