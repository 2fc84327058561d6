"""Offline once visited: a reader opens the site once, then reads it in a room without Wi-Fi (Debian's Chromium,
headless, with the network cut by Playwright): a case, the search, a worksheet they had opened. A new build
replaces what the reader's browser kept, so nobody reads a stale page once the network is back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import cli

from sitebuild import serve_folder, with_templates

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONTROLLED = "() => !!navigator.serviceWorker.controller"  # the worker is active and answers for the page
CACHES = "() => caches.keys()"
ENGLISH = "() => caches.keys().then(names => names.filter(name => name.startsWith('handbook-offline-en-')))"
FETCH = """async href => { const r = await fetch(href); const b = new Uint8Array(await r.arrayBuffer());
    return [r.status, String.fromCharCode(...b.slice(0, 5))]; }"""


KEPT = "name => caches.open(name).then(cache => cache.keys()).then(requests => requests.map(r => r.url))"


def build(root: Path, *langs: str) -> None:
    chosen = [option for lang in langs or ("en",) for option in ("--lang", lang)]
    result = CliRunner().invoke(cli, ["--root", str(root), "build", "--jobs", "1", *chosen], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def version(root: Path) -> str:
    match = re.search(r'"version":"([0-9a-f]+)"', (root / "site" / "en" / "sw.js").read_text(encoding="utf-8"))
    assert match
    return match.group(1)


@pytest.fixture
def site(tiny_handbook: Path) -> Iterator[tuple[Path, str]]:
    build(with_templates(tiny_handbook))
    with serve_folder(tiny_handbook / "site") as base:
        yield tiny_handbook, base


def test_once_visited_a_case_the_search_and_a_worksheet_work_offline(browser: Any, site: tuple[Path, str]) -> None:
    root, base = site
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/en/index.html")
    page.wait_for_function(CONTROLLED)  # installed (it has kept every page) and answering for this one
    sheet = page.evaluate("new URL('worksheets/who-is-missing-a4.pdf', location.href).href")
    assert page.evaluate(FETCH, sheet) == [200, "%PDF-"]  # the reader opens a worksheet once

    context.set_offline(True)
    page.goto(f"{base}/en/cases/porto-alegre.html")  # never opened: kept on installation
    assert page.locator("h1").inner_text() == "Participatory budgeting in Porto Alegre"
    assert "Open regional and thematic assemblies" in page.locator("article").inner_text()
    page.goto(f"{base}/en/index.html")
    page.locator(".hb-search-open").click()  # the search box, with Pagefind's index kept on installation
    box = page.locator("#hb-search-query")
    box.press_sequentially("assemblies")  # typed, as a reader types
    box.press("Enter")
    page.locator(".hb-search__results li").first.wait_for()
    assert "Porto Alegre" in page.locator(".hb-search__results").inner_text()
    assert page.evaluate(FETCH, sheet) == [200, "%PDF-"]
    page.goto(f"{base}/en/cases/index.html?sector=city-budget")  # a filtered list, as shared in a link
    assert "Participatory budgeting in Porto Alegre" in page.locator("#hb-cards").inner_text()
    context.close()
    assert all(url.startswith(f"{base}/") for url in requests), "no request leaves the site"


def test_a_new_build_replaces_the_kept_pages_and_drops_the_old_cache(browser: Any, site: tuple[Path, str]) -> None:
    root, base = site
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/en/cases/porto-alegre.html")
    page.wait_for_function(CONTROLLED)
    first = version(root)
    assert page.evaluate(ENGLISH) == [f"handbook-offline-en-{first}"]

    case = root / "handbook" / "cases" / "porto-alegre.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace(
        "title: Participatory budgeting in Porto Alegre", "title: The participatory budget of Porto Alegre"),
        encoding="utf-8")
    build(root)
    second = version(root)
    assert second != first
    page.reload()  # the network is back: the new page at once, never the kept one
    assert page.locator("h1").inner_text() == "The participatory budget of Porto Alegre"
    page.evaluate("""() => navigator.serviceWorker.getRegistration().then(r => r.update())""")
    kept: list[str] = []
    for _ in range(100):  # the new worker takes over, then deletes the old build's cache
        kept = page.evaluate(ENGLISH)
        if kept == [f"handbook-offline-en-{second}"]:
            break
        page.wait_for_timeout(200)
    assert kept == [f"handbook-offline-en-{second}"]
    context.set_offline(True)
    page.goto(f"{base}/en/cases/porto-alegre.html")
    assert page.locator("h1").inner_text() == "The participatory budget of Porto Alegre"
    context.close()


def test_two_languages_keep_their_own_pages_and_the_root_page_leads_to_them_offline(browser: Any,
                                                                                    tiny_handbook: Path) -> None:
    """Each language's worker keeps its own cache (one deleting the other's would leave a reader of two languages
    with nothing offline), and the root page, which leads to a language, is kept by a worker of its own."""
    root = with_templates(tiny_handbook)
    build(root, "en", "es")
    with serve_folder(root / "site") as base:
        context = browser.new_context(locale="es-ES")
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{base}/en/index.html")
        page.wait_for_function(CONTROLLED)
        page.goto(f"{base}/es/index.html")
        page.wait_for_function(CONTROLLED)
        names: list[str] = []
        active = (f"() => Promise.all(['{base}/', '{base}/en/', '{base}/es/'].map(u => navigator.serviceWorker"
                  ".getRegistration(u).then(r => !!(r && r.scope === u && r.active)))).then(all => all.every(Boolean))")
        for _ in range(100):  # each worker activates (its files kept), and deletes only its own older caches
            names = sorted(page.evaluate(CACHES))
            # a cache is there as soon as its worker starts to install, and a folder without a worker of its own
            # is in the root worker's scope: each worker is asked for by its own scope
            if len(names) == 3 and page.evaluate(active):
                break
            page.wait_for_timeout(200)
        assert [name.rsplit("-", 1)[0] for name in names] == [
            "handbook-offline-en", "handbook-offline-es", "handbook-offline-root"], names

        kept = {name.rsplit("-", 1)[0]: page.evaluate(KEPT, name) for name in names}
        assert f"{base}/es/index.html" in kept["handbook-offline-es"], kept
        assert f"{base}/" in kept["handbook-offline-root"], kept
        context.set_offline(True)
        page.goto(f"{base}/en/cases/porto-alegre.html")
        assert page.locator("h1").inner_text() == "Participatory budgeting in Porto Alegre"
        page.goto(f"{base}/")  # the root page, offline: it sends a Spanish reader to the Spanish site
        page.wait_for_url(f"{base}/es/index.html")
        assert page.locator("html").get_attribute("lang") == "es"
        context.close()


def test_a_large_site_keeps_its_shell_on_installation_and_the_rest_once_opened(tmp_path: Path) -> None:
    from generator import offline

    site = tmp_path / "en"
    for path, size in (("index.html", 10), ("cases/index.html", 10), ("cases/a.html", offline.BUDGET),
                       ("assets/handbook.css", 10), ("pagefind/pagefind.js", 10),
                       ("pagefind/fragment/en_1.pf_fragment", 10), ("worksheets/x-a4.pdf", 10)):
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_bytes(b"x" * size)
    root = with_templates(tmp_path / "book")
    files = re.search(r'"files":(\[[^]]*\])', offline.service_worker(root, site))
    assert files is not None
    assert files.group(1) == '["./","index.html","assets/handbook.css","cases/index.html","pagefind/pagefind.js"]'


def test_an_unchanged_build_keeps_the_same_worker(tiny_handbook: Path) -> None:
    build(with_templates(tiny_handbook))
    worker = (tiny_handbook / "site" / "en" / "sw.js").read_bytes()
    assert b"worksheets/who-is-missing-a4.pdf" not in worker  # PDFs are kept once opened, not all at once
    assert b'"cases/porto-alegre.html"' in worker and b'"pagefind/pagefind-entry.json"' in worker
    page = (tiny_handbook / "site" / "en" / "cases" / "porto-alegre.html").read_text(encoding="utf-8")
    assert 'navigator.serviceWorker.register("../sw.js")' in page
    build(tiny_handbook)
    assert (tiny_handbook / "site" / "en" / "sw.js").read_bytes() == worker


@pytest.mark.parametrize("path", ["/en/index.html", "/en/cases/porto-alegre.html"])
def test_axe_finds_nothing_serious_on_pages_with_the_book_and_handout_links(browser: Any, site: tuple[Path, str],
                                                                           path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    _, base = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}{path}")
    assert page.locator(".hb-print").count() == 1  # this build has the PDFs, so the page links them
    results = Axe().run(page)
    context.close()
    bad = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(bad)
