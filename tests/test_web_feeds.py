"""Tests for the Atom feeds: valid for feedparser and Atom's rules, carrying the diff."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import feedparser
import pytest
from starlette.testclient import TestClient

from versionvault.archive import Vault
from versionvault.web import Settings, create_app

from .test_web import build_archive

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@pytest.fixture
def client(vault: Vault) -> Iterator[TestClient]:
    build_archive(vault)
    with TestClient(create_app(vault, Settings(feed_size=5))) as test_client:
        yield test_client


def _check_atom(xml: bytes) -> ET.Element:
    """Check the rules a feed validator applies to Atom 1.0 (RFC 4287)."""
    root = ET.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert RFC3339.fullmatch(root.findtext(f"{ATOM}updated") or "")
    links = root.findall(f"{ATOM}link")
    assert any(
        link.get("rel") == "self" and link.get("href", "").startswith("http") for link in links
    )
    feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    ids = set()
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        entry_id = entry.findtext(f"{ATOM}id") or ""
        assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", entry_id) and entry_id not in ids
        ids.add(entry_id)
        assert RFC3339.fullmatch(entry.findtext(f"{ATOM}updated") or "")
        assert RFC3339.fullmatch(entry.findtext(f"{ATOM}published") or "")
        assert feed_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
        alternate = [x for x in entry.findall(f"{ATOM}link") if x.get("rel") == "alternate"]
        assert len(alternate) == 1 and alternate[0].get("href", "").startswith("http://")
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html" and len(content) == 0
    return root


def test_archive_feed(client: TestClient) -> None:
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = _check_atom(response.content)
    assert len(root.findall(f"{ATOM}entry")) == 5
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.title == "VersionVault: recent changes"
    titles = [e.title for e in parsed.entries]
    assert titles[0].startswith("<script>alert('title')</script>: revision 2")
    assert parsed.feed.links[0].href == "http://testserver/feed.atom"


def test_article_feed_carries_the_diff(client: TestClient, vault: Vault) -> None:
    response = client.get("/articles/story/feed.atom")
    _check_atom(response.content)
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0
    assert parsed.entries[0].link == "http://testserver/articles/story/diff?from=4&to=5"
    newest = parsed.entries[0]
    html = newest.content[0].value
    assert "<ins style=" in html and "<del style=" in html and "moved to May" in html
    # The new last paragraph shares too little with the old one (0.32 < 0.5) to be paired.
    assert "{+The public meeting has been moved to May.+}" in html and "[-" in html
    assert newest.author == "paper"
    third = next(e for e in parsed.entries if e.link.endswith("from=2&to=3"))
    third_html = third.content[0].value
    assert "Headline" in third_html and "disputed" in third_html and "Moved paragraph" in third_html
    assert third.author == "Desk Editor"
    first = parsed.entries[-1]
    assert (
        first.title.endswith("first archived version") and "city council" in first.content[0].value
    )
    assert "added: " not in html


def test_feed_escapes_article_text(client: TestClient) -> None:
    response = client.get("/articles/evil/feed.atom")
    root = _check_atom(response.content)
    assert b"<script>" not in response.content and b"<img" not in response.content
    content = root.find(f"{ATOM}entry/{ATOM}content")
    assert content is not None and "&lt;b&gt;bold&lt;/b&gt;" in (content.text or "")
    assert "<ins style=" in (content.text or "")
    assert feedparser.parse(response.content).bozo == 0


def test_feed_validators_and_errors(client: TestClient) -> None:
    etag = client.get("/feed.atom").headers["etag"]
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/articles/nope/feed.atom").status_code == 404


def test_empty_archive_feed(vault: Vault) -> None:
    with TestClient(create_app(vault)) as client:
        response = client.get("/feed.atom")
        root = _check_atom(response.content)
        assert root.findall(f"{ATOM}entry") == []
        assert feedparser.parse(response.content).bozo == 0
        assert client.get("/").status_code == 200
        assert "The archive is empty" in client.get("/").text
