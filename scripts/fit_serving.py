"""Fit the serving and diffusion constants on ML.ENERGY's measurements (dev only).

Reads ``data/mlenergy_llm.csv`` (ML.ENERGY leaderboard v3: vLLM on H100/B200, GPU energy per
output token, inter-token latency, per serving configuration), ``data/architectures.csv`` and
``data/accelerators.csv``; fits the seven constants of :class:`tokenprint.impacts.serving.Fitted`
by least squares on the logarithms of the measured energy per output token and inter-token
latency of the text tasks; prints them and the fit's quality (share of configurations within
x1.5 and x2, per task and per model). :func:`fit_diffusion` does the same for image and video
generation on ``data/mlenergy_diffusion.csv`` and ``data/diffusion_architectures.csv``
(the constants of tokenprint.impacts.image). ``tests/science/test_fit.py`` re-runs both and checks
the constants in the code are their output.

    python scripts/fit_serving.py            # constants and quality
    python scripts/fit_serving.py --rows     # every configuration, measured vs modelled
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from tokenprint.catalog import architectures, hardware
from tokenprint.catalog._files import read_csv
from tokenprint.impacts import serving
from tokenprint.impacts.ranges import hi
from tokenprint.impacts.serving import Fitted

__all__ = [
    "FIT_TASKS",
    "TASK_INPUT_TOKENS",
    "DiffusionRow",
    "Row",
    "diffusion_ratios",
    "fit",
    "fit_diffusion",
    "load_diffusion",
    "load_rows",
    "main",
    "predict",
    "predict_diffusion",
    "quality",
]

FIT_TASKS = ("lm-arena-chat", "gpqa", "sourcegraph-fim")
"""Text tasks the constants are fitted on; the multimodal ones are reported as a check."""
TASK_INPUT_TOKENS = {
    "lm-arena-chat": 200.0,
    "gpqa": 300.0,
    "sourcegraph-fim": 2000.0,
    "image-chat": 1500.0,
    "video-chat": 6000.0,
}
"""Mean input tokens per request of each benchmark task. The data gives output lengths only:
these are our assumptions (chat prompts of a few hundred tokens; a GPQA question with its
options; fill-in-the-middle code context; an image of ~1,000-2,000 vision tokens; a short
video of several thousand), and docs/validation.md shows the fit is insensitive to them for
the text tasks."""
PREFILL_MFU = 0.5
"""Prefill utilisation in the fit: the centre of the methodology's range (§4)."""

_PRECISION = {"bfloat16": "bf16", "fp8": "fp8", "mxfp4": "mxfp4"}


class Row(NamedTuple):
    model_id: str
    task: str
    gpu: str
    n: int
    batch: float
    output_len: float
    input_len: float
    shape: serving.Shape
    chip: serving.Chip
    energy_j: float
    """Measured GPU energy per output token, J."""
    itl_s: float
    """Measured median inter-token latency, s."""


def load_rows(tasks: Sequence[str] | None = None) -> list[Row]:
    """The measured configurations with the shapes and chips the model sees."""
    rows = []
    for r in read_csv("mlenergy_llm.csv"):
        if tasks is not None and r["task"] not in tasks:
            continue
        precision = _PRECISION[r["weight_precision"]]
        arch = architectures.lookup(r["model_id"])
        if arch is None:
            raise SystemExit(f"no architecture row for {r['model_id']}")
        acc = hardware.get_accelerator(r["gpu"])
        rows.append(
            Row(
                r["model_id"],
                r["task"],
                r["gpu"],
                int(r["num_gpus"]),
                float(r["avg_batch_size"]),
                float(r["avg_output_len"]),
                TASK_INPUT_TOKENS[r["task"]],
                serving.model_shape(
                    arch, float(r["total_params_b"]), float(r["active_params_b"]), precision
                ),
                serving.Chip(
                    acc.memory_gb, acc.bandwidth_tbs, acc.tflops(precision), hi(acc.power_w)
                ),
                float(r["energy_per_token_j"]),
                float(r["median_itl_ms"]) / 1000.0,
            )
        )
    return rows


def predict(row: Row, fit: Fitted) -> tuple[float, float]:
    """(energy per output token J, decode step s) the physics gives for a configuration."""
    context = row.input_len + row.output_len / 2.0
    t, moved, flops = serving.decode_step(row.shape, row.chip, row.n, row.batch, context, fit)
    decode = serving.step_energy(row.shape, row.chip, row.n, t, moved, flops, fit) / row.batch
    pre_flops = row.input_len * (
        2e9 * row.shape.active_params + row.shape.attention_flops_per_token * row.input_len / 2.0
    )
    pre_t = pre_flops / serving.flops_rate(row.shape, row.chip, row.n, PREFILL_MFU, fit)
    prefill = serving.step_energy(row.shape, row.chip, row.n, pre_t, 0.0, pre_flops, fit)
    prefill /= row.output_len
    return decode + prefill, t


def _residuals(x: Sequence[float], rows: Sequence[Row]) -> list[float]:
    fit = Fitted(*x)
    out = []
    for row in rows:
        e, t = predict(row, fit)
        out.append(math.log(e / row.energy_j))
        out.append(math.log(t / row.itl_s))
    return out


def fit(rows: Sequence[Row] | None = None) -> Fitted:
    """Least squares on log energy per token and log inter-token latency (scipy)."""
    from scipy.optimize import least_squares

    data = list(rows) if rows is not None else load_rows(FIT_TASKS)
    start = [0.5, 0.4, 0.00005, 0.3, 0.5, 0.5, 0.5]
    bounds = ([0.05, 0.05, 0.0, 0.0, 0.0, 0.0, 0.01], [1.0, 1.0, 0.001, 1.0, 1.0, 1.0, 1.0])
    res = least_squares(_residuals, start, bounds=bounds, args=(data,), loss="soft_l1", f_scale=0.3)
    return Fitted(*(float(v) for v in res.x))


def residual_interval(rows: Sequence[Row], fit: Fitted) -> tuple[float, float]:
    """5th and 95th percentiles of measured / modelled energy per output token."""
    ratios = sorted(r.energy_j / predict(r, fit)[0] for r in rows)
    n = len(ratios) - 1
    return ratios[round(0.05 * n)], ratios[round(0.95 * n)]


def generic_shapes() -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Power laws ``a * P_active^b`` for the KV cache (bytes per token) and the attention
    FLOPs per token of context, fitted in log space on the catalogued architectures of
    dense transformers without sliding windows or latent attention; and the 5-95 % spread of
    the KV cache around its law."""
    from tokenprint.catalog import models

    xs, kv, att = [], [], []
    for arch in architectures.all_architectures():
        if arch.experts or arch.kv_latent_dim or arch.sliding_window:
            continue
        if arch.full_attention_layers != arch.layers:
            continue
        rec = models.resolve(arch.name).record
        if rec is None:
            continue
        shape = serving.model_shape(arch, hi(rec.total_params), hi(rec.active_params), "bf16")
        xs.append(math.log(shape.active_params))
        kv.append(math.log(shape.kv_bytes_per_token))
        att.append(math.log(shape.attention_flops_per_token))

    def line(ys: list[float]) -> tuple[float, float]:
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mx) ** 2 for x in xs
        )
        return math.exp(my - b * mx), b

    a_kv, b_kv = line(kv)
    spread = sorted(math.exp(y - math.log(a_kv) - b_kv * x) for x, y in zip(xs, kv, strict=True))
    n = len(spread) - 1
    return (a_kv, b_kv), line(att), (spread[round(0.05 * n)], spread[round(0.95 * n)])


class DiffusionRow(NamedTuple):
    model_id: str
    task: str
    gpu: str
    n: int
    flops: float
    """FLOPs of one image or video (impacts.image.diffusion_flops)."""
    chip: serving.Chip
    energy_j: float
    """Measured GPU energy per image or video, J."""


def load_diffusion() -> list[DiffusionRow]:
    """ML.ENERGY's image and video generation measurements with the FLOPs of each output:
    latent tokens = latent frames x (width / pixels per token) x (height / pixels per token),
    attention within them (4 x layers x hidden per token pair; none counted for linear
    attention), ``guidance_passes`` per step (data/diffusion_architectures.csv)."""
    from tokenprint.impacts.image import diffusion_flops

    archs = {r["name"]: r for r in read_csv("diffusion_architectures.csv")}
    rows = []
    for r in read_csv("mlenergy_diffusion.csv"):
        a = archs[r["model_id"]]
        side = float(a["pixels_per_token"])
        frames = float(r["frames"] or 1)
        if frames > 1:  # the video VAE keeps the first frame, then one latent per k frames
            frames = (frames - 1) / float(a["frames_per_latent"]) + 1
        frames = math.ceil(frames / float(a["latent_frames_per_token"] or 1))
        latent = frames * (float(r["width"]) / side) * (float(r["height"]) / side)
        attention = (
            4.0 * float(a["layers"]) * float(a["hidden_size"]) if a["attention"] == "full" else 0.0
        )
        flops = diffusion_flops(
            float(a["denoiser_params_b"]),
            attention,
            latent,
            float(r["inference_steps"]),
            float(a["guidance_passes"]),
        )
        acc = hardware.get_accelerator(r["gpu"])
        chip = serving.Chip(acc.memory_gb, acc.bandwidth_tbs, acc.tflops_bf16, hi(acc.power_w))
        rows.append(
            DiffusionRow(
                r["model_id"],
                r["task"],
                r["gpu"],
                int(r["num_gpus"]),
                flops,
                chip,
                float(r["energy_per_output_j"]),
            )
        )
    return rows


def predict_diffusion(row: DiffusionRow, mfu: float, parallel: float) -> float:
    """GPU energy (J) of one output: a prefill of its FLOPs at ``mfu x n^-parallel``."""
    efficiency = mfu * row.n**-parallel
    seconds = row.flops / (row.n * row.chip.tflops * 1e12 * efficiency)
    dense = serving.Shape(1.0, 1.0, 2.0, 0.0)
    fit = serving.Fitted()
    return serving.step_energy(dense, row.chip, row.n, seconds, 0.0, row.flops, fit)


def fit_diffusion(rows: Sequence[DiffusionRow] | None = None) -> tuple[float, float]:
    """(utilisation on one accelerator, parallel exponent): least squares on log energy."""
    from scipy.optimize import least_squares

    data = list(rows) if rows is not None else load_diffusion()

    def residuals(x: Sequence[float]) -> list[float]:
        return [math.log(predict_diffusion(r, x[0], x[1]) / r.energy_j) for r in data]

    res = least_squares(
        residuals, [0.3, 0.1], bounds=([0.01, 0.0], [1.0, 1.0]), loss="soft_l1", f_scale=0.3
    )
    return float(res.x[0]), float(res.x[1])


def diffusion_ratios(rows: Sequence[DiffusionRow], mfu: float, parallel: float) -> list[float]:
    """Modelled / measured energy per output."""
    return [predict_diffusion(r, mfu, parallel) / r.energy_j for r in rows]


class Quality(NamedTuple):
    n: int
    within_1_5: float
    within_2: float
    median_ratio: float
    log_sd: float


def quality(rows: Sequence[Row], fit: Fitted, which: int = 0) -> Quality:
    """How the model's energy (``which=0``) or step time (1) compares with the measurements."""
    ratios = [predict(r, fit)[which] / (r.energy_j, r.itl_s)[which] for r in rows]
    logs = [math.log(x) for x in ratios]
    return Quality(
        len(ratios),
        sum(1 / 1.5 <= x <= 1.5 for x in ratios) / len(ratios),
        sum(0.5 <= x <= 2.0 for x in ratios) / len(ratios),
        statistics.median(ratios),
        statistics.pstdev(logs),
    )


def _show(title: str, groups: dict[str, list[Row]], fit: Fitted) -> None:
    print(f"\n{title}: n, within x1.5, within x2, median model/measured, sd(log)")
    for key in sorted(groups):
        q = quality(groups[key], fit)
        print(
            f"  {key:48s} {q.n:4d} {q.within_1_5:6.0%} {q.within_2:6.0%} "
            f"{q.median_ratio:6.2f} {q.log_sd:5.2f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", action="store_true", help="print every configuration")
    args = parser.parse_args(argv)
    text = load_rows(FIT_TASKS)
    best = fit(text)
    print("Fitted constants (tokenprint/impacts/serving.py):")
    for name, value in best._asdict().items():
        print(f"  {name.upper()} = {value:.4g}")
    low, high = residual_interval(text, best)
    print(f"  FIT_RESIDUAL = Range({low:.3g}, {high:.3g})  (measured / modelled, P5-P95)")
    kv, att, spread = generic_shapes()
    print(f"  GENERIC_KV = ({kv[0]:.4g}, {kv[1]:.3g})")
    print(f"  GENERIC_ATTENTION = ({att[0]:.4g}, {att[1]:.3g})")
    print(f"  GENERIC_KV_SPREAD = Range({spread[0]:.3g}, {spread[1]:.3g})")
    every = load_rows()
    for label, which in (("energy per output token", 0), ("inter-token latency", 1)):
        q = quality(text, best, which)
        print(
            f"\n{label}, text tasks: {q.n} configurations, {q.within_1_5:.0%} within x1.5, "
            f"{q.within_2:.0%} within x2, median ratio {q.median_ratio:.2f}, sd(log) {q.log_sd:.2f}"
        )
    by_task: dict[str, list[Row]] = defaultdict(list)
    by_model: dict[str, list[Row]] = defaultdict(list)
    by_gpu: dict[str, list[Row]] = defaultdict(list)
    for r in every:
        by_task[r.task].append(r)
        by_model[r.model_id].append(r)
        by_gpu[r.gpu].append(r)
    _show("energy per output token by task (multimodal tasks not fitted)", by_task, best)
    _show("by GPU", by_gpu, best)
    _show("by model", by_model, best)
    diffusion = load_diffusion()
    mfu, parallel = fit_diffusion(diffusion)
    print("\nImage and video generation (tokenprint/impacts/image.py):")
    print(f"  DIFFUSION_MFU = {mfu:.4g}\n  DIFFUSION_PARALLEL = {parallel:.4g}")
    inverse = sorted(1 / x for x in diffusion_ratios(diffusion, mfu, parallel))
    last = len(inverse) - 1
    print(
        f"  DIFFUSION_RESIDUAL = Range({inverse[round(0.05 * last)]:.3g}, "
        f"{inverse[round(0.95 * last)]:.3g})  (measured / modelled, P5-P95)"
    )
    groups: dict[str, list[DiffusionRow]] = defaultdict(list)
    for d in diffusion:
        groups[d.task].append(d)
        groups[d.model_id].append(d)
        groups[f"{d.gpu} x{d.n}"].append(d)
    print("  n, within x1.5, within x2, median model/measured")
    for key in sorted(groups):
        ratios = diffusion_ratios(groups[key], mfu, parallel)
        print(
            f"  {key:52s} {len(ratios):4d} "
            f"{sum(1 / 1.5 <= x <= 1.5 for x in ratios) / len(ratios):6.0%} "
            f"{sum(0.5 <= x <= 2.0 for x in ratios) / len(ratios):6.0%} "
            f"{statistics.median(ratios):6.2f}"
        )
    if args.rows:
        for r in every:
            e, t = predict(r, best)
            print(
                f"{r.model_id:45s} {r.task:15s} {r.gpu} x{r.n} B={r.batch:7.1f} "
                f"E {r.energy_j:7.3f} -> {e:7.3f} J  ITL {r.itl_s * 1e3:6.1f} -> {t * 1e3:6.1f} ms"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
