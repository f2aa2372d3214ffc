"""Article layer: the archive's file format and parsers from text, Markdown and HTML (no I/O)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "FIELD_ORDER",
    "Article",
    "InvalidArticle",
    "TextRules",
    "check_slug",
    "content_key",
    "format_article",
    "normalize_body",
    "normalize_line",
    "parse_article",
    "parse_html",
    "parse_text",
    "same_content",
    "slugify",
]

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 100
FIELD_ORDER = ("title", "source", "url", "byline", "section", "published", "updated", "summary")
_HEADER_KEY = re.compile(r"[a-z][a-z0-9_-]*")
_DELIMITER = "---"
_UNSQUASHED = ("  ", " \n", "\n ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


class InvalidArticle(ValueError):
    """The input cannot become an article (empty, malformed, bad id); `field` names the culprit."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Article:
    """One revision's content: header fields and a normalised body."""

    id: str
    source: str
    title: str
    body: str
    url: str = ""
    byline: str = ""
    section: str = ""
    published: str = ""
    updated: str = ""
    summary: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    def fields(self) -> dict[str, str]:
        """Return the header fields in file order, empty ones left out."""
        values = {name: getattr(self, name) for name in FIELD_ORDER}
        values.update(self.extra)
        return {k: v for k, v in values.items() if v}


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


def check_slug(value: str, what: str = "article id", field: str = "") -> str:
    """Return `value` if it is a valid slug, else raise InvalidArticle."""
    if not (0 < len(value) <= MAX_SLUG and SLUG.fullmatch(value)):
        raise InvalidArticle(
            f"invalid {what} {value!r}: use lowercase letters, digits and single hyphens "
            f"(at most {MAX_SLUG} characters)",
            field,
        )
    return value


def slugify(text: str) -> str:
    """Turn free text into a slug (may be empty)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))
    return slug[:MAX_SLUG].rstrip("-")


def normalize_line(value: str) -> str:
    """Normalise a header value: NFC, whitespace runs to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def normalize_body(text: str) -> str:
    """Normalise body text as the archive stores it (NFC, `\\n`, trimmed lines, single blanks)."""
    text = unicodedata.normalize("NFC", text).lstrip("\ufeff")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def _validate(article: Article) -> Article:
    check_slug(article.id, field="id")
    check_slug(article.source, "source name", "source")
    fields = {name: normalize_line(getattr(article, name)) for name in FIELD_ORDER}
    extra = tuple((k, normalize_line(v)) for k, v in article.extra)
    for key, _ in extra:
        if not _HEADER_KEY.fullmatch(key) or key in FIELD_ORDER:
            raise InvalidArticle(f"invalid header field name {key!r}", key)
    body = normalize_body(article.body)
    if not fields["title"]:
        raise InvalidArticle("the article has no title", "title")
    if not body:
        raise InvalidArticle("the article has no text", "body")
    return replace(article, body=body, extra=extra, **fields)


def make_article(**values: Any) -> Article:
    """Build a validated, normalised Article (raises InvalidArticle)."""
    extra = values.pop("extra", ())
    known = {k: ("" if v is None else str(v)) for k, v in values.items()}
    return _validate(Article(extra=tuple(extra), **known))


def format_article(article: Article) -> str:
    """Return the stored file text of an article: header block, blank line, body."""
    header = "".join(f"{k}: {v}\n" for k, v in article.fields().items())
    return f"{_DELIMITER}\n{header}{_DELIMITER}\n\n{article.body}"


def content_key(article: Article) -> str:
    """Return the stored file with whitespace runs within lines collapsed (see same_content)."""
    text = format_article(article)
    plain = text.isascii() and " " not in (text[0], text[-1])
    if plain and not any(mark in text for mark in _UNSQUASHED):
        return text  # already collapsed: no runs, no spaces at line ends, no other whitespace
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def same_content(a: Article, b: Article) -> bool:
    """Return True if two articles differ at most in whitespace within lines."""
    return content_key(a) == content_key(b)


def parse_article(text: str, article_id: str) -> Article:
    """Parse a file in the archive's own format (the inverse of `format_article`)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0] != _DELIMITER:
        raise InvalidArticle("not an article file: it must start with a '---' header line")
    try:
        end = lines.index(_DELIMITER, 1)
    except ValueError:
        raise InvalidArticle("not an article file: the header has no closing '---'") from None
    values: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for number, line in enumerate(lines[1:end], start=2):
        key, sep, value = line.partition(":")
        if not sep or not _HEADER_KEY.fullmatch(key):
            raise InvalidArticle(f"bad header line {number}: {line!r}")
        if key in FIELD_ORDER:
            values[key] = value.strip()
        else:
            extra.append((key, value.strip()))
    body = "\n".join(lines[end + 1 :])
    values.setdefault("source", "")
    values.setdefault("title", "")
    return make_article(id=article_id, body=body, extra=extra, **values)


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
