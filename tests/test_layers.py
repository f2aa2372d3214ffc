"""Tests that the layers of DESIGN.md hold: who may import dulwich, SQL, and do I/O."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "versionvault"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_store_and_gitserve_import_dulwich() -> None:
    users = {p.name for p in _modules() if "dulwich" in _imports(p)}
    assert users <= {"store.py", "gitserve.py"}


def test_only_index_speaks_sql() -> None:
    users = {p.name for p in _modules() if "sqlite3" in _imports(p)}
    assert users <= {"index.py", "watch_state.py"}


def test_pure_modules_do_no_io() -> None:
    pure = [PACKAGE / "article.py", *sorted((PACKAGE / "diff").glob("*.py"))]
    assert len(pure) > 2
    io = {"os", "pathlib", "subprocess", "socket", "sqlite3", "dulwich"}
    for path in pure:
        assert not _imports(path) & io, path.name


def test_every_module_has_a_one_line_docstring() -> None:
    for path in _modules():
        doc = ast.get_docstring(ast.parse(path.read_text("utf-8")))
        assert doc and "\n" not in doc.strip(), path.name
