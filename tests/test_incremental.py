"""A build after an edit builds again only what the edit changed, and makes the same site as a first build.

MkDocs builds again only the pages whose Markdown changed ("dirty", from a copy of the last site); when
something every page shows changed (the theme, the settings, mkdocs.yml, the tool), it builds every page and
says so. Either way the result is byte for byte what a build from nothing makes, search index included."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sitebuild import copy_source, handbook, tree_digest


def _build(root: Path) -> str:
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    return str(result.output)


def _same_as_a_first_build(root: Path, tmp_path: Path, name: str) -> None:
    fresh = tmp_path / name
    shutil.copytree(root, fresh, ignore=lambda folder, names: {"build", "site"} & set(names)
                    if Path(folder) == root else set())
    _build(fresh)
    built, first = tree_digest(root / "site"), tree_digest(fresh / "site")
    assert sorted(built) == sorted(first), set(built) ^ set(first)
    assert [path for path in built if built[path] != first[path]] == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edit_builds_only_what_changed_and_makes_the_site_a_first_build_makes(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    _build(root)

    cases = root / "handbook" / "cases"
    mondragon = (cases / "mondragon.yaml").read_text(encoding="utf-8")
    title = re.search(r"^title: (.+)$", mondragon, re.M)
    assert title is not None
    _edit(cases / "mondragon.yaml", title.group(0), "title: Mondragon, edited between two builds")
    output = _build(root)
    assert "en: building again only the pages that changed" in output, output
    page = (root / "site" / "en" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    assert "Mondragon, edited between two builds" in page
    _same_as_a_first_build(root, tmp_path, "fresh-title")

    # an edit of a page's body alone (not its title): the search index must be made again for it
    _edit(cases / "kibbutz.yaml", "  From Degania in 1910,", "  Edited summary. From Degania in 1910,")
    output = _build(root)
    assert "en: building again only the pages that changed" in output, output
    assert "Edited summary." in (root / "site" / "en" / "cases" / "index.html").read_text(encoding="utf-8")
    _same_as_a_first_build(root, tmp_path, "fresh-summary")

    vocabulary = root / "handbook" / "vocabulary.yaml"
    _edit(vocabulary, "{en: Worker cooperative,", "{en: Worker-owned cooperative,")
    template = root / "templates" / "pages" / "case.md.j2"
    _edit(template, "{{ case.summary }}</p>", "{{ case.summary }}</p>\n\nA line the template gained.")
    output = _build(root)
    assert "en: building again only the pages that changed" in output, output
    page = (root / "site" / "en" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    assert "Worker-owned cooperative" in page and "A line the template gained." in page
    _same_as_a_first_build(root, tmp_path, "fresh-labels")


def test_a_theme_change_builds_every_page_and_says_so(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    _build(root)
    override = root / "templates" / "overrides" / "main.html"
    override.write_text(override.read_text(encoding="utf-8") + "\n{% block announce %}A new announcement"
                        "{% endblock %}\n", encoding="utf-8")
    output = _build(root)
    assert "en: building every page: the settings, theme, mkdocs.yml or tool changed" in output, output
    assert "A new announcement" in (root / "site" / "en" / "cases" / "kibbutz.html").read_text(encoding="utf-8")
    _same_as_a_first_build(root, tmp_path, "fresh-theme")


def test_a_removed_case_builds_every_page_and_leaves_no_page_of_it(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    cases = root / "handbook" / "cases"
    text = (cases / "mondragon.yaml").read_text(encoding="utf-8")
    (cases / "a-short-lived-case.yaml").write_text(re.sub(r"^title: .+$", "title: A short-lived case", text,
                                                          count=1, flags=re.M), encoding="utf-8")
    _build(root)
    assert (root / "site" / "en" / "cases" / "a-short-lived-case.html").is_file()
    (cases / "a-short-lived-case.yaml").unlink()
    output = _build(root)
    assert "en: building every page: pages were removed" in output, output
    assert not (root / "site" / "en" / "cases" / "a-short-lived-case.html").exists()
    _same_as_a_first_build(root, tmp_path, "fresh-removed")


def _render(root: Path, lang: str, docs: Path, kept: dict[str, str] | None) -> dict[str, str]:
    from generator.render import render_language
    from generator.validate import load_handbook

    book = load_handbook(root)
    assert not book.errors, book.problems
    render_language(book, lang, docs, kept=kept)
    return tree_digest(docs)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_pages_kept_between_renderings_are_the_pages_a_fresh_rendering_makes(tmp_path: Path, lang: str) -> None:
    """The preview and the build keep the case pages whose inputs did not change (`Renderer.inputs`). After each
    kind of edit that shows on other pages than its own, what they keep is what rendering afresh makes."""
    root = copy_source(tmp_path / "book")
    kept: dict[str, str] = {}
    docs = tmp_path / "docs"
    _render(root, lang, docs, kept)
    assert len(kept) == len(list((root / "handbook" / "cases").glob("*.yaml"))) - len(
        list((root / "handbook" / "cases").glob("*.*.yaml")))  # every case page
    edits = [  # the file, the edit, the languages whose case pages show it
        ("handbook/recipes/open-books.yaml", "title: Keep the books open", "title: Open the books", "en"),
        ("handbook/cases/kibbutz.yaml", '"The kibbutz', '"The edited kibbutz', "en es"),  # cases it names, that name it
        ("handbook/cases/summerhill-school.yaml", "title: The school", "title: The edited school", "en es"),  # cited by
        ("handbook/cases/kibbutz.es.yaml", "title: 'El kibutz", "title: 'Editado: el kibutz", "es"),
        ("handbook/vocabulary.yaml", "{en: Worker cooperative,", "{en: Worker-owned cooperative,", "en es"),
        ("templates/pages/case.md.j2", "{{ case.summary }}</p>", "{{ case.summary }}</p>\n\nA new line.", "en es"),
        ("handbook.yml", "edit_branch: main", "edit_branch: trunk", "en es"),  # every "edit this page" link
        ("templates/locales/es/LC_MESSAGES/messages.po", 'msgstr "Lecciones para tu grupo"',
         'msgstr "Lecciones editadas"', "es"),
    ]
    for n, (file, old, new, shown) in enumerate(edits):
        _edit(root / file, old, new)
        before = dict(kept)
        again = _render(root, lang, docs, kept)
        fresh = _render(root, lang, tmp_path / f"fresh-{n}", None)
        assert again == fresh, f"after editing {file}: " + ", ".join(p for p in fresh if again.get(p) != fresh[p])
        if lang in shown.split():
            assert kept != before, f"editing {file} changed no case page's inputs"
        if "kibbutz" in file and lang in shown.split():  # not every page: the others are kept
            assert 0 < len([p for p in kept if kept[p] != before[p]]) < len(kept) / 2
