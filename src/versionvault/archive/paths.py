"""Paths: where an article's file and its page capture live in git, by the archive's layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import VaultError

__all__ = [
    "CAPTURES",
    "DATED",
    "FLAT",
    "LAYOUTS",
    "UnsafePath",
    "article_path",
    "capture_path",
    "check_path",
    "flat_path",
    "names",
    "trailer_path",
]

DATED = "dated"  # <source>/<YYYY>/<MM>/<DD>/<article-id>.md, the day first seen (UTC)
FLAT = "flat"  # <source>/<article-id>.md, the layout of archives made before the fan-out
LAYOUTS = (DATED, FLAT)
CAPTURES = "captures"  # the top folder of raw pages: captures/<the article's path>.html

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_DAY = r"[0-9]{4}/(?:0[1-9]|1[0-2])/(?:0[1-9]|[12][0-9]|3[01])"
_ARTICLE = re.compile(rf"(?P<source>{_SLUG})/(?:{_DAY}/)?(?P<id>{_SLUG})\.md")
_CAPTURE = re.compile(rf"{CAPTURES}/(?P<source>{_SLUG})/(?:{_DAY}/)?(?P<id>{_SLUG})\.html")


class UnsafePath(VaultError):
    """A path that is not one of the archive's own (an article file or a page capture)."""


def check_path(path: str) -> bytes:
    """Return `path` as git bytes if it is an article's file or capture; else UnsafePath.

    Every component is checked: a slug source (not `captures`), for the dated layout a real
    year, month and day, and a slug article id with `.md` (or `.html` under `captures/`).
    """
    article = _ARTICLE.fullmatch(path)
    if article and article.group("source") != CAPTURES and len(path) <= 300:
        return path.encode()
    if _CAPTURE.fullmatch(path) and len(path) <= 320:
        return path.encode()
    raise UnsafePath(f"refusing unsafe path {path!r}")


def names(path: str) -> tuple[str, str]:
    """Return the (source, article id) an article's path names; UnsafePath if it names none."""
    found = _ARTICLE.fullmatch(path)
    if found is None or found.group("source") == CAPTURES:
        raise UnsafePath(f"refusing unsafe path {path!r}")
    return found.group("source"), found.group("id")


def flat_path(source: str, article_id: str) -> str:
    """Return the path of an article in the flat layout (and of every pre-fan-out commit)."""
    return f"{source}/{article_id}.md"


def article_path(layout: str, source: str, article_id: str, first_observed: datetime) -> str:
    """Return the path of a new article: in the dated layout, by the UTC day first seen."""
    if source == CAPTURES:
        raise UnsafePath(f"{CAPTURES!r} is the archive's folder of raw pages, not a source name")
    if layout == FLAT:
        return flat_path(source, article_id)
    day = first_observed.astimezone(UTC)
    return f"{source}/{day:%Y/%m/%d}/{article_id}.md"


def capture_path(path: str) -> str:
    """Return where the raw page of the article at `path` is kept."""
    return f"{CAPTURES}/{path.removesuffix('.md')}.html"


def trailer_path(trailers: dict[str, str]) -> str:
    """Return the path a commit's trailers name: `Path:`, else the flat path (older commits)."""
    return trailers.get("Path") or flat_path(
        trailers.get("Source", ""), trailers.get("Article", "")
    )
