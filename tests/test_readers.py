"""What a first-time reader and an independent checker meet in the built site (issue 16): the addresses it
gives (none of its own without a `site_url`), its language links, its pages on a phone, its search index and
its printed pages. The real handbook is built once per session (tests/sitebuild.py) and reused."""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitebuild import REPO, built_handbook, copy_source, handbook, search_pages, serve_folder

pytestmark = pytest.mark.slow

SITE_URL = "https://decide.example.net/guide/"


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_handbook(tmp_path_factory)


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real handbook with a `site_url`, built in two languages (no worksheets)."""
    root = copy_source(tmp_path_factory.mktemp("published") / "book")
    settings = root / "handbook.yml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(f"{text}site_url: {SITE_URL}\n", encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en", "--lang", "es")
    assert result.exit_code == 0, result.output
    assert "sets no site_url" not in result.output
    return root


def languages() -> list[str]:
    data = yaml.safe_load((REPO / "handbook.yml").read_text(encoding="utf-8"))
    return [lang for lang in data["languages"] if not data.get("publish") or lang in data["publish"]]


def head_links(page: str) -> list[tuple[str, str, str]]:
    """(rel, href, hreflang) of every `<link>` in a page's head."""
    head = page.split("</head>", 1)[0]
    out = []
    for tag in re.findall(r"<link\b[^>]*>", head):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        out.append((attrs.get("rel", ""), attrs.get("href", ""), attrs.get("hreflang", "")))
    return out


# ---------------------------------------------------------------- addresses


def test_the_handbook_itself_sets_no_placeholder_address() -> None:
    settings = yaml.safe_load((REPO / "handbook.yml").read_text(encoding="utf-8"))
    assert "example." not in str(settings.get("site_url") or ""), "a placeholder would be published as if real"


def test_without_a_site_url_the_site_names_no_address_of_its_own(book: Path) -> None:
    site = book / "site"
    for lang in languages():
        assert "<loc>" not in (site / lang / "sitemap.xml").read_text(encoding="utf-8")
        for path in sorted((site / lang).rglob("*.html")):
            links = head_links(path.read_text(encoding="utf-8"))
            assert not [rel for rel, _, _ in links if rel == "canonical"], f"{path}: a canonical link"
            absolute = [href for _, href, _ in links if re.match(r"(?i)https?:", href)]
            assert not absolute, f"{path}: {absolute}"
        cases = json.loads((site / lang / "data" / "cases.json").read_text(encoding="utf-8"))
        for case in cases["cases"]:
            assert case["url"] == f"../cases/{case['id']}.html"
            assert (site / lang / "data" / case["url"]).resolve().is_file(), "the address leads to the page"
    root = (site / "index.html").read_text(encoding="utf-8")
    assert not [href for _, href, _ in head_links(root) if href.startswith("http")]


def test_a_build_without_a_site_url_says_so_once(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert result.output.count("sets no site_url") == 1, result.output


def test_with_a_site_url_canonical_links_sitemaps_and_data_use_it(published: Path) -> None:
    site = published / "site"
    page = (site / "en" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    assert ("canonical", f"{SITE_URL}en/cases/mondragon.html", "") in head_links(page)
    sitemap = (site / "es" / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{SITE_URL}es/cases/mondragon.html</loc>" in sitemap
    assert gzip.decompress((site / "es" / "sitemap.xml.gz").read_bytes()).decode("utf-8") == sitemap
    cases = json.loads((site / "es" / "data" / "cases.json").read_text(encoding="utf-8"))
    assert {case["url"] for case in cases["cases"]} >= {f"{SITE_URL}es/cases/mondragon.html"}
    root = head_links((site / "index.html").read_text(encoding="utf-8"))
    assert ("alternate", f"{SITE_URL}es/index.html", "es") in root
    assert ("alternate", SITE_URL, "x-default") in root


# ---------------------------------------------------------------- languages


def test_every_pages_alternates_lead_to_the_same_page_in_each_language(book: Path) -> None:
    site = book / "site"
    codes = languages()
    pages = sorted(p.relative_to(site / codes[0]).as_posix() for p in (site / codes[0]).rglob("*.html")
                   if p.name != "404.html")
    assert "cases/mondragon.html" in pages and "recipes/open-books.html" in pages
    for lang in codes:
        for relative in pages:
            path = site / lang / relative
            alternates = [(href, code) for rel, href, code in head_links(path.read_text(encoding="utf-8"))
                          if rel == "alternate" and code]
            assert sorted(code for _, code in alternates) == sorted(codes), f"{lang}/{relative}"
            for href, code in alternates:
                target = (path.parent / href).resolve()
                assert target == (site / code / relative).resolve(), f"{lang}/{relative}: {href}"
                assert target.is_file()


def test_with_a_site_url_the_alternates_are_absolute(published: Path) -> None:
    page = (published / "site" / "es" / "recipes" / "open-books.html").read_text(encoding="utf-8")
    alternates = {code: href for rel, href, code in head_links(page) if rel == "alternate" and code}
    assert alternates == {code: f"{SITE_URL}{code}/recipes/open-books.html" for code in languages()}


# ---------------------------------------------------------------- what the site ships


def test_the_site_ships_no_source_maps(book: Path) -> None:
    site = book / "site"
    assert not list(site.rglob("*.map"))
    for path in (site / "en" / "assets").rglob("*.min.*"):
        assert b"sourceMappingURL" not in path.read_bytes(), f"{path.name} names a source map the site lacks"


def test_the_search_index_reads_facts_as_sentences(book: Path) -> None:
    from generator.templating import ui_gettext

    for lang in languages():
        _ = ui_gettext(book, lang)
        labels = "|".join(re.escape(_(label)) for label in (
            "Place", "Period", "Scale", "Sectors", "Models", "Time", "People", "Difficulty", "Principles"))
        texts = {where: page["content"] for where, page in search_pages(book / "site" / lang).items()}
        pages = [where for where in texts if re.fullmatch(r"(cases|recipes)/[a-z0-9-]+\.html", where)
                 and not where.endswith("/index.html")]
        assert "recipes/open-books.html" in pages and "cases/mondragon.html" in pages
        for where in pages:
            # the key facts, one sentence each, as a screen reader reads them: "Place: Mondragón, Spain. Period: ..."
            facts = re.search(rf"(?:(?:{labels}): [^.!?]+?[.!?] ){{3,}}", texts[where])
            assert facts, f"{lang}/{where}: {texts[where][:300]}"
        index = texts["cases/index.html"]
        assert _("Clear filters") not in index and f" {_('All')} " not in index, "the filter is not search text"


def test_a_place_reads_once_and_its_region_is_translated(book: Path) -> None:
    from generator.render import Renderer
    from generator.validate import load_handbook

    handbook_ = load_handbook(book)
    english, spanish = Renderer(handbook_, "en"), Renderer(handbook_, "es")
    benefit, _ = handbook_.localized("case", "benefit-corporations", "en")
    assert english.place(benefit) == "Maryland and other US states, United States"
    mondragon, _ = handbook_.localized("case", "mondragon", "es")
    assert spanish.place(mondragon) == "Mondragón (Arrasate), País Vasco (Guipúzcoa), España"
    page = (book / "site" / "es" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    assert "País Vasco (Guipúzcoa), España" in page and "Basque Country" not in page


def test_a_region_is_translatable_text() -> None:
    from generator import i18n
    from generator.models import OVERLAYS

    place = {"place": {"name": "Porto Alegre", "region": "Rio Grande do Sul", "country": "BR"}}
    assert i18n.extract(place, OVERLAYS["case"]) == {"place": {"name": "Porto Alegre", "region": "Rio Grande do Sul"}}
    for kept in ({}, {"region": "Rio Grande do Sul"}):  # a region is a name: kept or left out, it is not "partial"
        assert i18n.untranslated(place, {"place": kept}, OVERLAYS["case"]) == []


# ---------------------------------------------------------------- pages on a phone


def test_every_case_recipe_and_toolkit_page_has_its_contents_on_a_phone(book: Path) -> None:
    for lang in languages():
        for folder in ("cases", "recipes", "toolkits"):
            for path in sorted((book / "site" / lang / folder).glob("*.html")):
                page = path.read_text(encoding="utf-8")
                if path.name != "index.html":
                    assert '<details class="hb-toc"' in page, f"{lang}/{folder}/{path.name}"
    for path in sorted((book / "site").rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        if 'for="__toc"' in page:
            assert 'id="__toc"' in page, f"{path}: a label for a control the page lacks"


def test_print_links_sit_under_the_title(tmp_path: Path) -> None:
    from generator.render import render_language
    from generator.validate import load_handbook

    render_language(load_handbook(REPO), "en", tmp_path, print_links=True)
    recipe = (tmp_path / "recipes" / "open-books.md").read_text(encoding="utf-8")
    assert recipe.index("open-books-a4.pdf") < recipe.index('class="hb-facts"') < recipe.index("\n## ")
    toolkit = (tmp_path / "toolkits" / "school.md").read_text(encoding="utf-8")
    assert toolkit.index("school-pack-a4.pdf") < toolkit.index('class="hb-lead"') < toolkit.index("\n## ")


# ---------------------------------------------------------------- in a browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 1500);
})"""


@pytest.fixture(scope="session")
def site(book: Path) -> Iterator[str]:
    with serve_folder(book / "site") as base:
        yield base


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def in_first_screen(page: Any, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/en/cases/mondragon.html", "/es/recipes/open-books.html",
                                  "/en/toolkits/school.html"])
def test_on_a_phone_the_contents_open_under_the_title_and_lead_to_a_section(phone: Any, site: str,
                                                                            path: str) -> None:
    phone.goto(f"{site}{path}")
    summary = phone.locator(".hb-toc summary")
    assert in_first_screen(phone, ".hb-toc summary"), "the contents are in the first screen"
    summary.click()
    link = phone.locator(".hb-toc a").nth(1)
    assert link.is_visible()
    target = link.get_attribute("href")
    link.click()
    phone.wait_for_url(re.compile(re.escape(target) + "$"))
    assert in_first_screen(phone, target), "the section is scrolled into view"


@pytest.mark.browser
def test_on_a_desktop_the_contents_are_in_the_sidebar_only(browser: Any, site: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{site}/en/cases/mondragon.html")
    assert not page.locator(".hb-toc").is_visible()
    assert page.locator(".md-sidebar--secondary a[href='#outcomes']").is_visible()
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_case_index_does_not_shift_while_it_loads(browser: Any, site: str, viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{site}/en/cases/index.html", wait_until="load")
    shift = page.evaluate(LAYOUT_SHIFT)
    assert page.locator("#hb-filter").is_visible()
    context.close()
    assert shift < 0.05, f"cumulative layout shift {shift:.3f}"


@pytest.mark.browser
def test_the_home_page_shows_where_to_start_in_the_first_screen_of_a_phone(phone: Any, site: str) -> None:
    phone.goto(f"{site}/en/index.html")
    assert in_first_screen(phone, ".hb-start a[href='toolkits/school.html']"), "the featured toolkit's link"
    assert in_first_screen(phone, "h2#where-to-start")
    phone.locator(".hb-start a").click()
    phone.wait_for_url(re.compile(r"/en/toolkits/school\.html$"))


@pytest.mark.browser
def test_a_filter_with_no_match_says_so_and_clears(phone: Any, site: str, book: Path) -> None:
    from generator.validate import load_handbook

    cases = load_handbook(book).cases
    pairs = {(sector, entry.model.place.country) for entry in cases.values() for sector in entry.model.sectors}
    sectors = sorted({sector for sector, _ in pairs})
    countries = sorted({country for _, country in pairs})
    sector, country = next((s, c) for s in sectors for c in countries if (s, c) not in pairs)
    phone.goto(f"{site}/en/cases/index.html")
    assert not phone.locator("#hb-empty").is_visible()
    phone.select_option("#hb-filter select[name='sector']", sector)
    phone.select_option("#hb-filter select[name='country']", country)
    assert phone.locator("#hb-count").inner_text() == "No case study matches these filters."
    clear = phone.locator("#hb-empty button")
    assert clear.is_visible() and clear.inner_text() == "Clear filters"
    clear.click()
    shown = phone.eval_on_selector_all("#hb-cards .hb-card", "cards => cards.filter(c => !c.hidden).length")
    assert shown == len(cases)
    assert not clear.is_visible() and "?" not in phone.url
    assert phone.evaluate("document.activeElement.name") == "sector", "the reader carries on from the form"


@pytest.mark.browser
def test_a_printed_case_page_shows_each_sources_address(browser: Any, site: str, book: Path,
                                                       tmp_path: Path) -> None:
    from pypdf import PdfReader

    from generator.validate import load_handbook

    sources = [str(s.url) for s in load_handbook(book).cases["mondragon"].model.sources if s.url]
    assert sources
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/en/cases/mondragon.html")
    page.emulate_media(media="print")
    page.pdf(path=str(tmp_path / "case.pdf"), format="A4")
    context.close()
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "case.pdf").pages)
    printed = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))  # an address may wrap, or print "ﬁ"
    missing = [url for url in sources if f"<{url}>" not in printed]
    assert not missing, f"printed without their addresses: {missing}"
    assert "Onthispage" not in printed, "the phone's contents are not printed"


@pytest.mark.browser
def test_no_page_logs_an_error_or_asks_for_a_missing_file(phone: Any, site: str) -> None:
    errors: list[str] = []
    phone.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    phone.on("response", lambda response: errors.append(f"{response.status} {response.url}")
             if response.status >= 400 else None)
    for path in ("/en/index.html", "/en/cases/index.html", "/en/cases/mondragon.html",
                 "/es/recipes/open-books.html", "/pt/toolkits/school.html", "/es/reference/cli.html"):
        phone.goto(f"{site}{path}")
        phone.wait_for_load_state("networkidle")
    assert not errors, errors


@pytest.mark.browser
def test_a_copy_of_a_published_site_asks_nothing_of_the_published_address(browser: Any, published: Path) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with serve_folder(published / "site") as base:
        for path in ("/en/cases/mondragon.html", "/es/index.html"):
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
        alternates = page.eval_on_selector_all("link[rel=alternate][hreflang]", "links => links.map(l => l.href)")
    context.close()
    assert f"{SITE_URL}es/index.html" in alternates, "the page does name its published address"
    outside = sorted({url for url in requests if not url.startswith((f"{base}/", "data:"))})
    assert not outside and not errors, (outside, errors)
