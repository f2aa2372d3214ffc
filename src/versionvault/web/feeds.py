"""Atom feeds of new revisions whose entries carry the diff itself."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from ..archive import EVENT_LABELS, EXTRACTION, Event, Revision
from ..text import Article, detect_language, parse_blocks
from .articles import article_language
from .diffs import Fold, Para, body_items, field_changes
from .recent import read_filters
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
    language: str = "en"


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


def _entry_id(article_id: str, commit: str) -> str:
    """Return an entry's id: from the article and the commit, the same wherever it is read."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'versionvault:{article_id}:{commit}')}"


def _content(site: Site, request: Request, revision: Revision, diff_url: str, text: Article) -> str:
    notices = site.notices(site.vault.article(revision.article))
    if revision.number == 1:
        blocks = parse_blocks(text.body)
        return site.render_text(
            "_feed_first.html",
            notices=notices,
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
        notices=notices,
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
        if revision.kind == EXTRACTION:
            title += " (re-extracted)"
            summary += (
                " (re-extracted from the page kept as evidence: the publisher changed nothing)"
            )
        if revision.headline_changed:
            summary += ", headline changed"
        if revision.note:
            summary += f". {revision.note}"
        text = site.vault.text(revision)
        entries.append(
            Entry(
                id=_entry_id(revision.article, revision.commit),
                title=_clean(title),
                url=url,
                updated=revision.archived,
                published=revision.observed,
                author=_clean(author_name(revision.author)),
                editor=_clean(revision.editor),
                kind=revision.kind,
                summary=_clean(summary),
                content=_clean(_content(site, request, revision, url, text)),
                language=article_language(text),
            )
        )
    return tuple(entries)


def _event_entries(site: Site, request: Request, events: Sequence[Event]) -> tuple[Entry, ...]:
    entries: list[Entry] = []
    for event in events:
        article = site.vault.article(event.article)
        url = absolute(request, link(request, "article", id=event.article))
        label = EVENT_LABELS.get(event.event, event.event)
        last = absolute(request, link(request, "revision", id=event.article, rev=event.commit))
        if event.event == "removed":
            last = absolute(
                request, link(request, "revision", id=event.article, rev=str(event.after_revision))
            )
        content = site.render_text(
            "_feed_event.html",
            notices=site.notices(article),
            event=event,
            label=label,
            article=article,
            url=url,
            last=last,
        )
        entries.append(
            Entry(
                id=_entry_id(event.article, event.commit),
                title=_clean(f"{article.title}: {label}"),
                url=url,
                updated=event.archived,
                published=event.observed,
                author=_clean(author_name(event.author)),
                editor="",
                kind=event.event,
                summary=_clean(f"{label.capitalize()}. {event.note}".strip()),
                content=_clean(content),
                language=detect_language(article.title),
            )
        )
    return tuple(entries)


def _feed_id(site: Site, name: str, query: Mapping[str, Any]) -> str:
    """Return a feed's id: from the archive's first commit and what the feed shows."""
    shown = "&".join(f"{k}={v}" for k, v in sorted(query.items()) if v not in (None, "", []))
    key = f"versionvault-feed:{site.vault.identity()}:{name}?{shown}"
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, key)}"


def _newest(entries: Sequence[Entry], size: int) -> tuple[Entry, ...]:
    """Return the newest entries; an event goes before a revision archived the same second."""
    ordered = sorted(entries, key=lambda e: (e.updated, e.kind in EVENT_LABELS), reverse=True)
    return tuple(ordered[:size])


def _respond(site: Site, request: Request, feed: Feed) -> Response:
    body = site.render_text("feed.atom", feed=feed)
    fresh = site.freshness(request)
    return Response(body, media_type=MEDIA_TYPE, headers=fresh.headers())


def archive_feed(site: Site, request: Request) -> Response:
    """GET /feed.atom?source=&kind=&headline=&min=&editor=: the newest changes, filtered.

    Removals, returns and feeds left are entries too, unless a filter asks for a kind, a
    size or an editor (which events do not have).
    """
    filters = read_filters(request)
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    size = site.settings.feed_size
    revisions = [r for _, r in site.vault.recent(**filters.as_arguments(), limit=size)]
    events = site.vault.recent_events(filters.source, size) if filters.keeps_events else []
    entries = _newest(
        [*_entries(site, request, revisions), *_event_entries(site, request, events)], size
    )
    query = filters.as_query()
    self_url = absolute(request, link(request, "feed", query))
    narrowed = " (filtered)" if filters.active else ""
    feed = Feed(
        id=_feed_id(site, "feed", query),
        title=f"{site.settings.title}: recent changes{narrowed}",
        subtitle="Every new revision of every archived article, with what changed.",
        updated=max((e.updated for e in entries), default="1970-01-01T00:00:00+00:00"),
        self_url=self_url,
        html_url=absolute(request, link(request, "recent", query)),
        version=__version__,
        entries=entries,
    )
    return _respond(site, request, feed)


def article_feed(site: Site, request: Request) -> Response:
    """GET /articles/{id}/feed.atom: the newest revisions and events of one article."""
    article_id = request.path_params["id"]
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    article = site.vault.article(article_id)
    size = site.settings.feed_size
    revisions = site.vault.history_page(article_id, 0, size)
    events = site.vault.events(article_id)[-size:]
    entries = _newest(
        [*_entries(site, request, revisions), *_event_entries(site, request, events)], size
    )
    feed = Feed(
        id=_feed_id(site, f"article:{article_id}", {}),
        title=_clean(f"{article.title}: changes ({site.settings.title})"),
        subtitle=_clean(f"Every archived revision of {article.title}, with what changed."),
        updated=max((e.updated for e in entries), default="1970-01-01T00:00:00+00:00"),
        self_url=absolute(request, link(request, "article_feed", id=article_id)),
        html_url=absolute(request, link(request, "article", id=article_id)),
        version=__version__,
        entries=entries,
    )
    return _respond(site, request, feed)
