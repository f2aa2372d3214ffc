"""Tests that secrets are never shown: mirror credentials, editors' tokens and URL tokens."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from versionvault.archive import Vault, add_editor, add_mirror, add_source, load_editors, redact

from .conftest import SEED, run_cli, run_process
from .serving import free_port
from .test_watch import TEXT, Site, article_page, feed

PASSWORD = "S3cr3tPassw0rd"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://user:TOKEN@host/x.git", "https://user:***@host/x.git"),
        ("https://TOKEN@github.example/a/b.git", "https://***@github.example/a/b.git"),
        ("push to http://u:p@ss@host:8/x failed: a@b", "push to http://u:***@host:8/x failed: a@b"),
        ("ssh://git@host/x.git", "ssh://git@host/x.git"),
        ("git@host:a/b.git", "git@host:a/b.git"),
        ("/srv/mirror.git", "/srv/mirror.git"),
        (
            "GET /api/articles?access_token=abc&q=x HTTP/1.1",
            "GET /api/articles?access_token=***&q=x HTTP/1.1",
        ),
        ("/feed?author=ann&private_token=zz", "/feed?author=ann&private_token=***"),
    ],
)
def test_redact(text: str, shown: str) -> None:
    assert redact(text) == shown


class Refusing:
    """A Git host in a thread that answers every request 401, as to a wrong password."""

    def __init__(self) -> None:
        self.requests = 0
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.requests += 1
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://archivist:{PASSWORD}@127.0.0.1:{self.server.server_address[1]}/x.git"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def refusing() -> Iterator[Refusing]:
    host = Refusing()
    yield host
    host.close()


def test_mirror_credentials_never_reach_the_cli(home: Path, refusing: Refusing) -> None:
    added = run_cli(home, "mirror", "add", refusing.url)
    assert added.exit_code == 0 and "archivist:***@" in added.output
    listed = run_cli(home, "mirror", "list")
    assert listed.output.strip() == redact(refusing.url)
    closed = f"https://archivist:{PASSWORD}@127.0.0.1:{free_port()}/y.git"
    assert run_cli(home, "mirror", "add", closed).exit_code == 0
    ingested = run_process(home, "ingest", str(SEED), "--source", "newschina")
    assert ingested.returncode == 0
    assert ingested.stderr.count("warning: ") == 2, ingested.stderr  # both pushes failed
    pushed = run_process(home, "mirror", "push")
    assert pushed.returncode == 1
    assert len(pushed.stderr.strip().splitlines()) == 1, pushed.stderr
    for target in (refusing.url, closed):
        one = run_process(home, "mirror", "push", target)
        assert one.returncode == 1 and len(one.stderr.strip().splitlines()) == 1, one.stderr
        assert "archivist:***@" in one.stderr
        everything = one.stdout + one.stderr + ingested.stdout + ingested.stderr
        assert PASSWORD not in everything + pushed.stdout + pushed.stderr + listed.output
    assert refusing.requests > 0
    assert stat.S_IMODE((home / "sources.toml").stat().st_mode) == 0o600


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_editors_toml_is_private(home: Path) -> None:
    editors = home / "editors.toml"
    assert _mode(editors) == 0o600
    add_editor(editors, "ann")
    assert _mode(editors) == 0o600
    os.chmod(editors, 0o644)
    Vault.open(home).close()
    assert _mode(editors) == 0o600
    os.chmod(editors, 0o640)
    assert "ann" in load_editors(editors)
    assert _mode(editors) == 0o600


def _start_server(home: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "versionvault",
            "--archive",
            str(home),
            "serve",
            "--port",
            str(port),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/api/status", timeout=1)
            return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def _stop(server: subprocess.Popen[str]) -> str:
    server.terminate()
    out, err = server.communicate(timeout=30)
    return out + err


def test_a_token_in_the_query_string_is_refused_and_never_logged(home: Path) -> None:
    token = add_editor(home / "editors.toml", "ann")
    server, base = _start_server(home)
    try:
        listed = httpx.get(f"{base}/api/articles?access_token={token}&q=harbour")
        assert listed.status_code == 200
        posted = httpx.post(
            f"{base}/api/articles/story/revisions?access_token={token}",
            json={"title": "T", "body": "B", "source": "paper"},
        )
        assert posted.status_code == 400 and "Authorization" in posted.json()["error"]
    finally:
        log = _stop(server)
    assert "GET /api/articles?access_token=***&q=harbour" in log, log
    assert "/api/articles/story/revisions?access_token=***" in log
    assert token not in log


def test_a_failing_mirror_in_a_watch_round_shows_no_password(
    home: Path, refusing: Refusing
) -> None:
    site = Site()
    try:
        site.put("/news/one", article_page("One", ["Item one.", *TEXT]))
        site.put("/feed.xml", feed(site, [("One", "/news/one", "s1")]), kind="application/rss+xml")
        add_source(home / "sources.toml", "paper", (site.url("/feed.xml"),), (), rate=6000)
        add_mirror(home / "sources.toml", refusing.url)
        server, base = _start_server(home, "--watch", "--interval", "3600")
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                data = httpx.get(base + "/api/status").json()
                if data["last_round"]:
                    break
                time.sleep(0.2)
            served = httpx.get(base + "/api/status").text + httpx.get(base + "/status").text
        finally:
            log = _stop(server)
        site.put("/news/one", article_page("One", ["Item one, changed.", *TEXT]))
        watched = run_process(home, "watch", "--once", site.url("/news/one"))
    finally:
        site.close()
    assert data["last_round"]["saved"] == 1, data
    mirror = [w for w in data["warnings"] if w["kind"] == "mirror"]
    assert mirror and "archivist:***@" in mirror[0]["message"], data["warnings"]
    assert "archivist:***@" in served
    assert "archivist:***@" in log, log
    assert refusing.requests > 0
    assert "1 saved" in watched.stdout and "archivist:***@" in watched.stderr, watched
    everything = served + log + watched.stdout + watched.stderr
    assert PASSWORD not in everything
