"""A real browser on the page as captured: none of its scripts run, nothing is loaded from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from versionvault.archive import Vault
from versionvault.web import create_app

from .browsing import ARTIFACTS, launch_chromium, needs_chromium
from .serving import serve
from .test_evidence import PAGE, T0

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("capture")
    home = folder / "archive"
    page = folder / "pier-works.html"
    page.write_bytes(PAGE)
    with Vault.init(home) as vault:
        read = vault.read_file(page, source="courier", url="https://courier.example/pier")
        vault.save_revision(read.article, T0, capture=read.page)
        with serve(create_app(vault)) as base:
            yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.mark.parametrize("width", [360, 1280])
def test_a_captured_script_never_runs(site: str, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    blocked: list[str] = []
    page.on("requestfailed", lambda request: blocked.append(f"{request.url} {request.failure}"))
    answered: list[str] = []
    page.on("response", lambda response: answered.append(response.url))
    try:
        page.goto(site + "/articles/pier-works/revisions/1")
        page.get_by_role("link", name="The page as captured").click()
        page.wait_for_load_state("networkidle")
        frame = page.frame_locator("iframe.capture")
        assert "cranes arrive from the mainland" in frame.locator("article").inner_text()
        inner = next(f for f in page.frames if f != page.main_frame)
        assert inner.evaluate("document.body.dataset.ran") is None
        assert inner.evaluate("document.title") == "Pier works begin | Harbour Courier"
        # the scripts' fetches are never made; the style and image are refused by the policy
        beacons = sorted(url.rsplit("/", 1)[1] for url in requests if "beacon" in url)
        assert beacons == ["beacon-img.png", "beacon-style.css"], requests
        assert sorted(b.rsplit("/", 1)[1] for b in blocked if "beacon" in b) == [
            "beacon-img.png csp",
            "beacon-style.css csp",
        ]
        assert not [url for url in answered if "beacon" in url]
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, "the wrapper page scrolls sideways"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"capture-{width}.png"), full_page=True)

        page.goto(site + "/articles/pier-works/revisions/1/capture?view=page")  # not framed
        assert page.evaluate("document.contentType") == "text/plain"
        assert "<script>" in page.locator("body").inner_text()
        assert not [url for url in answered if "beacon" in url]
    finally:
        context.close()
