"""Hostile and broken contributions. A stranger's pull request carries script, event handlers, `javascript:`
links, embeds and template syntax in every text field (tests/fixtures/hostile/): the built site is opened in
headless Chromium, and nothing runs, nothing leaves 127.0.0.1, and every text shows as it was written. Values
the schema refuses are check errors with file and line; a build that fails leaves `site/` and every source
file as they were; symbolic links never bring a file from outside the repository into the site.

Every payload, if it ever ran, would only set `top.__pwned` (or a `data-pwned` attribute): an init script
turns each such write into a report, so even a handler that runs just before a navigation is caught.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import unicodedata
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from generator.cli import cli
from generator.export import neutralise
from generator.templating import fill, placeholder_values
from generator.validate import Handbook, load_handbook

from pdfcheck import pdf_objects
from sitebuild import search_pages, serve_folder

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
HOSTILE = FIXTURES / "hostile"
LANGS = ("en", "es")
PAYLOAD = "<script>top.__pwned=1</script>"
TEMPLATE_SYNTAX = ("{{ 7*7 }}", "{% raw %}", "${7*7}")

# Runs in every frame before any script of the page: a write to the marker is reported at once.
MARKER_TRAP = """
(() => {
  const report = (what) => { try { window.top.__hbReport(what + " on " + location.href); } catch (e) {} };
  let value;
  Object.defineProperty(window, "__pwned", {
    get() { return value; }, set(v) { value = v; report("window.__pwned = " + v); }, configurable: false,
  });
  new MutationObserver(() => report("data-pwned was set"))
    .observe(document, {attributes: true, subtree: true, attributeFilter: ["data-pwned"]});
  window.alert = window.confirm = window.prompt = (m) => report("a dialog: " + m);
})();
"""
# What no page may hold once content went through it (our search form and filter aside).
DOM_PROBLEMS = """
() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) found.push(`${el.tagName} ${attr.name}`);
    }
  }
  for (const el of document.querySelectorAll("iframe, object, embed, base, meta[http-equiv], svg script, noscript"))
    found.push(el.outerHTML.slice(0, 120));
  for (const el of document.querySelectorAll("form")) {
    if (!el.matches(".hb-search__form, .md-header__option, #hb-filter")) found.push(el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll("script")) {
    if (el.src ? !el.src.startsWith(location.origin + "/") : el.textContent.includes("pwned"))
      found.push(el.outerHTML.slice(0, 120));
  }
  for (const a of document.querySelectorAll("a[href]")) {
    if (!/^(https?:|mailto:)$/.test(a.protocol)) found.push(`a link to ${a.getAttribute("href")}`);
  }
  return found;
}
"""
LINKS = """
() => Array.from(document.querySelectorAll("a[href]"),
                 (a, index) => ({index, href: a.href, raw: a.getAttribute("href")}))
"""


def words(text: str) -> str:
    """Text compared as words: whitespace collapsed, ligatures taken apart."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def run(root: Path, *args: str) -> Result:
    """`handbook --root ROOT ARGS` as a user runs it; an exception is kept for the test to look at."""
    return CliRunner().invoke(cli, ["--root", str(root), *args], env={"NO_MKDOCS_2_WARNING": "1"})


def assert_clean_failure(result: Result) -> None:
    """A failure a contributor can act on: exit code 1, a message, and never a Python traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, result.output


def copy_handbook(source: Path, dest: Path, extensions: tuple[str, ...] = ()) -> Path:
    """A handbook in a temporary folder, with the repository's templates and mkdocs.yml (plus `extensions`)."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("site", "build"))
    shutil.copytree(ROOT / "templates", dest / "templates")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["markdown_extensions"] += list(extensions)
    (dest / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return dest


# ---------------------------------------------------------------- the hostile handbook, built once


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile handbook built into a real site: both languages, and the worksheets of one.

    `attr_list` is turned on, as a fork might: attributes written in content must still not get through.
    The build is not strict, as the hostile links lead nowhere on purpose."""
    root = copy_handbook(HOSTILE, tmp_path_factory.mktemp("hostile") / "handbook", ("attr_list",))
    result = run(root, "build", "--no-strict", "--no-worksheets")
    assert result.exit_code == 0, result.output
    result = run(root, "worksheets", "--lang", "en", "--paper", "a4")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def book(hostile: Path) -> Handbook:
    loaded = load_handbook(hostile, strict=False)  # as `handbook build --no-strict` loads it
    assert all(p.level == "warning" and p.message.startswith("the link ") for p in loaded.problems), \
        "\n".join(p.as_text() for p in loaded.problems)
    return loaded


@pytest.fixture(scope="module")
def site_url(hostile: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1, as a reader's browser would get it."""
    with serve_folder(hostile / "site") as base:
        yield base + "/"


@dataclass
class Reader:
    """One Chromium page with the marker trap, recording reports, navigations and requests that leave the site."""

    page: Any
    base: str
    reports: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def open(self, url: str, wait_until: str = "load") -> None:
        """Go to `url`, unless already there (a jump to an anchor of the page does not count as leaving it)."""
        if urllib.parse.urldefrag(self.page.url).url != url:
            self.page.goto(url, wait_until=wait_until)

    def assert_safe(self, where: str) -> None:
        marked = self.page.evaluate("() => document.documentElement.hasAttribute('data-pwned')")
        assert not self.reports and not marked, f"script ran ({where}): {self.reports}"
        assert not self.outside, f"requests left the site ({where}): {self.outside}"
        away = [url for url in self.navigations if not url.startswith(self.base)]
        assert not away, f"navigated away ({where}): {away}"


@pytest.fixture(scope="module")
def reader(browser: Any, site_url: str) -> Iterator[Reader]:
    """A tab of the session's Chromium (tests/conftest.py) with the marker trap and the request recorder."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    state = Reader(page, site_url)
    context.expose_function("__hbReport", lambda what: state.reports.append(what))
    context.add_init_script(MARKER_TRAP)

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith(site_url):
            request_route.continue_()
        else:
            state.outside.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page.on("dialog", lambda dialog: (state.reports.append(f"a dialog: {dialog.message}"), dialog.dismiss()))
    page.on("framenavigated", lambda frame: state.navigations.append(frame.url) if frame == page.main_frame
            else None)
    yield state
    context.close()


def site_pages(hostile: Path) -> list[str]:
    return sorted(path.relative_to(hostile / "site").as_posix() for path in (hostile / "site").rglob("*.html"))


# ---------------------------------------------------------------- what each page must show


def texts(book: Handbook, lang: str) -> dict[str, list[str]]:
    """Per page of `lang`, contributed texts that must show exactly as written (placeholders filled)."""
    case, _ = book.localized("case", "hostile-case", lang)
    recipe, _ = book.localized("recipe", "hostile-recipe", lang)
    toolkit, _ = book.localized("toolkit", "hostile-toolkit", lang)
    settings = book.settings
    values = placeholder_values(book.root, settings, lang, toolkit.institution)  # a fork: its toolkit's word

    def f(text: str) -> str:
        return fill(text, values)

    labels = [book.vocabulary.label(vocab, value, lang) for vocab, value in
              (("sectors", "hostile-sector"), ("models", "hostile-model"), ("scales", "hostile-scale"))]
    source = case.sources[0]
    study = recipe.sources[0]
    sheet = recipe.worksheets[0]
    return {
        "cases/hostile-case.html": [case.title, case.summary, case.place.name, case.place.region or "",
                                    *case.lessons, *case.questions, source.title, source.author or "",
                                    source.publisher or "",
                                    *labels, *case.story.split("\n\n")[:2], f(recipe.title)],
        "cases/index.html": [case.title, case.summary, case.place.name, *labels[:2]],
        "recipes/hostile-recipe.html": [f(recipe.title), f(recipe.summary), f(recipe.time), f(recipe.people or ""),
                                        *map(f, recipe.you_need), *(f(s.title) for s in recipe.steps),
                                        *(f(s.time) for s in recipe.steps if s.time),
                                        *(f(p.pitfall) for p in recipe.pitfalls), f(sheet.title),
                                        f(sheet.intro or ""), f(recipe.goal.split("\n\n")[0]), case.title,
                                        *(f(finding.text) for finding in recipe.research), study.title,
                                        study.author or "", study.publisher or ""],
        "recipes/index.html": [f(recipe.title), f(recipe.summary), f(recipe.time)],
        "toolkits/hostile-toolkit.html": [f(toolkit.title), f(toolkit.summary), *map(f, toolkit.stakeholders),
                                          *map(f, toolkit.decisions), f(recipe.title), case.title],
        "toolkits/index.html": [f(toolkit.title), f(toolkit.summary)],
        "index.html": [page_title(book, "index", lang), f(toolkit.title), f(toolkit.summary), settings.group or "",
                       settings.place or ""],
        "hostile-page.html": [page_title(book, "hostile-page", lang), *TEMPLATE_SYNTAX, PAYLOAD],
        "front-matter.html": [f'title: "{PAYLOAD}"', "redirect: https://evil.example/"],  # text, not settings
    }


def page_title(book: Handbook, name: str, lang: str) -> str:
    path = book.pages[name].get(lang) or book.pages[name][book.source_lang]
    return path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# ")


def titles(book: Handbook, lang: str) -> dict[str, str]:
    """The `<title>` of the pages whose title is contributed text."""
    case, _ = book.localized("case", "hostile-case", lang)
    recipe, _ = book.localized("recipe", "hostile-recipe", lang)
    toolkit, _ = book.localized("toolkit", "hostile-toolkit", lang)
    values = placeholder_values(book.root, book.settings, lang, toolkit.institution)
    site = book.settings.text(book.settings.title, lang)
    return {"cases/hostile-case.html": f"{case.title} - {site}",
            "recipes/hostile-recipe.html": f"{fill(recipe.title, values)} - {site}",
            "toolkits/hostile-toolkit.html": f"{fill(toolkit.title, values)} - {site}",
            "hostile-page.html": f"{page_title(book, 'hostile-page', lang)} - {site}"}


# ---------------------------------------------------------------- in the browser


@pytest.mark.browser
@pytest.mark.slow
def test_no_payload_runs_or_leaves_the_site_on_any_page_even_when_every_link_is_clicked(
        hostile: Path, reader: Reader) -> None:
    clicked: set[str] = set()
    for name in site_pages(hostile):
        url = reader.base + name
        reader.open(url)
        reader.assert_safe(f"loading {name}")
        problems = reader.page.evaluate(DOM_PROBLEMS)
        assert not problems, f"{name} holds {problems}"
        for link in reader.page.evaluate(LINKS):  # no element has a handler (above): one click per target is enough
            if link["href"] in clicked or not link["href"].startswith(reader.base):
                continue
            clicked.add(link["href"])
            click(reader, url, link)
            reader.assert_safe(f"clicking the link to {link['href']} on {name}")
    assert len(clicked) > 50  # the crawl really clicked: nav, cards, cross-links, language switch


def click(reader: Reader, url: str, link: dict[str, Any]) -> None:
    """Click one link as a reader would (its handlers run, then its navigation). PDFs and CSV files download
    instead of opening: the tests below read them as files."""
    target = urllib.parse.urldefrag(link["href"]).url
    if target.endswith((".pdf", ".csv")):
        return
    reader.open(url, "domcontentloaded")  # back to the page the link is on (it was fully loaded and checked)
    script = "i => document.querySelectorAll('a[href]')[i].click()"
    if target == urllib.parse.urldefrag(url).url and urllib.parse.urldefrag(link["href"]).fragment:
        reader.page.evaluate(script, link["index"])  # a jump within the page
        reader.page.wait_for_timeout(20)
    elif "\n" in link["raw"] and "<" in link["raw"]:
        reader.page.evaluate(script, link["index"])  # Chromium refuses to follow it (dangling markup): no navigation
        reader.page.wait_for_timeout(20)
    else:
        with reader.page.expect_navigation(wait_until="domcontentloaded"):  # the target page is also loaded above
            reader.page.evaluate(script, link["index"])


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_every_contributed_text_shows_as_written(hostile: Path, book: Handbook, reader: Reader, lang: str) -> None:
    nav_title = words(page_title(book, "hostile-page", lang))
    for name, expected in texts(book, lang).items():
        reader.open(f"{reader.base}{lang}/{name}")
        shown = words(reader.page.inner_text("body"))
        missing = [text for text in map(words, expected) if text not in shown]
        assert not missing, f"{lang}/{name} does not show {missing}"
        nav = words(reader.page.text_content("nav.md-nav--primary") or "")
        assert nav_title in nav, f"{lang}/{name}: the navigation does not show {nav_title!r}"
        reader.assert_safe(f"reading {lang}/{name}")
    reader.open(f"{reader.base}{lang}/cases/hostile-case.html")
    assert reader.page.locator("nav.md-tags").count() == 1, "the case page shows no tags"
    tags = words(reader.page.text_content("nav.md-tags") or "")
    labels = [book.vocabulary.label(v, f"hostile-{k}", lang) for v, k in (("sectors", "sector"), ("models", "model"))]
    assert all(words(label) in tags for label in labels), tags  # an emoji in a label too
    for name, title in titles(book, lang).items():
        reader.open(f"{reader.base}{lang}/{name}")
        assert words(reader.page.title()) == words(title), name


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("query", ["hostile", "onerror", "javascript", "7*7", "markdown"])
def test_searching_for_the_payloads_finds_them_as_text_and_runs_nothing(reader: Reader, query: str) -> None:
    reader.open(f"{reader.base}en/index.html")
    reader.page.locator(".hb-search-open").click()
    search = reader.page.locator("#hb-search-query")
    search.press_sequentially(query)  # typed, key by key, as a reader does
    results = reader.page.locator(".hb-search__results li")
    results.first.wait_for(state="attached")
    assert results.count() > 0
    reader.page.locator(".hb-search__excerpt").first.wait_for()
    markup = reader.page.eval_on_selector_all(".hb-search__results *", "els => els.filter(e => !['LI', 'A', 'SPAN', "
                                              "'P', 'MARK'].includes(e.tagName)).map(e => e.outerHTML)")
    assert not markup, f"a result holds markup from the content: {markup[:3]}"
    reader.assert_safe(f"searching {query!r}")
    with reader.page.expect_navigation(wait_until="load"):
        results.first.locator("a").first.click()
    reader.assert_safe(f"opening the first result for {query!r}")


# ---------------------------------------------------------------- in the files of the site


@pytest.mark.slow
def test_the_built_site_holds_no_symlink_and_nothing_outside_it(hostile: Path) -> None:
    site = hostile / "site"
    for path in site.rglob("*"):
        assert not path.is_symlink(), path
        assert path.is_dir() or path.is_file(), path
        assert path.resolve().is_relative_to(site.resolve()), path


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_the_search_index_holds_the_payloads_as_text_and_shows_them_so(hostile: Path, lang: str) -> None:
    """Pagefind keeps each page's text as plain text: a payload is there as the characters it was written with
    (`<script>`), never as markup; search.js shows Pagefind's excerpt as text and <mark> only."""
    pages = search_pages(hostile / "site" / lang)
    assert any("<script>" in page["content"] for page in pages.values()), "the payloads are there, as text"
    for where, page in pages.items():
        assert "<mark" not in page["content"], where


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_the_json_export_is_valid_and_holds_the_text_as_written(hostile: Path, book: Handbook, lang: str) -> None:
    data = hostile / "site" / lang / "data"
    cases = json.loads((data / "cases.json").read_text(encoding="utf-8"))
    recipes = json.loads((data / "recipes.json").read_text(encoding="utf-8"))
    case, _ = book.localized("case", "hostile-case", lang)
    recipe, _ = book.localized("recipe", "hostile-recipe", lang)
    assert cases["cases"][0]["title"] == case.title
    assert cases["cases"][0]["lessons"] == list(case.lessons)
    assert cases["cases"][0]["questions"] == list(case.questions) and case.questions
    assert recipes["recipes"][0]["steps"][0]["title"] == recipe.steps[0].title


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_no_csv_cell_can_run_as_a_formula(hostile: Path, lang: str) -> None:
    text = (hostile / "site" / lang / "data" / "cases.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows[1:] for cell in row]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)  # the fixture's formula is there, neutralised
    risky = [c for c in cells if c.lstrip().startswith(("=", "+", "@", "\uff1d")) or c[:1] in ("\t", "\r", "\n")]
    assert not risky
    assert all(not c.startswith("-") or _number(c) for c in cells)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("cell", ["=1+1", " =1+1", "\n=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "\uff1d1+1"])
def test_a_csv_cell_that_starts_like_a_formula_gets_an_apostrophe(cell: str) -> None:
    assert neutralise(cell) == "'" + cell
    assert neutralise(-51.23) == "-51.23" and neutralise("Porto Alegre") == "Porto Alegre"


FORBIDDEN_PDF = {"/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/EmbeddedFile", "/OpenAction", "/AA",
                 "/SubmitForm", "/ImportData", "/RichMedia", "/GoToR"}


@pytest.mark.slow
def test_the_worksheet_pdfs_hold_the_payloads_as_text_and_nothing_active(hostile: Path, book: Handbook) -> None:
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject, NameObject

    pdfs = sorted((hostile / "site" / "en" / "worksheets").glob("*.pdf"))
    assert [p.name for p in pdfs] == ["hostile-recipe-a4.pdf", "hostile-toolkit-pack-a4.pdf"]
    sheet = book.recipes["hostile-recipe"].model.worksheets[0]
    for path in pdfs:
        reader = PdfReader(path)
        names: set[str] = set()
        for obj in pdf_objects(reader):
            if isinstance(obj, DictionaryObject):
                names.update(str(key) for key in obj)
                uri = obj.get("/URI")
                assert uri is None or str(uri).startswith("https://example.org/hostile/"), f"{path.name}: {uri}"
            elif isinstance(obj, NameObject):
                names.add(str(obj))
        assert not names & FORBIDDEN_PDF, f"{path.name}: {names & FORBIDDEN_PDF}"
        assert not reader.attachments
        text = words(" ".join(page.extract_text() or "" for page in reader.pages))
        for expected in (PAYLOAD, "{{ 7*7 }}", "{% raw %}", '<a href="javascript:top.__pwned=1">js</a>',
                         (sheet.blocks[0].note or "")):
            assert words(expected) in text, f"{path.name} does not show {expected!r}"


# ---------------------------------------------------------------- values the schema refuses


CASE = "handbook/cases/porto-alegre.yaml"
SOURCE_URL = "url: https://doi.org/10.1177/0032329298026004003"


@pytest.mark.parametrize(("old", "new", "field", "says"), [
    (SOURCE_URL, "url: javascript:top.__pwned=1", "sources[0].url", "https://"),
    (SOURCE_URL, "url: JaVaScRiPt:top.__pwned=1", "sources[0].url", "https://"),
    (SOURCE_URL, "url: ' javascript:top.__pwned=1'", "sources[0].url", "https://"),
    (SOURCE_URL, "url: vbscript:msgbox(1)", "sources[0].url", "https://"),
    (SOURCE_URL, "url: data:text/html;base64,PHNjcmlwdD4=", "sources[0].url", "https://"),
    (SOURCE_URL, "url: http://example.org/", "sources[0].url", "https://"),
    (SOURCE_URL, """url: 'https://example.org/"onmouseover="top.__pwned=1'""", "sources[0].url", "https://"),
    (SOURCE_URL, "url: https://example.org/<script>", "sources[0].url", "https://"),
    ("country: BR", "country: '<s>'", "place.country", "country code"),
    ("id: santos-1998", "id: '\"><script>top.__pwned=1</script>'", "sources[0].id", "slug"),
    ("recipes: [who-is-missing]", "recipes: ['../../../etc/passwd']", "recipes[0]", "slug"),
    ("reviewed: 2026-11-26", "reviewed: '<script>'", "reviewed", "date"),
])
def test_a_hostile_value_the_schema_refuses_is_a_check_error_with_file_and_line(
        tiny_handbook: Path, old: str, new: str, field: str, says: str) -> None:
    path = tiny_handbook / CASE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    result = run(tiny_handbook, "check", "--format", "json")
    assert_clean_failure(result)
    problems = json.loads(result.output)
    assert any(p["path"] == CASE and p["line"] == line and p["field"] == field and says in p["message"]
               for p in problems), problems


@pytest.mark.parametrize(("yaml_text", "says"), [
    ("title: !!python/object/apply:os.system ['touch /tmp/pwned']\n", "tag"),
    ("title: !!binary aGk=\n", "tag"),
    ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "anchor"),
    ("title: x\n<<: {summary: y}\n", "merge key"),
    ("title: x\ntitle: y\n", "twice"),
    ("title: x\n---\ntitle: y\n", "second YAML document"),
    ("title: [" * 100 + "]" * 100 + "\n", "nested"),
])
def test_hostile_yaml_is_a_check_error_with_file_and_line(tiny_handbook: Path, yaml_text: str, says: str) -> None:
    (tiny_handbook / CASE).write_text(yaml_text, encoding="utf-8")
    result = run(tiny_handbook, "check")
    assert_clean_failure(result)
    assert re.search(rf"^{re.escape(CASE)}:\d+:\d+: error: .*{says}", result.output, re.M), result.output
    assert not Path("/tmp/pwned").exists()


def test_the_hostile_handbook_is_valid_content_but_for_the_links_a_strict_build_refuses() -> None:
    result = run(HOSTILE, "check")
    assert result.exit_code == 1, result.output
    *problems, count = result.output.splitlines()
    link = re.compile(r"^[^:]+:\d+:\d+: error: ([\w.\[\]]+: )?the link '.+' (is written with|holds a|is written in|"
                      r"leads to) ")
    assert all(link.match(line) for line in problems), result.output
    assert count == "104 errors in 7 files"


# ---------------------------------------------------------------- a failed build changes nothing


def tree_digest(root: Path, skip: tuple[str, ...] = ("build",)) -> dict[str, str]:
    """Every file and folder under `root` (but `skip`) with a digest of its bytes (or of its link target)."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] in skip:
            continue
        if path.is_symlink():
            out[rel] = "link to " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "folder"
    return out


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """The tiny handbook, with the repository's templates, built once: `site/` holds a good site."""
    root = copy_handbook(FIXTURES / "tiny", tmp_path / "tiny")
    result = run(root, "build", "--no-worksheets")
    assert result.exit_code == 0, result.output
    assert (root / "site" / "en" / "index.html").is_file()
    return root


BROKEN = {
    "a case without a title": ("handbook/cases/porto-alegre.yaml", "title: Participatory budgeting in Porto Alegre\n",
                               "", "handbook/cases/porto-alegre.yaml"),
    "a YAML error": ("handbook/cases/porto-alegre.yaml", "scale: city", "scale: [city", "porto-alegre.yaml:"),
    "a Jinja syntax error in a page template": ("templates/pages/case.md.j2", "{% if recipes %}", "{% if recipes",
                                                "templates/pages/case.md.j2"),
    "an unknown variable in a page template": ("templates/pages/case.md.j2", "{{ case.summary }}",
                                               "{{ case.summary }}{{ no_such_thing }}", "templates/pages/case.md.j2"),
    "a Jinja syntax error in a theme override": ("templates/overrides/main.html", "{% block htmltitle %}",
                                                 "{% block htmltitle", "templates/overrides/main.html"),
    "a Jinja syntax error in the site's root page": ("templates/site/index.html.j2", "{% for l in languages %}",
                                                     "{% for l in %}", "index.html.j2"),
}


@pytest.mark.slow
@pytest.mark.parametrize("mistake", sorted(BROKEN))
def test_a_failed_build_leaves_site_and_every_source_file_byte_identical(built: Path, mistake: str) -> None:
    relpath, old, new, named = BROKEN[mistake]
    path = built / relpath
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    before = tree_digest(built)
    result = run(built, "build", "--no-worksheets")
    assert_clean_failure(result)
    assert named in result.output
    assert tree_digest(built) == before


# ---------------------------------------------------------------- symbolic links


SECRET = "secret-from-outside-the-repository"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the handbook holding files a link could try to bring in."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "index.md").write_text(f"# {SECRET}\n", encoding="utf-8")
    (folder / "secret.yaml").write_text(f"title: {SECRET}\n", encoding="utf-8")
    (folder / "secret.css").write_text(f"/* {SECRET} */\n", encoding="utf-8")
    return folder


def link(path: Path, target: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target, target_is_directory=target.is_dir())


@pytest.mark.parametrize(("linked", "target", "reported"), [
    ("handbook/cases/stolen.yaml", "secret.yaml", "handbook/cases/stolen.yaml"),
    ("handbook/cases/porto-alegre.es.yaml", "secret.yaml", "handbook/cases/porto-alegre.es.yaml"),
    ("handbook/pages/stolen.md", "index.md", "handbook/pages/stolen.md"),
    ("handbook/vocabulary.yaml", "secret.yaml", "handbook/vocabulary.yaml"),
    ("handbook.yml", "secret.yaml", "handbook.yml"),
    ("handbook/pages", ".", "handbook/pages"),
    ("handbook/cases", ".", "handbook/cases"),
    ("toolkits", ".", "toolkits"),
    ("handbook", ".", "handbook"),
])
def test_a_symlinked_content_file_or_folder_is_refused(tiny_handbook: Path, outside: Path, linked: str, target: str,
                                                      reported: str) -> None:
    link(tiny_handbook / linked, outside / target)
    result = run(tiny_handbook, "check")
    assert_clean_failure(result)
    assert re.search(rf"^{re.escape(reported)}:1:1: error: .*symbolic link", result.output, re.M), result.output
    assert SECRET not in result.output


@pytest.mark.slow
@pytest.mark.parametrize("linked", ["templates/assets/stolen.css", "templates/overrides/stolen.css",
                                    "templates/worksheets/worksheet.css", "templates/overrides"])
def test_a_symlinked_template_file_is_refused_and_nothing_from_outside_reaches_the_site(
        built: Path, outside: Path, linked: str) -> None:
    target = outside if linked == "templates/overrides" else outside / "secret.css"
    if linked == "templates/overrides":
        shutil.copytree(built / linked, outside, dirs_exist_ok=True)
    link(built / linked, target)
    before = tree_digest(built)
    result = run(built, "build", "--no-worksheets")
    assert_clean_failure(result)
    assert linked in result.output and "symbolic link" in result.output
    assert tree_digest(built) == before
    assert not any(SECRET.encode() in p.read_bytes() for p in (built / "site").rglob("*") if p.is_file())


@pytest.mark.parametrize("command", [["build", "--no-worksheets"], ["check"]])
def test_a_settings_file_linked_to_an_endless_device_is_refused_not_read(tmp_path: Path, command: list[str]) -> None:
    """Before anything loads, the build reads handbook.yml to count its workers: as the load does, it must
    not follow a link (to /dev/zero here, which would never end)."""
    import subprocess
    import sys

    from sitebuild import copy_source

    root = copy_source(tmp_path / "book")
    (root / "handbook.yml").unlink()
    (root / "handbook.yml").symlink_to("/dev/zero")
    result = subprocess.run([str(Path(sys.executable).with_name("handbook")), "--root", str(root), *command],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 1
    assert "handbook.yml:1:1: error: the file is a symbolic link, which is not read" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (root / "site").exists()
