"""Tests for Memento (RFC 7089): memento-client against the real app, and the raw headers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from memento_client import MementoClient
from starlette.testclient import TestClient

from versionvault.archive import Revision, Vault
from versionvault.text import make_article
from versionvault.web import create_app

from .conftest import newsroom_lines
from .serving import serve
from .test_watch import Site, article_page

STORY = "skerrow-lifeboat-rescue"
URL = "https://harbour-courier.example/news/2026/03/04/skerrow-lifeboat-rescue"
# Its five revisions were observed at 11:05, 12:40, 13:15, 14:25 and 17:35 on 4 March 2026.


@pytest.fixture
def archive(vault: Vault) -> Vault:
    vault.import_records(newsroom_lines())
    return vault


@pytest.fixture
def base(archive: Vault) -> Iterator[str]:
    with serve(create_app(archive)) as address:
        yield address


def _at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 3, 4, hour, minute, second)  # naive UTC, as memento-client uses


def _memento(base: str, revision: Revision) -> str:
    return f"{base}/articles/{revision.article}/revisions/{revision.commit}"


@pytest.fixture
def publisher() -> Iterator[Site]:
    """The newsroom's live site on 127.0.0.1: memento-client looks at the original first."""
    site = Site()
    site.put("/news/harbour-wall", article_page("Harbour wall repairs", ["Now."]))
    yield site
    site.close()


def test_memento_client_finds_the_revision_in_effect(vault: Vault, publisher: Site) -> None:
    original = publisher.url("/news/harbour-wall")
    seen = [_at(9, 30), _at(11, 0, 30), _at(15, 45), _at(18, 5)]
    for number, moment in enumerate(seen, 1):
        article = make_article(
            id="harbour-wall",
            source="harbour-courier",
            title="Harbour wall repairs",
            url=original,
            body=f"The repairs will cost {number} million.",
        )
        vault.save_revision(article, moment.replace(tzinfo=UTC))
    history = vault.history("harbour-wall")
    asked = [
        (_at(8, 0), 0),  # before the first revision: the first
        (_at(9, 30), 0),  # exactly when the first was seen
        (_at(11, 0, 29), 0),
        (_at(11, 0, 30), 1),
        (_at(16, 0), 2),
        (_at(23, 0), 3),  # after the last: the last
    ]
    with (
        serve(create_app(vault)) as base,
        MementoClient(timegate_uri=f"{base}/timegate/") as client,
    ):
        for when, number in asked:
            info = client.get_memento_info(original, when)
            assert info["timegate_uri"] == f"{base}/timegate/{original}"
            closest = info["mementos"]["closest"]
            assert closest["uri"] == [_memento(base, history[number])], when
            assert closest["http_status_code"] == 200
            assert closest["datetime"] == seen[number]
            assert info["mementos"]["first"]["uri"] == [_memento(base, history[0])]
            assert info["mementos"]["last"]["uri"] == [_memento(base, history[-1])]
            if number > 0:
                assert info["mementos"]["prev"]["uri"] == [_memento(base, history[number - 1])]
                assert info["mementos"]["prev"]["datetime"] == seen[number - 1]
            if number < 3:
                assert info["mementos"]["next"]["uri"] == [_memento(base, history[number + 1])]
            assert info["original_uri"] == original
        page = _memento(base, history[2])
        assert client.get_original_uri(page) == original
        assert MementoClient.is_memento(page)
        assert not MementoClient.is_memento(original)
        from_page = client.get_memento_info(page, _at(10, 0))  # a memento names its original
        assert from_page["mementos"]["closest"]["uri"] == [_memento(base, history[0])]


def test_the_timegate_answers_as_rfc_7089_says(archive: Vault, base: str) -> None:
    history = archive.history(STORY)
    asked = {"Accept-Datetime": "Wed, 04 Mar 2026 13:20:00 GMT"}
    response = httpx.get(f"{base}/timegate/{URL}", headers=asked)
    assert response.status_code == 302
    assert response.headers["location"] == _memento(base, history[2])
    vary = [name.strip().lower() for name in response.headers["vary"].split(",")]
    assert "accept-datetime" in vary
    assert "memento-datetime" not in response.headers
    links = MementoClient.parse_link_header(response.headers["link"])
    assert links[URL]["rel"] == ["original"]
    assert links[f"{base}/timemap/link/{URL}"]["rel"] == ["timemap"]
    assert links[_memento(base, history[2])]["rel"] == ["memento"]
    assert links[_memento(base, history[0])]["rel"] == ["first", "memento"]
    assert links[_memento(base, history[1])]["rel"] == ["prev", "memento"]
    assert links[_memento(base, history[3])]["rel"] == ["next", "memento"]
    assert links[_memento(base, history[4])]["datetime"] == ["Wed, 04 Mar 2026 17:35:00 GMT"]

    latest = httpx.get(f"{base}/timegate/{URL}")
    assert latest.status_code == 302
    assert latest.headers["location"] == _memento(base, history[-1])
    head = httpx.head(f"{base}/timegate/{URL}", headers=asked)
    assert (head.status_code, head.headers["location"]) == (302, _memento(base, history[2]))
    followed = httpx.get(f"{base}/timegate/{URL}", headers=asked, follow_redirects=True)
    assert followed.status_code == 200
    assert followed.headers["memento-datetime"] == "Wed, 04 Mar 2026 13:15:00 GMT"

    bad = httpx.get(f"{base}/timegate/{URL}", headers={"Accept-Datetime": "yesterday"})
    assert bad.status_code == 400 and "RFC 1123" in bad.text
    unknown = httpx.get(f"{base}/timegate/https://harbour-courier.example/nothing")
    assert unknown.status_code == 404
    merged = httpx.get(f"{base}/timegate/https:/{URL.removeprefix('https://')}")
    assert merged.headers["location"] == _memento(base, history[-1])
    bare = httpx.get(f"{base}/timegate/{URL.removeprefix('https://')}/")
    assert bare.headers["location"] == _memento(base, history[-1])


def test_the_timemap_lists_every_revision(archive: Vault, base: str) -> None:
    history = archive.history(STORY)
    response = httpx.get(f"{base}/timemap/link/{URL}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/link-format"
    links = MementoClient.parse_link_header(response.text)
    assert links[URL]["rel"] == ["original"]
    own = links[f"{base}/timemap/link/{URL}"]
    assert own["rel"] == ["self"] and own["type"] == ["application/link-format"]
    assert own["from"] == ["Wed, 04 Mar 2026 11:05:00 GMT"]
    assert own["until"] == ["Wed, 04 Mar 2026 17:35:00 GMT"]
    assert links[f"{base}/timegate/{URL}"]["rel"] == ["timegate"]
    mementos = [uri for uri, params in links.items() if "memento" in params["rel"]]
    assert mementos == [_memento(base, r) for r in history]
    assert links[mementos[0]]["rel"] == ["first", "memento"]
    assert links[mementos[-1]]["rel"] == ["last", "memento"]
    assert [links[m]["rel"] for m in mementos[1:-1]] == [["memento"]] * 3
    times = [MementoClient.convert_to_datetime(links[m]["datetime"][0]) for m in mementos]
    assert times == sorted(times) and times[2] == _at(13, 15)
    again = httpx.get(
        f"{base}/timemap/link/{URL}", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert httpx.get(f"{base}/timemap/link/https://elsewhere.example/").status_code == 404


def test_revision_pages_carry_memento_headers(archive: Vault, base: str) -> None:
    revision = archive.history(STORY)[3]
    for spec in (revision.commit, "4"):
        page = httpx.get(f"{base}/articles/{STORY}/revisions/{spec}")
        assert page.status_code == 200
        assert page.headers["memento-datetime"] == "Wed, 04 Mar 2026 14:25:00 GMT"
        links = MementoClient.parse_link_header(page.headers["link"])
        assert links[URL]["rel"] == ["original"]
        assert links[f"{base}/timegate/{URL}"]["rel"] == ["timegate"]
        assert links[f"{base}/timemap/link/{URL}"]["rel"] == ["timemap"]
    timegate = httpx.get(
        f"{base}/timegate/{URL}", headers={"Accept-Datetime": page.headers["memento-datetime"]}
    )
    assert timegate.headers["location"] == _memento(base, revision)


def test_urls_with_queries_and_escapes_and_shared_urls(vault: Vault) -> None:
    odd = "https://harbour-courier.example/story?id=7&topic=quay%20works"
    for n in range(2):
        article = make_article(
            id="quay-works", source="harbour-courier", title="Quay works", url=odd, body=f"Day {n}."
        )
        vault.save_revision(article, datetime(2026, 3, 5 + n, 9, tzinfo=UTC))
    plain = make_article(id="no-url", source="harbour-courier", title="No URL", body="Text.")
    vault.save_revision(plain)
    with TestClient(create_app(vault)) as client:
        response = client.get(f"/timegate/{odd}", follow_redirects=False)
        assert response.status_code == 302, response.text
        latest = vault.revision("quay-works")
        assert response.headers["location"].endswith(f"/revisions/{latest.commit}")
        early = client.get(
            f"/timegate/{odd}",
            headers={"Accept-Datetime": "Thu, 05 Mar 2026 12:00:00 GMT"},
            follow_redirects=False,
        )
        assert early.headers["location"].endswith(
            f"/revisions/{vault.revision('quay-works', 1).commit}"
        )
        timemap = client.get(f"/timemap/link/{odd}")
        assert timemap.status_code == 200 and timemap.text.count('rel="') == 5
        page = client.get("/articles/no-url/revisions/1")
        assert "memento-datetime" in page.headers and "link" not in page.headers
