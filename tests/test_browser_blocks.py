"""A real browser on articles with structure: headings, lists, quotes and tables at two widths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from versionvault.archive import Vault
from versionvault.web import create_app

from .browsing import ARTIFACTS, launch_chromium, needs_chromium
from .conftest import run_cli
from .serving import serve

CORPUS = Path(__file__).resolve().parent / "extract_corpus"
PAGES = ("subheads", "standings", "results-table", "graph-authors")

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("blocks") / "archive"
    Vault.init(home).close()
    for name in PAGES:
        result = run_cli(home, "ingest", str(CORPUS / f"{name}.html"), "--source", "corpus")
        assert result.exit_code == 0, result.output
    with Vault.open(home) as vault, serve(create_app(vault)) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.mark.parametrize("width", [360, 1280])
def test_structure_reads_as_structure_at_both_widths(site: str, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(site + "/articles/subheads")
        body = page.locator("article.text")
        assert body.locator("h4.body-head").count() == 3
        assert body.locator("h5.body-head").count() == 2
        assert body.locator("ul.body-list li").count() == 4
        assert "If in doubt, leave it out" in body.locator("blockquote").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"body-subheads-{width}.png"), full_page=True)

        page.goto(site + "/articles/standings/revisions/1")
        table = page.locator("article.text table.body-table")
        assert table.locator("thead th").all_inner_texts()[:2] == ["Pos", "Team"]
        assert table.locator("tbody tr").count() == 6
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, "the page scrolls sideways; only the table may"
        page.screenshot(path=str(ARTIFACTS / f"body-standings-{width}.png"), full_page=True)
    finally:
        context.close()
