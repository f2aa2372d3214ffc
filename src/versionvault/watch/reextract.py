"""Re-extraction: the current extractor over each article's kept page, saved as Kind: extraction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import metadata

from .. import __version__
from ..archive import (
    EXTRACTION,
    ArticleNotFound,
    Source,
    SourceSettings,
    StoreError,
    Vault,
    VaultError,
)
from ..diff import count_words
from ..text import InvalidArticle, InvalidSelector, same_content
from .fetch import Fetched, Request
from .pages import extract
from .recorder import SHRINK_LIMIT

__all__ = ["EXTRACTOR", "Outcome", "extractor_version", "reextract"]

EXTRACTOR = "VersionVault <versionvault@localhost>"  # the author of a re-extracted revision
_PAGE = 500


@dataclass(frozen=True)
class Outcome:
    """What re-extracting one article did: `saved`, `unchanged`, `skipped` or `unknown`."""

    article: str
    status: str
    line: str


def extractor_version() -> str:
    """Return the extractor's name and version, as re-extracted revisions' notes give it."""
    return f"VersionVault {__version__} / trafilatura {metadata.version('trafilatura')}"


def _article_ids(vault: Vault, source: str) -> list[str]:
    """Return every article id (of `source`), read before any is re-extracted."""
    ids: list[str] = []
    while True:
        rows, total = vault.articles(source=source, offset=len(ids), limit=_PAGE)
        ids.extend(row.id for row in rows)
        if not rows or len(ids) >= total:
            return ids


def reextract(vault: Vault, source: str = "", ids: Iterable[str] = ()) -> Iterator[Outcome]:
    """Run the current extractor over the kept page of each article's latest revision.

    Every article (of `source`), or those named by `ids`. Where the text differs from the
    latest revision, a new revision is saved with `Kind: extraction`, observed when the page
    was, the page kept with it and a note naming the extractor. An article whose latest
    revision has no kept page (an editor's, or a plain-text ingest) is skipped, and so is one
    the extractor now reads as less than half its words (as the watcher refuses such a fall).
    """
    settings = vault.sources
    note = f"re-extracted with {extractor_version()}"
    for article_id in list(ids) or _article_ids(vault, source):
        try:
            yield _one(vault, settings, article_id, source, note)
        except ArticleNotFound as exc:
            yield Outcome(article_id, "unknown", str(exc))


def _one(vault: Vault, settings: SourceSettings, article_id: str, only: str, note: str) -> Outcome:
    latest = vault.revision(article_id)
    if only and latest.source != only:
        return Outcome(article_id, "skipped", f"skipped {article_id}: not of source {only}")
    page = vault.capture(latest)
    if page is None:
        why = f"revision {latest.number}, its latest, has no captured page"
        return Outcome(article_id, "skipped", f"skipped {article_id}: {why}")
    source = settings.sources.get(latest.source) or Source(latest.source)
    fetched = Fetched(Request(latest.url), latest.url, 200, page, "text/html")
    try:
        article = extract(fetched, source, vault.site_names(source.name, article_id))
    except (InvalidArticle, InvalidSelector) as exc:
        return Outcome(article_id, "skipped", f"skipped {article_id}: {exc}")
    article = replace(article, id=article_id)
    if same_content(vault.text(latest), article):
        return Outcome(article_id, "unchanged", f"unchanged {article_id} revision {latest.number}")
    words = count_words(article.body)
    if latest.words and words < SHRINK_LIMIT * latest.words:
        fall = f"the text would fall from {latest.words} to {words} words"
        return Outcome(article_id, "skipped", f"skipped {article_id}: {fall}")
    try:
        saved = vault.save_revision(
            article,
            observed=datetime.fromisoformat(latest.observed),  # when the page was seen
            note=f"{note} from revision {latest.number}'s page",
            author=EXTRACTOR,
            kind=EXTRACTION,
            capture=page,
        )
    except (VaultError, StoreError) as exc:
        return Outcome(article_id, "skipped", f"skipped {article_id}: {exc}")
    return Outcome(article_id, saved.status, saved.line())
