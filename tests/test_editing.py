"""Tests for editors in the browser: sign-in, cookies, limits, CSRF, the edit form, restore."""

from __future__ import annotations

import hashlib
import html
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from versionvault.archive import Vault, add_editor, revoke_editor
from versionvault.text import make_article
from versionvault.web import create_app
from versionvault.web.session import COOKIE, SECRET_FILE, Sessions

from .conftest import git
from .test_web import build_archive

EDIT = "/articles/story/edit"


@pytest.fixture
def token(vault: Vault) -> str:
    build_archive(vault)
    return add_editor(vault.home / "editors.toml", "ann")


@pytest.fixture
def client(vault: Vault, token: str) -> Any:
    with TestClient(create_app(vault)) as test_client:
        yield test_client


def _login(client: Any, token: str, name: str = "ann", **extra: str) -> Any:
    return client.post(
        "/login", data={"name": name, "token": token, **extra}, follow_redirects=False
    )


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def _form(client: Any) -> dict[str, str]:
    page = client.get(EDIT).text
    body = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    title = re.search(r'id="title" name="title" required value="([^"]*)"', page)
    assert body and title
    return {
        "title": html.unescape(title.group(1)),
        "byline": _hidden(page, "byline") if 'name="byline" value' in page else "",
        "body": html.unescape(body.group(1)),
        "note": "",
        "base": _hidden(page, "base"),
        "csrf": _hidden(page, "csrf"),
    }


def _refs(home: Path) -> str:
    return git("--git-dir", str(home / "articles.git"), "for-each-ref")


def test_sign_in_sets_a_strict_http_only_expiring_cookie(client: Any, token: str) -> None:
    assert client.get(EDIT, follow_redirects=False).headers["location"] == (
        "/login?next=%2Farticles%2Fstory%2Fedit"
    )
    done = _login(client, token, next=EDIT)
    assert done.status_code == 303 and done.headers["location"] == EDIT
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "max-age", "path", "samesite"} <= flags and "secure" not in flags
    assert "samesite=strict" in cookie.lower() and "max-age=28800" in cookie.lower()
    page = client.get(EDIT)
    assert page.status_code == 200 and 'class="signed-in">ann<' in page.text
    assert page.headers["cache-control"] == "private, no-store" and "etag" not in page.headers


def test_over_https_the_cookie_is_secure(vault: Vault, token: str) -> None:
    with TestClient(create_app(vault), base_url="https://testserver") as client:
        cookie = _login(client, token).headers["set-cookie"].lower()
    assert "; secure" in cookie and "httponly" in cookie


def test_wrong_tokens_names_and_open_redirects(client: Any, token: str) -> None:
    assert _login(client, "vv_wrong").status_code == 401
    assert _login(client, token, name="bob").status_code == 401
    assert _login(client, "").status_code == 401
    page = _login(client, "vv_wrong")
    assert "wrong name or token" in page.text and COOKIE not in page.headers.get("set-cookie", "")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil"):
        assert _login(client, token, next=target).headers["location"] == "/"


def test_failed_sign_ins_are_limited_per_name_and_per_client(client: Any, token: str) -> None:
    for _ in range(5):
        assert _login(client, "vv_guess").status_code == 401
    blocked = _login(client, token)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "too many failed attempts" in blocked.text
    for k in range(15):  # other names, same client: 20 failures in all
        assert _login(client, "vv_guess", name=f"someone-{k}").status_code == 401
    add_editor(client.app.state.site.vault.home / "editors.toml", "bo")
    assert _login(client, "vv_guess", name="bo").status_code == 429


def test_a_revoked_token_ends_its_sessions_and_a_new_one_does_not_revive_them(
    client: Any, token: str, vault: Vault
) -> None:
    _login(client, token)
    form = _form(client)
    revoke_editor(vault.home / "editors.toml", "ann")
    assert client.get(EDIT, follow_redirects=False).status_code == 303
    before = _refs(vault.home)
    refused = client.post(EDIT, data={**form, "note": "late", "action": "save"})
    assert refused.status_code == 403 and _refs(vault.home) == before
    add_editor(vault.home / "editors.toml", "ann")
    assert client.get(EDIT, follow_redirects=False).status_code == 303
    assert _login(client, token).status_code == 401  # the old token is unknown now


def test_sign_out_ends_the_session_even_for_a_copied_cookie(client: Any, token: str) -> None:
    _login(client, token)
    copied = client.cookies.get(COOKIE)
    form = _form(client)
    assert client.get("/logout").status_code == 200
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    out = client.post("/logout", data={"csrf": form["csrf"]}, follow_redirects=False)
    assert out.status_code == 303 and "max-age=0" in out.headers["set-cookie"].lower()
    client.cookies.set(COOKIE, copied)
    assert client.get(EDIT, follow_redirects=False).status_code == 303


def test_forged_and_expired_cookies_sign_no_one_in(vault: Vault, token: str) -> None:
    sessions = Sessions(vault.home, max_age=1)
    assert (vault.home / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert sessions.read(sessions.issue("ann", "0" * 64)) is None  # not ann's token's hash
    good = sessions.issue("ann", hashlib.sha256(token.encode()).hexdigest())
    assert sessions.read(good) is not None
    assert sessions.read(good[:-2] + ("AA" if not good.endswith("AA") else "BB")) is None
    assert sessions.read("not a cookie") is None
    time.sleep(2.1)
    assert sessions.read(good) is None


def test_the_bearer_api_ignores_session_cookies(client: Any, token: str) -> None:
    _login(client, token)
    response = client.post(
        "/api/articles/story/revisions", json={"title": "T", "body": "B", "note": "n"}
    )
    assert response.status_code == 401


def test_posts_without_the_csrf_token_or_from_elsewhere_are_refused(
    client: Any, token: str, vault: Vault
) -> None:
    _login(client, token)
    form = {**_form(client), "note": "sneaky", "action": "save", "body": "Replaced."}
    before = _refs(vault.home)
    for bad in ({**form, "csrf": ""}, {k: v for k, v in form.items() if k != "csrf"}):
        assert client.post(EDIT, data=bad).status_code == 403
    assert client.post(EDIT, data={**form, "csrf": "0" * 32}).status_code == 403
    foreign = client.post(EDIT, data=form, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    restore = client.post("/articles/story/restore", data={"revision": "1"})
    assert restore.status_code == 403
    assert _refs(vault.home) == before
    anonymous = TestClient(client.app).post(EDIT, data=form)
    assert anonymous.status_code == 403 and _refs(vault.home) == before


def test_preview_then_save_names_the_editor(client: Any, token: str, vault: Vault) -> None:
    _login(client, token)
    form = _form(client)
    edited = {**form, "body": form["body"].replace("two new schools", "four new schools")}
    preview = client.post(EDIT, data={**edited, "action": "preview"})
    assert preview.status_code == 200
    assert '<del><span class="vh">removed: </span>two</del>' in preview.text
    assert '<ins><span class="vh">added: </span>four</ins>' in preview.text
    assert vault.history("story")[-1].number == 5
    missing = client.post(EDIT, data={**edited, "action": "save"})
    assert missing.status_code == 422 and "a note is required" in missing.text
    saved = client.post(
        EDIT, data={**edited, "action": "save", "note": "four schools"}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("diff?from=5&to=6")
    latest = vault.history("story")[-1]
    assert (latest.number, latest.editor, latest.note) == (6, "ann", "four schools")
    assert latest.author.startswith("ann <")
    message = git("--git-dir", str(vault.home / "articles.git"), "log", "-1", "--format=%B")
    assert "Editor: ann" in message and "Note: four schools" in message
    same = client.post(EDIT, data={**_form(client), "action": "save", "note": "nothing"})
    assert same.status_code == 422 and "nothing changed" in same.text


def test_a_concurrent_save_shows_the_conflict_and_loses_nothing(
    client: Any, token: str, vault: Vault
) -> None:
    _login(client, token)
    form = _form(client)
    theirs = vault.text(vault.revision("story"))
    values = {**vars(theirs), "body": theirs.body + "\nTheir late paragraph.\n"}
    vault.save_revision(make_article(**values), note="their fix", editor="bo", author="bo")
    mine = {**form, "body": form["body"] + "\n\nMy own paragraph.", "note": "mine"}
    clash = client.post(EDIT, data={**mine, "action": "save"})
    assert clash.status_code == 409
    assert "Someone saved a new revision" in clash.text and "their fix" in clash.text
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", clash.text, re.S)
    assert textarea and html.unescape(textarea.group(1)) == mine["body"]
    assert '<del><span class="vh">removed: </span>Their late</del>' in clash.text
    assert '<ins><span class="vh">added: </span>My own</ins>' in clash.text
    assert _hidden(clash.text, "base") == vault.revision("story").commit
    assert vault.history("story")[-1].note == "their fix"
    again = client.post(
        EDIT,
        data={**mine, "base": _hidden(clash.text, "base"), "action": "save"},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert vault.text(vault.revision("story")).body.endswith("My own paragraph.\n")


def test_restore_saves_the_old_text_as_a_new_revision(
    client: Any, token: str, vault: Vault
) -> None:
    _login(client, token)
    page = client.get("/articles/story")
    assert page.text.count("restore this revision") == 4
    assert page.headers["cache-control"] == "private, no-store"
    csrf = _hidden(page.text, "csrf")
    done = client.post(
        "/articles/story/restore", data={"revision": "2", "csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    latest = vault.history("story")[-1]
    assert latest.number == 6 and latest.note == "restored revision 2: figure corrected"
    assert latest.editor == "ann"
    assert vault.stored_file(latest) == vault.stored_file(vault.revision("story", 2))
    assert len(vault.history("story")) == 6  # history is never rewritten
    bad = client.post("/articles/story/restore", data={"revision": "x", "csrf": csrf})
    assert bad.status_code == 400
    assert (
        client.post("/articles/story/restore", data={"revision": "99", "csrf": csrf}).status_code
        == 404
    )
    anonymous = TestClient(client.app).get("/articles/story")
    assert "restore this revision" not in anonymous.text
    assert "Cookie" in anonymous.headers["vary"]


def test_malformed_edit_posts_get_readable_errors(client: Any, token: str) -> None:
    _login(client, token)
    form = {**_form(client), "action": "save", "note": "x"}
    assert client.post(EDIT, data={**form, "action": "publish"}).status_code == 400
    assert client.post(EDIT, data={**form, "base": "abc"}).status_code == 400
    assert client.post("/articles/nope/edit", data=form).status_code == 404
    assert client.get("/articles/nope/edit").status_code == 404
    assert (
        client.post(EDIT, content=b"{}", headers={"content-type": "application/json"}).status_code
        == 415
    )
    assert (
        client.post(
            EDIT,
            content=b"title=%ff",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ).status_code
        == 400
    )
    empty = client.post(EDIT, data={**form, "title": "  "})
    assert empty.status_code == 422 and "no title" in empty.text
    control = client.post(EDIT, data={**form, "note": "a\x00b"})
    assert control.status_code == 422 and "control characters" in control.text


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=st.text(max_size=80),
    byline=st.text(max_size=40),
    body=st.text(max_size=300),
    note=st.text(max_size=60),
    action=st.sampled_from(["preview", "save"]),
)
def test_any_form_input_is_saved_whole_or_refused_readably(
    client: Any,
    token: str,
    vault: Vault,
    title: str,
    byline: str,
    body: str,
    note: str,
    action: str,
) -> None:
    if COOKIE not in client.cookies:
        _login(client, token)
    form = _form(client)
    before = len(vault.history("story"))
    fields = {**form, "title": title, "byline": byline, "body": body, "note": note}
    response = client.post(EDIT, data={**fields, "action": action}, follow_redirects=False)
    assert response.status_code in (200, 303, 409, 422), response.text[:300]
    after = len(vault.history("story"))
    assert after == before + (response.status_code == 303)
    if response.status_code == 303:
        git("--git-dir", str(vault.home / "articles.git"), "fsck", "--strict")
