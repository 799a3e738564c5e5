"""`ipledger check-config`: a cluster's configuration file checked before the cluster is built.

The files of ``tests/kube/configs`` are read in place; variations are written to ``tmp_path``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.invocation import Cli, assert_error

CONFIGS = Path(__file__).parent.parent / "kube" / "configs"


def check(cli: Cli, name: str | Path, *args: str) -> tuple[int, str]:
    """Run check-config on a file of CONFIGS (or any path); its exit code and stdout."""
    path = name if isinstance(name, Path) else CONFIGS / name
    result = cli("check-config", str(path), *args)
    assert result.stderr == "", result.stderr
    return result.exit_code, result.stdout


def findings(cli: Cli, name: str | Path, *args: str) -> list[tuple[str, str]]:
    """(severity, kind) of each finding, from the JSON report."""
    _, out = check(cli, name, *args, "--format", "json")
    return [(item["severity"], item["kind"]) for item in json.loads(out)["findings"]]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name",
    [
        "kind-default.yaml",
        "kind-dual-stack.yaml",
        "kind-ipv6.yaml",
        "kind-multi-node.yaml",
        "k3s-defaults.yaml",
        "k3s-dual-stack.yaml",
        "rke2-dual-stack-calico.yaml",
        "kubeadm-v1beta4-join-only.yaml",
        "ipledger-clusterspec.yaml",
    ],
)
def test_check_config_passes_a_sound_file_on_an_empty_ledger(cli: Cli, name: str) -> None:
    code, out = check(cli, name)
    assert code == 0, out
    assert out.endswith("no findings\n0 findings, 0 errors\n")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        pytest.param("kubeadm-v1beta3-single-stack.yaml", "node-mask-shorter-than-pod-cidr", id="node-mask"),
        pytest.param("kubeadm-v1beta4-dual-stack.yaml", "cluster-networks-overlap", id="pod-over-service"),
    ],
)
def test_check_config_fails_a_file_with_an_error(cli: Cli, name: str, kind: str) -> None:
    code, out = check(cli, name)
    assert code == 1
    assert out.endswith("1 findings, 1 errors\n")
    [row] = [line for line in out.splitlines() if line.startswith("error ")]
    assert row.split()[:2] == ["error", kind]


def test_check_config_explains_the_node_mask_error(cli: Cli) -> None:
    _, out = check(cli, "kubeadm-v1beta3-single-stack.yaml")
    assert "the /20 node block is larger than the /24 pod CIDR, so none fits" in out


def test_check_config_describes_the_file(cli: Cli) -> None:
    _, out = check(cli, "kind-multi-node.yaml")
    assert out.splitlines()[:4] == [
        f"{CONFIGS / 'kind-multi-node.yaml'}: kind configuration of app-1-cluster",
        "  pod networks: 10.244.0.0/16",
        "  service networks: 10.96.0.0/12",
        "  node networks: -",
    ]
    assert "  note: assumed max pods: 110 (not in the file)" in out.splitlines()
    assert "Capacity (IPv4):" in out


def test_check_config_as_json_is_machine_friendly(cli: Cli) -> None:
    _, out = check(cli, "kubeadm-v1beta3-single-stack.yaml", "--format", "json")
    report = json.loads(out)
    assert set(report) == {"errors", "config", "assumed", "capacity", "findings"}
    assert report["errors"] == 1
    assert (report["config"]["source"], report["config"]["name"]) == ("kubeadm", "example-cluster")
    assert (report["config"]["pod_cidrs"], report["config"]["service_cidrs"]) == (
        ["10.244.0.0/24"],
        ["10.96.0.0/16"],
    )
    # kubeadm names no CNI, so the IPAM mode is assumed too.
    assert report["assumed"] == ["ipam mode: kube-controller-manager", "expected nodes: 3", "growth: 2.0"]
    [(family, worked)] = report["capacity"]
    assert (family, worked["nodes_needed"]) == (4, 6)
    assert set(report["findings"][0]) == {"severity", "kind", "subject", "message"}


def test_check_config_as_json_exits_with_1_on_an_error(cli: Cli) -> None:
    code, out = check(cli, "kubeadm-v1beta4-dual-stack.yaml", "--format", "json")
    assert (code, json.loads(out)["errors"]) == (1, 1)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("broken-bad-yaml.yaml", "line 7: not valid YAML", id="bad-yaml"),
        pytest.param(
            "broken-clusterspec-unknown-field.yaml",
            "line 9, spec.podCIRDs: unknown field 'podCIRDs'; did you mean podCIDRs?",
            id="unknown-field",
        ),
        pytest.param(
            "broken-k3s-two-ipv4.yaml",
            "line 4, cluster-cidr: 10.42.0.0/16,10.142.0.0/16: a dual-stack list holds at most one IPv4",
            id="two-ipv4",
        ),
        pytest.param(
            "broken-kind-wrong-type.yaml",
            "line 7, networking.podSubnet: expected a string, got a list",
            id="wrong-type",
        ),
        pytest.param(
            "broken-kubeadm-host-bits.yaml",
            "line 7, networking.podSubnet: 10.244.0.1/16: host bits set; did you mean 10.244.0.0/16?",
            id="host-bits",
        ),
        pytest.param(
            "broken-kubeadm-v1beta2.yaml",
            "line 7, apiVersion: unsupported apiVersion 'kubeadm.k8s.io/v1beta2'",
            id="old-api",
        ),
    ],
)
def test_check_config_names_the_file_and_line_of_a_broken_file(cli: Cli, name: str, message: str) -> None:
    result = cli("check-config", str(CONFIGS / name))
    assert_error(result, f"{CONFIGS / name}, {message}")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            [str(CONFIGS / "broken-unrecognised-capi-cluster.yaml")],
            f"{CONFIGS / 'broken-unrecognised-capi-cluster.yaml'}: cannot tell the format: looked for a kubeadm",
            id="unrecognised",
        ),
        pytest.param(
            [str(CONFIGS / "kind-default.yaml"), "--kind", "kubeadm"],
            f"{CONFIGS / 'kind-default.yaml'}: no kubeadm document",
            id="wrong-kind",
        ),
        pytest.param(
            [str(CONFIGS / "missing.yaml")],
            f"{CONFIGS / 'missing.yaml'}: cannot read the file",
            id="missing",
        ),
        pytest.param(
            [str(CONFIGS / "kind-default.yaml"), "--growth", "0.5"],
            "growth 0.5: must be finite and at least 1",
            id="growth",
        ),
        pytest.param(
            [str(CONFIGS / "kind-default.yaml"), "--ipam-mode", "nope"],
            "unknown ipam mode 'nope': expected one of kube-controller-manager, flannel, calico",
            id="mode",
        ),
    ],
)
def test_check_config_refuses_what_it_cannot_check(cli: Cli, args: list[str], message: str) -> None:
    assert_error(cli("check-config", *args), message)


def test_check_config_refuses_a_directory(cli: Cli) -> None:
    assert_error(cli("check-config", str(CONFIGS)), "is a directory", exit_code=2)


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        pytest.param(["--nodes", "1000"], "pod-cidr-too-small", id="nodes"),
        pytest.param(["--nodes", "200", "--growth", "1.5"], "pod-cidr-too-small", id="growth"),
        pytest.param(["--max-pods", "300"], "max-pods-exceeds-node-block", id="max-pods"),
    ],
)
def test_check_config_sizes_for_the_given_cluster(cli: Cli, args: list[str], kind: str) -> None:
    assert findings(cli, "kind-default.yaml", *args) == [("error", kind)]
    assert check(cli, "kind-default.yaml", *args)[0] == 1


def test_check_config_prefers_the_command_line_to_the_file(cli: Cli) -> None:
    # The ClusterSpec says 100 nodes: its pod CIDR holds 512 and its node subnet 1,019.
    assert findings(cli, "ipledger-clusterspec.yaml") == []
    assert findings(cli, "ipledger-clusterspec.yaml", "--nodes", "1000") == [
        ("error", "pod-cidr-too-small"),
        ("error", "node-subnet-too-small"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        pytest.param(
            "k3s.yaml",
            'cluster-cidr: "10.42.0.0/16"\nservice-cidr: "172.17.0.0/16"\n',
            "overlaps-special-range",
            id="k3s-docker-bridge",
        ),
        pytest.param(
            "kind.yaml",
            'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n  podSubnet: "169.254.0.0/16"\n',
            "overlaps-special-range",
            id="kind-link-local",
        ),
        pytest.param(
            "kubeadm.yaml",
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n"
            "  podSubnet: 10.244.0.0/16\n  serviceSubnet: 100.64.0.0/10\n",
            "service-cidr-too-large",
            id="kubeadm-service-too-large",
        ),
    ],
)
def test_check_config_finds_a_bad_network(cli: Cli, tmp_path: Path, name: str, text: str, kind: str) -> None:
    path = write(tmp_path, name, text)
    assert findings(cli, path) == [("error", kind)]
    assert check(cli, path)[0] == 1


# against the ledger


@pytest.mark.parametrize(
    ("recorded", "message"),
    [
        pytest.param(
            [["prefix", "create", "10.244.1.0/24"]],
            "the pod network 10.244.0.0/16 holds 10.244.1.0/24 (general, managed by manual) in space global",
            id="prefix-inside",
        ),
        pytest.param(
            [["prefix", "create", "10.96.0.0/16", "--role", "service", "--managed-by", "cluster:other"]],
            "the service network 10.96.0.0/16 is already recorded in space global as the service network "
            "10.96.0.0/16 of cluster other",
            id="same-prefix",
        ),
        pytest.param(
            [["prefix", "create", "10.244.0.0/15"], ["range", "create", "10.244.9.1-10.244.9.9"]],
            "the pod network 10.244.0.0/16 overlaps range 10.244.9.1-10.244.9.9",
            id="range",
        ),
        pytest.param(
            [["address", "create", "10.96.0.10"]],
            "the service network 10.96.0.0/16 holds 1 recorded address(es) in space global, e.g. 10.96.0.10",
            id="address",
        ),
    ],
)
def test_check_config_fails_a_network_already_used_in_the_ledger(
    cli: Cli, recorded: list[list[str]], message: str
) -> None:
    for command in recorded:
        cli.ok(*command)
    code, out = check(cli, "kind-default.yaml")
    assert code == 1
    assert findings(cli, "kind-default.yaml") == [("error", "collides-with-ledger")]
    assert message in " ".join(out.split())


def test_check_config_accepts_a_network_inside_a_recorded_prefix(cli: Cli) -> None:
    cli.ok("prefix", "create", "10.0.0.0/8")
    code, out = check(cli, "kind-default.yaml")
    assert code == 0
    assert findings(cli, "kind-default.yaml") == [("info", "inside-recorded-prefix")] * 2
    assert "the pod network 10.244.0.0/16 lies inside 10.0.0.0/8" in " ".join(out.split())


def test_check_config_fails_a_network_inside_another_clusters_network(cli: Cli) -> None:
    cli.ok(
        "prefix", "create", "10.0.0.0/8", "--role", "expansion-reserve", "--managed-by", "cluster:prod-eu-2"
    )
    code, out = check(cli, "kind-default.yaml")
    assert code == 1
    assert findings(cli, "kind-default.yaml") == [("error", "collides-with-ledger")] * 2
    assert "the pod network 10.244.0.0/16 lies in the expansion reserve 10.0.0.0/8 of cluster prod-eu-2" in (
        " ".join(out.split())
    )


def test_check_config_ignores_the_clusters_own_networks(cli: Cli) -> None:
    cli.ok("prefix", "create", "10.0.0.0/16", "--role", "pod", "--managed-by", "cluster:prod-eu-1")
    assert findings(cli, "ipledger-clusterspec.yaml") == []


def test_check_config_checks_the_space_given(cli: Cli) -> None:
    cli.ok("space", "create", "lab")
    cli.ok("prefix", "create", "10.244.1.0/24", "--space", "lab")
    assert findings(cli, "kind-default.yaml") == []
    assert findings(cli, "kind-default.yaml", "--space", "lab") == [("error", "collides-with-ledger")]


def test_check_config_notes_a_space_the_ledger_lacks(cli: Cli) -> None:
    code, _ = check(cli, "kind-default.yaml", "--space", "nope")
    assert code == 0
    assert findings(cli, "kind-default.yaml", "--space", "nope") == [("info", "space-not-recorded")]


def test_check_config_fails_a_load_balancer_prefix_already_used(cli: Cli) -> None:
    cli.ok("address", "create", "192.168.60.3")
    assert findings(cli, "ipledger-clusterspec.yaml") == [("error", "collides-with-ledger")]


def test_check_config_fails_a_load_balancer_range_already_used(cli: Cli) -> None:
    cli.ok("address", "create", "192.168.50.20")
    assert findings(cli, "ipledger-clusterspec.yaml") == [("error", "collides-with-ledger")]


def test_check_config_services_option_checks_the_service_cidr(cli: Cli) -> None:
    # kind's default 10.96.0.0/16 gives 2^16 - 2 = 65,534 ClusterIPs.
    assert findings(cli, "kind-default.yaml", "--services", "60000") == []
    code, out = check(cli, "kind-default.yaml", "--services", "70000")
    assert code == 0
    assert findings(cli, "kind-default.yaml", "--services", "70000") == [
        ("warning", "service-cidr-too-small")
    ]
    assert "gives 65,534 ClusterIPs, fewer than the 70,000 Services expected" in " ".join(out.split())


def test_check_config_enis_option_checks_max_pods(cli: Cli) -> None:
    # Pods in kind's pod CIDR, their own subnet: custom networking, (3 - 1) x (10 - 1) + 2 = 20 pods.
    args = ("--ipam-mode", "aws-vpc-cni", "--max-pods", "58", "--enis", "3", "--ips-per-eni", "10")
    code, out = check(cli, "kind-default.yaml", *args)
    assert code == 0
    assert findings(cli, "kind-default.yaml", *args) == [("warning", "aws-max-pods")]
    assert "max pods 58 exceeds the 20 pods these ENIs can address" in " ".join(out.split())


def test_check_config_enis_for_a_mode_without_them_is_an_error(cli: Cli) -> None:
    result = cli("check-config", str(CONFIGS / "kind-default.yaml"), "--enis", "3", "--ips-per-eni", "10")
    assert_error(result, "ENI figures apply to the AWS VPC CNI modes, not kube-controller-manager")


# help


@pytest.mark.parametrize(
    "phrase",
    [
        "Check a kubeadm ClusterConfiguration, a k3s / RKE2 config.yaml, a kind cluster config or an "
        "ipledger ClusterSpec before the cluster is built",
        "Exits with 1 when any finding is an error",
        "--kind [kubeadm|k3s|rke2|kind|ipledger]",
        "Pods per node, if the file does not say. [default: 110]",
    ],
)
def test_check_config_help_says_what_it_does(cli: Cli, phrase: str) -> None:
    result = cli("check-config", "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ipledger check-config [OPTIONS] FILE")
    assert phrase in " ".join(result.stdout.split())
