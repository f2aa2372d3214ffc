"""Tests for share cards: the PNG, its metadata on the diff page, caching and hostile text."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from versionvault.archive import Vault
from versionvault.text import make_article
from versionvault.web import create_app, lettering
from versionvault.web.card import card_of, render_card

from .test_web import build_archive

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
HOSTILE_TITLE = "<script>alert('card')</script> " + "Very long headline " * 20 + "\u202eevil\u202c"
RTL_TITLE = "مجلس الميناء يوافق على ميزانية جديدة 🔥 <img src=x onerror=alert(1)>"


@pytest.fixture
def client(vault: Vault) -> Any:
    build_archive(vault)
    first = make_article(id="hostile", source="wire", title=HOSTILE_TITLE, body="Plain text.")
    vault.save_revision(first)
    body = "שלום עולם 😀 <b>bold</b>\n\n" + "x" * 400 + "\n\nZero\u200bwidth and e\u0301 marks."
    vault.save_revision(make_article(id="hostile", source="wire", title=RTL_TITLE, body=body))
    cjk = make_article(
        id="gangkou", source="gangkou-ribao", title="新渡轮码头下月动工", body="旅客约1200人次。"
    )
    vault.save_revision(cjk)
    vault.save_revision(make_article(**{**vars(cjk), "body": "旅客约2100人次\uff0c是现有的三倍。"}))
    with TestClient(create_app(vault)) as test_client:
        yield test_client


def _png(response: Any) -> Image.Image:
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def _keep(name: str, data: bytes) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)


def test_the_diff_page_names_its_card_and_the_card_is_a_1200x630_png(
    client: Any, vault: Vault
) -> None:
    page = client.get("/articles/story/diff?from=1&to=3").text
    image_url = re.search(r'<meta property="og:image" content="([^"]+)"', page)
    assert image_url and '<meta name="twitter:card" content="summary_large_image">' in page
    url = html.unescape(image_url.group(1))
    old, new = vault.revision("story", 1).commit, vault.revision("story", 3).commit
    assert url == f"http://testserver/articles/story/diff.png?from={old}&to={new}"
    assert f'<meta name="twitter:image" content="{image_url.group(1)}">' in page
    response = client.get(url)
    assert _png(response).size == (1200, 630)
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = client.get(url, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert client.get(url).content == response.content
    _keep("card-story.png", response.content)


def test_the_card_changes_with_the_pair(client: Any) -> None:
    one = client.get("/articles/story/diff.png?from=1&to=2").content
    two = client.get("/articles/story/diff.png?from=2&to=3").content
    default = client.get("/articles/story/diff.png")
    assert one != two and _png(default).size == (1200, 630)
    assert default.headers["cache-control"] == "no-cache"


def test_hostile_text_renders_safely(client: Any) -> None:
    response = client.get("/articles/hostile/diff.png")
    assert _png(response).size == (1200, 630)
    _keep("card-hostile.png", response.content)
    page = client.get("/articles/hostile/diff").text
    assert "<script>alert('card')" not in page
    og = re.findall(r'<meta property="og:[a-z:]+" content="([^"]*)"', page)
    assert og and all("<" not in value for value in og)


def test_bad_requests_get_readable_errors(client: Any) -> None:
    assert client.get("/articles/story/diff.png?from=zz").status_code == 400
    assert client.get("/articles/nope/diff.png").status_code == 404
    assert client.get("/articles/story/diff.png?from=1&to=99").status_code == 404


@pytest.mark.skipif(not CJK_FONT.is_file(), reason="no CJK font: apt-get install fonts-noto-cjk")
def test_cjk_renders_with_a_cjk_font_and_degrades_without(
    client: Any, vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = lettering.font_chain("serif-bold", 40)
    assert chain.coverage("新渡轮码头下月动工") == 1.0
    with_font = client.get("/articles/gangkou/diff.png").content
    _keep("card-cjk.png", with_font)
    monkeypatch.setattr(lettering, "_NOTO", (Path("/nowhere"),))
    lettering.font_chain.cache_clear()
    try:
        assert lettering.font_chain("serif-bold", 40).coverage("新渡轮码头下月动工") == 0.0
        card = card_of("VersionVault", vault.diff("gangkou"))
        without = render_card(card, "gangkou")
    finally:
        monkeypatch.undo()
        lettering.font_chain.cache_clear()
    assert Image.open(io.BytesIO(without)).size == (1200, 630) and without != with_font
    _keep("card-cjk-no-font.png", without)


def test_the_card_shows_the_biggest_change_not_typography(vault: Vault) -> None:
    build_archive(vault)
    drawn = render_card(card_of("VersionVault", vault.diff("story", 1, 5)), "story")
    assert drawn == render_card(card_of("VersionVault", vault.diff("story", 1, 5)), "story")
    card = card_of("VersionVault", vault.diff("story", 3, 4))
    assert card.label.startswith("The change") or card.label.startswith("The biggest")
    headline = card_of("VersionVault", vault.diff("story", 2, 3))
    assert headline.label.startswith("Headline changed")
    assert ("-", "approves") in headline.ops and ("+", "passes disputed") in headline.ops
    assert headline.outlet == "Paper" and headline.added >= 1
