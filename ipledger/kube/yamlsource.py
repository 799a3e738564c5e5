"""Line-aware YAML values for the cluster configuration readers, and the error that names a place.

PyYAML's composer keeps the position of every node. `load_documents` turns each composed document
into a tree of `YamlValue`s that know their file, their dotted field path and their 1-based line,
so that every complaint about a value names the file, the line and the field (`ConfigError`).
Only the safe loader is used, so no tag can construct a Python object.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ipledger.core.errors import InvalidInputError

__all__ = ["ConfigError", "YamlValue", "find_document", "load_documents"]

_T = TypeVar("_T")

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Aliases share nodes, and expanding them into trees could grow exponentially (the "billion
# laughs"): the expansion is capped far above any real configuration file.
_MAX_VALUES = 200_000
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
# Collections are built here rather than by the loader, so their tags are checked here too.
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class ConfigError(InvalidInputError):
    """A configuration file that cannot be read as given.

    The message names the file, the line (1-based) where known and the field where one is at
    fault: ``cluster.yaml, line 7, networking.podSubnet: 10.244.0.1/16: host bits set; ...``.
    """

    def __init__(self, detail: str, *, path: str, line: int | None = None, field: str | None = None) -> None:
        place = [path] + ([f"line {line}"] if line is not None else []) + ([field] if field else [])
        super().__init__(f"{', '.join(place)}: {detail}", field=field)
        self.path = path
        self.line = line
        self.detail = detail


@dataclass(frozen=True, slots=True)
class YamlValue:
    """One value of a document: a scalar, a mapping (``entries``) or a sequence (``items``).

    ``line`` is the line of the field's key for a mapping entry, else of the value itself;
    ``text`` is a scalar as written (``"0644"`` stays ``"0644"``), ``scalar`` what YAML makes of it.
    """

    path: str
    field: str
    line: int
    scalar: object = None
    text: str = ""
    entries: dict[str, YamlValue] | None = None
    items: tuple[YamlValue, ...] | None = None

    def error(self, detail: str) -> ConfigError:
        return ConfigError(detail, path=self.path, line=self.line, field=self.field or None)

    def describe(self) -> str:
        """What the value is, in words, for "expected X, got Y" messages."""
        if self.entries is not None:
            return "a mapping"
        if self.items is not None:
            return "a list"
        match self.scalar:
            case bool():
                return f"the boolean {self.text}"
            case int() | float():
                return f"the number {self.text}"
            case str():
                return f"the string {self.scalar!r}"
            case date():
                return f"the date {self.text}"
            case None:
                return "nothing (null)"
        return f"the value {self.text!r}"

    def mapping(self) -> dict[str, YamlValue]:
        if self.entries is None:
            raise self.error(f"expected a mapping of fields, got {self.describe()}")
        return self.entries

    def sequence(self) -> tuple[YamlValue, ...]:
        if self.items is None:
            raise self.error(f"expected a list, got {self.describe()}")
        return self.items

    def get(self, key: str) -> YamlValue | None:
        """The entry ``key`` of this mapping, or None when it is absent or null."""
        value = self.mapping().get(key)
        if value is None or (value.scalar is None and value.entries is None and value.items is None):
            return None
        return value

    def section(self, key: str) -> YamlValue:
        """The mapping ``key`` of this mapping, or an empty one (placed here) when it is absent."""
        value = self.get(key)
        if value is None:
            return YamlValue(self.path, f"{self.field}.{key}" if self.field else key, self.line, entries={})
        value.mapping()
        return value

    def text_at(self, key: str) -> str:
        """The string entry ``key`` of this mapping, or "" when it is absent."""
        value = self.get(key)
        return value.string() if value is not None else ""

    def string(self) -> str:
        if not isinstance(self.scalar, str):
            raise self.error(f"expected a string, got {self.describe()}")
        return self.scalar

    def integer(self, *, minimum: int) -> int:
        if not isinstance(self.scalar, int) or isinstance(self.scalar, bool):
            raise self.error(f"expected a whole number, got {self.describe()}")
        if self.scalar < minimum:
            raise self.error(f"{self.scalar} is too small: the least allowed is {minimum}")
        return self.scalar

    def boolean(self) -> bool:
        if not isinstance(self.scalar, bool):
            raise self.error(f"expected true or false, got {self.describe()}")
        return self.scalar

    def number(self, *, minimum: float) -> float:
        if not isinstance(self.scalar, int | float) or isinstance(self.scalar, bool):
            raise self.error(f"expected a number, got {self.describe()}")
        try:
            finite = math.isfinite(self.scalar)
        except OverflowError:  # an integer too large for a float
            finite = False
        if not (finite and self.scalar >= minimum):
            raise self.error(f"{self.text} is out of range: the least allowed is {minimum}")
        return float(self.scalar)

    def choice(self, allowed: tuple[str, ...]) -> str:
        if (text := self.string()) not in allowed:
            raise self.error(f"{text!r}: expected one of {', '.join(allowed)}")
        return text

    def require_known(self, allowed: tuple[str, ...]) -> None:
        """Refuse a field of this mapping that is not in ``allowed``, suggesting the closest."""
        for key, value in self.mapping().items():
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(allowed)}"
                raise value.error(f"unknown field {key!r}; {hint}")

    def pieces(self, *, lists: bool = False) -> tuple[tuple[YamlValue, str], ...]:
        """The comma-separated entries of this string (with ``lists``, of each string of a list),
        each with the value it came from; an empty string has none."""
        values = self.items if lists and self.items is not None else (self,)
        found = tuple((value, piece.strip()) for value in values for piece in value.string().split(","))
        empty = next((value for value, piece in found if not piece), None)
        if len(found) > 1 and empty is not None:
            raise empty.error(f"an empty entry (a stray comma or an empty item) in {empty.text!r}")
        return tuple((value, piece) for value, piece in found if piece)

    def parse(self, parser: Callable[[str], _T], text: str | None = None) -> _T:
        """``parser`` applied to ``text`` (this string by default), its complaint placed here."""
        try:
            return parser(self.string() if text is None else text)
        except InvalidInputError as exc:
            raise self.error(str(exc)) from exc

    def arg_text(self) -> str:
        """A scalar as written, as kubeadm reads string-valued arguments (``20`` is ``"20"``)."""
        if self.entries is not None or self.items is not None or self.scalar is None:
            raise self.error(f'expected a value such as "24", got {self.describe()}')
        return self.text


def load_documents(text: str, *, path: str) -> tuple[YamlValue, ...]:
    """The non-empty documents of a YAML stream, as trees of `YamlValue`.

    Raises:
        ConfigError: a syntax error (with the parser's line), a duplicate key, a key that is not
            a plain scalar, or nesting or alias expansion beyond what a configuration needs.
    """
    builder = _Builder(path)
    try:
        return tuple(
            builder.build(node, field="", line=node.start_mark.line + 1)
            for node in yaml.compose_all(text, Loader=_LOADER)
            if not (isinstance(node, ScalarNode) and node.tag == _NULL_TAG)
        )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = ": ".join(part for part in (exc.context, exc.problem) if part)
        raise ConfigError(
            f"not valid YAML: {detail}", path=path, line=mark.line + 1 if mark else None
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=path) from exc
    except RecursionError as exc:
        raise ConfigError("nested too deeply to be a cluster configuration", path=path) from exc
    except ConfigError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, UnicodeError) as exc:
        # PyYAML's constructors fail with plain exceptions on values like `0000-00-00` or `!!int`.
        raise ConfigError(
            f"not valid YAML: a value cannot be read ({type(exc).__name__}: {exc})", path=path
        ) from exc


def find_document(
    docs: tuple[YamlValue, ...], *, path: str, kind: str, versions: tuple[str, ...], required: bool = True
) -> YamlValue:
    """The one document of ``kind`` among ``docs``, its apiVersion one of ``versions``; an empty
    mapping when there is none and it is not ``required``.

    Raises:
        ConfigError: a required document is missing, there are two, or one has another apiVersion.
    """
    found = [doc for doc in docs if doc.text_at("kind") == kind]
    if not found and required:
        raise ConfigError(f"no document of kind {kind} ({' or '.join(versions)})", path=path)
    if not found:
        return YamlValue(path, "", 1, entries={})
    if len(found) > 1:
        raise found[1].error(f"a second {kind} (the first is at line {found[0].line})")
    if (api := found[0].text_at("apiVersion")) not in versions:
        raise (found[0].get("apiVersion") or found[0].mapping()["kind"]).error(
            f"unsupported apiVersion {api!r} for {kind}: ipledger reads {' and '.join(versions)}"
        )
    return found[0]


class _Builder:
    """Turns composed nodes into `YamlValue` trees, counting the values made."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self.constructor = SafeConstructor()

    def build(self, node: Node, *, field: str, line: int) -> YamlValue:
        self.count += 1
        if self.count > _MAX_VALUES:
            raise ConfigError(
                f"more than {_MAX_VALUES} values once aliases are expanded", path=self.path, line=line
            )
        if not isinstance(node, ScalarNode) and node.tag not in _COLLECTION_TAGS:
            raise ConfigError(f"not valid YAML: unsupported tag {node.tag}", path=self.path, line=line)
        if isinstance(node, MappingNode):
            return YamlValue(self.path, field, line, entries=self._entries(node, field))
        if isinstance(node, SequenceNode):
            items = tuple(
                self.build(item, field=f"{field}[{index}]", line=item.start_mark.line + 1)
                for index, item in enumerate(node.value)
            )
            return YamlValue(self.path, field, line, items=items)
        scalar = self.constructor.construct_object(node, deep=True)
        return YamlValue(self.path, field, line, scalar=scalar, text=str(node.value))

    def _entries(self, node: MappingNode, field: str) -> dict[str, YamlValue]:
        entries: dict[str, YamlValue] = {}
        merged: dict[str, YamlValue] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                # A merge key (<<: *defaults) brings in fields that explicit keys override.
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    merged = self.build(source, field=field, line=line).mapping() | merged
                continue
            if not isinstance(key_node, ScalarNode):
                raise ConfigError(
                    "a key must be a plain name", path=self.path, line=line, field=field or None
                )
            key = str(key_node.value)
            child = f"{field}.{key}" if field else key
            if key in entries:
                raise ConfigError(
                    f"duplicate key {key!r} (first at line {entries[key].line})",
                    path=self.path,
                    line=line,
                    field=child,
                )
            entries[key] = self.build(value_node, field=child, line=line)
        return merged | entries
