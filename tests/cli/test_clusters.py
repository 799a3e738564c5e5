"""`ipledger cluster`: record, show, list, update and delete clusters; plan, grow and decommission them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.cli.invocation import Cli, assert_error

POOLS = ("--pod-pool", "10.0.0.0/8", "--service-pool", "172.16.0.0/12", "--node-pool", "192.168.0.0/16")
# What `cluster plan prod --nodes 100` places in POOLS: each network with its reserve after it.
PROD_NETWORKS = {
    "10.0.0.0/16": "pod",
    "10.1.0.0/16": "expansion-reserve",
    "172.16.0.0/20": "service",
    "172.16.16.0/20": "expansion-reserve",
    "192.168.0.0/24": "node",
    "192.168.1.0/24": "expansion-reserve",
}
MODES = "kube-controller-manager, flannel, calico, cilium-cluster-pool"


@pytest.fixture(scope="module")
def prod_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Cli:
    """The pools recorded, and cluster prod planned (plan 1) and applied in them."""
    cli = Cli(sqlite_template, CliRunner()).copy(tmp_path_factory.mktemp("clusters") / "prod.db")
    cli.ok("space", "create", "lab")
    cli.ok("group", "create", "kubernetes/prod", "--parents")
    for pool in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"):
        cli.ok("prefix", "create", pool)
    cli.ok("cluster", "plan", "prod", "--nodes", "100", "--group", "kubernetes/prod", *POOLS)
    cli.ok("plan", "apply", "1")
    return cli


@pytest.fixture
def prod(prod_template: Cli, tmp_path: Path) -> Cli:
    return prod_template.copy(tmp_path / "ledger.db")


def cluster_networks(cli: Cli, name: str) -> dict[str, str]:
    """network -> role of every prefix the cluster manages, from `prefix list`."""
    prefixes = cli.json("prefix", "list")["prefixes"]
    return {item["network"]: item["role"] for item in prefixes if item["managed_by"] == f"cluster:{name}"}


def proposed_networks(plan: dict[str, Any]) -> dict[str, str]:
    return {
        change["prefix"]: change["role"]
        for change in plan["body"]["changes"]
        if change["kind"] == "prefix" and change["action"] == "create"
    }


def words(text: str) -> str:
    return " ".join(text.split())


# create, show, list, update, delete


def test_cluster_create_confirms(cli: Cli) -> None:
    assert cli.ok("cluster", "create", "prod-eu-1") == "recorded cluster prod-eu-1 (version 1)\n"


def test_cluster_create_records_every_field(cli: Cli) -> None:
    cli.ok("group", "create", "kubernetes/prod", "--parents")
    created = cli.json(
        "cluster",
        "create",
        "prod-eu-1",
        "--group",
        "kubernetes/prod",
        "--provider",
        "eks",
        "--ipam-mode",
        "aws-vpc-cni",
        "--max-pods",
        "58",
        "--nodes",
        "40",
        "--growth",
        "1.5",
        "--services",
        "500",
        "--enis",
        "4",
        "--ips-per-eni",
        "15",
        "--vcpus",
        "2",
        "--dual-stack",
        "--description",
        "EU",
    )
    assert {key: created[key] for key in created if key not in ("id", "created_at", "updated_at")} == {
        "name": "prod-eu-1",
        "space": "global",
        "group": "kubernetes/prod",
        "status": "active",
        "provider": "eks",
        "ipam_mode": "aws-vpc-cni",
        "max_pods": 58,
        "node_prefixlen": None,
        "node_prefixlen_v6": None,
        "expected_nodes": 40,
        "growth": 1.5,
        "expected_services": 500,
        "eni_count": 4,
        "ips_per_eni": 15,
        "vcpus": 2,
        "dual_stack": True,
        "description": "EU",
        "version": 1,
        "sync_kubeconfig": None,
        "sync_context": None,
        "sync_every_minutes": None,
    }
    assert cli.json("cluster", "show", "prod-eu-1")["cluster"] == created


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--ipam-mode", "nope"], f"unknown ipam mode 'nope': expected one of {MODES}", id="mode"
        ),
        pytest.param(
            ["--provider", "nope"],
            "unknown provider 'nope': expected one of bare-metal, eks, gke, aks, other",
            id="provider",
        ),
        pytest.param(["--growth", "0.5"], "growth 0.5: must be finite and at least 1", id="growth"),
        pytest.param(["--max-pods", "0"], "max pods 0: must be at least 1", id="max-pods"),
        pytest.param(
            ["--ipam-mode", "aws-vpc-cni", "--node-prefixlen", "26"], "has no per-node blocks", id="block"
        ),
        pytest.param(["--space", "nope"], "no space named 'nope'", id="space"),
        pytest.param(["--group", "nope"], "no group 'nope'", id="group"),
        pytest.param(
            ["--enis", "3", "--ips-per-eni", "10"],
            "ENI figures apply to the AWS VPC CNI modes, not kube-controller-manager",
            id="enis-without-aws",
        ),
        pytest.param(
            ["--ipam-mode", "aws-vpc-cni", "--enis", "3"],
            "eni_count and ips_per_eni go together",
            id="enis-alone",
        ),
    ],
)
def test_cluster_create_refuses_bad_input_and_writes_nothing(cli: Cli, args: list[str], message: str) -> None:
    before = cli.change_ids()
    assert_error(cli("cluster", "create", "prod-eu-1", *args), message)
    assert cli.change_ids() == before


def test_cluster_create_refuses_a_bad_name(cli: Cli) -> None:
    assert_error(cli("cluster", "create", "bad name"), "cluster name 'bad name' must start with a letter")


def test_cluster_create_refuses_a_duplicate(prod: Cli) -> None:
    assert_error(prod("cluster", "create", "prod"), "cluster prod already exists (status active)")


def test_cluster_show_gives_settings_networks_and_capacity(prod: Cli) -> None:
    text = prod.ok("cluster", "show", "prod")
    assert "prod (active)" in text.splitlines()[0]
    assert "global / kubernetes/prod" in text
    assert "100 x 2" in text
    rows = text.split("Networks:\n")[1].split("\n\n")[0].splitlines()
    assert {row.split()[1]: row.split()[0] for row in rows[1:]} == PROD_NETWORKS
    assert "Capacity (IPv4):" in text
    assert text.endswith("Findings: none\n")


def test_cluster_show_names_the_other_spaces_its_networks_are_in(prod: Cli) -> None:
    prod.ok("space", "create", "v6")
    prod.ok(
        "prefix", "create", "fd00:10::/56", "--space", "v6", "--role", "pod", "--managed-by", "cluster:prod"
    )

    text = prod.ok("cluster", "show", "prod")

    assert "global (networks also in v6) / kubernetes/prod" in text
    rows = text.split("Networks:\n")[1].split("\n\n")[0].splitlines()
    assert rows[0].split()[:3] == ["ROLE", "NETWORK", "SPACE"]
    assert ["pod", "fd00:10::/56", "v6"] in [row.split()[:3] for row in rows[1:]]


def test_cluster_show_lists_every_setting(cli: Cli) -> None:
    cli.ok(
        "cluster", "create", "eks-1", "--provider", "eks", "--ipam-mode", "aws-vpc-cni-prefix", "--max-pods", "250",
        "--services", "3000", "--enis", "3", "--ips-per-eni", "10", "--vcpus", "2", "--dual-stack",
        "--node-prefixlen-v6", "80", "--description", "EU web tier",
    )  # fmt: skip
    lines = cli.ok("cluster", "show", "eks-1").split("\n\n")[0].splitlines()
    fields = dict(re.split(r" {2,}", line, maxsplit=1) for line in lines)
    assert fields["node block (IPv4)"] == "mode default"
    assert fields["node block (IPv6)"] == "/80"
    assert fields["expected Services"] == "3000"
    assert fields["instance (AWS)"] == "3 ENIs x 10 IPv4 addresses, 2 vCPUs"
    assert fields["dual-stack"] == "yes"
    assert fields["description"] == "EU web tier"


def test_cluster_show_warns_when_max_pods_exceeds_the_enis(cli: Cli) -> None:
    # Prefix delegation: 3 x (10 - 1) x 16 + 2 = 434, capped at 110 for 2 vCPUs.
    args = ("--ipam-mode", "aws-vpc-cni-prefix", "--max-pods", "250", "--enis", "3", "--ips-per-eni", "10")
    cli.ok("cluster", "create", "eks-1", "--provider", "eks", *args, "--vcpus", "2")
    text = " ".join(cli.ok("cluster", "show", "eks-1").split())
    assert "warning: max pods 250 exceeds the 110 pods these ENIs can address" in text
    assert "pods the ENIs allow 110 3 ENIs x (10 - 1) x 16 + 2, capped for 2 vCPUs = 110" in text


def test_cluster_show_as_json_gives_networks_and_capacity(prod: Cli) -> None:
    detail = prod.json("cluster", "show", "prod")
    assert set(detail) == {"cluster", "prefixes", "ranges", "capacity", "findings", "last_sync"}
    assert detail["last_sync"] is None
    assert {item["network"]: item["role"] for item in detail["prefixes"]} == PROD_NETWORKS
    [(family, worked)] = detail["capacity"]
    assert (family, worked["nodes_needed"], worked["node_capacity"], worked["headroom_nodes"]) == (
        4,
        200,
        256,
        56,
    )
    assert detail["findings"] == []


def test_cluster_show_of_an_unknown_cluster_names_the_known_ones(prod: Cli) -> None:
    assert_error(prod("cluster", "show", "nope"), "no cluster named 'nope' (clusters: prod)")


def test_cluster_list_gives_networks_and_headroom(prod: Cli) -> None:
    lines = prod.ok("cluster", "list").splitlines()
    assert lines[0].split() == [
        "CLUSTER",
        "STATUS",
        "MODE",
        "POD",
        "SERVICE",
        "NODE",
        "POD",
        "USED",
        "HEADROOM",
    ]
    assert lines[1].split() == [
        "prod",
        "active",
        "kube-controller-manager",
        "10.0.0.0/16",
        "172.16.0.0/20",
        "192.168.0.0/24",
        "0.0%",
        "56",
        "nodes",
    ]


def test_cluster_list_as_json(prod: Cli) -> None:
    [summary] = prod.json("cluster", "list")
    assert set(summary) == {"cluster", "networks", "pod_percent", "headroom_nodes"}
    assert summary["networks"] == {
        "pod": ["10.0.0.0/16"],
        "service": ["172.16.0.0/20"],
        "node": ["192.168.0.0/24"],
        "expansion-reserve": ["10.1.0.0/16", "172.16.16.0/20", "192.168.1.0/24"],
    }
    assert (summary["pod_percent"], summary["headroom_nodes"]) == (0.0, 56)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], ["lab-1", "prod"], id="all"),
        pytest.param(["--space", "lab"], ["lab-1"], id="space"),
        pytest.param(["--group", "kubernetes"], ["prod"], id="group-tree"),
    ],
)
def test_cluster_list_filters(prod: Cli, args: list[str], expected: list[str]) -> None:
    prod.ok("cluster", "create", "lab-1", "--space", "lab")
    assert sorted(item["cluster"]["name"] for item in prod.json("cluster", "list", *args)) == expected


def test_cluster_list_says_when_there_is_none(cli: Cli) -> None:
    assert cli.ok("cluster", "list") == "no clusters\n"


def test_cluster_update_changes_only_the_given_fields(prod: Cli) -> None:
    assert prod.ok("cluster", "update", "prod", "--max-pods", "50") == "updated cluster prod (version 2)\n"
    shown = prod.json("cluster", "show", "prod")["cluster"]
    assert (shown["max_pods"], shown["expected_nodes"], shown["group"]) == (50, 100, "kubernetes/prod")


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        pytest.param([], "nothing to change: give at least one field option", 2, id="nothing"),
        pytest.param(
            ["--description", "x", "--version", "7"],
            "cluster prod is at version 1, not 7; reload and retry",
            1,
            id="stale",
        ),
        pytest.param(
            ["--ipam-mode", "nope"], f"unknown ipam mode 'nope': expected one of {MODES}", 1, id="mode"
        ),
        pytest.param(["--growth", "0.9"], "growth 0.9: must be finite and at least 1", 1, id="growth"),
    ],
)
def test_cluster_update_refuses_a_bad_change(
    prod: Cli, args: list[str], message: str, exit_code: int
) -> None:
    assert_error(prod("cluster", "update", "prod", *args), message, exit_code=exit_code)
    assert prod.json("cluster", "show", "prod")["cluster"]["version"] == 1


def test_cluster_delete_refuses_a_cluster_that_manages_networks(prod: Cli) -> None:
    assert_error(
        prod("cluster", "delete", "prod"),
        "cluster prod still manages 6 prefix(es) or range(s): decommission it first",
    )


def test_cluster_delete_forgets_a_cluster_without_networks(cli: Cli) -> None:
    cli.ok("cluster", "create", "prod-eu-1")
    assert cli.ok("cluster", "delete", "prod-eu-1") == "deleted cluster prod-eu-1\n"
    assert cli.json("cluster", "list") == []


# plan


def test_cluster_plan_places_each_network_with_its_reserve(cli: Cli) -> None:
    plan = cli.json("cluster", "plan", "prod", "--nodes", "100", *POOLS)
    assert (plan["status"], plan["kind"], plan["cluster"]) == ("proposed", "create-cluster", "prod")
    assert proposed_networks(plan) == PROD_NETWORKS
    assert all(check["ok"] for check in plan["body"]["checks"])


def test_cluster_plan_allocates_nothing_until_applied(cli: Cli) -> None:
    before = cli.json("prefix", "list")["prefixes"]
    cli.ok("cluster", "plan", "prod", *POOLS)
    assert cli.json("prefix", "list")["prefixes"] == before
    assert cli.json("cluster", "list") == []


@pytest.mark.parametrize(
    ("args", "note"),
    [
        pytest.param([], "max pods: 110 (default: the kubelet's default maxPods)", id="max-pods"),
        pytest.param([], "growth: 2.0 (default: room to double the cluster)", id="growth"),
        pytest.param([], "expected nodes: 3 (default: a minimal highly-available control plane)", id="nodes"),
        pytest.param([], "node prefixlen: /24 (default: the IPAM mode's default per-node block)", id="block"),
        pytest.param(
            ["--ipam-mode", "calico"],
            "node prefixlen: /26 (default: the IPAM mode's default",
            id="mode-block",
        ),
        pytest.param(
            [
                "--dual-stack",
                "--pod-pool",
                "fd00::/48",
                "--service-pool",
                "fd01::/48",
                "--node-pool",
                "fd02::/48",
            ],
            "node prefixlen v6: /64 (default: the IPAM mode's default per-node block)",
            id="block-v6",
        ),
    ],
)
def test_cluster_plan_states_the_defaults_it_used(cli: Cli, args: list[str], note: str) -> None:
    text = cli.ok("cluster", "plan", "prod", *POOLS, *args)
    inputs = text.split("\nInputs:\n")[1].split("\n\n")[0]
    assert any(line.startswith(f"  {note}") for line in inputs.splitlines()), inputs


@pytest.mark.parametrize(
    ("args", "left_out"),
    [
        pytest.param(["--max-pods", "110"], "max pods:", id="max-pods"),
        pytest.param(["--growth", "2"], "growth:", id="growth"),
        pytest.param(["--nodes", "3"], "expected nodes:", id="nodes"),
    ],
)
def test_cluster_plan_states_no_default_for_a_given_value(cli: Cli, args: list[str], left_out: str) -> None:
    inputs = cli.json("cluster", "plan", "prod", *POOLS, *args)["body"]["inputs"]["notes"]
    assert not [note for note in inputs if note.startswith(left_out)]


def test_cluster_plan_ends_with_the_apply_hint(cli: Cli) -> None:
    text = cli.ok("cluster", "plan", "prod", *POOLS)
    assert text.endswith("\nApply with `ipledger plan apply 1`, or `ipledger plan discard 1`.\n")


def test_cluster_plan_takes_the_pools_of_the_group(cli: Cli) -> None:
    cli.ok("group", "create", "kubernetes/prod", "--parents")
    cli.ok("prefix", "create", "10.0.0.0/8", "--group", "kubernetes", "--tag", "pool:pod")
    cli.ok("prefix", "create", "172.16.0.0/12", "--group", "kubernetes", "--tag", "pool:service")
    cli.ok("prefix", "create", "192.168.0.0/16", "--group", "kubernetes/prod", "--tag", "pool:node")
    plan = cli.json("cluster", "plan", "prod", "--nodes", "100", "--group", "kubernetes/prod")
    assert proposed_networks(plan) == PROD_NETWORKS
    assert {change.get("group") for change in plan["body"]["changes"][1:]} == {"kubernetes/prod"}
    assert (
        "node pools for IPv4 from group kubernetes/prod (tagged pool:node)" in plan["body"]["inputs"]["notes"]
    )
    assert "pod pools for IPv4 from group kubernetes (tagged pool:pod)" in plan["body"]["inputs"]["notes"]


def test_cluster_plan_dual_stack_places_both_families(cli: Cli) -> None:
    v6 = ("--pod-pool", "fd00::/48", "--service-pool", "fd01::/48", "--node-pool", "fd02::/48")
    plan = cli.json("cluster", "plan", "prod", "--nodes", "10", "--dual-stack", *POOLS, *v6)
    assert proposed_networks(plan) == {
        "10.0.0.0/19": "pod",
        "10.0.32.0/19": "expansion-reserve",
        "172.16.0.0/20": "service",
        "172.16.16.0/20": "expansion-reserve",
        "192.168.0.0/27": "node",
        "192.168.0.32/27": "expansion-reserve",
        "fd00::/59": "pod",
        "fd00:0:0:20::/59": "expansion-reserve",
        "fd01::/112": "service",
        "fd01::1:0/112": "expansion-reserve",
        "fd02::/64": "node",  # SLAAC and the clouds need a /64
        "fd02:0:0:1::/64": "expansion-reserve",
    }
    assert set(plan["body"]["capacity"]) == {"IPv4", "IPv6"}


def test_cluster_plan_ipv6_node_subnet_length_given_is_used(cli: Cli) -> None:
    v6 = ("--pod-pool", "fd00::/48", "--service-pool", "fd01::/48", "--node-pool", "fd02::/48")
    args = ("--nodes", "10", "--dual-stack", "--node-subnet-prefixlen-v6", "123", *POOLS, *v6)
    placed = proposed_networks(cli.json("cluster", "plan", "prod", *args))
    assert (placed["fd02::/123"], placed["fd02::20/123"]) == ("node", "expansion-reserve")


def test_cluster_plan_sizes_a_load_balancer_pool(cli: Cli) -> None:
    plan = cli.json("cluster", "plan", "prod", *POOLS, "--lb-pool", "198.51.100.0/24", "--lb-addresses", "20")
    placed = proposed_networks(plan)
    assert (placed["198.51.100.0/27"], placed["198.51.100.32/27"]) == ("loadbalancer", "expansion-reserve")


@pytest.mark.parametrize(
    ("taken", "pod_pool", "message"),
    [
        pytest.param(
            [],
            "10.0.0.0/24",
            "the pod network (/16 with its expansion reserve) fits in no pool: 10.0.0.0/24 is smaller than a /15",
            id="pool-smaller",
        ),
        pytest.param(
            ["10.0.0.0/24"],
            "10.0.0.0/15",
            "the pod network (/16 with its expansion reserve) fits in no pool: "
            "10.0.0.0/15 has no free /15 (largest free block: /16)",
            id="pool-taken",
        ),
        # The two cases README.md quotes.
        pytest.param(
            [],
            "10.0.0.0/16",
            "the pod network (/16 with its expansion reserve) fits in no pool: 10.0.0.0/16 is smaller than a /15",
            id="readme-pool-smaller",
        ),
        pytest.param(
            ["10.0.0.0/14", "10.0.0.0/16", "10.2.0.0/16"],
            "10.0.0.0/14",
            "the pod network (/16 with its expansion reserve) fits in no pool: "
            "10.0.0.0/14 has no free /15 (largest free block: /16)",
            id="readme-pool-full",
        ),
    ],
)
def test_cluster_plan_refuses_a_pool_too_small_and_saves_no_plan(
    cli: Cli, taken: list[str], pod_pool: str, message: str
) -> None:
    for network in taken:
        cli.ok("prefix", "create", network)
    before = cli.change_ids()
    args = ("--pod-pool", pod_pool, "--service-pool", "172.16.0.0/12", "--node-pool", "192.168.0.0/16")
    assert_error(cli("cluster", "plan", "prod", "--nodes", "100", *args), message)
    assert cli.json("plan", "list") == []
    assert cli.change_ids() == before


@pytest.mark.parametrize(
    "option", ["--pod-pool", "--service-pool", "--node-pool", "--lb-pool"], ids=lambda option: option[2:]
)
def test_cluster_plan_refuses_a_pool_with_host_bits(cli: Cli, option: str) -> None:
    result = cli("cluster", "plan", "prod", *POOLS, option, "10.0.0.1/8")
    assert_error(result, "10.0.0.1/8: host bits set; did you mean 10.0.0.0/8?")
    assert cli.json("plan", "list") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--ipam-mode", "nope"], f"unknown ipam mode 'nope': expected one of {MODES}", id="mode"
        ),
        pytest.param(
            ["--provider", "nope"], "unknown provider 'nope': expected one of bare-metal", id="provider"
        ),
        pytest.param(["--growth", "0.5"], "growth 0.5: must be finite and at least 1", id="growth"),
        pytest.param(["--space", "nope"], "no space named 'nope'", id="space"),
    ],
)
def test_cluster_plan_refuses_bad_fields_and_saves_no_plan(cli: Cli, args: list[str], message: str) -> None:
    assert_error(cli("cluster", "plan", "prod", *POOLS, *args), message)
    assert cli.json("plan", "list") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--pod-pool", "10.0.0.0/8", "--node-pool", "192.168.0.0/16"],
            "no IPv4 pool for the service network: give --service-pool CIDR",
            id="service",
        ),
        pytest.param(
            ["--pod-pool", "10.0.0.0/8", "--service-pool", "172.16.0.0/12"],
            "no IPv4 pool for the node network: give --node-pool CIDR",
            id="node",
        ),
        pytest.param(
            [*POOLS, "--dual-stack"],
            "no IPv6 pool for the pod network: give --pod-pool CIDR",
            id="dual-stack",
        ),
    ],
)
def test_cluster_plan_needs_a_pool_for_each_network(cli: Cli, args: list[str], message: str) -> None:
    assert_error(cli("cluster", "plan", "prod", *args), message)


def test_cluster_plan_refuses_an_existing_cluster(prod: Cli) -> None:
    assert_error(
        prod("cluster", "plan", "prod", *POOLS),
        "cluster prod already exists: plan its growth with `ipledger cluster grow prod`",
    )


def test_cluster_plan_names_the_real_option_for_a_missing_load_balancer_pool(cli: Cli) -> None:
    assert_error(
        cli("cluster", "plan", "prod", *POOLS, "--lb-addresses", "20"),
        "no IPv4 pool for the loadbalancer network: give --lb-pool CIDR",
    )


def test_cluster_plan_does_not_ignore_a_load_balancer_pool(cli: Cli) -> None:
    result = cli("cluster", "plan", "prod", *POOLS, "--lb-pool", "198.51.100.0/24", "--format", "json")
    if result.exit_code == 0:
        assert "loadbalancer" in proposed_networks(json.loads(result.stdout)).values()


def test_cluster_plan_states_the_defaults_of_an_ipv6_only_cluster(cli: Cli) -> None:
    v6 = ("--pod-pool", "fd00::/48", "--service-pool", "fd01::/48", "--node-pool", "fd02::/48")
    notes = cli.json("cluster", "plan", "prod", *v6)["body"]["inputs"]["notes"]
    assert "node prefixlen v6: /64 (default: the IPAM mode's default per-node block)" in notes
    assert not [note for note in notes if note.startswith("node prefixlen: ")]


def test_cluster_plan_keeps_its_networks_apart_in_nested_pools(cli: Cli) -> None:
    args = ("--pod-pool", "10.0.0.0/8", "--service-pool", "10.0.0.0/16", "--node-pool", "192.168.0.0/16")
    plan = cli.json("cluster", "plan", "prod", *args)
    assert [check["detail"] for check in plan["body"]["checks"] if not check["ok"]] == []


# grow


def test_cluster_grow_plans_widening_into_the_reserve(prod: Cli) -> None:
    plan = prod.json("cluster", "grow", "prod")
    assert (plan["status"], plan["kind"]) == ("proposed", "grow-cluster")
    assert plan["summary"] == "grow cluster prod: pod 10.0.0.0/16 to 10.0.0.0/15 (its reserve 10.1.0.0/16)"
    assert [(change["action"], change["prefix"], change["to"]) for change in plan["body"]["changes"]] == [
        ("resize", "10.0.0.0/16", "10.0.0.0/15"),
    ]
    assert cluster_networks(prod, "prod") == PROD_NETWORKS


@pytest.mark.parametrize(
    ("args", "old", "reserve", "wider"),
    [
        pytest.param([], "10.0.0.0/16", "10.1.0.0/16", "10.0.0.0/15", id="pod"),
        pytest.param(["--role", "service"], "172.16.0.0/20", "172.16.16.0/20", "172.16.0.0/19", id="service"),
        pytest.param(["--role", "node"], "192.168.0.0/24", "192.168.1.0/24", "192.168.0.0/23", id="node"),
    ],
)
def test_cluster_grow_applied_widens_the_network(
    prod: Cli, args: list[str], old: str, reserve: str, wider: str
) -> None:
    plan_id = prod.json("cluster", "grow", "prod", *args)["id"]
    prod.ok("plan", "apply", str(plan_id))
    expected = {key: value for key, value in PROD_NETWORKS.items() if key not in (old, reserve)}
    assert cluster_networks(prod, "prod") == {**expected, wider: PROD_NETWORKS[old]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--family", "6"], "cluster prod has no IPv6 pod network to grow", id="family"),
        pytest.param(
            ["--role", "loadbalancer"], "cluster prod has no IPv4 loadbalancer network to grow", id="role"
        ),
    ],
)
def test_cluster_grow_needs_the_network(prod: Cli, args: list[str], message: str) -> None:
    assert_error(prod("cluster", "grow", "prod", *args), message)


def test_cluster_grow_needs_a_reserve(prod: Cli) -> None:
    prod.ok("plan", "apply", str(prod.json("cluster", "grow", "prod")["id"]))
    assert_error(
        prod("cluster", "grow", "prod"),
        "10.0.0.0/15 of cluster prod has no expansion reserve after it (10.0.0.0/14 would be needed)",
    )


def test_cluster_grow_into_a_used_reserve_fails_its_check(prod: Cli) -> None:
    prod.ok("allocate", "address", "10.1.0.0/16")
    text = prod.ok("cluster", "grow", "prod")
    assert re.search(r"FAILED +reserve is empty +10\.1\.0\.0/16 holds 1 address\(es\)", text)
    assert re.search(r"ok +outside other clusters +10\.0\.0\.0/15 lies in no other cluster's network", text)
    assert_error(prod("plan", "apply", "2"), "plan 2 failed 1 check(s) when it was made")
    assert cluster_networks(prod, "prod") == PROD_NETWORKS


# decommission


def test_cluster_decommission_release_frees_its_networks_and_addresses(prod: Cli) -> None:
    prod.ok("allocate", "address", "192.168.0.0/24", "--count", "3")
    plan = prod.json("cluster", "decommission", "prod", "--release")
    assert plan["summary"] == "decommission cluster prod: 6 prefix(es), 0 range(s) released"
    prod.ok("plan", "apply", str(plan["id"]))
    assert cluster_networks(prod, "prod") == {}
    assert prod.json("address", "list") == []
    assert prod.json("cluster", "show", "prod")["cluster"]["status"] == "decommissioned"


def test_cluster_decommission_deprecate_keeps_its_networks(prod: Cli) -> None:
    prod.ok("range", "create", "192.168.0.10-192.168.0.19", "--managed-by", "cluster:prod")
    plan = prod.json("cluster", "decommission", "prod")
    assert plan["summary"] == "decommission cluster prod: 6 prefix(es), 1 range(s) marked deprecated"
    prod.ok("plan", "apply", str(plan["id"]))
    prefixes = prod.json("prefix", "list")["prefixes"]
    statuses = {item["network"]: item["status"] for item in prefixes if item["managed_by"] == "cluster:prod"}
    assert statuses == dict.fromkeys(PROD_NETWORKS, "deprecated")
    assert [item["status"] for item in prod.json("range", "list")] == ["deprecated"]


def test_cluster_decommission_refuses_a_decommissioned_cluster(prod: Cli) -> None:
    prod.ok("plan", "apply", str(prod.json("cluster", "decommission", "prod")["id"]))
    assert_error(prod("cluster", "decommission", "prod"), "cluster prod is already decommissioned")


def test_cluster_lifecycle_leaves_the_ledger_as_before(cli: Cli) -> None:
    """plan -> apply -> grow -> apply -> decommission --release -> apply -> delete."""
    for pool in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"):
        cli.ok("prefix", "create", pool)
    before = cli.json("prefix", "list")
    plan = cli.json("cluster", "plan", "prod", "--nodes", "100", *POOLS)
    cli.ok("plan", "apply", str(plan["id"]))
    assert cluster_networks(cli, "prod") == proposed_networks(plan) == PROD_NETWORKS
    cli.ok("plan", "apply", str(cli.json("cluster", "grow", "prod")["id"]))
    assert cli.json("cluster", "list")[0]["networks"]["pod"] == ["10.0.0.0/15"]
    cli.ok("plan", "apply", str(cli.json("cluster", "decommission", "prod", "--release")["id"]))
    cli.ok("cluster", "delete", "prod")
    assert cli.json("prefix", "list") == before
    assert [item["status"] for item in cli.json("plan", "list")] == ["applied"] * 3


# overlaps


@pytest.fixture
def overlapping(prod: Cli) -> Cli:
    """prod (global) and two recorded clusters: other in global, lab-1 in lab, both over prod's pods."""
    prod.ok("cluster", "create", "other")
    prod.ok("prefix", "create", "10.0.128.0/17", "--role", "pod", "--managed-by", "cluster:other")
    prod.ok("cluster", "create", "lab-1", "--space", "lab")
    prod.ok(
        "prefix", "create", "10.0.0.0/16", "--space", "lab", "--role", "pod", "--managed-by", "cluster:lab-1"
    )
    return prod


def test_cluster_overlaps_in_one_space_exits_with_1(overlapping: Cli) -> None:
    result = overlapping("cluster", "overlaps")
    assert (result.exit_code, result.stderr) == (1, "")
    rows = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert sorted(rows) == ["error", "info", "info"]
    assert (
        "cluster other's pod network 10.0.128.0/17 overlaps cluster prod's pod network 10.0.0.0/16 in space global"
        in words(result.stdout)
    )


def test_cluster_overlaps_across_spaces_is_information(overlapping: Cli) -> None:
    findings = overlapping.json("cluster", "overlaps", "--space", "lab")
    assert [(item["severity"], item["kind"]) for item in findings] == [("info", "clusters-overlap")] * 2
    assert set(findings[0]) == {"severity", "kind", "subject", "message"}


def test_cluster_overlaps_as_json_exits_with_1_on_an_error(overlapping: Cli) -> None:
    result = overlapping("cluster", "overlaps", "--format", "json")
    assert result.exit_code == 1
    assert "error" in [item["severity"] for item in json.loads(result.stdout)]


def test_cluster_overlaps_says_when_there_is_none(prod: Cli) -> None:
    assert prod.ok("cluster", "overlaps") == "no overlapping cluster networks\n"


# help


@pytest.mark.parametrize(
    ("command", "phrase"),
    [
        pytest.param("", "Kubernetes clusters: their pod, service and node networks", id="group"),
        pytest.param("create", "Record an existing cluster", id="create"),
        pytest.param("show", "its settings, networks with utilization, capacity worked out", id="show"),
        pytest.param("list", "Every cluster with its networks", id="list"),
        pytest.param("update", "Change a cluster's settings", id="update"),
        pytest.param("delete", "Forget a cluster that manages no network", id="delete"),
        pytest.param("plan", "Plan a new cluster's networks and save the plan for review", id="plan"),
        pytest.param("grow", "widening a network of the cluster into its expansion reserve", id="grow"),
        pytest.param("decommission", "released or marked deprecated", id="decommission"),
        pytest.param("overlaps", "Networks of different clusters that overlap", id="overlaps"),
    ],
)
def test_cluster_help_says_what_it_does(cli: Cli, command: str, phrase: str) -> None:
    args = ["cluster", *command.split(), "--help"]
    result = cli(*args)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: ipledger {' '.join(args[:-1])} ")
    assert phrase in words(result.stdout)


def test_cluster_plan_help_states_the_defaults(cli: Cli) -> None:
    text = words(cli.ok("cluster", "plan", "--help"))
    assert "Pods per node (the kubelet's default is 110). [default: 110]" in text
    assert "--pod-pool CIDR" in text
    assert "ipledger plan apply ID" in text
