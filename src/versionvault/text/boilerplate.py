"""Boilerplate: what among extracted pieces is page furniture, not the article's text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .htmlbody import Piece, Span

__all__ = ["Cleaned", "clean_pieces", "is_churn", "notice_kind", "visible_byline", "words"]

# Furniture that changes between two fetches of the same article would make a revision each
# time: relative times, counters, share buttons, link-only "read more" lines. Furniture that
# stands for the article (a licence or paywall notice) must not be archived as if it were one.

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_RELATIVE = (
    r"(?:(?:first |last )?(?:published|updated|posted|edited)\s+)?"
    r"(?:\d+|an?|one)\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?"
    r"|weeks?|mos?|months?|y|yrs?|years?)\s+ago|just now"
)
_COUNTER = (
    r"\d[\d.,]*\s*[km]?\s*(?:shares?|comments?|likes?|views?|reads?|reactions?|replies|reply"
    r"|retweets?|reposts?|claps?|votes?|responses?)"
)
_EMOJI_COUNT = r"[\U0001f300-\U0001faff\u2600-\u27bf]\ufe0f?\s*\d[\d.,]*[km]?"
_BUTTON = (
    r"share(?: this(?: story| article| post)?)?|facebook|twitter|x|whatsapp|linkedin|e-?mail"
    r"|print|save|copy link|reply|tweet|post|pinterest|reddit|telegram|messenger|bluesky"
    r"|was this article helpful\??|load more comments|view all \d+ comments"
)
_CHURN = re.compile(rf"\b(?:{_RELATIVE}|{_COUNTER}|{_BUTTON})\b|{_EMOJI_COUNT}", re.IGNORECASE)
_CHURNING = re.compile(rf"\b(?:{_RELATIVE}|{_COUNTER})\b|{_EMOJI_COUNT}", re.IGNORECASE)
_LEFTOVER = re.compile(r"[\W_]*")
_LABEL = re.compile(
    r"(?:read more|more|related(?: stories| articles?| coverage)?|see also|also read|read also"
    r"|recommended|watch|listen|don'?t miss|must read|trending|popular|most read|further reading"
    r"|more on this story|latest)\s*[:\u203a\u00bb>|\u2013\u2014-]",
    re.IGNORECASE,
)
_LICENCE = re.compile(
    r"for your personal,? non-?commercial use only|presentation-ready copies"
    r"|distribution and use of this material (?:is|are) governed|all rights reserved"
    r"|may not be (?:reproduced|republished|redistributed)|reprints? and permissions",
    re.IGNORECASE,
)
_PAYWALL = re.compile(
    r"subscribe(?: now)? to (?:keep|continue) reading|to (?:keep|continue) reading,? (?:please )?"
    r"(?:subscribe|sign in|log in|register)|(?:keep|continue) reading with a subscription"
    r"|you(?:'ve| have) reached (?:your|the) (?:limit|maximum) of (?:free )?(?:articles|stories)"
    r"|already (?:a subscriber|have an account)|(?:this|the) (?:article|story|content) is "
    r"(?:only )?(?:available )?(?:for|to) (?:paying )?(?:subscribers|members)|subscribers only"
    r"|(?:sign|log) in to (?:keep|continue) reading|register(?: now)? to (?:keep|continue) reading"
    r"|unlock (?:this|the full) (?:article|story)|get unlimited (?:digital )?access",
    re.IGNORECASE,
)
_NOTICE_WORDS = 80
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DAY = (
    r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?"
    r"|sun(?:day)?"
)
_DATE_WORD = re.compile(
    rf"\b(?:{_MONTH}|{_DAY}|\d{{1,2}}(?:st|nd|rd|th)?|\d{{4}}|\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{1,4}}"
    r"|\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?|[ap]\.?m\.?|posted|published|updated|last|first|on|at"
    r"|gmt|utc|bst|cet|cest|[ecmp][sd]t|by|edited)\b\.?",
    re.IGNORECASE,
)
_DATED = re.compile(rf"\b(?:{_MONTH})\b|\b\d{{4}}\b|\d[/.-]\d{{1,2}}[/.-]\d", re.IGNORECASE)
_BYLINE = re.compile(r"by\s+(?P<names>[^\d|·•]+?)(?:\s*[|·•].*)?", re.IGNORECASE)
_ROLE = re.compile(
    r"\b(?:staff|writer|reporter|correspondent|editor|contributor|columnist|photographer"
    r"|journalist|desk|team|newsroom|agency|agencies)\b",
    re.IGNORECASE,
)
_PARTICLES = frozenset(
    {"de", "da", "di", "van", "von", "der", "den", "du", "la", "le", "al", "bin"}
)
_LEAD = 6
_SHORT = 20


def words(text: str) -> int:
    """Return a text's word count for these rules (each CJK character counts as one)."""
    return len(_CJK.sub(" ", text).split()) + len(_CJK.findall(text))


def is_churn(text: str) -> bool:
    """Return True if a line is nothing but relative times, counters and share buttons."""
    return bool(text) and bool(_LEFTOVER.fullmatch(_CHURN.sub(" ", text)))


def notice_kind(text: str) -> str:
    """Return "paywall" or "licence" for a known notice of that kind, else ""."""
    if words(text) > _NOTICE_WORDS:
        return ""
    if _PAYWALL.search(text):
        return "paywall"
    return "licence" if _LICENCE.search(text) else ""


def _link_line(span: Span) -> bool:
    """Return True for a line that only points elsewhere ("READ MORE: <link>", a bare link)."""
    if _LABEL.match(span.text) and words(span.text) <= _SHORT:
        return True
    rest = _CHURNING.sub(" ", span.unlinked)
    linked = len(span.text) - len(span.unlinked)
    return span.links > 0 and words(rest) <= 4 and linked >= len(span.text) / 2


def _is_link_only(piece: Piece) -> bool:
    if piece.kind in ("paragraph", "list") and piece.spans:
        return all(_link_line(span) for span in piece.spans)
    return False


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _is_date_line(text: str) -> bool:
    return (
        bool(_DATED.search(text))
        and not _LEFTOVER.fullmatch(text)
        and bool(_LEFTOVER.fullmatch(_DATE_WORD.sub(" ", text)))
    )


def visible_byline(text: str) -> str:
    """Return the names of a "By ..." line (roles dropped, several joined with ", "), else ""."""
    found = _BYLINE.fullmatch(text.strip())
    if not found or words(text) > 12:
        return ""
    parts = [p.strip() for p in re.split(r",|\s+and\s+|\s*&\s*", found.group("names"))]
    names = [p for p in parts if p and not _ROLE.search(p)]
    if not names or not all(_looks_like_a_name(n) for n in names):
        return ""
    return ", ".join(names)


def _looks_like_a_name(text: str) -> bool:
    """Return True for one to five capitalised words (particles like "de" or "van" allowed)."""
    parts = text.split()
    return (
        0 < len(parts) <= 5
        and all(not w[0].islower() or w in _PARTICLES for w in parts)
        and not text.endswith((".", "!", "?"))
    )


@dataclass(frozen=True)
class Cleaned:
    """The article's pieces, the byline its text showed, and whether notices were all there was."""

    pieces: tuple[Piece, ...]
    byline: str = ""
    notice_only: bool = False


def _drop_notices(pieces: list[Piece]) -> tuple[list[Piece], bool]:
    kept: list[Piece] = []
    found = after_paywall = False
    for piece in pieces:
        kind = notice_kind(piece.text)
        if kind:
            found, after_paywall = True, after_paywall or kind == "paywall"
            continue
        if after_paywall and words(piece.text) <= _SHORT:
            continue
        after_paywall = False
        kept.append(piece)
    return kept, found


class _Lead:
    """What the top of an article may repeat: its headline, its byline, its dates."""

    def __init__(self, headlines: Sequence[str], byline: str, recall: bool) -> None:
        self.headlines = sorted({h for h in headlines if h}, key=len, reverse=True)
        self.keys = {_key(h) for h in self.headlines}
        self.names = {_key(byline), _key(f"by {byline}")} if byline else set()
        self.byline = ""
        self.recall = recall  # recall-oriented text runs menus into lines, links unmarked

    def is_headline(self, text: str) -> bool:
        return _key(text) in self.keys

    def after_links(self, piece: Piece) -> bool:
        """Return True for a menu run into the headline ("Home News Sport Pier to reopen")."""
        key = _key(piece.text)
        return (piece.links > 0 or self.recall) and any(
            key.endswith(" " + _key(h)) and words(h) >= 4 and words(piece.text) - words(h) <= 8
            for h in self.headlines
        )

    def _part(self, part: str) -> str | None:
        """Return a byline part's names, "" for another metadata part, None for text."""
        if self.is_headline(part) or _key(part) in self.names or _is_date_line(part):
            return ""
        if is_churn(part):
            return ""
        return visible_byline(part) or None

    def is_metadata(self, text: str) -> bool:
        """Return True for a line of headline, byline and dates ("By Ann Lee | May 6, 2024")."""
        for headline in self.headlines:
            if text.casefold().startswith(headline.casefold()) and len(text) > len(headline):
                text = text[len(headline) :]
                break
        parts = [self._part(p) for p in _META_SPLIT.split(text) if not _LEFTOVER.fullmatch(p)]
        if not parts or None in parts:
            return False
        self.byline = self.byline or next((p for p in parts if p), "")
        return True


_META_SPLIT = re.compile(
    r"\s*[|\u00b7\u2022]\s*|\s+(?=(?:posted|published|updated|last updated)\b)", re.IGNORECASE
)


def _drop_lead(
    pieces: list[Piece], headlines: Sequence[str], byline: str, recall: bool
) -> tuple[list[Piece], str]:
    lead = _Lead(headlines, byline, recall)
    top = pieces[:_LEAD]
    at = max((i for i, p in enumerate(top) if lead.is_headline(p.text)), default=-1)
    if at >= 0 and all(words(p.text) <= _SHORT for p in top[:at]):
        pieces = pieces[at + 1 :]
    kept = [
        piece
        for number, piece in enumerate(pieces)
        if number >= _LEAD
        or piece.kind not in ("paragraph", "heading")
        or not (lead.is_metadata(piece.text) or lead.after_links(piece))
    ]
    return kept, lead.byline


def _drop_churn(pieces: list[Piece]) -> list[Piece]:
    kept: list[Piece] = []
    for number, piece in enumerate(pieces):
        if piece.kind == "list":
            spans = tuple(s for s in piece.spans if not is_churn(s.text))
            piece = replace(piece, spans=spans)
            if not spans:
                continue
        if piece.kind != "table" and is_churn(piece.text):
            continue
        if _is_link_only(piece) or (piece.kind == "quote" and is_churn(piece.text)):
            continue
        following = pieces[number + 1] if number + 1 < len(pieces) else None
        if (
            piece.kind == "heading"
            and words(piece.text) <= 5
            and (following is None or _is_link_only(following))
        ):
            continue
        kept.append(piece)
    return kept


def _link_dense(piece: Piece) -> bool:
    return piece.links > 0 and len(piece.text) - len(piece.unlinked) >= len(piece.text) / 2


def clean_pieces(
    pieces: Sequence[Piece], headlines: Sequence[str], byline: str = "", recall: bool = False
) -> Cleaned:
    """Drop the headline and what precedes it, bylines, datelines, churn, links and notices.

    `recall` is for text extracted with recall-oriented settings, which also keep menus: there
    every piece that is half links or more goes too.
    """
    if recall:
        pieces = [p for p in pieces if not _link_dense(p)]
    kept, shown = _drop_lead(list(pieces), headlines, byline, recall)
    kept = _drop_churn(kept)
    kept, notices = _drop_notices(kept)
    unique = [p for i, p in enumerate(kept) if i == 0 or p != kept[i - 1]]
    return Cleaned(tuple(unique), shown, notices and not unique)
