"""An editor in a real browser: sign in, edit, Show changes, a conflict, restore, sign out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from versionvault.archive import Vault, add_editor
from versionvault.cli import build_demo
from versionvault.web import create_app

from .browsing import launch_chromium, needs_chromium
from .serving import serve
from .test_browser import Watch

ARTICLE = "/articles/harbour-board-budget-2026"
EDIT = ARTICLE + "/edit"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Vault, str, str]]:
    vault = build_demo(tmp_path_factory.mktemp("editors") / "archive")
    ann = add_editor(vault.home / "editors.toml", "ann")
    bo = add_editor(vault.home / "editors.toml", "bo")
    try:
        with serve(create_app(vault)) as base:
            yield base, vault, ann, bo
    finally:
        vault.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _shot(page: Any, name: str, width: int) -> None:
    from .test_browser import _shot as shot

    page.set_viewport_size({"width": width, "height": 900})
    shot(page, name)


def _sign_in(page: Any, base: str, token: str, name: str = "ann") -> None:
    page.goto(base + EDIT)
    page.wait_for_url("**/login?next=*")
    page.fill("#name", name)
    page.fill("#token", token)
    page.click("form.signin button[type=submit]")
    page.wait_for_url(base + EDIT)


def test_an_editor_corrects_an_article_in_the_browser(
    newsroom: tuple[str, Vault, str, str], browser: Any
) -> None:
    base, vault, ann, bo = newsroom
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    try:
        page.goto(base + "/login")
        _shot(page, "login-360.png", 360)
        page.set_viewport_size({"width": 1280, "height": 900})
        _sign_in(page, base, ann)
        cookie = next(c for c in context.cookies() if c["name"] == "vv_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
        assert cookie["expires"] > time.time() + 3600
        assert page.locator(".signed-in").first.inner_text() == "ann"

        before = len(vault.history("harbour-board-budget-2026"))
        body = page.input_value("#body")
        mine = body.replace("for another winter", "for a second winter")
        assert mine != body
        page.fill("#body", mine)
        page.fill("#note", "the board's own words")
        page.click("button[value=preview]")
        page.wait_for_selector(".preview")
        assert page.locator(".preview del").filter(has_text="another").count() == 1
        assert page.locator(".preview ins").filter(has_text="a second").count() == 1
        assert page.input_value("#body") == mine and page.input_value("#note")
        assert len(vault.history("harbour-board-budget-2026")) == before
        _shot(page, "edit-preview-1280.png", 1280)
        _shot(page, "edit-preview-360.png", 360)
        page.set_viewport_size({"width": 1280, "height": 900})

        latest = vault.revision("harbour-board-budget-2026")
        theirs = vault.text(latest)
        other = httpx.post(
            f"{base}/api/articles/harbour-board-budget-2026/revisions",
            json={
                "title": theirs.title,
                "body": theirs.body.replace("Agnes Pellow", "Agnes Pellow-Hart"),
                "note": "name corrected",
            },
            headers={"Authorization": f"Bearer {bo}", "If-Match": latest.commit},
        )
        assert other.status_code == 201, other.text
        page.click("button[value=save]")
        page.wait_for_selector(".conflict")
        assert "name corrected" in page.locator(".conflict").inner_text()
        assert page.input_value("#body") == mine  # nothing lost
        assert page.locator(".preview del").filter(has_text="Hart").count() >= 1
        assert page.locator(".preview ins").filter(has_text="a second").count() == 1
        _shot(page, "edit-conflict-360.png", 360)
        page.set_viewport_size({"width": 1280, "height": 900})

        page.fill("#body", page.input_value("#body").replace("Agnes Pellow", "Agnes Pellow-Hart"))
        page.click("button[value=save]")
        page.wait_for_url("**/diff?from=*")
        saved = vault.revision("harbour-board-budget-2026")
        assert (saved.note, saved.editor, saved.number) == (
            "the board's own words",
            "ann",
            before + 2,
        )
        text = vault.text(saved).body
        assert "for a second winter" in text and "Agnes Pellow-Hart" in text
        assert page.locator(".head-new .note").inner_text() == "the board's own words"

        page.goto(base + ARTICLE)
        assert page.locator("button.restore").count() == saved.number - 1
        _shot(page, "article-editor-1280.png", 1280)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("button.restore[value='1']")
        page.wait_for_url("**/diff?from=*")
        restored = vault.revision("harbour-board-budget-2026")
        first = vault.revision("harbour-board-budget-2026", 1)
        assert restored.number == saved.number + 1 and restored.editor == "ann"
        assert restored.note == "restored revision 1" + (f": {first.note}" if first.note else "")
        assert vault.stored_file(restored) == vault.stored_file(first)

        count = len(vault.history("harbour-board-budget-2026"))
        forged = page.request.post(
            base + EDIT,
            form={
                "title": "Forged",
                "byline": "",
                "body": "Forged text.",
                "note": "no token",
                "base": restored.commit,
                "action": "save",
            },
        )
        assert forged.status == 403
        assert len(vault.history("harbour-board-budget-2026")) == count

        page.goto(base + "/logout")
        page.click("form.signin button[type=submit]")
        page.wait_for_url(base + "/")
        assert not [c for c in context.cookies() if c["name"] == "vv_session"]
        page.goto(base + EDIT)
        page.wait_for_url("**/login?next=*")
        page.goto(base + ARTICLE)
        assert page.locator("button.restore").count() == 0
        conflict = "the server responded with a status of 409"  # the conflict view's own status
        assert watch.dialogs == [] and [e for e in watch.errors if conflict not in e] == []
    finally:
        context.close()
