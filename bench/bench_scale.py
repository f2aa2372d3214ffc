"""Benchmark of the archive at scale: one NewsEdits-shaped archive grown to each size; by hand.

    python bench/bench_scale.py [--sizes 10000,100000,1000000] [--runs 30] [--posts 20]
                                [--dir DIR] [--maintenance-up-to N]

One archive grows through each size in turn, imported by the real CLI (`versionvault import
--archived T`, a subprocess) from bench/newsedits.py's corpus, segment by segment: the last
10,000 revisions before each size are a segment of their own, so "rate at N" is the import
rate of the 10,000 revisions ending at N, and the first size's is that of the first 10,000.
RSS is sampled from /proc every 0.1 s: the importer (its main process), its workers, and git
(which rolls packs up) apart. At each size, in this order:

1. git on disk (objects/) per revision, packs, the index's size;
2. median time through the app (Starlette's TestClient, in-process, diff cache off) of the
   recent-changes page, an article, a diff, the API's article, the feed, and search for a
   word every article has ("the") and a rare one; articles drawn at random (seeded);
3. median time of a write-API POST (new articles and their second revisions, an editor's
   token), taking turns with the same POSTs into an archive that was empty at the start;
4. `verify`, `reindex` and `gc` as CLI subprocesses: wall time and peak RSS; then the packs
   and bytes a revision after gc (at sizes up to `--maintenance-up-to` only: at a million
   revisions each takes most of an hour, and gc would change what the next import builds on).

The table gives each figure at each size and the ratio between consecutive sizes.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newsedits import _Writer, corpus
from starlette.testclient import TestClient

from versionvault.archive import Vault, add_editor
from versionvault.web import Settings, create_app

__all__ = ["main"]

ARCHIVED = "2026-01-01T00:00:00+00:00"
WINDOW = 10_000


@dataclass
class Run:
    """One subprocess: wall seconds, and peak RSS (MB) of the main process, workers and git.

    `private` is the peak of the main process's anonymous memory (RssAnon): its RSS less the
    pages of mapped files (packs, the index) that the kernel may drop whenever it needs them.
    """

    seconds: float = 0.0
    cpu: float = 0.0  # user + system seconds of it and every child it waited for
    main: float = 0.0
    private: float = 0.0
    workers: float = 0.0
    git: float = 0.0


def _tree(pid: int) -> Iterator[tuple[str, int, int, bool]]:
    """Yield (name, RSS, anonymous RSS in bytes, is the root) for a process and its descendants."""
    stack, root = [pid], True
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        anon = int(fields.get("RssAnon", "0 kB").split()[0]) * 1024
        yield fields.get("Name", "").strip(), rss, anon, root
        root = False
        stack.extend(int(child) for child in children)


def run(*command: str) -> Run:
    """Run a command to its end, sampling the RSS of its processes; raise if it fails."""
    started, used = time.perf_counter(), _children_cpu()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    result = Run()
    while proc.poll() is None:
        workers = 0.0
        for name, rss, anon, root in _tree(proc.pid):
            if root:
                result.main = max(result.main, rss / 1e6)
                result.private = max(result.private, anon / 1e6)
            elif name == "git":
                result.git = max(result.git, rss / 1e6)
            else:
                workers += rss / 1e6
        result.workers = max(result.workers, workers)
        time.sleep(0.1)
    result.seconds = time.perf_counter() - started
    result.cpu = _children_cpu() - used
    if proc.returncode:
        assert proc.stderr is not None
        raise SystemExit(f"{' '.join(command)} failed: {proc.stderr.read().decode()}")
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli(home: Path, *args: str) -> Run:
    return run(sys.executable, "-m", "versionvault", "--archive", str(home), *args)


def import_segment(home: Path, lines: Iterator[str], count: int, work: Path) -> Run:
    """Write the next `count` corpus lines to a file and import them with the CLI."""
    segment = work / "segment.jsonl"
    with segment.open("w", encoding="utf-8") as out:
        for line in itertools.islice(lines, count):
            out.write(line + "\n")
    try:
        return cli(home, "import", str(segment), "--archived", ARCHIVED)
    finally:
        segment.unlink()


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _packs(home: Path) -> int:
    return len(list((home / "articles.git" / "objects" / "pack").glob("*.pack")))


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _rare_word() -> str:
    writer = _Writer(random.Random(1), (400, 1200))
    return writer.vocabulary[len(writer.vocabulary) // 2]


def pages(home: Path, runs: int, seed: int) -> dict[str, float]:
    """Return the median ms of each page, through the app, on random articles."""
    rng = random.Random(seed)
    with sqlite3.connect(home / "index.sqlite3") as db:
        (top,) = db.execute("SELECT max(rowid) FROM articles").fetchone()
        picks = [rng.randint(1, top) for _ in range(runs * 4)]
        marks = ", ".join("?" * len(picks))
        query = f"SELECT id FROM articles WHERE revisions > 1 AND rowid IN ({marks})"
        ids = [row[0] for row in db.execute(query, picks)]
    rare = _rare_word()
    with Vault.open(home) as vault, TestClient(create_app(vault, Settings(diff_cache=0))) as c:
        timed: dict[str, list[float]] = {}
        for _ in range(runs):
            article = rng.choice(ids)
            for name, url in (
                ("recent changes /", "/"),
                ("article page", f"/articles/{article}"),
                ("diff page", f"/articles/{article}/diff"),
                ("API article", f"/api/articles/{article}"),
                ("feed.atom", "/feed.atom"),
                ("search, common word", "/articles?q=the"),
                ("search, rare word", f"/articles?q={rare}"),
            ):
                started = time.perf_counter()
                response = c.get(url)
                timed.setdefault(name, []).append(time.perf_counter() - started)
                assert response.status_code == 200, (url, response.status_code)
    return {name: _median_ms(samples) for name, samples in timed.items()}


def posts(homes: list[Path], count: int, tag: str) -> list[float]:
    """Return the median ms of a write-API POST into each archive, taking turns.

    Each POST is a new article or its second revision, sent with an editor's token.
    """
    body = "\n\n".join(" ".join(f"Word{n} number {k}." for n in range(40)) for k in range(12))
    tokens = [add_editor(home / "editors.toml", f"bench-{tag}") for home in homes]
    timed: list[list[float]] = [[] for _ in homes]
    vaults = [Vault.open(home) for home in homes]
    clients = [TestClient(create_app(vault)) for vault in vaults]
    try:
        for k in range(count):
            for client, token, samples in zip(clients, tokens, timed, strict=True):
                started = time.perf_counter()
                response = client.post(
                    f"/api/articles/bench-{tag}-{k // 2}/revisions",
                    json={
                        "title": f"Post {k}",
                        "body": f"{body}\n\nRevision {k}.",
                        "source": "desk",
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                samples.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text
    finally:
        for vault in vaults:
            vault.close()
    return [_median_ms(samples) for samples in timed]


@dataclass
class Checkpoint:
    """Everything measured at one size."""

    size: int
    rows: dict[str, float] = field(default_factory=dict)


def measure(
    home: Path,
    empty: Path,
    size: int,
    window: Run,
    segment: Run,
    runs: int,
    post_count: int,
    maintain: bool,
) -> Checkpoint:
    point = Checkpoint(size)
    rows = point.rows
    counted = min(WINDOW, size)  # the window: the last 10k, or all of a smaller first size
    rows["import rev/s, last 10k"] = counted / window.seconds
    rows["import CPU ms/revision"] = window.cpu / counted * 1000
    rows["load average (1 min)"] = os.getloadavg()[0]
    rows["import peak RSS MB (main)"] = max(window.main, segment.main)
    rows["import peak RSS MB (main, anon)"] = max(window.private, segment.private)
    rows["import peak RSS MB (workers)"] = max(window.workers, segment.workers)
    rows["import peak RSS MB (git)"] = max(window.git, segment.git)
    rows["git KB/revision"] = _size(home / "articles.git" / "objects") / size / 1000
    rows["packs"] = _packs(home)
    rows["index MB"] = (home / "index.sqlite3").stat().st_size / 1e6
    for name, ms in pages(home, runs, size).items():
        rows[f"{name} ms"] = ms
    baseline, here = posts([empty, home], post_count, str(size))
    rows["POST write API ms, empty archive"] = baseline
    rows["POST write API ms"] = here
    if not maintain:
        return point
    for command in ("verify", "reindex", "gc"):
        done = cli(home, command)
        rows[f"{command} s"] = done.seconds
        rows[f"{command} peak RSS MB"] = done.main + done.git
    rows["git KB/revision after gc"] = _size(home / "articles.git" / "objects") / size / 1000
    rows["packs after gc"] = _packs(home)
    return point


def table(points: list[Checkpoint]) -> None:
    sizes = [p.size for p in points]
    head = f"{'':<32}" + "".join(f"{f'{s:,}':>12}" for s in sizes)
    ratios = [f"{f'x{b // a}':>9}" for a, b in itertools.pairwise(sizes)]
    print()
    print(head + "".join(ratios))
    for name in points[0].rows:
        values = [p.rows.get(name) for p in points]
        cells = "".join(
            f"{'-':>12}" if v is None else f"{v:>12.1f}" if v < 1e4 else f"{v:>12,.0f}"
            for v in values
        )
        growth = "".join(
            f"{b / a:>9.2f}" if a and b is not None else f"{'':>9}"
            for a, b in itertools.pairwise(values)
        )
        print(f"{name:<32}{cells}{growth}")


def main(argv: list[str] | None = None) -> None:
    """Grow the archive through the sizes, measure at each, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="revisions at each checkpoint")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--posts", type=int, default=20, help="timed write-API POSTs")
    parser.add_argument("--dir", type=Path, help="work here (the archive is left behind)")
    parser.add_argument(
        "--maintenance-up-to", type=int, default=None, help="run verify/reindex/gc up to here"
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    work = args.dir or Path(tempfile.mkdtemp(prefix="vv-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    home, empty = work / "archive", work / "empty"
    for path in (home, empty):
        shutil.rmtree(path, ignore_errors=True)
        Vault.init(path).close()
    lines = corpus(sizes[-1] + WINDOW)
    done, points = 0, []
    for size in sizes:
        print(f"importing up to {size:,} revisions ...", file=sys.stderr, flush=True)
        before = size - min(WINDOW, size) - done
        segment = import_segment(home, lines, before, work) if before > 0 else Run()
        window = import_segment(home, lines, size - done - max(before, 0), work)
        done = size
        print(f"  measuring at {size:,} ...", file=sys.stderr, flush=True)
        maintain = args.maintenance_up_to is None or size <= args.maintenance_up_to
        point = measure(home, empty, size, window, segment, args.runs, args.posts, maintain)
        points.append(point)
        table(points)
    print(f"\n(archive left in {home})")


if __name__ == "__main__":
    main()
