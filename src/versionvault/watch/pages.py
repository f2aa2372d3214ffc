"""Watched pages: tell a feed from HTML, and extract an Article by its source's rules."""

from __future__ import annotations

import re

from ..archive import Source
from ..text import Article, InvalidArticle, css_to_xpath, make_article, parse_html
from .fetch import Fetched

__all__ = ["NotHtml", "extract", "looks_like_feed"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")


class NotHtml(InvalidArticle):
    """The response is not an HTML page."""


def looks_like_feed(fetched: Fetched) -> bool:
    """Return True if a response is an RSS or Atom feed by its type or its first bytes."""
    kind = fetched.content_type.lower()
    head = fetched.body[:512].lstrip().lower()
    return kind in _FEED_TYPES or head.startswith((b"<?xml", b"<rss", b"<feed"))


def _select(html: str, selector: str) -> str:
    """Keep the page's head and only the parts a CSS selector picks as its body."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise InvalidArticle(f"the page cannot be parsed ({exc})") from None
    picked = tree.xpath(css_to_xpath(selector))
    if not picked:
        raise InvalidArticle(f"the selector {selector!r} matches nothing on the page")
    head = tree.find("head")
    parts = [etree.tostring(p, encoding="unicode") for p in picked]
    head_html = etree.tostring(head, encoding="unicode") if head is not None else ""
    return f"<html>{head_html}<body><article>{''.join(parts)}</article></body></html>"


def _drop_furniture(article: Article, patterns: tuple[str, ...]) -> Article:
    if not patterns:
        return article
    compiled = [re.compile(p) for p in patterns]
    blocks = [b for b in article.body.split("\n\n") if b.strip()]
    kept = [b for b in blocks if not any(p.fullmatch(b.strip()) for p in compiled)]
    return make_article(**{**article.__dict__, "body": "\n\n".join(kept)})


def extract(fetched: Fetched, source: Source, site_names: tuple[str, ...] = ()) -> Article:
    """Extract the article from a fetched page by the source's rules (InvalidArticle if none).

    The page is decoded as a browser would (`Fetched.text`); the source's `drop` selectors
    remove parts of it first; `site_names` are what the source's titles carry besides the page.
    """
    kind = fetched.content_type.lower()
    head = fetched.body[:512].lstrip().lower()
    if (kind and kind not in _HTML_TYPES) or (not kind and b"<html" not in head):
        raise NotHtml(f"not an HTML page ({kind or 'unknown type'})")
    from lxml import etree

    html = fetched.text()
    if not html.strip():
        raise InvalidArticle("the page is empty")
    if source.selector:
        html = _select(html, source.selector)
    try:
        rules = source.html_rules(site_names)
        article = parse_html(html, "pending", source.name, fetched.url, rules)
    except etree.LxmlError as exc:
        raise InvalidArticle(f"the page cannot be parsed ({exc})") from None
    return _drop_furniture(article, source.text.furniture)
