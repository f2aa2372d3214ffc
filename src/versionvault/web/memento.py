"""Memento (RFC 7089): the TimeGate, the link-format TimeMap and the headers of mementos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..archive import ArticleNotFound, Revision
from .params import BadRequest
from .site import Site, absolute, link

__all__ = ["Memento", "http_date", "memento_headers", "mementos", "timegate", "timemap"]

LINK_FORMAT = "application/link-format"
# Characters a URI may hold as they are (RFC 3986 reserved and unreserved, and `%`).
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~"


@dataclass(frozen=True)
class Memento:
    """A revision as a memento: where it is and the time it was observed (whole seconds)."""

    revision: Revision
    datetime: datetime


def _moment(revision: Revision) -> datetime:
    for text in (revision.observed, revision.archived):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0)
    return datetime(1970, 1, 1, tzinfo=UTC)


def http_date(moment: datetime) -> str:
    """Return a time as an RFC 1123 date in GMT, as Memento-Datetime and datetime= carry it."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _uri(text: str) -> str:
    """Return a URL with every character a URI may not hold percent-encoded."""
    return quote(text, safe=_URI_SAFE)


def _candidates(text: str) -> list[str]:
    """Return the stored URLs an original URL given in a path may be written as."""
    text = text.strip()
    for scheme in ("http:/", "https:/"):  # a proxy may have merged the two slashes
        if text.startswith(scheme) and not text.startswith(scheme + "/"):
            text = scheme + "/" + text[len(scheme) :]
    bases = [text] if "://" in text else [f"https://{text}", f"http://{text}"]
    found: list[str] = []
    for base in bases:
        for form in (base, unquote(base), _uri(unquote(base))):
            for variant in (form, form.rstrip("/") if form.endswith("/") else form + "/"):
                if variant not in found:
                    found.append(variant)
    return found


def _original(request: Request) -> str:
    """Return the original URL a TimeGate or TimeMap request names (path and query)."""
    raw = request.scope.get("raw_path")
    text = raw.decode("utf-8", "replace") if raw else request.url.path
    for marker in ("/timegate/", "/timemap/link/"):
        if marker in text:
            text = text.split(marker, 1)[1]
            break
    query = request.url.query
    return f"{text}?{query}" if query else text


def mementos(site: Site, original: str) -> tuple[str, list[Memento]]:
    """Return the URL matched and the mementos of what was seen at it, oldest first."""
    candidates = _candidates(original)
    revisions = site.vault.revisions_at_url(*candidates)
    seen = {r.url for r in revisions}
    matched = next((c for c in candidates if c in seen), None)
    if matched is None:
        raise ArticleNotFound(f"no revision of {original[:200]!r} is archived here")
    found = [Memento(r, _moment(r)) for r in revisions]
    found.sort(key=lambda m: (m.datetime, m.revision.article, m.revision.number))
    return matched, found


def _memento_url(request: Request, memento: Memento) -> str:
    revision = memento.revision
    return absolute(request, link(request, "revision", id=revision.article, rev=revision.commit))


def _endpoint(request: Request, kind: str, original: str) -> str:
    prefix = "/timegate/" if kind == "timegate" else "/timemap/link/"
    return absolute(request, request.scope.get("root_path", "") + prefix + _uri(original))


def _links(request: Request, original: str) -> list[str]:
    return [
        f'<{_uri(original)}>; rel="original"',
        f'<{_endpoint(request, "timegate", original)}>; rel="timegate"',
        f'<{_endpoint(request, "timemap", original)}>; rel="timemap"; type="{LINK_FORMAT}"',
    ]


def _memento_link(request: Request, memento: Memento, rels: list[str]) -> str:
    when = http_date(memento.datetime)
    return f'<{_memento_url(request, memento)}>; rel="{" ".join(rels)}"; datetime="{when}"'


def _chosen(found: list[Memento], wanted: datetime | None) -> int:
    """Return the index of the memento in effect at `wanted` (the first if before all)."""
    if wanted is None:
        return len(found) - 1
    at = 0
    for number, memento in enumerate(found):
        if memento.datetime <= wanted:
            at = number
    return at


def _accept_datetime(request: Request) -> datetime | None:
    header = request.headers.get("accept-datetime")
    if header is None:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        raise BadRequest(
            f"Accept-Datetime {header[:60]!r} is not an RFC 1123 date such as "
            "'Tue, 20 Feb 2024 08:00:00 GMT'"
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def timegate(site: Site, request: Request) -> Response:
    """GET /timegate/{original-url}: 302 to the revision in effect at Accept-Datetime."""
    wanted = _accept_datetime(request)
    original, found = mementos(site, _original(request))
    at = _chosen(found, wanted)
    neighbours = {0: ["first"], len(found) - 1: ["last"]}
    if at > 0:
        neighbours.setdefault(at - 1, []).append("prev")
    if at < len(found) - 1:
        neighbours.setdefault(at + 1, []).append("next")
    neighbours.setdefault(at, [])
    original_link, _, timemap_link = _links(request, original)
    links = [original_link, timemap_link]
    for number in sorted(neighbours):
        rels = [*neighbours[number], "memento"]
        links.append(_memento_link(request, found[number], rels))
    headers = {"Vary": "accept-datetime", "Link": ", ".join(links), "Cache-Control": "no-cache"}
    return RedirectResponse(_memento_url(request, found[at]), status_code=302, headers=headers)


def timemap(site: Site, request: Request) -> Response:
    """GET /timemap/link/{original-url}: every revision seen at the URL, in link-format."""
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    original, found = mementos(site, _original(request))
    first, last = http_date(found[0].datetime), http_date(found[-1].datetime)
    self_link = _endpoint(request, "timemap", original)
    entries = [
        f'<{_uri(original)}>; rel="original"',
        f'<{self_link}>; rel="self"; type="{LINK_FORMAT}"; from="{first}"; until="{last}"',
        f'<{_endpoint(request, "timegate", original)}>; rel="timegate"',
    ]
    for number, memento in enumerate(found):
        rels = ["first"] if number == 0 else []
        rels += ["last"] if number == len(found) - 1 else []
        entries.append(_memento_link(request, memento, [*rels, "memento"]))
    body = ",\n".join(entries) + "\n"
    return Response(body, media_type=LINK_FORMAT, headers=fresh.headers())


def memento_headers(request: Request, revision: Revision) -> dict[str, str]:
    """Return the Memento-Datetime and Link headers of a revision's page."""
    headers = {"Memento-Datetime": http_date(_moment(revision))}
    if revision.url:
        headers["Link"] = ", ".join(_links(request, revision.url))
    return headers
