"""`check` promises what `build` does for the links and entities of contributed Markdown.

Every link MkDocs would refuse in a strict build is a check error at its file and line; Markdown's entities show
as their characters; contributed raw HTML and script never become live. Generated Markdown (Hypothesis) goes
through `handbook check`'s link check and through MkDocs' own page rendering (the oracle): both refuse the same
links, and the page, cleaned as the build cleans it, holds no payload that could run. A few examples go through
a real `handbook check` and `handbook build`.
"""

from __future__ import annotations

import html.parser
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.links import check_links
from generator.load import Document
from generator.mkdocs_hooks import TAGS, on_page_content
from generator.render import markdown_text, page_paths
from generator.validate import Handbook, load_handbook

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"
CASE = "handbook/cases/porto-alegre.yaml"
PAGE = "cases/porto-alegre.md"
Edit = Callable[[Path, str, str], None]
Run = Callable[..., Result]
Oracle = Callable[[str], tuple[list[str], str]]

# ---------------------------------------------------------------- MkDocs itself, as the oracle


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny handbook with the repository's templates and mkdocs.yml: it builds."""
    root = tmp_path_factory.mktemp("links") / "tiny"
    shutil.copytree(TINY, root)
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    return root


@pytest.fixture(scope="module")
def book(site_root: Path) -> Handbook:
    loaded = load_handbook(site_root)
    assert not loaded.problems
    return loaded


@pytest.fixture(scope="module")
def mkdocs(book: Handbook, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    """`mkdocs(markdown)`: the warnings MkDocs gives for the case page holding `markdown` (escaped as the build
    escapes contributed Markdown), and the page's HTML as the build cleans it."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page

    folder = tmp_path_factory.mktemp("oracle")
    (folder / "docs").mkdir()
    config = load_config(str(ROOT / "mkdocs.yml"), docs_dir=str(folder / "docs"), site_dir=str(folder / "site"))
    paths = page_paths(book) | {f"assets/{p.name}" for p in (ROOT / "templates" / "assets").iterdir()}
    files = Files([File(path, config.docs_dir, config.site_dir, False) for path in sorted(paths)])
    handler = _Warnings()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)

    def render(markdown: str) -> tuple[list[str], str]:
        handler.messages.clear()
        page = Page(None, files.get_file_from_path(PAGE), config)
        page.markdown = str(markdown_text(markdown))
        page.render(config, files)
        return list(handler.messages), on_page_content(str(page.content), page, config, files)

    yield render
    logger.removeHandler(handler)


def checked(book: Handbook, markdown: str) -> list[str]:
    """What `handbook check` says about the links of a case whose story is `markdown`."""
    doc = Document(CASE, {"story": markdown})
    return [p.message for p in check_links(book, [("case", "porto-alegre", doc)])]


# ---------------------------------------------------------------- what a reader's browser would make of a page


class _Page(html.parser.HTMLParser):
    """Elements, attributes and visible text of an HTML fragment, with entities decoded as a browser decodes them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read(fragment: str) -> _Page:
    parsed = _Page()
    parsed.feed(fragment)
    parsed.close()
    return parsed


def scheme(url: str) -> str:
    """The scheme a browser reads in `url`: it drops tabs and line breaks, and spaces and controls at the ends."""
    cleaned = re.sub(r"[\t\n\r]", "", url).strip("".join(map(chr, range(0x21))))
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", cleaned)
    return match.group(1).lower() if match else ""


ACTIVE = {"script", "iframe", "frame", "object", "embed", "svg", "math", "img", "style", "base", "meta", "link"}


def assert_nothing_live(fragment: str, theme: bool = False) -> None:
    """No element outside the cleaner's allow-list (or, in the theme's frame, no active element), no event
    handler, no link other than http(s) or mailto."""
    page = read(fragment)
    assert not set(page.tags) & ACTIVE if theme else set(page.tags) <= TAGS, set(page.tags)
    assert not [a for a in page.attributes if a[1].startswith("on")], page.attributes
    assert all(scheme(value) in ("", "http", "https", "mailto")
               for _, name, value in page.attributes if name in ("href", "src")), page.attributes


# ---------------------------------------------------------------- examples a contributor writes

LINKS = {
    "a link written with a character reference": (
        "[x](jav&#x61;script:alert(1))",
        "the link 'jav&#x61;script:alert(1)' is written with the character reference &#x61;, which a link cannot "
        "hold; write a web address starting with https://, or the path of a page of this handbook (like "
        "../recipes/who-is-missing.md)",
    ),
    "a link with a tab written as a reference": (
        "[x](java&#9;script:alert(1))",
        "the link 'java&#9;script:alert(1)' is written with the character reference &#9;, which a link cannot "
        "hold; write a web address starting with https://, or the path of a page of this handbook (like "
        "../recipes/who-is-missing.md)",
    ),
    "a path from the top of the site": (
        "[x](/recipes/who-is-missing.md)",
        "the link '/recipes/who-is-missing.md' starts with /, which leads nowhere on the published site; link to "
        "a page of this handbook by its path from this page (like ../recipes/who-is-missing.md), or write a full "
        "address starting with https://",
    ),
    "a page that does not exist": (
        "![map](../recipes/map.png)",
        "the link '../recipes/map.png' leads to recipes/map.png, which is not a page of this handbook; write the "
        "path of a page from this one (like ../recipes/who-is-missing.md), or a full address starting with https://",
    ),
    "an address in angle brackets": (
        "[x](<../index.md>)",
        "the link '<../index.md>' is written in <angle brackets>, which this handbook does not read as an address; "
        "write it without them",
    ),
    "an address cut by a quote": (
        '[x](../index.md" onclick="top.__pwned=1)',
        "the link '../index.md\" onclick=\"top.__pwned=1' holds a space, tab or line break, which a link cannot "
        "hold; write a web address starting with https://, or the path of a page of this handbook (like "
        "../recipes/who-is-missing.md)",
    ),
}


@pytest.mark.parametrize("mistake", sorted(LINKS))
def test_a_link_mkdocs_refuses_is_a_check_error_at_its_file_and_line(
    tiny_handbook: Path, handbook: Run, edit: Edit, mistake: str
) -> None:
    link, says = LINKS[mistake]
    edit(tiny_handbook / CASE, "  participatory budget.\n", f"  participatory budget.\n\n  See {link} here.\n")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    column = len("  See ") + link.index("(") + 2  # where the address starts
    assert result.output == f"{CASE}:15:{column}: error: story: {says}\n1 error in 1 file\n"


def test_links_in_translations_and_pages_are_checked_too(tiny_handbook: Path, handbook: Run, edit: Edit) -> None:
    edit(tiny_handbook / "handbook/cases/porto-alegre.es.yaml", "  El Partido",
         "  Ver [la receta](receta.md). El Partido")
    (tiny_handbook / "handbook/pages/about.md").write_text("# About\n\nSee [a case](cases/porto-alegre.md),\n"
                                                           "[the home page](index.md) and [this](/about.md).\n",
                                                           encoding="utf-8")
    result = handbook(tiny_handbook, "check")
    assert result.output.splitlines() == [
        "handbook/cases/porto-alegre.es.yaml:5:19: error: story: the link 'receta.md' leads to cases/receta.md, "
        "which is not a page of this handbook; write the path of a page from this one (like "
        "../recipes/who-is-missing.md), or a full address starting with https://",
        "handbook/pages/about.md:4:38: error: the link '/about.md' starts with /, which leads nowhere on the "
        "published site; link to a page of this handbook by its path from this page (like "
        "../recipes/who-is-missing.md), or write a full address starting with https://",
        "2 errors in 2 files",
    ]


@pytest.mark.parametrize("link", ["../recipes/who-is-missing.md", "../index.md#top", "porto-alegre.md", "#sources",
                                  "https://example.org/?a=1&b=2", "mailto:group@example.org", "../assets/handbook.css",
                                  "index.md", "../recipes/who-is-missing.md?print=1"])
def test_a_link_mkdocs_accepts_passes_check(book: Handbook, mkdocs: Any, link: str) -> None:
    assert checked(book, f"See [it]({link}).") == []
    assert mkdocs(f"See [it]({link}).")[0] == []


@pytest.mark.parametrize(("written", "shown"), [
    ("R&amp;D", "R&D"), ("a&nbsp;b", "a\u00a0b"), ("then &mdash; now", "then \u2014 now"), ("&#x26; &#38;", "& &"),
    ("&bogus; & &copy 2020", "&bogus; & &copy 2020"), ("`&amp;` in code", "&amp; in code"),
    ("&lt;script&gt;top.__pwned=1&lt;/script&gt;", "<script>top.__pwned=1</script>"),
    ("<b>not bold</b> &#60;i&#62;", "<b>not bold</b> <i>"),
])
def test_markdown_entities_show_as_their_characters_and_html_shows_as_text(
    mkdocs: Any, written: str, shown: str
) -> None:
    warnings, page = mkdocs(written)
    assert not warnings
    assert "".join(read(page).text) == shown
    assert read(page).tags == ["p"] + (["code"] if "`" in written else [])


# ---------------------------------------------------------------- generated Markdown

PAYLOADS = ["<script>top.__pwned=1</script>", '<img src=x onerror="top.__pwned=1">', "<svg onload=top.__pwned=1>",
            '<a href="javascript:top.__pwned=1">js</a>', '<iframe src="javascript:top.__pwned=1"></iframe>',
            "{: onclick=\"top.__pwned=1\" }", "&#60;script&#62;top.__pwned=1&#60;/script&#62;"]
WORDS = ["Porto", "Alegre", "R&D", "AT&T", "&amp;", "&nbsp;", "&mdash;", "&#x26;", "&bogus;", "&lt;b&gt;", "*em*",
         "`code <b>`", "\n\n", "\n", "\n\n- item ", "\n\n> quote ", "\n\n1. one "]
GOOD = ["../recipes/who-is-missing.md", "../index.md", "porto-alegre.md", "index.md", "#top", "../index.md#a",
        "https://example.org/a?b=1&c=2", "mailto:a@example.org", "http://example.org"]
BAD = ["mondragon.md", "../nope/x.md", "x", "/cases/index.md", "javascript:top.__pwned=1", "JaVaScRiPt:top.__pwned=1",
       "data:text/html,x", "vbscript:x", "jav&#x61;script:top.__pwned=1", "java&#9;script:top.__pwned=1",
       "&#106;avascript:top.__pwned=1", "java&Tab;script:x", " javascript:x", "<java\nscript:x>",
       'x" onerror="top.__pwned=1', "../recipes/who-is-missing.html", "\\\\evil.example/x"]
DESTINATION = st.one_of(st.sampled_from(GOOD), st.sampled_from(BAD))
LINK = st.builds(lambda image, text, to, title: f"{'!' if image else ''}[{text}]({to}{title})", st.booleans(),
                 st.sampled_from(["x", "the *recipe*", "R&amp;D"]), DESTINATION,
                 st.sampled_from(["", ' "a title"', " 'x\" onmouseover=\"top.__pwned=1'"]))
REFERENCE = st.builds(lambda to: f"[see][r]\n\n[r]: {to}\n", DESTINATION)
MARKDOWN = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(PAYLOADS), LINK, REFERENCE),
                    min_size=1, max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MARKDOWN)
def test_check_refuses_exactly_the_links_mkdocs_refuses_and_no_payload_is_live(
    book: Handbook, mkdocs: Any, markdown: str
) -> None:
    warnings, page = mkdocs(markdown)
    assert len(checked(book, markdown)) == len(warnings), warnings
    assert_nothing_live(page)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(PAYLOADS), LINK), min_size=1, max_size=8))
def test_content_check_accepts_builds_and_no_payload_becomes_live(site_root: Path, pieces: list[str]) -> None:
    from click.testing import CliRunner

    from generator.cli import cli

    story = "".join(f"  {line}\n" for line in " ".join(pieces).splitlines() if line.strip()) or "  x\n"
    case = (TINY / CASE).read_text(encoding="utf-8").replace(
        "  The Workers' Party won the city government in 1988 and introduced a\n  participatory budget.\n", story)
    (site_root / CASE).write_text(case, encoding="utf-8")
    runner = CliRunner()
    check = runner.invoke(cli, ["--root", str(site_root), "check"])
    assert "Traceback" not in check.output
    if check.exit_code != 0:
        assert all(": error: story: the link " in line for line in check.output.splitlines()[:-1]), check.output
        return
    build = runner.invoke(cli, ["--root", str(site_root), "build", "--jobs", "1", "--lang", "en", "--no-worksheets"],
                          env={"NO_MKDOCS_2_WARNING": "1"})
    assert build.exit_code == 0, build.output
    page = (site_root / "site" / "en" / "cases" / "porto-alegre.html").read_text(encoding="utf-8")
    article = page[page.index("<article"): page.index("</article>")]  # the page's content, in the theme's frame
    assert_nothing_live(article, theme=True)
