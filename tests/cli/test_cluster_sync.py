"""`ipledger cluster sync`, `cluster report` and `cluster role`, run in process against SQLite.

The dumps are those of `tests.service.k8s_dumps`, written into the test's folder; the live path
reads the fake API server of `tests.kube.fake_apiserver` on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ipledger.cli import main
from tests.cli.invocation import ACTOR, Cli, assert_error
from tests.kube.fake_apiserver import FakeAPIServer, write_kubeconfig
from tests.service.k8s_dumps import (
    CLUSTER_GUID,
    LEAKED_IP,
    STRANDED_IP,
    WEB_1_IP,
    calico_cluster_information,
    prod_objects,
    prod_pods,
    write_dump,
)

PROD_NETWORKS = (
    ("10.244.0.0/16", "pod"),
    ("192.168.50.0/24", "pod"),
    ("10.96.0.0/16", "service"),
    ("192.168.10.0/24", "node"),
    ("203.0.113.0/24", "loadbalancer"),
)
SYNCED = """\
synced cluster prod (sync 1): 2 nodes, 4 pods, 2 services, 1 calico blocks, 1 whereabouts pools
  1 x calico-leaked-handle
  1 x calico-leaked-ip
  1 x service-ipaddress-orphan
  1 x whereabouts-pod-gone
see `ipledger cluster report prod`
"""
SOURCE_NEEDED = "give --from-dump PATH or --kubeconfig FILE (one of them)"


@pytest.fixture
def prod(cli: Cli) -> Cli:
    """Cluster prod with every network it uses documented."""
    cli.ok("cluster", "create", "prod")
    for cidr, role in PROD_NETWORKS:
        cli.ok("prefix", "create", cidr, "--role", role, "--managed-by", "cluster:prod")
    return cli


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_dump(tmp_path / "dump", prod_objects())


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The Kubernetes client takes proxies from the environment; the fake server is on 127.0.0.1.
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer() as fake:
        yield fake


def truncate(path: Path) -> Path:
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    return path


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- cluster sync ------------------------------------------------------------------------------


def test_cluster_sync_from_dump_prints_counts_and_findings(prod: Cli, folder: Path) -> None:
    assert prod.ok("cluster", "sync", "prod", "--from-dump", str(folder)) == SYNCED


def test_cluster_sync_from_one_dump_file_reads_only_that_file(prod: Cli, folder: Path) -> None:
    output = prod.ok("cluster", "sync", "prod", "--from-dump", str(folder / "core.json"))

    assert output.splitlines()[0] == "synced cluster prod (sync 1): 2 nodes, 4 pods, 2 services"


def test_cluster_sync_with_calico_report_writes_valid_json(prod: Cli, tmp_path: Path) -> None:
    files = prod_objects()
    files["calico.json"][0] = calico_cluster_information(locked=True)
    folder = write_dump(tmp_path / "dump", files)
    path = tmp_path / "report.json"

    output = prod.ok("cluster", "sync", "prod", "--from-dump", str(folder), "--calico-report", str(path))

    assert f"  wrote {path}\n" in output
    report = json.loads(path.read_text(encoding="utf-8"))
    assert [entry["inUse"] for entry in report["allocations"][LEAKED_IP]] == [False]
    assert [entry["inUse"] for entry in report["allocations"][WEB_1_IP]] == [True]
    assert (report["datastoreLocked"], report["clusterGUID"]) == (True, CLUSTER_GUID)


def test_cluster_sync_with_calico_report_of_a_dump_without_cluster_information_says_calicoctl_refuses(
    prod: Cli, tmp_path: Path
) -> None:
    files = prod_objects()
    files["calico.json"] = [item for item in files["calico.json"] if item["kind"] != "ClusterInformation"]
    folder = write_dump(tmp_path / "dump", files)
    path = tmp_path / "report.json"

    result = prod("cluster", "sync", "prod", "--from-dump", str(folder), "--calico-report", str(path))

    assert result.exit_code == 0, result.output
    assert f"  wrote {path}\n" in result.stdout
    (note,) = result.stderr.splitlines()
    assert note.startswith(f"note: {path}: the snapshot holds no Calico ClusterInformation")
    assert "calicoctl ipam release --from-report refuses" in note
    assert json.loads(path.read_text(encoding="utf-8"))["clusterGUID"] == ""


def test_cluster_sync_with_calico_report_into_a_missing_folder_prints_one_error_line(
    prod: Cli, folder: Path, tmp_path: Path
) -> None:
    path = tmp_path / "missing" / "report.json"

    # Run with click catching what escapes, so that a traceback fails the test instead of erroring it.
    result = CliRunner().invoke(
        main,
        ["--database", str(prod.database), "--actor", ACTOR, "cluster", "sync", "prod",
         "--from-dump", str(folder), "--calico-report", str(path)],
    )  # fmt: skip

    assert_error(result, str(path))


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"replicas": 2},
}


def test_cluster_sync_names_the_kinds_it_skipped(prod: Cli, tmp_path: Path) -> None:
    folder = write_dump(tmp_path / "dump", {**prod_objects(), "apps.json": [DEPLOYMENT]})

    output = prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))

    assert (
        "  1 object(s) skipped or read in part (Deployment); --format json gives the reason of each\n"
        in output
    )


def test_cluster_sync_does_not_call_a_partly_read_pod_a_kind_not_used(prod: Cli, tmp_path: Path) -> None:
    pods = prod_pods()
    pods[1]["metadata"]["annotations"] = {"k8s.v1.cni.cncf.io/network-status": "[{not json"}
    folder = write_dump(tmp_path / "dump", {**prod_objects(pods=pods), "apps.json": [DEPLOYMENT]})

    output = prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))

    # The pod was read (its secondary addresses left out), so it is named as read in part.
    assert (
        "  2 object(s) skipped or read in part (Deployment, Pod); --format json gives the reason of each\n"
        in output
    )


def test_cluster_sync_format_json_parses(prod: Cli, folder: Path) -> None:
    result = prod.json("cluster", "sync", "prod", "--from-dump", str(folder))

    assert (result["cluster"], result["sync_id"], result["counts"]["pods"]) == ("prod", 1, 4)
    assert result["findings"] == {
        "whereabouts-pod-gone": 1,
        "calico-leaked-ip": 1,
        "calico-leaked-handle": 1,
        "service-ipaddress-orphan": 1,
    }
    assert (result["skipped"], result["calico_report"]) == ([], None)


@pytest.mark.parametrize(
    "sources",
    [(), ("--from-dump", "{folder}", "--kubeconfig", "{folder}/kubeconfig")],
    ids=["neither", "both"],
)
def test_cluster_sync_needs_exactly_one_source(prod: Cli, folder: Path, sources: tuple[str, ...]) -> None:
    args = [item.format(folder=folder) for item in sources]

    result = prod("cluster", "sync", "prod", *args)

    assert_error(result, SOURCE_NEEDED, exit_code=2)


def test_cluster_sync_of_a_broken_dump_prints_one_error_line_naming_the_file(prod: Cli, folder: Path) -> None:
    path = truncate(folder / "core.json")

    result = prod("cluster", "sync", "prod", "--from-dump", str(folder))

    assert_error(result, f"error: {path}: not valid JSON")


def test_cluster_sync_of_an_unknown_cluster_prints_one_error_line(prod: Cli, folder: Path) -> None:
    result = prod("cluster", "sync", "staging", "--from-dump", str(folder))

    assert_error(result, "no cluster named 'staging'")


def test_cluster_sync_from_kubeconfig_reads_the_api_server(
    prod: Cli, server: FakeAPIServer, tmp_path: Path
) -> None:
    server.serve_objects(item for items in prod_objects().values() for item in items)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server=server.url, token=server.token)

    assert prod.ok("cluster", "sync", "prod", "--kubeconfig", str(kubeconfig), "--context", "fake") == SYNCED


def test_cluster_sync_of_an_unreachable_server_prints_one_error_line(prod: Cli, tmp_path: Path) -> None:
    server = f"http://127.0.0.1:{unused_port()}"
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server=server, token="token")

    result = prod("cluster", "sync", "prod", "--kubeconfig", str(kubeconfig))

    assert_error(result, f"GET {server}/api/v1/nodes: no answer: cannot connect")


@pytest.mark.parametrize(
    ("minutes", "found"),
    [("0", True), ("100000000", False)],
    ids=["no-grace", "grace-longer-than-the-objects-exist"],
)
def test_cluster_sync_grace_minutes_decides_whether_young_allocations_count(
    prod: Cli, folder: Path, minutes: str, found: bool
) -> None:
    output = prod.ok("cluster", "sync", "prod", "--from-dump", str(folder), "--grace-minutes", minutes)

    assert "  1 x whereabouts-pod-gone" in output  # a gone pod has no age to wait for
    assert ("  1 x calico-leaked-ip" in output) is found


# -- cluster report ----------------------------------------------------------------------------


def test_cluster_report_shows_findings_with_release_commands_and_usage(prod: Cli, folder: Path) -> None:
    prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))

    output = prod.ok("cluster", "report", "prod")

    assert f"warning: calico-leaked-ip: calico: {LEAKED_IP} in IPAM block 10-244-1-0-26" in output
    assert f"Release: calicoctl ipam release --ip={LEAKED_IP}" in output
    assert f"warning: whereabouts-pod-gone: whereabouts: {STRANDED_IP} in IPPool" in output
    assert "kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io 192.168.50.0-24" in output
    usage = output.split("Pod-IP usage:\n", 1)[1].splitlines()
    assert usage[0].split() == ["KIND", "NAME", "CIDR", "SIZE", "ALLOCATED", "IN", "USE", "STRANDED"]
    assert usage[1].split() == ["calico-block", "10-244-1-0-26", "10.244.1.0/26", "64", "4", "3", "1"]
    assert len(usage) == 7


def test_cluster_report_shows_the_last_sync(prod: Cli, folder: Path) -> None:
    prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))

    lines = prod.ok("cluster", "report", "prod").splitlines()

    assert lines[0].split() == ["cluster", "prod"]
    assert lines[1].endswith(f"UTC, ok, dump {folder}")
    assert lines[2].split() == ["last", "sync", "error", "-"]
    assert lines[3].startswith("observations from  sync 1 at ")
    assert lines[4] == "pod IPs            4 of 65,788 in use (0.0 %), 7 allocated, 2 stranded"


def test_cluster_report_after_a_failed_sync_shows_its_error_and_the_good_sync(
    prod: Cli, folder: Path, tmp_path: Path
) -> None:
    prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))
    broken = write_dump(tmp_path / "broken", prod_objects())
    path = truncate(broken / "core.json")
    prod("cluster", "sync", "prod", "--from-dump", str(broken))

    output = prod.ok("cluster", "report", "prod")

    assert f"UTC, failed, dump {broken}" in output
    assert f"last sync error    {path}: not valid JSON" in output
    assert "observations from  sync 1 at " in output
    assert f"calicoctl ipam release --ip={LEAKED_IP}" in output


def test_cluster_report_limit_says_how_many_findings_are_shown(prod: Cli, folder: Path) -> None:
    prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))

    output = prod.ok("cluster", "report", "prod", "--limit", "1")

    assert "\n(1 of 4 shown; --limit or --kind for more)\n" in output
    assert output.count("\nwarning: ") == 1


def test_cluster_report_kind_shows_only_that_kind(prod: Cli, folder: Path) -> None:
    prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))

    report = prod.json("cluster", "report", "prod", "--kind", "calico-leaked-ip")

    assert [(item["kind"], item["address"]) for item in report["findings"]] == [
        ("calico-leaked-ip", LEAKED_IP)
    ]
    assert report["total_findings"] == 1


def test_cluster_report_format_json_parses(prod: Cli, folder: Path) -> None:
    prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))

    report = prod.json("cluster", "report", "prod")

    assert report["last_sync"]["status"] == "ok"
    assert report["last_sync"] == report["last_good_sync"]
    assert report["total_findings"] == len(report["findings"]) == 4
    assert {item["release"] for item in report["findings"]} >= {f"calicoctl ipam release --ip={LEAKED_IP}"}
    assert len(report["blocks"]) == 6


def test_cluster_report_before_any_sync_says_so(prod: Cli) -> None:
    output = prod.ok("cluster", "report", "prod")

    assert output.splitlines()[1].split() == ["last", "sync", "never"]
    assert "Findings:\n  none\n" in output
    assert output.endswith("Pod-IP usage:\n  nothing synced yet\n")


# -- cluster role ------------------------------------------------------------------------------


def test_whois_after_a_sync_names_the_holder_since_it_started(prod: Cli, folder: Path) -> None:
    prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))

    text = prod.ok("whois", WEB_1_IP)

    assert "held by pod default/web-1 on node node-a in cluster prod since 2026-10-01 08:00 UTC" in text


def test_whois_of_a_stranded_address_names_the_pool_that_still_holds_it(prod: Cli, folder: Path) -> None:
    prod.ok("cluster", "sync", "prod", "--from-dump", str(folder))

    text = prod.ok("whois", STRANDED_IP)

    (line,) = [line for line in text.splitlines() if line.startswith("stranded")]
    assert line.startswith(
        "stranded in cluster prod: IPPool kube-system/192.168.50.0-24 (192.168.50.0/24) still holds it for "
        "default/db-0 (container "
    )
    assert (
        "(whereabouts-pod-gone); release: kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io"
        in line
    )
    assert not any(line.startswith("held by") for line in text.splitlines())


def test_cluster_role_prints_a_cluster_role_that_only_lists_and_gets(cli: Cli) -> None:
    role = yaml.safe_load(cli.ok("cluster", "role"))

    assert (role["apiVersion"], role["kind"]) == ("rbac.authorization.k8s.io/v1", "ClusterRole")
    verbs = {verb for rule in role["rules"] for verb in rule["verbs"]}
    assert verbs <= {"list", "get"}
    resources = {
        (group, resource)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert {
        ("", "pods"),
        ("crd.projectcalico.org", "ipamblocks"),
        ("whereabouts.cni.cncf.io", "ippools"),
    } <= resources
