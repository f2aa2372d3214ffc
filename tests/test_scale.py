"""Tests of the archive at scale: dated layout, flat archives, captures, packs, resumed imports."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from versionvault.archive import Store, Vault, packing
from versionvault.archive.paths import article_path, capture_path, check_path, names
from versionvault.archive.revise import checked_record, measure, new_commit
from versionvault.text import Article, format_article, make_article

from .conftest import git, run_cli, run_process

CORPUS = Path(__file__).resolve().parents[1] / "bench" / "newsedits.py"
ARCHIVED = "2026-01-02T03:04:05+00:00"


def _corpus(path: Path, revisions: int, words: str = "120-300") -> list[str]:
    """Write a NewsEdits-shaped corpus (bench/newsedits.py, shorter articles) to `path`."""
    done = subprocess.run(
        [sys.executable, str(CORPUS), "--revisions", str(revisions), "--words", words],
        capture_output=True,
        text=True,
        check=True,
    )
    path.write_text(done.stdout, "utf-8")
    return done.stdout.splitlines()


def _story(body: str, article_id: str = "story", source: str = "paper") -> Article:
    return make_article(id=article_id, source=source, title="T", body=body, url="https://p/s")


def _files(repo: Path) -> list[str]:
    return git("--git-dir", str(repo), "ls-tree", "-r", "--name-only", "main").split()


def _commits(repo: Path) -> int:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), "rev-list", "--count", "main"],
        capture_output=True,
        text=True,
    )
    return int(done.stdout) if done.returncode == 0 else 0


def test_a_clone_holds_each_article_under_the_utc_day_it_was_first_seen(
    vault: Vault, home: Path, tmp_path: Path
) -> None:
    late = datetime(2024, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-2)))  # 2 March, UTC
    vault.save_revision(_story("First text."), observed=late)
    page = b"<html><body><p>Second text.</p>\xff\x00</body></html>"  # bytes as received
    record = checked_record(_story("Second text."), late + timedelta(days=4), "", "", "")
    change = measure(vault.text(vault.revision("story")), record.article)
    with vault.store.transaction() as txn:  # a revision kept with the page it was read from
        second = txn.add(new_commit(record, 2, change, "paper/2024/03/02/story.md", capture=page))
    vault.index.catch_up(vault.store)
    vault.save_revision(_story("Other.", "other"), observed=datetime(2024, 3, 1, 10, 0, tzinfo=UTC))
    vault.import_records(
        [json.dumps({"id": "wire-1", "source": "wire", "title": "W", "body": "B."})]
    )
    repo = home / "articles.git"
    today = vault.history("wire-1")[0].observed[:10].replace("-", "/")
    assert _files(repo) == [
        "captures/paper/2024/03/02/story.html",
        "paper/2024/03/01/other.md",
        "paper/2024/03/02/story.md",  # revision 2, seen on the 6th, stays where it began
        f"wire/{today}/wire-1.md",
    ]
    clone = tmp_path / "clone"
    git("clone", "-q", f"file://{repo}", str(clone))
    assert (clone / "captures/paper/2024/03/02/story.html").read_bytes() == page
    stored = (clone / "paper/2024/03/02/story.md").read_text("utf-8")
    assert stored == vault.stored_file(vault.revision("story"))
    git("--git-dir", str(repo), "fsck", "--strict", "--no-dangling")
    assert vault.store.capture(second.sha) == page
    assert vault.store.capture(vault.revision("story", 1).commit) is None
    assert vault.index.path_of("story") == "paper/2024/03/02/story.md"
    assert vault.verify() == []
    message = git("--git-dir", str(repo), "log", "-1", "--format=%B", second.sha)
    assert "Path: paper/2024/03/02/story.md\n" in message
    before = list(vault.index.all_revisions())
    assert vault.reindex() == 4 and list(vault.index.all_revisions()) == before


def _legacy_commit(work: Path, path: str, article: Article, number: int, when: str) -> None:
    """Commit one revision as VersionVault wrote them before the fan-out: flat, no Path."""
    (work / path).parent.mkdir(parents=True, exist_ok=True)
    (work / path).write_text(format_article(article), "utf-8")
    trailers = [
        f"Article: {article.id}",
        f"Source: {article.source}",
        f"Revision: {number}",
        "Words: +2 -0",
        "Kind: substantive",
        f"Url: {article.url}",
        f"Observed: {when}",
    ]
    message = f"{article.id}: revision {number}\n\n+2 -0 words\n\n" + "\n".join(trailers) + "\n"
    env = {
        **os.environ,
        **{
            f"GIT_{who}_{part}": value
            for who in ("AUTHOR", "COMMITTER")
            for part, value in (
                ("NAME", "paper"),
                ("EMAIL", "paper@versionvault.invalid"),
                ("DATE", when),
            )
        },
    }
    subprocess.run(["git", "add", path], cwd=work, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=work, check=True, env=env)


def test_a_flat_archive_stays_flat_readable_and_verifiable(tmp_path: Path) -> None:
    home, work = tmp_path / "old", tmp_path / "work"
    git("init", "-q", "-b", "main", str(work))
    for n, body in enumerate(["One two.", "One two three."], start=1):
        _legacy_commit(work, "paper/story.md", _story(body), n, f"2024-03-0{n}T12:00:00+00:00")
    git("init", "-q", "--bare", "-b", "main", str(home / "articles.git"))
    git("push", "-q", str(home / "articles.git"), "main", cwd=work)
    with Vault.init(home) as vault:  # an existing repository keeps its (unrecorded) layout
        assert vault.store.layout == "flat"
        assert [r.number for r in vault.history("story")] == [1, 2]
        assert vault.text(vault.revision("story")).body == "One two three.\n"
        assert vault.verify() == []
        third = vault.save_revision(_story("One two three four."))
        vault.save_revision(_story("Fresh.", "fresh"))
        assert vault.verify() == []
    repo = home / "articles.git"
    assert _files(repo) == ["paper/fresh.md", "paper/story.md"]  # no layouts mixed
    assert "Path: paper/story.md\n" in git("--git-dir", str(repo), "log", "-1", third.commit)
    git("--git-dir", str(repo), "fsck", "--strict", "--no-dangling")
    with sqlite3.connect(home / "index.sqlite3") as db:  # an index from before articles had paths
        db.execute("ALTER TABLE articles DROP COLUMN path")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    with Vault.open(home) as vault:
        assert vault.index.path_of("story") == "paper/story.md"
        assert vault.verify() == []


def test_verify_finds_a_commit_that_changes_a_file_it_does_not_name(
    vault: Vault, home: Path, tmp_path: Path
) -> None:
    vault.save_revision(_story("Story text."))
    vault.save_revision(_story("Other text.", "other"))
    repo = home / "articles.git"
    work = tmp_path / "work"
    git("clone", "-q", f"file://{repo}", str(work))
    story, other = vault.index.path_of("story"), vault.index.path_of("other")
    assert story and other
    (work / story).write_text(format_article(_story("Story text, changed.")), "utf-8")
    (work / other).write_text("tampered\n", "utf-8")
    first = vault.revision("story").commit
    message = git("--git-dir", str(repo), "log", "-1", "--format=%B", first)
    git(
        "commit",
        "-qam",
        message.replace("revision 1", "revision 2").replace("Revision: 1", "Revision: 2"),
        cwd=work,
    )
    git("push", "-q", "origin", "main", cwd=work)
    with Vault.open(home) as reopened:
        problems = reopened.verify()
    assert any(f"changes {other}, which it does not name" in p for p in problems), problems


@given(
    st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", fullmatch=True),
    st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", fullmatch=True),
    st.datetimes(datetime(1970, 1, 2), datetime(2099, 12, 30), timezones=st.timezones()),
    st.sampled_from(["dated", "flat"]),
)
@settings(max_examples=200, deadline=None)
def test_every_article_path_is_safe_and_names_its_article(
    source: str, article_id: str, seen: datetime, layout: str
) -> None:
    if source == "captures":
        return
    path = article_path(layout, source, article_id, seen)
    assert check_path(path) == path.encode()
    assert check_path(capture_path(path))
    assert names(path) == (source, article_id)
    if layout == "dated":
        assert path.split("/")[1:4] == seen.astimezone(UTC).strftime("%Y/%m/%d").split("/")


def test_a_source_cannot_be_named_like_the_captures_folder(vault: Vault) -> None:
    from versionvault.archive import VaultError

    with pytest.raises(VaultError, match="captures"):
        vault.save_revision(_story("Text.", source="captures"))
    assert vault.store.tip() is None


_KILLED = """
import sys
from pathlib import Path
from versionvault.archive import Vault, parse_time
with Vault.open(Path(sys.argv[1])) as vault, open(sys.argv[2], "rb") as lines:
    vault.import_records(lines, batch=int(sys.argv[3]), archived=parse_time(sys.argv[4]))
"""


def test_an_import_killed_halfway_resumes_to_the_tip_of_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    lines = _corpus(tmp_path / "corpus.jsonl", 2400)
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    for home in (whole, cut):
        Vault.init(home).close()
    done = run_process(whole, "import", str(tmp_path / "corpus.jsonl"), "--archived", ARCHIVED)
    assert done.returncode == 0, done.stderr
    total = _commits(whole / "articles.git")
    assert total > len(lines) * 0.99
    killed = subprocess.Popen(
        [sys.executable, "-c", _KILLED, str(cut), str(tmp_path / "corpus.jsonl"), "150", ARCHIVED],
        start_new_session=True,  # its workers and any git it runs die with it
    )
    deadline = time.monotonic() + 120
    while _commits(cut / "articles.git") < total // 2 and killed.poll() is None:
        assert time.monotonic() < deadline, "the import made no progress"
        time.sleep(0.02)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert total // 2 <= _commits(cut / "articles.git") < total  # stopped halfway
    again = run_process(cut, "import", str(tmp_path / "corpus.jsonl"), "--archived", ARCHIVED)
    assert again.returncode == 0, again.stderr
    tips = [git("--git-dir", str(h / "articles.git"), "rev-parse", "main") for h in (whole, cut)]
    assert tips[0] == tips[1]
    git("--git-dir", str(cut / "articles.git"), "fsck", "--strict", "--no-dangling")
    verified = run_process(cut, "verify")
    assert verified.returncode == 0, verified.stderr
    rerun = run_process(cut, "import", str(tmp_path / "corpus.jsonl"))  # nothing left to do
    assert rerun.stdout.startswith("imported 0 revisions")


def _rss(pid: int) -> int:
    """Return the memory of a Python process and its Python children, in bytes.

    Each process counts its proportional share (Pss): a worker forked from the importer shares
    its pages until either writes them, and counting them whole in both would count a worker
    started late in the import as new memory. git, which rolls packs up, is left out: its memory
    is bounded by packing.SEALED.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0
    if not status.startswith("Name:\tpython"):
        return 0
    total = sum(
        int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:")
    )
    return total + sum(_rss(int(child)) for child in children)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_an_imports_memory_does_not_grow_with_its_size(tmp_path: Path, home: Path) -> None:
    _corpus(tmp_path / "corpus.jsonl", 7000, words="60-150")
    command = [sys.executable, "-c", _KILLED, str(home), str(tmp_path / "corpus.jsonl")]
    proc = subprocess.Popen([*command, "250", ARCHIVED])  # 28 batches
    samples: list[int] = []
    while proc.poll() is None:
        samples.append(_rss(proc.pid))
        time.sleep(0.05)
    assert proc.returncode == 0
    samples = [s for s in samples if s]
    third = len(samples) // 3
    first, last = samples[third : 2 * third], samples[2 * third :]
    shown = f"peak {max(first) / 1e6:.0f} MB in the middle third, {max(last) / 1e6:.0f} MB after"
    assert max(samples) < 400e6, shown
    assert max(last) < max(first) * 1.2 + 30e6, shown  # a busy machine adds some noise


def test_an_import_rolls_its_packs_up_and_deltas_across_batches(vault: Vault, home: Path) -> None:
    lines = _corpus(home / "corpus.jsonl", 1500)
    saved, _ = vault.import_records(lines, batch=60)  # 25 packs written, rolled as it goes
    repo = home / "articles.git"
    packs = sorted((repo / "objects" / "pack").glob("*.idx"))
    assert len(packs) <= 8
    articles, revisions = vault.index.counts()
    listed = "".join(git("--git-dir", str(repo), "verify-pack", "-v", str(p)) for p in packs)
    blobs = [line.split() for line in listed.splitlines() if " blob " in line]
    whole = [b for b in blobs if len(b) == 5]
    # every version after an article's first is a delta, wherever its first version went
    assert len(whole) <= articles * 1.05, (len(whole), articles, revisions)
    assert saved == revisions


def test_gc_rolls_up_what_is_new_and_leaves_sealed_packs_alone(
    vault: Vault, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _corpus(home / "corpus.jsonl", 800)
    vault.import_records(lines[:600])
    assert run_process(home, "gc", "--full").returncode == 0
    pack_dir = home / "articles.git" / "objects" / "pack"
    (big,) = pack_dir.glob("*.pack")
    in_pack = git("--git-dir", str(home / "articles.git"), "count-objects", "-v").split()
    monkeypatch.setattr(packing, "SEALED", int(in_pack[in_pack.index("in-pack:") + 1]))
    vault.import_records(lines[600:700], batch=30)
    vault.import_records(lines[700:], batch=30)
    for n in range(3):
        vault.save_revision(_story(f"Loose {n}."))
    assert len(list(pack_dir.glob("*.pack"))) == 2  # each import ends rolling its packs up
    assert [p for p in (home / "articles.git" / "objects").glob("??/*")]
    done = run_cli(home, "gc")
    assert done.exit_code == 0, done.output
    assert big.exists()  # sealed: not rewritten, only the new packs and loose objects were
    assert len(list(pack_dir.glob("*.pack"))) == 2
    assert not [p for p in (home / "articles.git" / "objects").glob("??/*")]
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict", "--no-dangling")
    with Vault.open(home) as reopened:
        assert reopened.verify() == []


def test_a_new_archive_says_its_layout_and_an_unknown_one_is_refused(home: Path) -> None:
    config = home / "articles.git" / "config"
    assert "layout = dated" in config.read_text()
    config.write_text(config.read_text().replace("layout = dated", "layout = sideways"))
    from versionvault.archive import StoreError

    with pytest.raises(StoreError, match="sideways"):
        Store(home / "articles.git")


def test_verify_of_a_large_archive_checks_each_pack_with_git_instead_of_fsck(
    vault: Vault, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from versionvault.archive import verify as verifying

    vault.import_records(_corpus(home / "corpus.jsonl", 300))
    monkeypatch.setattr(verifying, "_GIT_FSCK_MOST", 0)  # as if it were past git fsck's means
    assert vault.verify() == []
    (pack,) = (home / "articles.git" / "objects" / "pack").glob("*.pack")
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside some object
    pack.chmod(0o644)
    pack.write_bytes(bytes(data))
    with Vault.open(home) as damaged:
        problems = damaged.verify()
    assert any(p.startswith(f"git verify-pack {pack.stem}: ") for p in problems), problems[-5:]


def test_no_roll_makes_a_pack_past_the_sealed_size(
    vault: Vault, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packing, "SEALED", 4000)  # objects: git's memory in a roll is bounded
    lines = _corpus(home / "corpus.jsonl", 3000)
    saved, _ = vault.import_records(lines, batch=60)  # some 400 objects a batch
    sizes = sorted(weight for _, weight in packing._packs(vault.store))
    assert max(sizes) <= 6000, sizes  # SEALED and half as much again, at most
    assert len(sizes) <= 8, sizes
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict", "--no-dangling")
    assert saved == vault.index.counts()[1]


def test_a_roll_keeps_every_object_of_its_packs_even_one_no_commit_reaches(
    vault: Vault, home: Path
) -> None:
    repo = ["--git-dir", str(home / "articles.git")]
    vault.import_records(_corpus(home / "corpus.jsonl", 200), batch=40)
    stray = (
        subprocess.run(  # unreachable, packed on its own: the walk that names objects
            ["git", *repo, "hash-object", "-w", "--stdin"],  # never meets it
            input=b"an object no commit names\n",
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    subprocess.run(
        ["git", *repo, "pack-objects", str(home / "articles.git" / "objects" / "pack" / "pack")],
        input=f"{stray}\n".encode(),
        capture_output=True,
        check=True,
    )
    loose = (
        subprocess.run(
            ["git", *repo, "hash-object", "-w", "--stdin"],
            input=b"a loose object no commit names\n",
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    git(*repo, "prune-packed")
    objects = {
        line.split()[0]
        for line in git(*repo, "cat-file", "--batch-all-objects", "--batch-check").splitlines()
    }
    assert packing.pack_count(vault.store) >= 2 and {stray, loose} <= objects
    assert run_cli(home, "gc").exit_code == 0
    assert packing.pack_count(vault.store) == 1
    assert not list((home / "articles.git" / "objects").glob("??/*"))
    after = {
        line.split()[0]
        for line in git(*repo, "cat-file", "--batch-all-objects", "--batch-check").splitlines()
    }
    assert after == objects
    git(*repo, "fsck", "--strict")


def test_each_object_is_rolled_a_few_times_however_long_the_import() -> None:
    packs: list[int] = []  # objects in each pack, fewest first, as batches are imported
    rolled = 0
    for _ in range(500):  # a million revisions, in batches of some 14,000 objects
        packs = sorted([*packs, 14_000])
        count = packing.rolled_count([w for w in packs if w < packing.SEALED])
        if count:  # the unsealed packs come first: they are the smaller
            rolled += sum(packs[:count])
            packs = sorted([*packs[count:], sum(packs[:count])])
        assert max(packs) <= packing.SEALED * 3 // 2
    # sealed only at the cap, a pack just short of it was rolled with each new batch: each
    # object was rolled ten times
    assert rolled / (500 * 14_000) < 3, rolled / (500 * 14_000)
    assert len(packs) < 40, len(packs)
