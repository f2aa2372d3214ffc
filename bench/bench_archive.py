"""Benchmark of the archive: bulk import against git, and history lookup at scale; run by hand.

    python bench/bench_archive.py [--runs 5] [--cli-revisions 500] [--big-dir DIR] [--skip-history]

1. Bulk import of 5,000 revisions of 100 articles: revisions/second of `Vault.import_records`
   (in-process, fresh archive) against (a) `git fast-import` of the very same commits into a
   fresh bare repository (the ceiling; the stream is `git fast-export` of VersionVault's own
   archive, so the tip sha must come out identical) and (b) one `git add` + `git commit` per
   revision in a work tree (how NewsDiffs stores; the first --cli-revisions commits, again
   checked to reproduce VersionVault's commit shas). Targets: >= 0.5x fast-import, > 20x CLI.
2. `Vault.history(id)` in a 1,000-revision archive against a 100,000-revision one (10,000
   articles over 100 sources), both built with `import_records`. Target: within 1.5x.

Runs are interleaved (ours, fast-import, CLI, ours, ...) so noise on a busy machine hits every
contender alike; the table shows medians and ratios of medians from this one process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dulwich.objects import Commit, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo

from versionvault.archive import Vault

__all__ = ["main"]

_STOP = str.split(
    "the of and to a in that is was for it with as on be at by had are but from or have an "
    "they which one were all there would their we been has when who will more no if out so "
    "said what up its about into than them can only other new some could after also most"
)
_WORDS = str.split(
    "government minister president official report city council police court election vote "
    "party leader people year week month day time country state region market price company "
    "bank economy growth policy plan budget tax law bill health hospital school student "
    "teacher family child water energy power climate weather storm flood fire road train "
    "airport border trade deal talks meeting summit agreement support opposition crisis "
    "security military army war peace protest strike worker union wage job industry farm "
    "food crop export import record figure number percent rise fall increase decrease "
    "statement spokesman spokeswoman witness resident victim suspect investigation charge "
    "trial judge ruling appeal sentence prison release decision announcement interview "
    "director chief executive board shareholder investor profit loss revenue quarter "
    "forecast estimate survey poll result campaign candidate seat majority coalition "
    "reform change proposal measure rule standard system service network data software "
    "research scientist study evidence finding discovery treatment vaccine disease "
    "outbreak case death injury accident damage repair building bridge tower station "
    "district village province capital nation neighbour ally partner rival talks "
    "earlier later today yesterday tomorrow recently already still again nearly almost "
    "major minor local national foreign international public private senior former "
    "new old large small high low strong weak early late key main final first last "
    "said told added warned claimed denied confirmed announced reported expected "
    "agreed refused planned approved rejected launched opened closed raised cut held "
    "met called asked urged signed"
)
_INSERTS = ("reportedly", "on Tuesday", "about 3.5 percent", "not", "officials said", "in 2024")
_EPOCH = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)


# ---------------------------------------------------------------- deterministic articles


def _sentence(rng: random.Random) -> str:
    words = [
        rng.choice(_STOP) if rng.random() < 0.4 else rng.choice(_WORDS)
        for _ in range(rng.randint(7, 24))
    ]
    if rng.random() < 0.3:
        words[rng.randrange(1, len(words))] += ","
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words)), f"{rng.randint(2, 999):,}")
    return " ".join(words).capitalize() + rng.choice("......?!")


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))


@dataclass
class _Story:
    id: str
    source: str
    title: str
    paragraphs: list[str]


def _new_story(rng: random.Random, number: int, sources: int) -> _Story:
    paragraphs: list[str] = []
    target = rng.randint(250, 550)
    while sum(len(p.split()) for p in paragraphs) < target:
        paragraphs.append(_paragraph(rng))
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 10))).capitalize()
    return _Story(f"story-{number:05d}", f"source-{number % sources:03d}", title, paragraphs)


def _edit(rng: random.Random, story: _Story) -> None:
    """Make one small edit: a word or two in one paragraph, now and then more."""
    roll = rng.random()
    if roll < 0.05:
        words = story.title.split()
        words[rng.randrange(len(words))] = rng.choice(_WORDS)
        story.title = " ".join(words)
        return
    if roll < 0.10:
        story.paragraphs.insert(rng.randrange(len(story.paragraphs) + 1), _paragraph(rng))
        return
    if roll < 0.13 and len(story.paragraphs) > 3:
        del story.paragraphs[rng.randrange(len(story.paragraphs))]
        return
    k = rng.randrange(len(story.paragraphs))
    words = story.paragraphs[k].split(" ")
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(words))
        action = rng.random()
        if action < 0.5:
            words[at] = rng.choice(_WORDS)
        elif action < 0.8:
            words.insert(at, rng.choice(_INSERTS))
        elif len(words) > 12:
            del words[at]
    story.paragraphs[k] = " ".join(words)


def _record(story: _Story, observed: datetime, note: str) -> dict[str, str]:
    return {
        "id": story.id,
        "source": story.source,
        "title": story.title,
        "body": "\n\n".join(story.paragraphs) + "\n",
        "url": f"https://{story.source}.example.org/news/{story.id}",
        "observed": observed.isoformat(),
        "note": note,
    }


def corpus(articles: int, revisions: int, sources: int, seed: int = 1) -> Iterator[str]:
    """Yield `articles` x `revisions` JSONL lines: round after round, each a small edit."""
    rng = random.Random(seed)
    stories = [_new_story(rng, n, sources) for n in range(articles)]
    order = list(range(articles))
    moment = _EPOCH
    for round_ in range(revisions):
        rng.shuffle(order)
        for n in order:
            story = stories[n]
            if round_:
                before = (story.title, list(story.paragraphs))
                while (story.title, story.paragraphs) == before:
                    _edit(rng, story)
            moment += timedelta(seconds=rng.randint(1, 30))
            note = "correction" if rng.random() < 0.02 else ""
            yield json.dumps(_record(story, moment, note))


# ---------------------------------------------------------------- contenders


def _git(*args: str, cwd: Path | None = None, stdin: Path | None = None) -> str:
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as feed:
        done = subprocess.run(
            ["git", *args], cwd=cwd, stdin=feed, capture_output=True, check=True, timeout=900
        )
    return done.stdout.decode().strip()


@dataclass
class _Timing:
    """Wall-clock seconds, and CPU seconds of this process and its children."""

    wall: float = 0.0
    cpu: float = 0.0


def _cpu() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextmanager
def _timed() -> Iterator[_Timing]:
    timing = _Timing()
    wall, cpu = time.perf_counter(), _cpu()
    yield timing
    timing.wall, timing.cpu = time.perf_counter() - wall, _cpu() - cpu


def _import_ours(tmp: Path, lines: list[str]) -> tuple[_Timing, Path]:
    home = tmp / f"vv-{time.perf_counter_ns()}"
    vault = Vault.init(home)
    try:
        with _timed() as timing:
            saved, unchanged = vault.import_records(lines)
    finally:
        vault.close()
    assert (saved, unchanged) == (len(lines), 0), (saved, unchanged)
    return timing, home


def _fast_import(tmp: Path, stream: Path) -> tuple[_Timing, str]:
    repo = tmp / f"fi-{time.perf_counter_ns()}.git"
    _git("init", "-q", "--bare", "-b", "main", str(repo))
    _git("-C", str(repo), "config", "core.fsync", "objects")  # as VersionVault does
    with _timed() as timing:
        _git("-C", str(repo), "fast-import", "--quiet", stdin=stream)
    tip = _git("-C", str(repo), "rev-parse", "refs/heads/main")
    shutil.rmtree(repo)
    return timing, tip


@dataclass(frozen=True)
class _CliCommit:
    sha: str
    path: str
    content: bytes
    message: bytes
    author: str
    author_date: str
    commit_date: str


def _cli_commits(git_dir: Path, count: int) -> list[_CliCommit]:
    """Read the first `count` commits of VersionVault's archive back, oldest first."""
    repo = Repo(str(git_dir))
    try:
        shas: list[bytes] = []
        current: bytes | None = repo.refs[Ref(b"refs/heads/main")]
        while current is not None:
            shas.append(current)
            commit = repo[current]
            assert isinstance(commit, Commit)
            current = commit.parents[0] if commit.parents else None
        found = []
        for sha in reversed(shas[-count:] if count < len(shas) else shas):
            commit = repo[sha]
            assert isinstance(commit, Commit)
            trailers = dict(
                line.split(": ", 1)
                for line in commit.message.decode().split("\n")
                if ": " in line and line.split(": ", 1)[0] in ("Article", "Source")
            )
            path = f"{trailers['Source']}/{trailers['Article']}.md"
            folder, name = path.encode().split(b"/")
            root = repo[commit.tree]
            assert isinstance(root, Tree)
            tree = repo[root[folder][1]]
            assert isinstance(tree, Tree)
            blob = repo[tree[name][1]]
            found.append(
                _CliCommit(
                    sha.decode(),
                    path,
                    blob.as_raw_string(),
                    commit.message,
                    commit.author.decode(),
                    f"{commit.author_time} {_tz(commit.author_timezone)}",
                    f"{commit.commit_time} {_tz(commit.commit_timezone)}",
                )
            )
        return found
    finally:
        repo.close()


def _tz(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def _cli_commit_each(tmp: Path, commits: list[_CliCommit]) -> tuple[_Timing, str]:
    work = tmp / f"wt-{time.perf_counter_ns()}"
    _git("init", "-q", "-b", "main", str(work))
    message = tmp / "message.txt"
    env = {**os.environ, "GIT_COMMITTER_NAME": "VersionVault"}
    env["GIT_COMMITTER_EMAIL"] = "versionvault@localhost"
    git_c = ["git", "-c", "core.fsync=objects", "-c", "gc.auto=0"]
    with _timed() as timing:
        for c in commits:
            target = work / c.path
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(c.content)
            message.write_bytes(c.message)
            subprocess.run([*git_c, "add", c.path], cwd=work, check=True, env=env)
            env["GIT_AUTHOR_DATE"], env["GIT_COMMITTER_DATE"] = c.author_date, c.commit_date
            author = f"--author={c.author}"
            subprocess.run(
                [
                    *git_c,
                    "commit",
                    "-q",
                    "--cleanup=verbatim",
                    "--no-verify",
                    "-F",
                    str(message),
                    author,
                ],
                cwd=work,
                check=True,
                env=env,
            )
    tip = _git("-C", str(work), "rev-parse", "HEAD")
    shutil.rmtree(work)
    return timing, tip


# ---------------------------------------------------------------- the two benchmarks


@dataclass
class _Results:
    ours: list[_Timing]  # one per run
    fast: list[_Timing]
    cli: list[_Timing]
    count: int
    cli_count: int
    builds: list[tuple[str, float, int]]  # (label, seconds, revisions)
    history: tuple[float, float] | None  # median seconds per call: small, big


def _bench_import(tmp: Path, runs: int, cli_runs: int, cli_count: int) -> _Results:
    lines = list(corpus(articles=100, revisions=50, sources=10))
    count = len(lines)
    print(f"import: {count:,} revisions of 100 articles, runs interleaved")
    results = _Results([], [], [], 0, 0, [], None)
    stream = tmp / "stream.fi"
    commits: list[_CliCommit] = []
    expected_tip = ""
    for run in range(max(runs, cli_runs)):
        print(f"  run {run + 1}:", end="")
        if run < runs:
            timing, home = _import_ours(tmp, lines)
            results.ours.append(timing)
            print(f" versionvault {count / timing.wall:7,.0f}/s", end="", flush=True)
            if not commits:  # the first archive: check it, and take the others' input from it
                with Vault.open(home) as vault:
                    problems = vault.verify()
                assert not problems, problems[:5]
                git_dir = home / "articles.git"
                with open(stream, "wb") as out:
                    subprocess.run(
                        ["git", "--git-dir", str(git_dir), "fast-export", "main"],
                        stdout=out,
                        stderr=subprocess.DEVNULL,
                        check=True,
                    )
                expected_tip = _git("--git-dir", str(git_dir), "rev-parse", "main")
                commits = _cli_commits(git_dir, cli_count)
            shutil.rmtree(home)
            timing, tip = _fast_import(tmp, stream)
            assert tip == expected_tip, "fast-import did not reproduce VersionVault's commits"
            results.fast.append(timing)
            print(f"   fast-import {count / timing.wall:7,.0f}/s", end="", flush=True)
        if run < cli_runs:
            timing, tip = _cli_commit_each(tmp, commits)
            assert tip == commits[-1].sha, "git commit did not reproduce VersionVault's commits"
            results.cli.append(timing)
            print(f"   git add+commit {len(commits) / timing.wall:5,.1f}/s", end="")
        print()
    results.count, results.cli_count = count, len(commits)
    return results


def _build(home: Path, lines: Iterator[str], total: int) -> float:
    """Import `lines` into a fresh archive at `home`, showing progress; return seconds."""
    vault = Vault.init(home)
    done = 0
    start = time.perf_counter()

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done % 10_000 == 0:
            rate = done / (time.perf_counter() - start)
            print(f"  building {home.name}: {done:,}/{total:,} ({rate:,.0f}/s)", flush=True)

    try:
        vault.import_records(lines, progress)
    finally:
        vault.close()
    return time.perf_counter() - start


def _time_history(vault: Vault, ids: list[str], repeats: int) -> list[float]:
    """Return per-call seconds of history() over `ids`, `repeats` times each."""
    times = []
    for _ in range(repeats):
        for article_id in ids:
            start = time.perf_counter()
            revisions = vault.history(article_id)
            times.append(time.perf_counter() - start)
            assert len(revisions) == 10
    return times


def _bench_history(tmp: Path, big_dir: Path | None, results: _Results) -> None:
    small = tmp / "small"
    results.builds.append(("1,000", _build(small, corpus(100, 10, 10, seed=2), 1000), 1000))
    with Vault.open(small) as vault:
        problems = vault.verify()
    assert not problems, problems[:5]
    big = (big_dir or tmp) / "big-100k"
    if (big / "index.sqlite3").exists():
        print(f"history: reusing {big}")
    else:
        if big.exists():
            shutil.rmtree(big)
        seconds = _build(big, corpus(10_000, 10, 100, seed=3), 100_000)
        results.builds.append(("100,000", seconds, 100_000))
    with Vault.open(small) as s, Vault.open(big) as b:
        assert b.index.counts() == (10_000, 100_000), b.index.counts()
        small_ids = [f"story-{n:05d}" for n in range(0, 100, 7)]
        big_ids = [f"story-{n:05d}" for n in range(0, 10_000, 701)]
        _time_history(s, small_ids, 3)  # warm both connections and caches
        _time_history(b, big_ids, 3)
        small_t: list[float] = []
        big_t: list[float] = []
        for _ in range(10):  # interleaved rounds
            small_t += _time_history(s, small_ids, 20)
            big_t += _time_history(b, big_ids, 20)
    results.history = (statistics.median(small_t), statistics.median(big_t))


# ---------------------------------------------------------------- report


def _row(name: str, *cells: str) -> None:
    widths = (9, 6, 9, 6)
    print(
        f"{name:46}", *(f"{c:>{w}}" for c, w in zip(cells, widths, strict=False)), sep=" ", end=""
    )
    print(f"  {cells[4]}" if len(cells) > 4 else "")


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _rates(timings: list[_Timing], count: int) -> tuple[float, float]:
    """Return median revisions per wall second and per CPU second."""
    wall = statistics.median(count / t.wall for t in timings)
    cpu = statistics.median(count / t.cpu for t in timings)
    return wall, cpu


def _report(r: _Results) -> bool:
    """Print the table; return True if every target was met (judged on wall-clock medians)."""
    print()
    _row("import (revisions per second, medians)", "wall/s", "ratio", "CPU/s", "ratio", "target")
    print("-" * 110)
    ow, oc = _rates(r.ours, r.count)
    fw, fc = _rates(r.fast, r.count)
    cw, cc = _rates(r.cli, r.cli_count)
    met = [ow >= 0.5 * fw, ow > 20 * cw]
    _row(f"versionvault import, {r.count:,} revisions", f"{ow:,.0f}", "", f"{oc:,.0f}", "")
    _row(
        f"git fast-import, same {r.count:,} commits",
        f"{fw:,.0f}",
        f"{ow / fw:.2f}",
        f"{fc:,.0f}",
        f"{oc / fc:.2f}",
        f"ours >= 0.50x fast-import: {_verdict(met[0])}",
    )
    _row(
        f"git add + commit each, first {r.cli_count:,} commits",
        f"{cw:,.1f}",
        f"{ow / cw:.1f}",
        f"{cc:,.1f}",
        f"{oc / cc:.1f}",
        f"ours > 20x git add + commit: {_verdict(met[1])}",
    )
    print(f"  ({len(r.ours)}, {len(r.fast)} and {len(r.cli)} runs; ratio = ours / theirs)")
    for label, seconds, total in r.builds:
        print(
            f"build of the {label}-revision archive with import_records: {seconds:,.1f} s "
            f"({total / seconds:,.0f} rev/s, one run)"
        )
    if r.history:
        small, big = r.history
        met.append(big <= 1.5 * small)
        print()
        _row("history(id), median ms per call", "ms", "ratio")
        print("-" * 110)
        _row("1,000-revision archive (100 articles)", f"{small * 1000:.3f}", "")
        _row(
            "100,000-revision archive (10,000 articles)",
            f"{big * 1000:.3f}",
            f"{big / small:.2f}",
            "",
            "",
            f"within 1.5x: {_verdict(met[-1])}",
        )
    return all(met)


def main() -> int:
    """Run the benchmarks, print the table, and return 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="import runs (ours, fast-import)")
    parser.add_argument("--cli-runs", type=int, default=3, help="runs of git add + commit")
    parser.add_argument("--cli-revisions", type=int, default=500, help="commits per CLI run")
    parser.add_argument("--big-dir", type=Path, help="keep (and reuse) the 100k archive here")
    parser.add_argument("--skip-history", action="store_true", help="only the import benchmark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vv-bench-") as scratch:
        tmp = Path(scratch)
        results = _bench_import(tmp, args.runs, args.cli_runs, args.cli_revisions)
        if not args.skip_history:
            _bench_history(tmp, args.big_dir, results)
    return 0 if _report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
