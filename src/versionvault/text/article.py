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
    "check_line",
    "check_slug",
    "content_key",
    "drop_controls",
    "format_article",
    "make_article",
    "normalize_body",
    "normalize_line",
    "parse_article",
    "same_content",
    "shown",
    "slugify",
]

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


MAX_SLUG = 100


FIELD_ORDER = ("title", "source", "url", "byline", "section", "published", "updated", "summary")


_HEADER_KEY = re.compile(r"[a-z][a-z0-9_-]*")


_DELIMITER = "---"


_REFUSED = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # once whitespace folded to spaces


_BODY_REFUSED = re.compile(r"[\x00\ud800-\udfff]")  # a body keeps its other characters


_PAGE_DROPS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f\ud800-\udfff]")  # whitespace stays


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


def shown(value: str, limit: int = 60) -> str:
    """Return `value` quoted for an error message: one line, escaped, cut at `limit`."""
    return repr(value[:limit]) + ("…" if len(value) > limit else "")


def check_slug(value: str, what: str = "article id", field: str = "") -> str:
    """Return `value` if it is a valid slug, else raise InvalidArticle."""
    if not (0 < len(value) <= MAX_SLUG and SLUG.fullmatch(value)):
        raise InvalidArticle(
            f"invalid {what} {shown(value)}: use lowercase letters, digits and single hyphens "
            f"(at most {MAX_SLUG} characters)",
            field,
        )
    return value


def _refusal(value: str, field: str, refuse: re.Pattern[str] = _REFUSED) -> InvalidArticle | None:
    if value.isprintable() if refuse is _REFUSED else _plain_body(value):
        return None  # the common case, decided in C
    found = refuse.search(value)
    if found is None:
        return None
    char = found.group()
    kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    return InvalidArticle(
        f"field {field!r} contains {kind} (U+{ord(char):04X} at position {found.start()})", field
    )


def _plain_body(body: str) -> bool:
    """Return True if a body surely has no NUL and no lone surrogate."""
    if "\x00" in body:
        return False
    try:
        body.encode()
    except UnicodeEncodeError:
        return False
    return True


def drop_controls(text: str) -> str:
    """Return a fetched page's text without the control characters and lone surrogates a
    field refuses (whitespace stays): a page is the publisher's, so a stray one is dropped."""
    return text if text.isprintable() else _PAGE_DROPS.sub("", text)


def check_line(value: str, field: str) -> str:
    """Return a single-line value normalised; refuse control characters and lone surrogates.

    Whitespace (tabs, line breaks) folds into single spaces as `normalize_line` does; every
    other C0 control character, DEL and a lone surrogate raise InvalidArticle naming `field`.
    """
    line = normalize_line(value)
    refused = _refusal(line, field)
    if refused:
        raise refused
    return line


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


def _validate(article: Article, strict: bool = True) -> Article:
    check_slug(article.id, field="id")
    check_slug(article.source, "source name", "source")
    line = check_line if strict else lambda value, _: normalize_line(value)
    fields = {name: line(getattr(article, name), name) for name in FIELD_ORDER}
    for key, _ in article.extra:
        if not _HEADER_KEY.fullmatch(key) or key in FIELD_ORDER:
            raise InvalidArticle(f"invalid header field name {shown(key)}", key[:40])
    extra = tuple((k, line(v, k)) for k, v in article.extra)
    body = normalize_body(article.body)
    refused = _refusal(body, "body", _BODY_REFUSED) if strict else None
    if refused:
        raise refused
    if not fields["title"]:
        raise InvalidArticle("the article has no title", "title")
    if not body:
        raise InvalidArticle("the article has no text", "body")
    return replace(article, body=body, extra=extra, **fields)


def make_article(**values: Any) -> Article:
    """Build a validated, normalised Article (raises InvalidArticle)."""
    return _build(values, strict=True)


def _build(values: dict[str, Any], strict: bool) -> Article:
    """Build an Article; `strict=False` keeps control characters an older archive may hold."""
    extra = values.pop("extra", ())
    known = {k: ("" if v is None else str(v)) for k, v in values.items()}
    return _validate(Article(extra=tuple(extra), **known), strict)


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


def parse_article(text: str, article_id: str, strict: bool = True) -> Article:
    """Parse a file in the archive's own format (the inverse of `format_article`).

    Input to save is parsed strictly; a stored file with `strict=False`, which keeps the
    control characters an archive written before they were refused may hold.
    """
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
            raise InvalidArticle(f"bad header line {number}: {shown(line)}")
        if key in FIELD_ORDER:
            values[key] = value.strip()
        else:
            extra.append((key, value.strip()))
    body = "\n".join(lines[end + 1 :])
    values.setdefault("source", "")
    values.setdefault("title", "")
    return _build({"id": article_id, "body": body, "extra": extra, **values}, strict)
