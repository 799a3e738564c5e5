"""The layering of DESIGN.md, enforced: imports point down only, and only the store speaks SQL."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ipledger"

# Which of the package's layers each layer may import (itself included).
ALLOWED = {
    "core": {"core"},
    "store": {"store", "core"},
    "kube": {"kube", "core"},
    # Readers of other observations of addresses in use: nmap XML, `ip neigh`, CSV.
    "observe": {"observe", "core"},
    "service": {"service", "store", "kube", "observe", "core"},
    "api": {"api", "service", "core"},
    "web": {"web", "service", "core"},
    # The command line is the program's entry point: `ipledger serve` starts the API's server.
    "cli": {"cli", "service", "core", "api", "web"},
}
SQL_LIBRARIES = {"sqlalchemy", "alembic", "psycopg"}


def _layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py") if len(relative.parts) > 1 else relative.stem


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


MODULES = sorted(path for path in PACKAGE.rglob("*.py") if _layer_of(path) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_module_imports_only_lower_layers(path: Path) -> None:
    layer = _layer_of(path)
    wrong = [
        name
        for name in _imports(path)
        if name.startswith("ipledger.") and name.split(".")[1] not in ALLOWED[layer]
    ]
    assert not wrong, f"{layer} may import only {sorted(ALLOWED[layer])}, but imports {wrong}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_module_speaks_sql_only_in_store(path: Path) -> None:
    layer = _layer_of(path)
    roots = {name.split(".")[0] for name in _imports(path)}
    if layer == "store":
        return
    assert not roots & SQL_LIBRARIES, f"{layer} imports {sorted(roots & SQL_LIBRARIES)}"


@pytest.mark.parametrize(
    "path", [path for path in MODULES if _layer_of(path) == "core"], ids=lambda path: path.name
)
def test_core_module_uses_only_the_standard_library(path: Path) -> None:
    roots = {name.split(".")[0] for name in _imports(path)}
    foreign = {root for root in roots if root not in sys.stdlib_module_names and root != "ipledger"}
    assert not foreign, f"core imports {sorted(foreign)}"


def test_layering_check_sees_every_layer_present() -> None:
    layers = {_layer_of(path) for path in MODULES}
    assert {"core", "store", "service", "cli"} <= layers
