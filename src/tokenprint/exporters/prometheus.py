"""Prometheus exporter: counters and per-request histograms on ``prometheus-client``.

Needs the ``tokenprint[prometheus]`` extra. The metrics live in a collector registered in a
``prometheus_client`` registry (the default one, or the application's own); with ``port``
the exporter also serves that registry over HTTP at ``/metrics``. Metrics (units in the
names, as Prometheus asks; energy in joules, masses in grams):

* ``tokenprint_<criterion>_<unit>_total``: sum of the requests' best estimates, with
  ``tokenprint_<criterion>_min_<unit>_total`` / ``_max_`` summing the range bounds;
* ``tokenprint_request_<criterion>_<unit>``: histogram of per-request best estimates;
* ``tokenprint_requests_total``, ``tokenprint_requests_unestimated_total``,
  ``tokenprint_budget_breaches_total`` (labels ``budget``, ``mode``, ``criterion``);
* ``tokenprint_tokens_total``: input and output tokens of the estimated requests, so that
  ``tokenprint_gwp_grams_total / tokenprint_tokens_total`` is the SCI per token.

Labels: ``provider`` (the GenAI conventions' provider name), ``model``, ``operation``, and the
request's labels, made valid Prometheus names (``a.b`` -> ``a_b``; a name taken by
tokenprint or reserved by Prometheus gets a ``label_`` prefix). Each distinct set of label
values is a series kept in memory: past ``max_series`` series, new ones are summed into one
series labelled ``tokenprint_overflow="true"`` (and a warning is logged once).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString

from tokenprint import events
from tokenprint.exporters import _genai
from tokenprint.exporters._totals import Key, Series, Table
from tokenprint.impacts.results import CRITERIA
from tokenprint.records import RequestRecord

__all__ = ["BUCKETS", "METRIC_NAMES", "PrometheusExporter"]

logger = logging.getLogger("tokenprint")


def _decades(low: int, high: int) -> tuple[float, ...]:
    """1, 3, 10, 30... from 10**low to 10**high."""
    return tuple(float(f"{m}e{e}") for e in range(low, high + 1) for m in (1, 3))[:-1]


BUCKETS: Mapping[str, tuple[float, ...]] = {
    "energy": _decades(-3, 6),  # J: embeddings (mJ) to long reasoning answers (MJ)
    "gwp": _decades(-6, 3),  # g CO2e
    "adpe": _decades(-12, -3),  # g Sb-eq
    "pe": _decades(-3, 7),  # J
    "wcf": _decades(-7, 2),  # L
}
"""Upper bounds of each per-request histogram's buckets, in the published unit."""


def _name(criterion: str, part: str = "") -> str:
    return f"tokenprint_{criterion}{part}_{_genai.UNITS[criterion].word}"


METRIC_NAMES: tuple[str, ...] = (
    "tokenprint_requests",
    "tokenprint_requests_unestimated",
    "tokenprint_budget_breaches",
    "tokenprint_tokens",
    *(n for c in CRITERIA for n in (_name(c), _name(c, "_min"), _name(c, "_max"))),
    *(f"tokenprint_request_{c}_{_genai.UNITS[c].word}" for c in CRITERIA),
)
"""Every metric family (counters without their ``_total`` suffix)."""

_OWN = frozenset({"provider", "model", "operation", "budget", "mode", "criterion", "le"})
_INVALID = re.compile(r"[^a-zA-Z0-9_]")
_OVERFLOW: Key = (("tokenprint_overflow", "true"),)
_WHAT = "Prometheus exporter"


def label_name(name: str) -> str:
    """A user label's name as a valid Prometheus label name that tokenprint does not use."""
    clean = _INVALID.sub("_", name)
    if clean in _OWN or clean[0].isdigit() or clean.startswith("__"):
        clean = "label_" + clean
    return clean


class PrometheusExporter:
    """Publish each request's impacts as Prometheus metrics.

    ``registry``: the ``prometheus_client`` registry to register in (default: the global
    ``REGISTRY``). ``port``: also serve that registry on ``addr:port`` (0: any free port;
    :attr:`port` tells which). ``labels``: the user labels to keep (default: all).
    ``max_series``: how many label sets are kept before folding new ones into one.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        addr: str = "0.0.0.0",
        registry: CollectorRegistry | None = None,
        labels: Sequence[str] | None = None,
        max_series: int = 1000,
    ) -> None:
        self.registry = REGISTRY if registry is None else registry
        self.keep = None if labels is None else frozenset(labels)
        self._series = Table(lambda: Series(BUCKETS), max_series, _OVERFLOW, _WHAT)
        self._breaches = Table(lambda: [0], max_series, _OVERFLOW, _WHAT)
        self._names: dict[str, str] = {}
        _replace_in(self.registry, self)
        self.port: int | None = None
        self._server: Any = None
        if port is not None:
            self._serve(addr, port)

    # -- recording ---------------------------------------------------------------------------
    def _key(self, own: dict[str, str], labels: Mapping[str, str]) -> Key:
        for name, value in labels.items():
            if self.keep is None or name in self.keep:
                clean = self._names.get(name)
                if clean is None:
                    clean = self._names[name] = label_name(name)
                own.setdefault(clean, value)
        return tuple(sorted(own.items()))

    def export(self, record: RequestRecord) -> None:
        u = record.usage
        own = {
            "provider": _genai.provider_name(u.provider),
            "model": u.model or "unknown",
            "operation": _genai.operation(u.modality, u.endpoint),
        }
        key = self._key(own, record.labels)
        values = _genai.published(record)
        with self._series.lock:
            self._series.row(key).add(values, _genai.tokens(record))

    def breached(self, breach: events.Breach) -> None:
        """Count a budget breach."""
        own = {"budget": breach.budget, "mode": breach.mode, "criterion": breach.criterion or ""}
        key = self._key(own, breach.labels)
        with self._breaches.lock:
            self._breaches.row(key)[0] += 1

    # -- the collector -----------------------------------------------------------------------
    def describe(self) -> list[Metric]:
        """The metric families (without samples): lets a registry check for clashes."""
        return list(self._families().values())

    def collect(self) -> Iterator[Metric]:
        """The current values, for a scrape."""
        families = self._families()
        with self._series.lock:
            series = [(dict(k), s.copy()) for k, s in self._series.rows.items()]
        with self._breaches.lock:
            breaches = [(dict(k), n[0]) for k, n in self._breaches.rows.items()]
        for labels, s in series:
            families["tokenprint_requests"].add_sample(
                "tokenprint_requests_total", labels, s.requests
            )
            families["tokenprint_requests_unestimated"].add_sample(
                "tokenprint_requests_unestimated_total", labels, s.unestimated
            )
            families["tokenprint_tokens"].add_sample("tokenprint_tokens_total", labels, s.tokens)
            for c in CRITERIA:
                if not s.sums[c][3]:  # never estimated: no value rather than a zero
                    continue
                for part, value in zip(("", "_min", "_max"), s.sums[c][:3], strict=True):
                    name = _name(c, part)
                    families[name].add_sample(name + "_total", labels, value)
                _histogram(families[f"tokenprint_request_{c}_{_genai.UNITS[c].word}"], labels, s, c)
        for labels, n in breaches:
            families["tokenprint_budget_breaches"].add_sample(
                "tokenprint_budget_breaches_total", labels, n
            )
        yield from families.values()

    @staticmethod
    def _families() -> dict[str, Metric]:
        out = {
            "tokenprint_requests": Metric(
                "tokenprint_requests", "Generative-AI requests", "counter"
            ),
            "tokenprint_requests_unestimated": Metric(
                "tokenprint_requests_unestimated",
                "Requests whose impacts could not be estimated (an unknown model)",
                "counter",
            ),
            "tokenprint_budget_breaches": Metric(
                "tokenprint_budget_breaches", "Budget breaches", "counter"
            ),
            "tokenprint_tokens": Metric(
                "tokenprint_tokens",
                "Input and output tokens of the estimated requests (the SCI's per-token unit)",
                "counter",
            ),
        }
        for c in CRITERIA:
            desc, unit = _genai.DESCRIPTIONS[c], _genai.UNITS[c].word
            out[_name(c)] = Metric(_name(c), f"{desc}, {unit}, best estimate", "counter")
            out[_name(c, "_min")] = Metric(
                _name(c, "_min"), f"{desc}, {unit}, low bound", "counter"
            )
            out[_name(c, "_max")] = Metric(
                _name(c, "_max"), f"{desc}, {unit}, high bound", "counter"
            )
            hist = f"tokenprint_request_{c}_{unit}"
            out[hist] = Metric(hist, f"{desc} per request, {unit}, best estimate", "histogram")
        return out

    # -- the HTTP endpoint -------------------------------------------------------------------
    def _serve(self, addr: str, port: int) -> None:
        try:
            server = make_server(
                addr, port, make_wsgi_app(self.registry), _Server, handler_class=_Quiet
            )
        except OSError as exc:
            logger.warning(
                "tokenprint: the Prometheus endpoint could not listen on %s:%s (%s); metrics "
                "stay in the registry, unserved",
                addr,
                port,
                exc,
            )
            return
        self._server = server
        self.port = server.server_port
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="tokenprint-prometheus",
            daemon=True,
        ).start()

    def shutdown(self) -> None:
        """Stop the endpoint (within about 0.1 s) and leave the registry."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if _registered.get(id(self.registry)) is self:
            del _registered[id(self.registry)]
            self.registry.unregister(self)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"PrometheusExporter(port={self.port!r})"


def _histogram(family: Metric, labels: dict[str, str], s: Series, c: str) -> None:
    name = family.name
    cumulative = 0
    for bound, n in zip((*BUCKETS[c], float("inf")), s.counts[c], strict=True):
        cumulative += n
        le = floatToGoString(bound)  # type: ignore[no-untyped-call]
        family.add_sample(name + "_bucket", {**labels, "le": le}, cumulative)
    family.add_sample(name + "_count", labels, s.sums[c][3])
    family.add_sample(name + "_sum", labels, s.sums[c][0])


_registered: dict[int, PrometheusExporter] = {}
"""The exporter registered in each registry (by id): a new one replaces it."""


def _replace_in(registry: CollectorRegistry, exporter: PrometheusExporter) -> None:
    old = _registered.pop(id(registry), None)
    if old is not None:
        registry.unregister(old)  # type: ignore[arg-type]
    registry.register(exporter)  # type: ignore[arg-type]
    _registered[id(registry)] = exporter


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass
