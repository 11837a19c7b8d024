"""``tokenprint estimate``: impacts of one request, as a table or JSON; its warnings on
stderr."""

from __future__ import annotations

import argparse
import sys

from tokenprint.cli._table import DISPLAY, fmt_range, table
from tokenprint.impacts.results import CRITERIA, Impact, Impacts

__all__ = ["SUBCOMMANDS", "impacts_table"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="model name, e.g. gpt-4o")
    p.add_argument(
        "--modality",
        choices=("text", "embedding", "image"),
        default="text",
        help="what the request does (default: text generation)",
    )
    p.add_argument("--output-tokens", type=int, help="tokens generated (required for text)")
    p.add_argument("--input-tokens", type=int, default=0, help="prompt tokens (default 0)")
    p.add_argument("--cached-tokens", type=int, default=0, help="of which read from cache")
    p.add_argument("--reasoning-tokens", type=int, default=0, help="hidden reasoning tokens")
    p.add_argument("--provider", help="who serves it (default: the model's publisher)")
    p.add_argument("--zone", help="electricity-mix zone, e.g. FRA (default: provider's)")
    p.add_argument("--latency", type=float, help="measured request latency (s)")
    p.add_argument("--accelerator", help="serving accelerator, e.g. H100, B200 (self-hosted)")
    p.add_argument("--accelerator-count", type=int, help="accelerators per model replica")
    p.add_argument("--batch-size", type=float, help="sequences decoded together by a replica")
    p.add_argument("--precision", help="weight precision: bf16, fp16, fp8, mxfp4, int8, int4")
    p.add_argument("--n", type=int, default=1, help="images generated (image; default 1)")
    p.add_argument("--size", help="image size WxH, e.g. 1024x1024 (image)")
    p.add_argument("--quality", help="image quality setting, e.g. high or hd (image)")
    p.add_argument("--steps", type=int, help="denoising steps of a diffusion model (image)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def impacts_table(impacts: Impacts, *, display: bool = False) -> str:
    """Best estimate, 90 % interval and unit per criterion: totals, the energy and water
    breakdowns, then the usage and embodied phases. ``display``: in the units the other
    tables show (Wh, gCO2eq, ...) rather than the canonical ones (kWh, kgCO2eq, ...)."""
    rows: list[list[str]] = []

    def add(phase: str, name: str, x: Impact | None) -> None:
        if x is None:
            return
        unit, k = DISPLAY[x.type] if display else (x.unit, 1.0)
        low, high = x.min * k, x.max * k
        rows.append([phase, name, f"{x.central * k:.3g}", fmt_range(low, high), unit])

    for name in CRITERIA:
        add("total", name, impacts.criterion(name))
    for name in ("energy", "wcf"):
        total = impacts.criterion(name)
        for part, x in ((total.breakdown or {}) if total is not None else {}).items():
            add(f"{name} part", part, x)
    usage, embodied = impacts.usage, impacts.embodied
    if usage is not None:
        for name in CRITERIA:
            add("usage", name, getattr(usage, name))
    if embodied is not None:
        for name in ("gwp", "adpe", "pe"):
            add("embodied", name, getattr(embodied, name))
    return table(["phase", "criterion", "best estimate", "P5 – P95", "unit"], rows)


def run(args: argparse.Namespace) -> int:
    from tokenprint.api import estimate

    if args.modality != "text":
        return _print(_estimate_media(args), args.json)
    if args.output_tokens is None:
        raise ValueError("--output-tokens is required for text generation")
    impacts = estimate(
        args.model,
        args.output_tokens,
        args.input_tokens,
        provider=args.provider,
        zone=args.zone,
        latency=args.latency,
        cached_tokens=args.cached_tokens,
        reasoning_tokens=args.reasoning_tokens,
        strict=True,
        accelerator=args.accelerator,
        accelerator_count=args.accelerator_count,
        batch_size=args.batch_size,
        precision=args.precision,
    )
    return _print(impacts, args.json)


def _estimate_media(args: argparse.Namespace) -> Impacts:
    from tokenprint.api import estimate_embedding, estimate_image

    if args.modality == "embedding":
        return estimate_embedding(
            args.model, args.input_tokens, provider=args.provider, zone=args.zone, strict=True
        )
    return estimate_image(
        args.model,
        n=args.n,
        size=args.size,
        quality=args.quality,
        steps=args.steps,
        provider=args.provider,
        zone=args.zone,
        strict=True,
    )


def _print(impacts: Impacts, as_json: bool) -> int:
    """The impacts on stdout, then their warnings on stderr (the exit status stays 0)."""
    if as_json:
        print(impacts.to_json(indent=2))
    else:
        _print_table(impacts)
    _print_warnings(impacts)
    return 0


def _print_warnings(impacts: Impacts) -> None:
    if impacts.warnings:
        sys.stdout.flush()  # after the table, where both go to one terminal
        for w in impacts.warnings:
            print(f"tokenprint: warning: {w.code}: {w.message}", file=sys.stderr)


def _print_table(impacts: Impacts) -> None:
    b = impacts.basis
    if b.modality == "image":
        what = f"{b.images} image(s), size {b.image_size or 'default'}"
        what += f", quality {b.image_quality}" if b.image_quality else ""
    elif b.modality == "embedding":
        what = f"{b.input_tokens} input tokens embedded"
    else:
        what = f"{b.input_tokens} input, {b.output_tokens} output tokens"
    print(f"{b.model_resolved} via {b.datacenter} ({b.zone}): {what}")
    if b.accelerator_count is not None and b.batch_size is not None:
        print(
            f"served on {b.accelerator_count} x {b.hardware}, {b.precision} weights, "
            f"{b.batch_size:.0f} sequences per replica (best estimate)"
        )
    print(impacts_table(impacts))
    print(f"methodology {impacts.methodology_version}")


SUBCOMMANDS = [
    ("estimate", "impacts of one request (text, embedding or image)", add_arguments, run)
]
