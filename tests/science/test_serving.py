"""The serving physics (impacts/serving.py), checked against hand-computed values.

The fitted constants are replaced by round numbers (``FIT``) so each expectation can be
worked out by hand from the formulas of docs/methodology.md §2-§3; the comments show it.
"""

from __future__ import annotations

import pytest

from tokenprint.impacts import serving
from tokenprint.impacts.profiles import Architecture
from tokenprint.impacts.serving import Chip, Fitted, Shape

FIT = Fitted(
    eta_memory=0.5,
    eta_compute=0.5,
    step_overhead_s=0.0001,
    power_static=0.5,
    power_memory=0.2,
    power_compute=0.3,
    narrow_moe_compute=0.1,
)
H100 = Chip(memory_gb=80.0, bandwidth_tbs=3.35, tflops=989.0, power_w=700.0)
# Llama 3.1 8B: 32 layers, 8 KV heads of 128, 32 query heads (its config.json)
LLAMA_8B = Architecture("llama-8b", 32, 32, 8, 128.0, 0.0, 32, 0.0, 0, 0, 0.0, "bf16", ())
# DeepSeek-V3: 61 layers, latent attention (576 values per token per layer), 256 routed
# experts of which 8 per token, 654 B parameters in routed experts
DEEPSEEK_V3 = Architecture(
    "deepseek-v3", 61, 128, 128, 192.0, 576.0, 61, 0.0, 256, 8, 654.0, "fp8", ()
)


def test_kv_cache_of_a_grouped_query_model() -> None:
    shape = serving.model_shape(LLAMA_8B, 8.03, 8.03, "bf16")
    # 2 (K and V) x 8 heads x 128 x 2 bytes x 32 layers = 131,072 bytes per token
    assert shape.kv_bytes_per_token == 131_072
    # 4 x 32 layers x 32 heads x 128 = 524,288 FLOPs per token of context
    assert shape.attention_flops_per_token == 524_288
    assert shape.bytes_per_weight == 2.0
    assert (shape.shared_params, shape.route_share) == (8.03, 1.0)


def test_latent_attention_caches_the_latent_only() -> None:
    shape = serving.model_shape(DEEPSEEK_V3, 671.0, 37.0, "fp8")
    # 576 values x 2 bytes x 61 layers = 70,272 bytes per token (vs 3.9 MB for full heads)
    assert shape.kv_bytes_per_token == 70_272
    assert shape.shared_params == pytest.approx(17.0)
    assert shape.route_share == 8 / 256


def test_sliding_window_layers_read_a_bounded_cache() -> None:
    gemma = Architecture("g", 62, 32, 16, 128.0, 0.0, 10, 1024.0, 0, 0, 0.0, "bf16", ())
    shape = serving.model_shape(gemma, 27.0, 27.0, "bf16")
    per_layer = 2 * 16 * 128 * 2  # 8,192 bytes per token per layer
    assert shape.kv_bytes_per_token == per_layer * 10
    # 52 windowed layers x 1,024 tokens, whatever the context
    assert shape.window_kv_bytes == per_layer * 52 * 1024


def test_mxfp4_quantises_the_experts_only() -> None:
    gpt_oss = Architecture("o", 36, 64, 8, 64.0, 0.0, 18, 128.0, 128, 4, 114.7, "mxfp4", ())
    shape = serving.model_shape(gpt_oss, 116.8, 5.1, "mxfp4")
    # (114.7 x 4.25/8 + 2.1 x 2) / 116.8 bytes per weight
    assert shape.bytes_per_weight == pytest.approx((114.7 * 0.53125 + 2.1 * 2.0) / 116.8)


@pytest.mark.parametrize(
    ("share", "batch", "expected"),
    [
        (8 / 256, 1, 8 / 256),  # one sequence: its own 8 experts
        (8 / 256, 64, 1 - (248 / 256) ** 64),  # ~87 % of DeepSeek-V3's experts at batch 64
        (1 / 16, 1024, 1 - (15 / 16) ** 1024),  # all of them at a large batch
        (1.0, 7, 1.0),  # dense
    ],
)
def test_experts_hit_by_a_batch(share: float, batch: float, expected: float) -> None:
    assert serving.experts_hit(share, batch) == pytest.approx(expected)
    assert serving.experts_hit(8 / 256, 64) == pytest.approx(0.869, abs=1e-3)


def test_a_batch_of_a_mixture_of_experts_reads_far_more_than_the_active_parameters() -> None:
    shape = serving.model_shape(DEEPSEEK_V3, 671.0, 37.0, "fp8")
    one = serving.weights_read(shape, 1)
    sixty_four = serving.weights_read(shape, 64)
    # batch 1: 17 B shared + 654 B x 8/256 = 37.4 B parameters, 1 byte each
    assert one == pytest.approx((17.0 + 654.0 * 8 / 256) * 1e9)
    # batch 64: 17 + 654 x 0.869 = 585 B: 15.6x the active parameters' bytes
    assert sixty_four / one == pytest.approx((17.0 + 654.0 * 0.8690) / 37.44, rel=1e-3)


def test_decode_step_of_llama_8b_at_batch_64_and_context_1000() -> None:
    shape = serving.model_shape(LLAMA_8B, 8.03, 8.03, "bf16")
    seconds, moved, flops = serving.decode_step(shape, H100, 1, 64.0, 1000.0, FIT)
    # bytes: 8.03e9 x 2 weights + 64 x 1000 x 131,072 KV = 16.06e9 + 8.389e9
    assert moved == pytest.approx(16.06e9 + 8.388608e9)
    # FLOPs: 64 x (2 x 8.03e9 + 524,288 x 1000) = 64 x 16.584288e9
    assert flops == pytest.approx(64 * 16.584288e9)
    # time: 24.448608e9 / (3.35e12 x 0.5) + 1.06139e12 / (989e12 x 0.5) + 32 x 0.0001
    #     = 14.5962e-3 + 2.14639e-3 + 3.2e-3 = 19.9426e-3 s
    assert seconds == pytest.approx(19.9426e-3, rel=1e-4)


def test_step_energy_is_static_power_plus_memory_and_compute_work() -> None:
    shape = serving.model_shape(LLAMA_8B, 8.03, 8.03, "bf16")
    # 700 W x (0.5 x 2 GPUs x 1 s + 0.2 x 1e12 B / (3.35e12 x 0.5)
    #          + 0.3 x 2 x 1e14 / (2 x 989e12 x 0.5))
    # = 700 x (1.0 + 0.119403 + 0.060667) = 826.05 J
    joules = serving.step_energy(shape, H100, 2, 1.0, 1e12, 1e14, FIT)
    assert joules == pytest.approx(826.05, rel=1e-5)


def test_step_energy_never_exceeds_the_power_limit() -> None:
    shape = serving.model_shape(LLAMA_8B, 8.03, 8.03, "bf16")
    # the same work in 0.01 s would need 700 x 0.190 J > 2 GPUs x 700 W x 0.01 s = 14 J
    assert serving.step_energy(shape, H100, 2, 0.01, 1e12, 1e14, FIT) == pytest.approx(14.0)


def test_narrow_mixture_of_experts_compute_runs_at_the_fitted_share() -> None:
    moe = serving.model_shape(DEEPSEEK_V3, 671.0, 37.0, "fp8")
    dense = serving.model_shape(LLAMA_8B, 8.03, 8.03, "fp8")
    assert serving.flops_rate(moe, H100, 8, 0.5, FIT) == pytest.approx(8 * 989e12 * 0.5 * 0.1)
    assert serving.flops_rate(dense, H100, 8, 0.5, FIT) == pytest.approx(8 * 989e12 * 0.5)


@pytest.mark.parametrize(
    ("total", "bytes_per_weight", "memory", "expected"),
    [
        (8.03, 2.0, 80.0, 1),  # 19.3 GB
        (70.0, 2.0, 80.0, 4),  # 168 GB -> 2.1 -> power of two 4
        (70.0, 1.0, 80.0, 2),  # 84 GB
        (405.0, 1.0, 80.0, 8),  # 486 GB -> 6.1 -> 8
        (671.0, 1.0, 80.0, 16),  # 805 GB -> 10.1 -> two servers of 8
        (1000.0, 2.0, 80.0, 32),  # 2.4 TB -> 30 -> four servers
        (671.0, 1.0, 141.0, 8),  # H200: 5.7 -> 8
        (0.1, 2.0, 80.0, 1),  # never zero
    ],
)
def test_replica_size_holds_the_weights(
    total: float, bytes_per_weight: float, memory: float, expected: int
) -> None:
    shape = Shape(total, total, bytes_per_weight, 0.0)
    assert serving.replica_size(shape, memory) == expected


def test_batch_capacity_is_the_kv_cache_that_fits_beside_the_weights() -> None:
    shape = serving.model_shape(LLAMA_8B, 8.03, 8.03, "bf16")
    # (0.9 x 80e9 - 16.06e9) / (2000 x 131,072) = 55.94e9 / 262.144e6 = 213.4 sequences
    assert serving.batch_capacity(shape, H100, 1, 2000.0) == pytest.approx(213.39, rel=1e-3)


def test_generic_shape_of_an_undisclosed_model_follows_the_catalogued_scaling() -> None:
    a, b = serving.GENERIC_KV
    dense = serving.generic_shape(70.0, 70.0, "bf16")
    assert dense.kv_bytes_per_token == pytest.approx(a * 70.0**b)
    assert (dense.shared_params, dense.route_share) == (70.0, 1.0)
    moe = serving.generic_shape(440.0, 88.0, "fp8")
    # shared = 0.4 x 88 = 35.2; routed share = (88 - 35.2) / (440 - 35.2)
    assert moe.shared_params == pytest.approx(35.2)
    assert moe.route_share == pytest.approx(52.8 / 404.8)
    assert moe.bytes_per_weight == 1.0


def test_weights_that_do_not_fit_leave_the_batch_unbounded() -> None:
    shape = serving.model_shape(LLAMA_8B, 405.0, 405.0, "bf16")  # 810 GB of weights
    assert not serving.fits(shape, H100, 8)  # 0.9 x 640 GB
    assert serving.batch_capacity(shape, H100, 8, 2000.0) == float("inf")
    assert serving.fits(shape, H100, 16)


def test_a_dense_model_in_mxfp4_quantises_every_weight() -> None:
    shape = serving.model_shape(LLAMA_8B, 8.03, 8.03, "mxfp4")
    assert shape.bytes_per_weight == 4.25 / 8
