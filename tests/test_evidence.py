"""The raw page kept as evidence: in the revision's commit, shown safely, and re-extracted."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from versionvault.archive import Vault, VaultError, add_source
from versionvault.text import Article
from versionvault.watch import Watcher, article_id_for
from versionvault.watch.reextract import extractor_version
from versionvault.web import create_app

from .conftest import git, run_cli
from .test_watch import FAST, Clock, Site

# A fictional newsroom: the Harbour Courier does not exist. The page declares windows-1252
# and is saved in it, carries scripts, a form and things to load from elsewhere.
PAGE = (
    "<!doctype html><html><head><meta charset='windows-1252'>"
    "<title>Pier works begin | Harbour Courier</title>"
    "<meta property='og:site_name' content='Harbour Courier'>"
    "<script>document.title = 'ran'; fetch('/beacon-head');</script>"
    "<link rel='stylesheet' href='/beacon-style.css'></head><body><article>"
    "<h1>Pier works begin</h1>"
    "<p>Work on the north pier began on Monday, the fictional harbour board said, with the caf\xe9"
    " on the quay staying open while the cranes arrive from the mainland.</p>"
    "<div class='promo'><p>The Courier's crossword prize this week is a year of free ferry"
    " tickets for the winner drawn on Friday.</p></div>"
    "<p>The board expects the pier to reopen in the spring, after the winter storms.</p>"
    "<img src='/beacon-img.png'><form action='/beacon-form'><button>Go</button></form>"
    "<script>document.body.dataset.ran = 'yes'; fetch('/beacon-body');</script>"
    "</article></body></html>"
).encode("cp1252")
T0 = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)


def tree(home: Path, commit: str = "main") -> list[str]:
    listing = git("--git-dir", str(home / "articles.git"), "ls-tree", "-r", "--name-only", commit)
    return listing.split()


def blob(home: Path, commit: str, path: str) -> bytes:
    done = subprocess.run(
        ["git", "--git-dir", str(home / "articles.git"), "cat-file", "blob", f"{commit}:{path}"],
        capture_output=True,
        check=True,
    )
    return done.stdout


def fsck(home: Path) -> None:
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict")


@pytest.fixture
def page_file(tmp_path: Path) -> Path:
    path = tmp_path / "pier-works.html"
    path.write_bytes(PAGE)
    return path


def _ingest(home: Path, path: Path, *args: str) -> str:
    done = run_cli(home, "ingest", str(path), "--source", "courier", *args)
    assert done.exit_code == 0, done.output
    return done.stdout.split()[-1]


def test_ingest_keeps_the_page_byte_for_byte_in_the_same_commit(
    home: Path, page_file: Path, tmp_path: Path
) -> None:
    commit = _ingest(home, page_file, "--url", "https://courier.example/news/pier")
    captured = [p for p in tree(home, commit) if p.startswith("captures/")]
    assert len(captured) == 1 and captured[0].startswith("captures/courier/")
    assert captured[0].endswith("/pier-works.html")
    assert blob(home, commit, captured[0]) == PAGE
    shown = run_cli(home, "show", "pier-works", "1", "--capture")
    assert shown.exit_code == 0 and shown.stdout_bytes == PAGE
    with Vault.open(home) as vault:
        assert "caf\xe9" in vault.text(vault.revision("pier-works")).body

    text = tmp_path / "pier-works.txt"
    text.write_text("Pier works begin\n\nAn editor's correction of the whole text.\n", "utf-8")
    _ingest(home, text)
    none = run_cli(home, "show", "pier-works", "2", "--capture")
    assert none.exit_code == 1
    assert none.stderr == "error: revision 2 of pier-works has no captured page\n"
    assert run_cli(home, "show", "pier-works", "1", "--capture").stdout_bytes == PAGE
    fsck(home)


def test_captures_false_keeps_only_the_text(home: Path, page_file: Path) -> None:
    (home / "sources.toml").write_text("[sources.courier]\ncaptures = false\n", "utf-8")
    commit = _ingest(home, page_file)
    assert not [p for p in tree(home, commit) if p.startswith("captures/")]
    assert run_cli(home, "show", "pier-works", "--capture").exit_code == 1
    (home / "sources.toml").write_text("[sources.courier]\ncaptures = 'no'\n", "utf-8")
    with pytest.raises(VaultError, match="captures must be true or false"):
        Vault.open(home).sources  # noqa: B018


def test_the_watcher_keeps_the_page_as_received(home: Path) -> None:
    site = Site()
    try:
        site.put("/news/pier", PAGE, kind="text/html")
        add_source(home / "sources.toml", "courier", (), (site.url("/news/pier"),), rate=6000)
        with Vault.open(home) as vault, Watcher(vault, Clock(), FAST) as watcher:
            assert watcher.run_once(()).saved == 1
        found = run_cli(home, "show", article_id_for(site.url("/news/pier")), "--capture")
        assert found.exit_code == 0 and found.stdout_bytes == PAGE
    finally:
        site.close()
    fsck(home)


def test_reextract_saves_what_the_current_rules_read(home: Path, page_file: Path) -> None:
    _ingest(home, page_file)
    with Vault.open(home) as vault:
        assert "crossword" in vault.text(vault.revision("pier-works")).body
    add_source(home / "sources.toml", "courier", (), (), drop=(".promo",))
    done = run_cli(home, "reextract")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0].startswith("saved pier-works revision 2 ")
    assert done.stdout.splitlines()[-1] == (
        "re-extracted 1 articles: 1 saved, 0 unchanged, 0 skipped"
    )
    with Vault.open(home) as vault:
        latest = vault.revision("pier-works")
        assert latest.kind == "extraction"
        assert latest.note == f"re-extracted with {extractor_version()} from revision 1's page"
        assert latest.author.startswith("VersionVault")
        assert "crossword" not in vault.text(latest).body
        assert vault.capture(latest) == PAGE
    again = run_cli(home, "reextract", "pier-works")
    assert again.stdout.splitlines()[0] == "unchanged pier-works revision 2"
    assert run_cli(home, "reextract", "--source", "other").stdout.strip() == (
        "re-extracted 0 articles: 0 saved, 0 unchanged, 0 skipped"
    )
    unknown = run_cli(home, "reextract", "pier-works", "no-such-article")
    assert unknown.exit_code == 1
    assert "error: 1 of the articles named are not in the archive" in unknown.stderr
    fsck(home)


def test_reextract_leaves_an_editors_revision_alone(vault: Vault, page_file: Path) -> None:
    read = vault.read_file(page_file, source="courier")
    vault.save_revision(read.article, T0, capture=read.page)
    edited = Article("pier-works", "courier", "Pier works begin", "The editor's own text.")
    vault.save_revision(edited, author="Ed Itor", editor="ed")
    add_source(vault.home / "sources.toml", "courier", (), (), drop=(".promo",))
    from versionvault.watch.reextract import reextract

    [outcome] = list(reextract(vault))
    assert outcome.status == "skipped"
    assert outcome.line == "skipped pier-works: revision 2, its latest, has no captured page"
    assert vault.revision("pier-works").number == 2


def test_the_site_shows_a_capture_only_sandboxed(vault: Vault, page_file: Path) -> None:
    read = vault.read_file(page_file, source="courier")
    vault.save_revision(read.article, T0, capture=read.page)
    vault.save_revision(Article("pier-works", "courier", "Pier works begin", "Edited text."))
    with TestClient(create_app(vault)) as client:
        revision = client.get("/articles/pier-works/revisions/1").text
        assert 'href="/articles/pier-works/revisions/1/capture"' in revision
        assert "/capture" not in client.get("/articles/pier-works/revisions/2").text

        wrapper = client.get("/articles/pier-works/revisions/1/capture")
        assert wrapper.status_code == 200
        assert '<iframe class="capture" sandbox src=' in wrapper.text
        assert "windows-1252" in wrapper.text

        framed = client.get(
            "/articles/pier-works/revisions/1/capture?view=page",
            headers={"Sec-Fetch-Dest": "iframe"},
        )
        assert framed.content == PAGE
        assert framed.headers["content-type"] == "text/html; charset=windows-1252"
        policy = framed.headers["content-security-policy"]
        assert policy.startswith("sandbox;") and "default-src 'none'" in policy
        assert framed.headers["x-content-type-options"] == "nosniff"
        for headers in ({}, {"Sec-Fetch-Dest": "document"}):
            alone = client.get(
                "/articles/pier-works/revisions/1/capture?view=page", headers=headers
            )
            assert alone.headers["content-type"] == "text/plain; charset=windows-1252"
            assert alone.headers["content-security-policy"].startswith("sandbox;")
        assert alone.headers["etag"] != framed.headers["etag"]
        asked = {"If-None-Match": alone.headers["etag"], "Sec-Fetch-Dest": "iframe"}
        again = client.get(framed.url, headers=asked)
        assert again.status_code == 200  # the text's validator is not the HTML's
        source = client.get("/articles/pier-works/revisions/1/capture?view=text")
        assert source.content == PAGE and source.headers["content-type"].startswith("text/plain")

        missing = client.get("/articles/pier-works/revisions/2/capture")
        assert missing.status_code == 404 and "has no captured page" in missing.text
        assert client.get("/articles/pier-works/revisions/1/capture?view=run").status_code == 400
        assert client.get("/articles/nothing/revisions/1/capture").status_code == 404

        api = client.get("/api/articles/pier-works/revisions/1").json()
        assert api["capture"] is True
        assert api["capture_url"].endswith("/capture") and api["commit"] in api["capture_url"]
        assert client.get("/api/articles/pier-works/revisions/2").json()["capture"] is False


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    page=st.binary(max_size=3000),
    prefix=st.sampled_from([b"", b"<html><body><p>", b"\xef\xbb\xbf"]),
)
def test_any_bytes_are_kept_exactly_or_refused_in_one_line(
    home: Path, tmp_path: Path, page: bytes, prefix: bytes
) -> None:
    path = tmp_path / "fuzz.html"
    data = prefix + page + b"<p>" + b"The harbour board met again on Thursday evening. " * 5
    path.write_bytes(data)
    done = run_cli(home, "ingest", str(path), "--source", "fuzz")
    assert done.exit_code in (0, 1), done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    if done.exit_code == 1:
        assert len(done.stderr.splitlines()) == 1
        return
    if done.stdout.startswith("saved"):
        assert run_cli(home, "show", "fuzz", "--capture").stdout_bytes == data
    fsck(home)
