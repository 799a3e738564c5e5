"""Readers of a cluster's networking configuration file, so that it can be checked before provisioning.

Four formats are read, told apart by content (or named with ``kind``): kubeadm (a
ClusterConfiguration of kubeadm.k8s.io/v1beta3 or v1beta4, often beside Init, Join, Kubelet and
KubeProxy documents), a k3s or RKE2 ``config.yaml``, a kind ``Cluster`` (v1alpha4) and ipledger's
own ``ClusterSpec``. What a file leaves out is filled with the tool's documented default and named
in ``defaulted`` and ``notes``. The tools' unknown fields are ignored; the ClusterSpec's are errors.

The ClusterSpec (apiVersion ipledger.io/v1) has ``metadata.name`` and, all optional, ``spec``:
space (default global), group, provider, ipamMode, maxPods, nodePrefixLength (IPv4),
nodePrefixLengthIPv6, expectedNodes, growth (a factor >= 1), expectedServices, dualStack,
podCIDRs, serviceCIDRs, nodeCIDRs and loadBalancerPools (CIDRs or start-end ranges; the blocks
of one list are disjoint), and for the AWS VPC CNI the nodes' instance type's eniCount,
ipsPerENI (IPv4 addresses per ENI, given together with eniCount) and vcpus.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ipledger.core.addresses import IPNetwork, parse_address, parse_prefix
from ipledger.core.ranges import IPRange, parse_range
from ipledger.kube.yamlsource import ConfigError, YamlValue, find_document, load_documents

__all__ = ["MAX_CONFIG_BYTES", "ClusterConfig", "ConfigError", "parse_cluster_config", "read_cluster_config"]

MAX_CONFIG_BYTES = 1 << 20
_KINDS = ("kubeadm", "k3s", "rke2", "kind", "ipledger")
_PROVIDERS = ("bare-metal", "eks", "gke", "aks", "other")
_IPAM_MODES = (
    "kube-controller-manager", "flannel", "calico", "cilium-cluster-pool", "cilium-multi-pool",
    "whereabouts", "aws-vpc-cni", "aws-vpc-cni-prefix", "azure-cni-overlay",
)  # fmt: skip
_KUBEADM_VERSIONS = ("kubeadm.k8s.io/v1beta3", "kubeadm.k8s.io/v1beta4")
_KUBELET_VERSIONS = ("kubelet.config.k8s.io/v1beta1",)
_KIND_VERSIONS = ("kind.x-k8s.io/v1alpha4",)
_SPEC_VERSIONS = ("ipledger.io/v1",)
# Networking.serviceSubnet "Defaults to 10.96.0.0/12"; podSubnet has no default.
# https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/#kubeadm-k8s-io-v1beta4-Networking
_KUBEADM_SERVICE_SUBNET = "10.96.0.0/12"
# `--cluster-cidr` (default: 10.42.0.0/16) and `--service-cidr` (default: 10.43.0.0/16), alike in
# https://docs.k3s.io/cli/server and https://docs.rke2.io/reference/server_config
_K3S_DEFAULTS = {
    "cluster-cidr": ("pod_cidrs", "10.42.0.0/16"),
    "service-cidr": ("service_cidrs", "10.43.0.0/16"),
}
# IPv4 and IPv6 from https://kind.sigs.k8s.io/docs/user/configuration/#pod-subnet (and
# #service-subnet); dual is both, per SetDefaultsCluster in sigs.k8s.io/kind/pkg/apis/config/v1alpha4.
_KIND_DEFAULTS = {
    "ipv4": ("10.244.0.0/16", "10.96.0.0/16"),
    "ipv6": ("fd00:10:244::/56", "fd00:10:96::/112"),
    "dual": ("10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/16,fd00:10:96::/112"),
}
# Flags of `k3s server` and `rke2 server`; a plain mapping with any of them is a config.yaml.
_K3S_KEYS = frozenset((
    "cluster-cidr", "service-cidr", "cluster-dns", "cluster-domain", "service-node-port-range",
    "flannel-backend", "flannel-ipv6-masq", "flannel-iface", "cni", "disable-network-policy",
    "disable-kube-proxy", "disable", "token", "token-file", "agent-token", "server", "tls-san",
    "node-name", "node-ip", "node-external-ip", "node-label", "node-taint", "write-kubeconfig",
    "write-kubeconfig-mode", "cluster-init", "data-dir", "datastore-endpoint", "selinux", "debug",
    "kube-apiserver-arg", "kube-controller-manager-arg", "kube-scheduler-arg", "kubelet-arg",
    "kube-proxy-arg", "egress-selector-mode", "profile", "system-default-registry",
))  # fmt: skip
_MASK_FLAGS = ("node-cidr-mask-size", "node-cidr-mask-size-ipv4", "node-cidr-mask-size-ipv6")
_SPEC_FIELDS = (
    "space", "group", "provider", "ipamMode", "maxPods", "nodePrefixLength", "nodePrefixLengthIPv6",
    "expectedNodes", "growth", "dualStack", "podCIDRs", "serviceCIDRs", "nodeCIDRs",
    "loadBalancerPools", "expectedServices", "eniCount", "ipsPerENI", "vcpus",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """The networking of one cluster as its configuration file states it.

    ``node_prefixlen`` maps an IP version to the node pod-CIDR length the file sets. ``defaulted``
    names the fields filled from the tool's documented defaults; ``notes`` says which defaults.
    """

    source: str  # "kubeadm" | "k3s" (also RKE2) | "kind" | "ipledger"
    path: str
    name: str | None = None
    pod_cidrs: tuple[IPNetwork, ...] = ()
    service_cidrs: tuple[IPNetwork, ...] = ()
    node_cidrs: tuple[IPNetwork, ...] = ()
    load_balancer_pools: tuple[IPNetwork | IPRange, ...] = ()
    node_prefixlen: dict[int, int] = field(default_factory=dict)
    max_pods: int | None = None
    expected_nodes: int | None = None
    growth: float | None = None
    expected_services: int | None = None
    eni_count: int | None = None
    ips_per_eni: int | None = None
    vcpus: int | None = None
    provider: str | None = None
    ipam_mode: str | None = None
    space: str | None = None
    group: str | None = None
    defaulted: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def read_cluster_config(path: Path, *, kind: str | None = None) -> ClusterConfig:
    """Read a cluster configuration file and parse it with `parse_cluster_config`.

    Raises:
        ConfigError: the file is missing or unreadable, larger than 1 MiB or not UTF-8, or
            `parse_cluster_config` refuses its content.
    """
    name = str(path)
    try:
        with path.open("rb") as stream:
            # Read no more than the limit, but name the whole size when it is over.
            raw = stream.read(MAX_CONFIG_BYTES + 1)
            size = max(len(raw), os.fstat(stream.fileno()).st_size)
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", path=name) from exc
    _check_size(size, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + len(raw) - len(exc.object)  # utf-8-sig reports offsets after a BOM
        line = raw[:offset].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text (byte {offset} is {raw[offset]:#04x})", path=name, line=line
        ) from exc
    return parse_cluster_config(text, path=name, kind=kind)


def parse_cluster_config(text: str, *, path: str, kind: str | None = None) -> ClusterConfig:
    """The cluster networking that ``text`` states; ``path`` names it in messages.

    ``kind`` (kubeadm, k3s, rke2, kind or ipledger) skips detection. A Kubernetes dual-stack list
    (``"a,b"`` or a YAML list where the tool takes one) holds one prefix or one of each family.

    Raises:
        ConfigError: empty, not YAML, not a mapping, of no known format or apiVersion, a
            malformed prefix or host bits set, families mixed wrongly, a value of the wrong type
            or out of range, or an unknown ClusterSpec field.
    """
    _check_size(len(text.encode("utf-8", "surrogatepass")), path)
    if kind is not None and kind not in _KINDS:
        raise ConfigError(f"unknown kind {kind!r}: expected one of {', '.join(_KINDS)}", path=path)
    docs = load_documents(text, path=path)
    if not docs:
        raise ConfigError("the file is empty: expected a cluster configuration", path=path)
    for doc in docs:
        doc.mapping()
    match kind or _detect(docs, path):
        case "kubeadm":
            return _read_kubeadm(docs, path)
        case "kind":
            return _read_kind(find_document(docs, path=path, kind="Cluster", versions=_KIND_VERSIONS), path)
        case "ipledger":
            return _read_spec(
                find_document(docs, path=path, kind="ClusterSpec", versions=_SPEC_VERSIONS), path
            )
    return _read_k3s(docs[0], path)


def _check_size(size: int, path: str) -> None:
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{size} bytes is more than the 1 MiB a cluster configuration may have", path=path)


def _detect(docs: tuple[YamlValue, ...], path: str) -> str:
    for doc in docs:
        api, kind = doc.text_at("apiVersion"), doc.text_at("kind")
        if kind == "ClusterConfiguration" or api.startswith("kubeadm.k8s.io/"):
            return "kubeadm"
        if api.startswith("kind.x-k8s.io/"):
            return "kind"
        if api.startswith("ipledger.io/") or kind == "ClusterSpec":
            return "ipledger"
    keys = docs[0].mapping().keys()
    if len(docs) == 1 and not keys & {"apiVersion", "kind"} and any(k.rstrip("+") in _K3S_KEYS for k in keys):
        return "k3s"
    found = "; ".join(
        f"apiVersion {d.text_at('apiVersion') or '(none)'}, kind {d.text_at('kind') or '(none)'}"
        if d.mapping().keys() & {"apiVersion", "kind"}
        else f"the keys {', '.join(list(d.mapping())[:5]) or '(none)'}"
        for d in docs
    )
    raise ConfigError(
        "cannot tell the format: looked for a kubeadm ClusterConfiguration (kubeadm.k8s.io/v1beta3 or "
        "v1beta4), a kind Cluster (kind.x-k8s.io/v1alpha4), an ipledger ClusterSpec (ipledger.io/v1) "
        f"or k3s/RKE2 config.yaml keys such as cluster-cidr or token; found {found}",
        path=path,
    )


def _dual_stack(node: YamlValue, *, lists: bool = False) -> tuple[IPNetwork, ...]:
    """A Kubernetes dual-stack list: one prefix, or two of different families."""
    prefixes = tuple(value.parse(parse_prefix, text) for value, text in node.pieces(lists=lists))
    if len(prefixes) > 2 or len({prefix.version for prefix in prefixes}) < len(prefixes):
        shown = ",".join(map(str, prefixes))
        raise node.error(f"{shown}: a dual-stack list holds at most one IPv4 and one IPv6 prefix")
    return prefixes


def _node_prefixlens(
    flags: dict[str, YamlValue], pods: tuple[IPNetwork, ...], notes: list[str]
) -> dict[int, int]:
    """The node-cidr-mask-size flags, checked against the pod CIDRs by kube-controller-manager's
    rules (setNodeCIDRMaskSizes in cmd/kube-controller-manager)."""
    given = {name: flags[name] for name in _MASK_FLAGS if name in flags}
    if given and not pods:
        notes.append(f"{', '.join(given)} set but no pod CIDR: no node pod CIDRs are allocated")
    if not given or not pods:
        return {}
    versions = sorted({prefix.version for prefix in pods})
    if (general := given.pop("node-cidr-mask-size", None)) is not None:
        if len(versions) > 1 or given:
            raise general.error(
                "node-cidr-mask-size is for single-stack clusters and excludes the -ipv4/-ipv6 forms"
            )
        given = {f"node-cidr-mask-size-ipv{versions[0]}": general}
    lengths: dict[int, int] = {}
    for name, node in given.items():
        version, text, bits = int(name[-1]), node.arg_text().strip(), 32 if name[-1] == "4" else 128
        if version not in versions:
            raise node.error(f"{name} is set but there is no IPv{version} pod CIDR")
        if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= bits):
            raise node.error(f"{text!r}: expected a prefix length from 1 to {bits}")
        lengths[version] = int(text)
    return lengths


def _read_kubeadm(docs: tuple[YamlValue, ...], path: str) -> ClusterConfig:
    # An InitConfiguration alone is enough for kubeadm, which then uses its defaults.
    doc = find_document(
        docs, path=path, kind="ClusterConfiguration", versions=_KUBEADM_VERSIONS, required=False
    )
    if not doc.entries and not any(d.text_at("apiVersion") in _KUBEADM_VERSIONS for d in docs):
        raise ConfigError(f"no kubeadm document ({' or '.join(_KUBEADM_VERSIONS)})", path=path)
    net, defaults, notes = doc.section("networking"), {}, []
    pods = _dual_stack(pod) if (pod := net.get("podSubnet")) else ()
    services = _dual_stack(service) if (service := net.get("serviceSubnet")) else ()
    if not pods:
        notes.append("podSubnet not set: kubeadm has no default and allocates no node pod CIDRs")
    if not services:
        services = (parse_prefix(_KUBEADM_SERVICE_SUBNET),)
        defaults["service_cidrs"] = (
            f"serviceSubnet not set: kubeadm's default {_KUBEADM_SERVICE_SUBNET} assumed"
        )
    args = doc.section("controllerManager").get("extraArgs")
    flags = _kubeadm_args(args, doc.text_at("apiVersion")) if args else {}
    kubelet = find_document(
        docs, path=path, kind="KubeletConfiguration", versions=_KUBELET_VERSIONS, required=False
    )
    # The kubelet refuses only a negative maxPods (KubeletConfiguration validation).
    max_pods = kubelet.get("maxPods")
    name = doc.get("clusterName")
    return ClusterConfig(
        "kubeadm",
        path,
        name=name.string() if name else None,
        pod_cidrs=pods,
        service_cidrs=services,
        node_prefixlen=_node_prefixlens(flags, pods, notes),
        max_pods=max_pods.integer(minimum=0) if max_pods else None,
        defaulted=tuple(defaults),
        notes=(*defaults.values(), *notes),
    )


def _kubeadm_args(args: YamlValue, api: str) -> dict[str, YamlValue]:
    """extraArgs: a map in v1beta3, a list of {name, value} in v1beta4 (the last of a name wins)."""
    if api == "kubeadm.k8s.io/v1beta3":
        if args.entries is None:
            raise args.error(f"v1beta3 extraArgs is a map of flag: value, got {args.describe()}")
        return args.entries
    if args.items is None:
        raise args.error(f"v1beta4 extraArgs is a list of {{name, value}}, got {args.describe()}")
    named = {}
    for item in args.items:
        name, value = item.get("name"), item.get("value")
        if name is None or value is None:
            raise item.error("an extraArgs entry needs both name and value")
        named[name.string()] = value
    return named


def _k3s_values(doc: YamlValue, key: str) -> list[YamlValue]:
    """The values of ``key`` and of ``key+``, which appends to it (docs.k3s.io, configuration file)."""
    return [value for name in (key, f"{key}+") if (value := doc.get(name)) is not None]


def _k3s_flags(doc: YamlValue, key: str) -> dict[str, YamlValue]:
    """The ``name=value`` strings of a ``*-arg`` key, by name, each value placed at its line."""
    flags = {}
    for value in _k3s_values(doc, key):
        for item in value.items if value.items is not None else (value,):
            name, equals, text = item.string().removeprefix("--").partition("=")
            if equals:
                flags[name] = YamlValue(item.path, item.field, item.line, scalar=text, text=text)
    return flags


def _read_k3s(doc: YamlValue, path: str) -> ClusterConfig:
    found: dict[str, tuple[IPNetwork, ...]] = {}
    defaults: dict[str, str] = {}
    for key, (attribute, default) in _K3S_DEFAULTS.items():
        values = _k3s_values(doc, key)
        prefixes = tuple(prefix for value in values for prefix in _dual_stack(value, lists=True))
        if len(prefixes) > 2 or len({prefix.version for prefix in prefixes}) < len(prefixes):
            raise values[-1].error(f"{key} and {key}+ together hold more than one prefix of a family")
        found[attribute] = prefixes or (parse_prefix(default),)
        if not prefixes:
            defaults[attribute] = f"{key} not set: the k3s/RKE2 default {default} assumed"
    if (dns := doc.get("cluster-dns")) is not None:
        _check_cluster_dns(dns, found["service_cidrs"])
    max_pods = _k3s_flags(doc, "kubelet-arg").get("max-pods")
    if max_pods is not None and not (
        max_pods.text.isascii() and max_pods.text.isdigit() and len(max_pods.text) <= 9
    ):
        raise max_pods.error(f"max-pods={max_pods.text}: expected a whole number of at least 0")
    notes: list[str] = []
    masks = _node_prefixlens(_k3s_flags(doc, "kube-controller-manager-arg"), found["pod_cidrs"], notes)
    return ClusterConfig(
        "k3s",
        path,
        pod_cidrs=found["pod_cidrs"],
        service_cidrs=found["service_cidrs"],
        node_prefixlen=masks,
        max_pods=int(max_pods.text) if max_pods else None,
        ipam_mode=_k3s_ipam(doc, defaults, notes),
        defaulted=tuple(defaults),
        notes=(*defaults.values(), *notes),
    )


def _check_cluster_dns(node: YamlValue, services: tuple[IPNetwork, ...]) -> None:
    for value, text in node.pieces(lists=True):
        address = value.parse(parse_address, text)
        # The API server refuses a Service clusterIP outside the service CIDRs: DNS would not start.
        if not any(service.version == address.version and address in service for service in services):
            raise value.error(f"{address} is outside the service CIDRs {', '.join(map(str, services))}")


def _k3s_ipam(doc: YamlValue, defaults: dict[str, str], notes: list[str]) -> str | None:
    """Flannel, k3s's CNI and the network half of RKE2's default canal, assigns pod addresses from
    each node's pod CIDR (host-local). RKE2's calico is installed by its rke2-calico chart, which
    sets the Tigera operator's IP pools from cluster-cidr and no IPAM type, so the operator's
    default, Calico IPAM with its /26 blocks, hands out pod addresses (rancher/rke2-charts,
    packages/rke2-calico: values.yaml and templates/crs/custom-resources.yaml). Other CNIs' IPAM
    is not stated in config.yaml."""
    cni, backend = doc.get("cni"), doc.get("flannel-backend")
    names = [value.string() for value in ((cni.items if cni.items is not None else (cni,)) if cni else ())]
    primary = next((name for name in names if name != "multus"), None)
    if primary in (None, "canal", "flannel") and (backend is None or backend.string() != "none"):
        if cni is None and backend is None:
            defaults["ipam_mode"] = "cni and flannel-backend not set: flannel (k3s) or canal (RKE2) assumed"
        return "flannel"
    if primary == "calico":
        defaults["ipam_mode"] = (
            "cni calico: Calico IPAM assumed (RKE2's rke2-calico chart leaves the IPAM type at the Tigera "
            "operator's default, Calico, with /26 blocks)"
        )
        return "calico"
    backend_text = backend.text if backend else "not set"
    notes.append(f"IPAM mode not stated (cni {primary or 'not set'}, flannel-backend {backend_text})")
    return None


def _read_kind(doc: YamlValue, path: str) -> ClusterConfig:
    net, defaults = doc.section("networking"), {}
    family = value.choice(tuple(_KIND_DEFAULTS)) if (value := net.get("ipFamily")) else "ipv4"
    found: dict[str, tuple[IPNetwork, ...]] = {}
    for key, default in zip(("podSubnet", "serviceSubnet"), _KIND_DEFAULTS[family], strict=True):
        prefixes = _dual_stack(node) if (node := net.get(key)) else ()
        # kind's validateSubnets: single-stack takes exactly one prefix of ipFamily's family.
        if node and family != "dual" and {prefix.version for prefix in prefixes} != {int(family[-1])}:
            raise node.error(f"{node.text}: ipFamily {family} takes one IPv{family[-1]} prefix")
        found[key] = prefixes or tuple(parse_prefix(text) for text in default.split(","))
        if not prefixes:
            attribute = "pod_cidrs" if key == "podSubnet" else "service_cidrs"
            defaults[attribute] = f"{key} not set: kind's default {default} for ipFamily {family} assumed"
    nodes = len(value.sequence()) if (value := doc.get("nodes")) else 0
    if nodes == 0:  # kind fills an empty list as it fills a missing one
        defaults["expected_nodes"] = "nodes not set: kind's default of one control-plane node assumed"
    if not ((custom_cni := net.get("disableDefaultCNI")) and custom_cni.boolean()):
        # kindnetd hands out addresses from each node's pod CIDR, allocated by the controller manager.
        defaults["ipam_mode"] = "default CNI kindnetd: node pod CIDRs from kube-controller-manager assumed"
    name = doc.get("name")
    return ClusterConfig(
        "kind",
        path,
        name=name.string() if name else None,
        pod_cidrs=found["podSubnet"],
        service_cidrs=found["serviceSubnet"],
        expected_nodes=nodes or 1,
        ipam_mode="kube-controller-manager" if "ipam_mode" in defaults else None,
        defaulted=tuple(defaults),
        notes=tuple(defaults.values()),
    )


def _require_disjoint(items: tuple[YamlValue, ...], blocks: list[IPNetwork | IPRange]) -> None:
    spans = [block if isinstance(block, IPRange) else IPRange.from_network(block) for block in blocks]
    for index, span in enumerate(spans):
        for before, earlier in enumerate(spans[:index]):
            if earlier.version == span.version and earlier.overlaps(span):
                raise items[index].error(f"{blocks[index]} overlaps {blocks[before]}, listed before it")


def _spec_prefixes(spec: YamlValue, key: str) -> tuple[IPNetwork, ...]:
    items = node.sequence() if (node := spec.get(key)) else ()
    prefixes = [item.parse(parse_prefix) for item in items]
    _require_disjoint(items, list(prefixes))
    return tuple(prefixes)


def _spec_pools(spec: YamlValue) -> tuple[IPNetwork | IPRange, ...]:
    items = node.sequence() if (node := spec.get("loadBalancerPools")) else ()
    pools: list[IPNetwork | IPRange] = []
    for item in items:
        pools.append(item.parse(parse_range) if "-" in item.string() else item.parse(parse_prefix))
    _require_disjoint(items, pools)
    return tuple(pools)


def _read_spec(doc: YamlValue, path: str) -> ClusterConfig:
    doc.require_known(("apiVersion", "kind", "metadata", "spec"))
    metadata = doc.section("metadata")
    metadata.require_known(("name",))
    if (name := metadata.get("name")) is None:
        raise metadata.error("metadata.name is required: the cluster's name in the ledger")
    spec = doc.section("spec")
    spec.require_known(_SPEC_FIELDS)
    pods, services = _spec_prefixes(spec, "podCIDRs"), _spec_prefixes(spec, "serviceCIDRs")
    _check_dual_stack(spec, pods=pods, services=services)
    space, group, growth = spec.get("space"), spec.get("group"), spec.get("growth")
    max_pods, nodes = spec.get("maxPods"), spec.get("expectedNodes")
    provider, ipam = spec.get("provider"), spec.get("ipamMode")
    wanted, enis, per_eni, vcpus = (
        spec.get(key) for key in ("expectedServices", "eniCount", "ipsPerENI", "vcpus")
    )
    if (enis is None) != (per_eni is None):
        raise (enis or per_eni or spec).error("eniCount and ipsPerENI go together: give both or neither")
    return ClusterConfig(
        "ipledger",
        path,
        name=name.string(),
        pod_cidrs=pods,
        service_cidrs=services,
        node_cidrs=_spec_prefixes(spec, "nodeCIDRs"),
        load_balancer_pools=_spec_pools(spec),
        node_prefixlen=_spec_node_prefixlens(spec, pods),
        max_pods=max_pods.integer(minimum=1) if max_pods else None,
        expected_nodes=nodes.integer(minimum=1) if nodes else None,
        growth=growth.number(minimum=1) if growth else None,
        expected_services=wanted.integer(minimum=0) if wanted else None,
        eni_count=enis.integer(minimum=1) if enis else None,
        ips_per_eni=per_eni.integer(minimum=1) if per_eni else None,
        vcpus=vcpus.integer(minimum=1) if vcpus else None,
        provider=provider.choice(_PROVIDERS) if provider else None,
        ipam_mode=ipam.choice(_IPAM_MODES) if ipam else None,
        space=space.string() if space else "global",
        group=group.string() if group else None,
        defaulted=() if space else ("space",),
        notes=() if space else ("space not set: the space global assumed",),
    )


def _check_dual_stack(
    spec: YamlValue, *, pods: tuple[IPNetwork, ...], services: tuple[IPNetwork, ...]
) -> None:
    """dualStack: true asks both families of the pod and service CIDRs given, false one."""
    if (dual := spec.get("dualStack")) is None:
        return
    wanted = 2 if dual.boolean() else 1
    for key, prefixes in (("podCIDRs", pods), ("serviceCIDRs", services)):
        if prefixes and len(versions := {prefix.version for prefix in prefixes}) != wanted:
            families = " and ".join(f"IPv{version}" for version in sorted(versions))
            raise (spec.get(key) or dual).error(f"dualStack is {dual.text} but {key} holds {families}")


def _spec_node_prefixlens(spec: YamlValue, pods: tuple[IPNetwork, ...]) -> dict[int, int]:
    lengths: dict[int, int] = {}
    for key, version in (("nodePrefixLength", 4), ("nodePrefixLengthIPv6", 6)):
        if (node := spec.get(key)) is None:
            continue
        if (length := node.integer(minimum=1)) > (bits := 32 if version == 4 else 128):
            raise node.error(f"{length} is longer than an IPv{version} prefix ({bits} bits)")
        if pods and version not in {prefix.version for prefix in pods}:
            raise node.error(f"{key} is for IPv{version} nodes, but podCIDRs has no IPv{version} prefix")
        lengths[version] = length
    return lengths
