"""Settings layer: `sources.toml` — sources, their feeds and pages, and extraction rules."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from .article import InvalidArticle, TextRules, check_slug

__all__ = [
    "Source",
    "SourceSettings",
    "add_source",
    "load_sources",
    "sample_sources_text",
    "save_sources",
]


@dataclass(frozen=True)
class Source:
    """One source: where its articles come from and how to read them."""

    name: str
    feeds: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    text: TextRules = field(default_factory=TextRules)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceSettings:
    """Every source of an archive, by name."""

    sources: dict[str, Source]

    def rules_for(self, name: str) -> TextRules:
        """Return the plain-text rules of a source (defaults if it has none)."""
        source = self.sources.get(name)
        return source.text if source else TextRules()

    def guess_source(self, file_stem: str = "", url: str = "") -> str | None:
        """Return the source a URL's domain or a file name's prefix points to."""
        host = url.split("//", 1)[-1].split("/", 1)[0].lower() if url else ""
        for source in self.sources.values():
            if host and any(host == d or host.endswith("." + d) for d in source.domains):
                return source.name
        for source in sorted(self.sources.values(), key=lambda s: -len(s.name)):
            if file_stem.startswith(source.name + "-"):
                return source.name
        return None


def sample_sources_text() -> str:
    """Return the `sources.toml` shipped with the samples."""
    return (resources.files("versionvault") / "samples" / "sources.toml").read_text("utf-8")


def _source(name: str, data: dict[str, Any]) -> Source:
    check_slug(name, "source name")
    return Source(
        name=name,
        feeds=tuple(str(u) for u in data.get("feeds", ())),
        pages=tuple(str(u) for u in data.get("pages", ())),
        domains=tuple(str(d).lower() for d in data.get("domains", ())),
        text=TextRules.from_mapping(data.get("text", {})),
        raw=data,
    )


def load_sources(path: Path) -> SourceSettings:
    """Read `sources.toml` (a missing file means no sources)."""
    if not path.exists():
        return SourceSettings({})
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArticle(f"{path} is not valid TOML: {exc}") from None
    tables = data.get("sources", {})
    return SourceSettings({name: _source(name, t) for name, t in tables.items()})


def save_sources(path: Path, settings: SourceSettings) -> None:
    """Write `sources.toml` atomically."""
    tables = {name: source.raw for name, source in settings.sources.items()}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        "# VersionVault sources: `versionvault source add` edits this file.\n\n"
        + tomli_w.dumps({"sources": tables}),
        "utf-8",
    )
    tmp.replace(path)


def add_source(path: Path, name: str, feeds: tuple[str, ...], pages: tuple[str, ...]) -> Source:
    """Add a source or extend its feeds and pages; return it."""
    settings = load_sources(path)
    raw = dict(settings.sources[name].raw) if name in settings.sources else {}
    raw["feeds"] = list(dict.fromkeys([*raw.get("feeds", []), *feeds]))
    raw["pages"] = list(dict.fromkeys([*raw.get("pages", []), *pages]))
    source = _source(name, raw)
    save_sources(path, SourceSettings({**settings.sources, name: source}))
    return source
