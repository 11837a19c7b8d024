"""Impacts of one text-generation request (methodology 2.0): pure functions, no SDK, no files.

``docs/methodology.md`` derives every formula; the section numbers below refer to it.

A request is five token counts weighted by per-token coefficients that depend only on the
model and the site (§6): output tokens, output tokens x their context, fresh input tokens,
fresh input tokens x their context, cached input tokens. :func:`coefficients` computes those
coefficients once per (model, site) at the best estimate of every input and on a fixed set of
samples of the uncertain inputs (§8), keeping the 5th and 95th percentiles; :func:`request`
then costs a few dozen multiplications.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import NamedTuple

from tokenprint.impacts import serving
from tokenprint.impacts.profiles import Accelerator, DataCenter, ElectricityMix, ModelSpec, Server
from tokenprint.impacts.ranges import Range, Value, hi, lo
from tokenprint.impacts.results import ENERGY_PARTS, WATER_PARTS, PartVectors

__all__ = [
    "CACHE_BYTES_FACTOR",
    "FIT_RESIDUAL",
    "IDLE_POWER_SHARE",
    "METHODOLOGY_VERSION",
    "NARROW_MOE_COMPUTE",
    "PARTS",
    "PREFILL_MFU",
    "SAMPLES",
    "TYPICAL_CONTEXT",
    "Coefficients",
    "Setup",
    "coefficients",
    "parts",
    "request",
    "spread",
    "terms",
]

METHODOLOGY_VERSION = "2.0"
"""Bumped whenever a formula, a constant or a data row changes users' numbers (policy:
docs/methodology.md §11)."""

# §3 Low-precision mixture-of-experts kernels: from the efficiency measured in vLLM (the
# fit's NARROW_MOE_COMPUTE) to none lost (DeepSeek's DeepGEMM reaches ~1,550 FP8 TFLOP/s on
# H800, ~78 % of peak: github.com/deepseek-ai/DeepGEMM, 2025).
NARROW_MOE_COMPUTE = Range(serving.NARROW_MOE_COMPUTE, 1.0)
# §4 Prefill utilisation: compute-bound prefill reaches 30-60 % of dense peak in serving
# stacks (Patel et al. 2024, "Splitwise", ISCA; Agrawal et al. 2024, "Sarathi-Serve", OSDI).
PREFILL_MFU = Range(0.3, 0.6)
# §3 The fit's residual: ML.ENERGY measured / modelled energy per output token over the text
# configurations, 5th and 95th percentiles (scripts/fit_serving.py prints them).
FIT_RESIDUAL = Range(0.626, 1.99)
# §5 Power of a provisioned accelerator while it idles, as a share of board power: an idle
# H200 measured at 80 W of 700 W (11 %); NVIDIA's power-management defaults for GB200 idle a
# 4-GPU tray at 800 W of 4,800 W of GPU power (17 %; NVIDIA DPS device specifications).
IDLE_POWER_SHARE = Range(0.1, 0.2)
# §2 Context of the other sequences in a batch, which bounds how many fit in memory:
# DeepSeek's served fleet averages 4,989 tokens of KV cache per output token (open-infra-index,
# "Day 6", 2025); chat traffic is shorter. Our range.
TYPICAL_CONTEXT = Range(1000.0, 5000.0)
# §4 A cached input token skips its prefill; its KV cache is moved back into accelerator
# memory (1x its bytes; 2x when it comes from a host-memory or disk tier first).
CACHE_BYTES_FACTOR = Range(1.0, 2.0)
SAMPLES = 256
"""Samples of the uncertain inputs per (model, site) (§8)."""
_SEED = 2_0_2_6
_Z90 = 1.6448536269514722  # the standard normal's 95th percentile
SECONDS_PER_YEAR = 365.25 * 24 * 3600

PARTS = ENERGY_PARTS + WATER_PARTS
"""The breakdown: energy of the accelerators, host, idle capacity and facility overhead
(kWh), then on-site and off-site water (L)."""
N_TERMS = 5
# Output layout of a coefficient: energy (kWh), water (L), embodied GWP, ADPe, PE, then PARTS.
_E, _W, _EG, _EA, _EP = range(5)
_TOTALS = 5


class Setup(NamedTuple):
    """The serving configuration of a best estimate, for ``Impacts.basis``."""

    accelerator: str
    accelerator_count: int
    batch_size: float
    precision: str
    fits: bool = True
    """False when the weights do not fit in the accelerators stated."""


class Coefficients(NamedTuple):
    """Per-token coefficients of one (model, site): ``[quantile][term][output]`` with
    quantiles (P5, best estimate, P95), the five terms of :func:`terms`, and outputs energy,
    water, embodied GWP/ADPe/PE then the six :data:`PARTS`."""

    q: tuple[tuple[tuple[float, ...], ...], ...]
    mix: tuple[float, float, float]
    """Usage GWP, ADPe and PE per kWh of the site's electricity."""
    setup: Setup


class _Draw:
    """Values of the uncertain inputs: the best estimate, or one sample."""

    def __init__(self, rng: random.Random | None) -> None:
        self.rng = rng

    def value(self, v: Value) -> float:
        """A range is the 5-95 % interval of a log-normal, its best estimate the geometric
        mean of its ends; a range from zero (a water use of 0-1.8 L/kWh) is that of a normal
        cut at zero, its best estimate the midpoint."""
        low, high = lo(v), hi(v)
        if low == high:
            return high
        if low <= 0.0:
            centre = (low + high) / 2.0
            if self.rng is None:
                return centre
            return max(centre + (high - low) / (2.0 * _Z90) * self.rng.gauss(0.0, 1.0), 0.0)
        centre = math.sqrt(low * high)
        if self.rng is None:
            return centre
        sigma = math.log(high / low) / (2.0 * _Z90)
        return centre * math.exp(sigma * self.rng.gauss(0.0, 1.0))

    def choice(self, options: Sequence[str]) -> str:
        """The first option is the best estimate; samples pick any with equal chance."""
        return options[0] if self.rng is None else options[self.rng.randrange(len(options))]


def _options(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split("|") if s.strip())


def _precision(model: ModelSpec, site: DataCenter, draw: _Draw) -> str:
    """§2 Weights are served in their native precision when narrower than 16 bits, else in
    one of the site's precisions."""
    arch = model.architecture
    native = arch.native_precision if arch is not None else _NATIVE.get(model.precision_bits)
    if native and native not in ("bf16", "fp16", "fp32"):
        return native
    return draw.choice(_options(site.precision) or ("bf16",))


_NATIVE = {8.0: "fp8", 4.25: "mxfp4", 4.0: "int4"}


def _shape(model: ModelSpec, precision: str, draw: _Draw) -> serving.Shape:
    total = draw.value(model.total_params)
    active = min(draw.value(model.active_params), total)
    if model.architecture is not None:
        return serving.model_shape(model.architecture, total, active, precision)
    return serving.generic_shape(total, active, precision, draw.value(serving.GENERIC_KV_SPREAD))


def _one(
    draw: _Draw,
    model: ModelSpec,
    accelerators: Callable[[str], Accelerator],
    server: Server,
    site: DataCenter,
    mix: ElectricityMix,
    prefill_mfu: Value,
    fit_residual: Value,
) -> tuple[tuple[tuple[float, ...], ...], Setup]:
    """Coefficients of the five terms at one draw of the inputs (§2-§7)."""
    fit = serving.Fitted(narrow_moe_compute=draw.value(NARROW_MOE_COMPUTE))
    acc = accelerators(draw.choice(_options(site.accelerator)))
    precision = _precision(model, site, draw)
    shape = _shape(model, precision, draw)
    chip = serving.Chip(
        acc.memory_gb, acc.bandwidth_tbs, acc.tflops(precision), draw.value(acc.power_w)
    )
    n = site.accelerator_count or serving.replica_size(shape, chip.memory_gb)
    if site.batch_size is not None:
        batch = draw.value(site.batch_size)
    else:
        batch = n * draw.value(site.batch_per_accelerator)
        batch = min(batch, serving.batch_capacity(shape, chip, n, draw.value(TYPICAL_CONTEXT)))
    batch = max(batch, 1.0)
    residual = draw.value(fit_residual)
    mfu = draw.value(prefill_mfu)

    # §2 decode: this request's share of a step (weights and overhead split over the batch)
    t_out, bytes_out, flops_out = serving.decode_step(shape, chip, n, batch, 0.0, fit)
    t_out, bytes_out, flops_out = t_out / batch, bytes_out / batch, flops_out / batch
    bytes_ctx = shape.kv_bytes_per_token  # §2 per token of context, per output token
    flops_ctx = shape.attention_flops_per_token
    bw = n * chip.bandwidth_tbs * 1e12 * fit.eta_memory
    t_ctx = bytes_ctx / bw + flops_ctx / serving.flops_rate(shape, chip, n, fit.eta_compute, fit)
    # §4 prefill: compute-bound at the prefill utilisation; cached tokens move their KV cache
    pf = serving.flops_rate(shape, chip, n, mfu, fit)
    f_fresh = 2e9 * shape.active_params
    cache_bytes = shape.kv_bytes_per_token * draw.value(CACHE_BYTES_FACTOR)
    work = (  # (seconds, bytes, FLOPs) per unit of each term
        (t_out, bytes_out, flops_out),
        (t_ctx, bytes_ctx, flops_ctx),
        (f_fresh / pf, 0.0, f_fresh),
        (flops_ctx / pf, 0.0, flops_ctx),
        (cache_bytes / bw, cache_bytes, 0.0),
    )
    host_w = draw.value(server.power_w) / server.accelerators  # §5 per accelerator
    util = min(draw.value(site.utilisation), 1.0)
    idle_w = (draw.value(IDLE_POWER_SHARE) * chip.power_w + host_w) * (1.0 / util - 1.0)
    pue = max(draw.value(site.pue), 1.0)
    wue = draw.value(site.wue)
    life = draw.value(server.lifetime_years) * SECONDS_PER_YEAR
    per_acc_s = (  # §7 embodied per accelerator-second, idle capacity included
        tuple(
            (draw.value(a) + draw.value(s) / server.accelerators) / (life * util)
            for a, s in (
                (acc.embodied_gwp, server.embodied_gwp),
                (acc.embodied_adpe, server.embodied_adpe),
                (acc.embodied_pe, server.embodied_pe),
            )
        )
    )
    rows = []
    for seconds, moved, flops in work:
        acc_s = n * seconds * residual  # accelerator-seconds
        e_acc = serving.step_energy(shape, chip, n, seconds, moved, flops, fit) * residual / 3.6e6
        e_host = host_w * acc_s / 3.6e6
        e_idle = idle_w * acc_s / 3.6e6
        it = e_acc + e_host + e_idle
        total = it * pue
        onsite, offsite = it * wue, total * mix.wue
        rows.append(
            (
                total,
                onsite + offsite,
                acc_s * per_acc_s[0],
                acc_s * per_acc_s[1],
                acc_s * per_acc_s[2],
                e_acc,
                e_host,
                e_idle,
                total - it,
                onsite,
                offsite,
            )
        )
    return tuple(rows), Setup(acc.name, n, batch, precision, serving.fits(shape, chip, n))


def coefficients(
    model: ModelSpec,
    accelerators: Callable[[str], Accelerator],
    server: Server,
    site: DataCenter,
    mix: ElectricityMix,
    *,
    prefill_mfu: Value = PREFILL_MFU,
    fit_residual: Value | None = None,
    samples: int = SAMPLES,
) -> Coefficients:
    """The per-token coefficients of a model served at a site, with their interval (§8).

    ``accelerators`` looks an accelerator up by name (the site may name alternatives).
    ``fit_residual`` replaces :data:`FIT_RESIDUAL` for work fitted on other measurements
    (diffusion). The samples use a fixed seed: the same inputs always give the same interval.
    """
    residual = FIT_RESIDUAL if fit_residual is None else fit_residual
    args = (model, accelerators, server, site, mix, prefill_mfu, residual)
    best, setup = _one(_Draw(None), *args)
    rng = random.Random(_SEED)
    draws = [_one(_Draw(rng), *args)[0] for _ in range(samples)]
    k_lo, k_hi = round(0.05 * (samples - 1)), round(0.95 * (samples - 1))
    low, high = [], []
    for t in range(N_TERMS):
        cols = [sorted(d[t][k] for d in draws) for k in range(len(best[t]))]
        low.append(tuple(c[k_lo] for c in cols))
        high.append(tuple(c[k_hi] for c in cols))
    return Coefficients((tuple(low), best, tuple(high)), (mix.gwp, mix.adpe, mix.pe), setup)


def terms(
    output_tokens: float, input_tokens: float = 0.0, cached_tokens: float = 0.0
) -> tuple[float, ...]:
    """§6 The five token counts of a request: output tokens; output tokens x the context
    each one reads (the input plus the output so far); fresh input tokens; fresh input
    tokens x the context each attends to; cached input tokens."""
    cached = min(cached_tokens, input_tokens)
    fresh = input_tokens - cached
    return (
        output_tokens,
        output_tokens * (input_tokens + output_tokens / 2.0),
        fresh,
        fresh * (cached + fresh / 2.0),
        cached,
    )


def request(c: Coefficients, w: Sequence[float]) -> tuple[tuple[float, ...], ...]:
    """(P5, best estimate, P95) impact vectors of a request with term weights ``w``.

    The bounds add the terms' own percentiles: exact when the terms move together (they
    share most inputs), a slight widening otherwise (§8).
    """
    gwp, adpe, pe = c.mix
    out = []
    for q in c.q:
        e = wat = eg = ea = ep = 0.0
        for x, k in zip(w, q, strict=False):
            if x:
                e += x * k[_E]
                wat += x * k[_W]
                eg += x * k[_EG]
                ea += x * k[_EA]
                ep += x * k[_EP]
        out.append((e, e * gwp, e * adpe, e * pe, wat, eg, ea, ep))
    return tuple(out)


def parts(c: Coefficients, w: Sequence[float]) -> PartVectors:
    """(P5, best estimate, P95) of the six :data:`PARTS` of a request."""
    low, mid, high = (
        tuple(
            sum(x * k[_TOTALS + i] for x, k in zip(w, q, strict=False)) for i in range(len(PARTS))
        )
        for q in c.q
    )
    return low, mid, high


def spread(
    c: Coefficients, at: Callable[[float], Sequence[float]], count: Value
) -> tuple[tuple[float, ...], ...]:
    """(P5, best estimate, P95) impact vectors of a request whose term weights ``at(n)``
    depend on a count known as a range (image tokens, audio tokens): the low end's P5, the
    geometric midpoint's best estimate and the high end's P95."""
    low, high = lo(count), hi(count)
    mid = math.sqrt(low * high)
    return (request(c, at(low))[0], request(c, at(mid))[1], request(c, at(high))[2])
