"""Article: the archive's file format (a header block, then the body) and its validation."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "FIELD_ORDER",
    "MAX_SLUG",
    "SLUG",
    "Article",
    "InvalidArticle",
    "check_slug",
    "content_key",
    "format_article",
    "make_article",
    "normalize_body",
    "normalize_line",
    "parse_article",
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
