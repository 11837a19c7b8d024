"""The shipped catalogue: every row valid and sourced, and names resolving to the right row."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import tokenprint
from tokenprint import EcoLogits, InvalidArgumentError, Range
from tokenprint.catalog import models
from tokenprint.catalog._files import read_csv
from tokenprint.catalog.models import ModelRecord, record_from_row, resolve, validate_record
from tokenprint.impacts.ranges import hi, lo

TEXT_ROWS = read_csv("models.csv")


def _rec(name: str) -> ModelRecord:
    res = resolve(name)
    assert res.record is not None, f"{name} did not resolve"
    return res.record


# -- rows ----------------------------------------------------------------------------------
def test_catalogue_has_at_least_350_distinct_text_models() -> None:
    names = [r["name"] for r in TEXT_ROWS]
    assert len(names) == len(set(names)) >= 350
    assert all(r["modality"] == "text" for r in TEXT_ROWS)


@pytest.mark.parametrize("row", TEXT_ROWS, ids=[r["name"] for r in TEXT_ROWS])
def test_every_model_row_validates_and_has_a_source_url(row: dict[str, str]) -> None:
    rec = record_from_row(row)
    assert validate_record(rec, shipped=True) == []
    assert rec.sources and all(s.startswith("https://") for s in rec.sources)


def test_sources_are_loaded_for_every_model() -> None:
    # EcoLogits shipped 361 models and loaded the sources of none (a key typo).
    loaded = models.all_models()
    assert len(loaded) >= 350
    assert all(m.sources for m in loaded)


def test_estimated_rows_say_whose_estimate_in_their_notes() -> None:
    for m in models.all_models():
        if m.estimated:
            assert m.notes, m.name


def test_no_two_rows_claim_the_same_name_or_alias() -> None:
    index = models._get_index()
    shared = {k: [r.name for r in v] for k, v in index.items() if len(v) > 1}
    assert shared == {}


def test_published_moe_sizes() -> None:
    expect = {
        "open-mixtral-8x7b": (46.7, 12.9),
        "deepseek-ai/DeepSeek-V3": (671, 37),
        "deepseek-ai/DeepSeek-R1": (671, 37),
        "meta-llama/Llama-4-Scout-17B-16E-Instruct": (109, 17),
        "meta-llama/Llama-4-Maverick-17B-128E-Instruct": (400, 17),
        "Qwen/Qwen3-235B-A22B": (235, 22),
        "Qwen/Qwen3-30B-A3B": (30.5, 3.3),
        "openai/gpt-oss-120b": (116.8, 5.1),
        "openai/gpt-oss-20b": (20.9, 3.6),
    }
    for name, (total, active) in expect.items():
        rec = _rec(name)
        assert rec.architecture == "moe", name
        assert (rec.total_params, rec.active_params) == (total, active), name


def test_gpt_oss_is_stored_in_mxfp4() -> None:
    assert _rec("gpt-oss-120b").precision_bits == 4.25
    assert _rec("gpt-oss-20b").precision_bits == 4.25


def test_every_moe_row_has_fewer_active_than_total_parameters() -> None:
    for m in models.all_models():
        if m.architecture == "moe":
            assert lo(m.active_params) < hi(m.total_params), m.name
        else:
            assert m.active_params == m.total_params, m.name


def test_proprietary_models_are_estimated_ranges() -> None:
    for name in ("gpt-4o", "gpt-5", "claude-sonnet-4-5", "gemini-2.5-pro", "o3-mini"):
        rec = _rec(name)
        assert rec.estimated, name
        assert isinstance(rec.total_params, Range) or isinstance(rec.active_params, Range), name


def test_claude_generations_have_their_own_sizes() -> None:
    # EcoLogits gave Claude 3.5 and Claude 3 the same counts.
    assert _rec("claude-3-5-sonnet").total_params != _rec("claude-3-sonnet").total_params
    assert _rec("claude-3-5-haiku").total_params != _rec("claude-3-haiku").total_params


# -- resolution ----------------------------------------------------------------------------
LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
RESOLVES = [
    # exact names and aliases
    ("gpt-4o", "gpt-4o", "exact"),
    ("chatgpt-4o-latest", "gpt-4o", "alias"),
    # dated snapshots
    ("gpt-4o-2024-08-06", "gpt-4o", "alias"),
    ("gpt-4o-2030-01-01", "gpt-4o", "snapshot"),
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet", "alias"),
    ("mistral-large-2407", "mistral-large-2407", "exact"),
    ("command-r-plus-08-2024", "command-r-plus-08-2024", "exact"),
    ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash", "alias"),
    # -latest
    ("claude-3-7-sonnet-latest", "claude-3-7-sonnet", "alias"),
    ("mistral-large-latest", "mistral-large-2512", "alias"),
    ("gemini-2.0-flash", "gemini-2.0-flash", "exact"),
    ("gemini-2.0-flash-001", "gemini-2.0-flash", "alias"),
    # provider prefixes
    ("openai/gpt-4o", "gpt-4o", "alias"),
    ("anthropic/claude-3-5-sonnet-20241022", "claude-3-5-sonnet", "prefix"),
    ("models/gemini-2.0-flash", "gemini-2.0-flash", "prefix"),
    ("mistralai/Mistral-Large-Instruct-2407", "mistral-large-2407", "alias"),
    ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "exact"),
    ("publishers/google/models/gemini-2.0-flash-001", "gemini-2.0-flash", "prefix"),
    # LiteLLM provider/model
    ("groq/llama-3.1-8b-instant", "meta-llama/Llama-3.1-8B-Instruct", "prefix"),
    ("gemini/gemini-2.0-flash", "gemini-2.0-flash", "prefix"),
    ("ollama/llama3.1:8b", "meta-llama/Llama-3.1-8B-Instruct", "prefix"),
    ("openrouter/anthropic/claude-3.5-sonnet", "claude-3-5-sonnet", "prefix"),
    (
        "together_ai/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
        "meta-llama/Llama-3.1-8B-Instruct",
        "prefix",
    ),
    ("fireworks_ai/accounts/fireworks/models/deepseek-v3", "deepseek-ai/DeepSeek-V3", "prefix"),
    # case and separator variants; Meta's two spellings
    ("GPT-4O", "gpt-4o", "normalized"),
    ("gpt_4o", "gpt-4o", "normalized"),
    ("Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "normalized"),
    ("Llama-3.2-11B-Vision-Instruct", "meta-llama/Llama-3.2-11B-Vision-Instruct", "prefix"),
    ("Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "alias"),
    ("llama-3.1-8b-instruct", "meta-llama/Llama-3.1-8B-Instruct", "alias"),
    ("claude-opus-4.1", "claude-opus-4-1", "alias"),
    # OpenAI-compatible host names
    ("llama-3.3-70b-versatile", "meta-llama/Llama-3.3-70B-Instruct", "alias"),
    ("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", "meta-llama/Llama-3.1-8B-Instruct", "alias"),
    ("llama3.1:8b", "meta-llama/Llama-3.1-8B-Instruct", "alias"),
    ("qwen2.5:7b", "Qwen/Qwen2.5-7B-Instruct", "alias"),
    (
        "accounts/fireworks/models/llama-v3p1-8b-instruct",
        "meta-llama/Llama-3.1-8B-Instruct",
        "alias",
    ),
    ("deepseek-chat", "deepseek-ai/DeepSeek-V3.2", "alias"),
    # Bedrock and Vertex ids
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet", "alias"),
    ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet", "prefix"),
    ("bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4", "prefix"),
    ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet", "snapshot"),
    ("vertex_ai/claude-3-7-sonnet@20250219", "claude-3-7-sonnet", "snapshot"),
    # Azure's spelling
    ("gpt-35-turbo", "gpt-3.5-turbo", "alias"),
]


@pytest.mark.parametrize(("name", "expected", "via"), RESOLVES, ids=[r[0] for r in RESOLVES])
def test_name_resolves_to_the_right_row(name: str, expected: str, via: str) -> None:
    res = resolve(name)
    assert res.record is not None and res.record.name == expected
    assert res.via == via
    assert res.warning is None


UNKNOWN = [
    "mistral-large-2402",  # Mistral Large 1: undisclosed, not catalogued; never Large 2 or 3
    "gpt-4.5-preview",
    "llama-3",  # no size: which one?
    "gemma",
    "no-such-model",
    "qwen2.5:9b",
    "azure-deployment-of-mine",
]


@pytest.mark.parametrize("name", UNKNOWN)
def test_unknown_name_resolves_to_nothing(name: str) -> None:
    res = resolve(name)
    assert res.record is None
    assert res.via == ""


def test_empty_or_non_string_name_resolves_to_nothing() -> None:
    assert resolve("").record is None
    assert resolve(None).record is None


def test_loose_match_of_a_single_size_resolves_with_a_warning() -> None:
    res = resolve("meta-llama/Llama-3.1-8B-Instruct-AWQ")
    assert res.record is not None and res.record.name == "meta-llama/Llama-3.1-8B-Instruct"
    assert res.via == "fuzzy"
    assert res.warning and "Llama-3.1-8B-Instruct-AWQ" in res.warning


def test_fuzzy_match_becomes_an_impacts_warning() -> None:
    impacts = tokenprint.estimate("meta-llama/Llama-3.1-8B-Instruct-AWQ", output_tokens=10)
    assert "model-fuzzy-matched" in [w.code for w in impacts.warnings]
    assert impacts.basis.model_resolved == "meta-llama/Llama-3.1-8B-Instruct"


def test_loose_match_across_different_sizes_resolves_to_nothing() -> None:
    models.register_model("acme/Widget-7B-Instruct", total_params=7.0)
    models.register_model("acme/Widget-7B-Chat", total_params=7.5)
    res = resolve("acme/Widget-7B-Instruct-AWQ")
    assert res.record is None
    assert set(res.ambiguous) == {"acme/Widget-7B-Instruct", "acme/Widget-7B-Chat"}


def test_alias_claimed_by_two_rows_is_ambiguous() -> None:
    models.register_model("model-a", total_params=7, aliases=["shared-name"])
    models.register_model("model-b", total_params=70, aliases=["shared-name"])
    res = resolve("shared-name")
    assert res.record is None
    assert set(res.ambiguous) == {"model-a", "model-b"}


def test_provider_breaks_a_tie_between_rows_claiming_a_name() -> None:
    models.register_model("model-a", provider="groq", total_params=7, aliases=["shared-name"])
    models.register_model("model-b", provider="together", total_params=70, aliases=["shared-name"])
    rec = resolve("shared-name", provider="together").record
    assert rec is not None and rec.name == "model-b"


def test_unknown_model_gives_a_model_not_registered_error() -> None:
    impacts = tokenprint.estimate("mistral-large-2402", output_tokens=10)
    assert [e.code for e in impacts.errors] == ["model-not-registered"]


def test_repeated_resolution_is_cached() -> None:
    first = resolve("groq/llama-3.1-8b-instant")
    assert resolve("groq/llama-3.1-8b-instant") is first


# -- adding models -------------------------------------------------------------------------
def test_registered_model_takes_precedence_over_the_shipped_row() -> None:
    shipped = _rec("gpt-4o")
    models.register_model("gpt-4o", total_params=Range(100, 200), active_params=20)
    mine = _rec("gpt-4o")
    assert mine.total_params == Range(100, 200) and mine.provider == "custom"
    models.unregister_models()
    assert _rec("gpt-4o") == shipped


def test_registered_alias_shadows_a_shipped_name() -> None:
    models.register_model("my-finetune", total_params=8, aliases=["gpt-4o-mini"])
    assert _rec("gpt-4o-mini").name == "my-finetune"


def test_register_model_is_exported_and_resolves_in_estimate() -> None:
    tokenprint.register_model("acme-13b", total_params=13, aliases=["acme/13b-chat"])
    impacts = tokenprint.estimate("acme/13b-chat", output_tokens=100)
    assert impacts.errors == [] and impacts.basis.model_resolved == "acme-13b"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total_params": 7, "active_params": 8}, "exceed"),
        ({"total_params": -1}, "positive"),
        ({"total_params": "7B"}, "number or a Range"),
        ({"total_params": 7, "architecture": "sparse"}, "architecture"),
        ({"total_params": 7, "release_date": "July 2024"}, "release_date"),
    ],
)
def test_register_model_rejects_invalid_models(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        models.register_model("bad", **kwargs)  # type: ignore[arg-type]


HEADER = (
    "provider,name,aliases,architecture,total_params_min,total_params_max,active_params_min,"
    "active_params_max,precision_bits,release_date,modality,estimated,sources,notes\n"
)


def test_models_file_rows_are_registered(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        HEADER + "acme,acme-moe,acme/moe-v1|acme-moe-latest,moe,40,40,6,8,8,2025-01-01,text,,,\n",
        encoding="utf-8",
    )
    EcoLogits.init(providers=[], models_file=str(path))
    rec = _rec("acme-moe-latest")
    assert rec.name == "acme-moe" and rec.active_params == Range(6, 8) and rec.precision_bits == 8


def test_models_file_with_an_invalid_row_names_the_row_and_registers_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "acme,good-one,,dense,7,7,,,16,,text,,,\n"
        + "acme,bad-one,,dense,7,7,3,3,16,,text,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidArgumentError, match=r"row 2 \(bad-one\).*dense"):
        models.load_file(path)
    assert resolve("good-one").record is None


def test_missing_models_file_is_an_invalid_argument(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="cannot read models file"):
        models.load_file(tmp_path / "nope.csv")


# -- electricity mixes ---------------------------------------------------------------------
ZONE_ROWS = read_csv("electricity_mixes.csv")
FACTORS = ("gwp", "adpe", "pe", "wue")


def test_at_least_200_zones_with_world_and_europe() -> None:
    zones = {r["zone"] for r in ZONE_ROWS}
    assert len(zones) == len(ZONE_ROWS) >= 200
    assert {"WOR", "EEE", "FRA", "USA", "SWE", "CHN"} <= zones
    assert all(re.fullmatch(r"[A-Z]{3}", z) for z in zones)


@pytest.mark.parametrize("row", ZONE_ROWS, ids=[r["zone"] for r in ZONE_ROWS])
def test_every_zone_has_four_factors_each_with_source_and_year(row: dict[str, str]) -> None:
    for f in FACTORS:
        value = float(row[f])
        assert math.isfinite(value) and value >= 0
        assert row[f"{f}_source"].strip()
        assert re.fullmatch(r"(19|20)\d\d", row[f"{f}_year"])
    assert row["name"].strip()


def test_fallback_flags_mark_world_average_factors() -> None:
    from tokenprint.catalog import grids

    world = grids.get_mix("WOR")
    flagged = 0
    for r in ZONE_ROWS:
        for f in grids.fallback_factors(r["zone"]):
            flagged += 1
            assert getattr(grids.get_mix(r["zone"]), f) == getattr(world, f)
    assert flagged > 0
    assert grids.get_mix("ABW").fallback and not grids.get_mix("FRA").fallback
    assert grids.fallback_factors("FRA") == ()


def test_custom_mix_is_accepted_as_a_zone() -> None:
    from tokenprint.catalog.grids import custom_mix

    clean = custom_mix(0.0, 0.0, 0.0, 0.0, name="solar-roof")
    dirty = custom_mix(1.0, 1e-7, 12.0, 4.0)
    low = tokenprint.estimate("gpt-4o", output_tokens=100, zone=clean)
    high = tokenprint.estimate("gpt-4o", output_tokens=100, zone=dirty)
    assert low.usage is not None and low.usage.gwp.value == 0
    assert high.gwp is not None and low.gwp is not None
    assert high.gwp.value > low.gwp.value


def test_custom_mix_rejects_bad_numbers() -> None:
    with pytest.raises(InvalidArgumentError, match="gwp"):
        tokenprint.custom_mix(-0.1, 0, 0, 0)
    with pytest.raises(InvalidArgumentError, match="pe"):
        tokenprint.custom_mix(0.1, 0, float("nan"), 0)


# -- hardware and data centres -------------------------------------------------------------
def test_accelerators_have_datasheet_figures_and_embodied_ranges() -> None:
    from tokenprint.catalog import hardware

    names = {a.name for a in hardware.all_accelerators()}
    assert {"H100", "H200", "B200", "A100", "TPU-v5e", "TPU-v6e", "TPU-v7"} <= names
    for a in hardware.all_accelerators():
        assert a.memory_gb > 0 and a.bandwidth_tbs > 0 and a.tflops_bf16 > 0, a.name
        assert 0 < lo(a.power_w) <= hi(a.power_w), a.name
        # a narrower unit, when the chip has one, is at least as fast as the wider one;
        # an FP4 unit comes with an FP8 unit
        assert a.tflops_fp8 == 0 or a.tflops_fp8 >= a.tflops_bf16, a.name
        assert a.tflops_fp4 == 0 or a.tflops_fp4 >= a.tflops_fp8 > 0, a.name
        for v in (a.embodied_gwp, a.embodied_adpe, a.embodied_pe):
            assert 0 < lo(v) <= hi(v), a.name
    h100, h200, a100 = (hardware.get_accelerator(n) for n in ("H100", "H200", "A100"))
    assert (h100.memory_gb, h100.bandwidth_tbs, h100.tflops_bf16, h100.tflops_fp8) == (
        80.0,
        3.35,
        989.0,
        1979.0,
    )
    # decode is memory-bound: the H200 moves bytes faster than the H100 (same compute),
    # the A100 slower
    assert a100.bandwidth_tbs < h100.bandwidth_tbs < h200.bandwidth_tbs
    assert h200.tflops_bf16 == h100.tflops_bf16


def test_accelerator_peak_falls_back_to_the_next_wider_unit() -> None:
    from tokenprint.catalog import hardware

    b200, h100, a100 = (hardware.get_accelerator(n) for n in ("B200", "H100", "A100"))
    assert [b200.tflops(p) for p in ("bf16", "fp8", "mxfp4")] == [2250.0, 4500.0, 9000.0]
    # FP4 weights on an H100 run on its FP8 units; FP8 on an A100 on its BF16 units
    assert h100.tflops("mxfp4") == h100.tflops("fp8") == 1979.0
    assert a100.tflops("fp8") == a100.tflops("mxfp4") == a100.tflops("bf16") == 312.0
    assert hardware.get_accelerator("tpu v6e").name == "TPU-v6e"  # names are forgiving


def test_servers_have_power_embodied_and_lifetime() -> None:
    from tokenprint.catalog import hardware

    for name in ("hgx-8gpu", "hgx-h200-8gpu", "hgx-b200-8gpu", "hgx-a100-8gpu", "tpu-host-8"):
        s = hardware.get_server(name)
        assert s.accelerators == 8 and lo(s.power_w) > 0 and lo(s.lifetime_years) >= 1
        for v in (s.embodied_gwp, s.embodied_adpe, s.embodied_pe):
            assert 0 < lo(v) <= hi(v)


def test_every_datacenter_points_at_known_zone_hardware_and_sources() -> None:
    from tokenprint.catalog import datacenters, grids, hardware
    from tokenprint.catalog._files import split_list
    from tokenprint.impacts.serving import BYTES_PER_PRECISION

    for rec in datacenters.all_datacenters():
        dc = rec.profile
        assert grids.has_zone(dc.zone), dc.name
        alternatives = split_list(dc.accelerator)
        assert alternatives, dc.name
        for name in alternatives:  # the first is the best estimate, all are sampled
            assert hardware.has_accelerator(name), (dc.name, name)
        hardware.get_server(dc.server)
        assert split_list(dc.precision), dc.name
        assert all(p in BYTES_PER_PRECISION for p in split_list(dc.precision)), dc.name
        assert 1 <= lo(dc.pue) <= hi(dc.pue) < 3 and 0 <= lo(dc.wue) <= hi(dc.wue)
        assert 0 < lo(dc.batch_per_accelerator) <= hi(dc.batch_per_accelerator), dc.name
        assert 0 < lo(dc.utilisation) <= hi(dc.utilisation) <= 1, dc.name
        # a shipped profile passes the validation applied to users' settings
        given = {k: getattr(dc, k) for k in datacenters.SETTINGS if getattr(dc, k) is not None}
        datacenters.check_settings(given, f"{dc.name}: ")
        assert rec.sources


HOSTS = [
    ("api.groq.com", "groq", "USA"),
    ("api.together.xyz", "together", "USA"),
    ("api.deepseek.com", "deepseek", "CHN"),
    ("openrouter.ai", "openrouter", "WOR"),
    ("api.fireworks.ai", "fireworks", "USA"),
    ("api.mistral.ai", "mistralai", "SWE"),
    ("generativelanguage.googleapis.com", "google", "USA"),
    ("bedrock-runtime.us-east-1.amazonaws.com", "bedrock", "USA"),
    ("bedrock-runtime.eu-west-3.amazonaws.com", "bedrock", "FRA"),
    ("aiplatform.googleapis.com", "vertex", "USA"),
    ("europe-west4-aiplatform.googleapis.com", "vertex", "NLD"),
    ("my-resource.openai.azure.com", "azure", "USA"),
    ("localhost:11434", "self-hosted", "WOR"),
    ("127.0.0.1", "self-hosted", "WOR"),
    ("192.168.1.20", "self-hosted", "WOR"),
]


@pytest.mark.parametrize(("host", "name", "zone"), HOSTS, ids=[h[0] for h in HOSTS])
def test_api_host_maps_to_its_datacenter(host: str, name: str, zone: str) -> None:
    from tokenprint.catalog.datacenters import for_host

    dc = for_host(host)
    assert dc is not None and (dc.name, dc.zone) == (name, zone)


def test_unknown_host_has_no_datacenter() -> None:
    from tokenprint.catalog.datacenters import for_host

    assert for_host("api.example.com") is None
    assert for_host("s3.amazonaws.com") is None


def test_google_serves_on_tpus_and_gpus_are_an_override() -> None:
    from tokenprint.catalog import hardware
    from tokenprint.catalog._files import split_list
    from tokenprint.catalog.datacenters import get_datacenter

    dc = get_datacenter("google")
    assert dc is not None
    assert split_list(dc.accelerator) == ("TPU-v6e", "TPU-v7", "TPU-v5e")
    assert dc.server == "tpu-host-8"
    assert all(hardware.has_accelerator(name) for name in split_list(dc.accelerator))
    impacts = tokenprint.estimate("gemini-2.0-flash", output_tokens=100)
    assert impacts.errors == []
    assert impacts.basis.datacenter == "google"
    assert impacts.basis.hardware == "TPU-v6e"  # the first alternative is the best estimate
    gpu = {"accelerator": "H100", "server": "hgx-8gpu"}
    on_gpu = tokenprint.estimate("gemini-2.0-flash", output_tokens=100, datacenter=gpu)
    assert on_gpu.errors == [] and on_gpu.basis.hardware == "H100"
    assert on_gpu.energy is not None and impacts.energy is not None
    assert on_gpu.energy.central != impacts.energy.central


def test_datacenter_override_per_provider_and_per_request() -> None:
    base = tokenprint.estimate("gpt-4o", output_tokens=100, provider="openai")
    clean = tokenprint.estimate(
        "gpt-4o", output_tokens=100, provider="openai", datacenter={"zone": "SWE", "pue": 1.05}
    )
    assert clean.basis.zone == "SWE"
    assert clean.gwp is not None and base.gwp is not None
    assert hi(clean.gwp.value) < hi(base.gwp.value)
    assert lo(clean.gwp.value) < lo(base.gwp.value)


# -- requests as adapters report them --------------------------------------------------------
def test_azure_deployment_name_resolves_through_the_model_in_the_response() -> None:
    from tokenprint.estimator import Estimator
    from tokenprint.records import Usage

    usage = Usage(
        "azure",
        "gpt-4o-2024-11-20",
        output_tokens=50,
        host="my-resource.openai.azure.com",
        requested_model="my-gpt4o-deployment",
    )
    impacts = Estimator().compute(usage)
    assert impacts.errors == []
    assert impacts.basis.model_resolved == "gpt-4o" and impacts.basis.datacenter == "azure"


def test_deployment_name_alone_is_not_guessed() -> None:
    from tokenprint.estimator import Estimator
    from tokenprint.records import Usage

    usage = Usage("azure", None, output_tokens=50, requested_model="my-gpt4o-deployment")
    assert [e.code for e in Estimator().compute(usage).errors] == ["model-not-registered"]


def test_openai_compatible_host_picks_its_datacenter_and_model() -> None:
    from tokenprint.estimator import Estimator
    from tokenprint.records import Usage

    usage = Usage("openai", "llama-3.3-70b-versatile", output_tokens=50, host="api.groq.com")
    impacts = Estimator().compute(usage)
    assert impacts.basis.model_resolved == "meta-llama/Llama-3.3-70B-Instruct"
    assert (impacts.basis.datacenter, impacts.basis.zone) == ("groq", "USA")


def test_every_loaded_row_validates_including_embedding_models() -> None:
    loaded = models.all_models()
    assert {m.modality for m in loaded} >= {"text"}
    for m in loaded:
        assert validate_record(m, shipped=True) == [], m.name
