"""Tests for read replicas: clone and sync a primary served on 127.0.0.1, refuse writes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from versionvault.archive import ReadOnlyReplica, Vault, add_editor
from versionvault.text import make_article
from versionvault.web import create_app

from .conftest import git, newsroom_lines, run_cli
from .serving import free_port, serve

STORY = make_article(
    id="harbour-ferry-timetable",
    source="harbour-courier",
    title="Ferry timetable changes from Monday",
    url="https://harbour-courier.example/news/ferry-timetable",
    body="The island ferry will leave at 7.10, not 7.00, from Monday.\n",
)


def _tip(home: Path) -> str:
    return git("--git-dir", str(home / "articles.git"), "rev-parse", "main").strip()


def test_a_replica_clones_syncs_and_serves_what_the_primary_has(
    vault: Vault, home: Path, tmp_path: Path
) -> None:
    vault.import_records(newsroom_lines())
    replica = tmp_path / "replica"
    second = tmp_path / "second"
    with serve(create_app(vault)) as base:
        made = run_cli(replica, "replica", "init", base + "/")
        assert made.exit_code == 0, made.output
        articles, revisions = vault.index.counts()
        assert made.output.strip() == (
            f"replica of {base} at {replica}: {articles} articles, {revisions} revisions"
        )
        assert run_cli(second, "replica", "init", f"{base}/archive.git").exit_code == 0
        assert _tip(replica) == _tip(second) == _tip(home)
        git("--git-dir", str(replica / "articles.git"), "fsck", "--strict")
        assert (replica / "sources.toml").is_file() and (replica / "editors.toml").is_file()
        config = git("--git-dir", str(replica / "articles.git"), "config", "versionvault.primary")
        assert config.strip() == base

        saved = vault.save_revision(STORY)
        packs = set((replica / "articles.git" / "objects" / "pack").glob("*.idx"))
        synced = run_cli(replica, "replica", "sync")
        assert synced.exit_code == 0, synced.output
        assert synced.output.strip() == (
            f"synced from {base}: main at {saved.commit[:12]}, indexed 1 commits"
        )
        fetched = set((replica / "articles.git" / "objects" / "pack").glob("*.idx")) - packs
        assert len(fetched) == 1  # incremental: only what the primary's new commit brought
        with fetched.pop().open("rb") as idx:
            listing = subprocess.run(["git", "show-index"], stdin=idx, capture_output=True)
        assert 4 <= len(listing.stdout.splitlines()) <= 12
        again = run_cli(replica, "replica", "sync")
        assert again.output.strip() == f"up to date with {base} at {saved.commit[:12]}"
        assert _tip(replica) == _tip(home) != _tip(second)
        assert run_cli(replica, "verify").exit_code == 0

    with Vault.open(replica) as copy, TestClient(create_app(copy)) as client:
        assert copy.index.counts() == vault.index.counts()
        assert [r.commit for r in copy.history(STORY.id)] == [saved.commit]
        page = client.get(f"/articles/{STORY.id}")
        assert page.status_code == 200 and "7.10" in page.text
        api = client.get(f"/api/articles/{STORY.id}").json()
        assert api["revisions"][0]["commit"] == saved.commit
        for path in ("/", "/feed.atom", "/articles?q=ferry", "/api/articles", "/status"):
            assert client.get(path).status_code == 200, path
        assert vault.diff("skerrow-lifeboat-rescue").as_dict() == (
            copy.diff("skerrow-lifeboat-rescue").as_dict()
        )


def test_a_replica_refuses_every_write_and_says_where_the_primary_is(
    vault: Vault, home: Path, tmp_path: Path
) -> None:
    vault.import_records(newsroom_lines("harbour-board-budget-2026"))
    replica = tmp_path / "replica"
    with serve(create_app(vault)) as base:
        assert run_cli(replica, "replica", "init", base).exit_code == 0
    token = add_editor(replica / "editors.toml", "ann")
    before = _tip(replica)
    story = tmp_path / "story.txt"
    story.write_text("Ferry timetable\n\nThe ferry leaves at 7.10.\n", "utf-8")
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text(newsroom_lines("skerrow-lifeboat-rescue")[0] + "\n", "utf-8")
    for args in (
        ("ingest", str(story), "--source", "harbour-courier"),
        ("import", str(jsonl)),
        ("watch", "--once"),
    ):
        refused = run_cli(replica, *args)
        assert refused.exit_code == 1, args
        assert refused.output == (
            f"error: this archive is a read-only replica: write to its primary at {base}\n"
        )
    with Vault.open(replica) as copy:
        assert copy.primary == base
        try:
            copy.record_event("harbour-board-budget-2026", "removed")
        except ReadOnlyReplica as exc:
            assert exc.primary == base
        else:
            raise AssertionError("a replica recorded an event")
        with TestClient(create_app(copy)) as client:
            for path, payload in (
                ("/api/articles/harbour-board-budget-2026/revisions", {"title": "T", "body": "B"}),
                ("/api/articles/harbour-board-budget-2026/events", {"event": "removed"}),
            ):
                response = client.post(
                    path, json=payload, headers={"Authorization": f"Bearer {token}"}
                )
                assert response.status_code == 403
                assert response.json() == {
                    "error": "this site is a read-only replica: "
                    f"send writes to its primary at {base}",
                    "primary": base,
                }
            assert client.get("/api/articles/harbour-board-budget-2026").status_code == 200
    assert _tip(replica) == before


def test_a_replica_follows_a_rewritten_main(vault: Vault, home: Path, tmp_path: Path) -> None:
    vault.import_records(newsroom_lines())
    replica = tmp_path / "replica"
    with serve(create_app(vault)) as base:
        assert run_cli(replica, "replica", "init", base).exit_code == 0
        history = git("--git-dir", str(home / "articles.git"), "rev-list", "main").split()
        git("--git-dir", str(home / "articles.git"), "update-ref", "refs/heads/main", history[5])
        vault.index.catch_up(vault.store)  # the primary rebuilds its index from the new main
        vault.save_revision(STORY)
        synced = run_cli(replica, "replica", "sync")
        assert synced.exit_code == 0, synced.output
        assert "main was rewritten; reindexed" in synced.output
    assert _tip(replica) == _tip(home)
    with Vault.open(replica) as copy:
        assert copy.index.counts() == vault.index.counts()
        assert run_cli(replica, "verify").exit_code == 0


def test_replica_commands_fail_with_one_line(vault: Vault, home: Path, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    nowhere = tmp_path / "nowhere"
    failed = run_cli(nowhere, "replica", "init", f"http://127.0.0.1:{port}")
    assert failed.exit_code == 1
    assert failed.output.startswith(
        f"error: cannot fetch from the primary at http://127.0.0.1:{port}"
    )
    assert failed.output.count("\n") == 1
    assert not nowhere.exists()
    for url in ("ftp://example.org/archive.git", "not a url", "http://h/x?y=1"):
        bad = run_cli(nowhere, "replica", "init", url)
        assert bad.exit_code == 1 and bad.output.startswith("error: a primary is an http(s)")
    on_primary = run_cli(home, "replica", "init", "http://127.0.0.1:1")
    assert on_primary.output == f"error: there is already an archive at {home}\n"
    not_replica = run_cli(home, "replica", "sync")
    assert not_replica.exit_code == 1
    assert "not a replica" in not_replica.output
    with serve(create_app(vault)) as base:
        replica = tmp_path / "replica"
        assert run_cli(replica, "replica", "init", base).exit_code == 0
    down = run_cli(replica, "replica", "sync")  # the primary is gone now
    assert down.exit_code == 1 and down.output.startswith("error: cannot fetch from the primary")
    elsewhere = run_cli(replica, "serve", "--replica", "http://127.0.0.1:1")
    assert elsewhere.output == (
        f"error: the archive at {replica} is a replica of {base}, "
        "not a replica of http://127.0.0.1:1\n"
    )
    primary = run_cli(home, "serve", "--replica", base)
    assert primary.output == (
        f"error: the archive at {home} is a primary archive, not a replica of {base}\n"
    )
    watching = run_cli(replica, "serve", "--replica", base, "--watch")
    assert watching.exit_code == 1 and "watch --remote" in watching.output


def test_serve_replica_syncs_in_the_background(vault: Vault, home: Path, tmp_path: Path) -> None:
    vault.import_records(newsroom_lines("harbour-board-budget-2026"))
    replica = tmp_path / "replica"
    port = free_port()
    with serve(create_app(vault)) as base:
        command = ["serve", "--replica", base, "--sync-interval", "1", "--port", str(port)]
        process = subprocess.Popen(
            [sys.executable, "-m", "versionvault", "--archive", str(replica), *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            site = f"http://127.0.0.1:{port}"
            first = _poll(f"{site}/api/articles/harbour-board-budget-2026", process)
            assert len(first["revisions"]) == 4
            saved = vault.save_revision(STORY)
            second = _poll(f"{site}/api/articles/{STORY.id}", process)
            assert second["revisions"][0]["commit"] == saved.commit
            refused = httpx.post(f"{site}/api/articles/{STORY.id}/revisions", json={})
            assert refused.status_code == 403 and refused.json()["primary"] == base
            clone = tmp_path / "clone"
            git("clone", "-q", f"{site}/archive.git", str(clone))
            assert git("rev-parse", "HEAD", cwd=clone).strip() == saved.commit
        finally:
            process.terminate()
            output, _ = process.communicate(timeout=30)
    assert f"a read-only replica of {base}, synced every 1 s" in output
    assert f"synced from {base}: main at {saved.commit[:12]}" in output


def _poll(url: str, process: subprocess.Popen[str], seconds: float = 60) -> dict[str, object]:
    """GET `url` until it answers 200; return its JSON."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the replica's server stopped"
        try:
            response = httpx.get(url, timeout=5)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            data = response.json()
            assert isinstance(data, dict)
            return data
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered 200")


def test_synced_replicas_hold_the_same_index_rows(vault: Vault, tmp_path: Path) -> None:
    vault.import_records(newsroom_lines())
    vault.record_event("lower-quay-fish-market-closure", "removed", note="HTTP 410")
    replica = tmp_path / "replica"
    with serve(create_app(vault)) as base:
        assert run_cli(replica, "replica", "init", base).exit_code == 0
    with Vault.open(replica) as copy:
        mine = [json.dumps(r.as_dict(), sort_keys=True) for r in vault.index.all_revisions()]
        theirs = [json.dumps(r.as_dict(), sort_keys=True) for r in copy.index.all_revisions()]
        assert mine == theirs
        events = copy.events("lower-quay-fish-market-closure")
        assert [e.event for e in events] == ["removed"]
        assert events == vault.events("lower-quay-fish-market-closure")
