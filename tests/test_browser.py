"""A real browser (Playwright driving Debian's Chromium) against the site under uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from versionvault.cli import build_demo
from versionvault.text import make_article
from versionvault.web import create_app

from .browsing import ARTIFACTS, launch_chromium, needs_chromium
from .serving import serve
from .test_web import XSS_BODY, XSS_TITLE

ARTICLE = "/articles/harbour-board-budget-2026"
LIFEBOAT = "/articles/skerrow-lifeboat-rescue"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    vault = build_demo(tmp_path_factory.mktemp("browser") / "archive")
    evil = make_article(id="evil", source="wire", title=XSS_TITLE, body=XSS_BODY)
    vault.save_revision(evil)
    vault.save_revision(make_article(**{**evil.__dict__, "body": XSS_BODY + "\n\n<b>x</b>"}))
    try:
        with serve(create_app(vault)) as base:
            yield base
    finally:
        vault.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


class Watch:
    """Everything a page reports that a safe page never should."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def _shot(page: Any, name: str, full: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full)


def test_compare_two_revisions_step_through_changes_and_split(site: str, page: Any) -> None:
    watch = Watch(page)
    page.goto(site + ARTICLE)
    assert page.locator("h1").inner_text().startswith("Harbour Board")
    assert page.locator("svg.timeline rect").count() == 4
    _shot(page, "history.png")

    page.check('input[name="from"][value="1"]')
    page.check('input[name="to"][value="4"]')
    page.locator("form.history button").first.click()
    page.wait_for_url(lambda url: "/diff?" in url and "from=1" in url and "to=4" in url)
    assert page.locator("h1").inner_text().startswith("Changes to")
    changes = page.locator("[data-change]")
    assert changes.count() >= 3
    assert page.locator("ins").count() > 0 and page.locator("del").count() > 0
    assert page.locator("html.js").count() == 1

    page.keyboard.press("n")
    page.wait_for_function("location.hash === '#change-1'")
    assert page.evaluate("document.activeElement.id") == "change-1"
    first_y = page.evaluate("window.scrollY")
    page.keyboard.press("n")
    page.wait_for_function("location.hash === '#change-2'")
    assert page.evaluate("document.activeElement.id") == "change-2"
    page.keyboard.press("n")
    page.wait_for_function("location.hash === '#change-3'")
    assert page.evaluate("window.scrollY") > first_y
    page.keyboard.press("p")
    page.wait_for_function("location.hash === '#change-2'")
    _shot(page, "diff.png", full=False)
    _shot(page, "diff-full.png")

    page.click("#view-split")
    page.wait_for_url("**view=split**")
    assert page.locator(".cell.old").count() > 0 and page.locator(".cell.new").count() > 0
    old_box = page.locator("#change-1 .cell.old").bounding_box()
    new_box = page.locator("#change-1 .cell.new").bounding_box()
    assert old_box and new_box and old_box["x"] < new_box["x"]
    _shot(page, "diff-split.png", full=False)
    assert watch.dialogs == [] and watch.errors == []


def test_unchanged_text_folds_and_unfolds(site: str, page: Any) -> None:
    page.goto(site + LIFEBOAT + "/diff?from=3&to=4")
    fold = page.locator("details.fold").first
    assert not fold.evaluate("d => d.open")
    fold.locator("summary").click()
    assert fold.evaluate("d => d.open")
    page.click("text=show all")
    page.wait_for_url("**context=all**")
    assert page.locator("details.fold").count() == 0


def test_site_works_without_javascript(site: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site + ARTICLE + "/diff?from=1&to=4")
        assert page.locator("html.js").count() == 0
        page.locator("#change-1 .chg-nav a[rel=next]").click()
        page.wait_for_url("**#change-2")
        page.goto(site + ARTICLE)
        page.check('input[name="from"][value="3"]')
        page.check('input[name="to"][value="4"]')
        page.locator("form.history button").first.click()
        page.wait_for_url(lambda url: "/diff?" in url and "from=3" in url and "to=4" in url)
        assert page.locator("ins").count() > 0
    finally:
        context.close()


def test_hostile_text_executes_nothing(site: str, page: Any) -> None:
    watch = Watch(page)
    page.add_init_script("window.__xss = 0")
    for url in [
        "/articles/evil",
        "/articles/evil/revisions/1",
        "/articles/evil/diff",
        "/articles/evil/diff?view=split&context=all",
        "/articles?q=script",
        "/",
    ]:
        page.goto(site + url)
        assert page.evaluate("document.querySelectorAll('img[src=x], b').length") == 0, url
        assert page.evaluate("window.__xss") == 0
    page.goto(site + "/articles/evil")
    assert page.get_by_text("<script>alert('title')</script>").count() >= 1
    assert watch.dialogs == [] and watch.errors == []


def test_phone_and_print(site: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(site + ARTICLE + "/diff?from=1&to=4")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        _shot(page, "diff-phone.png", full=False)
        page.emulate_media(media="print")
        assert page.locator(".toolbar").is_hidden()
        assert page.locator("ins").first.is_visible()
    finally:
        context.close()
