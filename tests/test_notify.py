"""Tests for alerts: rules in sources.toml, the queue off the write path, retries, restarts."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from versionvault.archive import (
    Notifier,
    Options,
    Rule,
    Vault,
    add_editor,
    add_rule,
    alert_status,
    load_rules,
    notify_in_background,
    start_queue,
)
from versionvault.text import make_article
from versionvault.web import create_app

from .conftest import run_cli
from .serving import free_port, serve

BODY = (
    "The council met on Monday and agreed the plan.\n\n"
    'It will cost "ten" million pounds over five years.'
)
BASE = "https://vv.example"


class Target:
    """A local HTTP service standing in for an alert target: it records, fails or hangs."""

    def __init__(self, fail_first: int = 0, hang: float = 0.0, port: int = 0) -> None:
        self.fail_first, self.hang = fail_first, hang
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.attempts = 0
        self._lock = threading.Lock()
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                with target._lock:
                    target.attempts += 1
                    failing = target.attempts <= target.fail_first
                if target.hang:
                    time.sleep(target.hang)
                if not failing:
                    with target._lock:
                        target.received.append((self.path, data))
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/", options: str = "") -> str:
        return f"json://127.0.0.1:{self.port}{path}{options}"

    def paths(self) -> list[tuple[str, str]]:
        return [(path, data["title"]) for path, data in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def target() -> Iterator[Target]:
    service = Target()
    yield service
    service.close()


def _save(vault: Vault, title: str = "Council agrees plan", body: str = BODY, **kw: str) -> Any:
    article = make_article(
        id=kw.pop("id", "story"), source=kw.pop("source", "paper"), title=title, body=body
    )
    return vault.save_revision(article, **kw)


def _wait(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _rules(vault: Vault, *rules: Rule) -> None:
    for rule in rules:
        add_rule(vault.home / "sources.toml", rule)
    start_queue(vault)


def test_exactly_the_matching_revisions_are_sent(vault: Vault, target: Target) -> None:
    _rules(
        vault,
        Rule(target.url("/a"), source="paper", kinds=("substantive",)),
        Rule(target.url("/b"), headline=True),
        Rule(target.url("/c"), min_words=8),
    )
    cost = BODY.replace("ten", "twelve")
    curly = cost.replace('"', "\u201c", 1).replace('"', "\u201d", 1)
    _save(vault)  # new: substantive, 18 words
    _save(vault, body=cost)  # minor: one word
    _save(vault, body=curly)  # typography
    _save(vault, "Council agrees costly plan", curly, note="headline sharpened")
    _save(
        vault,
        "Council agrees costly plan",
        curly + "\n\nThe opposition said the figures did not add up and asked for an inquiry.",
    )
    _save(vault, "Wire", "Short wire text here.", id="wire-note", source="wire")
    _save(
        vault,
        "Wire",
        "Short wire text here, updated with many more words about the plan.",
        id="wire-note",
        source="wire",
    )
    notifier = Notifier(vault, Options(base_url=BASE))
    assert notifier.step() == 7
    assert notifier.step() == 0
    assert sorted(target.paths()) == sorted(
        [
            ("/a", "paper: Council agrees plan"),
            ("/a", "paper: Council agrees costly plan"),
            ("/a", "paper: Council agrees costly plan"),
            ("/b", "paper: Council agrees costly plan"),
            ("/c", "paper: Council agrees plan"),
            ("/c", "paper: Council agrees costly plan"),
            ("/c", "wire: Wire"),
        ]
    )
    headline = next(data for path, data in target.received if path == "/b")
    history = vault.history("story")
    assert headline["message"].splitlines() == [
        "no word changes; headline changed; substantive",
        "Note: headline sharpened",
        f"{BASE}/articles/story/diff?from={history[2].commit}&to={history[3].commit}",
    ]
    first = next(data for path, data in target.received if path == "/c")
    assert first["message"].startswith("new article, 18 words")
    assert alert_status(vault.home)["delivered"] == 7


def test_a_failing_target_is_retried_with_backoff(vault: Vault) -> None:
    flaky = Target(fail_first=2)
    try:
        _rules(vault, Rule(flaky.url()))
        _save(vault)
        notifier = Notifier(vault, Options(backoff=0.2))
        assert notifier.step() == 0
        waiting = alert_status(vault.home)
        assert waiting["pending"] == 1 and waiting["retrying"][0]["attempts"] == 1
        assert "500" in waiting["retrying"][0]["error"] or waiting["retrying"][0]["error"]
        assert notifier.step() == 0  # not due yet: backoff
        assert _wait(lambda: notifier.step() == 1 or len(flaky.received) == 1)
        assert flaky.attempts == 3 and len(flaky.received) == 1
        assert alert_status(vault.home)["pending"] == 0
    finally:
        flaky.close()


def test_alerts_survive_a_restart_and_a_reindex_without_repeats(home: Path) -> None:
    port = free_port()  # nothing listens here yet: deliveries fail
    url = f"json://127.0.0.1:{port}/"
    with Vault.open(home) as vault:
        _rules(vault, Rule(url))
        _save(vault)
        _save(vault, body=BODY + "\n\nA second paragraph.")
        assert Notifier(vault, Options(backoff=0.3)).step() == 0
    waiting = alert_status(home)
    assert waiting["pending"] == 2 and [e["attempts"] for e in waiting["retrying"]] == [1, 1]
    revived = Target(port=port)
    try:
        with Vault.open(home) as vault:  # a new process, as after a restart
            notifier = Notifier(vault)
            assert _wait(lambda: notifier.step() >= 0 and len(revived.received) == 2)
            vault.reindex()
            _save(vault, body=BODY + "\n\nA third paragraph.")
            assert Notifier(vault).step() == 1
            assert Notifier(vault).step() == 0
        assert len(revived.received) == 3
    finally:
        revived.close()


def _median_save(vault: Vault, count: int, tag: str) -> float:
    times = []
    for k in range(count):
        started = time.perf_counter()
        _save(vault, body=f"{BODY}\n\n{tag} paragraph number {k}.")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_a_hanging_or_failing_target_does_not_slow_saves(vault: Vault) -> None:
    _save(vault)
    baseline = _median_save(vault, 8, "baseline")
    hanging, failing = Target(hang=2.0), Target(fail_first=10**6)
    try:
        _rules(vault, Rule(hanging.url("/", "?rto=1")), Rule(failing.url()))
        halt = notify_in_background(vault, Options(poll=0.02, backoff=0.05))
        try:
            _save(vault, body=BODY + "\n\nThe first alert of this test.")
            assert _wait(lambda: hanging.attempts >= 1 or failing.attempts >= 1)
            loaded = _median_save(vault, 8, "loaded")
            assert _wait(lambda: hanging.attempts >= 2 and failing.attempts >= 3)
        finally:
            halt()
    finally:
        hanging.close()
        failing.close()
    print(f"median save: {baseline * 1000:.1f} ms alone, {loaded * 1000:.1f} ms with the targets")
    assert loaded < 3 * baseline + 0.05
    retrying = alert_status(vault.home)["retrying"]
    assert retrying and all(entry["attempts"] >= 1 for entry in retrying)


def test_alerts_of_api_saves_arrive_and_failures_show_on_status(
    vault: Vault, target: Target
) -> None:
    broken = Target(fail_first=10**6)
    secret_url = f"json://editor:s3cretpass@127.0.0.1:{broken.port}/"
    try:
        _rules(vault, Rule(target.url("/hook")), Rule(secret_url))
        token = add_editor(vault.home / "editors.toml", "ann")
        halt = notify_in_background(vault, Options(base_url=BASE, poll=0.05, backoff=60))
        try:
            with serve(create_app(vault)) as base:
                posted = httpx.post(
                    f"{base}/api/articles/story/revisions",
                    json={"title": "Council agrees plan", "body": BODY, "source": "paper"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert posted.status_code == 201
                assert _wait(lambda: len(target.received) == 1 and broken.attempts >= 1)
                assert _wait(lambda: bool(alert_status(vault.home)["retrying"]))
                page = httpx.get(f"{base}/status").text
                status = httpx.get(f"{base}/api/status").json()["alerts"]
        finally:
            halt()
    finally:
        broken.close()
    assert target.received[0][1]["title"] == "paper: Council agrees plan"
    assert "Alerts" in page and "s3cretpass" not in page and "editor:****@127.0.0.1" in page
    assert status["delivered"] == 1 and status["retrying"][0]["rule"].startswith("json://editor:")
    assert "s3cretpass" not in json.dumps(status)


def test_notify_commands_keep_rules_in_sources_toml_and_mask_secrets(
    home: Path, target: Target
) -> None:
    secret = f"json://me:hunter22@127.0.0.1:{target.port}/x"
    added = run_cli(home, "notify", "add", secret, "--source", "paper", "--kind", "substantive")
    assert added.exit_code == 0, added.output
    assert "hunter22" not in added.output and "--source paper --kind substantive" in added.output
    assert (
        run_cli(home, "notify", "add", target.url("/y"), "--headline", "--min", "5").exit_code == 0
    )
    assert (
        run_cli(home, "source", "add", "paper", "--feed", "https://paper.example/rss").exit_code
        == 0
    )
    rules = load_rules(home / "sources.toml")
    assert [r.url for r in rules] == [secret, target.url("/y")]
    assert rules[1].headline and rules[1].min_words == 5
    listing = run_cli(home, "notify", "list")
    assert listing.exit_code == 0 and "hunter22" not in listing.output
    assert listing.output.splitlines()[0].startswith("1\tjson://me:****@127.0.0.1")
    tested = run_cli(home, "notify", "test")
    assert tested.exit_code == 0 and tested.output.count("sent:") == 2
    assert [data["title"] for _, data in target.received] == ["VersionVault: test alert"] * 2
    removed = run_cli(home, "notify", "remove", "1")
    assert removed.exit_code == 0 and "hunter22" not in removed.output
    assert [r.url for r in load_rules(home / "sources.toml")] == [target.url("/y")]
    bad = run_cli(home, "notify", "add", "nosuchservice://x/y")
    assert bad.exit_code == 1 and bad.output.count("\n") == 1 and "Apprise" in bad.output
    assert run_cli(home, "notify", "remove", "7").exit_code == 1
    assert run_cli(home, "notify", "add", "x", "--kind", "huge").exit_code == 2
    down = run_cli(home, "notify", "test", "1")
    target.close()
    assert down.exit_code == 0
    failed = run_cli(home, "notify", "test")
    assert failed.exit_code == 1 and "failed:" in failed.output


def test_ingest_never_sends_and_watch_once_delivers(home: Path, target: Target) -> None:
    story = home.parent / "story.md"
    story.write_text(f"---\ntitle: Council agrees plan\nsource: paper\n---\n\n{BODY}\n")
    assert run_cli(home, "notify", "add", target.url("/w")).exit_code == 0
    assert run_cli(home, "ingest", str(story), "--id", "story").exit_code == 0
    assert target.received == []
    done = run_cli(home, "watch", "--once", "--base-url", "https://diffs.example/")
    assert done.exit_code == 0, done.output
    assert [path for path, _ in target.received] == ["/w"]
    assert "https://diffs.example/articles/story/revisions/" in target.received[0][1]["message"]


def test_status_page_without_alerts(vault: Vault) -> None:
    page = TestClient(create_app(vault)).get("/status")
    assert page.status_code == 200 and "0 alerts delivered, 0 waiting" in page.text
