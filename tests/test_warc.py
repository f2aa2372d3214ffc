"""WARC in: Debian's real wget crawls a local site into a WARC, and `import --warc` archives it."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from versionvault.archive import Vault
from versionvault.watch import article_id_for

from .conftest import git, run_cli
from .test_watch import Site

WGET = shutil.which("wget")
needs_wget = pytest.mark.skipif(WGET is None, reason="no wget: apt-get install wget")

# A fictional newsroom: the Harbour Courier does not exist.
FERRY = """<!doctype html>
<html><head><meta charset="utf-8"><title>Island ferry returns on Monday | Harbour Courier</title>
<meta property="og:site_name" content="Harbour Courier">
<link rel="canonical" href="{base}/news/ferry.html"></head>
<body><nav><a href="/">Home</a></nav><article><h1>Island ferry returns on Monday</h1>
<p>The ferry to Gull Island returns on Monday after a winter of repairs, the harbour board
said on Tuesday in a short statement to residents of the island.</p>
<p>Tickets go on sale at the quay from nine o'clock, and the first crossing leaves at
{time} when the tide allows it, the board's harbour master added.</p>
<p>The fictional board said the repairs cost {cost} pounds, paid from the harbour fund.</p>
</article></body></html>
"""
MARKET = """<html><head><title>Fish market opens early</title></head><body><article>
<h1>Fish market opens early</h1>
<p>The caf\u00e9 by the fish market opens at five from Friday, its owner told the Courier, so
that the boats coming in before dawn can have breakfast on the quay.</p>
<p>The market itself keeps its hours, the fictional harbour board said.</p>
</article></body></html>
"""
INDEX = """<html><head><title>Harbour Courier</title></head><body>
<a href="/news/ferry.html?utm_source=home">Ferry</a> <a href="/news/market.html">Market</a>
<a href="/news/gone.html">Gone</a> <img src="/logo.png"></body></html>
"""


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    yield served
    served.close()


def _crawl(site: Site, warc: Path) -> None:
    """Crawl the site with wget, recursively one level, into `warc` (.warc.gz)."""
    assert WGET is not None
    warc.parent.mkdir(parents=True, exist_ok=True)
    name = warc.with_suffix("").with_suffix("")  # wget adds .warc.gz
    options = ["-q", "-r", "-l", "1", "-e", "robots=off", "--no-warc-keep-log"]
    subprocess.run(
        [WGET, *options, f"--warc-file={name}", "-P", str(warc.parent / "out"), site.url("/")],
        check=False,  # wget exits 8 when a page answers 404, as /news/gone.html does
        timeout=120,
    )
    assert warc.is_file()


def _serve(site: Site, cost: str, time_: str) -> None:
    site.put("/", INDEX)
    base = site.url("")
    site.put("/news/ferry.html", FERRY.format(base=base, cost=cost, time=time_))
    site.put("/news/market.html", MARKET.encode("cp1252"), kind="text/html; charset=windows-1252")
    site.put("/logo.png", b"\x89PNG\r\n\x1a\n", kind="image/png")


@needs_wget
def test_import_a_wget_crawl_oldest_first(home: Path, site: Site, tmp_path: Path) -> None:
    _serve(site, "80,000", "half past ten")
    first = tmp_path / "one" / "crawl.warc.gz"
    _crawl(site, first)
    time.sleep(1.1)  # WARC-Date counts seconds
    _serve(site, "85,000", "eleven")
    second = tmp_path / "two" / "crawl.warc.gz"
    _crawl(site, second)
    both = tmp_path / "both.warc.gz"  # the later crawl first: the import must sort by date
    both.write_bytes(second.read_bytes() + first.read_bytes())

    done = run_cli(home, "import", "--warc", str(both))
    assert done.exit_code == 0, done.output
    assert done.stdout.strip().splitlines()[-1] == (
        "imported 3 revisions from 6 HTML pages (1 unchanged, 2 skipped)"
    )
    assert f"skipped {site.url('/')}: no article text" in done.stderr

    ferry = article_id_for(site.url("/news/ferry.html"))
    with Vault.open(home) as vault:
        history = vault.history(ferry)
        assert [r.number for r in history] == [1, 2]
        old, new = (vault.text(r) for r in history)
        assert "80,000" in old.body and "85,000" in new.body
        assert old.title == "Island ferry returns on Monday"
        assert old.url == site.url("/news/ferry.html")  # the canonical URL, no tracking
        first_seen, then = (datetime.fromisoformat(r.observed) for r in history)
        assert first_seen < then
        assert history[0].note == "imported from both.warc.gz"
        market = vault.history(article_id_for(site.url("/news/market.html")))
        assert len(market) == 1
        assert "The caf\u00e9 by the fish market" in vault.text(market[0]).body
        assert market[0].source == "127-0-0-1"

    again = run_cli(home, "import", "--warc", str(both))  # already archived: nothing new
    assert again.exit_code == 0, again.output
    assert "imported 0 revisions from 6 HTML pages (4 unchanged, 2 skipped)" in again.stdout
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict")


@needs_wget
def test_import_a_plain_warc_into_a_named_source(home: Path, site: Site, tmp_path: Path) -> None:
    _serve(site, "80,000", "ten")
    crawl = tmp_path / "crawl.warc.gz"
    _crawl(site, crawl)
    plain = tmp_path / "crawl.warc"
    plain.write_bytes(gzip.decompress(crawl.read_bytes()))
    done = run_cli(home, "import", "--warc", str(plain), "--source", "courier")
    assert done.exit_code == 0, done.output
    with Vault.open(home) as vault:
        assert {row.source for row in vault.articles()[0]} == {"courier"}


def test_a_file_that_is_not_a_warc_is_one_line(home: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc.gz"
    broken = gzip.compress(b"WARC/1.0\r\nbroken")
    for data in (b"not a warc\n", broken, b"\x1f\x8b\x08garbage", b"", gzip.compress(b"")):
        junk.write_bytes(data)
        done = run_cli(home, "import", "--warc", str(junk))
        assert done.exit_code == 1
        assert done.stderr.startswith(f"error: {junk}")
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    missing = run_cli(home, "import", "--warc", str(tmp_path / "none.warc.gz"))
    assert missing.exit_code == 1 and "no such file" in missing.stderr
    assert run_cli(home, "import", "x.jsonl", "--warc", str(junk)).exit_code == 2
    assert run_cli(home, "import").exit_code == 2
    assert run_cli(home, "import", "x.jsonl", "--source", "courier").exit_code == 2
    bad = run_cli(home, "import", "--warc", str(junk), "--source", "Not A Slug")
    assert bad.exit_code == 1
    with Vault.open(home) as vault:
        assert vault.index.counts() == (0, 0)


def test_export_writes_every_kept_page_once_and_reads_back(home: Path, tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    from .test_evidence import PAGE, T0

    page = tmp_path / "pier-works.html"
    page.write_bytes(PAGE)
    url = "https://courier.example/news/pier"
    with Vault.open(home) as vault:
        read = vault.read_file(page, source="courier", url=url)
        vault.save_revision(read.article, T0, capture=read.page)
        edited = read.article.__class__(**{**vars(read.article), "body": "An editor's text."})
        vault.save_revision(edited, editor="ed", author="Ed")  # no page of its own
        second = PAGE.replace(b"in the spring", b"in the summer")
        page.write_bytes(second)
        read = vault.read_file(page, source="courier", url=url)
        vault.save_revision(read.article, T0.replace(hour=12), capture=read.page)
        commits = [r.commit for r in vault.history("pier-works")]
    out = tmp_path / "out.warc.gz"
    done = run_cli(home, "export", "--warc", str(out))
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == f"wrote {out}: 2 captured pages"

    with out.open("rb") as handle:
        records = list(_read_back(ArchiveIterator(handle, check_digests=True)))
    assert records[0][0] == "warcinfo"
    responses = [r for r in records if r[0] == "response"]
    assert [(r[1], r[2]) for r in responses] == [
        (url, "2024-05-02T09:00:00Z"),
        (url, "2024-05-02T12:00:00Z"),
    ]
    assert [r[3] for r in responses] == [PAGE, second]
    assert [r[4] for r in responses] == [commits[0], commits[2]]
    assert all(r[5] == "text/html; charset=windows-1252" for r in responses)
    assert all(r[6].startswith("sha1:") for r in responses)

    again = tmp_path / "again"
    assert run_cli(again, "init").exit_code == 0
    imported = run_cli(again, "import", "--warc", str(out), "--source", "courier")
    assert imported.exit_code == 0, imported.output
    assert "imported 2 revisions from 2 HTML pages" in imported.stdout
    with Vault.open(again) as copy, Vault.open(home) as original:
        [copied] = copy.articles()[0]
        texts = [copy.text(r).body for r in copy.history(copied.id)]
        assert texts[-1] == original.text(original.revision("pier-works")).body
        assert copy.capture(copy.revision(copied.id)) == second


def _read_back(records: Any) -> Iterator[tuple[str, str, str, bytes, str, str, str]]:
    for record in records:
        headers = record.rec_headers
        http = record.http_headers
        yield (
            record.rec_type,
            str(headers.get_header("WARC-Target-URI") or ""),
            str(headers.get_header("WARC-Date") or ""),
            record.content_stream().read(),
            str(headers.get_header("VersionVault-Commit") or ""),
            str(http.get_header("Content-Type") if http else ""),
            str(headers.get_header("WARC-Payload-Digest") or ""),
        )


def test_export_to_a_folder_that_is_not_there_is_one_line(home: Path, tmp_path: Path) -> None:
    done = run_cli(home, "export", "--warc", str(tmp_path / "no" / "such" / "out.warc.gz"))
    assert done.exit_code == 1
    assert len(done.stderr.splitlines()) == 1 and "cannot write" in done.stderr


STORY = b"<p>The harbour board met again on Thursday evening to talk about the pier.</p>" * 3
RECORDS = st.lists(
    st.tuples(
        st.sampled_from(["/a", "/b?utm_source=x", "/c%20d", "/\u00e9t\u00e9", "/"]),
        st.sampled_from(["200 OK", "404 Not Found", "301 Moved"]),
        st.sampled_from(["text/html", "text/html; charset=gbk", "text/plain", "", "TEXT/HTML"]),
        st.binary(max_size=400),
        st.integers(min_value=0, max_value=10**9),
    ),
    max_size=6,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=RECORDS, cut=st.integers(min_value=0, max_value=4000))
def test_any_warc_imports_or_is_refused_in_one_line(
    home: Path, tmp_path: Path, records: list[tuple[str, str, str, bytes, int]], cut: int
) -> None:
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = BytesIO()
    writer = WARCWriter(out, gzip=True)
    for path, status, kind, body, seconds in records:
        headers = [("Content-Type", kind)] if kind else []
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        date = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = writer.create_warc_record(
            "https://courier.example" + path,
            "response",
            payload=BytesIO(body + STORY),
            length=len(body + STORY),
            http_headers=http,
            warc_headers_dict={"WARC-Date": date},
        )
        writer.write_record(record)
    warc = tmp_path / "fuzz.warc.gz"
    data = out.getvalue()
    for contents in (data, data[:cut]):
        warc.write_bytes(contents)
        done = run_cli(home, "import", "--warc", str(warc))
        assert done.exit_code in (0, 1), done.output
        assert done.exception is None or isinstance(done.exception, SystemExit)
        if done.exit_code == 1:
            assert len(done.stderr.splitlines()) == 1, done.stderr
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict")
