"""Exporters: send each request's impacts to OpenTelemetry, a file, or logs.

``EcoLogits.init(exporters=[...])`` (or ``exporters = [...]`` in the config file) takes any
mix of:

* an object with ``export(record)`` (and optionally ``shutdown()``), or a plain callable
  ``fn(record)``; ``record`` is a :class:`tokenprint.records.RequestRecord`;
* a string: ``"jsonl:PATH"``, ``"log"``, ``"log:LEVEL"``, ``"codecarbon"`` (writes
  ``emissions.csv``), ``"codecarbon:PATH"``, ``"opentelemetry"`` (global MeterProvider),
  ``"otlp:URL"`` (OTLP/HTTP to URL), ``"prometheus"`` (the default prometheus_client registry),
  ``"prometheus:PORT"`` (and an HTTP endpoint on PORT);
* a table (dict) with ``type`` and the exporter's options:
  ``{"type": "codecarbon", "path": "emissions.csv", "per": "run"}``.

``opentelemetry_endpoint=``/``meter_provider=`` add an OpenTelemetry exporter too.
Exporters run after each request; those with a ``breached(breach)`` method also hear of
each budget breach (:class:`tokenprint.events.Breach`). One that fails is reported through
the guard (logged once) and never breaks the request nor the other exporters.
``EcoLogits.shutdown()`` (or interpreter exit) flushes and closes them.
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import threading
from collections.abc import Callable, Mapping
from typing import Any

from tokenprint import events
from tokenprint.errors import InvalidArgumentError, InvalidTypeError
from tokenprint.events import report
from tokenprint.exporters import _worker
from tokenprint.exporters._common import Exporter
from tokenprint.records import RequestRecord

__all__ = [
    "KINDS",
    "Exporter",
    "active",
    "build",
    "flush",
    "install",
    "uninstall",
    "validate",
]

_lock = threading.RLock()
_active: list[Any] = []
_atexit_registered = False


def _jsonl(**kw: Any) -> Any:
    from tokenprint.exporters.jsonl import JsonLinesExporter

    return JsonLinesExporter(**kw)


def _log(**kw: Any) -> Any:
    from tokenprint.exporters.log import LoggingExporter

    return LoggingExporter(**kw)


def _codecarbon(**kw: Any) -> Any:
    from tokenprint.exporters.codecarbon import CodeCarbonExporter

    return CodeCarbonExporter(**kw)


def _optional(module: str, name: str, extra: str) -> Any:
    """An exporter class whose module needs an extra; InvalidArgumentError naming it."""
    try:
        return getattr(importlib.import_module(f"tokenprint.exporters.{module}"), name)
    except ImportError as exc:
        raise InvalidArgumentError(
            f"the {name} needs the {extra} extra: pip install 'tokenprint[{extra}]'"
        ) from exc


def _opentelemetry(**kw: Any) -> Any:
    return _optional("opentelemetry", "OpenTelemetryExporter", "opentelemetry")(**kw)


def _prometheus(**kw: Any) -> Any:
    if "port" in kw:
        kw["port"] = int(kw["port"])
    return _optional("prometheus", "PrometheusExporter", "prometheus")(**kw)


# kind -> (factory, option given by the text after "kind:", options accepted)
KINDS: dict[str, tuple[Callable[..., Any], str | None, tuple[str, ...]]] = {
    "jsonl": (_jsonl, "path", ("path",)),
    "log": (_log, "level", ("level", "logger")),
    "codecarbon": (
        _codecarbon,
        "path",
        ("path", "per", "project_name", "experiment_id", "include_embodied"),
    ),
    "opentelemetry": (
        _opentelemetry,
        None,
        ("endpoint", "meter_provider", "export_interval_ms", "span_attributes", "histograms"),
    ),
    "otlp": (
        _opentelemetry,
        "endpoint",
        ("endpoint", "meter_provider", "export_interval_ms", "span_attributes", "histograms"),
    ),
    "prometheus": (
        _prometheus,
        "port",
        ("port", "addr", "registry", "labels", "max_series"),
    ),
}
_REQUIRED = {"jsonl": "path", "otlp": "endpoint"}


def _parse(spec: str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(kind, options) of a string or table spec; InvalidArgumentError naming what is wrong."""
    if isinstance(spec, str):
        kind, sep, arg = spec.strip().partition(":")
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise InvalidArgumentError(
                f"unknown exporter {spec!r}; expected one of "
                "'jsonl:PATH', 'log', 'log:LEVEL', 'codecarbon[:PATH]', 'opentelemetry', "
                "'otlp:URL', 'prometheus[:PORT]', a table with 'type', or an object with export()"
            )
        positional = KINDS[kind][1]
        options: dict[str, Any] = {}
        if sep and arg.strip():
            if positional is None:
                raise InvalidArgumentError(f"exporter {kind!r} takes no argument, got {spec!r}")
            options[positional] = arg.strip()
    else:
        options = dict(spec)
        kind = str(options.pop("type", "")).strip().lower()
        if kind not in KINDS:
            raise InvalidArgumentError(
                f"exporter table needs 'type', one of {sorted(KINDS)}; got {dict(spec)!r}"
            )
        allowed = KINDS[kind][2]
        for key in options:
            if key not in allowed:
                raise InvalidArgumentError(
                    f"unknown option {key!r} for the {kind!r} exporter; expected {list(allowed)}"
                )
    required = _REQUIRED.get(kind)
    if required and not options.get(required):
        raise InvalidArgumentError(f"the {kind!r} exporter needs a {required} ('{kind}:...')")
    if kind == "log" and "level" in options:
        from tokenprint.exporters.log import check_level

        check_level(options["level"])
    if kind == "codecarbon" and options.get("per", "request") not in ("request", "run"):
        raise InvalidArgumentError(
            f"codecarbon exporter: per must be 'request' or 'run', got {options['per']!r}"
        )
    if kind == "prometheus":
        _check_prometheus(options)
    return kind, options


def _check_prometheus(options: Mapping[str, Any]) -> None:
    port = options.get("port")
    if port is not None and not (
        not isinstance(port, bool) and str(port).isdigit() and int(port) <= 65535
    ):
        raise InvalidArgumentError(f"prometheus exporter: port must be 0-65535, got {port!r}")
    most = options.get("max_series", 1)
    if isinstance(most, bool) or not isinstance(most, int) or most < 1:
        raise InvalidArgumentError(
            f"prometheus exporter: max_series must be an int >= 1, got {most!r}"
        )
    labels = options.get("labels", ())
    if isinstance(labels, str) or not all(isinstance(x, str) for x in labels):
        raise InvalidArgumentError(
            f"prometheus exporter: labels must be a list of label names, got {labels!r}"
        )


def validate(spec: object) -> None:
    """Raise InvalidArgumentError/InvalidTypeError if ``spec`` cannot make an exporter.

    Cheap and without side effects (no file opened, no OpenTelemetry imported)."""
    if isinstance(spec, (str, Mapping)):
        _parse(spec)
    elif not (isinstance(spec, Exporter) or callable(spec)):
        raise InvalidTypeError(
            f"an exporter must be a spec string, a table, an object with export(record) or a "
            f"callable, got {type(spec).__name__}"
        )


class _Callable:
    """A plain function used as an exporter."""

    def __init__(self, fn: Callable[[RequestRecord], Any]) -> None:
        self.fn = fn

    def export(self, record: RequestRecord) -> None:
        self.fn(record)

    def __repr__(self) -> str:
        return f"<exporter {getattr(self.fn, '__qualname__', self.fn)!s}>"


def build(spec: object) -> Any:
    """The exporter object for one spec (see the module docstring)."""
    if isinstance(spec, (str, Mapping)):
        kind, options = _parse(spec)
        return KINDS[kind][0](**options)
    validate(spec)
    if isinstance(spec, Exporter):
        return spec
    if inspect.isclass(spec):
        raise InvalidTypeError(f"pass an exporter instance, not the class {spec.__name__}")
    return _Callable(spec)  # type: ignore[arg-type]


def _dispatch(record: RequestRecord) -> None:
    for ex in tuple(_active):
        try:
            ex.export(record)
        except Exception as exc:
            report(exc, f"exporter {ex!r}")


def _dispatch_breach(breach: events.Breach) -> None:
    for ex in tuple(_active):
        breached = getattr(ex, "breached", None)
        if breached is not None:
            try:
                breached(breach)
            except Exception as exc:
                report(exc, f"exporter {ex!r} breach")


def active() -> tuple[Any, ...]:
    """The exporters currently attached."""
    return tuple(_active)


def install(
    specs: tuple[object, ...] = (),
    opentelemetry_endpoint: str | None = None,
    meter_provider: Any = None,
) -> None:
    """Attach the exporters built from ``specs`` (plus an OpenTelemetry exporter when an
    endpoint or a meter provider is given) to the after-request event.

    Replaces (and flushes) those of a previous ``init()``. A bad spec raises here, and the
    previous exporters then stay in place."""
    global _atexit_registered
    specs = tuple(specs)
    if opentelemetry_endpoint or meter_provider is not None:
        specs += (
            {
                "type": "opentelemetry",
                "endpoint": opentelemetry_endpoint,
                "meter_provider": meter_provider,
            },
        )
    for spec in specs:
        validate(spec)
    with _lock:
        built: list[Any] = []
        try:
            for spec in specs:
                built.append(build(spec))
        except BaseException:
            _close(built)  # a half-built set is never attached
            raise
        uninstall()
        if not built:
            return
        _active.extend(built)
        events.add_after(_dispatch)
        events.add_breached(_dispatch_breach)
        if not _atexit_registered:
            atexit.register(uninstall)
            _atexit_registered = True


def flush(timeout: float = 1.0) -> bool:
    """Wait (at most ``timeout`` s) until the exporters' background work is done: JSON lines
    written, OpenTelemetry histograms recorded. True if it is."""
    return _worker.flush(timeout)


def uninstall() -> None:
    """Detach every exporter, then flush and close each (failures are guarded; the
    background work gets about a second)."""
    with _lock:
        events.remove(_dispatch)
        events.remove(_dispatch_breach)
        old = list(_active)
        _active.clear()
    if not old:
        return
    try:
        _worker.flush()  # its failures are reported (raised under pytest, once closed)
    finally:
        with _worker.no_wait():
            _close(old)


def _close(exporters: list[Any]) -> None:
    for ex in exporters:
        shutdown = getattr(ex, "shutdown", None)
        if callable(shutdown):
            try:
                shutdown()
            except Exception as exc:
                report(exc, f"exporter {ex!r} shutdown")
