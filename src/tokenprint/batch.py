"""Accounting an OpenAI Batch API results file (``tokenprint.account_batch``).

A batch's answers arrive later, as a JSON-lines file: one line per request,
``{"custom_id", "response": {"status_code", "body"}, "error"}``, the body a chat completion,
a Responses ``response``, a legacy completion or an embeddings list. Each answered line is
read like the live answer it stands for and published as a request (trackers, budgets and
exporters receive it), labelled ``batch=<file name>``. A failed request has no impacts; a
line that is not such an object is named by its number.

Batch requests are served with the impact model of live requests: the provider's batch
sizes are not published, and the Batch API's discount may come from scheduling on idle
capacity as much as from larger batches, so no reduction is assumed (see the methodology).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from tokenprint import events
from tokenprint.errors import BudgetExceeded
from tokenprint.estimator import default_estimator
from tokenprint.impacts.results import Impacts
from tokenprint.instrument import read
from tokenprint.instrument.account import Scene, complete, estimate, publish
from tokenprint.instrument.contract import Call, Target
from tokenprint.instrument.providers.openai import REQUEST, answer
from tokenprint.instrument.providers.openai_media import EMBEDDING
from tokenprint.records import Usage

__all__ = ["BatchLine", "BatchResult", "account_batch"]


class BatchLine(NamedTuple):
    """One line of a results file."""

    line: int
    """Its number in the file, from 1."""
    custom_id: str | None
    usage: Usage | None
    """What the request used; None when it failed or the line is malformed."""
    impacts: Impacts | None
    """Its impacts (an unknown model's carry the error); None when there are none."""
    error: str | None = None
    """Why there are no impacts: the request failed, or the line is malformed."""


class BatchResult(NamedTuple):
    """Every line of a results file, and the total of the answered ones."""

    lines: list[BatchLine]
    total: Impacts

    @property
    def failed(self) -> list[BatchLine]:
        """Lines without impacts (failed requests and malformed lines)."""
        return [line for line in self.lines if line.impacts is None]


_KINDS = {
    "chat.completion": ("chat.completions.create", REQUEST),
    "text_completion": ("completions.create", REQUEST),
    "response": ("responses.create", REQUEST),
    "list": ("embeddings.create", EMBEDDING),
}
"""A body's ``object`` -> the endpoint it answers and what that request holds."""


def _usage(body: Mapping[str, Any]) -> tuple[Call, Usage]:
    kind = _KINDS.get(body.get("object"))  # type: ignore[arg-type]
    if kind is None:
        raise ValueError(f"a body of object {body.get('object')!r} is not an answer it reads")
    endpoint, request = kind
    call = Call(Target("", "", endpoint, request=request), None, (), {"model": body.get("model")})
    if endpoint == "embeddings.create":
        counts = ("prompt_tokens", "total_tokens")
        return call, read.embedded(call, body.get("model"), body.get("usage"), counts)
    return call, answer(call, body.get("model"), body.get("usage"), body.get("choices"),
                        body.get("output"))  # fmt: skip


def _failure(entry: Mapping[str, Any], response: Any) -> str | None:
    """Why a line's request has no answer to read, or None."""
    error = entry.get("error")
    status = response.get("status_code") if isinstance(response, Mapping) else None
    body = response.get("body") if isinstance(response, Mapping) else None
    if not error and status == 200 and isinstance(body, Mapping):
        return None
    if not error and isinstance(body, Mapping):
        error = body.get("error")
    message = error.get("message") if isinstance(error, Mapping) else error
    return f"request failed (status {status}): {message or 'no answer'}"


def _line(n: int, text: str, scene: Scene) -> tuple[BatchLine, Call | None]:
    try:
        entry = json.loads(text)
        if not isinstance(entry, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        return BatchLine(n, None, None, None, f"line {n}: malformed ({exc})"), None
    custom_id = entry.get("custom_id")
    custom_id = custom_id if isinstance(custom_id, str) else None
    response = entry.get("response")
    failure = _failure(entry, response)
    if failure is not None or not isinstance(response, Mapping):  # (the second: for types)
        return BatchLine(n, custom_id, None, None, f"line {n}: {failure}"), None
    try:
        call, usage = _usage(response["body"])
        usage = complete(call, usage)
    except ValueError as exc:
        return BatchLine(n, custom_id, None, None, f"line {n}: {exc}"), None
    except (TypeError, AttributeError, KeyError) as exc:  # a body of another shape
        return BatchLine(n, custom_id, None, None, f"line {n}: unreadable answer ({exc})"), None
    return BatchLine(n, custom_id, usage, estimate(scene, usage)), call


def account_batch(path: str | os.PathLike[str], *, batch: str | None = None) -> BatchResult:
    """Account every line of a Batch API results file: per-line usage and impacts, and the
    total. Each answered line is published as a request labelled ``batch`` (``batch``, else
    the file's name). A budget exceeded by the batch raises
    :class:`~tokenprint.errors.BudgetExceeded` once every line is published (its
    ``response`` is the result)."""
    runtime = events.current() or events.Runtime(default_estimator(), {})
    scene = Scene(runtime)
    scene.labels = {**scene.labels, "batch": batch or Path(path).name}
    lines: list[BatchLine] = []
    breach: BudgetExceeded | None = None
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            if not text.strip():
                continue
            line, call = _line(n, text, scene)
            lines.append(line)
            if call is None:
                continue
            assert line.usage is not None and line.impacts is not None
            try:
                publish(scene, line.usage, line.impacts, call)
            except BudgetExceeded as exc:
                breach = breach or exc
    result = BatchResult(lines, Impacts.sum(line.impacts for line in lines if line.impacts))
    if breach is not None:
        breach.response = result
        raise breach
    return result
