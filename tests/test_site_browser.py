"""The demo in a real Chromium: every page type at 360 and 1280 px, axe-core, the keyboard."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from versionvault.cli import build_demo
from versionvault.web import create_app

from .browsing import launch_chromium, needs_chromium
from .serving import serve

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "site"
AXE_PLACES = [
    Path(os.environ.get("VERSIONVAULT_AXE", "/nonexistent")),
    ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js",
    Path(sys.prefix) / "axe" / "node_modules" / "axe-core" / "axe.min.js",
    ROOT / "node_modules" / "axe-core" / "axe.min.js",
]
AXE = next((p for p in AXE_PLACES if p.is_file()), None)
BUDGET = "/articles/harbour-board-budget-2026"
PAGES = {
    "recent": "/",
    "recent-older": "/?before=20",
    "recent-filtered": "/?source=harbour-courier&kind=substantive&min=10",
    "articles": "/articles",
    "search": "/articles?q=harbour+board",
    "search-chinese": "/articles?q=%E7%A0%81%E5%A4%B4",
    "article": "/articles/skerrow-lifeboat-rescue",
    "article-removed": "/articles/harbour-lights-festival-lineup",
    "article-chinese": "/articles/ouwan-ferry-terminal",
    "revision": BUDGET + "/revisions/1",
    "diff": BUDGET + "/diff?from=1&to=4",
    "diff-split": "/articles/lower-quay-fish-market-closure/diff?from=1&to=2&view=split",
    "diff-chinese": "/articles/ouwan-ferry-terminal/diff",
    "status": "/status",
    "login": "/login",
    "not-found": "/articles/nothing-here",
}

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    vault = build_demo(tmp_path_factory.mktemp("site") / "archive")
    try:
        with serve(create_app(vault)) as base:
            yield base
    finally:
        vault.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _open(browser: Any, width: int, scheme: str = "light", **options: Any) -> Any:
    return browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme=scheme,
        bypass_csp=True,
        is_mobile=width < 500,
        **options,
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_no_page_scrolls_sideways(site: str, browser: Any, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = _open(browser, width)
    try:
        page = context.new_page()
        wide = {}
        for name, url in PAGES.items():
            page.goto(site + url)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                culprits = page.evaluate(
                    """w => [...document.querySelectorAll('body *')]
                      .filter(e => e.getBoundingClientRect().right > w + 1)
                      .slice(0, 5).map(e => e.tagName + '.' + e.className)""",
                    width,
                )
                wide[name] = (scroll, culprits)
        assert wide == {}
    finally:
        context.close()


@pytest.mark.skipif(
    AXE is None, reason="axe-core not installed: npm install --prefix .venv/axe axe-core"
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(site: str, browser: Any, scheme: str) -> None:
    assert AXE is not None
    source = AXE.read_text("utf-8")
    found: dict[str, list[str]] = {}
    for width in (1280, 360):
        context = _open(browser, width, scheme)
        try:
            page = context.new_page()
            for name, url in PAGES.items():
                page.goto(site + url)
                page.add_script_tag(content=source)
                result = json.loads(
                    page.evaluate(
                        "async () => JSON.stringify(await axe.run(document, "
                        "{resultTypes: ['violations']}))"
                    )
                )
                assert len(result["passes"]) > 20, name
                violations = result["violations"]
                if violations:
                    found[f"{name}@{width}"] = [
                        f"{v['id']}: {[n['target'] for n in v['nodes']][:4]}" for v in violations
                    ]
        finally:
            context.close()
    assert found == {}


_CONTRAST = """([a, b]) => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}"""


def _focused_ring(page: Any) -> tuple[str, str]:
    return tuple(
        page.evaluate(
            "() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return [s.outlineStyle + ' ' + s.outlineColor,"
            " getComputedStyle(document.body).backgroundColor]; }"
        )
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_keyboard_only_from_home_to_a_change(site: str, browser: Any, scheme: str) -> None:
    context = _open(browser, 1280, scheme)
    try:
        page = context.new_page()
        page.goto(site + "/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        ring, paper = _focused_ring(page)
        assert ring.startswith("solid ")
        assert page.evaluate(_CONTRAST, [ring.split(" ", 1)[1], paper]) >= 3
        page.keyboard.press("Enter")
        page.wait_for_function("location.hash === '#main'")
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('.featured a.button')"):
                break
        target = page.evaluate("document.activeElement.getAttribute('href')")
        assert "/diff?from=1&to=" in target
        ring, paper = _focused_ring(page)
        assert page.evaluate(_CONTRAST, [ring.split(" ", 1)[1], paper]) >= 3
        page.keyboard.press("Enter")
        page.wait_for_url("**/diff?from=1&to=*")
        page.keyboard.press("n")
        page.wait_for_function("location.hash === '#change-1'")
        assert page.evaluate("document.activeElement.id") == "change-1"
        page.keyboard.press("n")
        page.wait_for_function("document.activeElement.id === 'change-2'")
        page.goto(site + "/articles/skerrow-lifeboat-rescue")
        off = page.locator(".off").first
        colour = off.evaluate("e => getComputedStyle(e).color")
        assert page.evaluate(_CONTRAST, [colour, paper]) >= 4.5
        if scheme == "dark":
            assert page.evaluate(_CONTRAST, ["rgb(0, 0, 0)", paper]) < 2
    finally:
        context.close()


def test_timeline_labels_are_text_and_no_image_holds_links(site: str, browser: Any) -> None:
    context = _open(browser, 1280)
    try:
        page = context.new_page()
        for url in PAGES.values():
            page.goto(site + url)
            assert page.locator("svg[role=img] a, svg[role=img] [tabindex='0']").count() == 0
            assert page.locator("svg text").count() == 0
        page.goto(site + PAGES["article-removed"])
        labels = page.locator(".ticks span")
        assert labels.count() >= 2 and labels.first.inner_text().strip()
        size = labels.first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 11
        assert page.locator("svg.timeline .mark-removed").count() == 1
    finally:
        context.close()


def test_print_carries_the_permanent_link_and_both_commits(site: str, browser: Any) -> None:
    context = _open(browser, 1280)
    try:
        page = context.new_page()
        page.goto(site + BUDGET + "/diff?from=1&to=4")
        assert page.locator(".print-only").is_hidden()
        page.emulate_media(media="print")
        footer = page.locator(".print-only")
        assert footer.is_visible()
        text = footer.inner_text()
        shas = page.evaluate(
            "() => [...document.querySelectorAll('.head-title a')].map(a => a.href)"
        )
        assert "Permanent link: http" in text and len(shas) == 2
        assert text.count("commit ") == 2
        page.goto(site + BUDGET + "/revisions/2")
        assert "commit " in page.locator(".print-only").inner_text()
    finally:
        context.close()


def test_history_rows_are_cards_on_a_phone(site: str, browser: Any) -> None:
    context = _open(browser, 360)
    try:
        page = context.new_page()
        page.goto(site + "/articles/skerrow-lifeboat-rescue")
        rows = page.locator(".history-table tbody tr")
        first, second = rows.nth(0).bounding_box(), rows.nth(1).bounding_box()
        assert first and second and second["y"] >= first["y"] + first["height"]
        assert first["width"] <= 360
        assert page.locator(".history-table thead").bounding_box()["height"] <= 1
    finally:
        context.close()
