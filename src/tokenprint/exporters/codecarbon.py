"""CodeCarbon-compatible exporter: rows in CodeCarbon's ``emissions.csv`` schema.

Point it at the ``emissions.csv`` your CodeCarbon trackers already write and the LLM
requests show up in the same dashboards (``carbonboard``, notebooks, BI tools) next to the
emissions of your own code. The columns are those of CodeCarbon 3.x ``EmissionsData``
(``codecarbon/output_methods/emissions_data.py``); the file is written with the standard
``csv`` module, CodeCarbon itself is not needed.

Mapping (one row per request, or one per run with ``per="run"``):

=========================  ===================================================================
``timestamp``              local time the request ended, ``%Y-%m-%dT%H:%M:%S`` like CodeCarbon
``project_name``           ``project_name`` option (default ``tokenprint``)
``run_id``                 one UUID per exporter (per process run)
``experiment_id``          ``experiment_id`` option, else the request's ``experiment_id`` label
``duration``               measured request latency (s); per run: seconds since start
``emissions``              GWP in kgCO2eq, the best estimate; usage + embodied unless
                           ``include_embodied=False`` (CodeCarbon counts electricity only)
``emissions_rate``         emissions / duration (kg/s), 0 when the duration is unknown
``energy_consumed``        energy in kWh (the best estimate), all of it in ``gpu_energy``
``gpu_power``              energy / duration, in W (the average draw attributed to the request)
``water_consumed``         water consumption footprint in L (the best estimate)
``country_iso_code``       electricity-mix zone of the estimate (ISO 3166 alpha-3, e.g. USA)
``country_name``           the zone's name from the catalogue
``cloud_provider``         the provider that served the request (``openai``...)
``cloud_region``           the catalogued data centre used for the estimate
``gpu_model``              the accelerator assumed (``H100``...)
``on_cloud``               ``Y``
``tracking_mode``          ``tokenprint``
``codecarbon_version``     ``tokenprint-<version>`` (who wrote the row)
=========================  ===================================================================

A request without impacts (an unknown model) leaves ``emissions``, ``emissions_rate``,
``energy_consumed``, ``gpu_energy``, ``gpu_power`` and ``water_consumed`` empty: unknown, not
zero. Other hardware columns (CPU, RAM, counts, coordinates, PUE/WUE) are 0 or empty: the
remote machine is not observed. When the file already exists with another CodeCarbon
version's header, rows follow that header (unknown columns are left empty).
"""

from __future__ import annotations

import csv
import datetime as _dt
import os
import platform
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tokenprint.errors import InvalidArgumentError
from tokenprint.impacts.results import SLOTS, Impacts, criterion_total
from tokenprint.records import RequestRecord

__all__ = ["COLUMNS", "CodeCarbonExporter"]


class _Finished(Protocol):
    """A finished request: an exporter's RequestRecord or a tracker's TrackedRequest."""

    @property
    def usage(self) -> Any: ...
    @property
    def impacts(self) -> Impacts: ...
    @property
    def labels(self) -> Mapping[str, str]: ...
    @property
    def timestamp(self) -> float: ...


COLUMNS: tuple[str, ...] = (
    "timestamp",
    "project_name",
    "run_id",
    "experiment_id",
    "duration",
    "emissions",
    "emissions_rate",
    "cpu_power",
    "gpu_power",
    "ram_power",
    "cpu_energy",
    "gpu_energy",
    "ram_energy",
    "energy_consumed",
    "water_consumed",
    "country_name",
    "country_iso_code",
    "region",
    "cloud_provider",
    "cloud_region",
    "os",
    "python_version",
    "codecarbon_version",
    "cpu_count",
    "cpu_model",
    "gpu_count",
    "gpu_model",
    "longitude",
    "latitude",
    "ram_total_size",
    "tracking_mode",
    "cpu_utilization_percent",
    "gpu_utilization_percent",
    "ram_utilization_percent",
    "ram_used_gb",
    "on_cloud",
    "pue",
    "wue",
)
"""CodeCarbon 3.x ``EmissionsData`` fields, in its order."""

_KWH_TO_J = 3.6e6


def _zone_name(zone: str | None) -> str:
    if not zone:
        return ""
    from tokenprint.catalog import grids

    try:
        return grids.get_mix(zone).name
    except Exception:
        return ""


class CodeCarbonExporter:
    """Append rows in CodeCarbon's ``emissions.csv`` schema to ``path``.

    ``per="request"`` (default) writes one row per request as it ends; ``per="run"``
    sums the requests and writes one row when tokenprint shuts down (``EcoLogits.shutdown()``
    or interpreter exit). :meth:`write_run` writes one row for any set of requests, such as
    those of a tracker (``exporter.write_run(tracker.requests)``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "emissions.csv",
        *,
        per: str = "request",
        project_name: str = "tokenprint",
        experiment_id: str | None = None,
        include_embodied: bool = True,
    ) -> None:
        if per not in ("request", "run"):
            raise InvalidArgumentError(
                f"codecarbon exporter: per must be 'request' or 'run', got {per!r}"
            )
        self.path = os.fspath(path)
        self.per = per
        self.project_name = project_name
        self.experiment_id = experiment_id
        self.include_embodied = include_embodied
        self.run_id = str(uuid.uuid4())
        self._lock = threading.Lock()
        self._started = time.time()
        self._pending: list[RequestRecord] = []
        self._header: list[str] | None = None
        self._static = {
            "os": platform.platform(),
            "python_version": platform.python_version(),
            "codecarbon_version": f"tokenprint-{_version()}",
        }

    # -- rows ------------------------------------------------------------------------------
    def row(
        self,
        impacts: Impacts,
        *,
        timestamp: float,
        duration: float,
        providers: str,
        labels: Mapping[str, str],
    ) -> dict[str, Any]:
        """The CSV row (column → value) for some impacts over ``duration`` seconds. A
        request without impacts leaves its energy, emissions and water cells empty: unknown,
        not zero."""
        b = impacts.basis
        local = _dt.datetime.fromtimestamp(timestamp)
        values: dict[str, Any] = {}
        mid = impacts.central_vector
        if mid is not None:
            energy = criterion_total(mid, "energy")
            usage_gwp = mid[SLOTS["gwp"][0]]
            gwp = criterion_total(mid, "gwp") if self.include_embodied else usage_gwp
            values = {
                "emissions": gwp,
                "emissions_rate": gwp / duration if duration > 0 else 0.0,
                "gpu_power": energy * _KWH_TO_J / duration if duration > 0 else 0.0,
                "gpu_energy": energy,
                "energy_consumed": energy,
                "water_consumed": criterion_total(mid, "wcf"),
            }
        return {
            **dict.fromkeys(COLUMNS, ""),
            **self._static,
            "timestamp": local.strftime("%Y-%m-%dT%H:%M:%S"),
            "project_name": self.project_name,
            "run_id": self.run_id,
            "experiment_id": self.experiment_id or labels.get("experiment_id", ""),
            "duration": duration,
            "cpu_power": 0.0,
            "ram_power": 0.0,
            "cpu_energy": 0.0,
            "ram_energy": 0.0,
            **values,
            "country_name": _zone_name(b.zone),
            "country_iso_code": b.zone or "",
            "cloud_provider": providers,
            "cloud_region": b.datacenter or "",
            "cpu_count": 0,
            "gpu_count": 0,
            "gpu_model": b.hardware or "",
            "ram_total_size": 0.0,
            "tracking_mode": "tokenprint",
            "cpu_utilization_percent": 0.0,
            "gpu_utilization_percent": 0.0,
            "ram_utilization_percent": 0.0,
            "ram_used_gb": 0.0,
            "on_cloud": "Y",
        }

    def _write(self, row: Mapping[str, Any]) -> None:
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        header = self._header if os.path.isfile(self.path) else None
        if header is None and os.path.isfile(self.path) and os.path.getsize(self.path) > 0:
            with open(self.path, newline="", encoding="utf-8") as f:
                header = next(csv.reader(f), None)
        with open(self.path, "a", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            if not header:
                header = list(COLUMNS)
                writer.writerow(header)
            writer.writerow([row.get(c, "") for c in header])
        self._header = header

    # -- Exporter interface ----------------------------------------------------------------
    def export(self, record: RequestRecord) -> None:
        if self.per == "run":
            with self._lock:
                self._pending.append(record)
            return
        latency = record.usage.latency_s or 0.0
        row = self.row(
            record.impacts,
            timestamp=record.timestamp,
            duration=latency,
            providers=record.usage.provider or "",
            labels=record.labels,
        )
        with self._lock:
            self._write(row)

    def write_run(self, requests: Sequence[_Finished], duration: float | None = None) -> None:
        """Write one row summing ``requests`` (exporter records, or a tracker's
        ``tracker.requests``). ``duration`` defaults to the time from the first request's
        start to the last one's end. Nothing is written for no request."""
        if not requests:
            return
        total = Impacts.sum(r.impacts for r in requests)
        first, last = requests[0], requests[-1]
        # zone, data centre and hardware of the run: the last request's when they all agree
        bases = {(r.impacts.basis.zone, r.impacts.basis.datacenter) for r in requests}
        basis = last.impacts.basis if len(bases) == 1 else total.basis
        low, high = total.vectors or (None, None)
        total = Impacts(
            low,
            high,
            central=total.central_vector,
            parts=total.parts,
            basis=basis._replace(requests=len(requests)),
        )
        if duration is None:
            duration = max(0.0, last.timestamp - first.timestamp + (first.usage.latency_s or 0.0))
        row = self.row(
            total,
            timestamp=last.timestamp,
            duration=duration,
            providers=",".join(sorted({r.usage.provider or "" for r in requests})),
            labels=last.labels,
        )
        with self._lock:
            self._write(row)

    def shutdown(self) -> None:
        """Per run: write the run's row (once; nothing if no request was made)."""
        with self._lock:
            pending, self._pending = self._pending, []
        self.write_run(pending, duration=time.time() - self._started)

    def __repr__(self) -> str:
        return f"CodeCarbonExporter({self.path!r}, per={self.per!r})"


def _version() -> str:
    from tokenprint import __version__

    return __version__
