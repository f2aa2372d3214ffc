"""Alerts: the durable queue that takes saved revisions to Apprise targets, off the write path."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import DiskFull
from .notify import Message, Rule, apprise_module, load_rules, message_for, redact
from .rows import Revision
from .vault import Vault

__all__ = [
    "QUEUE_FILE",
    "Notifier",
    "Options",
    "alert_status",
    "notify_in_background",
    "send",
    "start_queue",
]

QUEUE_FILE = "notify-queue.json"
_LOCK_FILE = "notify-queue.lock"
_MAX_BURST = 5000
_MAX_PENDING = 1000
_KEPT_FAILURES = 50
log = logging.getLogger("versionvault.notify")


@dataclass(frozen=True)
class Options:
    """How the queue behaves: links, retries and how often it looks for new revisions."""

    base_url: str = ""
    poll: float = 2.0
    backoff: float = 30.0
    max_backoff: float = 3600.0
    attempts: int = 8


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).replace(microsecond=0).isoformat()


def _scrub(text: str, url: str) -> str:
    """Mask in an error text every piece of the URL that its redacted form does not show."""
    shown = redact(url)
    for piece in sorted(set(re.split(r"[/:@?&=#]+", url)), key=len, reverse=True):
        if len(piece) >= 4 and piece not in shown:
            text = text.replace(piece, "****")
    return text


def send(url: str, message: Message) -> str:
    """Deliver one message through Apprise; return '' on success, else why it failed."""
    apprise = apprise_module()
    target = apprise.Apprise()
    if not target.add(url):
        return "Apprise does not know this URL"
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as logs:
        result = target.notify(
            title=message.title, body=message.body, body_format=apprise.NotifyFormat.TEXT
        )
    if result:
        return ""
    lines = [line for line in logs.getvalue().splitlines() if line.strip()]
    return _scrub(lines[-1] if lines else "the delivery failed", url)[:300]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except OSError as exc:  # a full disk: the queue stays as it was
        tmp.unlink(missing_ok=True)
        exc.filename = exc.filename or str(path)
        raise


def _newest(vault: Vault) -> dict[str, Any]:
    found = vault.recent(limit=1)
    return {"seq": found[0][0], "commit": found[0][1].commit} if found else {"seq": 0, "commit": ""}


def start_queue(vault: Vault) -> None:
    """Remember where alerts start (now) unless the queue has a position already."""
    path = vault.home / QUEUE_FILE
    if "position" not in _read(path):
        _write(path, {"position": _newest(vault), "pending": [], "failed": [], "delivered": 0})


def alert_status(home: Path) -> dict[str, Any]:
    """Return the queue for /status: counts, deliveries being retried, and given-up ones."""
    data = _read(home / QUEUE_FILE)
    pending = data.get("pending", [])
    keys = ("rule", "article", "revision", "attempts", "error", "due")
    return {
        "pending": len(pending),
        "delivered": int(data.get("delivered", 0)),
        "retrying": [{k: e.get(k) for k in keys} for e in pending if e.get("error")],
        "failed": list(reversed(data.get("failed", []))),
    }


class Notifier:
    """Finds revisions saved since its remembered position and delivers their alerts."""

    def __init__(
        self,
        vault: Vault,
        options: Options | None = None,
        clock: Callable[[], float] = time.time,
        deliver: Callable[[str, Message], str] = send,
    ) -> None:
        self.vault = vault
        self.options = options or Options()
        self.clock = clock
        self.deliver = deliver
        self.path = vault.home / QUEUE_FILE

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[bool]:
        """Hold the queue's lock if no other process does; yield whether this one has it."""
        fd = os.open(self.vault.home / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def _state(self) -> dict[str, Any]:
        data = _read(self.path)
        data.setdefault("pending", [])
        data.setdefault("failed", [])
        data.setdefault("delivered", 0)
        return data

    def _since(self, position: dict[str, Any]) -> list[tuple[int, Revision]] | None:
        """Return revisions after the position, oldest first; None if it is gone or too far."""
        seq = int(position.get("seq", 0))
        if seq:
            here = self.vault.recent(before=seq + 1, limit=1)
            if not here or here[0][0] != seq or here[0][1].commit != position.get("commit"):
                return None
        found: list[tuple[int, Revision]] = []
        before: int | None = None
        while len(found) <= _MAX_BURST:
            page = self.vault.recent(before=before, limit=500)
            newer = [(s, r) for s, r in page if s > seq]
            found.extend(newer)
            if len(newer) < len(page) or len(page) < 500:
                return sorted(found, key=lambda item: item[0])
            before = page[-1][0]
        return None

    def _fail(self, data: dict[str, Any], entry: dict[str, Any], error: str) -> None:
        record = {k: entry.get(k) for k in ("rule", "article", "revision", "attempts")}
        data["failed"] = [*data["failed"], {**record, "error": error, "at": _iso(self.clock())}]
        data["failed"] = data["failed"][-_KEPT_FAILURES:]

    def scan(self) -> int:
        """Queue an alert for each new revision and rule it matches; return how many."""
        data = self._state()
        if "position" not in data:
            data["position"] = _newest(self.vault)
            _write(self.path, data)
            return 0
        found = self._since(data["position"])
        if found is None:
            newest = _newest(self.vault)
            self._fail(
                data,
                {"rule": "*"},
                "the archive was rebuilt or took too many at once: "
                "alerts for the revisions in between were skipped",
            )
            data["position"] = newest
            _write(self.path, data)
            return 0
        if not found:
            return 0
        rules = load_rules(self.vault.home / "sources.toml")
        queued = 0
        for seq, revision in found:
            for rule in rules:
                if rule.matches(revision):
                    data["pending"].append(self._entry(rule, revision))
                    queued += 1
            data["position"] = {"seq": seq, "commit": revision.commit}
        overflow = len(data["pending"]) - _MAX_PENDING
        if overflow > 0:
            for entry in data["pending"][:overflow]:
                self._fail(data, entry, "the queue was full: this alert was dropped")
            data["pending"] = data["pending"][overflow:]
        _write(self.path, data)
        return queued

    def _entry(self, rule: Rule, revision: Revision) -> dict[str, Any]:
        previous = ""
        if revision.number > 1:
            before = self.vault.index.revision(revision.article, revision.number - 1)
            previous = before.commit if before else ""
        message = message_for(revision, previous, self.options.base_url)
        return {
            "key": rule.key,
            "rule": rule.shown,
            "article": revision.article,
            "revision": revision.number,
            "commit": revision.commit,
            "title": message.title,
            "body": message.body,
            "attempts": 0,
            "due": self.clock(),
            "error": "",
        }

    def deliver_due(self, stop: threading.Event | None = None) -> int:
        """Try every alert that is due (until `stop` is set); return how many were delivered."""
        rules = {rule.key: rule for rule in load_rules(self.vault.home / "sources.toml")}
        delivered = 0
        while stop is None or not stop.is_set():
            data = self._state()
            now = self.clock()
            due = [e for e in data["pending"] if float(e.get("due", 0)) <= now]
            if not due:
                return delivered
            entry = min(due, key=lambda e: float(e["due"]))
            data["pending"].remove(entry)
            rule = rules.get(str(entry.get("key")))
            if rule is not None:
                error = self.deliver(rule.url, Message(entry["title"], entry["body"]))
                if not error:
                    data["delivered"] += 1
                    delivered += 1
                else:
                    self._retry(data, entry, error)
            _write(self.path, data)
        return delivered

    def _retry(self, data: dict[str, Any], entry: dict[str, Any], error: str) -> None:
        entry["attempts"] = int(entry.get("attempts", 0)) + 1
        entry["error"] = error
        if entry["attempts"] >= self.options.attempts:
            self._fail(data, entry, error)
            return
        wait = self.options.backoff * 2 ** (entry["attempts"] - 1)
        entry["due"] = self.clock() + min(wait, self.options.max_backoff)
        data["pending"].append(entry)

    def step(self, stop: threading.Event | None = None) -> int:
        """Scan, then deliver what is due; return the deliveries made."""
        self.scan()
        return self.deliver_due(stop)

    def run(self, stop: threading.Event) -> None:
        """Run steps until `stop` is set, whenever this process holds the queue's lock."""
        try:
            while not stop.is_set():
                with self.exclusive() as mine:
                    while mine and not stop.is_set():
                        self._guarded_step(stop)
                        stop.wait(self.options.poll)
                stop.wait(self.options.poll)
        finally:
            self.vault.index.close()

    def _guarded_step(self, stop: threading.Event) -> None:
        try:
            self.step(stop)
        except OSError as exc:
            full = DiskFull.of(exc, "the alerts wait for room")
            if full is None:
                raise
            log.warning("an alert step failed: %s", full)
        except Exception:  # a bad rule must not end the service's alerts
            log.exception("an alert step failed")


def notify_in_background(vault: Vault, options: Options | None = None) -> Callable[[], None]:
    """Deliver alerts on a thread of its own; return a function that stops it."""
    stop = threading.Event()
    notifier = Notifier(vault, options)
    thread = threading.Thread(target=notifier.run, args=(stop,), name="versionvault-notify")
    thread.daemon = True
    thread.start()

    def halt(timeout: float = 30.0) -> None:
        stop.set()
        thread.join(timeout)

    return halt
