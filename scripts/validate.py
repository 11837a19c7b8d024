"""Compare tokenprint's estimates with every published figure in data/validation.csv (dev only).

``python scripts/validate.py`` rewrites the tables and the summary in docs/validation.md;
``--check`` exits 1 when they are stale (tests/science/test_validation_doc.py runs the same check);
``--plot`` also rewrites docs/img/validation.png.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
from pathlib import Path
from typing import NamedTuple

import tokenprint
from tokenprint.catalog._files import read_csv
from tokenprint.impacts.llm import METHODOLOGY_VERSION
from tokenprint.impacts.results import Impact, Impacts

__all__ = [
    "COMPONENTS",
    "UNITS",
    "Comparison",
    "blocks",
    "check",
    "compare",
    "main",
    "plot",
    "write",
]

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "validation.md"
PNG = ROOT / "docs" / "img" / "validation.png"
TABLE = "validation-table"
SUMMARY = "validation-summary"

UNITS: dict[str, tuple[str, float]] = {
    "J": ("energy", 1 / 3.6e6),
    "kJ": ("energy", 1 / 3.6e3),
    "mWh": ("energy", 1e-6),
    "Wh": ("energy", 1e-3),
    "kWh": ("energy", 1.0),
    "MWh": ("energy", 1e3),
    "mL": ("wcf", 1e-3),
    "L": ("wcf", 1.0),
    "gal": ("wcf", 3.785411784),  # US gallon
    "mgCO2eq": ("gwp", 1e-6),
    "gCO2eq": ("gwp", 1e-3),
    "kgCO2eq": ("gwp", 1.0),
    "tCO2eq": ("gwp", 1e3),
    "mgSbeq": ("adpe", 1e-6),
    "gSbeq": ("adpe", 1e-3),
    "kgSbeq": ("adpe", 1.0),
}
"""unit -> (criterion, factor to tokenprint's unit: kWh, L, kgCO2eq, kgSbeq)."""

COMPONENTS: dict[str, tuple[str, str]] = {
    "accelerators": ("energy", "accelerators"),
    "it": ("energy", "IT (accelerators + host + idle)"),
    "total": ("energy", "total (IT + facility)"),
    "wcf_onsite": ("wcf", "on-site water"),
    "wcf": ("wcf", "water, on-site + off-site"),
    "gwp_usage": ("gwp", "GWP, usage"),
    "gwp_total": ("gwp", "GWP, usage + embodied"),
    "adpe": ("adpe", "ADPe, usage + embodied"),
}
"""compare_to -> (criterion, how the table names the boundary)."""

KINDS = ("measurement", "disclosure", "independent")
PLOT_UNITS = {"energy": "Wh", "wcf": "mL", "gwp": "gCO2eq", "adpe": "mgSbeq"}
ASSUMED_INPUT, ASSUMED_OUTPUT = 100, 300
"""Token counts used where a source gives none (a short chat query)."""
PER_1000 = re.compile(r"per 1,?000 queries", re.IGNORECASE)


class Comparison(NamedTuple):
    """One published figure and our estimate at the same boundary, in the figure's unit."""

    row: dict[str, str]
    input_tokens: int
    output_tokens: int
    assumed: bool
    scale: float
    low: float | None = None
    central: float | None = None
    high: float | None = None
    error: str | None = None

    @property
    def value(self) -> float:
        return float(self.row["value"])

    @property
    def ratio(self) -> float | None:
        return None if self.central is None else self.central / self.value

    @property
    def inside(self) -> bool | None:
        if self.low is None or self.high is None:
            return None
        return self.low <= self.value <= self.high


def _int(text: str) -> int | None:
    return int(float(text)) if text.strip() else None


def _component(imp: Impacts, compare_to: str) -> tuple[float, float, float]:
    """(P5, central, P95) of one estimate component in tokenprint's units."""

    def bounds(x: Impact | None) -> tuple[float, float, float]:
        assert x is not None
        return x.min, x.central, x.max

    def part(x: Impact | None, name: str) -> Impact:
        assert x is not None and x.breakdown is not None
        return x.breakdown[name]

    if compare_to == "accelerators":
        return bounds(part(imp.energy, "accelerators"))
    if compare_to == "it":
        ps = [part(imp.energy, k) for k in ("accelerators", "host", "idle")]
        return sum(p.min for p in ps), sum(p.central for p in ps), sum(p.max for p in ps)
    if compare_to == "total":
        return bounds(imp.energy)
    if compare_to == "wcf_onsite":
        return bounds(part(imp.wcf, "onsite"))
    if compare_to == "wcf":
        return bounds(imp.wcf)
    if compare_to == "gwp_usage":
        assert imp.usage is not None
        return bounds(imp.usage.gwp)
    if compare_to == "gwp_total":
        return bounds(imp.gwp)
    if compare_to == "adpe":
        return bounds(imp.adpe)
    raise ValueError(f"unknown compare_to {compare_to!r}")


def compare(row: dict[str, str]) -> Comparison:
    """Our estimate for one row (compare_to != none); an error is kept, not raised."""
    n_in, n_out = _int(row["input_tokens"]), _int(row["output_tokens"])
    assumed = n_out is None
    if n_out is None:
        n_in, n_out = n_in if n_in is not None else ASSUMED_INPUT, ASSUMED_OUTPUT
    n_in = n_in or 0
    scale = 1000.0 if PER_1000.search(row["boundary"]) else 1.0
    base = Comparison(row, n_in, n_out, assumed, scale)
    try:
        criterion, _ = COMPONENTS[row["compare_to"]]
        unit_criterion, factor = UNITS[row["unit"]]
        if unit_criterion != criterion or row["criterion"] != criterion:
            raise ValueError(f"unit {row['unit']} does not measure {row['compare_to']}")
        serving = any(row[k] for k in ("accelerator", "accelerator_count", "batch_size"))
        serving = serving or bool(row["precision"])
        provider = row["provider"] or ("self-hosted" if serving else None)
        batch = row["batch_size"]
        imp = tokenprint.estimate(
            row["model"],
            n_out,
            n_in,
            provider=provider,
            accelerator=row["accelerator"] or None,
            accelerator_count=_int(row["accelerator_count"]),
            batch_size=float(batch) if batch else None,
            precision=row["precision"] or None,
            strict=True,
        )
        low, mid, high = (x * scale / factor for x in _component(imp, row["compare_to"]))
    except Exception as exc:
        return base._replace(error=f"{type(exc).__name__}: {exc}")
    return base._replace(low=low, central=mid, high=high)


def comparisons() -> tuple[list[Comparison], list[dict[str, str]]]:
    """Every comparable row, compared (grouped by kind); and the rows with compare_to none."""
    rows = read_csv("validation.csv")
    done = [compare(r) for r in rows if r["compare_to"] != "none"]
    order = {k: i for i, k in enumerate(KINDS)}
    done.sort(key=lambda c: order.get(c.row["kind"], len(KINDS)))
    return done, [r for r in rows if r["compare_to"] == "none"]


def fmt(x: float) -> str:
    """``x`` to 3 significant figures, without an exponent between 1e-4 and 1e6."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    e = math.floor(math.log10(abs(float(f"{x:.2e}"))))
    if -4 <= e < 6:
        return f"{x:.{max(2 - e, 0)}f}"
    return f"{x:.2e}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short_source(row: dict[str, str]) -> str:
    """'Jegham, Abdelatti, ..., Title' -> 'Jegham et al.'; parentheses dropped."""
    text = re.sub(r"\s*\([^)]*\)", "", row["source"])
    parts = [p.strip() for p in text.split(",")]
    name = parts[0]
    if len(parts) > 2 and re.fullmatch(r"[A-Z][\w'-]+", parts[1]):
        name += " et al."
    year = row["published"][:4]
    return name if name.endswith(year) else f"{name} {year}"


def _source(row: dict[str, str]) -> str:
    return f'[{_cell(_short_source(row))}]({row["url"]} "{row["id"]}")'


def _tokens(c: Comparison) -> str:
    if c.assumed:
        return f"*{c.input_tokens:,} / {c.output_tokens:,}*"
    n_in = f"{c.input_tokens:,}" if c.row["input_tokens"].strip() else "–"
    return f"{n_in} / {c.output_tokens:,}"


def _published(row: dict[str, str]) -> str:
    per = " per 1,000 queries" if PER_1000.search(row["boundary"]) else ""
    return f"{fmt(float(row['value']))} {row['unit']}{per}"


def _reason(notes: str) -> str:
    """The sentence of ``notes`` that says why the figure has no matching component."""
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z']|compare_to)", notes)
    hits = [s for s in sentences if re.search(r"compare_to|component|category", s)]
    text = (hits or sentences)[0].strip()
    text = re.sub(r"^compare_to none:\s*", "", text)
    return text if len(text) <= 200 else text[:197].rstrip() + "..."


def table(done: list[Comparison], skipped: list[dict[str, str]]) -> str:
    """The comparison table and the table of figures without a matching component."""
    out = [
        "| source | kind | model | tokens in / out | boundary | published | "
        "ours, same unit: central (P5–P95) | ratio | inside? |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in done:
        r = c.row
        boundary = COMPONENTS.get(r["compare_to"], ("", r["compare_to"]))[1]
        if c.error is not None or c.central is None or c.low is None or c.high is None:
            ours, ratio, inside = "error", "–", "–"
        else:
            ours = f"{fmt(c.central)} ({fmt(c.low)}–{fmt(c.high)})"
            ratio, inside = f"{fmt(c.central / c.value)}", "yes" if c.inside else "**no**"
        out.append(
            f"| {_source(r)} | {r['kind']} | {_cell(r['model'])} | {_tokens(c)} | {boundary} | "
            f"{_published(r)} | {ours} | {ratio} | {inside} |"
        )
    out += [
        "",
        f"Tokens in *italics*: the source gives no token counts, so we assume a short chat "
        f"query of {ASSUMED_INPUT:,} input and {ASSUMED_OUTPUT:,} output tokens. "
        "Input \u201c–\u201d: not given by the source, counted as 0. Ratio = our central "
        "estimate / the published figure; *inside?* = the published figure lies within our "
        "P5–P95 interval. Hover a source for the row's id in `data/validation.csv`.",
    ]
    errors = [c for c in done if c.error is not None]
    if errors:
        out += ["", "Rows where the estimate failed:", ""]
        out += [f"- `{c.row['id']}`: {_cell(c.error or '')}" for c in errors]
    out += [
        "",
        "Figures with no matching estimate component (kept for context, not compared):",
        "",
        "| source | kind | model | published | boundary | why not compared |",
        "|---|---|---|---|---|---|",
    ]
    for r in skipped:
        out.append(
            f"| {_source(r)} | {r['kind']} | {_cell(r['model']) or '–'} | {_published(r)} | "
            f"{_cell(r['boundary'])} | {_cell(_reason(r['notes']))} |"
        )
    return "\n".join(out)


def _geo(xs: list[float]) -> float:
    return math.exp(statistics.median(math.log(x) for x in xs))


def _share(k: int, n: int) -> str:
    return f"{k} of {n} ({round(100 * k / n)} %)" if n else "0 of 0"


def summary(done: list[Comparison]) -> str:
    """Headline numbers: how many figures, inside the interval, within x2/x3, median ratio."""
    ok = [c for c in done if c.ratio is not None]
    ratios = [c.ratio for c in ok if c.ratio is not None]
    n = len(ok)

    def within(f: float) -> int:
        return sum(1 / f <= r <= f for r in ratios)

    inside = sum(bool(c.inside) for c in ok)
    failed = f" ({len(done) - n} failed to estimate)" if n < len(done) else ""
    median = fmt(_geo(ratios)) if ratios else "–"
    mean = fmt(math.exp(statistics.fmean(math.log(r) for r in ratios))) if ratios else "–"
    out = [
        f"- Comparable figures: **{len(done)}**{failed}.",
        f"- Published figure inside our P5–P95 interval: **{_share(inside, n)}**.",
        f"- Our central estimate within a factor 2 of the figure: **{_share(within(2), n)}**; "
        f"within a factor 3: **{_share(within(3), n)}**.",
        f"- Median ratio (ours / published, geometric): **{median}**; geometric mean {mean}.",
    ]
    for kind in KINDS:
        rs = [c for c in ok if c.row["kind"] == kind]
        if rs:
            rr = [c.ratio for c in rs if c.ratio is not None]
            out.append(
                f"- {kind}: {len(rs)} figures, {sum(bool(c.inside) for c in rs)} inside the "
                f"interval, {sum(0.5 <= r <= 2 for r in rr)} within x2, median ratio "
                f"{fmt(_geo(rr))}."
            )
    return "\n".join(out)


def blocks(done: list[Comparison] | None = None) -> dict[str, str]:
    """The generated text of each marker block of docs/validation.md."""
    skipped: list[dict[str, str]] = []
    if done is None:
        done, skipped = comparisons()
    else:
        skipped = [r for r in read_csv("validation.csv") if r["compare_to"] == "none"]
    return {TABLE: table(done, skipped), SUMMARY: summary(done)}


def _replace(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"{DOC.name} lacks the markers {start} / {end}")
    return f"{text[: i + len(start)]}\n{body}\n{text[j:]}"


def render(text: str, generated: dict[str, str]) -> str:
    """``text`` with each marker block replaced by its generated content."""
    for name, body in generated.items():
        text = _replace(text, name, body)
    return text


def check() -> list[str]:
    """Names of the marker blocks of docs/validation.md that differ from the code's output."""
    text = DOC.read_text(encoding="utf-8")
    return [name for name, body in blocks().items() if render(text, {name: body}) != text]


def write(done: list[Comparison]) -> bool:
    """Rewrite the marker blocks of docs/validation.md; True if it changed."""
    text = DOC.read_text(encoding="utf-8")
    new = render(text, blocks(done))
    if new != text:
        DOC.write_text(new, encoding="utf-8")
    return new != text


def plot(done: list[Comparison], path: Path = PNG) -> None:
    """Log-log scatter of published figures against our central estimate (P5–P95 bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    markers = {"measurement": "o", "disclosure": "s", "independent": "^"}
    colours = {"energy": "#1b7837", "wcf": "#2166ac", "gwp": "#b2182b", "adpe": "#8c510a"}
    fig, ax = plt.subplots(figsize=(8, 7), dpi=120)
    xs: list[float] = []
    labelled: list[tuple[str, tuple[float, float]]] = []
    for c in done:
        if c.central is None or c.low is None or c.high is None:
            continue
        criterion, factor = UNITS[c.row["unit"]]
        to_plot = factor / c.scale / UNITS[PLOT_UNITS[criterion]][1]
        x, y = c.value * to_plot, c.central * to_plot
        lo, hi = c.low * to_plot, c.high * to_plot
        xs += [x, lo, hi]
        ax.errorbar(
            x,
            y,
            yerr=[[y - lo], [hi - y]],
            fmt=markers.get(c.row["kind"], "D"),
            color=colours[criterion],
            ecolor=colours[criterion],
            alpha=0.75,
            markersize=6,
            elinewidth=1,
            capsize=2,
            markeredgecolor="black",
            markeredgewidth=0.5,
        )
        label = re.sub(r" \d{4}$", "", _short_source(c.row))
        here = (math.log10(x), math.log10(y))
        if not 1 / 3 <= y / x <= 3 and not any(
            math.dist(here, p) < (0.6 if lab == label else 0.15) for lab, p in labelled
        ):
            labelled.append((label, here))
            ax.annotate(label, (x, y), fontsize=7, xytext=(5, -3), textcoords="offset points")
    if not xs:
        plt.close(fig)
        return
    a, b = min(xs) / 3, max(xs) * 3
    line = [a, b]
    ax.plot(line, line, color="black", linewidth=1, label="1:1")
    ax.fill_between(line, [a / 2, b / 2], [a * 2, b * 2], color="0.5", alpha=0.15, label="×2")
    ax.fill_between(line, [a / 3, b / 3], [a * 3, b * 3], color="0.5", alpha=0.08, label="×3")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(a, b)
    ax.set_ylim(a, b)
    ax.set_aspect("equal")
    ax.set_xlabel("published figure (Wh, mL, gCO2eq per request)")
    ax.set_ylabel("tokenprint best estimate, P5–P95 bars (same unit)")
    ax.set_title(f"tokenprint (methodology {METHODOLOGY_VERSION}) against published figures")
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
    handles = [
        Line2D([], [], linestyle="", marker=m, color="0.4", markeredgecolor="black", label=k)
        for k, m in markers.items()
    ] + [
        Line2D([], [], linestyle="", marker="o", color=col, label=_criterion_label(k))
        for k, col in colours.items()
        if any(UNITS[c.row["unit"]][0] == k and c.central is not None for c in done)
    ]
    h0, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + h0, loc="upper left", fontsize=8, framealpha=0.9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def _criterion_label(criterion: str) -> str:
    return {"energy": "energy", "wcf": "water", "gwp": "GWP", "adpe": "ADPe"}[criterion]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Compare estimates with data/validation.csv.")
    p.add_argument("--check", action="store_true", help="fail if docs/validation.md is stale")
    p.add_argument("--plot", action="store_true", help="also rewrite docs/img/validation.png")
    args = p.parse_args(argv)
    if args.check:
        stale = check()
        if stale:
            print(
                f"{DOC.name} is stale ({', '.join(stale)}): run python scripts/validate.py",
                file=sys.stderr,
            )
            return 1
        return 0
    done, _ = comparisons()
    for c in done:
        if c.error is not None:
            print(f"error: {c.row['id']}: {c.error}", file=sys.stderr)
    changed = write(done)
    print(f"{DOC.relative_to(ROOT)} {'updated' if changed else 'unchanged'}")
    if args.plot:
        plot(done)
        print(f"{PNG.relative_to(ROOT)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
