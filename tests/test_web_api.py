"""Tests for the JSON read API: the same data as the pages, DESIGN.md's shapes, JSON errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from versionvault.archive import Vault
from versionvault.web import Settings, create_app

from .test_web import XSS_BODY, build_archive


@pytest.fixture
def client(vault: Vault) -> Iterator[TestClient]:
    build_archive(vault)
    with TestClient(create_app(vault, Settings(page_size=2))) as test_client:
        yield test_client


def _json(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:300])
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_articles_list_pages_and_filters(client: TestClient) -> None:
    first = _json(client, "/api/articles")
    assert first["total"] == 3 and first["pages"] == 2 and first["page"] == 1
    assert first["next"] == "/api/articles?page=2"
    assert set(first["articles"][0]) == {
        "id",
        "source",
        "title",
        "url",
        "revisions",
        "first_seen",
        "last_changed",
    }
    second = _json(client, first["next"])
    assert second["next"] is None and len(second["articles"]) == 1
    wire = _json(client, "/api/articles?source=wire")
    assert {a["id"] for a in wire["articles"]} == {"wire-report", "evil"}


def test_articles_search_says_where_text_appears(client: TestClient) -> None:
    found = _json(client, "/api/articles?q=town+hall")
    (hit,) = found["articles"]
    assert hit["id"] == "story" and hit["matches"] == [1, 2, 3, 4] and hit["in_current"] is False


def test_article_metadata_and_revisions(client: TestClient, vault: Vault) -> None:
    data = _json(client, "/api/articles/story")
    assert data["article"]["id"] == "story" and data["article"]["revisions"] == 5
    assert [r["revision"] for r in data["revisions"]] == [1, 2, 3, 4, 5]
    assert data["revisions"] == [r.as_dict() for r in vault.history("story")]
    assert data["revisions"][2]["editor"] == "ann" and data["revisions"][2]["headline_changed"]


def test_one_revision_with_its_text(client: TestClient, vault: Vault) -> None:
    data = _json(client, "/api/articles/evil/revisions/1")
    revision = vault.revision("evil", 1)
    assert {k: data[k] for k in revision.as_dict()} == revision.as_dict()
    assert data["body"] == vault.text(revision).body and data["body"].startswith(XSS_BODY[:10])
    assert data["fields"]["title"] == revision.title
    by_sha = _json(client, f"/api/articles/evil/revisions/{revision.commit}")
    assert by_sha == data
    assert _json(client, "/api/articles/evil/revisions/latest")["revision"] == 2


def test_diff_is_exactly_the_diff_document(client: TestClient, vault: Vault) -> None:
    for query, old, new in [("", "first", "latest"), ("?from=2&to=3", 2, 3), ("?to=4", 1, 4)]:
        data = _json(client, f"/api/articles/story/diff{query}")
        expected = json.loads(json.dumps(vault.diff("story", old, new).as_dict()))
        assert data == expected
    assert set(data) >= {"article", "from", "to", "stats", "kind", "fields", "body"}


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/articles/nope", 404),
        ("/api/articles/nope/diff", 404),
        ("/api/articles/story/revisions/42", 404),
        ("/api/articles/story/diff?from=42", 404),
        ("/api/articles/story/revisions/%3Cx%3E", 400),
        ("/api/articles/story/diff?from=oops", 400),
        ("/api/articles?page=0", 400),
        ("/api/articles?page=3", 400),
        ("/api/articles?source=BAD!", 400),
        ("/api/nothing", 404),
    ],
)
def test_errors_are_json(client: TestClient, url: str, status: int) -> None:
    data = _json(client, url, status)
    assert set(data) == {"error"} and isinstance(data["error"], str) and data["error"]


def test_api_validators(client: TestClient) -> None:
    response = client.get("/api/articles/story")
    etag = response.headers["etag"]
    assert client.get("/api/articles/story", headers={"If-None-Match": etag}).status_code == 304
