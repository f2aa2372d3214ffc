"""Tests for remote watchers: a watcher elsewhere saves into a primary through its write API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from versionvault.archive import (
    Revision,
    SaveResult,
    StaleRevision,
    Vault,
    add_editor,
    add_source,
)
from versionvault.cli import main
from versionvault.text import Article
from versionvault.watch import RemoteSaver, RoundReport, Watcher, article_id_for
from versionvault.web import create_app

from .conftest import git, run_cli
from .serving import free_port, serve
from .test_watch import FAST, TEXT, Clock, Site, article_page, feed


@pytest.fixture
def paper() -> Iterator[Site]:
    """A publisher on 127.0.0.1 with a feed of three articles."""
    site = Site()
    site.put("/robots.txt", "User-agent: *\nDisallow: /private/\n", kind="text/plain")
    for n in range(1, 4):
        site.put(f"/news/story-{n}", article_page(f"Story {n}", [f"Item {n}.", *TEXT]))
    site.put(
        "/feed.xml",
        feed(site, [(f"Story {n}", f"/news/story-{n}", f"s{n}") for n in range(1, 4)]),
        kind="application/rss+xml",
    )
    yield site
    site.close()


@pytest.fixture
def primary(vault: Vault) -> Iterator[str]:
    """The primary archive's site, served on 127.0.0.1."""
    with serve(create_app(vault)) as base:
        yield base


def _outpost(path: Path, paper: Site) -> Path:
    path.mkdir()
    add_source(path / "sources.toml", "paper", (paper.url("/feed.xml"),), (), rate=6000)
    return path


@pytest.fixture
def outpost(tmp_path: Path, paper: Site) -> Path:
    """The remote watcher's home: only sources.toml (and, once it ran, its watch state)."""
    return _outpost(tmp_path / "outpost", paper)


def _round(saver: RemoteSaver, clock: Clock) -> RoundReport:
    with Watcher(saver, clock, FAST) as watcher:
        return watcher.run_once()


def test_watch_remote_saves_into_the_primary(
    vault: Vault, home: Path, primary: str, outpost: Path, paper: Site
) -> None:
    token = add_editor(home / "editors.toml", "outpost-north")
    result = run_cli(outpost, "watch", "--once", "--remote", primary, "--token", token)
    assert result.exit_code == 0, result.output
    assert "3 saved" in result.output
    assert not (outpost / "articles.git").exists()
    assert (outpost / "index.sqlite3").is_file()
    vault.index.catch_up(vault.store)
    story = article_id_for(paper.url("/news/story-1"))
    (first,) = vault.history(story)
    assert (first.title, first.url) == ("Story 1", paper.url("/news/story-1"))
    assert first.editor == "outpost-north"  # who saved it, as for any editor
    assert vault.verify() == []
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict")

    again = run_cli(outpost, "watch", "--once", "--remote", primary, "--token", token)
    assert again.exit_code == 0 and "0 saved" in again.output
    assert len(vault.history(story)) == 1


def test_watch_remote_as_the_readme_says(
    vault: Vault, home: Path, primary: str, tmp_path: Path, paper: Site
) -> None:
    token = add_editor(home / "editors.toml", "outpost-north")
    outpost = tmp_path / "outpost"
    assert run_cli(outpost, "init").exit_code == 0
    no_token = run_cli(outpost, "watch", "--once", "--remote", primary)
    assert no_token.output == (
        "error: --remote needs an editor's token: --token TOKEN or VERSIONVAULT_TOKEN\n"
    )
    feed_url = paper.url("/feed.xml")
    added = run_cli(outpost, "source", "add", "paper", "--feed", feed_url, "--rate", "6000")
    assert added.exit_code == 0, added.output
    arguments = ["--archive", str(outpost), "watch", "--remote", primary, "--once"]
    result = CliRunner().invoke(main, arguments, env={"VERSIONVAULT_TOKEN": token})
    assert result.exit_code == 0, result.output
    assert "3 saved" in result.output
    vault.index.catch_up(vault.store)
    assert vault.index.counts() == (3, 3)
    with Vault.open(outpost) as local:
        assert local.index.counts() == (0, 0)  # the outpost archives nothing itself


class RacedSaver(RemoteSaver):
    """A remote saver whose first save of `article` loses a race to an editor on the primary."""

    def __init__(self, primary: str, token: str, home: Path, article: str, editor: str) -> None:
        super().__init__(primary, token, home)
        self.article, self.editor = article, editor
        self.stale: list[str] = []
        self.reads = 0

    def latest(self, article_id: str) -> Revision | None:
        found = super().latest(article_id)
        if article_id != self.article:
            return found
        self.reads += 1
        if self.reads == 1:  # between our read and our write, an editor saves
            body = {"title": "Story 2", "body": "An editor's own text.", "note": "fix"}
            response = httpx.post(
                f"{self.primary}/api/articles/{article_id}/revisions",
                json=body,
                headers={"Authorization": f"Bearer {self.editor}"},
            )
            assert response.status_code == 201, response.text
        return found

    def save_revision(
        self,
        article: Article,
        observed: datetime,
        note: str,
        expected: str | None,
        capture: bytes | None = None,
    ) -> SaveResult:
        try:
            return super().save_revision(article, observed, note, expected, capture)
        except StaleRevision as exc:
            self.stale.append(exc.current)
            raise


def test_a_remote_save_that_loses_a_race_rereads_and_retries(
    vault: Vault, home: Path, primary: str, outpost: Path, paper: Site
) -> None:
    token = add_editor(home / "editors.toml", "outpost-north")
    ann = add_editor(home / "editors.toml", "ann")
    clock = Clock()
    assert _round(RemoteSaver(primary, token, outpost), clock).saved == 3
    story = article_id_for(paper.url("/news/story-2"))
    paper.put("/news/story-2", article_page("Story 2, Corrected", ["Item 2.", *TEXT]))
    clock.advance(minutes=20)
    raced = RacedSaver(primary, token, outpost, story, ann)
    report = _round(raced, clock)
    assert (report.saved, report.unchanged, report.warnings) == (1, 0, ())
    vault.index.catch_up(vault.store)
    history = vault.history(story)
    assert [(r.number, r.editor, r.title) for r in history] == [
        (1, "outpost-north", "Story 2"),
        (2, "ann", "Story 2"),
        (3, "outpost-north", "Story 2, Corrected"),
    ]
    assert raced.stale == [history[1].commit]  # the 409 named the editor's revision
    assert raced.reads == 2  # it read the latest again before retrying
    assert history[2].observed == clock.now.isoformat()
    assert vault.verify() == []


def test_a_remote_watcher_records_events_through_the_api(
    vault: Vault, home: Path, primary: str, outpost: Path, paper: Site
) -> None:
    token = add_editor(home / "editors.toml", "outpost-north")
    clock = Clock()
    _round(RemoteSaver(primary, token, outpost), clock)
    story = article_id_for(paper.url("/news/story-3"))
    paper.drop("/news/story-3")
    clock.advance(minutes=20)
    report = _round(RemoteSaver(primary, token, outpost), clock)
    assert (report.events, report.saved, report.warnings) == (1, 0, ())
    vault.index.catch_up(vault.store)
    (event,) = vault.events(story)
    assert (event.event, event.note, event.url) == (
        "removed",
        "HTTP 404",
        paper.url("/news/story-3"),
    )
    assert event.observed == clock.now.isoformat()
    assert event.author.startswith("paper")  # the publication took it down
    trailers = git("--git-dir", str(home / "articles.git"), "log", "-1", "--format=%(trailers)")
    assert "Event: removed\n" in trailers and "Editor: outpost-north\n" in trailers
    paper.put("/news/story-3", article_page("Story 3", ["Item 3.", *TEXT]))
    clock.advance(minutes=20)
    assert _round(RemoteSaver(primary, token, outpost), clock).saved == 1
    vault.index.catch_up(vault.store)
    assert vault.history(story)[-1].note == "back after removal"
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict")


def test_a_remote_watcher_that_is_refused_warns_and_saves_nothing(
    vault: Vault, home: Path, primary: str, outpost: Path, tmp_path: Path, paper: Site
) -> None:
    report = _round(RemoteSaver(primary, "not-a-token", outpost), Clock())
    assert report.saved == 0
    messages = {w.message for w in report.warnings}
    assert f"not archived: the primary at {primary} answered 401: unknown token" in messages
    assert vault.store.tip() is None

    replica = tmp_path / "replica"
    vault.save_revision(Article("seed", "paper", "Seed", "Text.\n"))
    token = add_editor(home / "editors.toml", "outpost-north")
    assert run_cli(replica, "replica", "init", primary).exit_code == 0
    with Vault.open(replica) as copy, serve(create_app(copy)) as mirror:
        elsewhere = _outpost(tmp_path / "elsewhere", paper)
        refused = _round(RemoteSaver(mirror, token, elsewhere), Clock())
    assert refused.saved == 0 and refused.warnings
    assert any("read-only replica" in w.message and primary in w.message for w in refused.warnings)

    gone = free_port()
    lost = _outpost(tmp_path / "lost", paper)
    down = _round(RemoteSaver(f"http://127.0.0.1:{gone}", token, lost), Clock())
    assert down.saved == 0
    assert any("cannot reach the primary" in w.message for w in down.warnings)


def test_a_remote_watcher_learns_site_names_from_the_primary(
    vault: Vault, home: Path, primary: str, tmp_path: Path, paper: Site
) -> None:
    for slug, title in (("budget", "Budget passes"), ("roads", "Roads close")):
        body = "Text of the story.\n"
        vault.save_revision(Article(slug, "paper", f"{title} | The Paper", body))
    paper.put("/news/story-1", article_page("Story 1 | The Paper", ["Item 1.", *TEXT]))
    token = add_editor(home / "editors.toml", "outpost-north")
    outpost = _outpost(tmp_path / "outpost", paper)
    assert _round(RemoteSaver(primary, token, outpost), Clock()).saved == 3
    vault.index.catch_up(vault.store)
    story = vault.revision(article_id_for(paper.url("/news/story-1")))
    assert story.title == "Story 1"
