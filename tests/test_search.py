"""Search, as a reader uses it: the box in the header of every language's site asks that language's Pagefind
index (generator/search.py, templates/assets/search.js), fetching only the chunks a query needs.

In Chromium: a word finds its page in English and in Spanish (from the Spanish index), the facets narrow the
results, a query with no result says so, the box works with the keyboard and passes axe on a phone and a desktop,
and the bytes every search fetches are counted. On disk: the index is the same bytes from the same site, and a
build after an edit, or a preview after a save, searches the new text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.templating import ui_gettext

from sitebuild import (
    REPO,
    built_handbook,
    copy_source,
    fetch,
    free_port,
    handbook,
    search_pages,
    serve_folder,
    tree_digest,
    wait_for,
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
FIRST_SEARCH = 300_000  # bytes, from an empty cache (issue 20's bound; at 1,000 cases: benchmarks/search.py)
# A further query fetches an index chunk and the fragments of the results it shows. Pagefind's chunks hold more
# words each in a small site: here a chunk is about 32 KB, so a query in a new chunk costs about 55 KB, where at
# 1,000 cases, where its index is in three parts, it costs 26 to 43 KB (benchmarks/README.md, "search"; the issue's
# aim, 50 KB, is for that size).
FURTHER_QUERY = 60_000


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_handbook(tmp_path_factory)


@pytest.fixture(scope="module")
def site(book: Path) -> Iterator[str]:
    with serve_folder(book / "site") as base:
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def search(page: Any, query: str) -> list[dict[str, str]]:
    """Type `query` into the open search box; the results shown once the status line says how many there are."""
    box = page.locator("#hb-search-query")
    box.fill(query)
    box.press("Enter")
    return shown(page)


def shown(page: Any) -> list[dict[str, str]]:
    page.wait_for_function("""() => {  // search.js: the results shown answer what the box says
        const list = document.querySelector('.hb-search__results');
        return !list.hasAttribute('aria-busy') &&
            list.getAttribute('data-query') === document.querySelector('#hb-search-query').value.trim(); }""")
    return page.eval_on_selector_all(".hb-search__results li", """items => items.map(li => ({
        href: li.querySelector('a').getAttribute('href'), title: li.querySelector('a').textContent,
        kind: (li.querySelector('.hb-search__kind') || {}).textContent || '',
        excerpt: li.querySelector('.hb-search__excerpt').textContent,
        marked: Array.from(li.querySelectorAll('mark')).map(m => m.textContent)}))""")


def status(page: Any) -> str:
    return str(page.locator(".hb-search__status").inner_text())


# ---------------------------------------------------------------- a reader searches


@pytest.mark.browser
@pytest.mark.slow
def test_a_reader_finds_mondragon_in_english_with_the_keyboard_alone(page: Any, site: str) -> None:
    page.goto(f"{site}/en/recipes/index.html")
    page.keyboard.press("/")  # Material's key for its search opens ours
    assert page.locator("#hb-search").is_visible()
    assert page.evaluate("document.activeElement.id") == "hb-search-query"
    page.keyboard.type("Mondragon")
    results = shown(page)
    assert re.fullmatch(r"\d+ results for “Mondragon”", status(page)), status(page)
    first = results[0]
    assert first["href"].endswith("/en/cases/mondragon.html"), results
    assert first["title"] == "The Mondragon cooperatives (Basque Country)" and first["kind"] == "Case study"
    assert "Mondragon" in first["marked"] and "Mondragon" in first["excerpt"]
    assert not any("A4" in r["excerpt"] for r in results), "the links to print a page are not in its excerpt"
    assert {r["kind"] for r in results} <= {"Case study", "Action recipe", "Toolkit", "Page"}
    page.keyboard.press("Tab")  # from the box to the first result: Tab goes past the close button, the facets
    for _ in range(4):
        if page.evaluate("document.activeElement.classList.contains('hb-search__title')"):
            break
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/en/cases/mondragon.html")
    assert "Mondragon" in page.locator("h1").first.inner_text()


@pytest.mark.browser
@pytest.mark.slow
def test_escape_closes_the_box_and_gives_the_focus_back(page: Any, site: str) -> None:
    page.goto(f"{site}/en/index.html")
    opener = page.locator(".hb-search-open")
    opener.click()
    page.keyboard.press("Escape")
    assert not page.locator("#hb-search").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('hb-search-open')")


@pytest.mark.browser
@pytest.mark.slow
def test_cooperativa_finds_spanish_pages_from_the_spanish_index(page: Any, site: str) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{site}/es/index.html")
    page.locator(".hb-search-open").click()
    results = search(page, "cooperativa")
    assert status(page).endswith("resultados para «cooperativa»"), status(page)
    assert results and all(r["href"].startswith("/es/") for r in results), results
    assert any(r["href"] == "/es/cases/mondragon.html" for r in results)
    assert {r["kind"] for r in results} <= {"Caso", "Receta de acción", "Guía por lugar", "Página"}
    # stemmed in Spanish: the plural is found too
    assert any(word.lower() == "cooperativas" for r in results for word in r["marked"]), results
    fetched = [url for url in asked if "/pagefind/" in url]
    assert fetched and all(url.startswith(f"{site}/es/pagefind/") for url in fetched), fetched
    assert any(url.endswith("/wasm.es.pagefind") for url in fetched)


@pytest.mark.browser
@pytest.mark.slow
def test_the_facets_narrow_the_results(page: Any, site: str, book: Path) -> None:
    index = search_pages(book / "site" / "en")
    page.goto(f"{site}/en/index.html")
    page.locator(".hb-search-open").click()
    everything = search(page, "decide")
    count = int(status(page).split()[0])
    assert {r["kind"] for r in everything} != {"Case study"}, "the query finds more than cases"
    page.locator(".hb-search__facets summary").click()
    kind = page.locator("select[name=kind]")
    kind.locator("option", has_text="Case study").wait_for(state="attached")
    kind.select_option("Case study")
    cases = shown(page)
    narrowed = int(status(page).split()[0])
    assert 0 < narrowed < count
    assert {r["kind"] for r in cases} == {"Case study"}
    assert set(page.eval_on_selector_all("select[name=country] option", "os => os.map(o => o.value)")) == \
        {""} | {country for entry in index.values() for country in entry["filters"].get("country", [])}
    page.locator("select[name=country]").select_option("Brazil")
    brazil = shown(page)
    assert 0 < int(status(page).split()[0]) < narrowed
    for result in brazil:
        assert index[result["href"].removeprefix("/en/")]["filters"]["country"] == ["Brazil"], result


@pytest.mark.browser
@pytest.mark.slow
def test_a_query_with_no_result_says_so(page: Any, site: str, book: Path) -> None:
    page.goto(f"{site}/es/index.html")
    page.locator(".hb-search-open").click()
    assert search(page, "zxqvwz") == []
    _ = ui_gettext(book, "es")
    assert status(page) == _("No result for “%(query)s”. Try another word, or fewer filters.", query="zxqvwz")
    assert page.locator(".hb-search__more").is_hidden()


# ---------------------------------------------------------------- what it costs a phone


def search_bytes(browser: Any, site: str, queries: list[str]) -> list[int]:
    """The bytes of every response each query causes, in a browser with an empty cache: the first query's include
    Pagefind's script, its WebAssembly and meta file; a further query's only what it needs besides."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{site}/en/index.html")
    page.wait_for_load_state("networkidle")
    sizes: list[tuple[str, int]] = []
    page.on("response", lambda response: sizes.append((response.url, len(response.body()))))
    page.locator(".hb-search-open").click()  # opening the box starts loading Pagefind: the first query's cost
    spent = []
    for n, query in enumerate(queries):
        before = len(sizes) if n else 0
        search(page, query)
        page.wait_for_load_state("networkidle")
        assert all(url.startswith(f"{site}/en/") for url, _ in sizes), sizes
        spent.append(sum(size for _, size in sizes[before:]))
    context.close()
    return spent


@pytest.mark.browser
@pytest.mark.slow
def test_a_first_search_and_a_further_query_fetch_little(browser: Any, site: str) -> None:
    first, further = search_bytes(browser, site, ["Mondragon", "budget"])
    assert 0 < first <= FIRST_SEARCH, f"the first search fetched {first:,} bytes"
    assert 0 < further <= FURTHER_QUERY, f"a further query fetched {further:,} bytes"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_open_box_with_results_passes_axe_and_fits_the_screen(browser: Any, site: str,
                                                                  viewport: dict[str, int]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{site}/en/cases/mondragon.html")
    opener = page.locator(".hb-search-open")
    box = opener.bounding_box()
    assert box is not None and box["y"] < 60 and box["x"] + box["width"] <= viewport["width"], "in the header"
    opener.click()
    search(page, "worker")
    page.locator(".hb-search__facets summary").click()
    results = Axe().run(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    dialog = page.locator("#hb-search").bounding_box()
    shots = os.environ.get("HANDBOOK_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"search-{viewport['width']}.png"))
    context.close()
    bad = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(bad)
    assert width <= viewport["width"]
    assert dialog is not None and dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= viewport["width"]


# ---------------------------------------------------------------- the index on disk


@pytest.mark.slow
def test_the_index_is_the_same_bytes_from_the_same_site(book: Path, tmp_path: Path) -> None:
    from generator.search import index_site

    site = Path(shutil.copytree(book / "site" / "en", tmp_path / "en"))
    built = tree_digest(site / "pagefind")
    for _ in range(2):
        index_site(site, "en")
        assert tree_digest(site / "pagefind") == built
    assert any(name.startswith("filter/") for name in built), "the facets are in it"
    assert not any("pagefind-ui" in name or "worker" in name for name in built), "Pagefind's own UI is not shipped"


@pytest.mark.slow
def test_a_build_after_an_edit_searches_the_new_text(tiny_handbook: Path) -> None:
    shutil.copytree(REPO / "templates", tiny_handbook / "templates")
    shutil.copy(REPO / "mkdocs.yml", tiny_handbook / "mkdocs.yml")

    def build() -> dict[str, Any]:
        result = handbook(tiny_handbook, "build", "--no-worksheets", "--lang", "en", "--jobs", "1")
        assert result.exit_code == 0, result.output
        return search_pages(tiny_handbook / "site" / "en")

    before = build()
    title = before["cases/porto-alegre.html"]["meta"]["title"]
    case = tiny_handbook / "handbook" / "cases" / "porto-alegre.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace(title, "Budgets decided in Porto Alegre", 1),
                    encoding="utf-8")
    after = build()
    assert after["cases/porto-alegre.html"]["meta"]["title"] == "Budgets decided in Porto Alegre"
    assert title not in after["cases/porto-alegre.html"]["content"]
    digest = tree_digest(tiny_handbook / "site" / "en" / "pagefind")
    result = handbook(tiny_handbook, "build", "--no-worksheets", "--lang", "en", "--jobs", "1")
    assert "reused it" in result.output, result.output
    assert tree_digest(tiny_handbook / "site" / "en" / "pagefind") == digest


@pytest.mark.browser
@pytest.mark.slow
def test_the_preview_searches_and_searches_again_after_a_save(browser: Any, tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    port = free_port()
    command = [str(Path(sys.executable).with_name("handbook")), "--root", str(root), "serve",
               "--dev-addr", f"127.0.0.1:{port}"]
    log = (tmp_path / "serve.log").open("w+", encoding="utf-8")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: b'"en"' in fetch(f"{base}/pagefind/pagefind-entry.json"))
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        preview(page, f"{base}/index.html")
        page.locator(".hb-search-open").click()
        assert any(r["href"] == "/cases/mondragon.html" for r in search(page, "Mondragon"))
        case = root / "handbook" / "cases" / "mondragon.yaml"
        case.write_text(case.read_text(encoding="utf-8").replace("story: |\n", "story: |\n  Zyxwordly.\n\n", 1),
                        encoding="utf-8")
        wait_for(lambda: b"Zyxwordly" in fetch(f"{base}/cases/mondragon.html"))
        # the page shows first; the search index is written a moment later
        wait_for(lambda: found(page, base, "zyxwordly") == ["/cases/mondragon.html"])
        context.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.seek(0)
        output = log.read()
        log.close()
    assert "Traceback" not in output, output


def found(page: Any, base: str, query: str) -> list[str]:
    """What the preview's search box finds for `query`, from a freshly opened page (nothing yet while the
    preview is rebuilding, or reloads the page under the search)."""
    from playwright.sync_api import Error

    try:
        preview(page, f"{base}/index.html")
        page.locator(".hb-search-open").click()
        return [r["href"] for r in search(page, query)]
    except Error:
        return []


def preview(page: Any, url: str) -> None:
    """Open a page of the preview, once more if its live reload started a new load before this one ended."""
    from playwright.sync_api import Error

    try:
        page.goto(url)
    except Error:
        page.goto(url)


