"""The serving constants are the fit's output, and the fit holds up (scripts/fit_serving.py)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.support.scripts import load_script
from tokenprint.impacts import image, llm, serving


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


def test_diffusion_constants_are_the_fit_of_the_measurements(fit_script: ModuleType) -> None:
    rows = fit_script.load_diffusion()
    mfu, parallel = fit_script.fit_diffusion(rows)
    assert pytest.approx((mfu, parallel), rel=0.01) == (
        image.DIFFUSION_MFU,
        image.DIFFUSION_PARALLEL,
    )
    inverse = sorted(1 / x for x in fit_script.diffusion_ratios(rows, mfu, parallel))
    last = len(inverse) - 1
    assert (image.DIFFUSION_RESIDUAL.min, image.DIFFUSION_RESIDUAL.max) == pytest.approx(
        (inverse[round(0.05 * last)], inverse[round(0.95 * last)]), rel=0.01
    )


def test_four_in_five_measured_images_and_videos_are_within_a_factor_of_two(
    fit_script: ModuleType,
) -> None:
    rows = fit_script.load_diffusion()
    assert len(rows) == 1020  # every measured model has an architecture row
    ratios = fit_script.diffusion_ratios(rows, image.DIFFUSION_MFU, image.DIFFUSION_PARALLEL)
    assert sum(0.5 <= x <= 2.0 for x in ratios) / len(ratios) >= 0.8
