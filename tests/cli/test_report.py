"""``tokenprint report`` and ``check`` read every file tokenprint writes; the HTML report
rendered by a real headless chromium; bad input named by file and line."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support.impact_files import Files, sample_records, write_files
from tokenprint.cli import _read, main
from tokenprint.cli._summary import show

CRITERIA = ("energy", "gwp", "adpe", "pe", "wcf")


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return write_files(tmp_path, sample_records())


def expected(files: Files) -> dict[str, tuple[float, float, float]]:
    """The tracker's totals (Impacts.sum), as (P5, best estimate, P95)."""
    out = {}
    for c in CRITERIA:
        x = files.tracker.total.criterion(c)
        assert x is not None
        out[c] = (x.min, x.central, x.max)
    return out


def csv_column_sum(path: Path, column: str, local: bool = False) -> float:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return sum(float(r[column]) for r in rows if (r["tracking_mode"] != "tokenprint") == local)


# -- reading --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["jsonl", "json"])
def test_jsonl_and_json_report_read_back_the_trackers_totals(files: Files, kind: str) -> None:
    rep = _read.load(str(getattr(files, kind)))
    assert len(rep.requests) == 4
    for c, (lo, mid, hi) in expected(files).items():
        assert rep.total[c] == pytest.approx((lo, mid, hi), rel=1e-9)
    assert [e.model for e in rep.requests][:2] == ["gpt-4o-mini", "gpt-4o"]
    assert rep.requests[1].labels == {"feature": "search", "team": "core"}
    assert rep.methodology and rep.methodology[0][0].isdigit()


def test_jsonl_lines_holding_the_full_to_dict_are_read_too(tmp_path: Path) -> None:
    """A JSON line whose impacts are ``Impacts.to_dict()`` (names and units per criterion)
    reads as the exporter's own leaner line does."""
    from tokenprint.exporters._common import record_dict

    record = sample_records()[0]
    lean = record_dict(record)
    full = {**lean, "impacts": record.impacts.to_dict()}
    (tmp_path / "lean.jsonl").write_text(json.dumps(lean) + "\n")
    (tmp_path / "full.jsonl").write_text(json.dumps(full) + "\n")
    (a,) = _read.load(str(tmp_path / "lean.jsonl")).requests
    (b,) = _read.load(str(tmp_path / "full.jsonl")).requests
    assert a.values and a.values == b.values and a.model == b.model
    gwp = record.impacts.gwp
    assert gwp is not None and a.values["gwp"] == (gwp.min, gwp.central, gwp.max)


def test_codecarbon_csv_reads_its_best_estimates(files: Files) -> None:
    rep = _read.load(str(files.csv))
    assert rep.kind == "codecarbon" and len(rep.requests) == 4 and not rep.local
    exp = expected(files)
    assert rep.total["gwp"][1] == pytest.approx(exp["gwp"][1], rel=1e-9)
    assert rep.total["energy"][1] == pytest.approx(exp["energy"][1], rel=1e-9)
    assert rep.total["wcf"][1] == pytest.approx(exp["wcf"][1], rel=1e-9)


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv"])
def test_check_reads_every_file_tokenprint_writes(
    files: Files, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    gwp = expected(files)["gwp"]
    top = gwp[1] if kind == "csv" else gwp[2]  # the CSV holds best estimates only
    path = str(getattr(files, kind))
    assert main(["check", path, "--max-gwp", f"{top * 1000 * 1.001}g"]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 total item(s)")
    assert main(["check", path, "--max-gwp", f"{top * 1000 * 0.999}g"]) == 1
    assert "total: gwp" in capsys.readouterr().out


def test_check_per_request_of_jsonl_names_each_request(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(files.jsonl), "--max-energy", "1 nWh", "--per", "request"]) == 1
    out = capsys.readouterr().out
    assert "impact budget exceeded (4):" in out
    assert "request 2 (gpt-4o): energy" in out


def test_unestimated_request_of_jsonl_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write_files(tmp_path, sample_records(unknown=True))
    assert main(["check", str(files.jsonl), "--max-gwp", "1 kg"]) == 1
    assert "request 5 (nope-model): not estimated (model-not-registered)" in capsys.readouterr().out


# -- Markdown summary -----------------------------------------------------------------------
def test_check_summary_holds_totals_models_breaches_and_unestimated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write_files(tmp_path, sample_records(unknown=True))
    out = tmp_path / "summary.md"
    assert main(["check", str(files.jsonl), "--max-gwp", "1 ug", "--summary", str(out)]) == 1
    assert f"summary written to {out}" in capsys.readouterr().out
    text = out.read_text()
    gwp = expected(files)["gwp"]
    assert "5 request(s) in" in text and "**1 not estimated**" in text
    assert f"| GWP (gCO2eq) | {show('gwp', gwp[1])} | " in text
    assert "❌ **2 breach(es)** of gwp <= 1 ug (max, per total)" in text
    assert "| gpt-4o-mini | 2 | 0 |" in text and "| nope-model | 1 | 1 | – | – | – |" in text
    assert "- total: gwp" in text
    assert "- request 5 (nope-model): model-not-registered" in text


def test_check_appends_to_github_step_summary(
    files: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = tmp_path / "step_summary.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    assert main(["check", str(files.json), "--max-gwp", "1 kg"]) == 0
    assert main(["check", str(files.csv), "--max-gwp", "1 kg"]) == 0
    text = step.read_text()
    assert text.startswith("earlier step\n")
    assert text.count("### tokenprint: impact check") == 2
    assert text.count("✅ within gwp <= 1 kg") == 2


def test_report_without_html_prints_the_summary(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(files.jsonl)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### tokenprint: impact report")
    assert "| claude-3-5-sonnet | 1 | 0 |" in out


# -- bad input ------------------------------------------------------------------------------
def _truncated(path: Path) -> None:
    text = path.read_text()
    path.write_text(text[: len(text) - 40])


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty", "empty file"),
        ("blank", "empty file"),
        ("jsonl-truncated", "line 4: not JSON, truncated?"),
        ("jsonl-foreign-line", "line 2: not a tokenprint JSON-lines record"),
        ("json-truncated", "not JSON, truncated?"),
        ("json-foreign", "line 1: not a tokenprint file"),
        ("csv-truncated", "line 5: "),
        ("csv-foreign", "line 1: not a CodeCarbon emissions CSV"),
        ("csv-bad-number", "line 3: bad value"),
        ("binary", "not a text file"),
    ],
)
def test_report_on_bad_input_names_the_file_and_line(
    files: Files, case: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    kind = case.split("-")[0]
    path = {"jsonl": files.jsonl, "json": files.json, "csv": files.csv}.get(kind, files.jsonl)
    if case == "empty":
        path.write_text("")
    elif case == "blank":
        path.write_text("\n  \n")
    elif case == "binary":
        path.write_bytes(b"\xff\xfe\x00\x01" * 10)
    elif case.endswith("truncated"):
        _truncated(path)
    elif case == "jsonl-foreign-line":
        lines = path.read_text().splitlines()
        path.write_text("\n".join([lines[0], '{"hello": "world"}', *lines[1:]]) + "\n")
    elif case == "json-foreign":
        path.write_text(json.dumps({"format": "something else", "total": {}}))
    elif case == "csv-foreign":
        path.write_text("name,value\na,1\n")
    elif case == "csv-bad-number":
        text = path.read_text().splitlines()
        text[2] = text[2].replace(",tokenprint,", ",tokenprint,", 1)
        row = text[2].split(",")
        row[5] = "lots"  # the emissions column
        text[2] = ",".join(row)
        path.write_text("\n".join(text) + "\n")
    html = path.parent / "out.html"
    assert main(["report", str(path), "--html", str(html)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tokenprint: error: {path}")
    assert message in err
    assert not html.exists()
    assert main(["check", str(path), "--max-gwp", "1 kg"]) == 2  # check reads the same way


def test_truncated_json_report_names_the_line_where_it_stops(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    text = files.json.read_text()
    files.json.write_text(text[: len(text) // 2])
    last = text[: len(text) // 2].count("\n") + 1
    assert main(["report", str(files.json)]) == 2
    assert f"{files.json} line {last}: not JSON, truncated?" in capsys.readouterr().err


def test_report_command_exits_non_zero_in_a_real_process(files: Files) -> None:
    files.jsonl.write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "tokenprint", "report", str(files.jsonl), "--html", "x.html"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr == f"tokenprint: error: {files.jsonl}: empty file (no request written yet?)\n"
    )


# -- the HTML report ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def codecarbon_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An emissions.csv written by CodeCarbon itself (offline tracker, a little work)."""
    codecarbon = pytest.importorskip("codecarbon")
    folder = tmp_path_factory.mktemp("codecarbon")
    tracker = codecarbon.OfflineEmissionsTracker(
        country_iso_code="FRA",
        output_dir=str(folder),
        project_name="training-job",
        log_level="error",
        measure_power_secs=1,
    )
    for _ in range(2):  # two rows
        tracker.start()
        sum(i * i for i in range(300_000))
        tracker.stop()
    return folder / "emissions.csv"


class _Dom(HTMLParser):
    """The elements of a page: (tag, attributes, text inside) for each."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        texts: list[str] = []
        self.elements.append((tag, {k: v or "" for k, v in attrs}, texts))
        if tag not in ("rect", "line", "polyline", "meta", "br"):
            self._open.append(texts)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("rect", "line", "polyline", "meta", "br") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for texts in self._open:
            texts.append(data)

    def find(self, tag: str, **attrs: str) -> list[tuple[dict[str, str], str]]:
        return [
            (a, "".join(t))
            for name, a, t in self.elements
            if name == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    return exe


def _headless(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )  # fmt: skip


def test_html_report_is_self_contained(files: Files, codecarbon_csv: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    args = [str(files.jsonl), "--codecarbon", str(codecarbon_csv), "--html", str(page)]
    assert main(["report", *args]) == 0
    text = page.read_text()
    for fetch in ("src=", "href=", "url(", "@import", "<link", "<script"):
        assert fetch not in text


def test_html_report_renders_in_chromium_with_its_charts_and_totals(
    files: Files, codecarbon_csv: Path, tmp_path: Path
) -> None:
    exe = _chromium()
    page = tmp_path / "report.html"
    args = [str(files.jsonl), "--codecarbon", str(codecarbon_csv), "--html", str(page)]
    assert main(["report", *args]) == 0
    dom = _Dom()
    dom.feed(_headless(exe, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout)

    # the totals shown are the tracker's, to the digit and to the exact value
    for c, (lo, mid, hi) in expected(files).items():
        (row,) = dom.find("tr", data_row=c)
        assert f"{show(c, mid)}{show(c, lo)} – {show(c, hi)}" in row[1]
        values = [float(a["data-value"]) for a, _ in dom.find("span", data_criterion=c)]
        assert values[:3] == pytest.approx([mid, lo, hi], rel=1e-12)
    assert dom.find("span", id="requests")[0][1] == "4"

    # the charts are drawn: over time, by model, by label, local next to API
    charts = {a["id"] for a, _ in dom.find("svg", **{"class": "chart"})}
    assert charts == {
        "chart-local-energy",
        "chart-local-gwp",
        "chart-time",
        "chart-model",
        "chart-label",
    }
    bars = [
        (a["data-label"], float(a["data-value"])) for a, _ in dom.find("rect", **{"class": "bar"})
    ]
    by_model = dict(bars[4:7])
    assert set(by_model) == {"gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet"}
    assert sum(by_model.values()) == pytest.approx(expected(files)["gwp"][1], rel=1e-12)
    chat = [r.impacts.gwp for r in files.tracker.requests if r.labels["feature"] == "chat"]
    assert dict(bars[7:])["feature=chat"] == pytest.approx(sum(g.central for g in chat if g))
    series = {a["data-series"]: float(a["data-value"]) for a, _ in dom.find("polyline")}
    assert series["API requests (tokenprint)"] == pytest.approx(expected(files)["gwp"][1])
    measured = csv_column_sum(codecarbon_csv, "emissions", local=True)
    assert series["local compute (CodeCarbon)"] == pytest.approx(measured, rel=1e-12)
    local = dict(bars[:4])
    assert local["local compute, GWP"] == pytest.approx(measured, rel=1e-12)
    assert local["local compute, Energy"] == pytest.approx(
        csv_column_sum(codecarbon_csv, "energy_consumed", local=True), rel=1e-12
    )
    assert (
        dom.find("span", id="methodology")[0][1]
        == files.tracker.requests[0].basis.methodology_version
    )

    # and the page paints: a screenshot (kept in the test's folder) shows the bars' colour
    shot = tmp_path / "report.png"
    _headless(
        exe, tmp_path / "profile", "--window-size=800,1900", f"--screenshot={shot}", page.as_uri()
    )
    image = pytest.importorskip("PIL.Image").open(shot).convert("RGB")
    assert image.size == (800, 1900)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert any(rgb == (0x2B, 0x7A, 0x78) and n > 500 for n, rgb in colours)  # the API bars
    assert any(rgb == (0xC0, 0x71, 0x3B) and n > 300 for n, rgb in colours)  # local line


def test_one_emissions_csv_shared_with_codecarbon_holds_both_sides(
    codecarbon_csv: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "emissions.csv"
    shutil.copy(codecarbon_csv, shared)
    files = write_files(tmp_path, sample_records())  # the exporter appends to the same file
    assert files.csv == shared
    rep = _read.load(str(shared))
    assert len(rep.requests) == 4 and len(rep.local) == 2
    assert rep.total["gwp"][1] == pytest.approx(expected(files)["gwp"][1], rel=1e-9)
    measured = csv_column_sum(shared, "emissions", local=True)
    assert sum(x.values["gwp"][1] for x in rep.local) == pytest.approx(measured, rel=1e-12)
    assert _read.read_codecarbon(str(shared)) == rep.local


def test_html_report_of_many_requests_stays_small(tmp_path: Path) -> None:
    from tests.support.exporter_records import make_record

    records = [
        make_record(output_tokens=100 + i, labels={"user": f"u{i}"}, timestamp=1.8e9 + i)
        for i in range(1500)
    ]
    files = write_files(tmp_path, records)
    page = tmp_path / "report.html"
    assert main(["report", str(files.jsonl), "--html", str(page)]) == 0
    dom = _Dom()
    dom.feed(page.read_text())
    ((series, _),) = dom.find("polyline")
    assert len(series["points"].split()) < 2 * 602 + 3  # 600 points and the last, as steps
    assert float(series["data-value"]) == pytest.approx(expected(files)["gwp"][1], rel=1e-9)
    label_bars = [a for a, _ in dom.find("rect", **{"class": "bar"})][1:]  # after the model
    assert len(label_bars) == 20
    assert "The 20 largest of 1500 drawn." in page.read_text()
