"""Benchmark of diff.compare against git's word diff and difflib; run by hand."""

from __future__ import annotations

import difflib
import functools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from versionvault.diff import compare, tokenize

__all__ = ["main"]

_RUNS = 7
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


def _body(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def _median(fn: Callable[[], object], runs: int = _RUNS) -> float:
    return _medians(fn, runs)[0]


def _medians(fn: Callable[[], object], runs: int = _RUNS) -> tuple[float, float]:
    """Return the median wall-clock and CPU milliseconds of fn over runs calls."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def _git(old: str, new: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp, "old.txt"), Path(tmp, "new.txt")
        a.write_text(old, encoding="utf-8")
        b.write_text(new, encoding="utf-8")
        cmd = ["git", "diff", "--no-index", "--word-diff=porcelain", str(a), str(b)]
        return _median(lambda: subprocess.run(cmd, capture_output=True, check=False))


def _difflib(old: str, new: str, runs: int) -> float:
    ta, tb = tokenize(old), tokenize(new)
    return _median(lambda: difflib.SequenceMatcher(None, ta, tb).get_opcodes(), runs)


def main() -> int:
    """Run the cases, print the table, and return 1 when a target is missed."""
    cases: list[tuple[str, str, str, float | None, float | None]] = []
    for words, limit, ratio in ((800, None, None), (5_000, 15.0, None), (50_000, 150.0, 15.0)):
        rng = random.Random(words)
        paragraphs = _article(rng, words)
        revised = _revision(rng, paragraphs)
        cases.append(
            (f"{words:,} words, edits + move", _body(paragraphs), _body(revised), limit, ratio)
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
    header = (
        f"{'case':34} {'ours ms':>8} {'(cpu)':>7} {'git ms':>7} {'difflib ms':>11}"
        f" {'÷git':>5} {'÷difflib':>8}  target (on the wall-clock median)"
    )
    print(f"medians of {_RUNS} runs (difflib: 3 on the 50,000-word texts);", end=" ")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(header)
    print("-" * len(header))
    missed = False
    title = {"title": "A headline"}
    for name, old, new, limit, ratio in cases:
        ours, cpu = _medians(functools.partial(compare, title, old, title, new))
        git = _git(old, new)
        lib = _difflib(old, new, 3 if len(old) > 100_000 else _RUNS)
        verdicts = []
        if limit is not None:
            verdicts.append(f"<{limit:g} ms {'ok' if ours < limit else 'MISSED'}")
            missed |= ours >= limit
        if ratio is not None:
            verdicts.append(f"≤{ratio:g}x git {'ok' if ours <= ratio * git else 'MISSED'}")
            missed |= ours > ratio * git
        print(
            f"{name:34} {ours:8.1f} {cpu:7.1f} {git:7.1f} {lib:11.1f} {ours / git:5.1f}"
            f" {ours / lib:8.2f}  " + ", ".join(verdicts)
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
