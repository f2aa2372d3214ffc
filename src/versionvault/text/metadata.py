"""Page metadata: headline, byline, dates and address from JSON-LD, OpenGraph and <title>."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .article import drop_controls, normalize_line

__all__ = ["PageMeta", "decode_entities", "page_meta", "repeated_affixes", "strip_site_names"]

# Between a headline and a site name: spaced dashes, colons, slashes, bullets and guillemets, or
# bars, double colons and (in CJK titles) underscores with or without spaces.
_SEP = r"(?:\s+[-\u2013\u2014:/\u00b7\u2022\u00bb\u00ab]{1,2}\s+|\s*[|\uff5c_]\s*|\s*::\s*)"
_SPLIT = re.compile(_SEP)
_MAX_AFFIX = 60
_ARTICLE_TYPES = ("Article", "Posting", "Report")


def decode_entities(value: Any) -> str:
    """Return a metadata value as one clean line: entities decoded (twice-encoded ones too)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | int | float)), "")
    text = str(value) if isinstance(value, str | int | float) else ""
    for _ in range(3):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return normalize_line(drop_controls(text))


def _affix_pattern(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    escaped = r"\s+".join(re.escape(word) for word in name.split())
    return (
        re.compile(rf"(?P<rest>.+?){_SEP}{escaped}", re.IGNORECASE),
        re.compile(rf"{escaped}{_SEP}(?P<rest>.+)", re.IGNORECASE),
    )


def strip_site_names(title: str, names: Iterable[str]) -> str:
    """Return a title without a site name before or after it (as in "Headline | Site")."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        for pattern in _affix_pattern(name):
            found = pattern.fullmatch(title)
            if found and len(found.group("rest").strip()) >= 2:
                return found.group("rest").strip()
    return title


def repeated_affixes(titles: Iterable[str], minimum: int = 2) -> tuple[str, ...]:
    """Return the texts that start or end (after a separator) at least `minimum` of the titles."""
    counts: Counter[str] = Counter()
    for title in set(titles):
        parts = _SPLIT.split(title)
        if len(parts) < 2:
            continue
        counts.update({parts[0].strip(), parts[-1].strip()})
    return tuple(sorted(a for a, n in counts.items() if n >= minimum and 0 < len(a) <= _MAX_AFFIX))


def _json_ld_items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [item for entry in data for item in _json_ld_items(entry)]
    if isinstance(data, dict):
        return [data, *_json_ld_items(data.get("@graph", []))]
    return []


def _kinds(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type", "")
    return [str(k) for k in (kind if isinstance(kind, list) else [kind])]


class _Graph:
    """Every JSON-LD node of a page, and its nodes by @id."""

    def __init__(self, scripts: Iterable[str]) -> None:
        self.items: list[dict[str, Any]] = []
        for text in scripts:
            try:
                self.items += _json_ld_items(json.loads(text, strict=False))
            except (ValueError, RecursionError):  # not JSON, too deep, or a 5,000-digit number
                continue
        self.by_id = {str(i["@id"]): i for i in self.items if isinstance(i.get("@id"), str)}

    def article(self) -> dict[str, Any]:
        for item in self.items:
            if any(k.endswith(_ARTICLE_TYPES) for k in _kinds(item)):
                return item
        return {}

    def names(self, value: Any, depth: int = 0) -> list[str]:
        """Return the names a value gives: a string, {"name"}, an {"@id"} reference, a list."""
        if depth > 4 or value is None:
            return []
        if isinstance(value, list):
            return [n for v in value for n in self.names(v, depth + 1)]
        if isinstance(value, dict):
            if value.get("name"):
                return self.names(value["name"], depth + 1)
            ref = value.get("@id")
            node = self.by_id.get(str(ref)) if isinstance(ref, str) else None
            return self.names(node, depth + 1) if node is not None and node is not value else []
        name = decode_entities(value)
        return [name] if name else []

    def of_type(self, *kinds: str) -> list[dict[str, Any]]:
        return [i for i in self.items if any(k in kinds for k in _kinds(i))]


@dataclass(frozen=True)
class PageMeta:
    """What a page says about itself, decoded; `headlines` are every spelling of its title."""

    fields: dict[str, str]
    headlines: tuple[str, ...]
    site_names: tuple[str, ...]


def _byline(names: Iterable[str]) -> str:
    cleaned = [re.sub(r"^by\s+", "", n, flags=re.IGNORECASE) for n in names]
    return ", ".join(dict.fromkeys(n for n in cleaned if n))


def page_meta(tree: Any, known_site_names: Iterable[str] = ()) -> PageMeta:
    """Read an lxml HTML tree's metadata: JSON-LD first, then OpenGraph and <meta>, then <title>."""
    graph = _Graph(s.text_content() for s in tree.xpath('//script[@type="application/ld+json"]'))
    item = graph.article()

    def first(xpath: str) -> str:
        for found in tree.xpath(xpath):
            if value := decode_entities(found):
                return value
        return ""

    def meta(key: str) -> str:
        return first(f'//meta[@property="{key}" or @name="{key}"]/@content')

    site_names = [
        meta("og:site_name"),
        meta("application-name"),
        *graph.names(item.get("publisher")),
        *(
            n
            for node in graph.of_type("WebSite", "Organization", "NewsMediaOrganization")
            for n in graph.names(node)
        ),
        *known_site_names,
    ]
    raw = [
        decode_entities(item.get("headline")),
        meta("og:title"),
        meta("twitter:title"),
        first("//title/text()"),
    ]
    headings = [decode_entities(h.text_content()) for h in tree.xpath("//body//h1")]
    headlines = [_best_title(strip_site_names(t, site_names), headings) for t in raw if t]
    authors = graph.names(item.get("author")) or [
        decode_entities(a)
        for a in tree.xpath('//meta[@name="author" or @property="article:author"]/@content')
        if not str(a).startswith(("http://", "https://"))
    ]
    canonical = first('//link[@rel="canonical"]/@href')
    fields = {
        "title": headlines[0] if headlines else "",
        "byline": _byline(authors),
        "published": decode_entities(item.get("datePublished")) or meta("article:published_time"),
        "updated": decode_entities(item.get("dateModified")) or meta("article:modified_time"),
        "section": ", ".join(graph.names(item.get("articleSection"))) or meta("article:section"),
        "url": canonical or decode_entities(item.get("url")) or meta("og:url"),
    }
    return PageMeta(
        {k: v for k, v in fields.items() if v},
        tuple(dict.fromkeys(headlines)),
        tuple(dict.fromkeys(n for n in site_names if n)),
    )


def _best_title(title: str, headings: list[str]) -> str:
    """Return the page's visible headline where the title is that headline plus a site name."""
    for heading in headings:
        if len(heading) < 10 or heading == title:
            continue
        if re.fullmatch(rf"{re.escape(heading)}{_SEP}.+|.+{_SEP}{re.escape(heading)}", title):
            return heading
    return title
