"""Benchmark of keeping pages as evidence: saves with captures against captures = false, and WARC.

    python bench/bench_evidence.py [--articles 40] [--revisions 5] [--repeat 3]

A fictional newsroom of --articles pages (about 60 KB each, the size of a news page with its
markup) is saved --revisions times, each time with one figure changed, through
`Vault.save_revision` — once keeping every page (`captures` on, the default) and once with
`captures = false`, in fresh archives, best of --repeat runs. It prints the median time per
save and the repository's size (loose objects, then after `git gc`) for each, and their
ratios: what keeping the evidence costs. Then `export --warc` of the kept pages and `import
--warc` of that file into a fresh archive: median time per page. Run by hand; figures only.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from versionvault.archive import Vault
from versionvault.archive.warc_export import write_warc
from versionvault.watch.warc_import import import_warc

__all__ = ["main"]

T0 = datetime(2024, 6, 1, 6, 0, tzinfo=UTC)
_FURNITURE = "".join(
    f"<li><a href='/section/{n}'>Section {n}</a><span class='count'>{n * 7} shares</span></li>"
    for n in range(400)
)


def page(article: int, revision: int) -> bytes:
    """Return a fictional Harbour Courier page: furniture, scripts and a story of 8 paragraphs."""
    story = "".join(
        f"<p>Paragraph {p} of story {article}: the harbour board counted {article * 100 + p}"
        f" boats in the bay, {revision + p} more than the week before, its clerk said.</p>"
        for p in range(8)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Story {article} | Harbour Courier</title>"
        "<meta property='og:site_name' content='Harbour Courier'>"
        f"<script>var tracking = {{'story': {article}, 'rev': {revision}}};</script></head>"
        f"<body><nav><ul>{_FURNITURE}</ul></nav><article><h1>Story {article}</h1>{story}"
        f"</article><footer><ul>{_FURNITURE}</ul></footer></body></html>"
    ).encode()


def _size(git_dir: Path) -> int:
    return sum(p.stat().st_size for p in git_dir.rglob("*") if p.is_file())


def _build(home: Path, articles: int, revisions: int, keep: bool) -> list[float]:
    with Vault.init(home) as vault:
        if not keep:
            (home / "sources.toml").write_text("[sources.courier]\ncaptures = false\n", "utf-8")
        times = []
        for revision in range(revisions):
            for article in range(articles):
                data = page(article, revision)
                path = home.parent / f"story-{article}.html"
                path.write_bytes(data)
                url = f"https://courier.example/news/story-{article}"
                read = vault.read_file(path, source="courier", url=url)
                observed = T0 + timedelta(hours=revision)
                start = time.perf_counter()
                vault.save_revision(read.article, observed, capture=read.page)
                times.append(time.perf_counter() - start)
    return times


def _run(args: argparse.Namespace, keep: bool) -> tuple[float, int, int, Path]:
    best: tuple[float, int, int, Path] | None = None
    for _ in range(args.repeat):
        home = Path(tempfile.mkdtemp(prefix="bench-evidence-")) / "archive"
        median = statistics.median(_build(home, args.articles, args.revisions, keep))
        git_dir = home / "articles.git"
        loose = _size(git_dir)
        subprocess.run(["git", "--git-dir", str(git_dir), "gc", "-q"], check=True)
        packed = _size(git_dir)
        if best is None or median < best[0]:
            best = (median, loose, packed, home)
    assert best is not None
    return best


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--revisions", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.articles} articles x {args.revisions} revisions, {len(page(0, 0)):,} B a page")
    kept = _run(args, keep=True)
    text = _run(args, keep=False)
    for name, (median, loose, packed, _) in (("captures", kept), ("text only", text)):
        print(
            f"{name:>10}: {median * 1000:7.2f} ms a save (median), "
            f"{loose / 1e6:7.2f} MB loose, {packed / 1e6:6.2f} MB after git gc"
        )
    print(
        f"     ratio: {kept[0] / text[0]:.2f}x time, {kept[1] / text[1]:.2f}x loose, "
        f"{kept[2] / text[2]:.2f}x packed"
    )
    with Vault.open(kept[3]) as vault:
        warc = kept[3].parent / "out.warc.gz"
        start = time.perf_counter()
        count = write_warc(vault, warc)
        export = (time.perf_counter() - start) / count
    fresh = kept[3].parent / "again"
    with Vault.init(fresh) as vault:
        start = time.perf_counter()
        result = import_warc(vault, warc, "courier")
        imported = (time.perf_counter() - start) / result.pages
    print(
        f"      WARC: {count} pages, {warc.stat().st_size / 1e6:.2f} MB; export "
        f"{export * 1000:.2f} ms a page, import {imported * 1000:.2f} ms a page "
        f"({result.saved} saved)"
    )


if __name__ == "__main__":
    main()
