"""The site build, tested the way a reader, a contributor and a maintainer meet it: every case card in the
HTML, languages as plain links, "edit this page" on the right file, strict links, atomic and reproducible
builds, and a live preview. The real handbook is built once per session (tests/sitebuild.py) and reused."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sitebuild import REPO, built_handbook, copy_source, fetch, free_port, handbook, tree_digest, wait_for

pytestmark = pytest.mark.slow

BROKEN_LINK = "\n\nSee also [the missing page](no-such-page.md).\n"


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_handbook(tmp_path_factory)


@pytest.fixture
def copy_of_built(book: Path, tmp_path: Path) -> Path:
    """A copy of the built handbook (content, templates, previous site/) that a test may break."""
    return Path(shutil.copytree(book, tmp_path / "book", symlinks=True))


def settings() -> dict:
    return yaml.safe_load((REPO / "handbook.yml").read_text(encoding="utf-8"))


def languages() -> list[str]:
    data = settings()
    return [lang for lang in data["languages"] if not data.get("publish") or lang in data["publish"]]


def case_slugs() -> list[str]:
    return sorted(p.stem for p in (REPO / "handbook" / "cases").glob("*.yaml") if "." not in p.stem)


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith((".site-new-", ".site-old-")))


# ---------------------------------------------------------------- what the built site holds


@pytest.mark.parametrize("lang", languages())
def test_the_case_index_holds_every_card_without_javascript(book: Path, lang: str) -> None:
    page = (book / "site" / lang / "cases" / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<article class="hb-card" data-sectors="[^"]*"[^>]*>\s*<h2[^>]*><a href="([^"]+)"', page)
    assert sorted(cards) == [f"{slug}.html" for slug in case_slugs()]
    form = re.search(r"<form[^>]*id=\"hb-filter\"[^>]*>", page)
    assert form is not None and " hidden" not in form.group(0), "the form is in the page: nothing moves on load"
    assert '<script>document.documentElement.classList.add("hb-js");' in page.split("</head>")[0], \
        "the form shows once JavaScript runs (before the page is drawn); without it, it stays hidden"
    for slug in case_slugs():
        assert (book / "site" / lang / "cases" / f"{slug}.html").is_file()


def sources_shown(page: str) -> list[tuple[str, str]]:
    """(id, text a reader sees) of each entry of a page's numbered sources list, in order."""
    ordered = re.search(r'<ol class="hb-sources">(.*?)</ol>', page, re.S)
    assert ordered is not None, "a numbered list of sources"
    entries = re.findall(r'<li id="source-([a-z0-9-]+)">(.*?)</li>', ordered.group(1), re.S)
    return [(sid, html.unescape(re.sub(r"<[^>]+>", "", entry))) for sid, entry in entries]


def citation_marks(page: str) -> list[tuple[str, int]]:
    """(source id, number shown) of every [n] mark on a page."""
    marks = "".join(re.findall(r'<sup class="hb-cite">(.*?)</sup>', page, re.S))
    return [(sid, int(n)) for sid, n in re.findall(r'href="#source-([a-z0-9-]+)">\[(\d+)\]', marks)]


@pytest.mark.parametrize("lang", languages())
def test_a_recipe_page_numbers_its_citations_and_lists_its_sources(book: Path, lang: str) -> None:
    """A reader sees [n] marks by the research findings, steps and pitfalls; each leads to the n-th entry of the
    numbered sources list at the foot of the page, which lists the recipe's sources in the file's order."""
    for path in sorted((REPO / "handbook" / "recipes").glob("*.yaml")):
        if "." in path.stem:
            continue
        recipe = yaml.safe_load(path.read_text(encoding="utf-8"))
        page = (book / "site" / lang / "recipes" / f"{path.stem}.html").read_text(encoding="utf-8")
        listed = sources_shown(page)
        assert [sid for sid, _ in listed] == [source["id"] for source in recipe["sources"]]
        for (_, shown), source in zip(listed, recipe["sources"], strict=True):
            assert source["title"] in shown and str(source["year"]) in shown
        numbers = {sid: i + 1 for i, (sid, _) in enumerate(listed)}
        cited = citation_marks(page)
        assert cited and all(numbers[sid] == n for sid, n in cited), f"{path.stem}: [n] leads to the n-th source"
        assert {sid for sid, _ in cited} == set(numbers), f"{path.stem}: every listed source is cited on the page"
        findings = re.search(r'<h2 id="[^"]+">[^<]+</h2>\s*<ul>\s*<li>\s*(?:<p>)?<strong class="hb-strength', page)
        assert findings is not None, f"{path.stem}: the research findings, each led by how strong its evidence is"
    english = (book / "site" / "en" / "recipes" / "open-books.html").read_text(encoding="utf-8")
    assert '<h2 id="what-the-research-says">What the research says</h2>' in english


@pytest.mark.parametrize("lang", languages())
def test_the_open_data_of_each_language_carries_the_recipes_sources(book: Path, lang: str) -> None:
    data = json.loads((book / "site" / lang / "data" / "recipes.json").read_text(encoding="utf-8"))
    for item in data["recipes"]:
        source = yaml.safe_load((REPO / "handbook" / "recipes" / f"{item['id']}.yaml").read_text(encoding="utf-8"))
        assert item["sources"] == source["sources"]
        assert [f["sources"] for f in item["research"]] == [f["sources"] for f in source["research"]]


def test_the_root_page_lists_every_language_as_a_link(book: Path) -> None:
    page = (book / "site" / "index.html").read_text(encoding="utf-8")
    body = page.split("<body", 1)[1]  # the links a reader without JavaScript sees
    for lang in languages():
        assert re.search(rf'<a href="{lang}/index.html" hreflang="{lang}">', body), f"no link to {lang}"
        assert (book / "site" / lang / "index.html").is_file()


def test_edit_this_page_opens_the_yaml_file_on_the_repository(book: Path) -> None:
    repo = str(settings()["repo_url"]).rstrip("/")
    branch = settings().get("edit_branch", "main")
    case = (book / "site" / "en" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    edit = re.search(r'<a href="([^"]+)" title="[^"]*" class="md-content__button md-icon" rel="edit"', case)
    assert edit is not None and edit.group(1) == f"{repo}/edit/{branch}/handbook/cases/mondragon.yaml"
    recipe = (book / "site" / "en" / "recipes" / "who-is-missing.html").read_text(encoding="utf-8")
    assert f'href="{repo}/edit/{branch}/handbook/recipes/who-is-missing.yaml"' in recipe
    index = (book / "site" / "en" / "cases" / "index.html").read_text(encoding="utf-8")
    assert 'rel="edit"' not in index, "a generated index has no file to edit"


def test_a_translated_case_is_edited_in_its_translation(book: Path) -> None:
    overlays = sorted((REPO / "handbook" / "cases").glob("*.*.yaml"))
    if not overlays:
        pytest.skip("no translated case yet")
    slug, lang = overlays[0].stem.split(".")
    if lang not in languages():
        pytest.skip(f"{lang} is not published")
    page = (book / "site" / lang / "cases" / f"{slug}.html").read_text(encoding="utf-8")
    assert f"/handbook/cases/{slug}.{lang}.yaml" in page


def test_contributed_text_shows_as_text_and_its_links_work(book: Path) -> None:
    page = (book / "site" / "en" / "index.html").read_text(encoding="utf-8")
    assert 'href="toolkits/school.html"' in page, "a .md link in a prose page leads to the generated page"
    assert not re.search(r"<p>\s*-\s*<a", page), "a nested list in a prose page is a list, not dashes in a line"


def test_the_build_reports_each_language_and_a_closing_line(book: Path, tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert re.search(r"^  en: \d+ pages$", result.output, re.M)
    assert re.search(r"^Built \d+ pages in 1 language \(en\) into .* in [\d.]+ s$", result.output, re.M)


def test_rendering_again_removes_the_page_of_deleted_content_and_writes_the_same_pages(book: Path,
                                                                                     tmp_path: Path) -> None:
    from generator import render
    from generator.validate import load_handbook

    handbook_ = load_handbook(book)
    one, two = tmp_path / "one", tmp_path / "two"
    render.render_language(handbook_, "en", one)
    (two / "cases").mkdir(parents=True)
    (two / "cases" / "a-case-that-was-deleted.md").write_text("# Gone\n", encoding="utf-8")
    result = render.render_language(handbook_, "en", two)
    assert tree_digest(one) == tree_digest(two), "the page of a deleted case is removed, the rest is the same"
    assert "cases/mondragon.md" in result.pages and result.sources["cases/mondragon.md"].endswith("mondragon.yaml")


# ---------------------------------------------------------------- reproducible, strict, atomic


def test_two_builds_of_the_same_content_are_identical_byte_for_byte(book: Path, tmp_path: Path) -> None:
    root = copy_source(tmp_path / "elsewhere")  # another folder too: no absolute path may leak into the site
    result = handbook(root, "build", "--no-worksheets")
    assert result.exit_code == 0, result.output
    first, second = tree_digest(book / "site"), tree_digest(root / "site")
    assert sorted(first) == sorted(second)
    differ = [path for path in first if first[path] != second[path]]
    assert not differ, f"these files differ between two builds: {differ[:10]}"


def test_a_broken_link_fails_the_build_at_its_line_and_leaves_the_site_as_it_was(copy_of_built: Path) -> None:
    root = copy_of_built
    before = tree_digest(root / "site")
    about = root / "handbook" / "pages" / "about.en.md"
    text = about.read_text(encoding="utf-8")
    about.write_text(text + BROKEN_LINK, encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 1, result.output
    line = text.count("\n") + 3  # `check`, the build's first step, finds it before MkDocs does
    assert result.output.splitlines()[1:] == [
        f"handbook/pages/about.en.md:{line}:29: error: the link 'no-such-page.md' leads to no-such-page.md, which is "
        "not a page of this handbook; write the path of a page from this one (like ../recipes/who-is-missing.md), "
        "or a full address starting with https://",
        "Error: 1 error in 1 file"], result.output
    assert tree_digest(root / "site") == before, "a failed build changed site/"
    assert leftovers(root) == []


def test_no_strict_builds_despite_a_broken_link_and_warns(copy_of_built: Path) -> None:
    root = copy_of_built
    about = root / "handbook" / "pages" / "about.en.md"
    about.write_text(about.read_text(encoding="utf-8") + BROKEN_LINK, encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en", "--no-strict")
    assert result.exit_code == 0, result.output
    assert re.search(r"en: warning: handbook/pages/about\.en\.md: .*no-such-page\.md", result.output), result.output


def test_a_broken_template_fails_and_leaves_the_site_as_it_was(copy_of_built: Path) -> None:
    root = copy_of_built
    before = tree_digest(root / "site")
    template = root / "templates" / "pages" / "recipe.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n{{ no_such_value }}\n", encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets")
    assert result.exit_code == 1, result.output
    assert "templates/pages/recipe.md.j2" in result.output and "no_such_value" in result.output, result.output
    assert tree_digest(root / "site") == before
    assert leftovers(root) == []


def test_contributed_markdown_cannot_add_html_or_script_links(copy_of_built: Path) -> None:
    root = copy_of_built
    case = root / "handbook" / "cases" / "mondragon.yaml"
    evil = ("story: |\n  <script>alert(1)</script> [click](javascript:alert(2)) "
            "[mail](mailto:a@example.org) <b onclick=x>bold</b>\n\n")
    case.write_text(case.read_text(encoding="utf-8").replace("story: |\n", evil, 1), encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    page = (root / "site" / "en" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    body = page.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, "raw HTML shows as text"
    assert "javascript:" not in body, "a javascript: link is dropped"
    assert "<script" not in body and not re.search(r"<[^>]*\bonclick", body), "no script, no event handler"
    assert 'href="mailto:a@example.org"' in body


# ---------------------------------------------------------------- live preview





def test_serve_previews_one_language_and_rebuilds_when_a_yaml_file_changes(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [str(Path(sys.executable).with_name("handbook")), "--root", str(root), "serve",
               "--dev-addr", f"127.0.0.1:{port}"]
    log = (tmp_path / "serve.log").open("w+", encoding="utf-8")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/cases/mondragon.html"
    try:
        wait_for(lambda: "Mondragon" in fetch(url).decode())
        assert (root / "build" / "serve" / "en" / "docs" / "cases" / "mondragon.md").is_file()
        # the data page's links lead somewhere in the preview too; no language menu leads to a missing site
        data = fetch(f"http://127.0.0.1:{port}/data.html").decode()
        assert 'href="data/cases.json"' in data and 'href="../schema/case.schema.json"' in data
        cases = json.loads(fetch(f"http://127.0.0.1:{port}/data/cases.json").decode())
        assert "mondragon" in [case["id"] for case in cases["cases"]]
        assert json.loads(fetch(f"http://127.0.0.1:{port}/schema/case.schema.json").decode())["title"]
        assert 'hreflang="es"' not in fetch(url).decode()
        case = root / "handbook" / "cases" / "mondragon.yaml"
        text = case.read_text(encoding="utf-8")
        title = re.search(r"^title: (.+)$", text, re.M)
        assert title is not None
        case.write_text(text.replace(title.group(0), "title: A title changed while previewing", 1), encoding="utf-8")
        wait_for(lambda: "A title changed while previewing" in html.unescape(fetch(url).decode()))
        assert "livereload" in fetch(url).decode(), "the preview page reloads itself when the site is rebuilt"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.seek(0)
        output = log.read()
        log.close()
    assert f"Serving on http://127.0.0.1:{port}/" in output, output
    assert "Traceback" not in output, output


def test_code_spans_in_contributed_markdown_show_as_written(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    case = root / "handbook" / "cases" / "kibbutz.yaml"
    story = "story: |\n  Write `<br>` to break a line; <b>this</b> stays text.\n\n"
    text = case.read_text(encoding="utf-8").replace("story: |\n", story, 1)
    case.write_text(text, encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    page = (root / "site" / "en" / "cases" / "kibbutz.html").read_text(encoding="utf-8")
    assert "<code>&lt;br&gt;</code>" in page
    assert "&lt;b&gt;this&lt;/b&gt; stays text" in page


def test_a_case_tag_leads_to_the_index_filtered_by_it(book: Path) -> None:
    page = (book / "site" / "en" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    tags = re.search(r'<nav class="md-tags"[^>]*>(.*?)</nav>', page, re.S)
    assert tags is not None
    assert '<a href="index.html?model=worker-cooperative" class="md-tag">Worker cooperative</a>' in tags.group(1)
    assert '<a href="index.html?sector=finance" class="md-tag">Finance</a>' in tags.group(1)
    index = (book / "site" / "en" / "cases" / "index.html").read_text(encoding="utf-8")
    assert '<option value="worker-cooperative">' in index


def test_building_a_language_the_handbook_lacks_is_a_usage_error(book: Path) -> None:
    result = handbook(book, "build", "--lang", "xx", "--no-worksheets")
    assert result.exit_code == 2
    assert "Error: --lang: 'xx' is not one of the handbook's languages (en, es, pt)\n" in result.output
    assert "Traceback" not in result.output


def test_print_links_put_the_handbooks_own_paper_first(tmp_path: Path) -> None:
    from generator.render import render_language
    from generator.validate import load_handbook

    root = copy_source(tmp_path / "book")
    render_language(load_handbook(root), "en", tmp_path / "a4", print_links=True)  # handbook.yml: paper: a4
    page = (tmp_path / "a4" / "recipes" / "open-books.md").read_text(encoding="utf-8")
    assert page.index("open-books-a4.pdf") < page.index("open-books-letter.pdf")
    settings = root / "handbook.yml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("paper: a4", "paper: letter"), encoding="utf-8")
    render_language(load_handbook(root), "en", tmp_path / "letter", print_links=True)
    page = (tmp_path / "letter" / "toolkits" / "school.md").read_text(encoding="utf-8")
    assert page.index("school-pack-letter.pdf") < page.index("school-pack-a4.pdf")
