"""Files: reading a .txt, .md or .html file into an Article, with one readable error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..text import (
    Article,
    InvalidArticle,
    check_slug,
    decode_html,
    parse_article,
    parse_html,
    parse_text,
    slugify,
)
from .errors import VaultError
from .revise import MAX_INPUT_BYTES
from .settings import SourceSettings

__all__ = ["ArticleFile", "read_article_file"]

_HTML = (".html", ".htm")


@dataclass(frozen=True)
class ArticleFile:
    """A file read as an article, and for an HTML page its bytes exactly as read."""

    article: Article
    page: bytes | None


def _no_site_names(source: str, article_id: str) -> tuple[str, ...]:
    return ()


def read_article_file(
    path: Path,
    settings: SourceSettings,
    article_id: str = "",
    source: str = "",
    url: str = "",
    site_names: Callable[[str, str], tuple[str, ...]] = _no_site_names,
) -> ArticleFile:
    """Read a .txt, .md or .html file into an Article (VaultError on bad input).

    An HTML page is decoded as a browser would (`decode_html`); a .txt or .md file must be
    UTF-8. `site_names(source, article_id)` names what the source's other titles carry.
    """
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise VaultError(f"{path} is not a file")
        if size > MAX_INPUT_BYTES:
            raise VaultError(
                f"{path} is too large ({size / 1e6:.1f} MB; the limit is "
                f"{MAX_INPUT_BYTES / 1e6:.0f} MB)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise VaultError(f"{path}: no such file") from None
    except PermissionError:
        raise VaultError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise VaultError(f"{path} is not a file") from None
    except OSError as exc:
        raise VaultError(f"{path}: cannot read ({exc.strerror})") from None
    kind = path.suffix.lower()
    text = _decoded(path, data, kind in _HTML)
    stem = slugify(path.stem)
    source = source or settings.guess_source(stem, url) or "local"
    article_id = article_id or stem
    try:
        check_slug(article_id)
        check_slug(source, "source name")
        if kind == ".md":
            article = parse_article(text, article_id)
            return ArticleFile(replace(article, url=url or article.url), None)
        if kind in _HTML:
            rules = settings.html_rules_for(source, site_names(source, article_id))
            return ArticleFile(parse_html(text, article_id, source, url, rules), data)
        if kind in (".txt", ""):
            article = parse_text(text, article_id, source, settings.rules_for(source))
            return ArticleFile(replace(article, url=url) if url else article, None)
    except InvalidArticle as exc:
        raise VaultError(f"{path}: {exc}") from None
    raise VaultError(f"{path}: unsupported file type {kind!r} (use .txt, .md or .html)")


def _decoded(path: Path, data: bytes, html: bool) -> str:
    text = decode_html(data) if html else ""
    if "\0" in text or (not html and b"\0" in data):
        raise VaultError(f"{path} is a binary file, not an article")
    if html:
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VaultError(f"{path} is not UTF-8 text (byte {exc.start})") from None
