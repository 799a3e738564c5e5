"""Findings: the values a check of the ledger reports."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from ipledger.core.findings import Finding, Severity


def test_severity_values_are_lowercase_names() -> None:
    assert [severity.value for severity in Severity] == ["error", "warning", "info"]


def test_finding_is_frozen() -> None:
    finding = Finding(Severity.ERROR, "overlap", "prefix 10.0.0.0/24", "overlaps prefix 10.0.0.0/25")

    with pytest.raises(FrozenInstanceError):
        finding.message = "changed"  # type: ignore[misc]
