"""Tests that the layers of docs/architecture.md hold: imports, SQL, I/O and module size."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "versionvault"
# Lowest first: a package may import its own layer or a lower one, never a higher one.
LAYERS = {
    "text": 0,
    "diff": 0,
    "archive": 1,
    "watch": 2,
    "gitserve": 2,
    "gitwire": 2,
    "web": 3,
    "cli": 4,
}
STORE = {
    "archive/commits.py",
    "archive/packs.py",
    "archive/store.py",
    "archive/maintenance.py",
    "archive/replica.py",
    "archive/transaction.py",
    "archive/trees.py",
}
SQL_MODULES = {
    "archive/tallies.py",
    "archive/database.py",
    "archive/index.py",
    "archive/rows.py",
    "archive/search.py",
    "watch/state.py",
}
IO_MODULES = {"os", "pathlib", "subprocess", "socket", "sqlite3", "dulwich", "shutil", "httpx"}
_SQL = re.compile(r"\b(SELECT|INSERT|DELETE FROM|CREATE TABLE|UPDATE \w+ SET)\b")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _layer_of(path: Path) -> str:
    return _name(path).split("/")[0].removesuffix(".py")


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"))


def _imports(path: Path) -> set[str]:
    """Return the top-level names a module imports from outside the package."""
    names: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _project_imports(path: Path) -> set[str]:
    """Return the project packages (first part below versionvault) a module imports."""
    here = path.relative_to(PACKAGE).parts[:-1]
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - node.level + 1] if node.level > 1 else here
            parts = [*base, *(node.module.split(".") if node.module else [])]
            if parts:
                found.add(parts[0])
            else:  # `from . import x` at the top of the package
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("versionvault."):
            found.add((node.module or "").split(".")[1])
    return found


def test_only_the_store_and_gitserve_import_dulwich() -> None:
    users = {_name(p) for p in _modules() if "dulwich" in _imports(p)}
    assert users <= STORE | {"gitserve.py", "gitfetch.py"}


def test_only_the_index_search_and_watch_state_speak_sql() -> None:
    users = {_name(p) for p in _modules() if "sqlite3" in _imports(p)}
    assert users <= SQL_MODULES
    for path in _modules():
        strings = [
            n.value
            for n in ast.walk(_tree(path))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        if any(_SQL.search(s) for s in strings):
            assert _name(path) in SQL_MODULES, _name(path)


def test_diff_and_text_do_no_io() -> None:
    pure = [p for p in _modules() if _layer_of(p) in ("diff", "text")]
    assert len(pure) >= 4
    for path in pure:
        assert not _imports(path) & IO_MODULES, _name(path)
        calls = [n for n in ast.walk(_tree(path)) if isinstance(n, ast.Call)]
        assert not any(isinstance(c.func, ast.Name) and c.func.id == "open" for c in calls)


def test_no_package_imports_a_higher_one() -> None:
    for path in _modules():
        layer = LAYERS.get(_layer_of(path))
        if layer is None:  # __init__.py and __main__.py of the top package
            continue
        for used in _project_imports(path):
            if used in LAYERS:
                assert LAYERS[used] <= layer, f"{_name(path)} imports {used}"


def test_every_package_names_its_public_face() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        if init.parent == PACKAGE:
            continue
        names = [
            t.id
            for n in _tree(init).body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        ]
        assert "__all__" in names, _name(init)


def test_every_module_is_short_and_has_a_one_line_docstring() -> None:
    for path in _modules():
        doc = ast.get_docstring(_tree(path))
        assert doc and "\n" not in doc.strip(), _name(path)
        assert len(path.read_text("utf-8").splitlines()) <= 400, _name(path)
