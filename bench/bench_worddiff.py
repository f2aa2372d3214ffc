"""Benchmark of diff.compare against git's word diff, difflib and the previous engine; by hand.

The previous engine is the diff/ package of a git revision of this repository (by default
the one before issue 13 paired rewrites), extracted to a temporary folder and imported
under another name, so both run in the same process on the same texts. The last table is
the diff's share of a bulk import's CPU: a single-process import of a corpus, and the
same corpus's `compare` calls timed alone with each engine.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import importlib
import io
import os
import random
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from versionvault.archive import Vault
from versionvault.archive.revise import read_record
from versionvault.diff import compare, compare_stats, count_words, tokenize

__all__ = ["main"]

_RUNS = 7
_BASELINE = "cab6932"  # main just before issue 13 (paired rewrites, sentence alignment)
_ROOT = Path(__file__).resolve().parents[1]
_STOPWORDS = [
    *("the", "of", "and", "to", "a", "in", "that", "is", "was", "he", "for", "it", "with"),
    *("as", "his", "on", "be", "at", "by", "had", "are", "but", "from", "or", "have", "an"),
    *("they", "which", "one", "you", "were", "her", "all", "she", "there", "would", "their"),
    *("we", "him", "been", "has", "when", "who", "will", "more", "no", "if", "out", "so"),
    *("said", "what", "up", "its", "about", "into", "than", "them", "can", "only", "other"),
]
_SYLLABLES = [
    *("ka", "lo", "mi", "ter", "ran", "sel", "dor", "vin", "pa", "ne"),
    *("su", "tor", "li", "ma", "gen", "ber", "cas", "fi", "na", "ro"),
]


def _vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def _sentence(rng: random.Random, vocab: list[str], weights: list[float]) -> list[str]:
    words = []
    for _ in range(rng.randint(6, 22)):
        if rng.random() < 0.4:
            words.append(rng.choice(_STOPWORDS))
        else:
            words.append(rng.choices(vocab, weights)[0])
    if rng.random() < 0.3:
        words[rng.randrange(len(words))] += ","
    if rng.random() < 0.1:
        words.insert(rng.randrange(len(words)), f"{rng.randint(2, 999)},{rng.randint(100, 999)}")
    words[0] = words[0].capitalize()
    words[-1] += rng.choice(".....?!")
    return words


def _paragraph(rng: random.Random, vocab: list[str], weights: list[float]) -> str:
    target = rng.randint(40, 120)
    words: list[str] = []
    while len(words) < target:
        words.extend(_sentence(rng, vocab, weights))
    return " ".join(words)


def _article(rng: random.Random, words: int) -> list[str]:
    vocab = _vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    paragraphs: list[str] = []
    total = 0
    while total < words:
        paragraph = _paragraph(rng, vocab, weights)
        paragraphs.append(paragraph)
        total += len(paragraph.split())
    return paragraphs


def _edit(rng: random.Random, paragraph: str) -> str:
    words = paragraph.split(" ")
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(words))
        action = rng.random()
        if action < 0.4:
            words[k] = rng.choice(_STOPWORDS) + "ish"
        elif action < 0.7:
            words.insert(k, rng.choice(["reportedly", "on Tuesday", "about 3.5 percent", "not"]))
        elif len(words) > 10:
            del words[k]
    return " ".join(words)


def _revision(rng: random.Random, paragraphs: list[str]) -> list[str]:
    """Edit about one paragraph in eight and move one paragraph (edited) far away."""
    new = [_edit(rng, p) if rng.random() < 0.125 else p for p in paragraphs]
    if len(new) > 4:
        k = rng.randrange(len(new) // 4)
        moved = new.pop(k)
        new.insert(rng.randrange(len(new) * 3 // 4, len(new)), _edit(rng, moved))
    return new


def _reword(rng: random.Random, paragraph: str, vocab: list[str]) -> str:
    """Reword a paragraph for a new angle: about a quarter of its words replaced or added."""
    words = paragraph.split(" ")
    for _ in range(max(2, len(words) // 4)):
        k = rng.randrange(len(words))
        if rng.random() < 0.6:
            words[k] = rng.choice(vocab)
        else:
            words.insert(k, rng.choice(_STOPWORDS + vocab[:50]))
    return " ".join(words)


def _rewrite(rng: random.Random, paragraphs: list[str]) -> list[str]:
    """Reword a run of twelve paragraphs in the middle, splitting one and merging two."""
    vocab = _vocabulary(random.Random(1))
    start = len(paragraphs) // 3
    run = [_reword(rng, p, vocab) for p in paragraphs[start : start + 12]]
    words = run[3].split(" ")
    run[3:4] = [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])]
    run[7:9] = [run[7] + " " + run[8]]
    return [*paragraphs[:start], *run, *paragraphs[start + 12 :]]


def _body(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def _previous(ref: str, tmp: Path) -> Callable[..., Any]:
    """Return `compare` of the diff/ package at a git revision, imported as `previous_diff`."""
    archive = subprocess.run(
        ["git", "archive", ref, "src/versionvault/diff"], cwd=_ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp, filter="data")
    (tmp / "src" / "versionvault" / "diff").rename(tmp / "previous_diff")
    sys.path.insert(0, str(tmp))
    module: ModuleType = importlib.import_module("previous_diff")
    previous: Callable[..., Any] = module.compare
    return previous


def _medians(fn: Callable[[], object], runs: int = _RUNS) -> tuple[float, float]:
    """Return the median wall-clock and CPU milliseconds of fn over runs calls."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def _git(old: str, new: str) -> tuple[float, float]:
    """Return git --word-diff's median wall-clock and CPU milliseconds (its process's)."""
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp, "old.txt"), Path(tmp, "new.txt")
        a.write_text(old, encoding="utf-8")
        b.write_text(new, encoding="utf-8")
        cmd = ["git", "diff", "--no-index", "--word-diff=porcelain", str(a), str(b)]
        wall, cpu = [], []
        for _ in range(_RUNS):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=False)
            wall.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def _interleaved(fns: list[Callable[[], object]], runs: int = _RUNS) -> list[tuple[float, float]]:
    """Return each function's median (wall, CPU) milliseconds, the functions run in turn."""
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for k, fn in enumerate(fns):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[k].append(time.perf_counter() - start)
            cpu[k].append(time.process_time() - start_cpu)
    return [
        (statistics.median(w) * 1000, statistics.median(c) * 1000)
        for w, c in zip(wall, cpu, strict=True)
    ]


def _difflib(old: str, new: str, runs: int) -> float:
    ta, tb = tokenize(old), tokenize(new)
    return _medians(lambda: difflib.SequenceMatcher(None, ta, tb).get_opcodes(), runs)[1]


def _cases() -> list[tuple[str, str, str, float | None, float | None]]:
    cases: list[tuple[str, str, str, float | None, float | None]] = []
    for words, limit, ratio in ((800, None, None), (5_000, 15.0, None), (50_000, 150.0, 5.0)):
        rng = random.Random(words)
        paragraphs = _article(rng, words)
        revised = _revision(rng, paragraphs)
        cases.append(
            (f"{words:,} words, edits + move", _body(paragraphs), _body(revised), limit, ratio)
        )
    for words in (5_000, 50_000):
        rng = random.Random(words + 1)
        paragraphs = _article(rng, words)
        cases.append(
            (
                f"{words:,} words, 12 paragraphs reworded",
                _body(paragraphs),
                _body(_rewrite(rng, paragraphs)),
                None,
                None,
            )
        )
    rng = random.Random(7)
    cases.append(
        (
            "50,000 words, complete rewrite",
            _body(_article(rng, 50_000)),
            _body(_article(rng, 50_000)),
            2000.0,
            None,
        )
    )
    return cases


def _diff_table(previous: Callable[..., Any]) -> bool:
    header = (
        f"{'case':38} {'ours':>7} {'prev':>7} {'git':>6} {'difflib':>8} {'÷git':>5} {'÷prev':>6}"
        f" {'prev÷git':>8} {'ours wall':>9} {'git wall':>8}  target"
    )
    print(header)
    print("-" * len(header))
    missed = False
    title = {"title": "A headline"}
    for name, old, new, limit, ratio in _cases():
        (ours_wall, ours), (_, prev) = _interleaved(
            [
                functools.partial(compare, title, old, title, new),
                functools.partial(previous, title, old, title, new),
            ]
        )
        git_wall, git = _git(old, new)
        lib = _difflib(old, new, 1 if len(old) > 100_000 else _RUNS)
        verdicts = []
        if limit is not None:
            verdicts.append(f"<{limit:g} ms {'ok' if ours < limit else 'MISSED'}")
            missed |= ours >= limit
        if ratio is not None:
            verdicts.append(f"≤{ratio:g}x git {'ok' if ours <= ratio * git else 'MISSED'}")
            missed |= ours > ratio * git
        print(
            f"{name:38} {ours:7.1f} {prev:7.1f} {git:6.1f} {lib:8.1f} {ours / git:5.1f}"
            f" {ours / prev:6.2f} {prev / git:8.1f} {ours_wall:9.1f} {git_wall:8.1f}  "
            + ", ".join(verdicts)
        )
    return missed


def _import_share(
    previous: Callable[..., Any], tmp: Path, articles: int, rounds: int, runs: int = 9
) -> bool:
    """Print the diff's share of a single-process bulk import, with each engine."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_archive import corpus

    lines = list(corpus(articles, rounds, 5))
    totals = []
    for attempt in range(3):
        vault = Vault.init(tmp / f"import-{attempt}")
        try:
            start = time.process_time()
            vault.import_records(lines, parallel=False)
            totals.append(time.process_time() - start)
        finally:
            vault.close()
    total = statistics.median(totals)
    latest: dict[str, Any] = {}
    pairs = []
    for line in lines:
        article = read_record(line).article
        before = latest.get(article.id)
        if before is None:
            pairs.append(({}, "", article.fields(), article.body, 0))
        else:
            old_words = count_words(before.body)
            pairs.append((before.fields(), before.body, article.fields(), article.body, old_words))
        latest[article.id] = article

    def run(engine: Callable[..., Any]) -> None:
        for pair in pairs:
            engine(*pair)

    timed = _interleaved(
        [lambda: run(compare_stats), lambda: run(compare), lambda: run(previous)], runs
    )
    ours, whole, prev = (cpu / 1000 for _, cpu in timed)
    share, share_prev = ours / total, prev / (total - ours + prev)
    print(
        f"\nbulk import of {len(lines):,} revisions ({articles} articles x {rounds}), one process:"
        f" {total:.2f} s CPU with this engine (median of 3); the diff's CPU: medians of {runs}"
        " runs, the engines in turn"
    )
    print(f"  diff CPU, this engine:     {ours:6.2f} s = {100 * share:4.1f}% of the import")
    print(f"    (the import's compare_stats; the whole compare: {whole:.2f} s)")
    print(f"  diff CPU, previous engine: {prev:6.2f} s = {100 * share_prev:4.1f}% of the import")
    ok = share <= share_prev / 2
    print(f"  share ratio {share / share_prev:.2f} (target ≤ 0.5: {'ok' if ok else 'MISSED'})")
    return not ok


def main() -> int:
    """Run the cases and the import share, print the tables; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=_BASELINE, help="git revision of the previous engine")
    parser.add_argument("--articles", type=int, default=150, help="import: articles")
    parser.add_argument("--rounds", type=int, default=8, help="import: revisions of each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        previous = _previous(args.baseline, tmp / "previous")
        print(
            f"CPU milliseconds, medians of {_RUNS} runs, ours and prev in turn (git: its", end=" "
        )
        print("process's CPU; difflib: one run on the 50,000-word texts); targets on CPU;", end=" ")
        print(f"previous engine: diff/ at {args.baseline};", end=" ")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        missed = _diff_table(previous)
        missed |= _import_share(previous, tmp, args.articles, args.rounds)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
