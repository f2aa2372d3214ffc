"""A NewsEdits-shaped corpus, generated deterministically: fictional outlets, as JSONL.

    python bench/newsedits.py --revisions 100000 [--seed 1] [--skip N] [--words 400-1200]

The research corpus NewsEdits holds 4.6M versions of 1.2M articles. This makes its shape, not
its text (every word is made up, every outlet fictional): 400-1,200-word articles of a few
sentences a paragraph, ~3.6 versions each (1 + a geometric number of updates, mean 2.6), each
update editing a few sentences (a word changed, a sentence added, rewritten or cut, now and
then a paragraph added or a headline rewritten), the updates of an article coming hours after
its first version, all interleaved in time as eight outlets publish them (about 600 new
articles a day, the largest outlet a quarter of them). Words are drawn Zipf-wise from a
vocabulary of 4,000 pseudo-words, so the text compresses a little worse than English news
(2.1x under zlib, against about 2.7x): a pessimistic corpus for bytes per revision.

The same seed gives the same lines; `--skip N` leaves out the first N (a later segment);
`--words` sets the range of an article's first length (the tests use shorter articles).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["corpus"]

_OUTLETS = (  # fictional outlets, with their share of articles
    ("harbour-courier", 25),
    ("valley-ledger", 18),
    ("north-shore-times", 14),
    ("capital-dispatch", 12),
    ("market-wire", 10),
    ("evening-sentinel", 9),
    ("island-post", 7),
    ("river-gazette", 5),
)
_EPOCH = datetime(2021, 1, 4, 6, 0, tzinfo=UTC)
_ARTICLES_PER_HOUR = 25.0
_UPDATE_HOURS = 4.0  # mean gap between two versions of an article
_STOP = str.split(
    "the of and to a in that is was for it with as on be at by had are but from or have an "
    "they which one were all there would their we been has when who will more no if out so "
    "said what up its about into than them can only other new some could after also most"
)
_SYLLABLES = str.split(
    "ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko ku la le li lo lu ma me mi mo mu "
    "na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo "
    "ar er ir or ur an en in on un al el il ol st tr pr gr ch sh th nd nt ck"
)


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
    return sorted(words)


@dataclass
class _Article:
    id: str
    source: str
    title: str
    paragraphs: list[list[str]]  # sentences
    versions_left: int


class _Writer:
    """Sentences, paragraphs and edits from one seeded generator."""

    def __init__(self, rng: random.Random, words: tuple[int, int]) -> None:
        self.rng = rng
        self.lengths = words
        vocabulary = _vocabulary(rng, 4000)
        rng.shuffle(vocabulary)
        zipf = [1.0 / (rank + 3) for rank in range(len(vocabulary))]  # Zipf-Mandelbrot
        scale = sum(zipf) * 0.45 / 0.55 / len(_STOP)  # the stop words: 45% of all words
        self.vocabulary = [*_STOP, *vocabulary]
        self.cumulative = list(itertools.accumulate([scale] * len(_STOP) + zipf))

    def words(self, count: int) -> list[str]:
        return self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=count)

    def sentence(self) -> str:
        rng = self.rng
        words = self.words(rng.randint(10, 28))
        if rng.random() < 0.3:
            words[rng.randrange(1, len(words))] += ","
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words)), f"{rng.randint(2, 9999):,}")
        return " ".join(words).capitalize() + rng.choice("......?!")

    def paragraph(self) -> list[str]:
        return [self.sentence() for _ in range(self.rng.randint(2, 5))]

    def article(self, number: int) -> _Article:
        rng = self.rng
        source = rng.choices([o for o, _ in _OUTLETS], [w for _, w in _OUTLETS])[0]
        target = rng.randint(*self.lengths)
        paragraphs: list[list[str]] = []
        words = 0
        while words < target:
            paragraphs.append(self.paragraph())
            words += sum(len(s.split()) for s in paragraphs[-1])
        title = " ".join(self.words(rng.randint(6, 12))).capitalize()
        slug = "-".join(w for w in title.lower().split()[:5] if w.isalpha())
        updates = 0
        while rng.random() < 2.6 / 3.6 and updates < 40:  # geometric: mean 2.6 updates
            updates += 1
        return _Article(f"{slug}-{number}", source, title, paragraphs, updates)

    def edit(self, article: _Article) -> None:
        """Edit a few sentences; now and then add a paragraph or rewrite the headline."""
        rng = self.rng
        if rng.random() < 0.15:
            article.title = " ".join(self.words(rng.randint(6, 12))).capitalize()
        if rng.random() < 0.2:
            article.paragraphs.insert(rng.randrange(len(article.paragraphs) + 1), self.paragraph())
        for _ in range(rng.randint(1, 3)):
            sentences = article.paragraphs[rng.randrange(len(article.paragraphs))]
            at = rng.randrange(len(sentences))
            roll = rng.random()
            if roll < 0.4:
                words = sentences[at].split(" ")
                words[rng.randrange(len(words))] = self.words(1)[0]
                sentences[at] = " ".join(words)
            elif roll < 0.7:
                sentences.insert(at, self.sentence())
            elif roll < 0.9:
                sentences[at] = self.sentence()
            elif len(sentences) > 1:
                del sentences[at]


def _line(article: _Article, observed: datetime) -> str:
    record = {
        "id": article.id,
        "source": article.source,
        "title": article.title,
        "body": "\n\n".join(" ".join(p) for p in article.paragraphs),
        "url": f"https://{article.source}.example.org/news/{article.id}",
        "byline": f"By the {article.source.replace('-', ' ').title()} newsroom",
        "observed": observed.isoformat(),
    }
    return json.dumps(record)


def corpus(revisions: int, seed: int = 1, words: tuple[int, int] = (400, 1200)) -> Iterator[str]:
    """Yield `revisions` JSONL lines of the NewsEdits shape, in the order they were seen."""
    rng = random.Random(seed)
    writer = _Writer(rng, words)
    due: list[tuple[datetime, int, _Article]] = []  # next version's time, tiebreak, article
    arrival = _EPOCH
    numbers = itertools.count(1)
    emitted = 0
    while emitted < revisions:
        if not due or arrival <= due[0][0]:
            number = next(numbers)
            heapq.heappush(due, (arrival, number, writer.article(number)))
            arrival += timedelta(seconds=rng.expovariate(_ARTICLES_PER_HOUR / 3600))
            continue
        moment, number, article = heapq.heappop(due)
        yield _line(article, moment.replace(microsecond=0))
        emitted += 1
        if article.versions_left:
            article.versions_left -= 1
            writer.edit(article)
            gap = timedelta(seconds=rng.expovariate(1 / (_UPDATE_HOURS * 3600)) + 60)
            heapq.heappush(due, (moment + gap, number, article))


def main() -> None:
    """Write the corpus to stdout."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--revisions", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N lines")
    parser.add_argument("--words", default="400-1200", help="an article's first length")
    args = parser.parse_args()
    low, high = (int(n) for n in args.words.split("-"))
    out = sys.stdout
    for line in itertools.islice(corpus(args.revisions, args.seed, (low, high)), args.skip, None):
        out.write(line + "\n")


if __name__ == "__main__":
    main()
