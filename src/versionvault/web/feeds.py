"""Atom feeds of new revisions whose entries carry the diff itself."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from ..archive import Revision
from ..text import parse_blocks
from .diffs import Fold, Para, body_items, field_changes
from .site import Site, absolute, author_name, link

__all__ = ["Entry", "Feed", "archive_feed", "article_feed"]

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
MAX_ITEMS = 40
FIRST_PARAGRAPHS = 6
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NAMESPACE = uuid.UUID("6b0f3f5e-1c55-4a53-9a53-2f0d6f6f6a11")


@dataclass(frozen=True)
class Entry:
    """One revision as a feed entry."""

    id: str
    title: str
    url: str
    updated: str
    published: str
    author: str
    editor: str
    kind: str
    summary: str
    content: str


@dataclass(frozen=True)
class Feed:
    """A feed: its own identity and links, and its entries newest first."""

    id: str
    title: str
    subtitle: str
    updated: str
    self_url: str
    html_url: str
    version: str
    entries: tuple[Entry, ...]


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _content(site: Site, request: Request, revision: Revision, diff_url: str) -> str:
    if revision.number == 1:
        text = site.vault.text(revision)
        blocks = parse_blocks(text.body)
        return site.render_text(
            "_feed_first.html",
            text=text,
            blocks=blocks[:FIRST_PARAGRAPHS],
            more=max(0, len(blocks) - FIRST_PARAGRAPHS),
            url=absolute(request, link(request, "revision", id=revision.article, rev="1")),
        )
    previous = site.vault.revision(revision.article, revision.number - 1)
    diff = site.diff(previous, revision)
    fields = field_changes(diff)
    items, changes, _ = body_items(diff.words.body, 0, False, len(fields) + 1)
    shown: list[Para | Fold] = []
    count = 0
    for item in items:
        if isinstance(item, Para):
            count += 1
            if count > MAX_ITEMS:
                break
        shown.append(item)
    return site.render_text(
        "_feed_diff.html",
        diff=diff,
        fields=fields,
        items=shown,
        more=max(0, changes - MAX_ITEMS),
        url=diff_url,
    )


def _entries(site: Site, request: Request, revisions: Sequence[Revision]) -> tuple[Entry, ...]:
    entries: list[Entry] = []
    for revision in revisions:
        query = {"from": revision.number - 1, "to": revision.number}
        if revision.number > 1:
            url = absolute(request, link(request, "diff", query, id=revision.article))
            title = f"{revision.title}: revision {revision.number}"
        else:
            url = absolute(request, link(request, "revision", id=revision.article, rev="1"))
            title = f"{revision.title}: first archived version"
        summary = f"+{revision.words_added} \u2212{revision.words_removed} words, {revision.kind}"
        if revision.headline_changed:
            summary += ", headline changed"
        if revision.note:
            summary += f". {revision.note}"
        key = f"versionvault:{revision.article}:{revision.commit}"
        entries.append(
            Entry(
                id=f"urn:uuid:{uuid.uuid5(_NAMESPACE, key)}",
                title=_clean(title),
                url=url,
                updated=revision.archived,
                published=revision.observed,
                author=_clean(author_name(revision.author)),
                editor=_clean(revision.editor),
                kind=revision.kind,
                summary=_clean(summary),
                content=_clean(_content(site, request, revision, url)),
            )
        )
    return tuple(entries)


def _respond(site: Site, request: Request, feed: Feed) -> Response:
    body = site.render_text("feed.atom", feed=feed)
    fresh = site.freshness(request)
    return Response(body, media_type=MEDIA_TYPE, headers=fresh.headers())


def _updated(revisions: Sequence[Revision]) -> str:
    return max((r.archived for r in revisions), default="1970-01-01T00:00:00+00:00")


def archive_feed(site: Site, request: Request) -> Response:
    """GET /feed.atom: the newest revisions across the archive."""
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    revisions = [r for _, r in site.vault.recent(limit=site.settings.feed_size)]
    self_url = absolute(request, link(request, "feed"))
    feed = Feed(
        id=self_url,
        title=f"{site.settings.title}: recent changes",
        subtitle="Every new revision of every archived article, with what changed.",
        updated=_updated(revisions),
        self_url=self_url,
        html_url=absolute(request, link(request, "recent")),
        version=__version__,
        entries=_entries(site, request, revisions),
    )
    return _respond(site, request, feed)


def article_feed(site: Site, request: Request) -> Response:
    """GET /articles/{id}/feed.atom: the newest revisions of one article."""
    article_id = request.path_params["id"]
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    article = site.vault.article(article_id)
    history = site.vault.history(article_id)
    revisions = list(reversed(history[-site.settings.feed_size :]))
    self_url = absolute(request, link(request, "article_feed", id=article_id))
    feed = Feed(
        id=self_url,
        title=_clean(f"{article.title}: changes ({site.settings.title})"),
        subtitle=_clean(f"Every archived revision of {article.title}, with what changed."),
        updated=_updated(revisions),
        self_url=self_url,
        html_url=absolute(request, link(request, "article", id=article_id)),
        version=__version__,
        entries=_entries(site, request, revisions),
    )
    return _respond(site, request, feed)
