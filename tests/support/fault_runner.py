"""Fault-injection runner, executed in a subprocess by ``tests/reliability/test_faults.py``.

``python -m tests.support.fault_runner <provider>`` (from the checkout) runs, for every call
shape of the provider (``sdk_matrix.PROVIDERS``): the call uninstrumented (the reference),
then instrumented with each internal step made to fail in turn (:data:`FAULTS`), then
instrumented against each SDK failure (HTTP 400/500, timeout, connection reset mid-stream).
It prints one JSON object per run. It runs outside pytest, with ``TOKENPRINT_STRICT=0``: the
production behaviour (log once, hand back the SDK's result) is what gets tested, not the
strict mode of the test suite.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

from tests.support import sdk_matrix
from tokenprint import events

__all__ = ["FAULTS", "IMPACTS_FAILED", "STREAM_ONLY", "applies", "main"]


MARK = "@@tokenprint-fault@@ "
"""Prefix of the report lines on stdout (SDKs print there too)."""


class Injected(RuntimeError):
    """The failure the runner injects (never an SDK exception)."""


def _boom(hits: list[int], what: str) -> Injected:
    hits.append(1)
    return Injected(f"injected failure in {what}")


@contextlib.contextmanager
def _setattr(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = obj.__dict__[name] if isinstance(obj, type) else getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextlib.contextmanager
def _targets(provider: str, change: Callable[[Any], Any]) -> Iterator[None]:
    """Replace the provider's adapter targets (before init() patches them) and restore."""
    import importlib
    import importlib.util

    from tokenprint.instrument import SDKS
    from tokenprint.instrument.contract import Target

    saved = []
    for name in SDKS[provider].adapters:
        if importlib.util.find_spec(name) is None:
            continue
        mod = importlib.import_module(name)
        targets = getattr(mod, "TARGETS", None)
        if targets:
            saved.append((targets, list(targets)))
            targets[:] = [change(t) if isinstance(t, Target) else t for t in targets]
    try:
        yield
    finally:
        for targets, old in saved:
            targets[:] = old


def _failing_accumulator(factory: Any, hits: list[int], *, on_add: bool) -> Any:
    """A stream factory like ``factory`` (same ``iterator`` and ``within``) whose
    accumulators fail; None where ``factory`` gives None (an answer it does not tap)."""
    from tokenprint.instrument.contract import Accumulator

    class Failing(Accumulator):
        __slots__ = ("real",)

        def __init__(self, call: Any, stream: Any, real: Any) -> None:
            super().__init__(call, stream)
            self.real = real

        def add(self, chunk: Any) -> bool:
            if on_add:
                raise _boom(hits, "Accumulator.add")
            return bool(self.real.add(chunk))

        def usage(self) -> Any:
            if not on_add:
                raise _boom(hits, "Accumulator.usage")
            return self.real.usage()

        def extra(self) -> Any:
            return self.real.extra()

    class Factory:
        iterator = getattr(factory, "iterator", "_iterator")
        within = getattr(factory, "within", ())

        def __call__(self, call: Any, stream: Any) -> Failing | None:
            real = factory(call, stream)
            return None if real is None else Failing(call, stream, real)

    return Factory()


Fault = Callable[[str, list[int]], "contextlib.AbstractContextManager[dict[str, Any]]"]


@contextlib.contextmanager
def extract(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """The adapter's usage extractor raises (complete answers and stream ends)."""

    def usage(call: Any, result: Any) -> Any:
        raise _boom(hits, "usage extractor")

    def change(t: Any) -> Any:
        return t._replace(
            usage=usage if t.usage is not None else None,
            stream=_failing_accumulator(t.stream, hits, on_add=False) if t.stream else None,
        )

    with _targets(provider, change):
        yield {}


@contextlib.contextmanager
def extract_late(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """The adapter's usage function hands back a builder (``Target.usage``: a partial called
    when the impacts are computed) that raises: the late half of a two-step extraction."""

    def fail() -> Any:
        raise _boom(hits, "usage builder")

    def usage(call: Any, result: Any) -> Any:
        return functools.partial(fail)

    def change(t: Any) -> Any:
        return t._replace(usage=usage if t.usage is not None else None)

    with _targets(provider, change):
        yield {}


@contextlib.contextmanager
def accumulate(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """The stream accumulator raises on every chunk."""

    def change(t: Any) -> Any:
        return t._replace(
            stream=_failing_accumulator(t.stream, hits, on_add=True) if t.stream else None
        )

    with _targets(provider, change):
        yield {}


@contextlib.contextmanager
def pending(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """Reading the request before sending raises, while a blocking budget wants to see it."""
    from tokenprint import EcoLogits
    from tokenprint.instrument import core

    def fail(call: Any) -> Any:
        raise _boom(hits, "pending")

    with (
        _setattr(core, "pending", fail),
        EcoLogits.budget(total={"energy": "1 GWh"}, mode="block"),
    ):
        yield {}


@contextlib.contextmanager
def catalog(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """The catalogue lookup raises."""
    from tokenprint.catalog import models

    def resolve(*args: Any, **kwargs: Any) -> Any:
        raise _boom(hits, "catalog resolve")

    with _setattr(models, "resolve", resolve):
        yield {}


@contextlib.contextmanager
def compute(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """Estimator.compute raises."""
    from tokenprint.estimator import Estimator

    def fail(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise _boom(hits, "Estimator.compute")

    with _setattr(Estimator, "compute", fail):
        yield {}


@contextlib.contextmanager
def impact_model(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """The impact model of every modality (text, embedding, image) raises."""
    from tokenprint import estimator

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise _boom(hits, "impact model")

    saved = dict(estimator.MODALITIES)
    estimator.MODALITIES.update(dict.fromkeys(saved, fail))
    try:
        yield {}
    finally:
        estimator.MODALITIES.update(saved)


@contextlib.contextmanager
def attach(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """Attaching ``impacts`` to the SDK's object raises."""
    from tokenprint.instrument import core, streams

    def fail(obj: Any, impacts: Any) -> bool:
        raise _boom(hits, "attach")

    with _setattr(core, "attach", fail), _setattr(streams, "attach", fail):
        yield {}


@contextlib.contextmanager
def exporter(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """An exporter raises."""

    def export(record: Any) -> None:
        raise _boom(hits, "exporter")

    yield {"exporters": [export]}


@contextlib.contextmanager
def tracker(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """A tracker raises when recording the request."""
    from tokenprint.tracking import Tracker

    def add(self: Any, record: Any) -> None:
        raise _boom(hits, "Tracker.add")

    with _setattr(Tracker, "add", add):
        yield {}


@contextlib.contextmanager
def budget(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    """A budget raises when charging the request."""
    from tokenprint import EcoLogits
    from tokenprint.budgets import Budget

    def charge(self: Any, record: Any, impacts: Any = None) -> Any:
        raise _boom(hits, "Budget.charge")

    with _setattr(Budget, "charge", charge), EcoLogits.budget(total={"energy": "1 GWh"}):
        yield {}


FAULTS: dict[str, Fault] = {
    f.__name__: f
    for f in (
        extract,
        extract_late,
        accumulate,
        pending,
        catalog,
        compute,
        impact_model,
        attach,
        exporter,
        tracker,
        budget,
    )
}
"""Internal step -> context manager that makes it fail (yields extra init() arguments)."""
STREAM_ONLY = frozenset({"accumulate"})
ANSWER_ONLY = frozenset({"extract_late"})
"""Faults of a step that only complete answers take (streams build their Usage at the end)."""
IMPACTS_FAILED = frozenset({"extract", "extract_late", "catalog", "compute", "impact_model"})
"""Faults after which the answer carries impacts with an ``instrumentation-error``."""


def applies(provider: sdk_matrix.Provider, shape: sdk_matrix.Shape, fault: str) -> bool:
    """Whether the fault's step exists for this shape (streams accumulate; only targets that
    declare their ``request`` are read before sending)."""
    if fault in STREAM_ONLY:
        return shape.stream
    if fault in ANSWER_ONLY:
        return not shape.stream
    if fault == "pending":
        import importlib

        targets = importlib.import_module(provider.adapter_of(shape)).TARGETS
        return any(getattr(t, "request", None) is not None for t in targets)
    return True


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage().splitlines()[0])


def _impacts(out: sdk_matrix.Outcome) -> Any:
    imp = out.impacts
    if imp is None:
        return None
    return sorted(e.code for e in imp.errors)


def _instrumented(
    provider: sdk_matrix.Provider,
    shape: sdk_matrix.Shape,
    mode: str,
    fault: Fault | None,
    hits: list[int],
) -> dict[str, Any]:
    from tokenprint import EcoLogits

    lines = _Lines()
    log = logging.getLogger("tokenprint")
    log.addHandler(lines)
    events._seen.clear()
    try:
        with (fault or _no_fault)(provider.name, hits) as init_kw:
            EcoLogits.init(providers=[provider.name], **init_kw)
            with EcoLogits.track() as t:
                out = sdk_matrix.run_shape(provider, shape, mode)
            EcoLogits.shutdown()
    finally:
        log.removeHandler(lines)
    return {
        "outcome": out.as_json(),
        "impacts": _impacts(out),
        "hits": len(hits),
        "log": lines.lines,
        "tracked": [[r.usage.input_tokens, r.usage.output_tokens] for r in t.requests],
    }


@contextlib.contextmanager
def _no_fault(provider: str, hits: list[int]) -> Iterator[dict[str, Any]]:
    yield {}


def main(name: str) -> None:
    logging.getLogger("tokenprint").propagate = False
    provider = sdk_matrix.PROVIDERS[name]
    emit = sys.stdout.write
    for shape in provider.shapes.values():
        modes = [m for m in sdk_matrix.MODES if shape.stream or m != "cut"]
        for mode in modes:
            ref = sdk_matrix.run_shape(provider, shape, mode).as_json()
            row = _instrumented(provider, shape, mode, None, [])
            emit(
                MARK
                + json.dumps({"shape": shape.name, "mode": mode, "fault": None, "ref": ref, **row})
            )
            emit("\n")
            if mode != "ok":
                continue
            for fname, fault in FAULTS.items():
                if not applies(provider, shape, fname):
                    continue
                row = _instrumented(provider, shape, mode, fault, [])
                emit(MARK + json.dumps({"shape": shape.name, "mode": mode, "fault": fname, **row}))
                emit("\n")


if __name__ == "__main__":
    main(sys.argv[1])
