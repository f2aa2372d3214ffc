"""Kind: extraction revisions: labelled on pages and in feeds, out of substantive filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import pytest
from starlette.testclient import TestClient

from versionvault.archive import EXTRACTION, Revision, Rule, Vault, VaultError
from versionvault.text import Article
from versionvault.web import create_app

from .conftest import git

T0 = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
BODY = (
    "The harbour board voted on Tuesday to rebuild the north pier, closed since the storm.\n\n"
    "Work starts in June, the fictional board said."
)


def _article(title: str, body: str = BODY) -> Article:
    return Article(id="pier", source="courier", title=title, body=body)


@pytest.fixture
def history(vault: Vault) -> Iterator[Vault]:
    """An article the publisher edited once, then one re-extraction of its page."""
    vault.save_revision(_article("Pier to be rebuilt"), observed=T0)
    vault.save_revision(
        _article("North pier to be rebuilt", BODY.replace("June", "July")), observed=T0
    )
    saved = vault.save_revision(
        _article("North pier to be rebuilt \u2013 board", BODY.replace("June", "July")),
        note="re-extracted with VersionVault 0.1.0 / trafilatura 2.0.0 from revision 2's page",
        author="VersionVault <versionvault@localhost>",
        kind=EXTRACTION,
    )
    assert saved.status == "saved" and saved.revision == 3
    yield vault


def test_the_kind_is_a_trailer_the_index_reads_back(history: Vault) -> None:
    latest = history.revision("pier")
    assert latest.kind == "extraction" and latest.headline_changed
    message = git("--git-dir", str(history.home / "articles.git"), "log", "-1", "--format=%B")
    assert "Kind: extraction" in message.splitlines()
    history.reindex()
    assert history.revision("pier").kind == "extraction"
    with pytest.raises(VaultError, match="unknown kind"):
        history.save_revision(_article("Other"), kind="substantive")


def test_pages_label_it_and_filters_leave_it_out(history: Vault) -> None:
    with TestClient(create_app(history)) as client:
        home = client.get("/").text
        assert "re-extracted" in home
        substantive = client.get("/", params={"kind": "substantive"}).text
        assert "rev. 2" in substantive and "rev. 3" not in substantive
        headline = client.get("/", params={"headline": "1"}).text
        assert "rev. 2" in headline and "rev. 3" not in headline
        sized = client.get("/", params={"min": "1"}).text
        assert "rev. 2" in sized and "rev. 3" not in sized
        only = client.get("/", params={"kind": "extraction"}).text
        assert "rev. 3" in only and "rev. 2" not in only
        both = client.get("/", params={"kind": "extraction", "headline": "1"}).text
        assert "rev. 3" in both
        article = client.get("/articles/pier").text
        assert 'class="kind kind-extraction"' in article and "re-extracted" in article
        feed = feedparser.parse(client.get("/feed.atom").content)
        newest = feed.entries[0]
        assert newest.title.endswith("revision 3 (re-extracted)")
        assert "the publisher changed nothing" in newest.summary
        assert [t.term for t in newest.tags] == ["extraction"]
        article_feed = feedparser.parse(client.get("/articles/pier/feed.atom").content)
        assert article_feed.entries[0].title.endswith("(re-extracted)")


def test_alert_rules_without_kinds_skip_it(history: Vault) -> None:
    revisions: list[Revision] = history.history("pier")
    everything = Rule("json://127.0.0.1/alerts")
    assert [everything.matches(r) for r in revisions] == [True, True, False]
    asked = Rule("json://127.0.0.1/alerts", kinds=("extraction",))
    assert [asked.matches(r) for r in revisions] == [False, False, True]
