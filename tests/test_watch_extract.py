"""The watcher and what text it keeps: feed entry times, charsets, drop selectors, churn."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from versionvault.archive import Vault, add_source

from .test_watch import TEXT, Clock, Site, article_page, watch

CORPUS = Path(__file__).resolve().parent / "extract_corpus"


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    served.put("/robots.txt", "User-agent: *\nAllow: /\n", kind="text/plain")
    yield served
    served.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def dated_feed(site: Site, items: list[tuple[str, str, str]]) -> str:
    """Return an RSS feed of (title, path, RFC 822 date) items."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(site.url(p))}</link>"
        f"<guid isPermaLink='false'>{escape(p)}</guid><pubDate>{d}</pubDate></item>"
        for t, p, d in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>The Paper</title>'
        f"<link>{site.url('/')}</link><description>News</description>{entries}</channel></rss>"
    )


def paths(site: Site) -> list[str]:
    """Return the paths asked for since the last call, robots.txt left out."""
    return [hit.path for hit in site.take() if hit.path != "/robots.txt"]


def test_a_feed_entry_whose_time_moved_makes_its_page_due_now(
    home: Path, site: Site, clock: Clock
) -> None:
    first = format_datetime(clock.now)
    site.put("/news/a", article_page("Pier to reopen", ["Item A.", *TEXT]))
    site.put("/news/b", article_page("Ferry fares frozen", ["Item B.", *TEXT]))
    items = [("Pier", "/news/a", first), ("Ferry", "/news/b", first)]
    site.put("/feed.xml", dated_feed(site, items), kind="application/rss+xml")
    add_source(home / "sources.toml", "paper", (site.url("/feed.xml"),), (), rate=6000)
    assert watch(home, clock).saved == 2
    site.take()

    clock.advance(minutes=5)  # both pages are next due 15 minutes after the first round
    assert watch(home, clock).saved == 0
    assert paths(site) == ["/feed.xml"]

    clock.advance(minutes=1)
    site.put("/news/a", article_page("Pier to reopen on Monday", ["Item A, updated.", *TEXT]))
    moved = [("Pier", "/news/a", format_datetime(clock.now)), ("Ferry", "/news/b", first)]
    site.put("/feed.xml", dated_feed(site, moved), kind="application/rss+xml")
    report = watch(home, clock)
    assert report.saved == 1
    assert sorted(paths(site)) == ["/feed.xml", "/news/a"]  # b's entry did not move: not due
    with Vault.open(home) as vault:
        (row,) = [r for r in vault.articles()[0] if r.title.startswith("Pier")]
        assert row.revisions == 2 and row.title == "Pier to reopen on Monday"

    clock.advance(minutes=1)  # the same time again is no move
    assert watch(home, clock).saved == 0 and paths(site) == ["/feed.xml"]


def test_the_watcher_decodes_by_the_http_charset_and_the_page(
    home: Path, site: Site, clock: Clock
) -> None:
    page = article_page("Café Renée reopens", ["Déjà vu at the café: “the best crêpes”.", *TEXT])
    site.put("/header", page.encode("cp1252"), kind="text/html; charset=windows-1252")
    meta = page.replace("<head>", '<head><meta charset="windows-1252">')
    site.put("/meta", meta.encode("cp1252"), kind="text/html")
    site.put("/gbk", (CORPUS / "gbk.html").read_bytes(), kind="text/html")
    report = watch(home, clock, site.url("/header"), site.url("/meta"), site.url("/gbk"))
    assert report.saved == 3, report.warnings
    with Vault.open(home) as vault:
        titles = {row.title for row in vault.articles()[0]}
        bodies = [vault.text(vault.revision(r.id)).body for r in vault.articles()[0]]
    assert titles == {"Café Renée reopens", "临江大桥夜间封闭施工 三条公交线路临时调整"}
    assert sum("“the best crêpes”" in body for body in bodies) == 2
    assert not any("\ufffd" in body for body in bodies)


def test_drop_selectors_and_churn_never_make_a_revision(
    home: Path, site: Site, clock: Clock
) -> None:
    add_source(
        home / "sources.toml",
        "star",
        (),
        (site.url("/harbour"),),
        ("127.0.0.1",),
        drop=(".poll",),
        rate=6000,
    )
    question = "Today's poll: should the harbour open on Sundays? Yes 61% No 39%"
    poll = f"<div class='poll'><p>{question}</p></div>"
    captures = [
        (CORPUS / f"{n}.html").read_text("utf-8") for n in ("churn-inline", "churn-inline.2")
    ]
    for number, capture in enumerate(captures * 2):
        varied = poll.replace("61%", f"{61 + number}%")
        site.put("/harbour", capture.replace("</article>", f"{varied}</article>"))
        report = watch(home, clock)
        assert report.saved == (1 if number == 0 else 0), report.warnings
        clock.advance(minutes=16)
    with Vault.open(home) as vault:
        (row,) = vault.articles()[0]
        body = vault.text(vault.revision(row.id)).body
    assert row.revisions == 1 and "poll" not in body and "ago" not in body
    assert "Harbour master Tomasz Greer" in body
