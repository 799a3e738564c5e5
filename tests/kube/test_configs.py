"""Cluster configuration files: the documented examples of kubeadm, k3s/RKE2 and kind, ipledger's
own ClusterSpec, and broken files whose errors must name the file, the line and the field."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.core.ranges import parse_range
from ipledger.kube.configs import ClusterConfig, ConfigError, parse_cluster_config, read_cluster_config

CONFIGS = Path(__file__).resolve().parent / "configs"


def _nets(*texts: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(text) for text in texts)


def _read(name: str, **options: Any) -> ClusterConfig:
    return read_cluster_config(CONFIGS / name, **options)


def _nested(depth: int) -> str:
    return "a:\n" + "".join(" " * level + "-\n" for level in range(1, depth))


def _error(text: str, **options: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_cluster_config(text, path="cluster.yaml", **options)
    return caught.value


EXAMPLES = [
    pytest.param(
        "kubeadm-v1beta3-single-stack.yaml",
        {
            "source": "kubeadm",
            "name": "example-cluster",
            "pod_cidrs": _nets("10.244.0.0/24"),
            "service_cidrs": _nets("10.96.0.0/16"),
            "node_prefixlen": {4: 20},
            "max_pods": 250,
            "defaulted": (),
        },
        id="kubeadm-v1beta3-extraArgs-map-and-kubelet-maxPods",
    ),
    pytest.param(
        "kubeadm-v1beta4-dual-stack.yaml",
        {
            "source": "kubeadm",
            "pod_cidrs": _nets("10.244.0.0/16", "2001:db8:42::/56"),
            "service_cidrs": _nets("10.96.0.0/16", "2001:db8:42:1::/112"),
            "node_prefixlen": {4: 24, 6: 64},
            "max_pods": None,
            "defaulted": (),
        },
        id="kubeadm-v1beta4-dual-stack-extraArgs-list",
    ),
    pytest.param(
        "kubeadm-v1beta4-join-only.yaml",
        {
            "source": "kubeadm",
            "pod_cidrs": (),
            "service_cidrs": _nets("10.96.0.0/12"),
            "defaulted": ("service_cidrs",),
            "notes": (
                "serviceSubnet not set: kubeadm's default 10.96.0.0/12 assumed",
                "podSubnet not set: kubeadm has no default and allocates no node pod CIDRs",
            ),
        },
        id="kubeadm-without-ClusterConfiguration-defaults",
    ),
    pytest.param(
        "k3s-dual-stack.yaml",
        {
            "source": "k3s",
            "pod_cidrs": _nets("10.42.0.0/16", "2001:db8:42::/56"),
            "service_cidrs": _nets("10.43.0.0/16", "2001:db8:43::/112"),
            "node_prefixlen": {4: 24, 6: 64},
            "max_pods": 250,
            "ipam_mode": "flannel",
            "defaulted": ("ipam_mode",),
        },
        id="k3s-dual-stack",
    ),
    pytest.param(
        "rke2-dual-stack-calico.yaml",
        {
            "source": "k3s",
            "pod_cidrs": _nets("10.42.0.0/16", "2001:cafe:42::/56"),
            "service_cidrs": _nets("10.43.0.0/16", "2001:cafe:43::/112"),
            "ipam_mode": "calico",
            "defaulted": ("ipam_mode",),
            "notes": (
                "cni calico: Calico IPAM assumed (RKE2's rke2-calico chart leaves the IPAM type at the Tigera "
                "operator's default, Calico, with /26 blocks)",
            ),
        },
        id="rke2-calico-dual-stack",
    ),
    pytest.param(
        "k3s-defaults.yaml",
        {
            "source": "k3s",
            "pod_cidrs": _nets("10.42.0.0/16"),
            "service_cidrs": _nets("10.43.0.0/16"),
            "node_prefixlen": {},
            "max_pods": None,
            "defaulted": ("pod_cidrs", "service_cidrs", "ipam_mode"),
            "notes": (
                "cluster-cidr not set: the k3s/RKE2 default 10.42.0.0/16 assumed",
                "service-cidr not set: the k3s/RKE2 default 10.43.0.0/16 assumed",
                "cni and flannel-backend not set: flannel (k3s) or canal (RKE2) assumed",
            ),
        },
        id="k3s-without-network-keys-defaults",
    ),
    pytest.param(
        "kind-default.yaml",
        {
            "source": "kind",
            "pod_cidrs": _nets("10.244.0.0/16"),
            "service_cidrs": _nets("10.96.0.0/16"),
            "expected_nodes": 1,
            "ipam_mode": "kube-controller-manager",
            "defaulted": ("pod_cidrs", "service_cidrs", "expected_nodes", "ipam_mode"),
        },
        id="kind-minimal-ipv4-defaults",
    ),
    pytest.param(
        "kind-dual-stack.yaml",
        {
            "pod_cidrs": _nets("10.244.0.0/16", "fd00:10:244::/56"),
            "service_cidrs": _nets("10.96.0.0/16", "fd00:10:96::/112"),
            "defaulted": ("pod_cidrs", "service_cidrs", "expected_nodes", "ipam_mode"),
        },
        id="kind-dual-stack-defaults",
    ),
    pytest.param(
        "kind-ipv6.yaml",
        {"pod_cidrs": _nets("fd00:10:244::/56"), "service_cidrs": _nets("fd00:10:96::/112")},
        id="kind-ipv6-defaults",
    ),
    pytest.param(
        "kind-multi-node.yaml",
        {
            "name": "app-1-cluster",
            "pod_cidrs": _nets("10.244.0.0/16"),
            "service_cidrs": _nets("10.96.0.0/12"),
            "expected_nodes": 4,
            "defaulted": ("ipam_mode",),
        },
        id="kind-named-four-nodes",
    ),
    pytest.param(
        "ipledger-clusterspec.yaml",
        {
            "source": "ipledger",
            "name": "prod-eu-1",
            "pod_cidrs": _nets("10.0.0.0/16"),
            "service_cidrs": _nets("10.96.0.0/20"),
            "node_cidrs": _nets("10.10.0.0/22"),
            "load_balancer_pools": (parse_range("192.168.50.10-192.168.50.50"), *_nets("192.168.60.0/28")),
            "node_prefixlen": {4: 26},
            "max_pods": 110,
            "expected_nodes": 100,
            "growth": 2.0,
            "provider": "eks",
            "ipam_mode": "calico",
            "space": "global",
            "group": "kubernetes/prod",
            "defaulted": (),
            "notes": (),
        },
        id="ipledger-clusterspec",
    ),
    pytest.param(
        "ipledger-clusterspec-eks.yaml",
        {
            "name": "eks-eu-1",
            "pod_cidrs": (),
            "service_cidrs": _nets("172.20.0.0/24"),
            "node_cidrs": _nets("10.10.0.0/20"),
            "max_pods": 58,
            "expected_services": 500,
            "eni_count": 3,
            "ips_per_eni": 10,
            "vcpus": 2,
            "ipam_mode": "aws-vpc-cni",
        },
        id="ipledger-clusterspec-eks",
    ),
]


@pytest.mark.parametrize(("name", "expected"), EXAMPLES)
def test_read_cluster_config_reads_documented_examples(name: str, expected: dict[str, object]) -> None:
    config = _read(name)
    assert {key: getattr(config, key) for key in expected} == expected
    assert config.path == str(CONFIGS / name)


@pytest.mark.parametrize(
    ("name", "line", "field", "detail"),
    [
        pytest.param(
            "broken-kubeadm-host-bits.yaml",
            7,
            "networking.podSubnet",
            "10.244.0.1/16: host bits set; did you mean 10.244.0.0/16?",
            id="host-bits",
        ),
        pytest.param(
            "broken-kubeadm-v1beta2.yaml",
            7,
            "apiVersion",
            "unsupported apiVersion 'kubeadm.k8s.io/v1beta2' for ClusterConfiguration: "
            "ipledger reads kubeadm.k8s.io/v1beta3 and kubeadm.k8s.io/v1beta4",
            id="unsupported-kubeadm-apiVersion",
        ),
        pytest.param(
            "broken-bad-yaml.yaml",
            7,
            None,
            "not valid YAML: while parsing a block mapping: did not find expected key",
            id="bad-yaml",
        ),
        pytest.param(
            "broken-clusterspec-unknown-field.yaml",
            9,
            "spec.podCIRDs",
            "unknown field 'podCIRDs'; did you mean podCIDRs?",
            id="unknown-spec-field",
        ),
        pytest.param(
            "broken-kind-wrong-type.yaml",
            7,
            "networking.podSubnet",
            "expected a string, got a list",
            id="wrong-type",
        ),
        pytest.param(
            "broken-k3s-two-ipv4.yaml",
            4,
            "cluster-cidr",
            "10.42.0.0/16,10.142.0.0/16: a dual-stack list holds at most one IPv4 and one IPv6 prefix",
            id="two-ipv4-in-dual-stack",
        ),
    ],
)
def test_read_cluster_config_names_file_line_and_field(
    name: str, line: int, field: str | None, detail: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _read(name)
    place = ", ".join([str(CONFIGS / name), f"line {line}", *([field] if field else [])])
    assert str(caught.value) == f"{place}: {detail}"
    assert (caught.value.line, caught.value.field) == (line, field)


def test_read_cluster_config_says_what_it_looked_for_in_an_unknown_format() -> None:
    with pytest.raises(ConfigError) as caught:
        _read("broken-unrecognised-capi-cluster.yaml")
    message = str(caught.value)
    assert "kubeadm ClusterConfiguration (kubeadm.k8s.io/v1beta3 or v1beta4)" in message
    assert "kind Cluster (kind.x-k8s.io/v1alpha4)" in message
    assert "ipledger ClusterSpec (ipledger.io/v1)" in message
    assert "k3s/RKE2 config.yaml keys" in message
    assert "found apiVersion cluster.x-k8s.io/v1alpha2, kind Cluster" in message


def test_config_error_is_an_invalid_input_error_with_the_field() -> None:
    error = _error("cluster-cidr: 10.42.0.1/16\n")
    assert isinstance(error, InvalidInputError)
    assert (error.path, error.line, error.field) == ("cluster.yaml", 1, "cluster-cidr")


KUBEADM = "apiVersion: kubeadm.k8s.io/{version}\nkind: ClusterConfiguration\n"
KIND = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
SPEC = "apiVersion: ipledger.io/v1\nkind: ClusterSpec\nmetadata:\n  name: c1\nspec:\n"


@pytest.mark.parametrize(
    ("text", "line", "field", "detail"),
    [
        pytest.param("", None, None, "the file is empty", id="empty"),
        pytest.param("# nothing here\n---\n", None, None, "the file is empty", id="comments-only"),
        pytest.param("- cluster-cidr\n", 1, None, "expected a mapping of fields, got a list", id="a-list"),
        pytest.param("just text\n", 1, None, "expected a mapping of fields, got the string", id="a-string"),
        pytest.param("replicas: 3\n", None, None, "found the keys replicas", id="no-known-key"),
        pytest.param("token: a\ntoken: b\n", 2, "token", "duplicate key 'token' (first at line 1)", id="dup"),
        pytest.param("a: [1,\n", 2, None, "not valid YAML", id="unclosed-flow"),
        pytest.param(
            "cluster-cidr: 10.42.0.0/16,\n", 1, "cluster-cidr", "an empty entry", id="trailing-comma"
        ),
        pytest.param(
            "cluster-cidr:\n- 10.42.0.0/16\n- ''\n", 3, "cluster-cidr[1]", "an empty entry", id="empty-item"
        ),
        pytest.param("cluster-cidr: 10.42.0.0\n", 1, "cluster-cidr", "a prefix needs a length", id="no-len"),
        pytest.param("cluster-cidr: 10.42.0.0/33\n", 1, "cluster-cidr", "from 0 to 32", id="long-len"),
        pytest.param(
            "service-cidr: 42\n", 1, "service-cidr", "expected a string, got the number 42", id="int"
        ),
        pytest.param(
            "cluster-cidr: [10.42.0.0/16, 2001:db8:42::/56, 10.52.0.0/16]\n",
            1,
            "cluster-cidr",
            "at most one IPv4 and one IPv6",
            id="three-in-yaml-list",
        ),
        pytest.param(
            "cluster-cidr: 2001:db8:42::/56\ncluster-cidr+: 2001:db8:52::/56\n",
            2,
            "cluster-cidr+",
            "more than one prefix of a family",
            id="appended-same-family",
        ),
        pytest.param(
            "cluster-dns: 10.44.0.10\n",
            1,
            "cluster-dns",
            "10.44.0.10 is outside the service CIDRs 10.43.0.0/16",
            id="cluster-dns-outside",
        ),
        pytest.param(
            "kubelet-arg: [max-pods=-5]\n",
            1,
            "kubelet-arg[0]",
            "max-pods=-5: expected a whole",
            id="neg-pods",
        ),
        pytest.param(
            "cluster-cidr: 10.42.0.0/16,2001:db8:42::/56\n"
            "kube-controller-manager-arg: [node-cidr-mask-size=24]\n",
            2,
            "kube-controller-manager-arg[0]",
            "node-cidr-mask-size is for single-stack clusters",
            id="general-mask-on-dual-stack",
        ),
        pytest.param(
            "kube-controller-manager-arg: [node-cidr-mask-size-ipv6=64]\n",
            1,
            "kube-controller-manager-arg[0]",
            "node-cidr-mask-size-ipv6 is set but there is no IPv6 pod CIDR",
            id="ipv6-mask-on-ipv4",
        ),
        pytest.param(
            "kube-controller-manager-arg: [node-cidr-mask-size-ipv4=33]\n",
            1,
            "kube-controller-manager-arg[0]",
            "'33': expected a prefix length from 1 to 32",
            id="mask-too-long",
        ),
        pytest.param(
            KUBEADM.format(version="v1beta4") + "networking:\n  podSubnet: [10.244.0.0/16]\n",
            4,
            "networking.podSubnet",
            "expected a string, got a list",
            id="kubeadm-podSubnet-list",
        ),
        pytest.param(
            KUBEADM.format(version="v1beta4")
            + "controllerManager:\n  extraArgs:\n    node-cidr-mask-size: '24'\n",
            4,
            "controllerManager.extraArgs",
            "v1beta4 extraArgs is a list of {name, value}, got a mapping",
            id="v1beta4-extraArgs-map",
        ),
        pytest.param(
            KUBEADM.format(version="v1beta3")
            + "controllerManager:\n  extraArgs:\n  - name: a\n    value: b\n",
            4,
            "controllerManager.extraArgs",
            "v1beta3 extraArgs is a map of flag: value, got a list",
            id="v1beta3-extraArgs-list",
        ),
        pytest.param(
            KUBEADM.format(version="v1beta4") + "controllerManager:\n  extraArgs:\n  - name: a\n",
            5,
            "controllerManager.extraArgs[0]",
            "needs both name and value",
            id="v1beta4-extraArgs-without-value",
        ),
        pytest.param(
            KUBEADM.format(version="v1beta4")
            + "---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: -1\n",
            6,
            "maxPods",
            "-1 is too small: the least allowed is 0",
            id="negative-maxPods",
        ),
        pytest.param(
            KUBEADM.format(version="v1beta4")
            + "---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 110.5\n",
            6,
            "maxPods",
            "expected a whole number, got the number 110.5",
            id="fractional-maxPods",
        ),
        pytest.param(
            KUBEADM.format(version="v1beta4") + "---\n" + KUBEADM.format(version="v1beta4"),
            4,
            None,
            "a second ClusterConfiguration (the first is at line 1)",
            id="two-ClusterConfigurations",
        ),
        pytest.param(
            "kind: ClusterConfiguration\nnetworking: {}\n",
            1,
            "kind",
            "unsupported apiVersion '' for ClusterConfiguration",
            id="ClusterConfiguration-without-apiVersion",
        ),
        pytest.param(
            "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n",
            2,
            "apiVersion",
            "unsupported apiVersion 'kind.x-k8s.io/v1alpha3' for Cluster",
            id="old-kind-apiVersion",
        ),
        pytest.param(
            KIND + "networking:\n  ipFamily: both\n",
            4,
            "networking.ipFamily",
            "'both': expected one of ipv4, ipv6, dual",
            id="kind-ipFamily",
        ),
        pytest.param(
            KIND + "networking:\n  podSubnet: fd00:10:244::/56\n",
            4,
            "networking.podSubnet",
            "ipFamily ipv4 takes one IPv4 prefix",
            id="kind-ipv6-subnet-in-ipv4-cluster",
        ),
        pytest.param(
            KIND + "networking:\n  ipFamily: dual\n  serviceSubnet: 10.96.0.0/16,10.97.0.0/16\n",
            5,
            "networking.serviceSubnet",
            "at most one IPv4 and one IPv6",
            id="kind-dual-two-ipv4",
        ),
        pytest.param(KIND + "nodes: 3\n", 3, "nodes", "expected a list, got the number 3", id="kind-nodes"),
        pytest.param(SPEC + "  growth: 0.5\n", 6, "spec.growth", "the least allowed is 1", id="growth<1"),
        pytest.param(SPEC + "  growth: .nan\n", 6, "spec.growth", "out of range", id="growth-nan"),
        pytest.param(SPEC + "  growth: 'x2'\n", 6, "spec.growth", "expected a number", id="growth-text"),
        pytest.param(SPEC + "  maxPods: 0\n", 6, "spec.maxPods", "the least allowed is 1", id="maxPods-0"),
        pytest.param(
            SPEC + "  maxPods: true\n", 6, "spec.maxPods", "got the boolean true", id="maxPods-bool"
        ),
        pytest.param(
            SPEC + "  provider: ec2\n", 6, "spec.provider", "'ec2': expected one of bare-metal", id="p"
        ),
        pytest.param(
            SPEC + "  ipamMode: calico-ipam\n",
            6,
            "spec.ipamMode",
            "expected one of kube-controller-manager, flannel, calico",
            id="ipamMode",
        ),
        pytest.param(
            SPEC + "  podCIDRs: 10.0.0.0/16\n",
            6,
            "spec.podCIDRs",
            "expected a list, got the string",
            id="str",
        ),
        pytest.param(
            SPEC + "  podCIDRs:\n  - 10.0.0.0/16\n  - 10.0.128.0/17\n",
            8,
            "spec.podCIDRs[1]",
            "10.0.128.0/17 overlaps 10.0.0.0/16, listed before it",
            id="overlapping-pod-cidrs",
        ),
        pytest.param(
            SPEC + "  loadBalancerPools: [192.168.50.50-192.168.50.10]\n",
            6,
            "spec.loadBalancerPools[0]",
            "start is after end",
            id="reversed-range",
        ),
        pytest.param(
            SPEC + "  loadBalancerPools: [192.168.50.0/24, 192.168.50.10-192.168.50.20]\n",
            6,
            "spec.loadBalancerPools[1]",
            "overlaps 192.168.50.0/24",
            id="range-inside-pool",
        ),
        pytest.param(
            SPEC + "  dualStack: true\n  podCIDRs: [10.0.0.0/16]\n",
            7,
            "spec.podCIDRs",
            "dualStack is true but podCIDRs holds IPv4",
            id="dualStack-one-family",
        ),
        pytest.param(
            SPEC + "  dualStack: false\n  serviceCIDRs: [10.96.0.0/20, 'fd00:96::/112']\n",
            7,
            "spec.serviceCIDRs",
            "dualStack is false but serviceCIDRs holds IPv4 and IPv6",
            id="single-stack-two-families",
        ),
        pytest.param(
            SPEC + "  nodePrefixLength: 64\n",
            6,
            "spec.nodePrefixLength",
            "64 is longer than an IPv4 prefix (32 bits)",
            id="nodePrefixLength-ipv6-value",
        ),
        pytest.param(
            SPEC + "  podCIDRs: [10.0.0.0/16]\n  nodePrefixLengthIPv6: 64\n",
            7,
            "spec.nodePrefixLengthIPv6",
            "podCIDRs has no IPv6 prefix",
            id="nodePrefixLengthIPv6-without-ipv6",
        ),
        pytest.param(
            "apiVersion: ipledger.io/v1\nkind: ClusterSpec\nspec: {}\n",
            1,
            "metadata",
            "metadata.name is required",
            id="spec-without-name",
        ),
        pytest.param(
            SPEC + "  eniCount: 3\n",
            6,
            "spec.eniCount",
            "eniCount and ipsPerENI go together: give both or neither",
            id="eniCount-without-ipsPerENI",
        ),
        pytest.param(
            SPEC + "  expectedServices: -1\n",
            6,
            "spec.expectedServices",
            "-1 is too small: the least allowed is 0",
            id="expectedServices-negative",
        ),
        pytest.param(
            SPEC.replace("metadata:", "metdata: {}\nmetadata:"),
            3,
            "metdata",
            "unknown field 'metdata'; did you mean metadata?",
            id="unknown-top-level-field",
        ),
        pytest.param(
            "apiVersion: ipledger.io/v2\nkind: ClusterSpec\n",
            1,
            "apiVersion",
            "unsupported apiVersion 'ipledger.io/v2' for ClusterSpec: ipledger reads ipledger.io/v1",
            id="spec-apiVersion",
        ),
    ],
)
def test_parse_cluster_config_refuses_malformed_input(
    text: str, line: int | None, field: str | None, detail: str
) -> None:
    error = _error(text)
    assert (error.path, error.line, error.field) == ("cluster.yaml", line, field)
    assert detail in error.detail
    assert str(error).startswith(
        ", ".join(["cluster.yaml", *([f"line {line}"] if line else []), *([field] if field else [])])
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            KUBEADM.format(version="v1beta3")
            + "networking:\n  podSubnet: fd00:10:244::/56\ncontrollerManager:\n"
            + "  extraArgs:\n    node-cidr-mask-size: 64\n",
            {"pod_cidrs": _nets("fd00:10:244::/56"), "node_prefixlen": {6: 64}},
            id="kubeadm-single-stack-ipv6-unquoted-mask",
        ),
        pytest.param(
            KUBEADM.format(version="v1beta4")
            + "controllerManager:\n  extraArgs:\n  - name: node-cidr-mask-size\n    value: '24'\n",
            {
                "pod_cidrs": (),
                "node_prefixlen": {},
                "notes": (
                    "serviceSubnet not set: kubeadm's default 10.96.0.0/12 assumed",
                    "podSubnet not set: kubeadm has no default and allocates no node pod CIDRs",
                    "node-cidr-mask-size set but no pod CIDR: no node pod CIDRs are allocated",
                ),
            },
            id="kubeadm-mask-without-podSubnet-is-noted",
        ),
        pytest.param(
            "cluster-cidr: ['10.42.0.0/16', '2001:db8:42::/56']\nservice-cidr: ''\n",
            {
                "pod_cidrs": _nets("10.42.0.0/16", "2001:db8:42::/56"),
                "defaulted": ("service_cidrs", "ipam_mode"),
            },
            id="k3s-yaml-list-and-empty-string",
        ),
        pytest.param(
            "cluster-cidr: 10.42.0.0/16\ncluster-cidr+: 2001:db8:42::/56\ncluster-dns: 10.43.0.10\n",
            {"pod_cidrs": _nets("10.42.0.0/16", "2001:db8:42::/56")},
            id="k3s-appending-key",
        ),
        pytest.param(
            "cni: [multus, canal]\nkubelet-arg: --max-pods=110\n",
            {"ipam_mode": "flannel", "max_pods": 110, "defaulted": ("pod_cidrs", "service_cidrs")},
            id="rke2-multus-canal",
        ),
        pytest.param(
            "flannel-backend: none\ndisable-network-policy: true\n",
            {
                "ipam_mode": None,
                "notes": (
                    "cluster-cidr not set: the k3s/RKE2 default 10.42.0.0/16 assumed",
                    "service-cidr not set: the k3s/RKE2 default 10.43.0.0/16 assumed",
                    "IPAM mode not stated (cni not set, flannel-backend none)",
                ),
            },
            id="k3s-own-cni",
        ),
        pytest.param(
            KIND + "nodes: []\n",
            {"expected_nodes": 1, "defaulted": ("pod_cidrs", "service_cidrs", "expected_nodes", "ipam_mode")},
            id="kind-empty-node-list",
        ),
        pytest.param(
            KIND + "networking:\n  ipFamily: ipv6\n  podSubnet: fd00:100::/56\n  disableDefaultCNI: true\n",
            {"pod_cidrs": _nets("fd00:100::/56"), "ipam_mode": None},
            id="kind-ipv6-custom-cni",
        ),
        pytest.param(
            SPEC + "  podCIDRs: ['fd00:1::/48', 10.0.0.0/16, 10.1.0.0/16]\n  nodePrefixLengthIPv6: 64\n",
            {
                "pod_cidrs": _nets("fd00:1::/48", "10.0.0.0/16", "10.1.0.0/16"),
                "node_prefixlen": {6: 64},
                "space": "global",
                "defaulted": ("space",),
                "growth": None,
            },
            id="spec-several-pools-and-default-space",
        ),
        pytest.param(
            KIND
            + "networking:\n  <<: {podSubnet: 10.250.0.0/16, serviceSubnet: 10.96.0.0/16}\n"
            + "  serviceSubnet: 10.97.0.0/16\n",
            {"pod_cidrs": _nets("10.250.0.0/16"), "service_cidrs": _nets("10.97.0.0/16")},
            id="merge-key-under-explicit-keys",
        ),
    ],
)
def test_parse_cluster_config_reads_variants(text: str, expected: dict[str, object]) -> None:
    config = parse_cluster_config(text, path="cluster.yaml")
    assert {key: getattr(config, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("name", "kind", "source"),
    [
        pytest.param("k3s-defaults.yaml", "rke2", "k3s", id="rke2-names-the-k3s-reader"),
        pytest.param("kubeadm-v1beta4-dual-stack.yaml", "kubeadm", "kubeadm", id="kubeadm"),
        pytest.param("kind-default.yaml", "kind", "kind", id="kind"),
    ],
)
def test_read_cluster_config_kind_names_the_reader(name: str, kind: str, source: str) -> None:
    assert _read(name, kind=kind).source == source


def test_parse_cluster_config_kind_reads_k3s_keys_detection_does_not_know() -> None:
    config = parse_cluster_config("etcd-expose-metrics: true\n", path="cluster.yaml", kind="k3s")
    assert config.pod_cidrs == _nets("10.42.0.0/16")


@pytest.mark.parametrize(
    ("name", "kind", "detail"),
    [
        pytest.param("kubeadm-v1beta4-dual-stack.yaml", "kind", "no document of kind Cluster", id="not-kind"),
        pytest.param("kind-default.yaml", "kubeadm", "no kubeadm document", id="not-kubeadm"),
        pytest.param("kind-default.yaml", "ipledger", "no document of kind ClusterSpec", id="not-spec"),
        pytest.param("kind-default.yaml", "helm", "unknown kind 'helm'", id="unknown-kind"),
    ],
)
def test_read_cluster_config_kind_refuses_other_formats(name: str, kind: str, detail: str) -> None:
    with pytest.raises(ConfigError, match=detail):
        _read(name, kind=kind)


@pytest.mark.parametrize(
    ("content", "line", "detail"),
    [
        pytest.param(
            b"token: x\ncluster-cidr: \xff10.42.0.0/16\n", 2, "not UTF-8 text (byte 23 is 0xff)", id="latin-1"
        ),
        pytest.param(
            b"\xef\xbb\xbftoken: \xe9\n", 1, "not UTF-8 text (byte 10 is 0xe9)", id="latin-1-after-a-bom"
        ),
        pytest.param(
            b"#" * (2 << 20),
            None,
            "2097152 bytes is more than the 1 MiB a cluster configuration may have",
            id="too-large",
        ),
    ],
)
def test_read_cluster_config_refuses_unusable_bytes(
    tmp_path: Path, content: bytes, line: int | None, detail: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        read_cluster_config(path)
    assert (caught.value.path, caught.value.line, caught.value.detail) == (str(path), line, detail)


def test_read_cluster_config_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"\xef\xbb\xbfcluster-cidr: 10.52.0.0/16\n")
    assert read_cluster_config(path).pod_cidrs == _nets("10.52.0.0/16")


@pytest.mark.parametrize("name", ["missing.yaml", "."], ids=["missing", "directory"])
def test_read_cluster_config_names_a_file_it_cannot_read(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(ConfigError, match="cannot read the file") as caught:
        read_cluster_config(path)
    assert caught.value.path == str(path)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        pytest.param(
            "".join(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10) if n else 'x'}]\n" for n in range(7)),
            "more than 200000 values once aliases are expanded",
            id="billion-laughs",
        ),
        pytest.param(_nested(1200), "exceeded maximum nesting depth", id="deeper-than-the-parser-allows"),
        pytest.param(_nested(900), "nested too deeply to be a cluster configuration", id="deep-block"),
        pytest.param("[" * 2000 + "]" * 2000, "not valid YAML", id="deep-flow"),
        pytest.param("!!python/object:os.system {}\n", "not valid YAML", id="python-tag"),
    ],
)
def test_parse_cluster_config_refuses_hostile_yaml(text: str, detail: str) -> None:
    assert detail in str(_error(text))
