"""The built site in a real browser (Debian's Chromium, headless, driven by Playwright), as a reader uses it:
search, filter the cases and share the filter, switch language, follow a citation; and what a reader must
never meet: a request to another site, a serious accessibility fault, a page wider than a phone.

Set HANDBOOK_SCREENSHOTS=DIR to also keep screenshots of each page type at phone and desktop widths."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitebuild import built_handbook, serve_folder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PAGES = {  # one page of each type
    "home": "/en/index.html",
    "case-index": "/en/cases/index.html",
    "case": "/en/cases/mondragon.html",
    "recipe": "/en/recipes/inclusive-first-meeting.html",
    "toolkit": "/en/toolkits/school.html",
    "recipe-index": "/en/recipes/index.html",
    "root": "/index.html",
}
AXE_PAGES = ("home", "case-index", "case", "recipe")


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_handbook(tmp_path_factory)


@pytest.fixture(scope="session")
def site(book: Path) -> Iterator[str]:
    """The base address of the built site, served on 127.0.0.1."""
    with serve_folder(book / "site") as base:
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def case_sectors(book: Path) -> dict[str, list[str]]:
    from generator.validate import load_handbook

    handbook = load_handbook(book)
    return {slug: list(entry.model.sectors) for slug, entry in handbook.cases.items()}


def visible_cards(page: Any) -> list[str]:
    return sorted(page.eval_on_selector_all(
        "#hb-cards .hb-card", "cards => cards.filter(c => !c.hidden && c.offsetParent !== null)"
        ".map(c => c.querySelector('a').getAttribute('href'))"))


# ---------------------------------------------------------------- a reader's paths


def test_search_from_the_home_page_finds_mondragon_and_opens_its_case(page: Any, site: str) -> None:
    page.goto(f"{site}/en/index.html")
    page.locator(".hb-search-open").click()
    page.keyboard.type("Mondragon")
    result = page.locator(".hb-search__results a[href$='/en/cases/mondragon.html']").first
    result.wait_for()
    result.click()
    page.wait_for_url(re.compile(r"/en/cases/mondragon\.html"))
    assert "Mondragon" in page.locator("h1").first.inner_text()


def test_filtering_the_cases_by_sector_shows_only_matches_and_survives_a_reload(page: Any, site: str,
                                                                                 book: Path) -> None:
    sectors = case_sectors(book)
    used = sorted({s for values in sectors.values() for s in values})
    sector = min(used, key=lambda s: (sum(s in v for v in sectors.values()), s))  # the rarest: a real filter
    expected = sorted(f"{slug}.html" for slug, values in sectors.items() if sector in values)
    assert 0 < len(expected) < len(sectors)
    page.goto(f"{site}/en/cases/index.html")
    assert len(visible_cards(page)) == len(sectors)
    page.select_option("#hb-filter select[name='sector']", sector)
    assert visible_cards(page) == expected
    count = page.locator("#hb-count").inner_text()
    assert re.search(rf"\b{len(expected)}\b.*\b{len(sectors)}\b", count), count
    assert f"sector={sector}" in page.url
    page.reload()
    assert page.input_value("#hb-filter select[name='sector']") == sector
    assert visible_cards(page) == expected
    assert re.search(rf"\b{len(expected)}\b", page.locator("#hb-count").inner_text())


def test_without_javascript_every_card_shows_and_the_filter_stays_hidden(browser: Any, site: str, book: Path) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/en/cases/index.html")
    assert len(visible_cards(page)) == len(case_sectors(book))
    assert not page.locator("#hb-filter").is_visible()
    context.close()


def test_switching_language_on_a_case_page_lands_on_the_same_case(page: Any, site: str) -> None:
    page.goto(f"{site}/en/cases/mondragon.html")
    page.locator(".md-header__option .md-select").first.hover()
    page.locator("a.md-select__link[hreflang='es']").click()
    page.wait_for_url(re.compile(r"/es/cases/mondragon\.html$"))
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").count() == 1


def test_a_citation_leads_to_its_source_entry(page: Any, site: str) -> None:
    page.goto(f"{site}/en/cases/mondragon.html")
    cite = page.locator("sup.hb-cite a").first
    target = cite.get_attribute("href")
    assert target and target.startswith("#source-")
    cite.click()
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    entry = page.locator(f"li{target}")
    assert entry.is_visible()
    box = entry.bounding_box()
    assert box is not None and 0 <= box["y"] < DESKTOP["height"], "the source entry is scrolled into view"
    assert page.evaluate("document.querySelector(':target').id") == target[1:]


# ---------------------------------------------------------------- what a reader must never meet


def test_no_page_makes_a_request_beyond_127_0_0_1(browser: Any, site: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    for path in PAGES.values():
        page.goto(f"{site}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{site}/en/index.html")
    page.locator(".hb-search-open").click()
    page.locator("#hb-search-query").fill("cooperative")  # search loads Pagefind, its index chunks and fragments
    page.locator(".hb-search__results li").first.wait_for()
    context.close()
    assert any("/cases/" in url for url in requests)
    outside = sorted({url for url in requests if not url.startswith((f"{site}/", "data:", "blob:"))})
    assert not outside, f"requests left 127.0.0.1: {outside}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", AXE_PAGES)
def test_axe_finds_no_serious_or_critical_violation(browser: Any, site: str, name: str,
                                                    viewport: dict[str, int]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{site}{PAGES[name]}")
    results = Axe().run(page)
    context.close()
    bad = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_type_fits_the_screen_width(browser: Any, site: str, viewport: dict[str, int]) -> None:
    shots = os.environ.get("HANDBOOK_SCREENSHOTS")
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    wide = []
    for name, path in PAGES.items():
        page.goto(f"{site}{path}")
        if page.evaluate("document.documentElement.scrollWidth") > viewport["width"]:
            wide.append(name)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{name}-{viewport['width']}.png"), full_page=True)
    context.close()
    assert not wide, f"wider than {viewport['width']} px, so they scroll sideways: {wide}"
