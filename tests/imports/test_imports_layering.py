"""The import machinery is its own app: kinds plug into it, it reaches none of them."""

from __future__ import annotations

import ast
from pathlib import Path

from fanli.imports.registry import import_kinds

FANLI = Path(__file__).resolve().parents[2] / "fanli"


def _imported_modules(folder: Path) -> dict[str, set[str]]:
    """Every module each file of ``folder`` imports, at any depth of the code (function-level too)."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        package = ".".join(path.relative_to(FANLI.parent).with_suffix("").parts[:-1])
        modules: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                modules.add(base)
                modules.update(f"{base}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(FANLI.parent))] = modules
    return found


def _reaching(folder: Path, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(f"{path}: {module}" for path, modules in _imported_modules(folder).items() for module in modules
                  if module.startswith(prefixes))


def test_the_imports_app_imports_nothing_of_sales_customers_or_catalog():
    assert _reaching(FANLI / "imports", ("fanli.sales", "fanli.customers", "fanli.catalog")) == []


def test_customers_and_catalog_reach_the_import_machinery_in_the_imports_app_not_in_sales():
    assert _reaching(FANLI / "customers", ("fanli.sales.importing", "fanli.sales.tabular", "fanli.sales.uploads",
                                          "fanli.sales.jobs", "fanli.imports.services")) == []
    assert _reaching(FANLI / "catalog", ("fanli.sales",)) == []
    assert "fanli.imports.tabular" in _imported_modules(FANLI / "customers")["fanli/customers/importing.py"]
    assert "fanli.imports.tabular" in _imported_modules(FANLI / "catalog")["fanli/catalog/importing.py"]


def test_the_check_sees_function_level_and_relative_imports():
    modules = _imported_modules(FANLI / "sales")["fanli/sales/importing.py"]

    assert {"fanli.imports.tabular", "fanli.sales.models", "fanli.sales.fingerprint"} <= modules


def test_every_kind_is_registered_by_its_own_app():
    kinds = import_kinds()

    assert sorted(kinds) == ["contacts", "customers", "grades", "products", "sales", "targets"]
    assert {name: kind.plan.__module__ for name, kind in kinds.items()} == {
        "grades": "fanli.customers.importing", "customers": "fanli.customers.importing",
        "targets": "fanli.customers.importing", "contacts": "fanli.customers.importing",
        "products": "fanli.catalog.importing",
        "sales": "fanli.sales.importing",
    }
    assert [name for name, kind in sorted(kinds.items()) if kind.unmatched_returns] == ["sales"]
