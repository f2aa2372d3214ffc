"""The site's shared parts: settings, templates, links, caching and the diff cache."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.convertors import Convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from .. import __version__
from ..archive import ArticleRow, Diff, Revision, Vault, VaultError
from .assets import fingerprints
from .caching import Freshness, freshness

__all__ = [
    "Endpoint",
    "Settings",
    "Site",
    "absolute",
    "author_name",
    "format_day",
    "format_time",
    "link",
    "template_folder",
]

Endpoint = Callable[[Request], Response]
_IDENTITY = re.compile(r"\s*(.*?)\s*<([^<>]*)>\s*")
Query = Mapping[str, str | int | list[str] | tuple[str, ...] | None]


@dataclass(frozen=True)
class Settings:
    """How the site looks and pages.

    title: the site's name in headers and feeds.
    page_size: rows per page of recent changes and article lists (1-500).
    feed_size: entries per Atom feed (1-200).
    context: unchanged paragraphs shown on each side of a change in a diff (0-10).
    templates: the templates folder (default: the packaged one, else the repository's).
    diff_cache: how many computed diffs to keep in memory (0 keeps none).
    """

    title: str = "VersionVault"
    page_size: int = 50
    feed_size: int = 20
    context: int = 1
    templates: Path | None = None
    diff_cache: int = 64

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("the site title must not be empty")
        if not 1 <= self.page_size <= 500:
            raise ValueError(f"page_size must be 1-500, not {self.page_size}")
        if not 1 <= self.feed_size <= 200:
            raise ValueError(f"feed_size must be 1-200, not {self.feed_size}")
        if not 0 <= self.context <= 10:
            raise ValueError(f"context must be 0-10, not {self.context}")
        if self.diff_cache < 0:
            raise ValueError(f"diff_cache must be 0 or more, not {self.diff_cache}")


def template_folder() -> Path:
    """Return the packaged templates when installed, else the repository's `templates/`."""
    packaged = resources.files("versionvault") / "templates"
    if isinstance(packaged, Path) and (packaged / "base.html").is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "templates"


def link(request: Request, name: str, query: Query | None = None, **params: Any) -> str:
    """Return the path (with query) of a named route, relative to the site's root."""
    site = getattr(request.app.state, "site", None)
    found = site.path_for(name, params) if isinstance(site, Site) else None
    if found is None:
        found = str(request.app.url_path_for(name, **params))
    path = request.scope.get("root_path", "") + found
    pairs = [
        (key, str(item))
        for key, value in (query or {}).items()
        for item in (value if isinstance(value, list | tuple) else [value])
        if item is not None and item != ""
    ]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def absolute(request: Request, path: str) -> str:
    """Return the absolute URL of a path made by `link`."""
    return f"{request.url.scheme}://{request.url.netloc}{path}"


def format_time(value: str) -> str:
    """Return an ISO time as `2024-04-18 00:22 UTC` (unparseable text as it is)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_day(value: str) -> str:
    """Return the UTC day of an ISO time, such as `18 April 2024`."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value[:10]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%-d %B %Y")


def author_name(identity: str) -> str:
    """Return the name of a `Name <email>` identity (the whole text if it has no email)."""
    match = _IDENTITY.fullmatch(identity)
    return (match.group(1) or match.group(2)) if match else identity.strip() or "unknown"


def _signed(value: int, sign: str) -> str:
    return f"{sign}{value:,}"


def _plural(count: int, word: str, words: str = "") -> str:
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def _environment(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )

    @jinja2.pass_context
    def url_for(
        context: Mapping[str, Any], name: str, /, query: Query | None = None, **params: Any
    ) -> str:
        return link(context["request"], name, query, **params)

    env.globals["url_for"] = url_for
    env.filters["when"] = format_time
    env.filters["day"] = format_day
    env.filters["signed"] = _signed
    env.filters["plural"] = _plural
    env.filters["person"] = author_name
    return env


def _build_token(folder: Path) -> str:
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class Site:
    """Everything the views share: the vault, the settings, templates and caches."""

    def __init__(self, vault: Vault, settings: Settings) -> None:
        self.vault = vault
        self.settings = settings
        self.folder = settings.templates or template_folder()
        if not (self.folder / "base.html").is_file():
            raise ValueError(f"no site templates in {self.folder}")
        self.static = self.folder / "static"
        self.env = _environment(self.folder)
        self.env.globals["site_title"] = settings.title
        self.templates = Jinja2Templates(env=self.env)
        self.build = _build_token(self.folder)
        self.env.globals["build"] = self.build
        self.hashes = fingerprints(self.static)
        self.env.globals["static_url"] = self._static_url
        self._fiction: tuple[float, dict[str, str]] = (-1.0, {})
        self._diffs: OrderedDict[tuple[str, str], Diff] = OrderedDict()
        self._lock = threading.Lock()
        self._formats: dict[str, tuple[str, Mapping[str, Convertor[Any]]]] = {}

    @jinja2.pass_context
    def _static_url(self, context: Mapping[str, Any], name: str) -> str:
        """Return a static file's link with its fingerprint: `/static/site.css?v=1a2b…`."""
        query = {"v": self.hashes[name]} if name in self.hashes else None
        return link(context["request"], "static", query, path=name)

    def fictional(self) -> dict[str, str]:
        """Return the sources that sources.toml marks as fictional, with their descriptions."""
        path = self.vault.home / "sources.toml"
        try:
            stamp = path.stat().st_mtime
        except OSError:
            return {}
        if stamp != self._fiction[0]:
            try:
                sources = self.vault.sources.sources.values()
            except VaultError:
                return self._fiction[1]
            found = {
                s.name: s.description or f"{s.name} is fictional, made up for this demo."
                for s in sources
                if s.fictional
            }
            self._fiction = (stamp, found)
        return self._fiction[1]

    def notices(self, page: object) -> tuple[str, ...]:
        """Return the fiction notices a page (or an article) needs: for the article's source,
        the source a list is narrowed to, the sources a search matched, else every source."""
        fiction = self.fictional()
        if not fiction:
            return ()
        article = page if isinstance(page, ArticleRow) else getattr(page, "article", None)
        filters = getattr(page, "filters", None)
        chosen = getattr(filters, "source", "") or getattr(page, "source", "")
        listed = getattr(page, "sources", None)
        if isinstance(article, ArticleRow):
            names = [article.source]
        elif isinstance(chosen, str) and chosen:
            names = [chosen]
        elif isinstance(listed, tuple) and getattr(page, "query", None):
            names = [name for name, _ in listed]
        else:
            names = [name for name, _ in self.vault.source_counts()]
        return tuple(fiction[name] for name in names if name in fiction)

    def learn(self, routes: Sequence[BaseRoute]) -> None:
        """Remember the path formats of named routes, to build links without the router."""
        for route in routes:
            if isinstance(route, Route) and route.name:
                self._formats[route.name] = (route.path_format, route.param_convertors)

    def path_for(self, name: str, params: Mapping[str, Any]) -> str | None:
        """Return the path of a named route learnt by `learn`, or None."""
        found = self._formats.get(name)
        if found is None or found[1].keys() != params.keys():
            return None
        path, convertors = found
        for key, value in params.items():
            path = path.replace("{" + key + "}", convertors[key].to_string(value))
        return path

    def view(self, func: Callable[[Site, Request], Response]) -> Endpoint:
        """Return an endpoint that calls `func` with this site (sync: run in the thread pool)."""
        return functools.partial(func, self)

    def freshness(self, request: Request, immutable: bool = False) -> Freshness:
        """Return the page's validator: immutable, or tied to the archive's last commit."""
        version = None if immutable else self.vault.last_commit() or "empty"
        return freshness(request, self.build, version)

    def render(
        self,
        request: Request,
        template: str,
        page: object,
        fresh: Freshness | None = None,
        status: int = 200,
    ) -> Response:
        """Render a template with the page model as `page`."""
        headers = fresh.headers() if fresh else {"Cache-Control": "no-store"}
        context = {"page": page, "notices": self.notices(page)}
        return self.templates.TemplateResponse(
            request, template, context, status_code=status, headers=headers
        )

    def render_text(self, template: str, **context: Any) -> str:
        """Render a template to a string (for fragments such as feed entries)."""
        return self.env.get_template(template).render(**context)

    def diff(self, old: Revision, new: Revision) -> Diff:
        """Return the diff of two revisions, cached by their commits."""
        key = (old.commit, new.commit)
        with self._lock:
            found = self._diffs.get(key)
            if found is not None:
                self._diffs.move_to_end(key)
                return found
        result = self.vault.diff(old.article, old.commit, new.commit)
        if self.settings.diff_cache:
            with self._lock:
                self._diffs[key] = result
                while len(self._diffs) > self.settings.diff_cache:
                    self._diffs.popitem(last=False)
        return result
