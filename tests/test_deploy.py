"""The deployment files under deploy/ hold together: the Kubernetes manifests parse, name each
other consistently (namespace, ServiceAccount, Secret keys, ConfigMap, labels, ports), grant
exactly the read-only rules a sync needs, and probe endpoints the app serves; the systemd unit
runs options `ipledger serve` has, with every variable set in the example environment file."""

from __future__ import annotations

import asyncio
import configparser
import re
import shlex
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ipledger.api.app import create_app
from ipledger.cli.app import main as cli
from ipledger.kube.live import CLUSTER_ROLE
from ipledger.service.ledger import Ledger

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
NAMESPACE = "ipledger"
SA_FOLDER = "/var/run/secrets/kubernetes.io/serviceaccount"


def _documents() -> list[dict[str, Any]]:
    found = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        found.extend(document for document in yaml.safe_load_all(path.read_text()) if document)
    return found


def _one(kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [
        document
        for document in _documents()
        if document["kind"] == kind and (name is None or document["metadata"]["name"] == name)
    ]
    assert len(matches) == 1, f"{kind} {name}: {len(matches)} found"
    return matches[0]


def _container() -> dict[str, Any]:
    (container,) = _one("Deployment")["spec"]["template"]["spec"]["containers"]
    return container


def test_deploy_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(
        path.name for path in KUBERNETES.glob("*.yaml") if path.name != "kustomization.yaml"
    )


def test_deploy_manifests_are_the_kinds_needed_in_one_namespace() -> None:
    kinds = sorted(document["kind"] for document in _documents())
    assert kinds == sorted(
        [
            "Namespace",
            "Secret",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "Deployment",
            "Service",
        ]
    )
    for document in _documents():
        assert {"apiVersion", "kind", "metadata"} <= set(document)
        if document["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            assert document["metadata"]["namespace"] == NAMESPACE, document["kind"]
    assert _one("Namespace")["metadata"]["name"] == NAMESPACE


def test_deploy_cluster_role_grants_exactly_what_the_sync_reads() -> None:
    expected = yaml.safe_load(CLUSTER_ROLE)
    role = _one("ClusterRole")
    assert role["metadata"]["name"] == expected["metadata"]["name"]
    assert role["rules"] == expected["rules"]
    assert {verb for rule in role["rules"] for verb in rule["verbs"]} == {"list"}


def test_deploy_binding_gives_the_role_to_the_deployment_service_account() -> None:
    binding = _one("ClusterRoleBinding")
    account = _one("ServiceAccount")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": _one("ClusterRole")["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": NAMESPACE}
    ]
    assert _one("Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"]


def test_deploy_environment_comes_from_keys_the_secret_has() -> None:
    secret = _one("Secret")
    names = {item["name"]: item["valueFrom"]["secretKeyRef"] for item in _container()["env"]}
    assert set(names) == {"IPLEDGER_DATABASE", "IPLEDGER_ADMIN_PASSWORD"}
    for reference in names.values():
        assert reference["name"] == secret["metadata"]["name"]
        assert reference["key"] in secret["stringData"]
    assert secret["stringData"]["url"].startswith("postgresql://")


def test_deploy_kubeconfig_volume_uses_the_service_account_token() -> None:
    config_map = _one("ConfigMap")
    pod = _one("Deployment")["spec"]["template"]["spec"]
    (volume,) = [volume for volume in pod["volumes"] if "configMap" in volume]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert [item["key"] for item in volume["configMap"]["items"]] == ["kubeconfig"]
    mounts = {mount["name"]: mount["mountPath"] for mount in _container()["volumeMounts"]}
    assert mounts[volume["name"]] == "/etc/ipledger/kube"
    assert "/etc/ipledger/kube/kubeconfig" in config_map["metadata"].get("annotations", {}).get(
        "usage", ""
    ) or ("/etc/ipledger/kube/kubeconfig" in (KUBERNETES / "configmap.yaml").read_text())
    kubeconfig = yaml.safe_load(config_map["data"]["kubeconfig"])
    (cluster,) = kubeconfig["clusters"]
    (user,) = kubeconfig["users"]
    assert cluster["cluster"]["certificate-authority"] == f"{SA_FOLDER}/ca.crt"
    assert user["user"] == {"tokenFile": f"{SA_FOLDER}/token"}
    assert kubeconfig["current-context"] in [context["name"] for context in kubeconfig["contexts"]]


def test_deploy_service_reaches_the_pods_on_their_named_port() -> None:
    service = _one("Service")
    deployment = _one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    ports = {port["name"]: port["containerPort"] for port in _container()["ports"]}
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] in ports
    args = _container()["args"]
    assert str(ports[service_port["targetPort"]]) == args[args.index("--port") + 1]


def test_deploy_probes_ask_endpoints_the_app_serves(ledger: Ledger) -> None:
    container = _container()
    ports = {port["name"] for port in container["ports"]}
    probes = {
        name: container[name]["httpGet"] for name in ("livenessProbe", "readinessProbe", "startupProbe")
    }
    assert probes["livenessProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    app = create_app(ledger)

    async def status_of(path: str) -> int:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pod") as client:
            return (await client.get(path)).status_code

    for probe in probes.values():
        assert asyncio.run(status_of(probe["path"])) == 200, probe["path"]
        assert probe["port"] in ports


def _serve_options() -> set[str]:
    serve = cli.commands["serve"]  # type: ignore[attr-defined]
    return {option for parameter in serve.params for option in parameter.opts}


def test_deploy_container_runs_options_serve_has() -> None:
    args = _container()["args"]
    assert args[0] == "serve"
    assert {arg for arg in args if arg.startswith("--")} <= _serve_options()
    workers = int(args[args.index("--workers") + 1])
    assert workers >= 1


@pytest.fixture
def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / "ipledger.service")
    return parser


def test_deploy_systemd_unit_runs_serve_with_its_options(unit: configparser.ConfigParser) -> None:
    command = shlex.split(unit["Service"]["ExecStart"])
    assert command[0].endswith("/ipledger") and command[1] == "serve"
    assert {arg for arg in command if arg.startswith("--")} <= _serve_options()
    assert unit["Service"]["EnvironmentFile"] == "/etc/ipledger/ipledger.env"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_deploy_systemd_example_environment_sets_every_variable_the_unit_uses(
    unit: configparser.ConfigParser,
) -> None:
    used = set(re.findall(r"\$\{(\w+)\}", unit["Service"]["ExecStart"]))
    example = (DEPLOY / "systemd" / "ipledger.env.example").read_text()
    assigned = {line.split("=", 1)[0] for line in example.splitlines() if re.match(r"^\w+=", line)}
    assert used <= assigned
    assert "IPLEDGER_DATABASE" in assigned
