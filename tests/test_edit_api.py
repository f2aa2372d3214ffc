"""Tests for the editors' write API: every status, bad input, and racing writers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from versionvault.archive import Vault, add_editor, revoke_editor
from versionvault.web import create_app
from versionvault.web.edit import MAX_BODY_BYTES

from .conftest import git
from .serving import serve

URL = "/api/articles/story/revisions"


def _app(vault: Vault) -> Starlette:
    return create_app(vault)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _snapshot(home: Path) -> str:
    return git("--git-dir", str(home / "articles.git"), "for-each-ref")


@pytest.fixture
def token(vault: Vault) -> str:
    return add_editor(vault.home / "editors.toml", "ann")


@pytest.fixture
def client(vault: Vault) -> Any:
    with TestClient(_app(vault)) as test_client:
        yield test_client


def _post(client: Any, token: str, payload: dict[str, Any], **headers: str) -> Any:
    return client.post(URL, json=payload, headers={**_auth(token), **headers})


FIRST = {"title": "Title", "body": "First text.", "source": "paper", "note": "new story"}


def test_saving_unchanged_and_stale(client: Any, token: str, vault: Vault, home: Path) -> None:
    created = _post(client, token, FIRST)
    assert created.status_code == 201, created.text
    first = created.json()
    assert first["revision"] == 1 and len(first["commit"]) == 40
    assert created.headers["location"].endswith(f"/api/articles/story/revisions/{first['commit']}")
    assert _post(client, token, FIRST).json()["status"] == "unchanged"
    assert _post(client, token, FIRST).status_code == 200

    second = _post(
        client, token, {"title": "Title", "body": "Second."}, **{"If-Match": first["commit"]}
    )
    assert second.status_code == 201 and second.json()["revision"] == 2
    stale = _post(
        client, token, {"title": "Title", "body": "Third."}, **{"If-Match": first["commit"]}
    )
    assert stale.status_code == 409
    assert stale.json()["current"] == second.json()["commit"]
    revision = vault.revision("story", 2)
    assert (revision.editor, revision.author) == ("ann", "ann <ann@versionvault.invalid>")
    trailers = git(
        "--git-dir",
        str(home / "articles.git"),
        "log",
        "-1",
        "--format=%an%n%(trailers:only,unfold)",
        "main",
    )
    assert trailers.startswith("ann\n")
    assert "Editor: ann" in trailers
    assert "Note: new story" in git(
        "--git-dir", str(home / "articles.git"), "log", "--format=%B", "main"
    )


def test_tokens(client: Any, token: str, vault: Vault) -> None:
    assert client.post(URL, json=FIRST).status_code == 401
    assert client.post(URL, json=FIRST, headers={"Authorization": "Basic abc"}).status_code == 401
    unknown = _post(client, "vv_nope", FIRST)
    assert unknown.status_code == 401 and unknown.json()["error"] == "unknown token"
    revoke_editor(vault.home / "editors.toml", "ann")
    assert _post(client, token, FIRST).status_code == 403


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "field"),
    [
        (URL, "not json", {"Content-Type": "text/plain"}, 415, None),
        (URL, "{broken", {}, 400, None),
        (URL, "[1, 2]", {}, 422, None),
        (URL, json.dumps({"body": "x", "source": "paper"}), {}, 422, "title"),
        (URL, json.dumps({"title": 3, "body": "x", "source": "paper"}), {}, 422, "title"),
        (URL, json.dumps({"title": "T", "body": "x", "source": "Bad Source"}), {}, 422, "source"),
        (URL, json.dumps({"title": "T", "body": " \n", "source": "paper"}), {}, 422, "body"),
        (URL, json.dumps({"title": "T", "body": "x"}), {}, 422, "source"),
        (URL, json.dumps({**FIRST, "colour": "red"}), {}, 422, "colour"),
        (URL, json.dumps({**FIRST, "body": "x" * (MAX_BODY_BYTES + 10)}), {}, 413, None),
        (URL, json.dumps(FIRST), {"If-Match": "0" * 40}, 409, None),
        ("/api/articles/Bad_Id/revisions", json.dumps(FIRST), {}, 400, None),
        ("/api/articles/..%2F..%2Fetc/revisions", json.dumps(FIRST), {}, 404, None),
    ],
)
def test_bad_input_is_a_4xx_and_changes_nothing(
    client: Any,
    token: str,
    home: Path,
    path: str,
    body: str,
    headers: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    before = _snapshot(home)
    sent = {"Content-Type": "application/json", **_auth(token), **headers}
    response = client.post(path, content=body.encode(), headers=sent)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]
    if field:
        assert response.json()["field"] == field
    assert _snapshot(home) == before


def test_eight_racing_editors_lose_nothing(vault: Vault, token: str, home: Path) -> None:
    with serve(_app(vault)) as base:
        start = httpx.post(base + URL, json=FIRST, headers=_auth(token)).json()["commit"]

        def submit(n: int) -> int:
            payload = {"title": "Title", "body": f"Racer {n} text."}
            headers = {**_auth(token), "If-Match": start}
            return httpx.post(base + URL, json=payload, headers=headers, timeout=60).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(submit, range(8)))
    assert sorted(statuses) == [201] + [409] * 7
    assert len(vault.history("story")) == 2
    assert vault.verify() == []
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict")


def test_changes_by_editor_audit(client: Any, token: str, vault: Vault) -> None:
    bob = add_editor(vault.home / "editors.toml", "bob")
    _post(client, token, FIRST)
    _post(client, bob, {"title": "Title", "body": "Bob's text."})
    _post(client, token, {"title": "Title", "body": "Ann again."})
    page = client.get("/changes", params={"editor": "bob"})
    assert page.status_code == 200
    assert page.template.name == "recent.html"
    rows = [c.revision for day in page.context["page"].days for c in day.changes]
    assert [(r.number, r.editor) for r in rows] == [(2, "bob")]
    assert "by editor bob" in page.text
    history = client.get("/articles/story")
    assert 'href="/changes?editor=ann"' in history.text
    assert 'href="/changes?editor=bob"' in history.text
    api = client.get("/api/articles/story").json()
    assert [r["editor"] for r in api["revisions"]] == ["ann", "bob", "ann"]
    assert client.get("/changes", params={"editor": "Not A Slug!"}).status_code == 400
