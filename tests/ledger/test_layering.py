"""The ledger sits under everything that moves money: it imports nothing from the apps above it
(rebates, loyalty, sales, discounts, …), not even inside a function, and of customers and the
catalogue only their models. Whatever knows statements and policies calls down into it."""

from __future__ import annotations

import ast
from pathlib import Path

import fanli.ledger

LEDGER = Path(fanli.ledger.__file__).resolve().parent
ABOVE = ("fanli.rebates", "fanli.loyalty", "fanli.sales", "fanli.imports", "fanli.discounts", "fanli.crm",
         "fanli.web", "fanli.demo", "fanli.api", "fanli.urls")
MODELS_ONLY = ("fanli.customers", "fanli.catalog")


def _imports(path: Path) -> list[tuple[int, str]]:
    package = "fanli.ledger." + ".".join(path.relative_to(LEDGER).with_suffix("").parts)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package.rsplit(".", node.level)[0]
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found += [(node.lineno, module)]
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names if module in MODELS_ONLY]
    return found


def _refused(module: str) -> bool:
    if any(module == top or module.startswith(top + ".") for top in ABOVE):
        return True
    return any((module == top or module.startswith(top + ".")) and module != f"{top}.models" for top in MODELS_ONLY)


def test_no_ledger_module_imports_an_app_above_the_ledger():
    files = sorted(LEDGER.rglob("*.py"))
    assert LEDGER / "services.py" in files and LEDGER / "models.py" in files
    refused = [f"{path.relative_to(LEDGER)}:{line} imports {module}"
               for path in files for line, module in _imports(path) if _refused(module)]
    assert refused == []


def test_the_check_sees_a_function_level_import_from_above():
    source = "def pay():\n    from fanli.rebates.models import Statement\n    from fanli.customers.services import x\n"
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            modules.append(node.module or "")
    assert [m for m in modules if _refused(m)] == ["fanli.rebates.models", "fanli.customers.services"]
    assert not _refused("fanli.customers.models") and not _refused("fanli.common.bulk")
