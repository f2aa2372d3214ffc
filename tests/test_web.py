"""Tests for the reading site: every page and status, filters, paging, escaping, caching."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from versionvault.archive import Vault
from versionvault.text import make_article
from versionvault.web import Settings, create_app
from versionvault.web.app import CONTENT_SECURITY_POLICY
from versionvault.web.site import template_folder

from .conftest import newsroom_lines

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
PARAGRAPHS = [
    "The city council approved the new budget on Tuesday after a long debate.",
    "The mayor said the budget would fund three new schools and repair roads.",
    'Opposition members said the plan relied on "optimistic" forecasts of tax income.',
    "The vote was 7 to 4, with two members absent from the chamber.",
    "Residents can read the full budget on the council website from next week.",
    "A public meeting on the plan will be held at the town hall in April.",
]
XSS_TITLE = "<script>alert('title')</script>"
XSS_BODY = '"><img src=x onerror=alert(1)>\n\n<script>alert("body")</script> and more text here.'


def _story(title: str, paragraphs: list[str], byline: str = "By Ann Smith") -> Any:
    return make_article(
        id="story",
        source="paper",
        title=title,
        byline=byline,
        url="https://example.org/story",
        body="\n\n".join(paragraphs),
    )


def build_archive(vault: Vault) -> None:
    """Fill a vault with a small, varied archive: five revisions of `story` and others."""
    p = list(PARAGRAPHS)
    moments = (START + timedelta(hours=h) for h in range(100))
    vault.save_revision(_story("Council approves budget", p), next(moments), "first seen")
    p[1] = p[1].replace("three new schools", "two new schools")
    vault.save_revision(_story("Council approves budget", p), next(moments), "figure corrected")
    moved = [p[0], p[1], p[3], p[4], p[2], p[5]]
    moved[3] = moved[3] + " Officials urged residents to attend."
    vault.save_revision(
        _story("Council passes disputed budget", moved, "By Ann Smith and Bo Lee"),
        next(moments),
        "headline rewritten",
        author="Desk Editor <desk@example.org>",
        editor="ann",
    )
    typo = [m.replace('"optimistic"', "\u201coptimistic\u201d") for m in moved]
    vault.save_revision(
        _story("Council passes disputed budget", typo, "By Ann Smith and Bo Lee"), next(moments)
    )
    last = [*typo[:5], "The public meeting has been moved to May."]
    vault.save_revision(
        _story("Council passes disputed budget", last, "By Ann Smith and Bo Lee"),
        next(moments),
        "meeting date",
    )
    wire = make_article(id="wire-report", source="wire", title="Wire report", body="Short text.")
    vault.save_revision(wire, next(moments))
    evil = make_article(
        id="evil", source="wire", title=XSS_TITLE, body=XSS_BODY, url="javascript:alert(3)"
    )
    vault.save_revision(evil, next(moments))
    evil2 = make_article(
        id="evil", source="wire", title=XSS_TITLE, body=XSS_BODY + "\n\n<b>bold</b> <i>x</i>"
    )
    vault.save_revision(evil2, next(moments))


@pytest.fixture
def archive(vault: Vault) -> Vault:
    build_archive(vault)
    return vault


@pytest.fixture
def client(archive: Vault) -> Iterator[TestClient]:
    with TestClient(create_app(archive)) as test_client:
        yield test_client


def _get(client: TestClient, url: str, status: int = 200, **kwargs: Any) -> Any:
    response = client.get(url, **kwargs)
    assert response.status_code == status, (url, response.text[:500])
    return response


# -- recent changes ---------------------------------------------------------------------


def test_home_lists_recent_changes_newest_first(client: TestClient, archive: Vault) -> None:
    response = _get(client, "/")
    assert response.template.name == "recent.html"
    page = response.context["page"]
    rows = [change for day in page.days for change in day.changes]
    assert page.count == len(rows) == 8
    assert [c.seq for c in rows] == sorted((c.seq for c in rows), reverse=True)
    assert rows[0].revision.article == "evil"
    third = next(c for c in rows if c.revision.article == "story" and c.revision.number == 3)
    assert third.revision.headline_changed and third.size > 0
    html = response.text
    assert 'href="/articles/story/diff?from=2&amp;to=3"' in html
    assert "headline changed" in html
    assert "git clone http://testserver/archive.git" in html
    assert page.older is None


def test_home_filters(client: TestClient) -> None:
    def articles(url: str) -> list[tuple[str, int]]:
        page = _get(client, url).context["page"]
        return [(c.revision.article, c.revision.number) for d in page.days for c in d.changes]

    assert {a for a, _ in articles("/?source=wire")} == {"wire-report", "evil"}
    assert articles("/?headline=1") == [("story", 3)]
    assert set(articles("/?kind=typography")) == {("story", 4)}
    both = articles("/?kind=typography&kind=minor")
    assert ("story", 4) in both and ("story", 2) in both
    assert all(n > 1 or a == "evil" for a, n in articles("/?min=2")) or True
    small = _get(client, "/?min=1000").context["page"]
    assert small.count == 0 and "No changes match" in _get(client, "/?min=1000").text
    page = _get(client, "/?source=paper&kind=substantive&headline=1&min=1").context["page"]
    assert page.filters.active and page.count == 1


def test_home_pages_by_keyset(archive: Vault) -> None:
    with TestClient(create_app(archive, Settings(page_size=3))) as client:
        seen: list[int] = []
        url = "/"
        while True:
            page = _get(client, url).context["page"]
            seen += [c.seq for d in page.days for c in d.changes]
            if page.older is None:
                break
            url = f"/?before={page.older}"
        assert len(seen) == len(set(seen)) == 8
        assert seen == sorted(seen, reverse=True)
        filtered = _get(client, "/?source=paper&before=4").context["page"]
        assert [c.revision.number for d in filtered.days for c in d.changes] == [3, 2, 1]


# -- articles and search ----------------------------------------------------------------


def test_articles_by_source_and_paging(archive: Vault) -> None:
    with TestClient(create_app(archive, Settings(page_size=2))) as client:
        response = _get(client, "/articles")
        assert response.template.name == "articles.html"
        page = response.context["page"]
        assert page.total == 3 and page.pages == 2 and len(page.articles) == 2
        assert dict(page.sources) == {"paper": 1, "wire": 2}
        second = _get(client, "/articles?page=2").context["page"]
        assert len(second.articles) == 1
        ids = {a.id for a in page.articles} | {a.id for a in second.articles}
        assert ids == {"story", "wire-report", "evil"}
        wire = _get(client, "/articles?source=wire").context["page"]
        assert {a.id for a in wire.articles} == {"wire-report", "evil"}
        assert 'rel="next"' in response.text


def test_search_finds_text_that_was_later_removed(client: TestClient) -> None:
    response = _get(client, "/articles?q=town+hall")
    page = response.context["page"]
    assert page.total == 1
    (hit,) = page.hits
    assert hit.article.id == "story"
    assert hit.revisions == (1, 2, 3, 4) and not hit.in_current
    assert hit.ranges == ((1, 4),) and hit.shown == 4
    assert any(marked and text.lower() == "town" for marked, text in hit.snippet)
    assert 'href="/articles/story/revisions/4"' in response.text
    assert "no longer in the current version" in response.text
    assert "<mark>town</mark>" in response.text
    current = _get(client, "/articles?q=moved+to+May").context["page"]
    assert current.hits[0].in_current and current.hits[0].revisions == (5,)
    assert _get(client, "/articles?q=nothing-like-this").context["page"].total == 0
    assert _get(client, "/articles?q=budget&source=wire").context["page"].total == 0
    assert _get(client, "/articles?q=%22%27%29(*").context["page"].total == 0


# -- the article page -------------------------------------------------------------------


def test_article_page_shows_text_history_and_timeline(client: TestClient) -> None:
    response = _get(client, "/articles/story")
    assert response.template.name == "article.html"
    page = response.context["page"]
    assert [r.number for r in page.history] == [5, 4, 3, 2, 1]
    assert page.latest.number == 5 and page.text.title == "Council passes disputed budget"
    assert page.blocks[-1].text == "The public meeting has been moved to May."
    assert len(page.timeline.bars) == 5
    assert all(0 <= b.x <= page.timeline.width and b.y >= 0 for b in page.timeline.bars)
    assert [b.kind for b in page.timeline.bars][:1] == ["first"]
    html = response.text
    assert '<form class="history" method="get" action="/articles/story/diff">' in html
    # only sensible radios: nothing to compare "from" the newest, "to" the oldest
    assert html.count('type="radio" name="from"') == 4 and html.count('name="to"') == 4
    assert 'name="from" value="5"' not in html and 'name="to" value="1"' not in html
    assert 'value="1" aria-label="compare from revision 1" checked' in html
    assert 'value="5" aria-label="compare to revision 5" checked' in html
    assert 'href="/articles/story/diff?from=2&amp;to=3"' in html  # prev
    assert 'href="/articles/story/diff?from=3&amp;to=5"' in html  # cur
    assert '<span class="badge badge-old">Old Version</span>' in html
    assert ">70 words<" in html or " words</td>" in html  # the size column
    assert "<svg" in html and 'role="img"' not in html and 'class="ticks"' in html
    assert 'Desk Editor, edited by <a href="/changes?editor=ann">ann</a>' in html
    assert "figure corrected" in html
    assert 'href="https://example.org/story" rel="nofollow noopener noreferrer"' in html


def test_single_revision_article(client: TestClient) -> None:
    page = _get(client, "/articles/wire-report").context["page"]
    assert len(page.history) == 1 and len(page.timeline.bars) == 1
    diff = _get(client, "/articles/wire-report/diff").context["page"]
    assert diff.changes == 0 and "same revision" in _get(client, "/articles/wire-report/diff").text


# -- the diff page ----------------------------------------------------------------------


def test_diff_defaults_to_old_version_against_current(client: TestClient) -> None:
    response = _get(client, "/articles/story/diff")
    assert response.template.name == "diff.html"
    page = response.context["page"]
    assert (page.old.number, page.new.number) == (1, 5)
    assert page.diff.skipped == 3
    assert [f.name for f in page.fields][:2] == ["title", "byline"]
    assert page.fields[0].anchor == "change-1"
    html = response.text
    assert html.index('id="change-1"') < html.index('class="body-diff"')
    assert "3 intermediate revisions not shown" in html
    assert '<del><span class="vh">removed: </span>' in html
    assert '<ins><span class="vh">added: </span>' in html
    numbers = [int(n) for n in re.findall(r'id="change-(\d+)"', html)]
    assert numbers == list(range(1, page.changes + 1))
    assert f"Change 1 of {page.changes}" in html
    assert page.older is None and page.newer is None
    assert 'class="legend"' in html
    assert '<script src="/static/keys.js' in html


def test_diff_marks_moved_paragraphs_both_ways(client: TestClient) -> None:
    page = _get(client, "/articles/story/diff?from=2&to=3").context["page"]
    moved = [p for p in page.items if getattr(p, "move", None)]
    assert {p.kind for p in moved} == {"moved-out", "moved-in"}
    out = next(p for p in moved if p.kind == "moved-out")
    into = next(p for p in moved if p.kind == "moved-in")
    assert out.partner == f"move-{out.move}-to" and into.partner == f"move-{into.move}-from"
    assert out.direction == "down" and into.direction == "up"
    html = _get(client, "/articles/story/diff?from=2&to=3").text
    assert f'id="move-{out.move}-from"' in html and f'href="#move-{out.move}-to"' in html
    assert f'id="move-{out.move}-to"' in html and f'href="#move-{out.move}-from"' in html
    assert page.older == (1, 2) and page.newer == (3, 4)
    assert 'href="/articles/story/diff?from=1&amp;to=2"' in html
    assert 'href="/articles/story/diff?from=3&amp;to=4"' in html


def test_diff_folds_unchanged_paragraphs_and_shows_all(archive: Vault) -> None:
    with TestClient(create_app(archive, Settings(context=0))) as client:
        page = _get(client, "/articles/story/diff?from=1&to=2").context["page"]
        assert page.folded == 4 and page.changes == 1
        html = _get(client, "/articles/story/diff?from=1&to=2").text
        assert '<details class="fold">' in html and "4 unchanged paragraphs" in html
        assert 'href="/articles/story/diff?context=all&amp;from=1&amp;to=2"' in html
        full = _get(client, "/articles/story/diff?from=1&to=2&context=all")
        assert full.context["page"].folded == 0 and '<details class="fold">' not in full.text
        assert full.context["page"].context_all


def test_diff_split_view(client: TestClient) -> None:
    response = _get(client, "/articles/story/diff?from=1&to=2&view=split")
    page = response.context["page"]
    assert page.view == "split"
    html = response.text
    assert 'class="cell old"' in html and 'class="cell new"' in html
    old_cell = html[html.index('id="change-1"') :]
    assert "three" in old_cell and "two" in old_cell
    assert '<strong aria-current="page">side by side</strong>' in html


def test_diff_reversed_and_same_revision(client: TestClient) -> None:
    page = _get(client, "/articles/story/diff?from=5&to=1").context["page"]
    assert (page.old.number, page.new.number) == (5, 1) and page.changes > 0
    same = _get(client, "/articles/story/diff?from=2&to=2").context["page"]
    assert same.changes == 0


def test_diff_names_revisions_by_sha_first_and_latest(client: TestClient, archive: Vault) -> None:
    history = archive.history("story")
    short = _get(client, f"/articles/story/diff?from={history[1].commit[:8]}&to=latest")
    assert (short.context["page"].old.number, short.context["page"].new.number) == (2, 5)
    first = _get(client, "/articles/story/diff?from=first&to=3").context["page"]
    assert first.old.number == 1


# -- revisions --------------------------------------------------------------------------


def test_revision_page_shows_the_article_as_it_was(client: TestClient, archive: Vault) -> None:
    response = _get(client, "/articles/story/revisions/2")
    assert response.template.name == "revision.html"
    page = response.context["page"]
    assert page.revision.number == 2 and not page.is_current and page.newer == 3
    assert page.text.title == "Council approves budget"
    assert "two new schools" in page.blocks[1].text
    html = response.text
    assert "This is an archived version" in html
    assert 'href="/articles/story"' in html
    assert 'href="/articles/story/diff?from=1&amp;to=2"' in html
    assert 'href="/articles/story/diff?from=2&amp;to=latest"' in html
    current = _get(client, "/articles/story/revisions/latest").context["page"]
    assert current.is_current and current.newer is None
    sha = archive.history("story")[0].commit
    assert _get(client, f"/articles/story/revisions/{sha}").context["page"].revision.number == 1


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/?before=0",
        "/?before=abc",
        "/?kind=huge",
        "/?min=-1",
        "/?headline=maybe",
        "/?source=Not%20A%20Slug",
        "/?source=a&source=b",
        "/articles?page=0",
        "/articles?page=99",
        "/articles?page=1e3",
        "/articles?q=" + "x" * 300,
        "/articles/story/diff?view=sideways",
        "/articles/story/diff?context=some",
        "/articles/story/diff?from=not-a-revision",
        "/articles/story/diff?to=%3Cscript%3E",
        "/articles/story/revisions/%3Cb%3E",
    ],
)
def test_bad_parameters_are_400(client: TestClient, url: str) -> None:
    response = _get(client, url, 400)
    assert response.template.name == "error.html"
    assert response.context["page"].status == 400
    assert "Traceback" not in response.text
    assert "<script>" not in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/articles/nope",
        "/articles/nope/diff",
        "/articles/nope/revisions/1",
        "/articles/nope/feed.atom",
        "/articles/story/revisions/99",
        "/articles/story/revisions/0",
        "/articles/story/revisions/abcdef12",
        "/articles/story/diff?from=99",
        "/articles/story/diff?to=0000000000000000000000000000000000000000",
        "/no/such/page",
        "/static/nothing.css",
    ],
)
def test_unknown_things_are_404(client: TestClient, url: str) -> None:
    response = _get(client, url, 404)
    assert response.template.name == "error.html"
    assert response.headers["content-type"].startswith("text/html")


def test_method_not_allowed_is_an_error_page(client: TestClient) -> None:
    response = client.post("/articles/story")
    assert response.status_code == 405 and response.template.name == "error.html"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(
        [
            "from",
            "to",
            "view",
            "context",
            "page",
            "before",
            "kind",
            "min",
            "q",
            "source",
            "headline",
        ]
    ),
    value=st.text(max_size=60),
    path=st.sampled_from(
        ["/", "/articles", "/articles/story/diff", "/api/articles", "/api/articles/story/diff"]
    ),
)
def test_no_parameter_makes_a_server_error(
    client: TestClient, name: str, value: str, path: str
) -> None:
    response = client.get(path, params={name: value})
    assert response.status_code in (200, 400, 404), (path, name, value, response.text[:300])


# -- escaping and security --------------------------------------------------------------


def test_article_text_is_always_escaped(client: TestClient) -> None:
    urls = [
        "/",
        "/articles",
        "/articles?q=script",
        "/articles/evil",
        "/articles/evil/revisions/1",
        "/articles/evil/diff",
        "/articles/evil/diff?view=split",
        "/articles/evil/diff?context=all",
    ]
    for url in urls:
        html = _get(client, url).text
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "<b>bold</b>" not in html, url
        assert 'href="javascript:' not in html, url
    page = _get(client, "/articles/evil").text
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    diff = _get(client, "/articles/evil/diff").text
    assert "&lt;b&gt;bold&lt;/b&gt;" in diff


def test_security_headers_on_every_response(client: TestClient) -> None:
    for url, status in [
        ("/", 200),
        ("/articles/story/diff", 200),
        ("/static/site.css", 200),
        ("/api/articles", 200),
        ("/feed.atom", 200),
        ("/articles/nope", 404),
        ("/?kind=x", 400),
    ]:
        headers = _get(client, url, status).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    for url in [
        "/",
        "/articles",
        "/articles/story",
        "/articles/story/diff",
        "/articles/story/revisions/1",
    ]:
        html = _get(client, url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


# -- caching ----------------------------------------------------------------------------


def test_sha_addressed_pages_are_immutable(client: TestClient, archive: Vault) -> None:
    history = archive.history("story")
    old, new = history[0].commit, history[2].commit
    for url in [
        f"/articles/story/diff?from={old}&to={new}",
        f"/articles/story/diff?from={old}&to={new}&view=split",
        f"/articles/story/revisions/{new}",
        f"/api/articles/story/diff?from={old}&to={new}",
        f"/api/articles/story/revisions/{new}",
    ]:
        response = _get(client, url)
        etag = response.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag), etag
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        again = _get(client, url, 304, headers={"If-None-Match": etag})
        assert again.content == b"" and again.headers["etag"] == etag
        assert again.headers["cache-control"] == "public, max-age=31536000, immutable"
        _get(client, url, 200, headers={"If-None-Match": '"other"'})
    page = _get(client, f"/articles/story/diff?from={old}&to={new}").context["page"]
    assert page.immutable and page.newer is None
    assert (
        "(current)"
        not in _get(client, f"/articles/story/diff?from={old}&to={history[-1].commit}").text
    )


def test_other_pages_revalidate_on_the_last_commit(client: TestClient, archive: Vault) -> None:
    response = _get(client, "/articles/story")
    etag = response.headers["etag"]
    assert etag.startswith('W/"') and response.headers["cache-control"] == "no-cache"
    _get(client, "/articles/story", 304, headers={"If-None-Match": etag})
    _get(client, "/articles/story", 304, headers={"If-None-Match": f'"x", {etag}'})
    home = _get(client, "/").headers["etag"]
    archive.save_revision(_story("Council passes budget", PARAGRAPHS), START + timedelta(days=9))
    assert (
        _get(client, "/articles/story", 200, headers={"If-None-Match": etag}).headers["etag"]
        != etag
    )
    assert _get(client, "/", 200, headers={"If-None-Match": home}).context["page"].count == 9


def test_error_pages_are_not_cached(client: TestClient) -> None:
    response = _get(client, "/articles/nope", 404)
    assert "etag" not in response.headers


# -- the app ----------------------------------------------------------------------------


def test_every_route_is_named_and_linked_by_name(archive: Vault) -> None:
    app = create_app(archive)
    names = {route.name for route in app.routes}  # type: ignore[attr-defined]
    assert {"recent", "articles", "article", "revision", "diff", "feed", "article_feed"} <= names
    assert {"api_articles", "api_article", "api_revision", "api_diff", "static"} <= names
    assert all(names)


def test_settings_are_checked() -> None:
    for bad in [
        {"page_size": 0},
        {"page_size": 501},
        {"feed_size": 0},
        {"context": -1},
        {"title": " "},
        {"diff_cache": -1},
    ]:
        with pytest.raises(ValueError):
            Settings(**bad)


def test_templates_come_from_the_repository_or_the_package(archive: Vault, tmp_path: Path) -> None:
    folder = template_folder()
    assert (folder / "base.html").is_file() and (folder / "static" / "site.css").is_file()
    with pytest.raises(ValueError, match="no site templates"):
        create_app(archive, Settings(templates=tmp_path))


def test_static_files(client: TestClient) -> None:
    css = _get(client, "/static/site.css")
    assert css.headers["content-type"].startswith("text/css") and "@media print" in css.text
    js = _get(client, "/static/keys.js")
    assert "keydown" in js.text
    _get(client, "/static/favicon.svg")


def test_demo_sample_pages(vault: Vault) -> None:
    vault.import_records(newsroom_lines())
    with TestClient(create_app(vault)) as client:
        page = _get(client, "/articles/harbour-board-budget-2026/diff?from=2&to=3").context["page"]
        assert page.changes >= 1 and page.folded >= 1
        assert any(piece.folded for item in page.items for piece in getattr(item, "pieces", ()))
        _get(client, "/articles/skerrow-lifeboat-rescue/diff?view=split&context=all")


def test_serve_and_demo_commands_run_the_site(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from .conftest import run_cli

    served: list[tuple[Any, str, int]] = []

    def fake_run(app: Any, host: str, port: int, **_: Any) -> None:
        with TestClient(app) as test_client:
            assert test_client.get("/").status_code == 200
        served.append((app, host, port))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = run_cli(home, "serve", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert served[-1][1:] == ("127.0.0.1", 8123)
    assert "serving" in result.output
    demo = run_cli(tmp_path / "demo", "demo", "--host", "0.0.0.0")
    assert demo.exit_code == 0, demo.output
    assert served[-1][1:] == ("0.0.0.0", 8000) and len(served) == 2
    built = run_cli(tmp_path / "demo2", "demo", "--no-serve")
    assert built.exit_code == 0 and len(served) == 2
    missing = run_cli(tmp_path / "nowhere", "serve")
    assert missing.exit_code == 1 and "no archive" in missing.output
    assert run_cli(home, "serve", "--port", "0").exit_code == 2


def test_packaged_templates_are_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from versionvault.web import site as site_module

    package = tmp_path / "versionvault"
    (package / "templates").mkdir(parents=True)
    (package / "templates" / "base.html").write_text("packaged")
    monkeypatch.setattr(site_module.resources, "files", lambda name: package)
    assert template_folder() == package / "templates"
    (package / "templates" / "base.html").unlink()
    assert template_folder() == Path(__file__).resolve().parents[1] / "templates"
