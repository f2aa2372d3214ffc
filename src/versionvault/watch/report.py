"""Watch report: what a round did and met, and the watcher's status as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..archive import Vault, VaultError, redact
from .schedule import iso
from .state import WatchState

__all__ = ["RoundReport", "Tally", "WatchWarning", "status"]


@dataclass(frozen=True)
class WatchWarning:
    """A problem met in a round: what kind, where, and what happened."""

    source: str
    url: str
    kind: str
    message: str


@dataclass(frozen=True)
class RoundReport:
    """What one round did."""

    started: datetime
    finished: datetime
    feeds: int
    pages: int
    requests: int
    not_modified: int
    saved: int
    unchanged: int
    events: int
    warnings: tuple[WatchWarning, ...]

    def line(self) -> str:
        """Return the round's progress line."""
        seconds = (self.finished - self.started).total_seconds()
        return (
            f"{iso(self.started)} round: {self.feeds} feeds, {self.pages} pages, "
            f"{self.requests} requests ({self.not_modified} not modified); "
            f"{self.saved} saved, {self.unchanged} unchanged, {self.events} events, "
            f"{len(self.warnings)} warnings in {seconds:.1f}s"
        )

    def as_row(self) -> dict[str, Any]:
        """Return the figures the index keeps per round."""
        return {
            "started": iso(self.started),
            "finished": iso(self.finished),
            "feeds": self.feeds,
            "pages": self.pages,
            "requests": self.requests,
            "not_modified": self.not_modified,
            "saved": self.saved,
            "unchanged": self.unchanged,
            "events": self.events,
            "warnings": len(self.warnings),
        }


@dataclass
class Tally:
    """A round's running counts, and the sources and pages it heard from."""

    now: datetime
    feeds: int = 0
    pages: int = 0
    requests: int = 0
    not_modified: int = 0
    saved: int = 0
    unchanged: int = 0
    events: int = 0
    warnings: list[WatchWarning] = field(default_factory=list)
    success: set[str] = field(default_factory=set)
    new: dict[str, int] = field(default_factory=dict)
    listed: set[int] = field(default_factory=set)

    def report(self, finished: datetime) -> RoundReport:
        """Return the round's report, begun at `now` and done at `finished`."""
        return RoundReport(
            started=self.now,
            finished=finished,
            feeds=self.feeds,
            pages=self.pages,
            requests=self.requests,
            not_modified=self.not_modified,
            saved=self.saved,
            unchanged=self.unchanged,
            events=self.events,
            warnings=tuple(self.warnings),
        )


def status(vault: Vault, limit: int = 200) -> dict[str, Any]:
    """Return the watcher's status as plain data: last round, sources, warnings, schedule."""
    state = WatchState(vault.index)
    problems: list[dict[str, Any]] = []
    try:
        configured = vault.sources.sources
    except VaultError as exc:
        configured = {}
        problems.append(
            {
                "source": "",
                "url": "sources.toml",
                "kind": "settings",
                "message": str(exc),
                "first_seen": None,
                "last_seen": None,
                "count": 1,
            }
        )
    watched = state.sources()
    sources = []
    for name in sorted(set(configured) | set(watched)):
        source = configured.get(name)
        entry = watched.get(name, {})
        sources.append(
            {
                "name": name,
                "configured": source is not None,
                "feeds": [redact(feed) for feed in source.feeds] if source else [],
                "pages": len(source.pages) if source else 0,
                "rate": source.rate if source else None,
                "watched": entry.get("pages", {}),
                "last_success": entry.get("last_success") or None,
                "last_new": entry.get("last_new") or None,
                "new_revisions": entry.get("new_revisions", 0),
            }
        )
    warnings = [
        {**w, "url": redact(w["url"] or ""), "message": redact(w["message"] or "")}
        for w in problems + state.warnings(limit)
    ]
    return {
        "last_round": state.last_round(),
        "next_check": state.next_due(),
        "sources": sources,
        "warnings": warnings,
    }
