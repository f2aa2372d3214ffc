"""Tests for the watcher against a real local HTTP server, in rounds with an injected clock."""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from versionvault.archive import Vault, add_mirror, add_source, load_sources
from versionvault.text import InvalidSelector, css_to_xpath
from versionvault.watch import (
    FetchOptions,
    RoundReport,
    Watcher,
    article_id_for,
    next_check,
    status,
    watch_in_background,
)
from versionvault.web import create_app

from .conftest import git, run_cli

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
FAST = FetchOptions(timeout=5.0, retries=1, backoff=0.01)


@dataclass(frozen=True)
class Hit:
    """One request the site answered."""

    at: float
    host: str
    path: str
    status: int
    conditional: bool


class Site:
    """A small web site in a thread: pages by path that tests change between rounds."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes, dict[str, str]]] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body in one write, flushed per response
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with site.lock:
                    status, kind, body, headers = site.pages.get(path, (404, "text/plain", b"", {}))
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                conditional = "If-None-Match" in self.headers
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
                with site.lock:
                    host = self.headers.get("Host", "").split(":")[0]
                    site.hits.append(Hit(time.monotonic(), host, path, status, conditional))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                if status in (200, 304):
                    self.send_header("ETag", etag)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.port = self.server.server_address[1]

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """Return the absolute URL of a path on this site."""
        return f"http://{host}:{self.port}{path}"

    def put(
        self,
        path: str,
        body: str | bytes,
        status: int = 200,
        kind: str = "text/html; charset=utf-8",
        **headers: str,
    ) -> None:
        """Serve `body` at `path` from now on."""
        data = body.encode() if isinstance(body, str) else body
        with self.lock:
            self.pages[path] = (status, kind, data, headers)

    def drop(self, path: str) -> None:
        """Answer 404 at `path` from now on."""
        with self.lock:
            self.pages.pop(path, None)

    def redirect(self, path: str, to: str) -> None:
        """Answer a permanent redirect at `path`."""
        self.put(path, b"", status=301, kind="text/plain", Location=to)

    def take(self) -> list[Hit]:
        """Return the requests since the last call and forget them."""
        with self.lock:
            hits, self.hits = self.hits, []
        return hits


def article_page(title: str, paragraphs: list[str], canonical: str = "") -> str:
    """Return an article page with furniture around the text."""
    link = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{escape(title)}</title>{link}</head><body>"
        f"<nav>Home | World | Sport</nav><article><h1>{escape(title)}</h1>{body}</article>"
        "<footer>Copyright 2024 The Paper. All rights reserved.</footer></body></html>"
    )


def feed(site: Site, items: list[tuple[str, str, str]]) -> str:
    """Return an RSS feed of (title, path, guid) items."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(site.url(p))}</link>"
        + (f"<guid isPermaLink='false'>{g}</guid>" if g else "")
        + "</item>"
        for t, p, g in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>The Paper</title>'
        f"<link>{site.url('/')}</link><description>News</description>{entries}</channel></rss>"
    )


TEXT = [
    "The city council approved the new budget on Tuesday after a debate that lasted six hours.",
    "The budget raises spending on schools by four percent and cuts the road repair fund.",
    "Opposition members said the cuts would leave many streets in poor repair for years.",
]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    served.put("/robots.txt", "User-agent: *\nDisallow: /private/\n", kind="text/plain")
    yield served
    served.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def paper(home: Path, site: Site) -> Site:
    """A site with a feed of three articles, watched as source `paper` at a fast rate."""
    for n in range(1, 4):
        site.put(f"/news/story-{n}", article_page(f"Story {n}", [f"Item {n}.", *TEXT]))
    site.put(
        "/feed.xml",
        feed(site, [(f"Story {n}", f"/news/story-{n}", f"s{n}") for n in range(1, 4)]),
        kind="application/rss+xml",
    )
    add_source(home / "sources.toml", "paper", (site.url("/feed.xml"),), (), rate=6000)
    return site


def watch(home: Path, clock: Clock, *targets: str) -> RoundReport:
    """Run one round on the archive at `home`, as `watch --once` does."""
    with Vault.open(home) as vault, Watcher(vault, clock, FAST) as watcher:
        return watcher.run_once(targets)


def commits(home: Path) -> list[str]:
    return git("--git-dir", str(home / "articles.git"), "log", "--format=%H", "main").split()


def test_first_round_archives_and_an_unchanged_round_only_asks(
    home: Path, paper: Site, clock: Clock
) -> None:
    first = watch(home, clock)
    assert (first.saved, first.feeds, first.pages, first.warnings) == (3, 1, 3, ())
    assert len(commits(home)) == 3
    with Vault.open(home) as vault:
        total = vault.articles()[1]
        assert total == 3
        story = vault.history(article_id_for(paper.url("/news/story-1")))
        assert story[0].title == "Story 1"
        assert story[0].url == paper.url("/news/story-1")
    paper.take()
    clock.advance(minutes=20)
    second = watch(home, clock)
    hits = paper.take()
    assert (second.saved, second.not_modified) == (0, 4)
    assert len(commits(home)) == 3
    assert sorted((h.path, h.status) for h in hits if h.path != "/robots.txt") == [
        ("/feed.xml", 304),
        ("/news/story-1", 304),
        ("/news/story-2", 304),
        ("/news/story-3", 304),
    ]
    assert all(h.conditional for h in hits if h.path != "/robots.txt")


def test_a_headline_edit_makes_one_revision(home: Path, paper: Site, clock: Clock) -> None:
    watch(home, clock)
    paper.put("/news/story-2", article_page("Story 2, Corrected", ["Item 2.", *TEXT]))
    clock.advance(minutes=20)
    report = watch(home, clock)
    assert (report.saved, report.unchanged, report.not_modified) == (1, 0, 3)
    with Vault.open(home) as vault:
        story = article_id_for(paper.url("/news/story-2"))
        assert [r.title for r in vault.history(story)] == ["Story 2", "Story 2, Corrected"]
        diff = vault.diff(story).as_dict()
        assert diff["fields"]["title"] == [["=", "Story 2"], ["+", ", Corrected"]]
        assert diff["stats"]["words_added"] + diff["stats"]["words_removed"] <= 2


def test_a_new_slug_keeps_one_history(home: Path, paper: Site, clock: Clock) -> None:
    watch(home, clock)
    new = paper.url("/news/story-1-renamed")
    paper.put("/news/story-1-renamed", article_page("Story 1", ["Item 1.", *TEXT], new))
    paper.redirect("/news/story-1", new)
    clock.advance(minutes=20)
    report = watch(home, clock)
    assert report.saved == 1
    old_id = article_id_for(paper.url("/news/story-1"))
    with Vault.open(home) as vault:
        assert vault.articles()[1] == 3
        history = vault.history(old_id)
        assert [r.url for r in history] == [paper.url("/news/story-1"), new]
        assert history[1].words_added == history[1].words_removed == 0
    paper.put(
        "/feed.xml",
        feed(
            paper, [("Story 1", "/news/story-1-renamed", "s1"), ("Story 2", "/news/story-2", "s2")]
        ),
        kind="application/rss+xml",
    )
    paper.take()
    clock.advance(minutes=20)
    again = watch(home, clock)
    assert again.saved == 0
    assert "/news/story-1" not in {h.path for h in paper.take()}
    with Vault.open(home) as vault:
        assert vault.articles()[1] == 3
        assert len(vault.history(old_id)) == 2


def test_a_404_is_an_event_and_a_return_a_revision(home: Path, paper: Site, clock: Clock) -> None:
    watch(home, clock)
    story = article_id_for(paper.url("/news/story-3"))
    paper.drop("/news/story-3")
    clock.advance(minutes=20)
    report = watch(home, clock)
    assert (report.events, report.saved) == (1, 0)
    clock.advance(minutes=20)
    assert watch(home, clock).events == 0
    with Vault.open(home) as vault:
        (event,) = vault.events(story)
        assert (event.event, event.after_revision, event.url) == (
            "removed",
            1,
            paper.url("/news/story-3"),
        )
        assert len(vault.history(story)) == 1
        assert vault.verify() == []
    tip = commits(home)[0]
    repo = str(home / "articles.git")
    assert git("--git-dir", repo, "diff-tree", "--no-commit-id", "-r", tip) == ""
    trailers = git("--git-dir", repo, "log", "-1", "--format=%(trailers:only,unfold)", tip)
    assert f"Article: {story}\n" in trailers
    assert "Source: paper\nEvent: removed\n" in trailers
    assert "Observed: 2024-03-01T08:20:00+00:00\n" in trailers
    assert f"Url: {paper.url('/news/story-3')}\n" in trailers
    paper.put("/news/story-3", article_page("Story 3", ["Item 3.", *TEXT]))
    clock.advance(minutes=20)
    back = watch(home, clock)
    assert back.saved == 1
    with Vault.open(home) as vault:
        history = vault.history(story)
        assert [r.number for r in history] == [1, 2]
        assert history[1].note == "back after removal"
        assert vault.verify() == []
        vault.reindex()
        assert [e.event for e in vault.events(story)] == ["removed"]
        assert vault.verify() == []


def test_a_round_that_saved_pushes_the_mirrors(
    home: Path, paper: Site, clock: Clock, tmp_path: Path
) -> None:
    mirror = tmp_path / "mirror.git"
    git("init", "--bare", "--quiet", str(mirror))
    add_mirror(home / "sources.toml", str(mirror))
    watch(home, clock)
    assert git("--git-dir", str(mirror), "rev-parse", "main").strip() == commits(home)[0]


def test_leaving_the_feed_is_an_event(home: Path, paper: Site, clock: Clock) -> None:
    watch(home, clock)
    paper.put(
        "/feed.xml",
        feed(paper, [("Story 1", "/news/story-1", "s1"), ("Story 2", "/news/story-2", "s2")]),
        kind="application/rss+xml",
    )
    clock.advance(minutes=20)
    report = watch(home, clock)
    assert report.events == 1
    with Vault.open(home) as vault:
        (event,) = vault.events(article_id_for(paper.url("/news/story-3")))
        assert event.event == "left-feed"
        assert event.note == f"no longer listed in {paper.url('/feed.xml')}"


def test_the_schedule_thins_out_and_survives_a_restart(
    home: Path, paper: Site, clock: Clock
) -> None:
    assert next_check(T0, T0 + timedelta(hours=1)) == T0 + timedelta(hours=1, minutes=15)
    assert next_check(T0, T0 + timedelta(hours=5)) == T0 + timedelta(hours=6)
    assert next_check(T0, T0 + timedelta(days=2)) == T0 + timedelta(days=3)
    assert next_check(T0, T0 + timedelta(days=30)) == T0 + timedelta(days=37)
    assert next_check(T0, T0 + timedelta(days=366)) is None
    watch(home, clock)
    clock.advance(minutes=5)
    assert watch(home, clock).pages == 0
    clock.advance(minutes=11)
    assert watch(home, clock).pages == 3
    clock.advance(hours=4)
    assert watch(home, clock).pages == 3
    clock.advance(minutes=30)
    assert watch(home, clock).pages == 0
    clock.advance(days=400)
    assert watch(home, clock).pages == 3
    clock.advance(days=30)
    assert watch(home, clock).pages == 0
    with Vault.open(home) as vault:
        sources = {s["name"]: s for s in status(vault)["sources"]}
    assert sources["paper"]["watched"] == {"stopped": 3}


def test_rate_limit_and_concurrency_across_domains(home: Path, site: Site, clock: Clock) -> None:
    for n in range(5):
        site.put(f"/a/{n}", article_page(f"Alpha {n}", [f"Alpha {n}.", *TEXT]))
        site.put(f"/b/{n}", article_page(f"Beta {n}", [f"Beta {n}.", *TEXT]))
    sources = home / "sources.toml"
    add_source(sources, "alpha", (), tuple(site.url(f"/a/{n}") for n in range(5)), rate=240)
    localhost = tuple(site.url(f"/b/{n}", "localhost") for n in range(5))
    add_source(sources, "beta", (), localhost, rate=240)
    report = watch(home, clock)
    assert (report.saved, report.warnings) == (10, ())
    hits = site.take()
    spans = []
    for host in ("127.0.0.1", "localhost"):
        times = sorted(h.at for h in hits if h.host == host)
        spans.append((times[0], times[-1]))
        assert len(times) == 6  # robots.txt and five pages
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) > 0.2, gaps  # 240 a minute: 0.25 s apart
        # at most 4 a second; a window of 0.95 s leaves room for the server's own jitter
        assert max(sum(1 for t in times if s <= t < s + 0.95) for s in times) <= 4
    # the two domains went side by side: each one's requests overlap the other's in time
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], spans


def test_robots_txt_is_respected(home: Path, site: Site, clock: Clock) -> None:
    site.put("/private/secret", article_page("Secret", TEXT))
    site.put("/news/open", article_page("Open", TEXT))
    pages = (site.url("/private/secret"), site.url("/news/open"))
    add_source(home / "sources.toml", "paper", (), pages, rate=6000)
    report = watch(home, clock)
    assert report.saved == 1
    assert "/private/secret" not in {h.path for h in site.take()}
    with Vault.open(home) as vault:
        (warning,) = status(vault)["warnings"]
    assert (warning["url"], warning["kind"]) == (site.url("/private/secret"), "robots")


def test_broken_and_shrunken_pages_are_reported_not_archived(
    home: Path, paper: Site, clock: Clock
) -> None:
    watch(home, clock)
    paper.put("/news/story-1", "")
    paper.put("/news/story-2", article_page("Story 2", ["Item 2."]))
    clock.advance(minutes=20)
    report = watch(home, clock)
    assert (report.saved, len(report.warnings)) == (0, 2)
    with Vault.open(home) as vault:
        assert vault.index.counts() == (3, 3)
        found = {w["url"]: w for w in status(vault)["warnings"]}
        assert found[paper.url("/news/story-1")]["kind"] == "extract"
        shrink = found[paper.url("/news/story-2")]
        assert shrink["kind"] == "shrink"
        assert shrink["message"] == "extraction fell from 47 to 2 words; not archived"
        assert shrink["last_seen"] == "2024-03-01T08:20:00+00:00"
    paper.put("/news/story-1", article_page("Story 1", ["Item 1.", *TEXT]))
    clock.advance(minutes=20)
    watch(home, clock)
    with Vault.open(home) as vault:
        info = status(vault)
        assert [w["url"] for w in info["warnings"]] == [paper.url("/news/story-2")]
        assert info["warnings"][0]["count"] == 2
        assert info["last_round"]["started"] == "2024-03-01T08:40:00+00:00"
        source = next(s for s in info["sources"] if s["name"] == "paper")
        assert source["last_success"] == "2024-03-01T08:40:00+00:00"
        assert source["last_new"] == "2024-03-01T08:00:00+00:00"


def test_bad_input_is_a_warning_never_a_crash(home: Path, site: Site, clock: Clock) -> None:
    site.put("/not-a-feed.xml", "<html><body>Nope</body></html>", kind="text/html")
    site.put("/image.png", b"\x89PNG\r\n\x1a\n" + bytes(100), kind="image/png")
    site.put("/flaky", "down", status=503, kind="text/plain")
    closed = Site()
    closed.close()
    sources = home / "sources.toml"
    add_source(
        sources, "paper", (site.url("/not-a-feed.xml"),), (site.url("/image.png"),), rate=6000
    )
    add_source(sources, "gone", (), (closed.url("/x"),), rate=6000)
    add_source(sources, "flaky", (), (site.url("/flaky", "localhost"),), rate=6000)
    report = watch(home, clock)
    kinds = sorted((w.kind, w.url) for w in report.warnings)
    assert kinds == [
        ("feed", site.url("/not-a-feed.xml")),
        ("fetch", closed.url("/x")),
        ("fetch", site.url("/flaky", "localhost")),
        ("not-html", site.url("/image.png")),
    ]
    assert [h.status for h in site.take() if h.path == "/flaky"] == [503, 503]
    with Vault.open(home) as vault:
        assert vault.store.tip() is None


def test_a_retry_gets_through(home: Path, site: Site, clock: Clock) -> None:
    site.put("/flaky", "busy", status=503, kind="text/plain", **{"Retry-After": "0"})
    add_source(home / "sources.toml", "paper", (), (site.url("/flaky"),), rate=6000)

    def recover() -> None:
        while not any(h.path == "/flaky" for h in site.hits):
            time.sleep(0.001)
        site.put("/flaky", article_page("Flaky", TEXT))

    helper = threading.Thread(target=recover)
    helper.start()
    report = watch(home, clock)
    helper.join()
    assert report.saved == 1


def test_the_cli_watches_once_and_edits_sources(home: Path, paper: Site) -> None:
    added = run_cli(
        home,
        "source",
        "add",
        "wire",
        "--page",
        paper.url("/news/story-1"),
        "--rate",
        "600",
        "--user-agent",
        "TestBot/1.0",
        "--selector",
        "article",
        "--domain",
        "127.0.0.1",
        "--furniture",
        "Item \\d+\\.",
    )
    assert added.exit_code == 0, added.output
    wire = load_sources(home / "sources.toml").sources["wire"]
    assert (wire.rate, wire.user_agent, wire.selector, wire.domains) == (
        600.0,
        "TestBot/1.0",
        "article",
        ("127.0.0.1",),
    )
    listed = run_cli(home, "source", "list")
    assert "wire\t0 feeds\t1 pages" in listed.output
    bad = run_cli(home, "source", "add", "wire", "--rate", "-1")
    assert (bad.exit_code, bad.output) == (
        1,
        "error: source wire: rate must be a positive number, not -1.0\n",
    )
    bad = run_cli(home, "source", "add", "wire", "--selector", "div[unclosed")
    assert bad.exit_code == 1 and bad.output.count("\n") == 1
    result = run_cli(home, "watch", "--once", paper.url("/news/story-1"))
    assert result.exit_code == 0, result.output
    assert "1 saved" in result.output
    with Vault.open(home) as vault:
        (row,) = vault.articles()[0]
        assert row.source == "wire"
        assert "Item 1." not in vault.text(vault.revision(row.id)).body
    result = run_cli(home, "watch", "--once")
    assert result.exit_code == 0, result.output
    assert "2 saved" in result.output  # story-1 was just checked: not due yet
    assert run_cli(home, "watch", "--once", "ftp://example.org/x").output == (
        "error: not an http(s) URL: ftp://example.org/x\n"
    )


def test_css_selectors() -> None:
    from lxml import html

    page = html.fromstring(
        '<html><body><h1>H</h1><div id="main"><p class="lead x">A</p><p>B</p>'
        '<section role="main"><p>C</p></section></div></body></html>'
    )
    texts = [e.text_content() for e in page.xpath(css_to_xpath("div#main > p.lead, h1"))]
    assert texts == ["H", "A"]
    assert [e.text_content() for e in page.xpath(css_to_xpath("div [role=main] p"))] == ["C"]
    with pytest.raises(InvalidSelector):
        css_to_xpath("div[")


def test_status_page_and_api(home: Path, paper: Site, clock: Clock) -> None:
    watch(home, clock)
    paper.put("/news/story-1", "")
    clock.advance(minutes=20)
    watch(home, clock)
    with Vault.open(home) as vault, TestClient(create_app(vault)) as client:
        page = client.get("/status")
        assert page.status_code == 200
        assert page.template.name == "status.html"  # type: ignore[attr-defined]
        assert page.context["page"].last_round["pages"] == 3  # type: ignore[attr-defined]
        assert f'href="{paper.url("/news/story-1")}"' in page.text
        assert "not archived: the page is empty" in page.text
        data = client.get("/api/status").json()
    assert data["last_round"]["started"] == "2024-03-01T08:20:00+00:00"
    assert data["next_check"] == "2024-03-01T08:35:00+00:00"
    [warning] = data["warnings"]
    assert {k: warning[k] for k in ("source", "kind", "count", "last_seen")} == {
        "source": "paper",
        "kind": "extract",
        "count": 1,
        "last_seen": "2024-03-01T08:20:00+00:00",
    }
    [source] = [s for s in data["sources"] if s["name"] == "paper"]
    assert source["watched"] == {"active": 3}
    assert source["feeds"] == [paper.url("/feed.xml")]


def test_rounds_run_in_the_background_for_serve_watch(home: Path, paper: Site) -> None:
    reports: list[RoundReport] = []
    with Vault.open(home) as vault:
        halt = watch_in_background(vault, 3600, reports.append, options=FAST)
        deadline = time.monotonic() + 20
        while not reports and time.monotonic() < deadline:
            time.sleep(0.02)
        halt()
        assert reports[0].saved == 3
        assert vault.articles()[1] == 3
