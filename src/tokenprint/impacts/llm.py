"""Impacts of one text-generation request: pure functions, no SDK, no file access.

The derivation of every formula and the source of every constant is in
``docs/methodology.md``; the section numbers below refer to it.

Ranges: each output is monotone in each uncertain input (more parameters, a higher PUE or a
smaller batch never lower an impact), so the exact bounds of the result are the function
evaluated at two corners: every input at the end that lowers the impacts, then every input at
the end that raises them. :func:`llm_impacts` does that; the small functions take floats.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from tokenprint.impacts.profiles import Accelerator, DataCenter, ElectricityMix, ModelSpec, Server
from tokenprint.impacts.ranges import Range, Value, hi, lo

__all__ = [
    "BATCH_SIZE",
    "DECODE_FIT_FACTOR",
    "METHODOLOGY_VERSION",
    "Intensities",
    "accelerators_required",
    "decode_energy_per_token",
    "decode_time_per_token",
    "llm_impacts",
    "llm_intensities",
    "llm_request",
    "prefill_energy",
    "prefill_time",
    "request_vector",
]

METHODOLOGY_VERSION = "1.0"
"""Bumped whenever a formula, a constant or a data row changes users' numbers (policy:
docs/methodology.md §12)."""

# §2 Decode energy per output token per GPU (Wh), H100 80GB, vLLM: f_E = a·exp(b·B)·P + c.
# Fit by EcoLogits on ML.ENERGY leaderboard data ("Environmental Impacts of LLM Inference",
# EcoLogits documentation, CC BY-SA 4.0). P in billions of active parameters, B batch size.
DECODE_ENERGY_ALPHA = 1.1665273e-6
DECODE_ENERGY_BETA = -1.1205921e-2
DECODE_ENERGY_GAMMA = 4.0529281e-5
# §2 Fit residual. ML.ENERGY measured 0.12 J per output token for Llama 3.1 8B on H100 with
# vLLM at batch 64 (GPU only) where the fit gives 0.162 J: the sources disagree by 35 %, so we
# carry both. The low end scales the fit down to the measurement (0.12 / 0.1624 = 0.74); the
# high end keeps the fit (EcoLogits' value).
DECODE_FIT_FACTOR = Range(0.74, 1.0)
# §3 Decode latency per output token (s): f_L = a·P + b·B + c (same source and fit).
DECODE_LATENCY_ALPHA = 6.785e-4
DECODE_LATENCY_BETA = 3.119e-4
DECODE_LATENCY_GAMMA = 1.947e-2
# §2 Batch size: EcoLogits fixes 64; we carry a factor of two either side (32-128), the
# usual span of concurrent sequences under continuous batching, and inside the fit's B <= 512.
BATCH_SIZE = Range(32.0, 128.0)
# §4 Memory to hold the weights: 1.2 x weights (KV cache, activations; EcoLogits).
MEMORY_OVERHEAD = 1.2
# §5 Prefill: 2·P FLOPs per input token (Kaplan et al. 2020, "Scaling Laws", §2.1), at a
# model-FLOPs utilisation of 30-60 % and 70-100 % of board power: prefill is compute-bound and
# runs near TDP (Patel et al. 2024, "Splitwise", ISCA; ML.ENERGY). Our assumption, as a range.
PREFILL_MFU = Range(0.3, 0.6)
PREFILL_POWER_FRACTION = Range(0.7, 1.0)
# §5 A cached input token skips its prefill compute; what is left (reading its KV cache)
# costs 5 % of a fresh token at least, and at most the 50 % the least generous provider
# price discount implies (OpenAI cached input; Anthropic bills cache reads at 10 %).
CACHED_INPUT_FACTOR = Range(0.05, 0.5)
SECONDS_PER_YEAR = 365.25 * 24 * 3600


def decode_energy_per_token(active_params: float, batch: float) -> float:
    """§2 GPU energy per output token per GPU on H100 (Wh)."""
    return (
        DECODE_ENERGY_ALPHA * math.exp(DECODE_ENERGY_BETA * batch) * active_params
        + DECODE_ENERGY_GAMMA
    )


def decode_time_per_token(active_params: float, batch: float) -> float:
    """§3 Time to decode one output token on H100 (s)."""
    return DECODE_LATENCY_ALPHA * active_params + DECODE_LATENCY_BETA * batch + DECODE_LATENCY_GAMMA


def accelerators_required(total_params: float, precision_bits: float, memory_gb: float) -> int:
    """§4 Accelerators needed to hold the weights, rounded up to a power of two."""
    memory = MEMORY_OVERHEAD * total_params * precision_bits / 8.0
    n = max(1, math.ceil(memory / memory_gb))
    return 1 << (n - 1).bit_length()


def prefill_energy(
    tokens: float, active_params: float, peak_tflops: float, power_w: float, mfu: float
) -> float:
    """§5 Energy to prefill ``tokens`` input tokens, all accelerators together (Wh)."""
    seconds_one_gpu = tokens * 2.0 * active_params * 1e9 / (peak_tflops * 1e12 * mfu)
    return seconds_one_gpu * power_w / 3600.0


def prefill_time(
    tokens: float, active_params: float, peak_tflops: float, mfu: float, n_accelerators: int
) -> float:
    """§5 Wall time of the prefill spread over ``n_accelerators`` (s)."""
    return tokens * 2.0 * active_params * 1e9 / (n_accelerators * peak_tflops * 1e12 * mfu)


class Intensities(NamedTuple):
    """Per-token and per-second factors of one corner, fixed for a (model, site) pair.

    Computing them once per context leaves a dozen multiplications per request.
    """

    n_accelerators: int
    decode_wh_per_token: float
    """Accelerator energy per output token, all accelerators (Wh)."""
    decode_s_per_token: float
    batch: float
    prefill_wh_per_token: float
    """Accelerator energy per fresh input token (Wh)."""
    prefill_s_per_token: float
    cached_factor: float
    server_w: float
    """Server power (without accelerators) allocated to the accelerators in use (W)."""
    pue: float
    wue: float
    mix_gwp: float
    mix_adpe: float
    mix_pe: float
    mix_wue: float
    embodied_gwp_per_s: float
    """Embodied GWP of the server share and accelerators per second used (kgCO2eq/s)."""
    embodied_adpe_per_s: float
    embodied_pe_per_s: float


def _intensities(
    low: bool,
    model: ModelSpec,
    acc: Accelerator,
    server: Server,
    dc: DataCenter,
    mix: ElectricityMix,
    batch: Value,
    mfu_: Value,
    power_fraction: Value,
    cached_factor: Value,
    decode_fit: Value,
) -> Intensities:
    """One corner: every uncertain input at the end that lowers (or raises) the impacts."""
    pick = lo if low else hi
    rev = hi if low else lo  # inputs that lower impacts when they grow
    p_act, p_tot, b = pick(model.active_params), pick(model.total_params), rev(batch)
    n_acc = accelerators_required(p_tot, model.precision_bits, acc.memory_gb)  # §4
    mfu = rev(mfu_)
    power = pick(acc.power_w) * pick(power_fraction)
    share = n_acc / server.accelerators
    per_s = 1.0 / (rev(server.lifetime_years) * SECONDS_PER_YEAR)  # §8
    return Intensities(
        n_accelerators=n_acc,
        decode_wh_per_token=n_acc
        * decode_energy_per_token(p_act, b)
        * pick(decode_fit)
        * pick(acc.decode_energy_scale),
        decode_s_per_token=decode_time_per_token(p_act, b) * pick(acc.decode_time_scale),
        batch=b,
        prefill_wh_per_token=prefill_energy(1.0, p_act, acc.peak_tflops, power, mfu),
        prefill_s_per_token=prefill_time(1.0, p_act, acc.peak_tflops, mfu, n_acc),
        cached_factor=pick(cached_factor),
        server_w=pick(server.power_w) * share,
        pue=pick(dc.pue),
        wue=pick(dc.wue),
        mix_gwp=mix.gwp,
        mix_adpe=mix.adpe,
        mix_pe=mix.pe,
        mix_wue=mix.wue,
        embodied_gwp_per_s=per_s
        * (share * pick(server.embodied_gwp) + n_acc * pick(acc.embodied_gwp)),
        embodied_adpe_per_s=per_s
        * (share * pick(server.embodied_adpe) + n_acc * pick(acc.embodied_adpe)),
        embodied_pe_per_s=per_s
        * (share * pick(server.embodied_pe) + n_acc * pick(acc.embodied_pe)),
    )


def llm_intensities(
    model: ModelSpec,
    accelerator: Accelerator,
    server: Server,
    datacenter: DataCenter,
    mix: ElectricityMix,
    batch: Value = BATCH_SIZE,
    *,
    prefill_mfu: Value = PREFILL_MFU,
    prefill_power_fraction: Value = PREFILL_POWER_FRACTION,
    cached_input_factor: Value = CACHED_INPUT_FACTOR,
    decode_fit: Value = DECODE_FIT_FACTOR,
) -> tuple[Intensities, Intensities]:
    """The (low, high) corners of the per-token factors for a model served at a site.

    The keyword arguments replace the model's assumptions (§2, §5), e.g. to pin them to a
    point (``decode_fit=1.0`` with ``batch=64`` reproduces EcoLogits' decode).
    """
    args = (
        model,
        accelerator,
        server,
        datacenter,
        mix,
        batch,
        prefill_mfu,
        prefill_power_fraction,
        cached_input_factor,
        decode_fit,
    )
    return _intensities(True, *args), _intensities(False, *args)


def request_vector(
    k: Intensities,
    output_tokens: float,
    input_tokens: float,
    cached_tokens: float,
    latency: float | None,
    extra_seconds: float = 0.0,
    extra_wh: float = 0.0,
) -> tuple[float, ...]:
    """One corner of one request: §2-§8 for given token counts (results layout)."""
    t_decode = output_tokens * k.decode_s_per_token  # §3, bounded by the measured latency
    if latency is not None and latency < t_decode:
        t_decode = latency
    fresh = input_tokens - cached_tokens if input_tokens > cached_tokens else 0.0
    eff_in = fresh + cached_tokens * k.cached_factor  # §5
    t_alloc = t_decode / k.batch + eff_in * k.prefill_s_per_token + extra_seconds  # §6
    e_it = (  # §7, Wh -> kWh
        t_alloc * k.server_w / 3600.0
        + output_tokens * k.decode_wh_per_token
        + eff_in * k.prefill_wh_per_token
        + extra_wh
    ) / 1000.0
    e_req = e_it * k.pue
    return (
        e_req,
        e_req * k.mix_gwp,
        e_req * k.mix_adpe,
        e_req * k.mix_pe,
        e_it * k.wue + e_req * k.mix_wue,
        t_alloc * k.embodied_gwp_per_s,  # §8
        t_alloc * k.embodied_adpe_per_s,
        t_alloc * k.embodied_pe_per_s,
    )


def llm_request(
    ks: tuple[Intensities, Intensities],
    output_tokens: float,
    input_tokens: float = 0.0,
    cached_tokens: float = 0.0,
    latency: float | None = None,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(low, high) impact vectors of one request from precomputed intensities."""
    a = request_vector(ks[0], output_tokens, input_tokens, cached_tokens, latency)
    b = request_vector(ks[1], output_tokens, input_tokens, cached_tokens, latency)
    if a[0] <= b[0] and a[4] <= b[4] and a[5] <= b[5] and a[6] <= b[6] and a[7] <= b[7]:
        return a, b
    # The latency cap can reorder the corners; min/max keeps low <= high.
    return tuple(map(min, a, b)), tuple(map(max, a, b))


def llm_impacts(
    model: ModelSpec,
    *,
    output_tokens: float,
    input_tokens: float = 0.0,
    cached_tokens: float = 0.0,
    latency: float | None = None,
    accelerator: Accelerator,
    server: Server,
    datacenter: DataCenter,
    mix: ElectricityMix,
    batch: Value = BATCH_SIZE,
    prefill_mfu: Value = PREFILL_MFU,
    prefill_power_fraction: Value = PREFILL_POWER_FRACTION,
    cached_input_factor: Value = CACHED_INPUT_FACTOR,
    decode_fit: Value = DECODE_FIT_FACTOR,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Impacts of one request as (low, high) vectors in the layout of ``results``.

    Units: kWh, kgCO2eq, kgSbeq, MJ, L. ``output_tokens`` includes reasoning tokens;
    ``cached_tokens`` is the part of ``input_tokens`` read from a prompt cache.
    """
    ks = llm_intensities(
        model,
        accelerator,
        server,
        datacenter,
        mix,
        batch,
        prefill_mfu=prefill_mfu,
        prefill_power_fraction=prefill_power_fraction,
        cached_input_factor=cached_input_factor,
        decode_fit=decode_fit,
    )
    return llm_request(ks, output_tokens, input_tokens, cached_tokens, latency)
