"""Logging exporter: one log record per request on the ``tokenprint.requests`` logger.

The message is a readable line; the same data is attached as ``record.tokenprint`` (a dict)
for structured handlers (JSON formatters read extra attributes). Nothing is configured on
the host's logging: add a handler or ``logging.basicConfig(level="INFO")`` to see it.
"""

from __future__ import annotations

import logging

from tokenprint.errors import InvalidArgumentError
from tokenprint.exporters._common import criteria, record_dict
from tokenprint.records import RequestRecord

__all__ = ["LOGGER_NAME", "LoggingExporter", "check_level"]

LOGGER_NAME = "tokenprint.requests"
_UNITS = {"energy": "kWh", "gwp": "kgCO2eq", "adpe": "kgSbeq", "pe": "MJ", "wcf": "L"}


def check_level(level: int | str) -> int:
    """The numeric level of ``"INFO"``/``"debug"``/``20``; InvalidArgumentError if unknown."""
    if isinstance(level, int):
        return level
    value = logging.getLevelName(level.strip().upper())
    if not isinstance(value, int):
        raise InvalidArgumentError(
            f"unknown log level {level!r}; expected DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )
    return value


class LoggingExporter:
    """Log each request at ``level`` (default INFO) on ``logger`` (default tokenprint.requests)."""

    def __init__(self, level: int | str = logging.INFO, logger: str = LOGGER_NAME) -> None:
        self.level = check_level(level)
        self.logger = logging.getLogger(logger)

    def export(self, record: RequestRecord) -> None:
        if not self.logger.isEnabledFor(self.level):
            return
        u = record.usage
        parts = [
            f"{name} {lo:.3g}–{hi:.3g} {_UNITS[name]}"
            for name, (lo, _, hi) in criteria(record).items()
        ]
        impacts = (
            ", ".join(parts)
            or "no estimate (" + "; ".join(str(e) for e in record.impacts.errors) + ")"
        )
        labels = "".join(f" {k}={v}" for k, v in record.labels.items())
        self.logger.log(
            self.level,
            "%s %s %s: %d in / %d out tokens; %s%s",
            u.provider or "?",
            u.model or "?",
            u.endpoint or "request",
            u.input_tokens,
            u.output_tokens,
            impacts,
            labels,
            extra={"tokenprint": record_dict(record)},
        )

    def __repr__(self) -> str:
        return f"LoggingExporter({logging.getLevelName(self.level)!r}, {self.logger.name!r})"
