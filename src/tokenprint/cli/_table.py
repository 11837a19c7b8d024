"""Plain-text tables and number formatting for the CLI (no dependency)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["DISPLAY", "fmt", "fmt_range", "table"]


DISPLAY: dict[str, tuple[str, float]] = {
    "gwp": ("gCO2eq", 1e3),
    "energy": ("Wh", 1e3),
    "wcf": ("mL", 1e3),
    "pe": ("kJ", 1e3),
    "adpe": ("mgSbeq", 1e6),
}
"""criterion -> (unit shown, factor from the canonical unit)."""


def fmt(x: float) -> str:
    """A number with 3 significant digits, plain or scientific as fits."""
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.3g}"
    return f"{x:.3e}"


def fmt_range(low: float, high: float) -> str:
    return fmt(low) if low == high else f"{fmt(low)} – {fmt(high)}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    widths = [len(h) for h in headers]
    for r in rows:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            numeric = c[:1].isdigit() or (c[:1] == "-" and c[1:2].isdigit())
            out.append(c.rjust(widths[i]) if numeric else c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])
