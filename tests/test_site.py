"""The reading site's story: events everywhere, search in every language, feeds, the wire."""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from starlette.testclient import TestClient

from versionvault.archive import Index, Vault, search
from versionvault.cli import build_demo
from versionvault.text import cjk_tokens, detect_language, language_of, make_article
from versionvault.web import Settings, create_app

from .conftest import run_cli

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FESTIVAL = "harbour-lights-festival-lineup"
FERRY = "ouwan-ferry-terminal"
START = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    vault = build_demo(tmp_path_factory.mktemp("demo") / "archive")
    yield vault
    vault.close()


@pytest.fixture(scope="module")
def client(demo: Vault) -> Iterator[TestClient]:
    with TestClient(create_app(demo, Settings(feed_size=40))) as test_client:
        yield test_client


def _entries(client: TestClient, url: str) -> list[ET.Element]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    assert feedparser.parse(response.content).bozo == 0
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def _terms(entry: ET.Element) -> str:
    category = entry.find(f"{ATOM}category")
    return category.get("term", "") if category is not None else ""


# -- events in every history -------------------------------------------------------------


def _returning(vault: Vault) -> None:
    """An article that leaves its feed, is taken down, then comes back with a new text."""
    story = make_article(id="story", source="paper", title="Pier to reopen", body="It will.")
    vault.save_revision(story, START)
    vault.record_event("story", "left-feed", START + timedelta(hours=1), note="not in the feed")
    vault.record_event("story", "removed", START + timedelta(hours=2), note="404")
    back = make_article(id="story", source="paper", title="Pier to reopen", body="It will.")
    vault.save_revision(back, START + timedelta(hours=3))


def test_log_shows_removals_returns_and_feeds_left_at_the_articles_own_times(home: Path) -> None:
    with Vault.open(home) as vault:
        _returning(vault)
    lines = run_cli(home, "log", "story").output.splitlines()
    assert [line.split()[0] for line in lines[:1]] == ["1"]
    assert "2025-05-01 08:00 UTC" in lines[0]
    assert "LEFT ITS FEED" in lines[1] and "not in the feed" in lines[1]
    assert "TAKEN DOWN" in lines[2] and "2025-05-01 10:00 UTC" in lines[2]
    assert "BACK ONLINE" in lines[3] and "revision 2" in lines[3]
    assert lines[4].split()[0] == "2" and "2025-05-01 11:00 UTC" in lines[4]


def test_api_and_article_page_list_the_events(vault: Vault) -> None:
    _returning(vault)
    with TestClient(create_app(vault)) as client:
        data = client.get("/api/articles/story").json()
        assert [e["event"] for e in data["events"]] == ["left-feed", "removed", "returned"]
        assert data["events"][1]["after_revision"] == 1 and data["events"][1]["note"] == "404"
        html = client.get("/articles/story").text
        assert "Taken down</span>" in html and "Left the feed</span>" in html
        assert "back online" in html and 'class="mark mark-removed"' in html
        assert 'class="gone-banner"' not in html  # it came back
        feed = client.get("/articles/story/feed.atom")
        terms = [_terms(e) for e in ET.fromstring(feed.content).findall(f"{ATOM}entry")]
        assert "removed" in terms and "left-feed" in terms


def test_a_removed_article_says_so_on_its_page_and_in_the_feeds(client: TestClient) -> None:
    html = client.get(f"/articles/{FESTIVAL}").text
    assert 'class="gone-banner"' in html and "the page now answers 404" in html
    timeline = html[html.index("<svg") : html.index("</svg>")]
    assert "mark-removed" in timeline and "Taken down (2026-03-10)" in timeline
    for url in [
        "/feed.atom",
        f"/articles/{FESTIVAL}/feed.atom",
        "/feed.atom?source=harbour-courier",
    ]:
        removal = [e for e in _entries(client, url) if _terms(e) == "removed"]
        assert len(removal) == 1, url
        assert (removal[0].findtext(f"{ATOM}title") or "").endswith(": taken down")
        assert "Taken down." in (removal[0].findtext(f"{ATOM}content") or "")


# -- search in every language -----------------------------------------------------------


def test_cjk_tokens_and_the_language_detector() -> None:
    assert cjk_tokens("新码头 约2100人次 and more") == "新 码 头 约 2100 人 次"
    assert detect_language("鸥湾镇新渡轮码头下月动工") == "zh"
    assert detect_language("東京の新しい港") == "ja"
    assert detect_language("부산 항구") == "ko"
    assert detect_language("The harbour board met") == "en"
    assert language_of("fr", "The harbour") == "fr" and language_of("x y", "港口") == "zh"


@pytest.mark.parametrize(
    ("query", "revisions"),
    [
        ("码头", (1, 2, 3, 4)),
        ("渡轮码头", (1, 2, 3, 4)),
        ("林小峰", (1,)),
        ("欧湾镇", (1, 2, 3)),
        ("约1200人次", (1, 2)),
        ("2100人次", (3, 4)),
    ],
)
def test_chinese_words_are_found_inside_runs(
    demo: Vault, query: str, revisions: tuple[int, ...]
) -> None:
    found = demo.search_articles(query)
    assert found.found == ((FERRY, revisions),) and found.total == 1
    assert found.sources == (("gangkou-ribao", 1),)


def test_japanese_words_are_found(vault: Vault) -> None:
    body = "東京湾の新しい港が来月開業します。地元の漁協は歓迎しています。"
    vault.save_revision(make_article(id="kowan", source="minato", title="新港の開業", body=body))
    for word in ("新しい港", "漁協", "開業"):
        assert vault.search_articles(word).found == (("kowan", (1,)),), word
    assert vault.search_articles("港湾").total == 0


def test_search_counts_follow_the_query_and_hits_link_what_matched(client: TestClient) -> None:
    page = client.get("/articles?q=harbour").context["page"]
    assert dict(page.sources) == {"harbour-courier": page.total}
    html = client.get("/articles?q=%E6%AC%A7%E6%B9%BE%E9%95%87").text  # 欧湾镇, corrected in r4
    assert f'href="/articles/{FERRY}/revisions/3"' in html
    assert f'href="/articles/{FERRY}/diff?from=3&amp;to=4"' in html
    assert 'gangkou-ribao</a> <span class="count">1</span>' in html
    assert 'lang="zh"' in html


def test_search_is_newest_first_capped_and_matches_once(vault: Vault) -> None:
    for k in range(12):
        article = make_article(id=f"a{k}", source="s", title=f"Tide {k}", body=f"tide tables {k}")
        vault.save_revision(article, START + timedelta(minutes=k))
    found = search.search_articles(vault.index, "tide", limit=5)
    assert [a for a, _ in found.found] == [f"a{k}" for k in range(11, 6, -1)]
    assert found.total == 12 and not found.capped
    capped = search.search_articles(vault.index, "tide", cap=4)
    assert capped.capped and capped.total == 4
    statements: list[str] = []
    vault.index.db.set_trace_callback(statements.append)
    try:
        search.search_articles(vault.index, "tide tables", offset=5, limit=5)
    finally:
        vault.index.db.set_trace_callback(None)
    assert sum("MATCH" in s for s in statements) == 1
    with TestClient(create_app(vault)) as client:
        assert "More than" not in client.get("/articles?q=tide").text


def test_an_index_of_the_old_schema_is_rebuilt(home: Path) -> None:
    with Vault.open(home) as vault:
        vault.save_revision(make_article(id="gang", source="p", title="港口", body="新码头开工"))
    db = sqlite3.connect(home / "index.sqlite3")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    db.execute("DROP TABLE revision_text")
    db.execute("CREATE VIRTUAL TABLE revision_text USING fts5 (title, body, content='')")
    db.commit()
    db.close()
    with Vault.open(home) as vault:
        assert vault.search_articles("码头").total == 1
        assert (
            vault.index.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == "3"
        )
    assert isinstance(Index, type)


# -- feeds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("source=gangkou-ribao", lambda e, r: r.source == "gangkou-ribao"),
        ("kind=typography", lambda e, r: r.kind == "typography"),
        ("kind=typography&kind=whitespace", lambda e, r: r.kind in ("typography", "whitespace")),
        ("headline=1", lambda e, r: r.headline_changed),
        ("min=100", lambda e, r: r.words_added + r.words_removed >= 100),
    ],
)
def test_every_filter_of_the_home_page_works_on_the_feed(
    client: TestClient, demo: Vault, query: str, check: object
) -> None:
    entries = _entries(client, f"/feed.atom?{query}")
    everything = _entries(client, "/feed.atom")
    assert 0 < len(entries) < len(everything)
    for entry in entries:
        link = entry.find(f"{ATOM}link")
        assert link is not None
        match = re.search(
            r"/articles/([a-z0-9-]+)/(?:diff\?from=\d+&to=(\d+)|revisions/(\d+))",
            link.get("href", ""),
        )
        assert match, link.get("href")
        revision = demo.revision(match.group(1), match.group(2) or match.group(3))
        assert check(entry, revision), (query, revision)  # type: ignore[operator]
    home = client.get(f"/?{query}").text
    assert f'href="/feed.atom?{query.replace("&", "&amp;")}"' in home


def test_feed_entries_read_without_our_stylesheet(client: TestClient) -> None:
    entries = _entries(client, "/feed.atom?kind=typography")
    content = entries[0].findtext(f"{ATOM}content") or ""
    assert re.search(r'<del style="[^"]*line-through[^"]*">\[-', content)
    assert re.search(r'<ins style="[^"]*">\{\+', content)
    assert "-]</del><ins" in content or "-]</del>" in content


def test_feed_language_and_identity(client: TestClient, demo: Vault) -> None:
    entries = _entries(client, "/feed.atom")
    languages = {e.get(XML_LANG) for e in entries}
    assert {"zh", "en"} <= languages
    chinese = [e for e in entries if "鸥湾" in (e.findtext(f"{ATOM}title") or "")]
    assert chinese and all(e.get(XML_LANG) == "zh" for e in chinese)
    ids = {}
    for host in ("one.test", "two.test"):
        feed = client.get("/feed.atom?source=harbour-courier", headers={"Host": host})
        root = ET.fromstring(feed.content)
        ids[host] = (
            root.findtext(f"{ATOM}id"),
            [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")],
        )
    assert ids["one.test"] == ids["two.test"]
    assert "test" not in (ids["one.test"][0] or "")
    assert ids["one.test"][0] != ET.fromstring(client.get("/feed.atom").content).findtext(
        f"{ATOM}id"
    )


def test_fiction_is_marked_wherever_the_paper_appears(client: TestClient) -> None:
    for url in [
        "/",
        "/articles",
        f"/articles/{FERRY}",
        f"/articles/{FERRY}/revisions/1",
        f"/articles/{FERRY}/diff",
        "/articles?q=harbour",
    ]:
        assert 'class="fiction"' in client.get(url).text, url
    assert 'class="fiction"' not in client.get("/articles/newschina-xi-putin-talks").text
    chinese = client.get("/articles?q=%E7%A0%81%E5%A4%B4").text  # 码头: only the Chinese paper
    assert (
        "港口日报 (Gangkou Ribao) is a fictional" in chinese and "Harbour Courier is" not in chinese
    )
    only = client.get("/?source=harbour-courier").text
    assert "Harbour Courier is a fictional" in only and "Gangkou Ribao) is" not in only
    entries = _entries(client, "/feed.atom?source=harbour-courier")
    assert all("fictional newspaper" in (e.findtext(f"{ATOM}content") or "") for e in entries)


# -- the home page and history ------------------------------------------------------------


def test_home_explains_and_features_an_old_version_diff(client: TestClient, demo: Vault) -> None:
    response = client.get("/")
    text = re.sub(r"<[^>]+>", "", response.text)
    assert (
        "keeps every version of every article" in text
        and "Old Version is the first version" in text
    )
    featured = response.context["page"].featured
    assert featured.article.id == demo.featured()
    url = f"/articles/{featured.article.id}/diff?from=1&amp;to={featured.new.number}"
    assert f'<a class="button" href="{url}">' in response.text
    assert featured.old_title != featured.new.title
    assert client.get(url.replace("&amp;", "&")).status_code == 200
    assert client.get("/?source=gangkou-ribao").context["page"].featured is None


def test_recent_changes_page_newer_and_older(vault: Vault) -> None:
    for k in range(7):
        article = make_article(id=f"n{k}", source="s", title=f"Note {k}", body=f"text {k}")
        vault.save_revision(article, START + timedelta(minutes=k))
    with TestClient(create_app(vault, Settings(page_size=3))) as client:
        first = client.get("/").context["page"]
        assert first.newer is None and first.older is not None
        second = client.get(f"/?before={first.older}").context["page"]
        assert second.newer is not None
        back = client.get(f"/?after={second.newer}").context["page"]
        seqs = [c.seq for d in back.days for c in d.changes]
        assert seqs == [c.seq for d in first.days for c in d.changes]
        assert back.newer is None and back.older == first.older
        html = client.get(f"/?before={first.older}").text
        assert "← Newer changes" in html and "Older changes →" in html


def test_source_and_publication_are_not_repeated_on_every_row(client: TestClient) -> None:
    html = client.get("/").text
    rows = re.findall(r'<li class="change-row">(.*?)</li>', html, re.S)
    with_source = [r for r in rows if 'class="source"' in r]
    assert len(with_source) < len(rows) / 2
    assert not any('class="who">harbour-courier<' in r for r in rows)


def test_an_editor_who_is_the_author_is_named_once(vault: Vault) -> None:
    article = make_article(id="e", source="s", title="T", body="One.")
    vault.save_revision(article, START, author="alice <alice@x.example>", editor="alice")
    with TestClient(create_app(vault)) as client:
        html = client.get("/articles/e").text
        assert "edited by" not in html and 'href="/changes?editor=alice"' in html


def test_a_long_history_is_paged(vault: Vault) -> None:
    lines = [
        json.dumps(
            {
                "id": "long",
                "source": "s",
                "title": "Long",
                "body": f"Version {k} of the text.",
                "observed": (START + timedelta(minutes=k)).isoformat(),
            }
        )
        for k in range(2000)
    ]
    vault.import_records(lines)
    with TestClient(create_app(vault, Settings(page_size=50))) as client:
        page = client.get("/articles/long").context["page"]
        assert [r.number for r in page.history][:2] == [2000, 1999] and len(page.history) == 50
        assert page.pages == 40 and len(page.timeline.bars) <= 120 and page.timeline.grouped
        last = client.get("/articles/long?page=40").context["page"]
        assert [r.number for r in last.history][-1] == 1
        assert (
            'rel="prev" href="/articles/long?page=39#history"'
            in client.get("/articles/long?page=40").text
        )
        assert client.get("/articles/long?page=41").status_code == 400


# -- light on the wire ------------------------------------------------------------------


def test_gzip_for_pages_json_and_feeds_but_not_for_git(client: TestClient) -> None:
    for url in ["/", "/api/articles", "/feed.atom", f"/articles/{FERRY}/diff"]:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers.get("content-encoding") == "gzip", url
        assert "accept-encoding" in response.headers["vary"].lower()
    git = client.get(
        "/archive.git/info/refs?service=git-upload-pack", headers={"Accept-Encoding": "gzip"}
    )
    assert git.status_code == 200 and "content-encoding" not in git.headers


def test_static_files_are_fingerprinted_and_cached_for_a_year(client: TestClient) -> None:
    html = client.get("/").text
    css = re.search(r'href="(/static/site\.css\?v=[0-9a-f]{12})"', html)
    assert css
    cached = client.get(css.group(1))
    assert cached.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/site.css").headers["cache-control"] == "no-cache"
    assert client.get("/static/site.css?v=000000000000").headers["cache-control"] == "no-cache"
    assert "prefers-color-scheme: dark" in cached.text
    compressed = client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"


def test_fiction_settings_are_checked(home: Path) -> None:
    sources = home / "sources.toml"
    for bad, message in [
        ('fictional = "yes"', "fictional must be true or false"),
        ("description = 3", "description must be one line"),
    ]:
        sources.write_text(f"[sources.paper]\nfeeds = []\n{bad}\n", "utf-8")
        result = run_cli(home, "source", "list")
        assert result.exit_code == 1 and message in result.output
    sources.write_text('[sources.paper]\nfictional = true\ndescription = "Made up."\n', "utf-8")
    with Vault.open(home) as vault:
        assert vault.sources.sources["paper"].description == "Made up."


def test_history_and_recent_paging_parameters_are_checked(client: TestClient) -> None:
    for url in [f"/articles/{FERRY}?page=0", f"/articles/{FERRY}?page=9", "/?after=x"]:
        assert client.get(url).status_code == 400, url
