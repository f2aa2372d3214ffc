"""Tests that docs/architecture.md mentions every CLI command and every route there is."""

from __future__ import annotations

from pathlib import Path

import click
from starlette.routing import Mount, Route

from versionvault.archive import Vault
from versionvault.cli import main
from versionvault.web import Settings, Site
from versionvault.web.app import routes

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
README = Path(__file__).resolve().parents[1] / "README.md"


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(prefix + name)
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


def _section(title: str) -> str:
    text = ARCHITECTURE.read_text("utf-8")
    start = text.index(f"### {title}")
    end = text.find("\n### ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_every_cli_command_is_documented() -> None:
    section = _section("Command line")
    lines = [line.strip() for line in section.splitlines()]
    for command in _commands(main):
        assert any(
            line.startswith(command + " ") or line == command or f"| {command}" in line
            for line in lines
        ), f"`versionvault {command}` is not in docs/architecture.md"


def test_every_route_is_documented(tmp_path: Path) -> None:
    documented = _section("Web pages") + _section("JSON API")
    with Vault.init(tmp_path / "archive") as vault:
        for route in routes(Site(vault, Settings())):
            if isinstance(route, Mount):
                assert f"{route.path}/..." in documented, route.path
            elif isinstance(route, Route):
                for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                    path = route.path.replace("{article_id}", "{id}")
                    path = path.replace("{url:path}", "{original-url}")
                    assert any(
                        method in line and f" {path}" in f"{line} ".replace("?", " ")
                        for line in documented.splitlines()
                    ), f"{method} {path} is not in docs/architecture.md"


def test_the_readme_links_the_architecture() -> None:
    assert "docs/architecture.md" in README.read_text("utf-8")
