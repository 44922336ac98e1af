"""The layering rule: the domain (app/domain) and the label renderers (labels/) stay pure.

They must not import the web framework, the database, HTTP clients, or the outer layers
(adapters, services, web, stations). Checked statically with `ast`, so an import inside a
function or an `if TYPE_CHECKING:` block counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = ("app/domain", "labels")
FORBIDDEN = (
    "flask",
    "flask_socketio",
    "sqlalchemy",
    "requests",
    "app.adapters",
    "app.services",
    "app.web",
    "stations",
)


def _module_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_forbidden(name: str) -> bool:
    return any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)


def imported_names(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, fully qualified module) for every import in `source`, including
    `from pkg import sub` as `pkg.sub` and `__import__("x")` / `import_module("x")` calls."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module, is_package)
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in ("__import__", "import_module"):
                found.append((node.lineno, node.args[0].value))
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    hits = {(line, name) for line, name in imported_names(source, module, is_package)}
    return sorted((line, name) for line, name in hits if _is_forbidden(name))


def pure_files() -> list[Path]:
    files = [p for pkg in PURE_PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    return [p for p in files if "__pycache__" not in p.parts]


def test_there_are_domain_and_label_modules_to_check() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in pure_files()}
    assert {"app/domain/picking.py", "app/domain/scanning.py", "labels/model.py"} <= names


def test_domain_and_labels_import_nothing_from_the_outer_layers() -> None:
    offences = []
    for path in pure_files():
        source = path.read_text(encoding="utf-8")
        module = _module_of(path)
        for line, name in violations(source, module, path.name == "__init__.py"):
            offences.append(f"{path.relative_to(ROOT).as_posix()}:{line} imports {name}")
    assert not offences, "the domain must stay pure:\n" + "\n".join(offences)


# --- the checker itself catches every way of spelling an import ---------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import flask", "flask"),
        ("from flask import Flask", "flask"),
        ("import flask_socketio as sio", "flask_socketio"),
        ("import sqlalchemy.orm", "sqlalchemy.orm"),
        ("from sqlalchemy.orm import Session", "sqlalchemy.orm"),
        ("import requests", "requests"),
        ("from app.services.intake import receive_allocation", "app.services.intake"),
        ("from app import web", "app.web"),
        ("from app.adapters.db import models", "app.adapters.db"),
        ("from stations.pick import views", "stations.pick"),
        ("from ..services import outbox", "app.services"),
        ("from .. import adapters", "app.adapters"),
        ("def f():\n    import requests\n", "requests"),
        ("if TYPE_CHECKING:\n    from flask import Flask\n", "flask"),
        ("import importlib\nimportlib.import_module('sqlalchemy')", "sqlalchemy"),
        ("__import__('flask')", "flask"),
    ],
)
def test_checker_flags_forbidden_imports(source: str, expected: str) -> None:
    found = [name for _, name in violations(source, "app.domain.example")]
    assert expected in found


@pytest.mark.parametrize(
    "source",
    [
        "import biip",
        "from app.domain.scanning import parse_scan",
        "from . import scanning",
        "from .scanning import ParsedScan",
        "import requests_toolbelt",
        "import flaskish",
        "from reportlab.lib.units import mm",
        "import app.domain.rating",
    ],
)
def test_checker_allows_pure_imports(source: str) -> None:
    assert violations(source, "app.domain.example") == []
