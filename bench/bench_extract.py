"""Benchmark of article extraction on tests/extract_corpus: VersionVault against bare trafilatura.

    python bench/bench_extract.py [--corpus DIR]

Every page NAME.html is extracted by (a) VersionVault's `parse_html` (bytes decoded as the page's
declared charset, UTF-8 without one; InvalidArticle counts as empty text) and (b) bare
`trafilatura.extract(page_bytes, include_tables=True)`, which decodes the bytes itself. Each body
is scored against NAME.expected.json with `score`: precision, recall and F1 of word 4-gram
shingles. A page is a wrong pattern when F1 < 0.9, or, for (a) only, when its title or byline
differs from the expected one; a page expected to be refused is right only when nothing is kept.

Shingles ignore markup, so a second check is block-exact: the blocks of each body (text between
blank lines; for (b), whose plain text has no blank lines, each line) are compared as exact
strings, scored as F1 of the multiset, and a page is block-exact when every block matches.
Last, the time each takes per page: the best of --repeat runs, medians over the pages, and
the ratio (a)/(b). Run by hand; it prints figures only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from versionvault.text import InvalidArticle, decode_html, normalize_line, parse_html, slugify

__all__ = ["main", "score"]

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "extract_corpus"
SHINGLE = 4
GOOD_F1 = 0.9
_MARKUP = str.maketrans(dict.fromkeys("#|->", " "))
_CJK = re.compile(r"([\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef])")


def _words(text: str) -> list[str]:
    """Lowercased whitespace-separated words, markup characters dropped, CJK one per character."""
    return _CJK.sub(r" \1 ", text.lower().translate(_MARKUP)).split()


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    words = _words(text)
    if 0 < len(words) < SHINGLE:
        return Counter([tuple(words)])
    return Counter(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def score(expected: str, got: str) -> tuple[float, float, float]:
    """Return (precision, recall, F1) of `got`'s word 4-gram shingles against `expected`'s.

    Shingles are counted as a multiset, so repeated text must be repeated to match. Two empty
    texts score 1.0 on all three; an empty text against a non-empty one scores 0.0.
    """
    want, have = _shingles(expected), _shingles(got)
    if not want or not have:
        return (1.0, 1.0, 1.0) if not want and not have else (0.0, 0.0, 0.0)
    common = sum((want & have).values())
    precision, recall = common / sum(have.values()), common / sum(want.values())
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def block_score(expected: str, got: str, lines: bool = False) -> float:
    """Return the F1 of exactly matching blocks (with `lines`, `got`'s lines are its blocks)."""
    want = Counter(b.strip() for b in expected.split("\n\n") if b.strip())
    have = Counter(b.strip() for b in got.split("\n" if lines else "\n\n") if b.strip())
    if not want or not have:
        return 1.0 if not want and not have else 0.0
    common = sum((want & have).values())
    return 2 * common / (sum(want.values()) + sum(have.values()))


@dataclass(frozen=True)
class Row:
    """One page's scores for both extractors and whether (a) got its header right."""

    name: str
    ours: tuple[float, float, float]
    title_ok: bool
    byline_ok: bool
    bare: tuple[float, float, float]
    blocks: float
    bare_blocks: float

    def ours_wrong(self) -> bool:
        """Return True if VersionVault's extraction of this page counts as a wrong pattern."""
        return self.ours[2] < GOOD_F1 or not (self.title_ok and self.byline_ok)

    def bare_wrong(self) -> bool:
        """Return True if bare trafilatura's extraction of this page counts as a wrong pattern."""
        return self.bare[2] < GOOD_F1


def measure(page: Path) -> Row:
    """Extract one corpus page both ways and score it against its expected file."""
    name = page.name.removesuffix(".html")
    expected = json.loads(page.with_name(f"{name}.expected.json").read_text(encoding="utf-8"))
    data = page.read_bytes()
    html = decode_html(data)
    try:
        article = parse_html(html, slugify(name), "corpus", f"https://corpus.example/{name}")
        body, title, byline = article.body, article.title, article.byline
    except InvalidArticle:
        body = title = byline = ""
    refuse = bool(expected.get("refuse"))
    title_ok = refuse or normalize_line(expected["title"]) == title
    byline_ok = refuse or normalize_line(expected["byline"]) == byline
    bare = trafilatura.extract(data, include_tables=True) or ""
    return Row(
        name,
        score(expected["body"], body),
        title_ok,
        byline_ok,
        score(expected["body"], bare),
        block_score(expected["body"], body),
        block_score(expected["body"], bare, lines=True),
    )


def _best_time(func: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best


def timing(pages: list[Path], repeat: int) -> str:
    """Return the line of median milliseconds per page, (a) then (b), and their ratio."""
    ours, bare = [], []
    for page in pages:
        data = page.read_bytes()

        def extract_ours(data: bytes = data) -> None:
            with contextlib.suppress(InvalidArticle):
                parse_html(decode_html(data), "page", "corpus")

        ours.append(_best_time(extract_ours, repeat))
        bare.append(_best_time(lambda data=data: trafilatura.extract(data), repeat))
    mine, theirs = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    return f"median ms per page: (a) {mine:.1f}, (b) {theirs:.1f}, ratio {mine / theirs:.2f}"


def _mean(values: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    count = max(len(values), 1)
    p, r, f = (sum(v[i] for v in values) / count for i in range(3))
    return p, r, f


def _figures(values: tuple[float, float, float]) -> str:
    return "  ".join(f"{v:5.2f}" for v in values)


def report(rows: list[Row]) -> str:
    """Return the printed table: one row per page, then the means and wrong-pattern counts."""
    lines = [
        f"{'page':<20} {'(a) P':>5}  {'R':>5}  {'F1':>5}  title byline blocks | {'(b) P':>5}  "
        f"{'R':>5}  {'F1':>5} blocks"
    ]
    for row in rows:
        marks = f"{'ok' if row.title_ok else 'BAD':>5} {'ok' if row.byline_ok else 'BAD':>6}"
        lines.append(
            f"{row.name:<20} {_figures(row.ours)}  {marks} {row.blocks:6.2f} | "
            f"{_figures(row.bare)} {row.bare_blocks:6.2f}"
        )
    ours, bare = _mean([r.ours for r in rows]), _mean([r.bare for r in rows])
    count = max(len(rows), 1)
    blocks = sum(r.blocks for r in rows) / count
    bare_blocks = sum(r.bare_blocks for r in rows) / count
    means = f"{_figures(ours)}  {'':12} {blocks:6.2f} | {_figures(bare)} {bare_blocks:6.2f}"
    lines.append(f"{'mean':<20} {means}")
    wrong_ours = sum(r.ours_wrong() for r in rows)
    wrong_bare = sum(r.bare_wrong() for r in rows)
    counts = f"(a) VersionVault {wrong_ours}, (b) trafilatura {wrong_bare}"
    lines.append(f"patterns wrong of {len(rows)}: {counts}")
    exact = (
        f"(a) {sum(r.blocks == 1.0 for r in rows)}, (b) {sum(r.bare_blocks == 1.0 for r in rows)}"
    )
    lines.append(f"pages block-exact of {len(rows)}: {exact}")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark over the corpus and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of NAME.html pages")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page (best kept)")
    args = parser.parse_args()
    pages = sorted(args.corpus.glob("*.html"))
    print(report([measure(page) for page in pages]))
    print(timing(pages, args.repeat))


if __name__ == "__main__":
    main()
