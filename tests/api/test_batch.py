"""tokenprint.account_batch on Batch API results files written the way the service writes
them: answered lines, failed requests, malformed lines, an empty file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tokenprint
from tests.support.cassettes import records
from tokenprint import Budget, BudgetExceeded, EcoLogits, Tracker
from tokenprint.batch import BatchResult

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1760000000,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 200, "completion_tokens": 100, "total_tokens": 300},
}
RESPONSE = {
    "id": "resp_1",
    "object": "response",
    "model": "gpt-4o",
    "output": [{"type": "message", "content": [{"type": "output_text", "text": "Hello"}]}],
    "usage": {"input_tokens": 50, "output_tokens": 20, "total_tokens": 70},
}
EMBEDDINGS = {
    "object": "list",
    "model": "text-embedding-3-small",
    "data": [{"object": "embedding", "index": 0, "embedding": [0.1]}],
    "usage": {"prompt_tokens": 12, "total_tokens": 12},
}


def _ok(custom_id: str, body: dict[str, Any]) -> str:
    response = {"status_code": 200, "request_id": "req_" + custom_id, "body": body}
    entry = {"id": "batch_req_" + custom_id, "custom_id": custom_id, "response": response}
    return json.dumps({**entry, "error": None})


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "batch_output.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


FAILED = json.dumps(
    {
        "custom_id": "bad",
        "response": {"status_code": 400, "body": {"error": {"message": "model not found"}}},
        "error": None,
    }
)
EXPIRED = json.dumps(
    {"custom_id": "late", "response": None, "error": {"code": "batch_expired", "message": "x"}}
)


def test_every_answered_line_is_accounted_and_totalled(tmp_path: Path) -> None:
    path = _write(tmp_path, _ok("a", CHAT), _ok("b", RESPONSE), _ok("c", EMBEDDINGS))
    result = tokenprint.account_batch(path)
    a, b, c = result.lines
    assert [x.custom_id for x in result.lines] == ["a", "b", "c"]
    assert a.usage is not None and (a.usage.input_tokens, a.usage.output_tokens) == (200, 100)
    assert a.usage.endpoint == "chat.completions.create"
    assert b.usage is not None and (b.usage.endpoint, b.usage.output_tokens) == (
        "responses.create",
        20,
    )
    assert c.usage is not None and (c.usage.modality, c.usage.input_tokens) == ("embedding", 12)
    assert result.failed == []
    assert result.total.basis.requests == 3
    expected = 0.0
    for x in result.lines:
        assert x.impacts is not None and x.impacts.energy is not None
        expected += x.impacts.energy.central
    assert result.total.energy is not None
    assert result.total.energy.central == pytest.approx(expected)


def test_a_line_matches_the_same_answer_estimated_directly(tmp_path: Path) -> None:
    result = tokenprint.account_batch(_write(tmp_path, _ok("a", CHAT)))
    direct = tokenprint.estimate("gpt-4o-mini", 100, 200, provider="openai")
    line = result.lines[0].impacts
    assert line is not None and line.energy is not None and direct.energy is not None
    assert line.energy.central == pytest.approx(direct.energy.central)


def test_failed_requests_and_malformed_lines_have_no_impacts_and_are_named(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, _ok("a", CHAT), FAILED, "{not json", "[1, 2]", EXPIRED, "")
    result = tokenprint.account_batch(path)
    assert [x.line for x in result.failed] == [2, 3, 4, 5]
    errors = [x.error or "" for x in result.failed]
    assert errors[0] == "line 2: request failed (status 400): model not found"
    assert errors[1].startswith("line 3: malformed")
    assert errors[2] == "line 4: malformed (not a JSON object)"
    assert errors[3].startswith("line 5: request failed") and "x" in errors[3]
    assert all(x.impacts is None and x.usage is None for x in result.failed)
    assert result.total.basis.requests == 1


def test_an_unknown_body_is_a_line_error(tmp_path: Path) -> None:
    result = tokenprint.account_batch(_write(tmp_path, _ok("m", {"object": "moderation"})))
    assert (
        result.lines[0].error == "line 1: a body of object 'moderation' is not an answer it reads"
    )


def test_a_body_of_another_shape_is_a_line_error_and_the_rest_is_accounted(
    tmp_path: Path,
) -> None:
    odd = {"object": "chat.completion", "model": "gpt-4o-mini", "choices": 5}
    result = tokenprint.account_batch(_write(tmp_path, _ok("a", odd), _ok("b", CHAT)))
    (bad,) = result.failed
    assert bad.line == 1 and (bad.error or "").startswith("line 1: unreadable answer")
    assert result.lines[1].impacts is not None and result.total.basis.requests == 1


def test_an_embedding_answer_without_usage_is_estimated_not_zero(tmp_path: Path) -> None:
    body = {"object": "list", "model": "text-embedding-3-small", "data": []}
    line = tokenprint.account_batch(_write(tmp_path, _ok("e", body))).lines[0]
    assert line.usage is not None and line.usage.modality == "embedding"
    assert line.impacts is not None and line.impacts.errors == []
    assert "input-tokens-estimated" in {w.code for w in line.impacts.warnings}


def test_an_answer_without_usage_is_estimated_with_warnings(tmp_path: Path) -> None:
    body = {k: v for k, v in CHAT.items() if k != "usage"}
    line = tokenprint.account_batch(_write(tmp_path, _ok("a", body))).lines[0]
    assert line.impacts is not None and line.impacts.errors == []
    codes = {w.code for w in line.impacts.warnings}
    assert {"output-tokens-estimated", "input-tokens-estimated"} <= codes


def test_an_unknown_model_carries_its_error(tmp_path: Path) -> None:
    body = {**CHAT, "model": "no-such-model-xyz"}
    line = tokenprint.account_batch(_write(tmp_path, _ok("a", body))).lines[0]
    assert line.impacts is not None
    assert [e.code for e in line.impacts.errors] == ["model-not-registered"]


def test_an_empty_file_totals_nothing(tmp_path: Path) -> None:
    result = tokenprint.account_batch(_write(tmp_path))
    assert result.lines == [] and result.total.basis.requests == 0


def test_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        tokenprint.account_batch(tmp_path / "nope.jsonl")


def test_each_line_is_published_with_a_batch_label(tmp_path: Path) -> None:
    EcoLogits.init(providers=[], labels={"team": "search"})
    path = _write(tmp_path, _ok("a", CHAT), FAILED, _ok("b", EMBEDDINGS))
    with records() as recs, Tracker() as tracker:
        tokenprint.account_batch(path)
    assert [dict(r.labels) for r in recs] == [{"team": "search", "batch": "batch_output.jsonl"}] * 2
    assert [r.usage.endpoint for r in recs] == ["chat.completions.create", "embeddings.create"]
    assert len(tracker.requests) == 2


def test_the_batch_label_can_be_named(tmp_path: Path) -> None:
    with records() as recs:
        tokenprint.account_batch(_write(tmp_path, _ok("a", CHAT)), batch="batch_abc")
    assert recs[0].labels["batch"] == "batch_abc"


def test_a_budget_breach_raises_after_every_line_with_the_result(tmp_path: Path) -> None:
    EcoLogits.init(providers=[], budget=Budget(total={"energy": "1e-9 kWh"}, mode="raise"))
    path = _write(tmp_path, _ok("a", CHAT), _ok("b", CHAT))
    with records() as recs, pytest.raises(BudgetExceeded) as info:
        tokenprint.account_batch(path)
    assert len(recs) == 2
    assert isinstance(info.value.response, BatchResult)
    assert info.value.response.total.basis.requests == 2
