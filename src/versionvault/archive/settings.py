"""Settings layer: `sources.toml` — sources, their feeds and pages, and extraction rules."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from ..text import (
    HtmlRules,
    InvalidArticle,
    InvalidSelector,
    TextRules,
    check_slug,
    css_to_xpath,
)
from .secrets import has_credentials, redact

__all__ = [
    "DEFAULT_QUIET_DAYS",
    "DEFAULT_RATE",
    "Source",
    "SourceSettings",
    "add_mirror",
    "add_source",
    "load_sources",
    "read_settings",
    "sample_sources_text",
    "save_sources",
    "update_table",
]

DEFAULT_RATE = 30.0
DEFAULT_QUIET_DAYS = 7.0


@dataclass(frozen=True)
class Source:
    """One source: where its articles come from and how to read them."""

    name: str
    feeds: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    text: TextRules = field(default_factory=TextRules)
    raw: dict[str, Any] = field(default_factory=dict)
    rate: float = DEFAULT_RATE
    user_agent: str = ""
    selector: str = ""
    quiet_days: float = DEFAULT_QUIET_DAYS
    drop: tuple[str, ...] = ()
    description: str = ""
    fictional: bool = False
    captures: bool = True

    def html_rules(self, site_names: tuple[str, ...] = ()) -> HtmlRules:
        """Return the rules its HTML pages are extracted by, with names its titles carry."""
        return HtmlRules(self.drop, site_names)


@dataclass(frozen=True)
class SourceSettings:
    """Every source of an archive, by name."""

    sources: dict[str, Source]
    mirrors: tuple[str, ...] = ()

    def rules_for(self, name: str) -> TextRules:
        """Return the plain-text rules of a source (defaults if it has none)."""
        source = self.sources.get(name)
        return source.text if source else TextRules()

    def html_rules_for(self, name: str, site_names: tuple[str, ...] = ()) -> HtmlRules:
        """Return the HTML rules of a source (defaults if it has none), with `site_names`."""
        source = self.sources.get(name)
        return source.html_rules(site_names) if source else HtmlRules((), site_names)

    def captures_for(self, name: str) -> bool:
        """Return whether a source's pages are kept with its revisions (`captures`, default on)."""
        source = self.sources.get(name)
        return source.captures if source else True

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


def _positive(name: str, data: dict[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidArticle(f"source {name}: {key} must be a positive number, not {value!r}")
    return float(value)


def _selectors(name: str, data: dict[str, Any]) -> tuple[str, ...]:
    drop = data.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(s, str) and s.strip() for s in drop):
        raise InvalidArticle(f"source {name}: drop must be a list of CSS selectors")
    for selector in [str(data.get("selector", "")), *drop]:
        if selector:
            try:
                css_to_xpath(selector)
            except InvalidSelector as exc:
                raise InvalidArticle(f"source {name}: {exc}") from None
    return tuple(s.strip() for s in drop)


def _watch_options(name: str, data: dict[str, Any]) -> dict[str, Any]:
    selector = str(data.get("selector", ""))
    agent = str(data.get("user-agent", ""))
    if "\n" in agent or "\r" in agent:
        raise InvalidArticle(f"source {name}: user-agent must be one line")
    return {
        "rate": _positive(name, data, "rate", DEFAULT_RATE),
        "user_agent": agent,
        "selector": selector,
        "quiet_days": _positive(name, data, "quiet-days", DEFAULT_QUIET_DAYS),
        "drop": _selectors(name, data),
        "captures": _flag(name, data, "captures", True),
    }


def _about(name: str, data: dict[str, Any]) -> dict[str, Any]:
    description = data.get("description", "")
    fictional = data.get("fictional", False)
    if not isinstance(description, str) or "\n" in description:
        raise InvalidArticle(f"source {name}: description must be one line of text")
    if not isinstance(fictional, bool):
        raise InvalidArticle(f"source {name}: fictional must be true or false")
    return {"description": description.strip(), "fictional": fictional}


def _flag(name: str, data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InvalidArticle(f"source {name}: {key} must be true or false, not {value!r}")
    return value


def _source(name: str, data: dict[str, Any]) -> Source:
    check_slug(name, "source name")
    return Source(
        name=name,
        feeds=tuple(str(u) for u in data.get("feeds", ())),
        pages=tuple(str(u) for u in data.get("pages", ())),
        domains=tuple(str(d).lower() for d in data.get("domains", ())),
        text=TextRules.from_mapping(data.get("text", {})),
        raw=data,
        **_watch_options(name, data),
        **_about(name, data),
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
    mirrors = data.get("mirrors", [])
    if not isinstance(mirrors, list) or not all(isinstance(m, str) and m for m in mirrors):
        raise InvalidArticle(f"{path}: mirrors must be a list of Git remote URLs or paths")
    sources = {name: _source(name, t) for name, t in tables.items()}
    return SourceSettings(sources, tuple(mirrors))


def read_settings(path: Path) -> dict[str, Any]:
    """Return the whole of `sources.toml` as TOML data (a missing file is empty)."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArticle(f"{path} is not valid TOML: {exc}") from None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write `sources.toml` atomically; only its owner may read it once it holds a secret
    (a URL with a password or token, or an alert target)."""
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(
            "# VersionVault sources: `versionvault source add` edits this file.\n\n"
            + tomli_w.dumps(data),
            "utf-8",
        )
        if data.get("notify") or any(has_credentials(text) for text in _strings(data)):
            os.chmod(tmp, 0o600)
        elif path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        tmp.replace(path)
    except OSError as exc:  # a full disk: the old file stays as it was
        tmp.unlink(missing_ok=True)
        exc.filename = exc.filename or str(path)
        raise


def save_sources(path: Path, settings: SourceSettings) -> None:
    """Write `sources.toml` atomically, keeping its other tables (`[site]`, `[[notify]]`)."""
    tables = {name: source.raw for name, source in settings.sources.items()}
    kept = {k: v for k, v in read_settings(path).items() if k not in ("mirrors", "sources")}
    _write(path, {"mirrors": list(settings.mirrors), **kept, "sources": tables})


def update_table(path: Path, key: str, value: Any) -> None:
    """Replace one top-level entry of `sources.toml` (None removes it), keeping the rest."""
    data = read_settings(path)
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    sources = data.pop("sources", None)
    _write(path, {**data, **({"sources": sources} if sources is not None else {})})


def add_source(
    path: Path,
    name: str,
    feeds: tuple[str, ...],
    pages: tuple[str, ...],
    domains: tuple[str, ...] = (),
    furniture: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
    **options: Any,
) -> Source:
    """Add a source or extend it (feeds, pages, domains, furniture, drop; options replace).

    Options are the watch settings by their TOML names with `_` for `-`: rate, user_agent,
    selector, quiet_days; None leaves a setting as it is.
    """
    settings = load_sources(path)
    raw = dict(settings.sources[name].raw) if name in settings.sources else {}
    raw["feeds"] = list(dict.fromkeys([*raw.get("feeds", []), *feeds]))
    raw["pages"] = list(dict.fromkeys([*raw.get("pages", []), *pages]))
    if domains:
        raw["domains"] = list(dict.fromkeys([*raw.get("domains", []), *domains]))
    if drop:
        raw["drop"] = list(dict.fromkeys([*raw.get("drop", []), *drop]))
    if furniture:
        text = dict(raw.get("text", {}))
        text["furniture"] = list(dict.fromkeys([*text.get("furniture", []), *furniture]))
        raw["text"] = text
    for key, value in options.items():
        if value is not None:
            raw[key.replace("_", "-")] = value
    source = _source(name, raw)
    save_sources(path, SourceSettings({**settings.sources, name: source}, settings.mirrors))
    return source


def add_mirror(path: Path, remote: str) -> SourceSettings:
    """Add a Git remote that every write batch is pushed to; return the settings."""
    settings = load_sources(path)
    if not remote.strip() or "\n" in remote:
        raise InvalidArticle(f"invalid mirror {redact(remote)!r}")
    mirrors = tuple(dict.fromkeys([*settings.mirrors, remote.strip()]))
    updated = SourceSettings(settings.sources, mirrors)
    save_sources(path, updated)
    return updated
