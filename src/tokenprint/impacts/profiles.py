"""The plain records the impact model computes from: hardware, data centre, electricity mix.

They carry numbers only (floats or Ranges); the catalogue fills them from data/, and tests or
users can build them by hand. No SDK, no file access here.
"""

from __future__ import annotations

from typing import NamedTuple

from tokenprint.impacts.ranges import Value

__all__ = ["Accelerator", "Architecture", "DataCenter", "ElectricityMix", "ModelSpec", "Server"]


class Accelerator(NamedTuple):
    """One GPU/TPU generation (datasheet figures and embodied impacts)."""

    name: str
    memory_gb: float
    """Usable memory per accelerator (GB)."""
    bandwidth_tbs: float
    """Memory bandwidth (TB/s)."""
    tflops_bf16: float
    """Dense BF16 peak (TFLOP/s)."""
    tflops_fp8: float
    """Dense FP8 peak (TFLOP/s); 0 when the chip has no FP8 unit."""
    tflops_fp4: float
    """Dense FP4 peak (TFLOP/s); 0 when the chip has no FP4 unit."""
    power_w: Value
    """Board power (W); a range where the vendor publishes none."""
    embodied_gwp: Value
    """Manufacturing GWP per accelerator (kgCO2eq)."""
    embodied_adpe: Value
    """Manufacturing ADPe per accelerator (kgSbeq)."""
    embodied_pe: Value
    """Manufacturing primary energy per accelerator (MJ)."""

    def tflops(self, precision: str) -> float:
        """Dense peak for weights of ``precision``: the narrowest unit the chip has that
        is at least as wide (FP4 weights on an H100 run on its FP8 units)."""
        if precision in ("mxfp4", "int4") and self.tflops_fp4:
            return self.tflops_fp4
        if precision in ("mxfp4", "int4", "fp8", "int8") and self.tflops_fp8:
            return self.tflops_fp8
        return self.tflops_bf16


class Server(NamedTuple):
    """The server around the accelerators (CPUs, memory, network, fans, PSU)."""

    name: str
    power_w: Value
    """Average power of everything but the accelerators (W)."""
    accelerators: int
    """Accelerators installed per server."""
    embodied_gwp: Value
    """Manufacturing GWP without accelerators (kgCO2eq)."""
    embodied_adpe: Value
    embodied_pe: Value
    lifetime_years: Value


class DataCenter(NamedTuple):
    """Where, and on what, a provider serves: the site and its serving configuration.

    ``accelerator`` and ``precision`` may list alternatives (``"H100|H200"``): the first is
    the best estimate, the others are sampled for the interval. ``accelerator_count`` and
    ``batch_size`` (sequences served at once by one replica) are derived when None.
    """

    name: str
    zone: str
    """Electricity-mix zone (ISO 3166-1 alpha-3, or WOR/EEE)."""
    pue: Value
    """Power usage effectiveness (facility energy / IT energy)."""
    wue: Value
    """On-site water usage effectiveness (L per kWh of IT energy)."""
    accelerator: str = "H100"
    server: str = "hgx-8gpu"
    precision: str = "fp8|bf16"
    """Weight precision served, for models published in 16 bits."""
    accelerator_count: int | None = None
    """Accelerators per model replica; None: the fewest that hold the weights."""
    batch_size: Value | None = None
    """Sequences decoded together by one replica; None: ``batch_per_accelerator`` x count."""
    batch_per_accelerator: Value = 8.0
    """Concurrent sequences per accelerator when ``batch_size`` is not given."""
    utilisation: Value = 1.0
    """Busy share of the provisioned accelerators (the rest idles, for peaks and failover)."""


class ElectricityMix(NamedTuple):
    """Impact factors of 1 kWh of electricity in a zone."""

    zone: str
    gwp: float
    """kgCO2eq/kWh."""
    adpe: float
    """kgSbeq/kWh."""
    pe: float
    """MJ/kWh."""
    wue: float
    """Off-site water consumed to generate 1 kWh (L/kWh)."""
    name: str = ""
    fallback: bool = False
    """True when a factor was filled from the world average."""


class ModelSpec(NamedTuple):
    """What the model contributes: parameters (billions) and stored precision."""

    name: str
    total_params: Value
    active_params: Value
    precision_bits: float = 16.0
    architecture: Architecture | None = None
    """Layers, attention and experts from the model's config, when published."""


class Architecture(NamedTuple):
    """One row of ``data/architectures.csv``."""

    name: str
    layers: int
    attention_heads: int
    kv_heads: int
    head_dim: float
    kv_latent_dim: float
    """Values cached per token per layer under multi-head latent attention (0 otherwise)."""
    full_attention_layers: int
    sliding_window: float
    experts: int
    experts_per_token: int
    expert_params: float
    """Billions of parameters in all routed experts (0 for a dense model)."""
    native_precision: str
    sources: tuple[str, ...]
