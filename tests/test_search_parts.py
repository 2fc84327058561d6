"""A large site's search index comes in parts (generator/search.py): the pages of cases are split by a hash of
their names into two parts, each its own Pagefind index in `pagefind/part-NN/`, and every other
page is in the main index; the search box merges the parts (templates/assets/search.js).

Here a handbook of 150 cases (the real ones and variants of them, as `benchmarks/build.py` makes them) has two
parts. A reader's search finds pages of both parts and the main index, and the facets narrow them; a build with
its MkDocs in another process (which indexes each part while MkDocs writes the next) makes the same site as one
in a single process; an edit of one case makes its part and the main index again and leaves the other part's
files alone, and the site is then the same, byte for byte, as a first build of the edited handbook."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_search import DESKTOP, FIRST_SEARCH, FURTHER_QUERY, search, search_bytes, shown, status

from sitebuild import REPO, handbook, search_pages, serve_folder, tree_digest

CASES = 150  # two parts of the index


def _large(target: Path) -> Path:
    spec = importlib.util.spec_from_file_location("benchmark_build", REPO / "benchmarks" / "build.py")
    assert spec is not None and spec.loader is not None
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    target.mkdir(parents=True)
    module.make_handbook(target, CASES)
    settings = yaml.safe_load((target / "handbook.yml").read_text(encoding="utf-8"))
    settings["site_url"] = "https://handbook.example.org/"  # so that the sitemap lists every page
    (target / "handbook.yml").write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), "utf-8")
    return target


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _large(tmp_path_factory.mktemp("large") / "book")
    result = handbook(root, "build", "--no-worksheets")
    assert result.exit_code == 0, result.output
    return root


def sources(root: Path, target: Path) -> Path:
    """A copy of a handbook without what its builds wrote (`site/`, `build/`)."""
    top = str(root)
    return Path(shutil.copytree(root, target, ignore=lambda folder, names: {"site", "build"} & set(names)
                                if folder == top else set()))


def parts_of(site: Path) -> dict[str, set[str]]:
    """The pages each part of the index holds ("" for the main index), read from the index files."""
    found = {"": set(search_pages(site, "pagefind"))}
    for folder in sorted((site / "pagefind").glob("part-*")):
        found[folder.name] = set(search_pages(site, f"pagefind/{folder.name}"))
    return found


@pytest.mark.slow
def test_the_cases_are_split_into_parts_and_every_other_page_is_in_the_main_index(large: Path) -> None:
    site = large / "site" / "en"
    listed = json.loads((site / "pagefind" / "parts.json").read_text(encoding="utf-8"))
    assert listed["parts"] == ["part-01/", "part-02/"]
    parts = parts_of(site)
    cases = {page for page in parts[""] | parts["part-01"] | parts["part-02"]
             if page.startswith("cases/") and page != "cases/index.html"}
    assert len(cases) == CASES
    assert not parts[""] & cases, "no case page in the main index"
    assert parts["part-01"] | parts["part-02"] == cases and not parts["part-01"] & parts["part-02"]
    assert 50 < len(parts["part-01"]) < 100, "the hash spreads the cases"
    assert {"index.html", "cases/index.html", "recipes/open-books.html"} <= parts[""]
    for part in ("part-01", "part-02"):  # the main index's script and WebAssembly serve every part
        assert not list((site / "pagefind" / part).glob("*.pagefind"))
        assert not (site / "pagefind" / part / "pagefind.js").exists()


@pytest.mark.browser
@pytest.mark.slow
def test_a_reader_searches_every_part_at_once(browser: Any, large: Path) -> None:
    site = large / "site" / "en"
    where = {page: part for part, pages in parts_of(site).items() for page in pages}
    index = search_pages(site)  # every part
    # "Mondragon" is in the real case, its variants in both parts, and pages of the main index that tell of it
    telling = {page for page, entry in index.items() if "mondragon" in entry["content"].lower()}
    assert {where[page] for page in telling} == {"", "part-01", "part-02"}
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    with serve_folder(large / "site") as base:
        page.goto(f"{base}/en/index.html")
        page.locator(".hb-search-open").click()
        first = search(page, "Mondragon")
        assert int(status(page).split()[0]) == len(telling), status(page)
        more = page.locator(".hb-search__more")
        while more.is_visible():
            more.click()
            page.wait_for_function("n => document.querySelectorAll('.hb-search__results li').length > n",
                                   arg=len(first))
            first = shown(page)
        assert {result["href"].removeprefix("/en/") for result in first} == telling
        # the results of every part are ranked together: a case about Mondragon before a page that names it
        assert first[0]["kind"] == "Case study" and "Mondragon" in first[0]["title"], first[0]
        page.locator(".hb-search__facets summary").click()
        page.locator("select[name=kind] option", has_text="Case study").wait_for(state="attached")
        page.locator("select[name=kind]").select_option("Case study")
        cases = shown(page)
        assert {result["kind"] for result in cases} == {"Case study"}
        assert int(status(page).split()[0]) == len({p for p in telling if p.startswith("cases/")}) - (
            "cases/index.html" in telling)
        countries = set(page.eval_on_selector_all("select[name=country] option", "os => os.map(o => o.value)"))
        assert countries == {""} | {c for entry in index.values() for c in entry["filters"].get("country", [])}
    context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_a_search_of_three_indexes_still_fetches_little(browser: Any, large: Path) -> None:
    with serve_folder(large / "site") as base:
        first, further = search_bytes(browser, base, ["Mondragon", "budget"])
    assert 0 < first <= FIRST_SEARCH, f"the first search fetched {first:,} bytes"
    assert 0 < further <= FURTHER_QUERY, f"a further query fetched {further:,} bytes"


@pytest.mark.slow
def test_a_build_with_mkdocs_in_its_own_process_makes_the_same_site_as_one_process(large: Path,
                                                                                    tmp_path: Path) -> None:
    alone = sources(large, tmp_path / "alone")
    result = handbook(alone, "build", "--no-worksheets", "--jobs", "1")
    assert result.exit_code == 0, result.output
    streamed, single = tree_digest(large / "site"), tree_digest(alone / "site")
    assert "en/pagefind/part-02/pagefind-entry.json" in streamed
    assert "https://handbook.example.org/en/cases/mondragon.html" in (large / "site" / "en" / "sitemap.xml").read_text(
        encoding="utf-8")
    assert streamed == single, sorted(k for k in streamed.keys() | single.keys() if streamed.get(k) != single.get(k))


@pytest.mark.slow
def test_an_edit_indexes_again_only_the_part_of_its_page(tmp_path: Path) -> None:
    """Editing a case's title changes the pages that list it too: the other part's case pages that cite it, the
    case index's cards, the recipes it tried. The index leaves those lists out, so only the edited case's part is
    made again; and the site is the same as a first build of the edited handbook, its index included."""
    root = _large(tmp_path / "edited")  # built where it is edited: a build from a moved folder builds everything
    result = handbook(root, "build", "--no-worksheets")
    assert result.exit_code == 0, result.output
    site = root / "site" / "en"
    before = tree_digest(site / "pagefind")
    digests = json.loads((site / "pagefind" / "parts.json").read_text(encoding="utf-8"))["digests"]
    parts = parts_of(site)
    # a variant case that a case page of the other part lists (under "Cited by")
    for case in sorted((root / "handbook" / "cases").glob("*-0*.yaml")):
        page = f"cases/{case.stem}.html"
        part = next(p for p, pages in parts.items() if page in pages)
        other = "part-02" if part == "part-01" else "part-01"
        citing = sorted(p for p in parts[other] if f'href="{case.stem}.html"' in (site / p).read_text("utf-8"))
        if citing:
            break
    else:
        pytest.fail("no case is listed by a page of the other part")
    text = case.read_text(encoding="utf-8")
    title = yaml.safe_load(text)["title"]
    case.write_text(text.replace(title, "A kitchen run by its workers", 1), encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets")
    assert result.exit_code == 0, result.output
    assert "building again only the pages that changed" in result.output
    for listing in (citing[0], "cases/index.html"):
        assert "A kitchen run by its workers" in (site / listing).read_text(encoding="utf-8"), listing
    after = tree_digest(site / "pagefind")
    now = json.loads((site / "pagefind" / "parts.json").read_text(encoding="utf-8"))["digests"]
    assert {p for p in now if now[p] != digests[p]} == {part}
    assert {k: v for k, v in after.items() if not k.startswith(f"{part}/") and k != "parts.json"} == \
        {k: v for k, v in before.items() if not k.startswith(f"{part}/") and k != "parts.json"}
    assert search_pages(site, f"pagefind/{part}")[page]["meta"]["title"] == "A kitchen run by its workers"
    fresh = sources(root, tmp_path / "fresh")
    result = handbook(fresh, "build", "--no-worksheets")
    assert result.exit_code == 0, result.output
    assert tree_digest(fresh / "site") == tree_digest(root / "site")


def test_a_part_is_digested_without_what_the_index_leaves_out_and_never_more() -> None:
    """What `search.indexed` keeps of a page decides whether a part is made again: it may keep too much (the part
    is made again for nothing), never too little (the part would be kept with old text)."""
    from generator.search import indexed

    page = (b'<h1>Kept</h1><div data-search-exclude=""><h2>Cited by</h2><ul><li>Old title</li></ul></div>'
            b'<p>kept</p>')
    assert indexed(page) == b"<h1>Kept</h1><p>kept</p>"
    nested = b'<div class="hb-cards" data-search-exclude=""><div>one</div><div>two</div></div><p>x</p>'
    assert indexed(nested) == b"<div>two</div></div><p>x</p>", "only up to the first </div>"
    for kept in (b'<div data-search-exclude=""><span data-pagefind-filter="sector">Health</span></div>',
                 b'<div class="data-search-exclude">text</div>',
                 b'<div class="a data-search-exclude">text</div>',
                 b'<section data-search-exclude="">text</section>',
                 b'<div data-search-exclude="">never closed',
                 b'<p title="data-search-exclude">text</p>'):
        assert indexed(kept) == kept
    twice = b'<div data-search-exclude="">a</div>b<div id="x" data-search-exclude>c</div>d'
    assert indexed(twice) == b"bd"
