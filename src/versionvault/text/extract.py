"""Extract: articles from plain-text pages (with per-source rules) and from HTML pages."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .article import (
    FIELD_ORDER,
    Article,
    InvalidArticle,
    drop_controls,
    make_article,
    normalize_body,
)
from .boilerplate import clean_pieces
from .htmlbody import Piece, format_pieces, pieces_of, undo_layout_tables
from .metadata import page_meta
from .selectors import css_to_xpath

__all__ = ["HtmlRules", "TextRules", "parse_html", "parse_text"]


@dataclass(frozen=True)
class TextRules:
    """Per-source rules that strip page furniture from plain text."""

    furniture: tuple[str, ...] = ()
    marker: str = ""
    head: tuple[str, ...] = ("title",)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TextRules:
        """Build rules from a `[sources.NAME.text]` table."""
        head = tuple(data.get("head", ("title",)))
        for name in head:
            if name not in FIELD_ORDER:
                raise InvalidArticle(f"unknown header field in text rules: {name!r}")
        rules = cls(tuple(data.get("furniture", ())), str(data.get("marker", "")), head)
        for pattern in (*rules.furniture, rules.marker):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InvalidArticle(f"bad pattern {pattern!r} in text rules: {exc}") from exc
        return rules


def _blocks(text: str) -> list[str]:
    return [block for block in normalize_body(text).split("\n\n") if block]


def _strip_furniture(lines: list[str], patterns: list[re.Pattern[str]]) -> list[str]:
    def furniture(line: str) -> bool:
        return any(p.fullmatch(line.strip()) for p in patterns)

    start, end = 0, len(lines)
    while start < end and (not lines[start].strip() or furniture(lines[start])):
        start += 1
    while end > start and (not lines[end - 1].strip() or furniture(lines[end - 1])):
        end -= 1
    return lines[start:end]


def parse_text(text: str, article_id: str, source: str, rules: TextRules | None = None) -> Article:
    """Parse a plain-text page: furniture stripped by the source's rules, header then body."""
    rules = rules or TextRules()
    lines = normalize_body(text).split("\n")
    lines = _strip_furniture(lines, [re.compile(p) for p in rules.furniture])
    blocks = _blocks("\n".join(lines))
    values: dict[str, str] = {}
    head: list[str] = []
    marker = re.compile(rules.marker) if rules.marker else None
    found = next(
        (i for i, b in enumerate(blocks) if marker and "\n" not in b and marker.fullmatch(b)), None
    )
    if marker and found is not None:
        match = marker.fullmatch(blocks[found])
        assert match is not None
        values.update({k: v for k, v in match.groupdict().items() if v})
        head, body = blocks[:found], blocks[found + 1 :]
        for name, block in zip(rules.head, head, strict=False):
            values[name] = block
    else:
        if not blocks:
            raise InvalidArticle("the article has no text")
        first, _, rest = blocks[0].partition("\n")
        values["title"] = first
        body = ([rest] if rest else []) + blocks[1:]
    return make_article(id=article_id, source=source, body="\n\n".join(body), **values)


@dataclass(frozen=True)
class HtmlRules:
    """Per-source rules for HTML pages: CSS selectors of parts to drop, and the source's names.

    `site_names` are names the source's titles are known to carry (as in "Headline | Site"),
    besides those the page itself declares.
    """

    drop: tuple[str, ...] = ()
    site_names: tuple[str, ...] = ()

    def drop_xpaths(self) -> list[str]:
        """Return the drop selectors as XPath (InvalidSelector for one that is not CSS)."""
        return [css_to_xpath(selector) for selector in self.drop]


_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*>")
_NOTICE_ONLY = "the page holds only a licence or subscription notice, no article text"
# Precise first; if that finds no article text, recall-oriented settings before giving up.
_ATTEMPTS = ("precision", "recall")


def _tree(html: str) -> Any:
    from lxml import etree
    from lxml import html as lxml_html

    try:
        return lxml_html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (etree.ParserError, ValueError) as exc:
        if "empty" in str(exc).lower():
            raise InvalidArticle("the page is empty") from None
        raise InvalidArticle(f"the page cannot be parsed ({exc})") from None


def _extracted(tree: Any, mode: str) -> list[Piece]:
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(
        copy.deepcopy(tree),
        output_format="xml",
        include_tables=True,
        include_formatting=False,
        include_links=True,
        include_comments=False,
        include_images=False,
        with_metadata=False,
        favor_precision=mode == "precision",
        favor_recall=mode == "recall",
    )
    try:
        return pieces_of(etree.fromstring(xml)) if xml else []
    except (etree.LxmlError, ValueError):  # output trafilatura should never give; no text then
        return []


def parse_html(
    html: str, article_id: str, source: str, url: str = "", rules: HtmlRules | None = None
) -> Article:
    """Parse an HTML page: its metadata for the header, trafilatura's structure for the body.

    The body keeps headings, lists, quotes and tables (see `blocks`); the headline, bylines,
    datelines, link-only lines, counters and notices are left out (see `boilerplate`). Raises
    InvalidArticle for a page without a title or text, or with only a licence or paywall notice.
    """
    rules = rules or HtmlRules()
    if not html.strip():
        raise InvalidArticle("the page is empty")
    tree = _tree(html)
    meta = page_meta(tree, rules.site_names)
    fields = dict(meta.fields)
    if not fields.get("title"):
        raise InvalidArticle("the page has no title")
    body = copy.deepcopy(tree)
    for xpath in rules.drop_xpaths():
        for element in body.xpath(xpath):
            if element.getparent() is not None:
                element.drop_tree()
    undo_layout_tables(body)
    notice_only = False
    for mode in _ATTEMPTS:
        pieces = _extracted(body, mode)
        cleaned = clean_pieces(pieces, meta.headlines, fields.get("byline", ""), mode == "recall")
        notice_only = notice_only or cleaned.notice_only
        if cleaned.pieces:
            break
    else:
        raise InvalidArticle(
            _NOTICE_ONLY if notice_only else "no article text could be extracted from the page"
        )
    if cleaned.byline and not fields.get("byline"):
        fields["byline"] = cleaned.byline
    fields.setdefault("url", url)
    body_text = drop_controls(format_pieces(cleaned.pieces))
    return make_article(id=article_id, source=source, body=body_text, **fields)
