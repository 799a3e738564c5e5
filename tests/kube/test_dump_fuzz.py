"""Fuzzing of the Kubernetes dump readers (issue 6): any input gives a snapshot or a clear error.

`snapshot_from_objects` gets arbitrary JSON-like values as a whole object, as a List's items and
in each field the readers look at of real object skeletons; `read_dump` gets such values written
as JSON and YAML files, raw tokens (what YAML and JSON read as dates, tagged values or numbers)
written into those files, and the shared fixtures, read in place, damaged at byte level
(truncated, bytes flipped, deleted, inserted or repeated) or with a word replaced by a raw token.
The outcome must be a `Snapshot` or a `DumpError` whose message starts with the source it names;
any other exception is a crash.

Runs are derandomized, with no example database, so that CI sees the same inputs every time. The
tests marked xfail pin the crashes they found; the damage test keeps its runs short (at most 256
bytes) so that it cannot stumble on those crashes, which the token tests cover, and stays green.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ipledger.core.observations import Snapshot
from ipledger.kube.dump import DumpError, read_dump, snapshot_from_objects
from tests.kube.k8s_fixtures import TAKEN_AT, fixture_path


def fuzz(max_examples: int) -> settings:
    """Derandomized settings without an example database, for a test that runs ``max_examples``."""
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=max_examples,
        suppress_health_check=[HealthCheck.too_slow],
    )


SOURCE = "fuzz.json"
NETWORK_STATUS = "k8s.v1.cni.cncf.io/network-status"

# Values the readers give meaning to, beside arbitrary ones: empty and sentinel strings, CIDRs
# with and without host bits, zones, ranges, timestamps, booleans as text, Go-sized offsets.
_WORDS = (
    "", " ", "None", "v1", "List", "PodList", "Pod", "true", "False", "0", "-1", "007",
    "18446463705355360228", "10.0.0.0/24", "10.0.0.1/24", "10.0.0.5", "10.0.0.300", "::", "::1",
    "2001:db8::/64", "fe80::1%eth0", "10.0.0.10-10.0.0.1", "10.0.0.1-::1", "2023-06-30T19:39:08Z",
    "2023-13-45T99:99:99Z", "DisruptionTarget", "InternalIP", "ExternalIP", "CiliumInternalIP",
    '[{"ips": ["10.1.0.7"]}]', '[{"default": "maybe"}]', "{", "\x00", "\ufeff",
)  # fmt: skip
# Long runs (up to 5,000 copies) reach the limits of the machinery: Python refuses to convert
# decimal texts of more than 4,300 digits to int, and deep nesting exhausts the stack.
_RUN_PIECES = ("0", "9", "1.", ":", "[", "{", '{"a":', "-", "a")
long_runs = st.builds(lambda piece, count: piece * count, st.sampled_from(_RUN_PIECES), st.integers(1, 5000))
# Characters that trip up text handling: NUL and other controls, line and other separators, a
# zero-width space, a byte order mark, digits of other scripts; then any of those categories.
_TRICKY = "\x00\t\n\r\x0b\x1f\x7f\x85\xa0\u200b\u2028\ufeff\u0661\uff10"
_controls = st.text(
    st.sampled_from(_TRICKY) | st.characters(categories=["Cc", "Cf", "Zs", "Nd"]), min_size=1, max_size=2
)


def _inserted(word: str, at: int, piece: str) -> str:
    at %= len(word) + 1
    return word[:at] + piece + word[at:]


# A word the readers know with control characters, spaces, other digits or a long run put in it.
near_words = st.builds(_inserted, st.sampled_from(_WORDS), st.integers(0, 40), _controls | long_runs)
# Words the readers know, bent a little, find more than arbitrary text: they are drawn most.
texts = st.one_of(
    st.text(max_size=16), st.sampled_from(_WORDS), near_words, near_words, near_words, long_runs
)
_keys = st.text(max_size=8) | st.sampled_from(
    ("kind", "apiVersion", "metadata", "name", "items", "spec", "ip")
)
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)

# What a YAML or JSON file can hold in place of a value that no value of Python writes there:
# YAML 1.1's implicit types (numbers, booleans, dates), tags, anchors, JSON escapes, long numbers.
_YAML_TAGS = (
    "!!int", "!!float", "!!bool", "!!null", "!!str", "!!timestamp", "!!binary", "!!set", "!!omap", "!x",
)  # fmt: skip
_RAW_WORDS = (
    "~", "null", "yes", "Off", "0x1F", "0o17", "017", "0b101", "1_000", "1:30", ".inf", "-.nan", "1e999",
    "-0", "&a x", "*a", "<<", "[", "]", "{", "}", "- a", "? a", "|", ">", "#", "---", "...",
    '"\\u0000"', '"\\ud800"', '"\\x00"', '"\\0"', "'a''b'",
)  # fmt: skip
dates = st.builds(
    lambda year, month, day, time: f"{year:04d}-{month:02d}-{day:02d}{time}",
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["", "T19:39:08Z", " 25:61:61", "t1:2:3.5-05:00"]),
)
tagged = st.builds(
    lambda tag, word: f"{tag} {word}",
    st.sampled_from(_YAML_TAGS),
    st.sampled_from(_WORDS) | st.text("abc019-:.", max_size=6),
)
raw_tokens = st.one_of(
    st.sampled_from(_RAW_WORDS), dates, tagged, long_runs, st.text("09-:.!&*[]{}#'\" ~xeE+_", max_size=10)
)

_ABSENT = object()  # substituted for a field: the field is left out
_KEY = "<key>"  # the last step of a path to a mapping whose keys are data: the drawn text is the key


def _skeleton(
    kind: str, api: str, name: str, *, metadata: dict[str, Any] | None = None, **body: Any
) -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": "default", **(metadata or {})},
        **body,
    }


# Real objects trimmed to the fields the readers of k8s_objects and cni_objects look at, each
# with the paths of those fields.
SKELETONS: dict[str, tuple[dict[str, Any], tuple[tuple[Any, ...], ...]]] = {
    "Pod": (
        _skeleton(
            "Pod",
            "v1",
            "web-1",
            metadata={
                "uid": "u-1",
                "creationTimestamp": "2023-06-30T19:39:08Z",
                "deletionTimestamp": None,
                "annotations": {NETWORK_STATUS: '[{"name": "net1", "ips": ["10.1.0.7"], "default": false}]'},
            },
            spec={"nodeName": "node-1", "hostNetwork": False},
            status={
                "phase": "Running",
                "reason": "",
                "podIP": "10.0.0.5",
                "podIPs": [{"ip": "10.0.0.5"}, {"ip": "fd00::5"}],
                "conditions": [{"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager"}],
            },
        ),
        (
            ("kind",), ("apiVersion",), ("metadata",), ("metadata", "name"), ("metadata", "namespace"),
            ("metadata", "uid"), ("metadata", "creationTimestamp"), ("metadata", "deletionTimestamp"),
            ("metadata", "annotations"), ("metadata", "annotations", NETWORK_STATUS), ("spec",),
            ("spec", "nodeName"), ("spec", "hostNetwork"), ("status",), ("status", "phase"),
            ("status", "reason"), ("status", "podIP"), ("status", "podIPs"), ("status", "podIPs", 0),
            ("status", "podIPs", 0, "ip"), ("status", "conditions"), ("status", "conditions", 0),
            ("status", "conditions", 0, "type"), ("status", "conditions", 0, "status"),
        ),
    ),
    "Node": (
        _skeleton(
            "Node",
            "v1",
            "node-1",
            spec={"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"]},
            status={"addresses": [{"type": "InternalIP", "address": "172.18.0.3"}, {"type": "Hostname"}]},
        ),
        (
            ("metadata", "name"), ("spec",), ("spec", "podCIDR"), ("spec", "podCIDRs"), ("spec", "podCIDRs", 0),
            ("status",), ("status", "addresses"), ("status", "addresses", 0), ("status", "addresses", 0, "type"),
            ("status", "addresses", 0, "address"), ("status", "addresses", 1, "type"),
        ),
    ),
    "Service": (
        _skeleton(
            "Service",
            "v1",
            "web",
            spec={
                "type": "LoadBalancer",
                "clusterIP": "10.96.0.10",
                "clusterIPs": ["10.96.0.10", "fd00:10:96::a"],
                "externalIPs": ["192.0.2.7"],
            },
            status={"loadBalancer": {"ingress": [{"ip": "192.0.2.8"}, {"hostname": "lb.example"}]}},
        ),
        (
            ("spec",), ("spec", "type"), ("spec", "clusterIP"), ("spec", "clusterIPs"), ("spec", "clusterIPs", 0),
            ("spec", "externalIPs"), ("spec", "externalIPs", 0), ("status", "loadBalancer"),
            ("status", "loadBalancer", "ingress"), ("status", "loadBalancer", "ingress", 0),
            ("status", "loadBalancer", "ingress", 0, "ip"),
        ),
    ),
    "IPAMBlock": (
        _skeleton(
            "IPAMBlock",
            "crd.projectcalico.org/v1",
            "192-168-185-0-26",
            spec={
                "cidr": "192.168.185.0/26",
                "affinity": "host:node-1",
                "allocations": [0, None, "1"],
                "attributes": [
                    {"handle_id": "k8s-pod-network.abc", "secondary": {"node": "node-1"}, "releasedAt": None}
                ],
                "unallocated": [2, 3],
                "deleted": "false",
            },
        ),
        (
            ("spec",), ("spec", "cidr"), ("spec", "affinity"), ("spec", "allocations"),
            ("spec", "allocations", 0), ("spec", "attributes"), ("spec", "attributes", 0),
            ("spec", "attributes", 0, "handle_id"), ("spec", "attributes", 0, "secondary"),
            ("spec", "attributes", 0, "secondary", "node"), ("spec", "attributes", 0, "secondary", _KEY),
            ("spec", "attributes", 0, "releasedAt"), ("spec", "unallocated"), ("spec", "unallocated", 0),
            ("spec", "deleted"),
        ),
    ),
    "IPPool": (
        _skeleton(
            "IPPool",
            "whereabouts.cni.cncf.io/v1alpha1",
            "1.2.3.0-24",
            spec={
                "range": "1.2.3.0/24",
                "allocations": {"5": {"id": "c0ffee", "podref": "ns/pod-1", "ifname": "net1"}},
            },
        ),
        (
            ("spec",), ("spec", "range"), ("spec", "allocations"), ("spec", "allocations", _KEY),
            ("spec", "allocations", "5"), ("spec", "allocations", "5", "id"),
            ("spec", "allocations", "5", "podref"), ("spec", "allocations", "5", "ifname"),
        ),
    ),
    "IPAddressPool": (
        _skeleton(
            "IPAddressPool",
            "metallb.io/v1beta1",
            "pool",
            spec={"addresses": ["192.168.20.0/24", "192.168.30.10-192.168.30.20"], "autoAssign": True},
        ),
        (("spec",), ("spec", "addresses"), ("spec", "addresses", 0), ("spec", "addresses", 1), ("spec", "autoAssign")),
    ),
    "CiliumNode": (
        _skeleton(
            "CiliumNode",
            "cilium.io/v2",
            "k8s1",
            spec={
                "addresses": [{"type": "CiliumInternalIP", "ip": "10.0.1.1"}],
                "health": {"ipv4": "10.0.1.2", "ipv6": "fd00::2"},
                "ipam": {
                    "podCIDRs": ["10.0.1.0/24"],
                    "pools": {"allocated": [{"pool": "default", "cidrs": ["10.0.2.0/27"]}]},
                },
            },
            status={"ipam": {"used": {"10.0.1.3": {"owner": "default/web-1"}}}},
        ),
        (
            ("spec",), ("spec", "addresses"), ("spec", "addresses", 0), ("spec", "addresses", 0, "type"),
            ("spec", "addresses", 0, "ip"), ("spec", "health"), ("spec", "health", "ipv4"),
            ("spec", "health", "ipv6"), ("spec", "ipam"), ("spec", "ipam", "podCIDRs"),
            ("spec", "ipam", "podCIDRs", 0), ("spec", "ipam", "pools"), ("spec", "ipam", "pools", "allocated"),
            ("spec", "ipam", "pools", "allocated", 0), ("spec", "ipam", "pools", "allocated", 0, "pool"),
            ("spec", "ipam", "pools", "allocated", 0, "cidrs"),
            ("spec", "ipam", "pools", "allocated", 0, "cidrs", 0), ("status", "ipam"), ("status", "ipam", "used"),
            ("status", "ipam", "used", _KEY), ("status", "ipam", "used", "10.0.1.3"),
            ("status", "ipam", "used", "10.0.1.3", "owner"),
        ),
    ),
}  # fmt: skip


def substituted(kind: str, changes: list[tuple[int, Any]]) -> dict[str, Any]:
    """The skeleton of ``kind`` with, for each (path index, value), the value at that path."""
    skeleton, paths = SKELETONS[kind]
    result = copy.deepcopy(skeleton)
    for index, value in changes:
        *parents, last = paths[index % len(paths)]
        container: Any = result
        for step in parents:
            container = container[step] if _holds(container, step) else None
        if last == _KEY and type(container) is dict:
            # The mapping's one entry is kept under the drawn value as its key (JSON keys are text).
            children = list(container.values())
            container.clear()
            if value is not _ABSENT and children:
                container[value if type(value) is str else json.dumps(value)] = children[0]
        elif value is _ABSENT and type(container) is dict:
            container.pop(last, None)
        elif type(container) is dict or (type(container) is list and _holds(container, last)):
            container[last] = None if value is _ABSENT else value
    return result


def _holds(container: Any, step: Any) -> bool:
    if type(container) is dict:
        return step in container
    return type(container) is list and type(step) is int and step < len(container)


# Most fields the readers look at hold text: strings are drawn three times as often as the rest.
field_values = st.one_of(texts, texts, texts, json_values, st.just(_ABSENT))
# A path index drawn evenly (integers shrink towards 0 and would favour the first paths).
path_indexes = st.sampled_from(range(64))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the files of one test; each example overwrites the one before."""
    return tmp_path_factory.mktemp("fuzz")


def check_objects(objects: list[tuple[str, Any]], source: str = SOURCE) -> None:
    try:
        result = snapshot_from_objects(objects, taken_at=TAKEN_AT)
    except DumpError as error:
        assert_names(error, source)
        return
    assert isinstance(result, Snapshot)


def assert_names(error: DumpError, source: str) -> None:
    assert error.source.startswith(source), f"{error.source!r} is not {source!r}"
    assert str(error).startswith(source), f"{error} does not start with {source!r}"
    assert error.detail, "an empty message"


def check_dump(path: Path) -> None:
    try:
        result = read_dump(path, taken_at=TAKEN_AT)
    except DumpError as error:
        assert_names(error, str(path))
        return
    assert isinstance(result, Snapshot)


# --- snapshot_from_objects -------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SKELETONS))
def test_snapshot_from_objects_fuzz_skeleton_is_read_whole(kind: str) -> None:
    # The fields are fuzzed one at a time from here: a skeleton refused as it is would fuzz nothing.
    result = snapshot_from_objects([(SOURCE, SKELETONS[kind][0])], taken_at=TAKEN_AT)
    assert result.skipped == ()


@fuzz(300)
@given(json_values)
def test_snapshot_from_objects_fuzz_top_level_value(value: Any) -> None:
    check_objects([(SOURCE, value)])


@fuzz(200)
@given(st.sampled_from(["List", "PodList", "NodeList", "IPAMBlockList"]), json_values)
def test_snapshot_from_objects_fuzz_list_items(kind: str, items: Any) -> None:
    check_objects([(SOURCE, {"apiVersion": "v1", "kind": kind, "items": items})])


@fuzz(200)
@given(st.sampled_from(["List", "PodList", "ServiceList"]), st.lists(json_values, max_size=4))
def test_snapshot_from_objects_fuzz_each_list_item(kind: str, items: list[Any]) -> None:
    check_objects([(SOURCE, {"apiVersion": "v1", "kind": kind, "items": items})])


@fuzz(300)
@given(st.sampled_from(sorted(SKELETONS)), field_values)
@example("CiliumNode", "\x00")  # found and shrunk by this test
@example("Pod", "\ud800")  # pinned by hand: a lone surrogate, as JSON's "\\ud800" decodes, same line
@example("Pod", "[" * 5000)  # found with NUL filtered out (shrunk to "[" * 1989: the depth varies)
@example("IPAMBlock", "0" * 4301)  # found and shrunk with NUL and deep nesting filtered out
@example("IPPool", "1.2.3.0/" + "0" * 4301)  # pinned by hand: the core crash reached through spec.range
def test_snapshot_from_objects_fuzz_each_field_of_real_objects(kind: str, value: Any) -> None:
    for index in range(len(SKELETONS[kind][1])):
        check_objects([(SOURCE, substituted(kind, [(index, value)]))])


# --- read_dump of generated files ------------------------------------------------------------


@fuzz(50)
@given(st.sampled_from([".json", ".yaml"]), st.sampled_from(sorted(SKELETONS)), field_values)
@example(".json", "Pod", "\x00")  # pinned by hand: the crash of the test above, reached through a file
def test_read_dump_fuzz_each_field_of_real_objects(workdir: Path, suffix: str, kind: str, value: Any) -> None:
    path = workdir / f"dump{suffix}"
    for index in range(len(SKELETONS[kind][1])):
        obj = substituted(kind, [(index, value)])
        path.write_text(json.dumps(obj) if suffix == ".json" else yaml.safe_dump(obj), encoding="utf-8")
        check_dump(path)


PLACEHOLDER = "fuzz-placeholder"


def _write_with_token(path: Path, kind: str, index: int, token: str) -> None:
    """The skeleton of ``kind`` written to ``path`` with ``token`` as written text at path ``index``."""
    obj = substituted(kind, [(index, PLACEHOLDER)])
    if path.suffix == ".json":
        text = json.dumps(obj).replace(json.dumps(PLACEHOLDER), token)
    else:
        text = yaml.safe_dump(obj).replace(PLACEHOLDER, token)
    path.write_text(text, encoding="utf-8")


@fuzz(200)
@given(st.sampled_from(sorted(SKELETONS)), path_indexes, raw_tokens)
@example("CiliumNode", 0, "9" * 4301)  # found and shrunk by this test
def test_read_dump_fuzz_raw_tokens_in_json_fields(workdir: Path, kind: str, index: int, token: str) -> None:
    _write_with_token(workdir / "dump.json", kind, index, token)
    check_dump(workdir / "dump.json")


YAML_CRASH = (
    "crash: _yaml_documents catches only yaml.YAMLError, but PyYAML's SafeConstructor raises bare "
    "ValueError, IndexError, KeyError and AttributeError for scalars it cannot build: a date out of range "
    "(0000-00-00, 2023-13-45), an integer of more than 4,300 digits, or tags with bad values (!!int '', "
    "!!float None, !!bool '', !!timestamp '') (ipledger/kube/dump.py:268)"
)


@fuzz(200)
@given(st.sampled_from(sorted(SKELETONS)), path_indexes, raw_tokens)
@example("CiliumNode", 0, "0000-00-00")  # found and shrunk by this test, with 9 more of the same cause
def test_read_dump_fuzz_raw_tokens_in_yaml_fields(workdir: Path, kind: str, index: int, token: str) -> None:
    _write_with_token(workdir / "dump.yaml", kind, index, token)
    check_dump(workdir / "dump.yaml")


# --- read_dump of mutated fixtures -----------------------------------------------------------

# The fixtures of every kind the readers know, the lists among them, and a few they skip.
FIXTURES = (
    "List-Node-CiliumNode-dualstack-kind.yaml",
    "List-Pod-podIPs-kind.yaml",
    "List-Service-Endpoints-EndpointSlice-dualstack-kind.yaml",
    "Service-LoadBalancer-ipv6-legacy-ipFamily.yaml",
    "ServiceCIDR-networking-k8s-io-v1-terminating.yaml",
    "calico-BlockAffinity-list-crd-v1.yaml",
    "calico-IPAMBlock-crd-v1.yaml",
    "calico-IPAMBlock-list-crd-v1-after-allocation.yaml",
    "calico-IPAMHandle-crd-v1.yaml",
    "calico-IPPool-v3-list-confd-testdata.yaml",
    "cilium-CiliumNode-crd-mode-docs.yaml",
    "cilium-CiliumPodIPPool-docs-default-and-mars.yaml",
    "metallb-IPAddressPool-with-selector.yaml",
    "multus-network-status-annotation.json",
    "whereabouts-IPPool-bogus-offset-issue403.yaml",
    "whereabouts-IPPool-list-dualstack.yaml",
    "whereabouts-OverlappingRangeIPReservation-list.yaml",
)
_BYTE_PIECES = (
    b"0", b"9", b"-", b":", b"/", b"[", b"{", b'"', b"\\", b"\n", b"  ", b"\x00", b"\xc3", b"&", b"*",
)  # fmt: skip


@pytest.fixture(scope="module")
def fixtures() -> Path:
    """The shared fixture folder, or a skip (a failure under CI=true) when it is missing."""
    return fixture_path()


@cache
def _fixture_bytes(path: Path, *, as_json: bool) -> bytes:
    """The fixture's bytes, or those of its JSON form: the same objects reach the JSON decoder."""
    raw = path.read_bytes()
    if not as_json or path.suffix == ".json":
        return raw
    documents = list(yaml.safe_load_all(raw))
    return json.dumps(documents[0] if len(documents) == 1 else documents, default=str, indent=1).encode()


# A mutation is plain data, so that a failing example prints as something to paste into @example:
# ("truncate", at), ("flip", at, mask), ("delete", at, length), ("insert", at, piece, count),
# ("repeat", at, count) of the byte there and ("word", at, token) in place of the word there.
# Positions wrap around the file's length.
_positions = st.integers(0, 1 << 16)
_short_counts = st.integers(1, 256)
damage = st.lists(
    st.one_of(
        st.tuples(st.just("truncate"), _positions),
        st.tuples(st.just("flip"), _positions, st.integers(1, 255)),
        st.tuples(st.just("delete"), _positions, st.integers(1, 64)),
        st.tuples(st.just("insert"), _positions, st.sampled_from(_BYTE_PIECES), _short_counts),
        st.tuples(st.just("repeat"), _positions, _short_counts),
    ),
    min_size=1,
    max_size=3,
)
word_swaps = st.lists(st.tuples(st.just("word"), _positions, raw_tokens), min_size=1, max_size=2)


def mutated(data: bytes, mutations: list[tuple[Any, ...]]) -> bytes:
    for name, position, *args in mutations:
        at = position % (len(data) + 1)
        if name == "truncate":
            data = data[:at]
        elif name == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ args[0]]) + data[at + 1 :]
        elif name == "delete":
            data = data[:at] + data[at + args[0] :]
        elif name == "insert":
            data = data[:at] + args[0] * args[1] + data[at:]
        elif name == "repeat":
            data = data[:at] + data[at : at + 1] * args[0] + data[at:]
        elif name == "word":
            start, end = _word_around(data, at)
            data = data[:start] + args[0].encode() + data[end:]
    return data


_DELIMITERS = frozenset(b" \t\r\n:,\"'[]{}")


def _word_around(data: bytes, at: int) -> tuple[int, int]:
    """The span of the word (a run of bytes that are not delimiters) at or after ``at``."""
    start = at
    while start < len(data) and data[start] in _DELIMITERS:
        start += 1
    end = start
    while end < len(data) and data[end] not in _DELIMITERS:
        end += 1
    return start, end


def test_read_dump_fuzz_fixtures_are_read_whole(fixtures: Path, workdir: Path) -> None:
    # The damage starts from these files and their JSON forms: one refused as it is would fuzz
    # nothing. The fixtures are read in place; only the JSON forms are written out.
    for name in FIXTURES:
        assert isinstance(read_dump(fixtures / name, taken_at=TAKEN_AT), Snapshot)
        path = workdir / f"{Path(name).stem}.json"
        path.write_bytes(_fixture_bytes(fixtures / name, as_json=True))
        assert isinstance(read_dump(path, taken_at=TAKEN_AT), Snapshot)


def check_mutated_fixture(
    fixtures: Path, workdir: Path, name: str, as_json: bool, mutations: list[tuple[Any, ...]]
) -> None:
    path = workdir / f"{Path(name).stem}.{'json' if as_json else 'yaml'}"
    path.write_bytes(mutated(_fixture_bytes(fixtures / name, as_json=as_json), mutations))
    check_dump(path)


@fuzz(300)
@given(st.sampled_from(FIXTURES), st.booleans(), damage)
def test_read_dump_fuzz_damaged_fixture(
    fixtures: Path, workdir: Path, name: str, as_json: bool, mutations: list[tuple[Any, ...]]
) -> None:
    check_mutated_fixture(fixtures, workdir, name, as_json, mutations)


@fuzz(300)
@given(st.sampled_from(FIXTURES), st.booleans(), word_swaps)
# Found and shrunk by this test (with 8 more of the same cause): the file's first word, "apiVersion",
# replaced by an unquoted date that YAML reads as one.
@example("List-Node-CiliumNode-dualstack-kind.yaml", False, [("word", 0, "0000-00-00T19:39:08Z")])
def test_read_dump_fuzz_fixture_with_raw_tokens(
    fixtures: Path, workdir: Path, name: str, as_json: bool, mutations: list[tuple[Any, ...]]
) -> None:
    check_mutated_fixture(fixtures, workdir, name, as_json, mutations)
