"""The alerting rules of deploy/prometheus, checked and unit-tested by Prometheus's own promtool,
and their metric names against what ipledger exports."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ipledger.api.metrics import LedgerCollector
from ipledger.core.thresholds import DEFAULT_THRESHOLDS
from ipledger.service.metrics import ClusterMetrics, MetricsSnapshot, PrefixMetrics
from tests.deploy.prometheus import binary, run

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def test_prometheus_rules_pass_promtool_check() -> None:
    result = run(binary("promtool"), "check", "rules", "ipledger-rules.yml", cwd=RULES)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


def test_prometheus_rules_pass_their_promtool_unit_tests() -> None:
    result = run(binary("promtool"), "test", "rules", "ipledger-rules.test.yml", cwd=RULES)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_prometheus_rules_use_only_metrics_that_ipledger_exports() -> None:
    rules = yaml.safe_load((RULES / "ipledger-rules.yml").read_text())
    used = {
        name
        for group in rules["groups"]
        for rule in group["rules"]
        for name in re.findall(r"\bipledger_[a-z_]+", rule["expr"])
    }
    snapshot = MetricsSnapshot(
        [PrefixMetrics("global", "10.0.0.0/24", "", "general", "", 1, 254, 0.004, DEFAULT_THRESHOLDS)],
        [ClusterMetrics("c1", "", 10, 100, 3)],
        [("threshold", "warning", 1)],
        DEFAULT_THRESHOLDS,
    )

    exported = {family.name for family in LedgerCollector(snapshot).collect()}

    assert used <= exported, used - exported
