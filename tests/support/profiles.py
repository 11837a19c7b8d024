"""Round-number hardware, site and electricity for the impact-model tests, so expectations
can be worked out by hand (docs/methodology.md)."""

from __future__ import annotations

from tokenprint.impacts.profiles import Accelerator, DataCenter, ElectricityMix, Server

__all__ = ["ACC", "MIX", "POINT_SITE", "SERVER"]

# name, memory GB, bandwidth TB/s, TFLOP/s BF16/FP8/FP4, power W, embodied GWP/ADPe/PE
ACC = Accelerator("H100", 80.0, 3.35, 989.0, 1979.0, 0.0, 700.0, 200.0, 0.01, 4000.0)
# power W, accelerators, embodied GWP/ADPe/PE, lifetime years
SERVER = Server("s", 1000.0, 8, 5000.0, 0.3, 60000.0, 4.0)
MIX = ElectricityMix(zone="XXX", gwp=0.05, adpe=5e-8, pe=10.0, wue=3.0)
# Every input a point value except the impact model's own ranges: one accelerator, BF16,
# fully utilised (no idle share), batch stated.
POINT_SITE = DataCenter(
    name="dc",
    zone="XXX",
    pue=1.2,
    wue=0.5,
    precision="bf16",
    accelerator_count=1,
    batch_size=1.0,
)
