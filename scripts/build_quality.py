"""Rebuild ``data/quality.csv`` and ``data/reasoning_tokens.csv`` from public leaderboard files
(dev only; the library reads only the two outputs).

Inputs, each a file of a public repository (facts, credited row by row):

* LMArena text leaderboard as exported by ``fboulnois/llm-leaderboard-csv``
  (``csv/lmarena_text.csv``, version 2025.08.04): the ``arena_score`` and its 95 % interval.
* LiveBench release 2024-11-25 (``LiveBench/livebench.github.io``,
  ``public/table_2024_11_25.csv`` and ``public/categories_2024_11_25.json``): the Coding and
  Mathematics categories, each the mean of its tasks' scores as LiveBench averages them.
* ``cpldcpu/LRMTokenEconomy`` (``evaluation_stats.csv``): reasoning and answer tokens per run;
  the multiplier is the sum of reasoning tokens over the sum of answer tokens on the
  knowledge questions (short factual prompts, the closest to an everyday request).

Usage::

    python scripts/build_quality.py --lmarena lmarena_text.csv --livebench table_2024_11_25.csv \\
        --livebench-categories categories_2024_11_25.json --tokens evaluation_stats.csv

The catalogue name of every row is checked with ``tokenprint.resolve_model``.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

__all__ = ["LIVEBENCH", "LMARENA", "TOKENS", "main"]

ROOT = Path(__file__).resolve().parent.parent

ARENA_SOURCE = "https://github.com/fboulnois/llm-leaderboard-csv (LMArena text, v2025.08.04)"
ARENA_DATE = "2025-08-04"
LB_SOURCE = "https://github.com/LiveBench/livebench.github.io (release 2024-11-25)"
LB_DATE = "2025-03-31"
TOKENS_SOURCE = "https://github.com/cpldcpu/LRMTokenEconomy (evaluation_stats.csv)"
TOKENS_DATE = "2025-08-07"

LMARENA: dict[str, str] = {
    "gpt-4o": "GPT-4o-2024-08-06",
    "gpt-4o-mini": "GPT-4o-mini-2024-07-18",
    "gpt-4.1": "GPT-4.1-2025-04-14",
    "gpt-4.1-mini": "GPT-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "GPT-4.1-nano-2025-04-14",
    "gpt-4-turbo": "GPT-4-Turbo-2024-04-09",
    "gpt-4": "GPT-4-0613",
    "gpt-3.5-turbo": "GPT-3.5-Turbo-0125",
    "o1": "o1-2024-12-17",
    "o1-mini": "o1-mini",
    "o1-preview": "o1-preview",
    "o3": "o3-2025-04-16",
    "o3-mini": "o3-mini",
    "o4-mini": "o4-mini-2025-04-16",
    "claude-opus-4": "Claude Opus 4 (20250514)",
    "claude-sonnet-4": "Claude Sonnet 4 (20250514)",
    "claude-3-7-sonnet": "Claude 3.7 Sonnet",
    "claude-3-5-sonnet": "Claude 3.5 Sonnet (20241022)",
    "claude-3-5-haiku": "Claude 3.5 Haiku (20241022)",
    "claude-3-opus": "Claude 3 Opus",
    "claude-3-sonnet": "Claude 3 Sonnet",
    "claude-3-haiku": "Claude 3 Haiku",
    "claude-2.1": "Claude-2.1",
    "claude-2.0": "Claude-2.0",
    "claude-instant-1.2": "Claude-Instant-1",
    "gemini-2.5-pro": "Gemini-2.5-Pro",
    "gemini-2.5-flash": "Gemini-2.5-Flash",
    "gemini-2.0-flash": "Gemini-2.0-Flash-001",
    "gemini-2.0-flash-lite": "Gemini-2.0-Flash-Lite",
    "gemini-1.5-pro": "Gemini-1.5-Pro-002",
    "gemini-1.5-flash": "Gemini-1.5-Flash-002",
    "gemini-1.5-flash-8b": "Gemini-1.5-Flash-8B-001",
    "gemini-1.0-pro": "Gemini-1.0-Pro-001",
    "google/gemma-3-27b-it": "Gemma-3-27B-it",
    "google/gemma-3-12b-it": "Gemma-3-12B-it",
    "google/gemma-3-4b-it": "Gemma-3-4B-it",
    "google/gemma-2-27b-it": "Gemma-2-27B-it",
    "google/gemma-2-9b-it": "Gemma-2-9B-it",
    "google/gemma-2-2b-it": "Gemma-2-2b-it",
    "google/gemma-1.1-7b-it": "Gemma-1.1-7B-it",
    "google/gemma-1.1-2b-it": "Gemma-1.1-2b-it",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct": "Llama-4-Maverick-17B-128E-Instruct",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": "Llama-4-Scout-17B-16E-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct": "Llama-3.3-70B-Instruct",
    "meta-llama/Llama-3.2-3B-Instruct": "Meta-Llama-3.2-3B-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct": "Meta-Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.1-405B-Instruct": "Meta-Llama-3.1-405B-Instruct-bf16",
    "meta-llama/Llama-3.1-405B-Instruct-FP8": "Meta-Llama-3.1-405B-Instruct-fp8",
    "meta-llama/Llama-3.1-70B-Instruct": "Meta-Llama-3.1-70B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct": "Meta-Llama-3.1-8B-Instruct",
    "meta-llama/Meta-Llama-3-70B-Instruct": "Llama-3-70B-Instruct",
    "meta-llama/Meta-Llama-3-8B-Instruct": "Llama-3-8B-Instruct",
    "meta-llama/Llama-2-70b-chat-hf": "Llama-2-70B-chat",
    "meta-llama/Llama-2-13b-chat-hf": "Llama-2-13b-chat",
    "meta-llama/Llama-2-7b-chat-hf": "Llama-2-7B-chat",
    "Qwen/Qwen3-235B-A22B": "Qwen3-235B-A22B",
    "Qwen/Qwen3-235B-A22B-Instruct-2507": "Qwen3-235B-A22B-Instruct-2507",
    "Qwen/Qwen3-235B-A22B-Thinking-2507": "Qwen3-235B-A22B-Thinking-2507",
    "Qwen/Qwen3-30B-A3B": "Qwen3-30B-A3B",
    "Qwen/Qwen3-30B-A3B-Instruct-2507": "Qwen3-30B-A3B-Instruct-2507",
    "Qwen/Qwen3-32B": "Qwen3-32B",
    "Qwen/Qwen3-Coder-480B-A35B-Instruct": "Qwen3-Coder-480B-A35B-Instruct",
    "Qwen/QwQ-32B": "QwQ-32B",
    "Qwen/QwQ-32B-Preview": "QwQ-32B-Preview",
    "Qwen/Qwen2.5-72B-Instruct": "Qwen2.5-72B-Instruct",
    "Qwen/Qwen2.5-Coder-32B-Instruct": "Qwen2.5-Coder-32B-Instruct",
    "Qwen/Qwen2-72B-Instruct": "Qwen2-72B-Instruct",
    "deepseek-ai/DeepSeek-R1-0528": "DeepSeek-R1-0528",
    "deepseek-ai/DeepSeek-R1": "DeepSeek-R1",
    "deepseek-ai/DeepSeek-V3-0324": "DeepSeek-V3-0324",
    "deepseek-ai/DeepSeek-V3": "DeepSeek-V3",
    "deepseek-ai/DeepSeek-V2.5": "Deepseek-v2.5",
    "deepseek-ai/DeepSeek-Coder-V2-Instruct": "DeepSeek-Coder-V2-Instruct",
    "deepseek-ai/deepseek-llm-67b-chat": "DeepSeek-LLM-67B-Chat",
    "mistral-medium-2505": "Mistral Medium 3",
    "mistral-large-2411": "Mistral-Large-2411",
    "mistral-large-2407": "Mistral-Large-2407",
    "mistral-small-2506": "Mistral-Small-2506",
    "mistral-small-2503": "Mistral-Small-3.1-24B-Instruct-2503",
    "mistral-small-2501": "Mistral-Small-24B-Instruct-2501",
    "magistral-medium-2506": "magistral-medium-2506",
    "ministral-8b-2410": "Ministral-8B-2410",
    "open-mixtral-8x22b": "Mixtral-8x22b-Instruct-v0.1",
    "open-mixtral-8x7b": "Mixtral-8x7B-Instruct-v0.1",
    "mistralai/Mistral-7B-Instruct-v0.2": "Mistral-7B-Instruct-v0.2",
    "mistralai/Mistral-7B-Instruct-v0.1": "Mistral-7B-Instruct-v0.1",
    "command-a-03-2025": "Command A (03-2025)",
    "command-r-plus-08-2024": "Command R+ (08-2024)",
    "command-r-08-2024": "Command R (08-2024)",
    "command-r-plus": "Command R+ (04-2024)",
    "command-r": "Command R (04-2024)",
    "c4ai-aya-expanse-32b": "Aya-Expanse-32B",
    "c4ai-aya-expanse-8b": "Aya-Expanse-8B",
    "microsoft/phi-4": "Phi-4",
    "microsoft/Phi-3-medium-4k-instruct": "Phi-3-Medium-4k-Instruct",
    "microsoft/Phi-3-small-8k-instruct": "Phi-3-Small-8k-Instruct",
    "microsoft/Phi-3-mini-4k-instruct": "Phi-3-Mini-4k-Instruct",
    "microsoft/Phi-3-mini-128k-instruct": "Phi-3-Mini-128k-Instruct",
    "moonshotai/Kimi-K2-Instruct": "kimi-k2-0711-preview",
    "zai-org/GLM-4.5": "GLM-4.5",
    "zai-org/GLM-4.5-Air": "GLM-4.5-Air",
    "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF": "Llama-3.1-Nemotron-70B-Instruct",
    "nvidia/Llama-3_3-Nemotron-Super-49B-v1": "Llama-3.3-Nemotron-Super-49B-v1",
    "allenai/OLMo-2-0325-32B-Instruct": "OLMo-2-0325-32B-Instruct",
    "01-ai/Yi-1.5-34B-Chat": "Yi-1.5-34B-Chat",
    "Snowflake/snowflake-arctic-instruct": "Snowflake Arctic Instruct",
    "HuggingFaceH4/zephyr-7b-beta": "Zephyr-7B-beta",
    "HuggingFaceTB/SmolLM2-1.7B-Instruct": "SmolLM2-1.7B-Instruct",
    "databricks/dolly-v2-12b": "Dolly-V2-12B",
}
"""Catalogue name -> LMArena name (the API snapshot the catalogue row serves by default)."""

LIVEBENCH: dict[str, str] = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "o1-mini": "o1-mini-2024-09-12",
    "o3-mini": "o3-mini-2025-01-31-medium",
    "claude-3-7-sonnet": "claude-3-7-sonnet",
    "claude-3-5-sonnet": "claude-3-5-sonnet-20241022",
    "claude-3-5-haiku": "claude-3-5-haiku-20241022",
    "claude-3-opus": "claude-3-opus-20240229",
    "gemini-2.0-flash": "gemini-2.0-flash",
    "gemini-2.0-flash-lite": "gemini-2.0-flash-lite",
    "google/gemma-3-27b-it": "gemma-3-27b-it",
    "google/gemma-2-27b-it": "gemma-2-27b-it",
    "google/gemma-2-9b-it": "gemma-2-9b-it",
    "meta-llama/Llama-3.3-70B-Instruct": "llama-3.3-70b-instruct-turbo",
    "meta-llama/Llama-3.1-405B-Instruct": "meta-llama-3.1-405b-instruct-turbo",
    "meta-llama/Llama-3.1-70B-Instruct": "meta-llama-3.1-70b-instruct-turbo",
    "meta-llama/Llama-3.1-8B-Instruct": "meta-llama-3.1-8b-instruct-turbo",
    "Qwen/Qwen2.5-72B-Instruct": "qwen2.5-72b-instruct-turbo",
    "Qwen/Qwen2.5-7B-Instruct": "qwen2.5-7b-instruct-turbo",
    "Qwen/Qwen2.5-Coder-32B-Instruct": "qwen2.5-coder-32b-instruct",
    "Qwen/QwQ-32B": "qwq-32b",
    "Qwen/QwQ-32B-Preview": "qwq-32b-preview",
    "deepseek-ai/DeepSeek-R1": "deepseek-r1",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-70B": "deepseek-r1-distill-llama-70b",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B": "deepseek-r1-distill-qwen-32b",
    "deepseek-ai/DeepSeek-V3": "deepseek-v3",
    "deepseek-ai/DeepSeek-V3-0324": "deepseek-v3-0324",
    "mistral-large-2411": "mistral-large-2411",
    "mistral-small-2503": "mistral-small-2503",
    "mistral-small-2501": "mistral-small-2501",
    "command-r-plus-08-2024": "command-r-plus-08-2024",
    "command-r-08-2024": "command-r-08-2024",
    "microsoft/phi-4": "phi-4",
    "microsoft/Phi-3-small-8k-instruct": "phi-3-small-8k-instruct",
    "microsoft/Phi-3-mini-4k-instruct": "phi-3-mini-4k-instruct",
    "microsoft/Phi-3-mini-128k-instruct": "phi-3-mini-128k-instruct",
    "allenai/OLMo-2-1124-13B-Instruct": "olmo-2-1124-13b-instruct",
}
"""Catalogue name -> LiveBench name (default settings only: no raised reasoning effort)."""

TOKENS: dict[str, str] = {
    "deepseek-ai/DeepSeek-R1": "deepseek-r1",
    "deepseek-ai/DeepSeek-R1-0528": "deepseek-r1-0528",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B": "deepseek-r1-distill-qwen-7b",
    "zai-org/GLM-4.5": "glm-4.5",
    "magistral-medium-2506": "magistral-medium-2506-thinking",
    "magistral-small-2506": "magistral-small-2506",
    "o1-mini": "o1-mini",
    "Qwen/Qwen3-235B-A22B": "qwen3-235b-a22b-think",
    "Qwen/Qwen3-235B-A22B-Thinking-2507": "qwen3-235b-a22b-thinking-2507",
    "Qwen/Qwen3-30B-A3B": "qwen3-30b-a3b-think",
    "gemini-2.5-pro": "gemini-2.5-pro",
}
"""Catalogue name -> LRMTokenEconomy name (models run at their default reasoning settings)."""

TASKS = {"coding": "Coding", "maths": "Mathematics"}
"""Our task name -> LiveBench category."""

QUALITY_HEADER = """\
# tokenprint quality scores: public leaderboard results per catalogued model (provenance in
# data/README.md; rebuilt by scripts/build_quality.py). One row per model and task; scores are
# comparable only within a task. score_low/score_high: the source's 95 % interval (empty when
# the source publishes none). source_name: the model's name in the source.
"""
TOKENS_HEADER = """\
# tokenprint typical thinking tokens: reasoning tokens per visible output token, measured on
# short knowledge questions at default settings (provenance in data/README.md; rebuilt by
# scripts/build_quality.py).
"""


def _arena(path: Path) -> list[dict[str, str]]:
    rows = {r["model"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    out = []
    for name, source_name in LMARENA.items():
        r = rows[source_name]
        m = re.fullmatch(r"\+(\d+)/-(\d+)", r["95_pct_ci"].strip())
        assert m, r["95_pct_ci"]
        score = float(r["arena_score"])
        out.append(
            {
                "model": name,
                "task": "overall",
                "score": f"{score:g}",
                "score_low": f"{score - float(m.group(2)):g}",
                "score_high": f"{score + float(m.group(1)):g}",
                "source_name": source_name,
                "source": ARENA_SOURCE,
                "date": ARENA_DATE,
            }
        )
    return out


def _livebench(table: Path, categories: Path) -> list[dict[str, str]]:
    cats = json.loads(categories.read_text(encoding="utf-8"))
    rows = {r["model"]: r for r in csv.DictReader(table.open(encoding="utf-8"))}
    out = []
    for name, source_name in LIVEBENCH.items():
        r = rows[source_name]
        for task, cat in TASKS.items():
            values = [float(r[t]) for t in cats[cat] if r.get(t)]
            if len(values) != len(cats[cat]):
                continue  # a category with a missing task has no LiveBench average
            out.append(
                {
                    "model": name,
                    "task": task,
                    "score": f"{sum(values) / len(values):.1f}",
                    "score_low": "",
                    "score_high": "",
                    "source_name": source_name,
                    "source": LB_SOURCE,
                    "date": LB_DATE,
                }
            )
    return out


def _tokens(path: Path) -> list[dict[str, str]]:
    sums: dict[str, list[float]] = {}
    for r in csv.DictReader(path.open(encoding="utf-8")):
        if r["type"] != "knowledge":
            continue
        try:
            answer, thinking = float(r["tokens_output"]), float(r["tokens_reasoning"])
        except ValueError:
            continue
        acc = sums.setdefault(r["model_name"], [0.0, 0.0, 0.0])
        acc[0] += answer
        acc[1] += thinking
        acc[2] += 1
    out = []
    for name, source_name in TOKENS.items():
        answer, thinking, runs = sums[source_name]
        out.append(
            {
                "model": name,
                "thinking_multiplier": f"{thinking / answer:.1f}",
                "runs": f"{runs:g}",
                "source_name": source_name,
                "source": TOKENS_SOURCE,
                "date": TOKENS_DATE,
            }
        )
    return out


def _write(path: Path, header: str, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(header)
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _check_names(names: list[str]) -> None:
    from tokenprint.catalog.models import resolve

    missing = [n for n in names if resolve(n).record is None]
    if missing:
        raise SystemExit(f"not in the catalogue: {missing}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lmarena", type=Path, required=True)
    p.add_argument("--livebench", type=Path, required=True)
    p.add_argument("--livebench-categories", type=Path, required=True)
    p.add_argument("--tokens", type=Path, required=True)
    args = p.parse_args(argv)
    quality = _arena(args.lmarena) + _livebench(args.livebench, args.livebench_categories)
    quality.sort(key=lambda r: (r["model"].lower(), r["task"] != "overall", r["task"]))
    tokens = _tokens(args.tokens)
    _check_names([r["model"] for r in quality] + [r["model"] for r in tokens])
    _write(ROOT / "data" / "quality.csv", QUALITY_HEADER, quality)
    _write(ROOT / "data" / "reasoning_tokens.csv", TOKENS_HEADER, tokens)
    print(f"{len(quality)} quality rows, {len(tokens)} thinking-token rows")


if __name__ == "__main__":
    main()
