"""The physics of serving a transformer: bytes moved, FLOPs done, time and energy per step.

Pure functions over plain numbers (``docs/methodology.md`` §2-§4 derive them):

* a **decode step** reads the weights once for the whole batch (for a mixture of experts,
  the shared weights plus the experts the batch hits) and each sequence's KV cache, and does
  2 FLOPs per active parameter per sequence plus the attention over its context;
* its **time** is the memory time plus the compute time at fitted efficiencies, plus a
  fixed overhead per step (kernel launches, synchronisation);
* its **energy** is the accelerators' static power over that time plus an energy per byte
  moved and per FLOP done, each a fitted share of the board power at full bandwidth or
  full compute (so a datasheet is all a new accelerator needs);
* a **prefill** is compute-bound: 2 FLOPs per active parameter per fresh input token plus
  attention over the context, at a prefill utilisation.

The efficiency and power constants are fitted by ``scripts/fit_serving.py`` on the
ML.ENERGY leaderboard v3 measurements (``data/mlenergy_llm.csv``); a test re-runs the fit and
checks that the constants below are its output.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from tokenprint.impacts.profiles import Architecture
from tokenprint.impacts.ranges import Range

__all__ = [
    "BYTES_PER_PRECISION",
    "ETA_COMPUTE",
    "ETA_MEMORY",
    "GENERIC_ATTENTION",
    "GENERIC_KV",
    "GENERIC_KV_SPREAD",
    "GENERIC_SHARED_SHARE",
    "KV_BYTES_PER_VALUE",
    "NARROW_MOE_COMPUTE",
    "POWER_COMPUTE",
    "POWER_MEMORY",
    "POWER_STATIC",
    "STEP_OVERHEAD_S",
    "Chip",
    "Fitted",
    "Shape",
    "batch_capacity",
    "decode_step",
    "experts_hit",
    "fits",
    "flops_rate",
    "generic_shape",
    "model_shape",
    "replica_size",
    "step_energy",
    "weights_read",
]

BYTES_PER_PRECISION: dict[str, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    # MXFP4 (OCP Microscaling spec v1.0): 4-bit values plus one 8-bit scale per 32 values
    "mxfp4": 4.25 / 8.0,
    "int4": 0.5,
}
"""Bytes per stored weight of each precision name."""

# Fitted by scripts/fit_serving.py on data/mlenergy_llm.csv (ML.ENERGY leaderboard v3,
# text tasks); the fit's quality is reported in docs/validation.md.
ETA_MEMORY = 0.8386
"""Achieved share of the datasheet memory bandwidth in a decode step."""
ETA_COMPUTE = 0.4113
"""Achieved share of the datasheet dense FLOP/s in a decode step."""
STEP_OVERHEAD_S = 0.0001647
"""Time per layer of a decode step spent neither moving bytes nor computing (kernel
launches, scheduling, synchronisation between accelerators), s."""
POWER_STATIC = 0.6225
"""Accelerator power while serving, before any byte or FLOP, as a share of board power."""
POWER_MEMORY = 0.0
"""Extra power while memory streams at the achieved bandwidth, as a share of board power."""
POWER_COMPUTE = 1.0
"""Extra power while compute runs at the achieved rate, as a share of board power."""
NARROW_MOE_COMPUTE = 0.09287
"""Achieved compute efficiency of a mixture of experts served in FP8 or FP4, relative to
:data:`ETA_COMPUTE`: grouped low-precision expert kernels with block scales ran far below
the datasheet's FP8/FP4 peak in the measured serving stack."""


class Fitted(NamedTuple):
    """The fitted constants, as one record (the fit script varies them)."""

    eta_memory: float = ETA_MEMORY
    eta_compute: float = ETA_COMPUTE
    step_overhead_s: float = STEP_OVERHEAD_S
    power_static: float = POWER_STATIC
    power_memory: float = POWER_MEMORY
    power_compute: float = POWER_COMPUTE
    narrow_moe_compute: float = NARROW_MOE_COMPUTE


class Chip(NamedTuple):
    """What the physics needs of one accelerator (datasheet figures)."""

    memory_gb: float
    bandwidth_tbs: float
    tflops: float
    """Dense peak at the precision the model is served in (TFLOP/s)."""
    power_w: float
    """Board power (TDP), W."""


class Shape(NamedTuple):
    """What the physics needs of one model, served at one precision.

    Parameter counts in billions; bytes per token of KV cache at the cache precision.
    """

    total_params: float
    active_params: float
    bytes_per_weight: float
    kv_bytes_per_token: float
    """KV cache per token of context over the full-attention layers (bytes)."""
    window_kv_bytes: float = 0.0
    """KV cache read per step by sliding-window layers, whatever the context (bytes)."""
    attention_flops_per_token: float = 0.0
    """Attention FLOPs per generated token per token of context (2·layers·heads·(d_qk+d_v))."""
    shared_params: float = 0.0
    """Parameters every token uses (attention, embeddings, dense layers, shared experts);
    equal to ``total_params`` for a dense model."""
    route_share: float = 1.0
    """Routed experts active per token over routed experts (k/E); 1 for a dense model."""
    layers: int = 32


def experts_hit(route_share: float, batch: float) -> float:
    """Expected share of a layer's routed experts that ``batch`` sequences hit in one step.

    Each sequence picks k of E experts; under uniform routing an expert is missed by all
    of them with probability (1 - k/E)^B.
    """
    if route_share >= 1.0:
        return 1.0
    missed: float = (1.0 - route_share) ** max(batch, 1.0)
    return 1.0 - missed


def weights_read(shape: Shape, batch: float) -> float:
    """Bytes of weights read by one decode step of ``batch`` sequences."""
    routed = shape.total_params - shape.shared_params
    params = shape.shared_params + routed * experts_hit(shape.route_share, batch)
    return params * 1e9 * shape.bytes_per_weight


def replica_size(shape: Shape, memory_gb: float, headroom: float = 1.2) -> int:
    """Accelerators one replica needs to hold the weights with ``headroom`` for the KV cache
    and activations: a power of two up to 8 (one server), then whole servers."""
    need = shape.total_params * shape.bytes_per_weight * headroom / memory_gb
    n = 1
    while n < need and n < 8:
        n *= 2
    if n < need:
        n = 8 * math.ceil(need / 8)  # whole servers of 8
    return n


def fits(shape: Shape, chip: Chip, n: int) -> bool:
    """Whether the weights fit in 90 % of the replica's memory (serving engines reserve
    about that share: vLLM's default ``gpu_memory_utilization`` is 0.9)."""
    return shape.total_params * 1e9 * shape.bytes_per_weight <= 0.9 * n * chip.memory_gb * 1e9


def batch_capacity(shape: Shape, chip: Chip, n: int, context: float) -> float:
    """Sequences of ``context`` tokens whose KV cache fits beside the weights in 90 % of the
    replica's memory; unbounded when the weights alone do not fit (a setup this model
    cannot check: offloading, or more accelerators than stated)."""
    free = 0.9 * n * chip.memory_gb * 1e9 - shape.total_params * 1e9 * shape.bytes_per_weight
    per_sequence = context * shape.kv_bytes_per_token + shape.window_kv_bytes
    if free <= 0 or per_sequence <= 0:
        return float("inf")
    return max(free / per_sequence, 1.0)


def flops_rate(shape: Shape, chip: Chip, n: int, efficiency: float, fit: Fitted) -> float:
    """Achieved FLOP/s of ``n`` accelerators at ``efficiency`` of their peak, lowered by
    ``fit.narrow_moe_compute`` for a mixture of experts in narrower than 16-bit weights."""
    if shape.bytes_per_weight < 2.0 and shape.route_share < 1.0:
        efficiency *= fit.narrow_moe_compute
    return n * chip.tflops * 1e12 * efficiency


def decode_step(
    shape: Shape, chip: Chip, n: int, batch: float, context: float, fit: Fitted
) -> tuple[float, float, float]:
    """(seconds, bytes, FLOPs) of one decode step of ``batch`` sequences of ``context``
    tokens on ``n`` accelerators."""
    moved = weights_read(shape, batch) + batch * (
        context * shape.kv_bytes_per_token + shape.window_kv_bytes
    )
    flops = batch * (2e9 * shape.active_params + shape.attention_flops_per_token * context)
    seconds = (
        moved / (n * chip.bandwidth_tbs * 1e12 * fit.eta_memory)
        + flops / flops_rate(shape, chip, n, fit.eta_compute, fit)
        + fit.step_overhead_s * shape.layers
    )
    return seconds, moved, flops


def step_energy(
    shape: Shape, chip: Chip, n: int, seconds: float, moved: float, flops: float, fit: Fitted
) -> float:
    """Accelerator energy (J) of work that takes ``seconds`` on ``n`` accelerators, moves
    ``moved`` bytes and does ``flops`` FLOPs: static power over the time, plus the extra
    power drawn while memory or compute units run at their achieved rate, over the time
    they run; never more than the boards' power limit over the time."""
    busy = (
        fit.power_static * n * seconds
        + fit.power_memory * moved / (chip.bandwidth_tbs * 1e12 * fit.eta_memory)
        + fit.power_compute * n * flops / flops_rate(shape, chip, n, fit.eta_compute, fit)
    )
    return chip.power_w * min(busy, n * seconds)


KV_BYTES_PER_VALUE = 2.0
"""KV cache values are kept in BF16 (vLLM's and SGLang's default cache type follows the
activations, BF16, also for FP8 weights)."""

# Generic shapes, fitted by least squares in log space on the dense full-attention rows of
# data/architectures.csv (scripts/fit_serving.py prints the fit): KV bytes per token =
# a * P^b, attention FLOPs per token of context = c * P^d (P active parameters, billions).
GENERIC_KV = (79_860.0, 0.32)
GENERIC_ATTENTION = (153_300.0, 0.642)
GENERIC_KV_SPREAD = Range(0.383, 3.21)
"""5-95 % spread of the catalogued architectures' KV cache around the generic fit."""
GENERIC_SHARED_SHARE = 0.4
"""Share of a mixture of experts' active parameters that every token uses (attention,
embeddings, dense layers, shared experts): 0.36 for Qwen3-235B-A22B, 0.41 for gpt-oss-120b,
0.46 for DeepSeek-V3 (their configs, in data/architectures.csv)."""


def _bytes_per_weight(precision: str, total: float, routed: float) -> float:
    """Mean bytes per weight; MXFP4 checkpoints of a mixture of experts quantise the experts
    only (the rest stays BF16, as in gpt-oss)."""
    if precision == "mxfp4" and routed > 0:
        return (routed * BYTES_PER_PRECISION["mxfp4"] + (total - routed) * 2.0) / total
    return BYTES_PER_PRECISION[precision]


def model_shape(arch: Architecture, total: float, active: float, precision: str) -> Shape:
    """The serving shape of a catalogued architecture (parameters in billions)."""
    per_layer = (
        arch.kv_latent_dim if arch.kv_latent_dim else 2.0 * arch.kv_heads * arch.head_dim
    ) * KV_BYTES_PER_VALUE
    window_layers = arch.layers - arch.full_attention_layers
    window = per_layer * window_layers * arch.sliding_window if arch.sliding_window else 0.0
    routed = min(arch.expert_params, total * 0.999)
    return Shape(
        total_params=total,
        active_params=active,
        bytes_per_weight=_bytes_per_weight(precision, total, routed),
        kv_bytes_per_token=per_layer * arch.full_attention_layers,
        window_kv_bytes=window,
        attention_flops_per_token=4.0
        * arch.full_attention_layers
        * arch.attention_heads
        * arch.head_dim,
        shared_params=total - routed,
        route_share=(arch.experts_per_token / arch.experts) if arch.experts else 1.0,
        layers=arch.layers,
    )


def generic_shape(total: float, active: float, precision: str, kv_scale: float = 1.0) -> Shape:
    """The serving shape of a model known by its parameter counts only: KV cache and
    attention from the catalogued architectures' scaling with active parameters, a
    mixture's shared share from :data:`GENERIC_SHARED_SHARE`. ``kv_scale`` multiplies the
    KV cache (its spread across architectures is an uncertain input)."""
    a, b = GENERIC_KV
    c, d = GENERIC_ATTENTION
    shared = total if active >= total else GENERIC_SHARED_SHARE * active
    routed = total - shared
    return Shape(
        total_params=total,
        active_params=active,
        bytes_per_weight=_bytes_per_weight(precision, total, routed),
        kv_bytes_per_token=a * active**b * kv_scale,
        attention_flops_per_token=c * active**d,
        shared_params=shared,
        route_share=(active - shared) / routed if routed > 0 else 1.0,
    )
