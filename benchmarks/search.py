"""Search benchmark (issue 20): what a reader's browser fetches to search a handbook of 1,000 cases, with the
site's Pagefind index, beside Material's search index of the same pages built in the same run; and what each
costs the build.

    .venv/bin/python benchmarks/search.py            # prints the table
    .venv/bin/python benchmarks/search.py --write    # also writes it into benchmarks/README.md (## search)

The bytes are counted in Debian's Chromium (Playwright) from an empty cache, served by Python's http.server
(no compression: Pagefind's index files are gzipped already, its script is not). Material's search fetches its
whole index and its worker before it shows a first result, so its figure is the size of those two files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from build import BIN, make_handbook, timed  # noqa: E402
from run import write_section  # noqa: E402

HEADING = "## search"
FIRST, FURTHER = "Mondragon", ("budget", "hospital", "cooperative", "kibbutz")


def material_config(root: Path) -> Path:
    """Our generated config with Material's search plugin put back, as the build had it before Pagefind."""
    config = yaml.safe_load((root / "build" / "en" / "mkdocs.yml").read_text(encoding="utf-8"))
    config["plugins"] = [{"search": {"lang": ["en"]}}, *config["plugins"]]
    path = root / "build" / "en" / "mkdocs-material-search.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def plain(config: Path, site: Path, root: Path) -> float:
    shutil.rmtree(site, ignore_errors=True)
    return timed([str(BIN / "mkdocs"), "build", "-q", "-f", str(config), "-d", str(site)], root)[0]


def index_time(site: Path, repeat: int) -> float:
    from generator.search import index_site

    runs = []
    for _ in range(repeat):
        shutil.rmtree(site / "pagefind", ignore_errors=True)  # made afresh, every part of it
        started = time.perf_counter()
        index_site(site, "en")
        runs.append(time.perf_counter() - started)
    return min(runs)


def fetched(site: Path) -> list[tuple[str, int, int]]:
    """(query, bytes of every response it caused, results) for the first search and each further query."""
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM, CHROMIUM_ARGS
    from sitebuild import serve_folder

    out = []
    with serve_folder(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{base}/en/index.html")
        page.wait_for_load_state("networkidle")
        sizes: list[int] = []
        page.on("response", lambda response: sizes.append(len(response.body())))
        page.locator(".hb-search-open").click()  # opening the box starts loading Pagefind: the first query's cost
        for n, query in enumerate((FIRST, *FURTHER)):
            before = len(sizes) if n else 0
            page.locator("#hb-search-query").fill(query)
            page.locator("#hb-search-query").press("Enter")
            page.wait_for_function("""q => { const list = document.querySelector('.hb-search__results');
                return !list.hasAttribute('aria-busy') && list.getAttribute('data-query') === q; }""", arg=query)
            page.wait_for_load_state("networkidle")
            count = page.locator(".hb-search__status").inner_text().split()[0]
            out.append((query, sum(sizes[before:]), int(count) if count.isdigit() else 0))
        browser.close()
    return out


def measure(cases: int, repeat: int) -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-search-") as name:
        root = Path(name) / "book"
        root.mkdir()
        make_handbook(root, cases)
        build = timed([str(BIN / "handbook"), "build", "--no-worksheets"], root)[0]
        ours_site, material_site = Path(name) / "ours", Path(name) / "material"
        ours = material = float("inf")
        for _ in range(repeat):  # in turns, so that both meet the same moments of a busy machine
            ours = min(ours, plain(root / "build" / "en" / "mkdocs.yml", ours_site, root))
            material = min(material, plain(material_config(root), material_site, root))
        pagefind = index_time(Path(shutil.copytree(root / "site" / "en", Path(name) / "indexed")), repeat)
        pages = len(list((root / "site" / "en").rglob("*.html")))
        index = (material_site / "search" / "search_index.json").stat().st_size
        worker = next((material_site / "assets" / "javascripts" / "workers").glob("search.*.min.js")).stat().st_size
        whole = sum(p.stat().st_size for p in (root / "site" / "en" / "pagefind").rglob("*") if p.is_file())
        queries = fetched(root / "site")
    first = queries[0]
    further = queries[1:]
    kb = 1000
    rows = [
        (f"a first search (“{first[0]}”, {first[2]} results, 5 shown), empty cache",
         f"**{first[1] / kb:.0f} KB**, against Material's {(index + worker) / 1e6:.1f} MB "
         f"(its index {index / 1e6:.1f} MB and worker {worker / kb:.0f} KB, all fetched "
         "before a first result)", "at most 300 KB (aim 200 KB)"),
        ("each further query (" + ", ".join(f"“{q}” {b / kb:.0f} KB" for q, b, _ in further) + ")",
         f"**{statistics.mean(b for _, b, _ in further) / kb:.0f} KB** on average, "
         f"{max(b for _, b, _ in further) / kb:.0f} KB at most",
         "at most 50 KB"),
        (f"the Pagefind index on disk ({pages} pages)", f"{whole / 1e6:.1f} MB in all, fetched in chunks", ""),
        ("Pagefind's indexing of the built site (wall, best of runs)", f"{pagefind:.2f} s", ""),
        ("`mkdocs build` of the same pages, with Pagefind vs with Material's search plugin as well (wall)",
         f"{ours:.2f} s vs {material:.2f} s: Material's search cost {material - ours:.2f} s a build",
         ""),
        ("`handbook build --no-worksheets`, first build (wall, one run)", f"{build:.2f} s", ""),
    ]
    return rows


def table(rows: list[tuple[str, str, str]], cases: int, repeat: int, load: str) -> str:
    lines = [f"One run of `.venv/bin/python benchmarks/search.py` on {os.cpu_count()} cores, Python "
             f"{sys.version.split()[0]}, load average {load}: a synthetic English handbook of {cases:,} cases "
             "(`benchmarks/build.py`), searched in Chromium at phone size from an empty cache. Build figures are "
             f"the best of {repeat} runs. Material's search cost is the difference between the two `mkdocs build` "
             "runs of the generated pages (both run our hooks, so both include Pagefind's indexing).", "",
             "| what | measured | aim |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {aim} |" for what, value, aim in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="write the table into benchmarks/README.md")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    rows = measure(args.cases, args.repeat)
    text = table(rows, args.cases, args.repeat, f"{before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(text)
    if args.write:
        write_section(text, Path(__file__).with_name("README.md"), HEADING)


if __name__ == "__main__":
    main()

