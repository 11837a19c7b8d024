"""The plain records the impact model computes from: hardware, data centre, electricity mix.

They carry numbers only (floats or Ranges); the catalogue fills them from data/, and tests or
users can build them by hand. No SDK, no file access here.
"""

from __future__ import annotations

from typing import NamedTuple

from tokenprint.impacts.ranges import Value

__all__ = ["Accelerator", "DataCenter", "ElectricityMix", "ModelSpec", "Server"]


class Accelerator(NamedTuple):
    """One GPU/TPU generation."""

    name: str
    memory_gb: float
    """Usable memory per accelerator (GB)."""
    power_w: Value
    """Board power when busy (W); the datasheet TDP is the upper end."""
    peak_tflops: float
    """Dense BF16 peak (TFLOP/s), used for compute-bound prefill."""
    decode_energy_scale: Value
    """Energy per decoded token relative to the H100 the decode fit was measured on."""
    decode_time_scale: Value
    """Time per decoded token relative to H100."""
    embodied_gwp: Value
    """Manufacturing GWP per accelerator (kgCO2eq)."""
    embodied_adpe: Value
    """Manufacturing ADPe per accelerator (kgSbeq)."""
    embodied_pe: Value
    """Manufacturing primary energy per accelerator (MJ)."""


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
    """Where a provider serves from."""

    name: str
    zone: str
    """Electricity-mix zone (ISO 3166-1 alpha-3, or WOR/EEE)."""
    pue: Value
    """Power usage effectiveness (facility energy / IT energy)."""
    wue: Value
    """On-site water usage effectiveness (L per kWh of IT energy)."""
    accelerator: str = "H100"
    server: str = "hgx-8gpu"


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
