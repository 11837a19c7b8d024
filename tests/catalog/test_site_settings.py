"""Site settings (``datacenters=``, ``site(datacenter=)``, config files): every number is
checked, and a checked value is normalised (ranges as Range, counts as int) and hashable."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tokenprint import InvalidArgumentError, Range
from tokenprint.catalog.datacenters import check_datacenter, check_settings, get_datacenter


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"pue": [1.1, 1.3]}, {"pue": Range(1.1, 1.3)}),
        ({"pue": (1.1, 1.3)}, {"pue": Range(1.1, 1.3)}),
        ({"pue": Range(1.1, 1.3)}, {"pue": Range(1.1, 1.3)}),
        ({"pue": [1.2, 1.2]}, {"pue": 1.2}),
        ({"pue": 1}, {"pue": 1.0}),
        ({"wue": 0}, {"wue": 0.0}),
        ({"batch_size": [16, 64]}, {"batch_size": Range(16.0, 64.0)}),
        (
            {"batch_size": None, "accelerator_count": None},
            {"batch_size": None, "accelerator_count": None},
        ),
        ({"accelerator_count": 2.0}, {"accelerator_count": 2}),
        ({"utilisation": (0.5, 1)}, {"utilisation": Range(0.5, 1.0)}),
        ({"zone": " fra "}, {"zone": "FRA"}),
        ({"precision": "FP4|BF16"}, {"precision": "mxfp4|bf16"}),
    ],
)
def test_checked_settings_are_normalised_and_hashable(
    given: dict[str, Any], expected: dict[str, Any]
) -> None:
    out = check_settings(given)
    assert out == expected
    assert [type(v) for v in out.values()] == [type(v) for v in expected.values()]
    hash(tuple(sorted(out.items())))


def test_numpy_numbers_are_numbers() -> None:
    np = pytest.importorskip("numpy")
    out = check_settings(
        {"pue": np.float32(1.5), "batch_size": [np.int64(8), 16], "accelerator_count": np.int64(4)}
    )
    assert out == {"pue": 1.5, "batch_size": Range(8.0, 16.0), "accelerator_count": 4}
    assert type(out["accelerator_count"]) is int
    with pytest.raises(InvalidArgumentError, match="pue: expected a number"):
        check_settings({"pue": np.bool_(True)})


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"pue": -1.2}, "pue: must be >= 1, got -1.2"),
        ({"pue": 0.99}, "pue: must be >= 1"),
        ({"pue": [1.1, math.inf]}, "pue: must be finite"),
        ({"pue": [1.3, 1.1]}, "pue: low above high in [1.3, 1.1]"),
        ({"pue": [1.1]}, "pue: expected a number or [low, high]"),
        ({"pue": "1.2"}, "pue: expected a number or [low, high]"),
        ({"wue": -0.01}, "wue: must be >= 0"),
        ({"wue": math.nan}, "wue: must be finite"),
        ({"batch_size": 0}, "batch_size: must be >= 1"),
        ({"batch_size": [0, 4]}, "batch_size: must be >= 1"),
        ({"batch_per_accelerator": -2}, "batch_per_accelerator: must be > 0"),
        ({"utilisation": 0}, "utilisation: must be > 0"),
        ({"utilisation": (0.5, 1.5)}, "utilisation: a share: must be <= 1"),
        ({"accelerator_count": 0}, "accelerator_count: must be an int >= 1"),
        ({"accelerator_count": -2}, "accelerator_count: must be an int >= 1"),
        ({"accelerator_count": 1.5}, "accelerator_count: must be an int >= 1"),
        ({"accelerator_count": math.inf}, "accelerator_count: must be an int >= 1"),
        ({"accelerator_count": [2, 4]}, "accelerator_count: must be an int >= 1"),
        ({"accelerator_count": True}, "accelerator_count: must be an int >= 1"),
        ({"zone": ""}, "zone: expected a non-empty string"),
    ],
)
def test_bad_settings_raise_naming_the_key(given: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check_settings(given, "here: ")
    assert str(info.value).startswith("here: ")
    assert message in str(info.value)


def test_a_whole_profile_is_checked_and_normalised() -> None:
    dc = get_datacenter("openai")
    assert dc is not None
    assert check_datacenter(dc) == dc
    listed = check_datacenter(dc._replace(pue=[1.1, 1.3], accelerator_count=4.0))  # type: ignore[arg-type]
    assert (listed.pue, listed.accelerator_count) == (Range(1.1, 1.3), 4)
    hash(listed)
    with pytest.raises(InvalidArgumentError, match=r"pue: must be >= 1, got -1\.2"):
        check_datacenter(dc._replace(pue=-1.2))
    with pytest.raises(InvalidArgumentError, match="name: expected a non-empty string"):
        check_datacenter(dc._replace(name=""))
