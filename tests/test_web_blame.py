"""Tests of blame (page, JSON, CLI) and of the diff page's pairs, counts and reversed ranges."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from versionvault.archive import Vault
from versionvault.cli import build_demo
from versionvault.diff import diff_body
from versionvault.web import create_app

from .browsing import CHROMIUM, launch_chromium
from .conftest import run_cli
from .serving import serve

SCHOOLS = "saltings-kelpcombe-school-merger"
LIFEBOAT = "skerrow-lifeboat-rescue"
FERRY = "ouwan-ferry-terminal"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    vault = build_demo(tmp_path_factory.mktemp("blame") / "archive")
    yield vault
    vault.close()


@pytest.fixture(scope="module")
def client(demo: Vault) -> Iterator[TestClient]:
    with TestClient(create_app(demo)) as test_client:
        yield test_client


def _get(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:300])
    return response


def _paragraphs(body: str) -> list[str]:
    return [p for p in body.rstrip("\n").split("\n\n") if p]


def test_blame_json_is_the_documented_document(client: TestClient, demo: Vault) -> None:
    data = _get(client, f"/api/articles/{LIFEBOAT}/blame").json()
    assert list(data) == ["article", "revision", "blocks"]
    assert data["article"] == LIFEBOAT and data["revision"]["revision"] == 5
    history = {r.number: r for r in demo.history(LIFEBOAT)}
    body = demo.text(history[5]).body
    assert [b["text"] for b in data["blocks"]] == _paragraphs(body)
    for block in data["blocks"]:
        assert list(block) == ["text", "revision", "commit", "first"]
        assert block["commit"] == history[block["revision"]].commit
        assert block["first"] <= block["revision"]
    by_text = {b["text"][:12]: b for b in data["blocks"]}
    assert (by_text["Update, 14:2"]["revision"], by_text["Update, 14:2"]["first"]) == (4, 4)
    assert (by_text["Update, 17:3"]["revision"], by_text["Update, 17:3"]["first"]) == (5, 5)
    assert data["blocks"][0]["first"] == 1


def test_blame_of_a_rewrite_keeps_where_each_paragraph_began(client: TestClient) -> None:
    blocks = _get(client, f"/api/articles/{SCHOOLS}/blame?rev=3").json()["blocks"]
    rewritten = [b for b in blocks if b["revision"] == 3]
    assert len(rewritten) == 3 and all(b["first"] == 1 for b in rewritten)
    earlier = _get(client, f"/api/articles/{SCHOOLS}/blame?rev=2").json()
    assert earlier["revision"]["revision"] == 2
    assert all(b["revision"] <= 2 for b in earlier["blocks"])


def test_blame_names_revisions_by_sha(client: TestClient, demo: Vault) -> None:
    second = demo.history(SCHOOLS)[1]
    by_sha = _get(client, f"/api/articles/{SCHOOLS}/blame?rev={second.commit}").json()
    by_number = _get(client, f"/api/articles/{SCHOOLS}/blame?rev=2").json()
    assert by_sha == by_number


def test_blame_page_links_each_block_to_its_diff(client: TestClient) -> None:
    response = _get(client, f"/articles/{SCHOOLS}/blame?rev=3")
    assert response.template.name == "blame.html"
    html = response.text
    assert f'href="/articles/{SCHOOLS}/diff?from=2&amp;to=3"' in html
    assert f'href="/articles/{SCHOOLS}/revisions/1"' in html
    assert "since revision 1" in html
    page = response.context["page"]
    assert [row.text for row in page.rows] == [b.text for b in response.context["page"].rows]
    assert len(page.rows) == html.count('class="blame-text"')


def test_blame_errors_are_readable(client: TestClient) -> None:
    assert _get(client, "/api/articles/nope/blame", 404).json()["error"]
    assert _get(client, f"/api/articles/{SCHOOLS}/blame?rev=99", 404).json()["error"]
    assert _get(client, f"/api/articles/{SCHOOLS}/blame?rev=%3Cx%3E", 400).json()["error"]
    assert "<x>" not in _get(client, f"/articles/{SCHOOLS}/blame?rev=%3Cx%3E", 400).text


def test_blame_cli(demo: Vault) -> None:
    home = Path(demo.home)
    done = run_cli(home, "blame", LIFEBOAT)
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0].startswith(f"{LIFEBOAT}: revision 5")
    assert any(line.split()[0] == "4" and "Update, 14:20" in line for line in lines[1:])
    data = json.loads(run_cli(home, "blame", LIFEBOAT, "2", "--format", "json").output)
    assert data["revision"]["revision"] == 2
    missing = run_cli(home, "blame", "no-such-article")
    assert missing.exit_code == 1 and missing.output.count("\n") == 1


def test_split_view_pairs_every_reworded_paragraph(client: TestClient) -> None:
    response = _get(client, f"/articles/{SCHOOLS}/diff?from=2&to=3&view=split")
    page = response.context["page"]
    changed = [p for p in page.items if getattr(p, "kind", "") == "change"]
    paired = [p for p in changed if p.old and p.new]
    assert len(paired) == 3
    html = response.text
    rows = re.findall(r'<div class="chg chg-change".*?</div>\s*</div>\s*</div>', html, re.S)
    assert len(rows) == len(changed)
    alone = [p for p in changed if not (p.old and p.new)]
    assert sum(row.count("(nothing)") for row in rows) == len(alone)


def test_reversed_range_says_so(client: TestClient) -> None:
    response = _get(client, f"/articles/{SCHOOLS}/diff?from=3&to=1")
    assert response.context["page"].reversed
    assert "Newer → older" in response.text
    assert f'href="/articles/{SCHOOLS}/diff?from=1&amp;to=3"' in response.text
    assert _get(client, f"/api/articles/{SCHOOLS}/diff?from=3&to=1").json()["reversed"] is True
    assert _get(client, f"/api/articles/{SCHOOLS}/diff?from=1&to=3").json()["reversed"] is False
    assert "Newer → older" not in _get(client, f"/articles/{SCHOOLS}/diff?from=1&to=3").text


def test_cjk_counts_characters_and_small_edits_stand_out(client: TestClient) -> None:
    response = _get(client, f"/articles/{FERRY}/diff?from=1&to=2")
    html = response.text
    assert "characters" in html.split('class="summary-line"')[1][:600]
    assert re.search(r'<del class="tiny"><span class="vh">removed: </span>小</del>', html)
    document = _get(client, f"/api/articles/{FERRY}/diff?from=1&to=2").json()
    assert document["stats"]["unit"] == "characters"
    assert (document["stats"]["chars_added"], document["stats"]["chars_removed"]) == (1, 1)


def test_same_revision_is_no_change(client: TestClient) -> None:
    response = _get(client, f"/articles/{SCHOOLS}/diff?from=2&to=2")
    assert 'class="kind kind-unchanged">no change<' in response.text
    assert _get(client, f"/api/articles/{SCHOOLS}/diff?from=2&to=2").json()["kind"] == "unchanged"


def test_blame_page_renders_each_block_as_the_article_page_does(client: TestClient) -> None:
    pages = {
        slug: _get(client, f"/articles/{slug}/blame").text
        for slug in ("council-chief-north-mole-inspectors", "harbour-board-budget-2026")
    }
    pages["festival"] = _get(client, "/articles/harbour-lights-festival-lineup/blame").text
    html = "".join(pages.values())
    assert '<h2 class="body-head">' in html and "<li>" in html and "<table" in html
    assert '<th scope="col">' in html
    for text in pages.values():
        rows = re.findall(r'<li class="blame-row.*?</li>\n', text, re.S)
        assert rows
        for row in rows:
            shown = re.sub(r"<[^>]+>", "", row)
            assert "## " not in shown and "\n- " not in shown and "| " not in shown
            assert "&gt; " not in shown
            assert re.search(r'href="/articles/[^"]+/(diff\?|revisions/1)', row)


def test_the_meeting_paragraph_reported_after_the_meeting_is_paired(demo: Vault) -> None:
    history = demo.history(SCHOOLS)
    before, after = demo.text(history[2]), demo.text(history[3])
    blocks = [b for b in diff_body(before.body, after.body) if b.type != "equal"]
    assert len(blocks) == 2
    paired, added = blocks
    assert ("-", "A public meeting on the plan will be held") in paired.ops
    assert ("+", "More than 150 people attended the public meeting") in paired.ops
    assert ("=", " at the Saltings Chapel hall on Tuesday ") in paired.ops
    assert [op for op, _ in added.ops] == ["+"] and "Asked whether" in added.ops[0][1]


def test_split_view_stacks_each_pair_on_a_phone(demo: Vault) -> None:
    pytest.importorskip("playwright")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install Debian's chromium package")
    url = f"/articles/{SCHOOLS}/diff?from=3&to=4&view=split"
    with serve(create_app(demo)) as base:
        for browser in launch_chromium():
            for width, stacked in ((360, True), (1280, False)):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(base + url)
                row = page.locator(".body-diff .chg .row").first
                old = row.locator(".cell.old").bounding_box()
                new = row.locator(".cell.new").bounding_box()
                assert old and new
                if stacked:
                    assert new["y"] >= old["y"] + old["height"] - 1 and new["width"] > 300
                    assert row.locator(".side-label").first.is_visible()
                else:
                    assert abs(new["y"] - old["y"]) < 2 and new["x"] > old["x"] + old["width"]
                    assert not row.locator(".side-label").first.is_visible()
                page.close()
