"""Findings: what a check of the ledger reports, with severity, subject and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Finding", "Severity"]


class Severity(StrEnum):
    """``error`` findings make a check fail; ``warning`` and ``info`` are reported only."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    kind: str
    subject: str
    message: str
