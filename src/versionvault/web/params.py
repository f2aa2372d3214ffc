"""Query parameters: read, check, and refuse anything malformed with BadRequest (400)."""

from __future__ import annotations

import re

from starlette.requests import Request

from ..text.article import SLUG

__all__ = [
    "KINDS",
    "BadRequest",
    "choice",
    "flag",
    "kinds",
    "number",
    "revision_spec",
    "slug",
    "text",
]

KINDS = (
    "substantive",
    "minor",
    "punctuation",
    "formatting",
    "typography",
    "whitespace",
    "extraction",
)
_REVISION = re.compile(r"\d{1,9}|[0-9a-f]{4,40}|first|latest|old|current")
_MAX_TEXT = 500


class BadRequest(Exception):
    """A request parameter is malformed: the message says which and why."""


def _one(request: Request, name: str) -> str:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"give {name!r} at most once")
    return values[0].strip() if values else ""


def text(request: Request, name: str, limit: int = _MAX_TEXT) -> str:
    """Return a free-text parameter ('' when absent)."""
    value = _one(request, name)
    if len(value) > limit:
        raise BadRequest(f"{name!r} is too long (at most {limit} characters)")
    return value


def slug(request: Request, name: str) -> str:
    """Return a slug parameter such as a source name ('' when absent)."""
    value = _one(request, name)
    if value and (len(value) > 100 or not SLUG.fullmatch(value)):
        raise BadRequest(f"{name!r} must be a slug like 'my-paper', not {value[:40]!r}")
    return value


def number(request: Request, name: str, default: int | None, low: int = 1) -> int | None:
    """Return a whole-number parameter of at least `low` (`default` when absent)."""
    value = _one(request, name)
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 12 or int(value) < low:
        raise BadRequest(f"{name!r} must be a whole number of at least {low}, not {value[:40]!r}")
    return int(value)


def choice(request: Request, name: str, options: tuple[str, ...]) -> str:
    """Return one of `options`; the first one when the parameter is absent."""
    value = _one(request, name) or options[0]
    if value not in options:
        raise BadRequest(f"{name!r} must be one of {', '.join(options)}, not {value[:40]!r}")
    return value


def flag(request: Request, name: str) -> bool:
    """Return a yes/no parameter: absent, '' or '0' is no; '1', 'on', 'yes' or 'true' is yes."""
    value = _one(request, name).lower()
    if value in ("", "0", "no", "false", "off"):
        return False
    if value in ("1", "on", "yes", "true"):
        return True
    raise BadRequest(f"{name!r} must be 1 or 0, not {value[:40]!r}")


def kinds(request: Request, name: str = "kind") -> tuple[str, ...]:
    """Return the change kinds asked for (repeatable; none means every kind)."""
    values = [v.strip() for v in request.query_params.getlist(name) if v.strip()]
    for value in values:
        if value not in KINDS:
            raise BadRequest(f"{name!r} must be one of {', '.join(KINDS)}, not {value[:40]!r}")
    return tuple(k for k in KINDS if k in values)


def revision_spec(value: str, name: str = "revision") -> str:
    """Check a revision name: a number, an (abbreviated) commit sha, `first` or `latest`."""
    spec = value.strip().lower()
    if not _REVISION.fullmatch(spec):
        raise BadRequest(
            f"{name} {value[:40]!r} is not a revision: use a number, a commit sha, "
            "'first' or 'latest'"
        )
    return spec
