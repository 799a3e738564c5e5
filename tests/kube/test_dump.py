"""Reading dumps: the file formats and directories kubectl users produce, List expansion, kinds
that are skipped, and broken or truncated files refused with the file, item and field named."""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipledger.core.errors import InvalidInputError
from ipledger.core.observations import Skipped
from ipledger.kube import dump
from ipledger.kube.dump import DumpError, read_dump, snapshot_from_objects
from tests.kube.k8s_fixtures import TAKEN_AT, fixture_path, kube_object, pod

CALICO_V1 = "crd.projectcalico.org/v1"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _list(*items: dict[str, Any]) -> str:
    return json.dumps(
        {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": list(items)}
    )


def _error(path: Path) -> DumpError:
    with pytest.raises(DumpError) as caught:
        read_dump(path, taken_at=TAKEN_AT)
    return caught.value


@pytest.fixture
def mixed_dump(tmp_path: Path) -> Path:
    """A directory as a user collects it: a JSON List, a multi-document YAML stream in a
    subfolder, a .yml file, and files that are not dumps."""
    _write(tmp_path / "b-pods.json", _list(pod("web-1"), pod("web-2", ips=("10.0.0.6",))))
    _write(
        tmp_path / "a" / "nodes.yaml",
        "---\n"
        + yaml.safe_dump(kube_object("Node", "node-1", spec={"podCIDR": "10.0.0.0/24"}))
        + "---\n"  # an empty document between two
        + "---\n"
        + yaml.safe_dump(kube_object("ConfigMap", "cfg", namespace="kube-system")),
    )
    _write(tmp_path / "c" / "svc.YML", yaml.safe_dump(kube_object("Service", "s", namespace="default")))
    _write(tmp_path / "notes.txt", "not a dump")
    _write(tmp_path / "README.md", "# dump of cluster x")
    return tmp_path


def test_read_dump_directory_mixes_json_lists_and_yaml_streams(mixed_dump: Path) -> None:
    result = read_dump(mixed_dump, taken_at=TAKEN_AT)
    assert result.taken_at == TAKEN_AT
    assert [p.ref for p in result.pods] == ["default/web-1", "default/web-2"]
    assert [p.ips for p in result.pods] == [(ip_address("10.0.0.5"),), (ip_address("10.0.0.6"),)]
    assert [n.name for n in result.nodes] == ["node-1"]
    assert [s.ref for s in result.services] == ["default/s"]


def test_read_dump_directory_names_file_document_and_item(mixed_dump: Path) -> None:
    result = read_dump(mixed_dump, taken_at=TAKEN_AT)
    assert result.skipped == (
        Skipped(
            f"{mixed_dump}/a/nodes.yaml, document 3",
            "ConfigMap",
            "kube-system/cfg",
            "ConfigMap (v1) holds nothing ipledger reads",
        ),
    )


def test_read_dump_directory_reads_files_in_sorted_order(tmp_path: Path) -> None:
    for name in ("z.json", "a/y.json", "m.yaml", "a/b/x.yml"):
        _write(tmp_path / name, json.dumps(pod(name.replace("/", "-").replace(".", "-"))))
    result = read_dump(tmp_path, taken_at=TAKEN_AT)
    assert [p.name for p in result.pods] == ["a-b-x-yml", "a-y-json", "m-yaml", "z-json"]


def test_read_dump_fixture_directory_in_place() -> None:
    result = read_dump(fixture_path(), taken_at=TAKEN_AT)
    skipped_kinds = {note.kind for note in result.skipped}
    assert {"CustomResourceDefinition", "ENIConfig", "EndpointSlice", "Endpoints"} <= skipped_kinds
    assert (len(result.nodes), len(result.calico_blocks), len(result.whereabouts_pools)) == (3, 2, 5)


def test_read_dump_skips_crds_with_their_name() -> None:
    result = read_dump(fixture_path("CustomResourceDefinition-whereabouts-ippools.yaml"), taken_at=TAKEN_AT)
    (note,) = result.skipped
    assert (note.kind, note.name) == ("CustomResourceDefinition", "ippools.whereabouts.cni.cncf.io")
    assert result.whereabouts_pools == ()


def test_read_dump_top_level_yaml_list_names_elements() -> None:
    path = fixture_path("whereabouts-IPPool-bogus-offset-issue403.yaml")
    result = read_dump(path, taken_at=TAKEN_AT)
    assert [pool.name for pool in result.whereabouts_pools] == ["1.2.3.0-24"]
    bad = _error_from_objects(
        [
            (
                f"{path}, [0]",
                {
                    "kind": "IPPool",
                    "apiVersion": "whereabouts.cni.cncf.io/v1alpha1",
                    "metadata": {"name": "x"},
                    "spec": {"range": "1.2.3.4/24"},
                },
            )
        ]
    )
    assert str(bad).startswith(f"{path}, [0] (IPPool x): spec.range: ")


def test_read_dump_lists_the_kinds_it_holds_objects_of(tmp_path: Path) -> None:
    # An empty List says nothing about the kind it was a list of.
    path = _write(tmp_path / "dump.json", _list(pod("a")) + "\n" + json.dumps({"kind": "List", "items": []}))

    found = read_dump(path, taken_at=TAKEN_AT)

    assert found.listed == {"pods"}
    assert (found.is_listed("pods"), found.is_listed("calico_handles")) == (True, False)


def test_read_dump_concatenated_json_documents(tmp_path: Path) -> None:
    path = _write(tmp_path / "all.json", _list(pod("a")) + "\n" + json.dumps(pod("b")) + "\n\n")
    assert [p.name for p in read_dump(path, taken_at=TAKEN_AT).pods] == ["a", "b"]


def test_read_dump_single_file_of_any_name_by_content(tmp_path: Path) -> None:
    json_path = _write(tmp_path / "pods.out", _list(pod("a")))
    yaml_path = _write(tmp_path / "pods.txt", yaml.safe_dump(pod("b")))
    assert [p.name for path in (json_path, yaml_path) for p in read_dump(path, taken_at=TAKEN_AT).pods] == [
        "a",
        "b",
    ]


def test_read_dump_typed_list_lends_kind_and_api_version(tmp_path: Path) -> None:
    item = pod("a")
    del item["kind"], item["apiVersion"]
    block = kube_object("IPAMBlock", "b", api=CALICO_V1, spec={"cidr": "10.0.0.0/30"})
    del block["kind"], block["apiVersion"]
    _write(tmp_path / "pods.json", json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [item]}))
    _write(
        tmp_path / "blocks.json",
        json.dumps({"kind": "IPAMBlockList", "apiVersion": CALICO_V1, "items": [block]}),
    )
    result = read_dump(tmp_path, taken_at=TAKEN_AT)
    assert ([p.name for p in result.pods], [b.name for b in result.calico_blocks]) == (["a"], ["b"])


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        pytest.param(
            kube_object("IPAddressPool", "p", api="metallb.io/v1beta2"),
            "IPAddressPool of apiVersion metallb.io/v1beta2 is not read: ipledger reads metallb.io/v1beta1",
            id="unknown-version",
        ),
        pytest.param(
            kube_object("Pod", "p", api="v2"),
            "Pod of apiVersion v2 is not read: ipledger reads v1",
            id="core-version",
        ),
        pytest.param(
            kube_object("BGPConfiguration", "default", api="projectcalico.org/v3"),
            "BGPConfiguration (projectcalico.org/v3) holds nothing ipledger reads",
            id="other-kind-of-a-read-group",
        ),
        pytest.param({"metadata": {"name": "x"}}, "no kind: not a Kubernetes object", id="no-kind"),
    ],
)
def test_snapshot_from_objects_skips_what_it_does_not_read(item: dict[str, Any], reason: str) -> None:
    result = snapshot_from_objects([("GET /apis/x", item)], taken_at=TAKEN_AT)
    assert [(note.source, note.reason) for note in result.skipped] == [("GET /apis/x", reason)]


def test_snapshot_from_objects_leaves_the_objects_unchanged() -> None:
    objects = [("GET /api/v1/pods", json.loads(_list(pod("a"), pod("b"))))]
    before = copy.deepcopy(objects)
    result = snapshot_from_objects(objects, taken_at=TAKEN_AT)
    assert (len(result.pods), objects) == (2, before)


def test_snapshot_from_objects_accepts_a_lazy_iterable() -> None:
    def pages() -> Iterator[tuple[str, dict[str, Any]]]:
        for index in range(3):
            yield f"page {index}", pod(f"p{index}")

    assert [p.name for p in snapshot_from_objects(pages(), taken_at=TAKEN_AT).pods] == ["p0", "p1", "p2"]


@pytest.mark.parametrize("enabled", [True, False], ids=["gc-enabled", "gc-disabled"])
def test_read_dump_restores_the_collector_state(tmp_path: Path, enabled: bool) -> None:
    path = _write(tmp_path / "pods.json", _list(pod("a")))
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        read_dump(path, taken_at=TAKEN_AT)
        with pytest.raises(DumpError):
            read_dump(tmp_path / "missing.json", taken_at=TAKEN_AT)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


# --- broken files -----------------------------------------------------------------------------


def _error_from_objects(objects: list[tuple[str, Any]]) -> DumpError:
    with pytest.raises(DumpError) as caught:
        snapshot_from_objects(objects, taken_at=TAKEN_AT)
    return caught.value


def test_read_dump_bad_pod_ip_names_file_item_and_field(tmp_path: Path) -> None:
    items = [pod(f"web-{index}", ips=(f"10.0.0.{index}",)) for index in range(13)]
    items[12] = pod("web-1", ips=("10.0.0.300",))
    path = _write(tmp_path / "pods.json", _list(*items))
    error = _error(path)
    assert str(error).startswith(f"{path}, items[12] (Pod default/web-1): status.podIPs[0].ip: '10.0.0.300'")
    assert isinstance(error, InvalidInputError) and error.field == "status.podIPs[0].ip"


def test_read_dump_bad_block_cidr_in_yaml_stream(tmp_path: Path) -> None:
    block = kube_object("IPAMBlock", "10-0-0-0-26", api=CALICO_V1, spec={"cidr": "10.0.0.0/26"})
    broken = kube_object("IPAMBlock", "10-0-0-64-26", api=CALICO_V1, spec={"cidr": "10.0.0.64/33"})
    path = _write(tmp_path / "blocks.yaml", yaml.safe_dump_all([block, broken]))
    assert str(_error(path)).startswith(
        f"{path}, document 2 (IPAMBlock 10-0-0-64-26): spec.cidr: '10.0.0.64/33'"
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        pytest.param(
            "pods.json",
            '{"kind": "List", "items": {"a": 1}}',
            "(List): items: expected a list, got a mapping",
            id="items-mapping",
        ),
        pytest.param(
            "pods.yaml",
            "kind: List\nitems: pods\n",
            "(List): items: expected a list, got the string 'pods'",
            id="items-string",
        ),
        pytest.param(
            "pods.json",
            '{"kind": "List", "items": [}',
            "not valid JSON: Expecting value (line 1, column 28)",
            id="json-syntax",
        ),
        pytest.param(
            "pods.json",
            '{"kind": "List", "items": [1] } x',
            "not valid JSON: Expecting value (line 1, column 33)",
            id="json-trailing",
        ),
        pytest.param(
            "pods.yaml", "kind: Pod\n  metadata: {name: a}\n", "(line 2, column 11)", id="yaml-syntax"
        ),
        pytest.param("pods.yaml", "kind: Pod\nmetadata: [a\n", "not valid YAML: ", id="yaml-truncated-flow"),
        pytest.param(
            "pods.yaml",
            "just text\n",
            "expected a Kubernetes object (a mapping), got the string 'just text'",
            id="scalar-document",
        ),
        pytest.param(
            "pods.json",
            '{"kind": ["Pod"], "metadata": {"name": "a"}}',
            "kind: expected a string, got a list",
            id="kind-list",
        ),
        pytest.param(
            "pods.json",
            '{"kind": "Pod", "apiVersion": 1}',
            "apiVersion: expected a string, got the number 1",
            id="api-number",
        ),
    ],
)
def test_read_dump_refuses_broken_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = _write(tmp_path / name, text)
    error = _error(path)
    assert str(error).startswith(str(path)) and message in str(error)


@pytest.mark.parametrize("cut", [0.5, 2 / 3, 0.999], ids=["half", "two-thirds", "last-byte"])
def test_read_dump_truncated_json_says_so(tmp_path: Path, cut: float) -> None:
    text = json.dumps(json.loads(_list(*(pod(f"web-{index}") for index in range(50)))), indent=2)
    path = _write(tmp_path / "pods.json", text[: int(len(text) * cut)])
    message = str(_error(path))
    assert message.startswith(f"{path}: not valid JSON: the text ends inside a value begun at line ")
    assert message.endswith("(truncated?)")


def test_read_dump_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "pods.json"
    path.write_bytes(b'{"kind": "Pod", "metadata": {"name": "caf\xe9"}}')
    assert str(_error(path)) == f"{path}: not UTF-8 text (byte 41 is 0xe9)"


def test_read_dump_refuses_files_over_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dump, "MAX_DUMP_BYTES", 2 << 20)
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (3 << 20))
    assert str(_error(path)) == f"{path}: 3 MiB is more than the 2 MiB a dump file may hold"


def test_read_dump_limit_is_512_mib() -> None:
    assert dump.MAX_DUMP_BYTES == 512 * 1024 * 1024


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        pytest.param({}, "no *.json, *.yaml, *.yml files in the directory", id="empty-directory"),
        pytest.param(
            {"notes.txt": "x"}, "no *.json, *.yaml, *.yml files in the directory", id="no-dump-files"
        ),
    ],
)
def test_read_dump_refuses_directory_without_dumps(
    tmp_path: Path, layout: dict[str, str], message: str
) -> None:
    for name, text in layout.items():
        _write(tmp_path / name, text)
    assert str(_error(tmp_path)) == f"{tmp_path}: {message}"


def test_read_dump_refuses_missing_path(tmp_path: Path) -> None:
    assert str(_error(tmp_path / "nope")) == f"{tmp_path / 'nope'}: no such file or directory"


def test_read_dump_refuses_deep_nesting(tmp_path: Path) -> None:
    path = _write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    assert str(_error(path)) == f"{path}: nested too deeply to be a Kubernetes object"


def test_snapshot_from_objects_refuses_an_object_that_is_not_a_mapping() -> None:
    error = _error_from_objects(
        [("GET /api/v1/pods", json.loads(_list(pod("a"))) | {"items": [pod("a"), "b"]})]
    )
    assert (
        str(error)
        == "GET /api/v1/pods, items[1]: expected a Kubernetes object (a mapping), got the string 'b'"
    )
