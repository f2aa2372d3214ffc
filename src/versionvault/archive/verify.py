"""Verify: every object sound, and git and the index telling the same history."""

from __future__ import annotations

from .commits import StoreError
from .fsck import fsck, git_fsck
from .index import Index
from .maintenance import check_objects
from .rows import Event
from .store import Store

__all__ = ["verify"]


def verify(store: Store, index: Index) -> list[str]:
    """Check every object as `git fsck --strict` does (and run it, if git is installed), and
    that git and the index agree; return the problems."""
    problems = check_objects(store)
    problems.extend(fsck(store))
    problems.extend(git_fsck(store.path) or [])
    indexed = {r.commit: r for r in index.all_revisions()}
    events = {e.commit: e for e in index.events()}
    seen = 0
    numbers: dict[str, int] = {}
    removed: dict[str, bool] = {}
    try:
        for record in store.walk(None):
            if "Event" in record.trailers:
                problems.extend(_verify_event(store, record.sha, events, numbers))
                if record.trailers["Event"] == "removed":
                    removed[record.trailers.get("Article", "")] = True
                continue
            seen += 1
            row = indexed.get(record.sha)
            if row is None:
                problems.append(f"commit {record.sha} is not in the index")
                continue
            if row.blob != record.blob:
                problems.append(f"commit {record.sha}: index blob differs from git")
            if record.path != f"{row.source}/{row.article}.md":
                problems.append(f"commit {record.sha}: trailers name {record.path}")
            changed = store.changed_paths(record.sha)
            back = removed.pop(row.article, False) and not changed
            if changed != [record.path] and not back:
                problems.append(f"commit {record.sha}: its tree change is not {record.path}")
            expected = numbers.get(row.article, 0) + 1
            if row.number != expected:
                problems.append(f"commit {record.sha}: revision {row.number}, expected {expected}")
            numbers[row.article] = row.number
    except StoreError as exc:
        problems.append(str(exc))
    if seen != len(indexed):
        problems.append(f"git has {seen} revisions on main, the index {len(indexed)}")
    problems.extend(f"the index has event {sha}, which is not on main" for sha in events)
    return problems


def _verify_event(
    store: Store, sha: str, events: dict[str, Event], numbers: dict[str, int]
) -> list[str]:
    event = events.pop(sha, None)
    if event is None:
        return [f"event commit {sha} is not in the index"]
    problems = []
    if store.changed_paths(sha):
        problems.append(f"event commit {sha} changes the tree")
    if event.after_revision != numbers.get(event.article, 0) or not event.after_revision:
        problems.append(f"event commit {sha}: {event.article} has no revision before it")
    return problems
