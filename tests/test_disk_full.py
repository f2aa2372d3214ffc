"""A really full disk (a 3 MB tmpfs, as root): one line or a 507, the truth, nothing lost."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from versionvault.archive import Vault, add_editor

from .conftest import git, newsroom_lines, run_process
from .processes import serve_process

PAGE = 4096
LIFEBOAT = "skerrow-lifeboat-rescue"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """Mount a 3 MB tmpfs; unmount it afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the suite as root)")
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill the disk with a file, then give back `leave` pages; return the file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 16, PAGE, 1):
            block = b"\0" * size
            try:
                while os.write(fd, block):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        if leave:
            os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave * PAGE))
    finally:
        os.close(fd)
    return filler


def tip(home: Path) -> str:
    return git("--git-dir", str(home / "articles.git"), "rev-parse", "main").strip()


def commits(home: Path) -> int:
    return int(git("--git-dir", str(home / "articles.git"), "rev-list", "--count", "main"))


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """Assert a run failed with exit 1 and one readable line; return the line."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def sound(home: Path) -> None:
    """After space is back: git fsck is clean, the index caught up, verify agrees."""
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict", "--no-dangling")
    files = (home / "articles.git").rglob("*")
    strays = [p for p in files if p.suffix == ".lock" and p.name != "versionvault.lock"]
    assert not strays, strays
    leftovers = [p.name for p in home.iterdir() if p.suffix == ".tmp"]
    assert not leftovers, leftovers  # no half-written settings or alert queue
    secret = home / "session.key"
    assert not secret.exists() or len(secret.read_bytes().strip()) >= 32
    verified = run_process(home, "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("ok"), verified.stderr
    with Vault.open(home) as vault:
        assert vault.index.last_commit() == tip(home)


@pytest.fixture
def archive(disk: Path) -> tuple[Path, str]:
    """An archive on the small disk with the newsroom samples and an editor; its token."""
    home = disk / "archive"
    with Vault.init(home) as vault:
        vault.import_records(newsroom_lines(), parallel=False)
        token = add_editor(home / "editors.toml", "ann")
    return home, token


def test_on_a_full_disk_reads_work_and_writes_say_one_true_line(
    archive: tuple[Path, str], disk: Path, tmp_path: Path
) -> None:
    home, token = archive
    story = tmp_path / "story.txt"
    story.write_text("A Story\n\nIts first and only paragraph.\n", "utf-8")
    lines = tmp_path / "more.jsonl"
    record = {"id": "bulk", "source": "paper", "title": "T", "body": "Words."}
    lines.write_text(
        "".join(json.dumps({**record, "id": f"bulk-{n}"}) + "\n" for n in range(50)), "utf-8"
    )
    before, count = tip(home), commits(home)
    filler = fill(disk)
    try:
        for command in (["log", LIFEBOAT], ["show", LIFEBOAT, "2"], ["diff", LIFEBOAT], ["verify"]):
            done = run_process(home, *command)
            assert done.returncode == 0, (command, done.stderr)
            assert done.stdout and "Traceback" not in done.stderr, command
        assert run_process(home, "diff", LIFEBOAT, "--format", "json").returncode == 0

        line = one_error_line(run_process(home, "ingest", str(story), "--source", "paper"))
        assert line.startswith("error: no space left on device while writing ")
        assert line.endswith("; nothing was saved")
        line = one_error_line(run_process(home, "import", str(lines)))
        assert "no space left on device" in line and "the 0 revisions before it were saved" in line
        line = one_error_line(run_process(home, "watch", "--once"))
        assert line.endswith("the round stopped; the 0 revisions it saved are kept"), line
        sources = (home / "sources.toml").read_bytes()
        line = one_error_line(run_process(home, "source", "add", "wire", "--rate", "2"))
        assert line == f"error: no space left on device while writing {home}/sources.toml; " + (
            "free some space first"
        )
        assert (home / "sources.toml").read_bytes() == sources
        assert not (home / "sources.tmp").exists()
        assert (tip(home), commits(home)) == (before, count)

        with serve_process(home, tmp_path / "server.log") as server:
            base = server.base
            for path in ("/", f"/articles/{LIFEBOAT}", f"/api/articles/{LIFEBOAT}", "/feed.atom"):
                assert httpx.get(base + path, timeout=30).status_code == 200, path
            for path in ("/status", "/api/status", f"/articles/{LIFEBOAT}/diff?from=1&to=2"):
                assert httpx.get(base + path, timeout=30).status_code == 200, path
            clone = tmp_path / "clone"
            git("clone", "-q", f"{base}/archive.git", str(clone))  # the clone is off the disk
            posted = httpx.post(
                f"{base}/api/articles/new-one/revisions",
                json={"title": "New", "body": "Text.", "source": "paper"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert posted.status_code == 507, posted.text
            assert posted.json()["error"].startswith("no space left on device while writing")
            assert posted.json()["error"].endswith("nothing was saved")
            assert (tip(home), commits(home)) == (before, count)
            log = server.log()
        assert "Traceback" not in log and "Exception in ASGI" not in log, log[-3000:]
    finally:
        filler.unlink()
    sound(home)
    saved = run_process(home, "ingest", str(story), "--source", "paper")
    assert saved.returncode == 0 and saved.stdout.startswith("saved story revision 1 ")


def test_an_ingest_tells_the_truth_at_every_degree_of_full(
    archive: tuple[Path, str], disk: Path, tmp_path: Path
) -> None:
    """Free 0..30 pages, then 200: each ingest is saved (the index maybe behind) or nothing is."""
    home, _ = archive
    outcomes: dict[int, str] = {}
    for leave in [*range(0, 31, 2), 200]:
        story = tmp_path / f"level-{leave}.txt"
        story.write_text(f"Level {leave}\n\nA paragraph at level {leave}.\n", "utf-8")
        before = tip(home)
        filler = fill(disk, leave)
        try:
            done = run_process(home, "ingest", str(story), "--source", "paper")
        finally:
            filler.unlink()
        assert "Traceback" not in done.stderr, done.stderr
        if done.returncode == 1:
            assert one_error_line(done).endswith("; nothing was saved")
            assert tip(home) == before, leave
            outcomes[leave] = "refused"
            continue
        assert done.returncode == 0, done.stderr
        match = re.fullmatch(r"saved level-\d+ revision 1 ([0-9a-f]{40})\n", done.stdout)
        assert match, done.stdout
        assert tip(home) == match.group(1), leave
        if done.stderr:
            assert done.stderr.startswith("warning: no space left on device to update the index")
            outcomes[leave] = "saved, index behind"
        else:
            outcomes[leave] = "saved"
    print(f"ingest outcomes by pages free: {outcomes}")
    assert set(outcomes.values()) == {"refused", "saved, index behind", "saved"}
    sound(home)
    shown = run_process(home, "log", "level-0")
    assert shown.returncode in (0, 1)


def test_an_import_says_how_much_it_saved_when_the_disk_fills(
    archive: tuple[Path, str], disk: Path, tmp_path: Path
) -> None:
    """Imports of 300 lines (batches of 100 and 200) with ever more room: the count is true."""
    home, _ = archive
    outcomes: dict[int, str] = {}
    for leave in (0, 4, 8, 16, 32, 64, 128, 256):
        lines = tmp_path / f"import-{leave}.jsonl"
        with lines.open("w", encoding="utf-8") as out:
            for n in range(300):
                body = f"Line {n} of the import with {leave} pages free."
                record = {"id": f"i{leave}-{n}", "source": "bulk", "title": f"T{n}", "body": body}
                out.write(json.dumps(record) + "\n")
        count = commits(home)
        filler = fill(disk, leave)
        try:
            done = run_process(home, "import", str(lines))
        finally:
            filler.unlink()
        added = commits(home) - count
        assert "Traceback" not in done.stderr, done.stderr
        if done.returncode == 0:
            assert done.stdout.startswith("imported 300 revisions") and added == 300
            behind = done.stderr.startswith("warning: no space left on device to update the index")
            assert behind or not done.stderr, done.stderr
            outcomes[leave] = "all saved, index behind" if behind else "all saved"
            continue
        line = one_error_line(done)
        assert "no space left on device while writing" in line, line
        said = re.search(r"the import stopped at line (\d+): the (\d+) revisions before it", line)
        assert said and int(said.group(2)) == added, (line, added)
        assert int(said.group(1)) == added + 1
        outcomes[leave] = f"stopped, {added} saved"
    print(f"import outcomes by pages free: {outcomes}")
    assert "stopped, 0 saved" in outcomes.values() and "all saved" in outcomes.values()
    sound(home)


def test_the_write_api_answers_201_or_507_and_means_it(
    archive: tuple[Path, str], disk: Path, tmp_path: Path
) -> None:
    """A running server, the disk filled to 0..40 free pages under it: 201 is saved, 507 is not."""
    home, token = archive
    outcomes: dict[int, int] = {}
    with serve_process(home, tmp_path / "server.log") as server:
        for leave in [*range(0, 41, 2), 200]:
            before = tip(home)
            filler = fill(disk, leave)
            try:
                posted = httpx.post(
                    f"{server.base}/api/articles/api-{leave}/revisions",
                    json={"title": f"Level {leave}", "body": "Some text.", "source": "paper"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
            finally:
                filler.unlink()
            outcomes[leave] = posted.status_code
            if posted.status_code == 507:
                assert posted.json()["error"].endswith("; nothing was saved"), posted.text
                assert tip(home) == before
            else:
                assert posted.status_code == 201, posted.text
                assert tip(home) == posted.json()["commit"]
        assert httpx.get(f"{server.base}/api/articles/api-200", timeout=30).status_code == 200
        log = server.log()
    print(f"write API answers by pages free: {outcomes}")
    assert {201, 507} <= set(outcomes.values())
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-3000:]
    sound(home)
