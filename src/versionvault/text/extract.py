"""Extract: articles from plain-text pages (with per-source rules) and from HTML pages."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .article import (
    FIELD_ORDER,
    Article,
    InvalidArticle,
    make_article,
    normalize_body,
    normalize_line,
)

__all__ = ["TextRules", "parse_html", "parse_text"]


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


def _json_ld_items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [item for entry in data for item in _json_ld_items(entry)]
    if isinstance(data, dict):
        return [data, *_json_ld_items(data.get("@graph", []))]
    return []


def _name_of(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(filter(None, (_name_of(v) for v in value)))
    if isinstance(value, dict):
        return str(value.get("name", ""))
    return str(value or "")


def _page_metadata(html: str) -> dict[str, str]:
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, TypeError, SyntaxError, etree.LxmlError):
        return {}
    meta: dict[str, str] = {}
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            items = _json_ld_items(json.loads(script.text_content()))
        except json.JSONDecodeError:
            continue
        for item in items:
            kind = item.get("@type", "")
            kinds = kind if isinstance(kind, list) else [kind]
            if not any(str(k).endswith("Article") or k == "Report" for k in kinds):
                continue
            meta.setdefault("title", str(item.get("headline", "") or ""))
            meta.setdefault("byline", _name_of(item.get("author")))
            meta.setdefault("published", str(item.get("datePublished", "") or ""))
            meta.setdefault("updated", str(item.get("dateModified", "") or ""))
            meta.setdefault("section", _name_of(item.get("articleSection")))
            meta.setdefault("url", str(item.get("url", "") or ""))

    def first(xpath: str) -> str:
        found = tree.xpath(xpath)
        return str(found[0]).strip() if found else ""

    fallbacks = {
        "title": first('//meta[@property="og:title"]/@content') or first("//title/text()"),
        "url": first('//link[@rel="canonical"]/@href')
        or first('//meta[@property="og:url"]/@content'),
        "byline": first('//meta[@name="author"]/@content'),
        "published": first('//meta[@property="article:published_time"]/@content'),
        "updated": first('//meta[@property="article:modified_time"]/@content'),
        "section": first('//meta[@property="article:section"]/@content'),
    }
    canonical = first('//link[@rel="canonical"]/@href')
    if canonical:
        meta["url"] = canonical
    for key, value in fallbacks.items():
        if not meta.get(key):
            meta[key] = value
    return {k: normalize_line(v) for k, v in meta.items() if normalize_line(v)}


def parse_html(html: str, article_id: str, source: str, url: str = "") -> Article:
    """Parse an HTML page: trafilatura for the body, the page's own metadata for the header."""
    import trafilatura

    if not html.strip():
        raise InvalidArticle("the page is empty")
    meta = _page_metadata(html)
    extracted = trafilatura.extract(
        html,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        with_metadata=False,
    )
    paragraphs = [normalize_line(p) for p in (extracted or "").split("\n")]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and meta.get("title") and paragraphs[0] == meta["title"]:
        paragraphs = paragraphs[1:]
    if not meta.get("title"):
        raise InvalidArticle("the page has no title")
    if not paragraphs:
        raise InvalidArticle("no article text could be extracted from the page")
    meta.setdefault("url", url)
    return make_article(id=article_id, source=source, body="\n\n".join(paragraphs), **meta)
