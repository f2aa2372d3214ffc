"""Notify: alert rules (`[[notify]]` in sources.toml), their redaction, matching and messages."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..text import InvalidArticle, check_slug
from .rows import Revision
from .settings import read_settings, update_table

__all__ = [
    "KINDS",
    "Message",
    "Rule",
    "add_rule",
    "apprise_module",
    "find_rule",
    "load_rules",
    "message_for",
    "redact",
    "remove_rule",
    "site_base_url",
]

KINDS = ("substantive", "minor", "typography", "whitespace", "extraction")
# A rule without kinds alerts every change a publisher or editor made, not re-extractions.
_EXTRACTION = "extraction"


def apprise_module() -> ModuleType:
    """Import Apprise (on first use: it is large), quiet about its own deprecated imports."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise

        apprise.Apprise.instantiate("json://localhost")  # loads every plugin, once, here
    return apprise


def redact(url: str) -> str:
    """Return an Apprise URL with its secrets masked (Apprise's privacy form, no options)."""
    apprise = apprise_module()
    plugin = apprise.Apprise.instantiate(url)
    shown = str(plugin.url(privacy=True)) if plugin else ""
    if not shown:
        scheme, _, rest = url.partition("://")
        host = rest.split("@")[-1].split("/")[0].split("?")[0]
        shown = f"{scheme}://****@{host}/" if rest else "****"
    return shown.split("?", 1)[0]


@dataclass(frozen=True)
class Rule:
    """Where to send alerts (an Apprise URL) and which revisions are worth one."""

    url: str
    source: str = ""
    kinds: tuple[str, ...] = ()
    headline: bool = False
    min_words: int = 0

    @property
    def key(self) -> str:
        """Return a stable name for the rule that gives nothing of its URL away."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def shown(self) -> str:
        """Return the URL with its secrets masked."""
        return redact(self.url)

    def filters(self) -> str:
        """Return the rule's filters as command-line options ('' for every revision)."""
        parts = [f"--source {self.source}"] if self.source else []
        parts += [f"--kind {kind}" for kind in self.kinds]
        parts += ["--headline"] if self.headline else []
        parts += [f"--min {self.min_words}"] if self.min_words else []
        return " ".join(parts)

    def matches(self, revision: Revision) -> bool:
        """Return whether a saved revision is worth an alert under this rule."""
        if self.source and revision.source != self.source:
            return False
        wanted = revision.kind in self.kinds if self.kinds else revision.kind != _EXTRACTION
        if not wanted:
            return False
        if self.headline and not revision.headline_changed:
            return False
        return revision.words_added + revision.words_removed >= self.min_words

    def as_table(self) -> dict[str, Any]:
        """Return the rule as its `[[notify]]` table."""
        table: dict[str, Any] = {"url": self.url}
        if self.source:
            table["source"] = self.source
        if self.kinds:
            table["kinds"] = list(self.kinds)
        if self.headline:
            table["headline"] = True
        if self.min_words:
            table["min-words"] = self.min_words
        return table


def _rule(data: Any, where: str) -> Rule:
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise InvalidArticle(f"{where}: a [[notify]] entry needs a url")
    kinds = data.get("kinds", [])
    minimum = data.get("min-words", 0)
    if not isinstance(kinds, list) or any(k not in KINDS for k in kinds):
        raise InvalidArticle(f"{where}: notify kinds must be among {', '.join(KINDS)}")
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        raise InvalidArticle(f"{where}: notify min-words must be a whole number")
    return Rule(
        url=data["url"],
        source=str(data.get("source", "")),
        kinds=tuple(kinds),
        headline=bool(data.get("headline", False)),
        min_words=minimum,
    )


def load_rules(path: Path) -> list[Rule]:
    """Read the alert rules of `sources.toml` (InvalidArticle if malformed)."""
    entries = read_settings(path).get("notify", [])
    if not isinstance(entries, list):
        raise InvalidArticle(f"{path}: notify must be an array of tables ([[notify]])")
    return [_rule(entry, str(path)) for entry in entries]


def site_base_url(path: Path) -> str:
    """Return `[site] base_url` of `sources.toml` ('' when unset)."""
    site = read_settings(path).get("site", {})
    value = site.get("base_url", "") if isinstance(site, dict) else ""
    return str(value).rstrip("/")


def _check_url(url: str) -> None:
    apprise = apprise_module()

    if not url.strip() or any(c in url for c in "\n\r\t "):
        raise InvalidArticle(f"invalid alert URL {redact(url)!r}: it must be one line")
    if apprise.Apprise.instantiate(url) is None:
        raise InvalidArticle(
            f"{redact(url)!r} is not a notification URL Apprise knows "
            "(e.g. ntfy://topic, mailto://user:pass@host, json://host/path)"
        )


def add_rule(path: Path, rule: Rule) -> Rule:
    """Check and append a rule to `sources.toml` (InvalidArticle on a bad URL or filter)."""
    _check_url(rule.url)
    if rule.source:
        check_slug(rule.source, "source name")
    for kind in rule.kinds:
        if kind not in KINDS:
            raise InvalidArticle(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    rules = load_rules(path)
    if any(r.as_table() == rule.as_table() for r in rules):
        raise InvalidArticle("that alert rule exists already")
    update_table(path, "notify", [r.as_table() for r in [*rules, rule]])
    return rule


def find_rule(rules: list[Rule], which: str) -> int:
    """Return the position of the rule that `which` names: its number in `notify list` or URL."""
    if which.isdigit() and 1 <= int(which) <= len(rules):
        return int(which) - 1
    for k, rule in enumerate(rules):
        if which in (rule.url, rule.key):
            return k
    raise InvalidArticle(f"no alert rule {redact(which)!r}: `notify list` numbers them")


def remove_rule(path: Path, which: str) -> Rule:
    """Remove the rule `which` names; return it."""
    rules = load_rules(path)
    gone = rules.pop(find_rule(rules, which))
    update_table(path, "notify", [r.as_table() for r in rules] or None)
    return gone


@dataclass(frozen=True)
class Message:
    """An alert: a title and a few lines of text."""

    title: str
    body: str


def _summary(revision: Revision) -> str:
    if revision.number == 1:
        return f"new article, {revision.words:,} words"
    added, removed = revision.words_added, revision.words_removed
    parts = [f"+{added} \u2212{removed} words" if added or removed else "no word changes"]
    if revision.headline_changed:
        parts.append("headline changed")
    parts.append(revision.kind)
    return "; ".join(parts)


def message_for(revision: Revision, previous: str, base: str) -> Message:
    """Return the alert for a revision; `previous` is the commit before it ('' for the first)."""
    if previous:
        path = f"/articles/{revision.article}/diff?from={previous}&to={revision.commit}"
    else:
        path = f"/articles/{revision.article}/revisions/{revision.commit}"
    lines = [_summary(revision)]
    if revision.note:
        lines.append(f"Note: {revision.note}")
    who = revision.editor or ""
    if who:
        lines.append(f"Edited by {who}")
    lines.append(f"{base}{path}")
    return Message(f"{revision.source}: {revision.title}", "\n".join(lines))
