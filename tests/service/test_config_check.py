"""check-config: a cluster's configuration file checked for capacity, special ranges and the ledger.

The kubeadm, k3s and kind files are the documented examples in ``tests/kube/configs``, read in
place; ClusterSpec files for a single case are written to the test's temporary directory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.core.findings import Severity
from ipledger.kube.configs import ConfigError
from ipledger.service.clusters import ClusterFields
from ipledger.service.config_check import ConfigReport, check_config
from ipledger.service.ledger import Ledger
from tests.service.factories import add_address, add_prefix, add_range

CONFIGS = Path(__file__).resolve().parents[1] / "kube" / "configs"


def _spec(directory: Path, name: str, *, pods: str, services: str, extra: str = "") -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(
        "apiVersion: ipledger.io/v1\n"
        "kind: ClusterSpec\n"
        f"metadata: {{name: {name}}}\n"
        "spec:\n"
        f"  podCIDRs: [{pods}]\n"
        f"  serviceCIDRs: [{services}]\n" + extra,
        encoding="utf-8",
    )
    return path


def _kinds(report: ConfigReport) -> list[tuple[Severity, str, str]]:
    return [(finding.severity, finding.kind, finding.subject) for finding in report.findings]


def test_check_config_kubeadm_node_mask_shorter_than_the_pod_cidr(ledger: Ledger) -> None:
    # The published v1beta3 example: podSubnet 10.244.0.0/24 with node-cidr-mask-size 20.
    report = check_config(ledger, CONFIGS / "kubeadm-v1beta3-single-stack.yaml")

    assert _kinds(report) == [(Severity.ERROR, "node-mask-shorter-than-pod-cidr", "node mask /20")]
    assert report.errors == 1
    assert "the /20 node block is larger than the /24 pod CIDR" in report.findings[0].message


def test_check_config_k3s_dual_stack_too_small_for_the_nodes_given(ledger: Ledger) -> None:
    report = check_config(
        ledger,
        CONFIGS / "k3s-dual-stack.yaml",
        overrides=ClusterFields(expected_nodes=500),
        given=("expected_nodes",),
    )

    # 500 nodes x growth 2 = 1,000; a /16 and a /56 each split into 2^8 = 256 node blocks.
    assert _kinds(report) == [
        (Severity.ERROR, "pod-cidr-too-small", "pod CIDR /16"),
        (Severity.ERROR, "pod-cidr-too-small", "pod CIDR /56"),
    ]
    assert all(
        "holds 256 nodes, fewer than the 1,000 needed" in finding.message for finding in report.findings
    )
    assert report.assumed == ("ipam mode: flannel", "growth: 2.0")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ((), []),
        (("max_pods",), [(Severity.ERROR, "max-pods-exceeds-node-block", "node mask /24")]),
    ],
    ids=["file-wins-over-a-default", "given-wins-over-the-file"],
)
def test_check_config_explicit_inputs_win_over_the_file(
    ledger: Ledger, given: tuple[str, ...], expected: list[tuple[Severity, str, str]]
) -> None:
    # The file says max-pods=250, which a /24 node block holds (256 - 3 = 253); 254 does not fit.
    report = check_config(
        ledger, CONFIGS / "k3s-dual-stack.yaml", overrides=ClusterFields(max_pods=254), given=given
    )

    assert _kinds(report) == expected


@pytest.mark.parametrize(
    ("record", "subject", "words"),
    [
        (
            lambda ledger: add_prefix(ledger, "10.244.0.0/24"),
            "pod 10.244.0.0/16",
            "the pod network 10.244.0.0/16 holds 10.244.0.0/24 (general, managed by manual) in space global",
        ),
        (
            lambda ledger: add_prefix(ledger, "10.244.0.0/16", role="pod", managed_by="cluster:other"),
            "pod 10.244.0.0/16",
            "is already recorded in space global as the pod network 10.244.0.0/16 of cluster other",
        ),
        (
            lambda ledger: (add_prefix(ledger, "10.96.0.0/12"), add_range(ledger, "10.96.5.1-10.96.5.9")),
            "service 10.96.0.0/16",
            "overlaps range 10.96.5.1-10.96.5.9 (general) in space global",
        ),
        (
            lambda ledger: add_address(ledger, "10.96.0.10"),
            "service 10.96.0.0/16",
            "holds 1 recorded address(es) in space global, e.g. 10.96.0.10",
        ),
    ],
    ids=["prefix-inside", "same-prefix", "range-inside", "address-inside"],
)
def test_check_config_kind_default_collides_with_what_the_ledger_holds(
    ledger: Ledger, record: Callable[[Ledger], object], subject: str, words: str
) -> None:
    record(ledger)

    report = check_config(ledger, CONFIGS / "kind-default.yaml")

    assert _kinds(report) == [(Severity.ERROR, "collides-with-ledger", subject)]
    assert words in report.findings[0].message


def test_check_config_network_inside_a_recorded_prefix_is_information_only(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/8", role="infrastructure")

    report = check_config(ledger, CONFIGS / "kind-default.yaml")

    assert _kinds(report) == [
        (Severity.INFO, "inside-recorded-prefix", "pod 10.244.0.0/16"),
        (Severity.INFO, "inside-recorded-prefix", "service 10.96.0.0/16"),
    ]
    assert report.errors == 0
    assert "lies inside 10.0.0.0/8 (infrastructure, managed by manual)" in report.findings[0].message


@pytest.mark.parametrize(
    ("role", "what"),
    [
        ("pod", "the pod network 10.0.0.0/8 of cluster prod-eu-2"),
        ("node", "the node network 10.0.0.0/8 of cluster prod-eu-2"),
        ("expansion-reserve", "the expansion reserve 10.0.0.0/8 of cluster prod-eu-2"),
    ],
)
def test_check_config_network_inside_another_clusters_network_is_an_error(
    ledger: Ledger, role: str, what: str
) -> None:
    add_prefix(ledger, "10.0.0.0/8", role=role, managed_by="cluster:prod-eu-2")

    report = check_config(ledger, CONFIGS / "kind-default.yaml")

    assert _kinds(report) == [
        (Severity.ERROR, "collides-with-ledger", "pod 10.244.0.0/16"),
        (Severity.ERROR, "collides-with-ledger", "service 10.96.0.0/16"),
    ]
    assert report.errors == 2
    assert report.findings[0].message.startswith(
        f"the pod network 10.244.0.0/16 lies in {what} in space global; both clusters would route its "
        "addresses: pick another range"
    )


def test_check_config_innermost_cluster_network_around_is_named(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/8", role="infrastructure")
    add_prefix(ledger, "10.96.0.0/12", role="service", managed_by="cluster:prod-eu-2")

    report = check_config(ledger, CONFIGS / "kind-default.yaml")

    assert _kinds(report) == [
        (Severity.INFO, "inside-recorded-prefix", "pod 10.244.0.0/16"),
        (Severity.ERROR, "collides-with-ledger", "service 10.96.0.0/16"),
    ]
    assert "lies in the service network 10.96.0.0/12 of cluster prod-eu-2" in report.findings[1].message


def test_check_config_range_of_another_cluster_names_the_cluster(ledger: Ledger) -> None:
    add_prefix(ledger, "10.244.0.0/15", role="infrastructure")
    add_range(ledger, "10.244.9.1-10.244.9.9", role="loadbalancer", managed_by="cluster:prod-eu-2")

    report = check_config(ledger, CONFIGS / "kind-default.yaml")

    assert [finding.message for finding in report.findings if finding.severity is Severity.ERROR] == [
        "the pod network 10.244.0.0/16 overlaps the loadbalancer range 10.244.9.1-10.244.9.9 of cluster "
        "prod-eu-2 in space global: pick another range, or fix the ledger if it is stale"
    ]


def test_check_config_own_cluster_network_around_is_information(ledger: Ledger, tmp_path: Path) -> None:
    add_prefix(ledger, "10.20.0.0/14", role="pod", managed_by="cluster:prod")

    report = check_config(ledger, _spec(tmp_path, "prod", pods="10.20.0.0/16", services="10.96.0.0/20"))

    assert _kinds(report) == [(Severity.INFO, "inside-recorded-prefix", "pod 10.20.0.0/16")]


@pytest.mark.parametrize(
    ("pool", "expected", "words"),
    [
        pytest.param(
            "169.254.0.10-169.254.0.20",
            [(Severity.ERROR, "overlaps-special-range", "lb: loadbalancer 169.254.0.10-169.254.0.20")],
            "the loadbalancer range 169.254.0.10-169.254.0.20 overlaps IPv4 link-local 169.254.0.0/16",
            id="link-local",
        ),
        pytest.param(
            "10.20.3.1-10.20.3.9",
            [
                (
                    Severity.ERROR,
                    "cluster-networks-overlap",
                    "lb: pod 10.20.0.0/16 / loadbalancer 10.20.3.1-10.20.3.9",
                )
            ],
            "the pod network 10.20.0.0/16 overlaps the loadbalancer range 10.20.3.1-10.20.3.9",
            id="pod-network",
        ),
        pytest.param("192.168.9.1-192.168.9.5", [], "", id="apart"),
    ],
)
def test_check_config_load_balancer_range_pool_is_checked_like_a_cidr(
    ledger: Ledger, tmp_path: Path, pool: str, expected: list[tuple[Severity, str, str]], words: str
) -> None:
    path = _spec(
        tmp_path, "lb", pods="10.20.0.0/16", services="10.96.0.0/20", extra=f"  loadBalancerPools: [{pool}]\n"
    )

    report = check_config(ledger, path)

    assert _kinds(report) == expected
    assert all(words in finding.message for finding in report.findings)


def test_check_config_clusterspec_instance_figures_and_services_reach_the_checks(ledger: Ledger) -> None:
    report = check_config(ledger, CONFIGS / "ipledger-clusterspec-eks.yaml")

    # Pods share the node subnet: 3 x (10 - 1) + 2 = 29 pods an m5.large addresses, fewer than 58;
    # a /24 gives 2^8 - 2 = 254 ClusterIPs, fewer than the 500 Services expected.
    assert _kinds(report) == [
        (Severity.WARNING, "service-cidr-too-small", "service CIDR /24"),
        (Severity.WARNING, "aws-max-pods", "max pods"),
    ]
    assert "max pods 58 exceeds the 29 pods these ENIs can address" in report.findings[1].message
    assert report.errors == 0


@pytest.mark.parametrize(
    ("overrides", "given", "expected"),
    [
        pytest.param(ClusterFields(), (), ["service-cidr-too-small", "aws-max-pods"], id="from-the-file"),
        pytest.param(
            ClusterFields(expected_services=200, eni_count=4, ips_per_eni=15),
            ("expected_services", "eni_count", "ips_per_eni"),
            [],  # 254 >= 200; 4 x (15 - 1) + 2 = 58
            id="given-win",
        ),
    ],
)
def test_check_config_given_services_and_enis_win_over_the_file(
    ledger: Ledger, overrides: ClusterFields, given: tuple[str, ...], expected: list[str]
) -> None:
    report = check_config(ledger, CONFIGS / "ipledger-clusterspec-eks.yaml", overrides=overrides, given=given)

    assert [finding.kind for finding in report.findings] == expected


def test_check_config_enis_for_a_mode_without_them_is_refused(ledger: Ledger) -> None:
    overrides = ClusterFields(eni_count=3, ips_per_eni=10)

    with pytest.raises(
        InvalidInputError, match="ENI figures apply to the AWS VPC CNI modes, not kube-controller-manager"
    ):
        check_config(
            ledger, CONFIGS / "kind-default.yaml", overrides=overrides, given=("eni_count", "ips_per_eni")
        )


def test_check_config_service_cidr_on_the_docker_bridge_overlaps_a_special_range(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = _spec(tmp_path, "bridged", pods="10.20.0.0/16", services="172.17.0.0/20")

    report = check_config(ledger, path)

    assert _kinds(report) == [(Severity.ERROR, "overlaps-special-range", "bridged: service 172.17.0.0/20")]
    assert "Docker default bridge 172.17.0.0/16" in report.findings[0].message


@pytest.mark.parametrize(
    ("managed_by", "expected"),
    [
        ("cluster:prod", []),
        ("cluster:prod-2", [(Severity.ERROR, "collides-with-ledger", "pod 10.20.0.0/16")] * 2),
        ("manual", [(Severity.ERROR, "collides-with-ledger", "pod 10.20.0.0/16")] * 2),
    ],
    ids=["same-cluster", "other-cluster", "by-hand"],
)
def test_check_config_networks_of_the_same_cluster_do_not_collide(
    ledger: Ledger, tmp_path: Path, managed_by: str, expected: list[tuple[Severity, str, str]]
) -> None:
    add_prefix(ledger, "10.20.0.0/16", role="pod", managed_by=managed_by)
    add_prefix(ledger, "10.20.7.0/24", role="loadbalancer", managed_by=managed_by)
    add_range(ledger, "10.20.7.10-10.20.7.20", role="loadbalancer", managed_by=managed_by)

    report = check_config(ledger, _spec(tmp_path, "prod", pods="10.20.0.0/16", services="10.96.0.0/20"))

    # One finding for the prefix recorded inside the pod network, one for the range.
    assert _kinds(report) == expected


def test_check_config_addresses_inside_the_clusters_own_network_do_not_collide(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prefix(ledger, "10.20.0.0/16", role="pod", managed_by="cluster:prod")
    add_address(ledger, "10.20.0.5", holder_kind="pod", holder_name="web-0")

    report = check_config(ledger, _spec(tmp_path, "prod", pods="10.20.0.0/16", services="10.96.0.0/20"))

    assert _kinds(report) == []


def test_check_config_space_not_in_the_ledger_is_reported_and_not_searched(ledger: Ledger) -> None:
    add_prefix(ledger, "10.244.0.0/24")  # in space global, not the one checked

    report = check_config(ledger, CONFIGS / "kind-default.yaml", space="lab")

    assert _kinds(report) == [(Severity.INFO, "space-not-recorded", "lab")]


def test_check_config_rke2_calico_assumes_calico_ipam_blocks(ledger: Ledger) -> None:
    report = check_config(ledger, CONFIGS / "rke2-dual-stack-calico.yaml")

    # RKE2's calico chart leaves the Tigera operator's default IPAM: Calico, /26 blocks of 64 IPs;
    # a node running 110 pods claims 2, so a /16 of 1,024 blocks holds 512 nodes.
    assert report.assumed == ("ipam mode: calico", "max pods: 110", "expected nodes: 3", "growth: 2.0")
    assert any(note.startswith("cni calico: Calico IPAM assumed") for note in report.config.notes)
    ipv4 = dict(report.capacity)[4]
    assert ipv4.node_capacity == 512
    assert ("pod IPs per node block", 64) in [(figure.name, figure.value) for figure in ipv4.figures]


def test_check_config_reports_the_sizing_inputs_it_assumed(ledger: Ledger) -> None:
    report = check_config(ledger, CONFIGS / "kind-default.yaml")

    # kind states one node; its default CNI kindnetd (kube-controller-manager), max pods and growth
    # are assumed.
    assert report.assumed == ("ipam mode: kube-controller-manager", "max pods: 110", "growth: 2.0")
    assert [(family, worked.nodes_needed, worked.node_capacity) for family, worked in report.capacity] == [
        (4, 2, 256)
    ]


@pytest.mark.parametrize(
    ("name", "line", "detail"),
    [
        ("broken-bad-yaml.yaml", 7, "not valid YAML"),
        ("broken-kubeadm-host-bits.yaml", 7, "networking.podSubnet: 10.244.0.1/16: host bits set"),
        ("broken-clusterspec-unknown-field.yaml", 9, "spec.podCIRDs: unknown field 'podCIRDs'"),
        ("broken-kind-wrong-type.yaml", 7, "networking.podSubnet: expected a string, got a list"),
    ],
    ids=["bad-yaml", "host-bits", "unknown-field", "wrong-type"],
)
def test_check_config_malformed_file_names_file_and_line(
    ledger: Ledger, name: str, line: int, detail: str
) -> None:
    path = CONFIGS / name

    with pytest.raises(ConfigError) as caught:
        check_config(ledger, path)

    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert str(caught.value).startswith(f"{path}, line {line}")
    assert detail in str(caught.value)


def test_check_config_missing_file_is_a_config_error(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(ConfigError, match="cannot read the file") as caught:
        check_config(ledger, path)

    assert caught.value.path == str(path)
