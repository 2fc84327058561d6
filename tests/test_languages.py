"""Every file in a language of its own: a group writes in Spanish beside the English cases, adds Catalan in one
command, and readers see which text is in which language."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator.validate import load_handbook

from conftest import ROOT, Handbook


@pytest.fixture
def buildable(tiny_handbook: Path) -> Path:
    """The tiny handbook with the repository's templates and mkdocs.yml: ready to build."""
    shutil.copytree(ROOT / "templates", tiny_handbook / "templates")
    shutil.copy(ROOT / "mkdocs.yml", tiny_handbook / "mkdocs.yml")
    return tiny_handbook


def spanish_case(root: Path) -> Path:
    """The tiny handbook's case, copied and written in Spanish (its `lang: es`), as a group in Spain writes it."""
    english = (root / "handbook" / "cases" / "porto-alegre.yaml").read_text(encoding="utf-8")
    path = root / "handbook" / "cases" / "comedor.yaml"
    path.write_text("lang: es\n" + english.replace("title: Participatory budgeting in Porto Alegre",
                                                   "title: El comedor del barrio"), encoding="utf-8")
    return path


def test_a_case_written_in_spanish_beside_english_ones_is_valid_and_needs_no_translation(
        tiny_handbook: Path, handbook: Handbook) -> None:
    spanish_case(tiny_handbook)
    assert handbook(tiny_handbook, "check").output == "0 errors in 8 files\n"
    book = load_handbook(tiny_handbook)
    assert book.own_lang("case", "comedor") == "es" and book.own_lang("case", "porto-alegre") == "en"
    assert book.localized("case", "comedor", "es")[1] == "source"
    assert book.localized("case", "comedor", "en")[1] == "missing"
    status = handbook(tiny_handbook, "i18n", "status").output
    assert "es: 1 written, 1 translated, 0 partial, 0 stale, 3 missing" in status, status
    assert "missing  handbook/cases/comedor.en.yaml" in status
    assert "comedor.es.yaml" not in status


def test_a_translation_into_the_language_a_file_is_written_in_is_refused(
        tiny_handbook: Path, handbook: Handbook) -> None:
    spanish_case(tiny_handbook)
    (tiny_handbook / "handbook" / "cases" / "comedor.es.yaml").write_text(
        "translated_from: 0123456789ab\ntitle: Otro título\n", encoding="utf-8")
    result = handbook(tiny_handbook, "check")
    assert result.output == (
        "handbook/cases/comedor.es.yaml:1:1: error: comedor.yaml is written in 'es' already (its `lang`), so it needs "
        "no translation into it; delete this file, or merge its text into comedor.yaml\n1 error in 1 file\n")


def test_a_file_in_a_language_the_handbook_lacks_is_told_how_to_add_it(tiny_handbook: Path, handbook: Handbook) -> None:
    path = spanish_case(tiny_handbook)
    path.write_text(path.read_text(encoding="utf-8").replace("lang: es\n", "lang: ca\n"), encoding="utf-8")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert result.output == ("handbook/cases/comedor.yaml:1:7: error: lang: 'ca' is not one of the languages in "
                             "handbook.yml (en, es); add it there (`handbook i18n add ca`) or write one of them\n"
                             "1 error in 1 file\n")


def test_a_language_the_theme_cannot_show_is_refused_by_check_not_by_a_crashing_build(
        buildable: Path, handbook: Handbook) -> None:
    tiny_handbook = buildable
    settings = tiny_handbook / "handbook.yml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("languages: [en, es]", "languages: [en, es, xx]"),
                        encoding="utf-8")
    check = handbook(tiny_handbook, "check")
    assert check.output == ("handbook.yml:3:21: error: languages[2]: 'xx' is not a language the site's theme (Material "
                            "for MkDocs) can show; see the codes Material for MkDocs lists; the site cannot be built "
                            "in it\n1 error in 1 file\n")
    build = handbook(tiny_handbook, "build", "--no-worksheets")
    assert build.exit_code == 1 and "languages[2]: 'xx' is not a language" in build.output
    assert "Traceback" not in build.output and not (tiny_handbook / "site").exists()


def test_adding_catalan_is_one_command(tiny_handbook: Path, handbook: Handbook) -> None:
    result = handbook(tiny_handbook, "i18n", "add", "ca")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Added ca to languages in handbook.yml"
    assert "languages: [en, es, ca]" in (tiny_handbook / "handbook.yml").read_text(encoding="utf-8")
    assert "values have no ca label yet" in result.output
    assert handbook(tiny_handbook, "check").exit_code == 0
    status = handbook(tiny_handbook, "i18n", "status").output
    assert "ca: 0 written, 0 translated, 0 partial, 0 stale, 4 missing" in status, status
    again = handbook(tiny_handbook, "i18n", "add", "ca")
    assert again.output.splitlines()[0] == "ca is already in languages"
    refused = handbook(tiny_handbook, "i18n", "add", "klingon")
    assert refused.exit_code == 1
    assert refused.output == "Error: 'klingon' is not a language code (like es, ca or pt-BR)\n"
    assert handbook(tiny_handbook, "i18n", "add", "pt-PT").output == (
        "Error: 'pt-PT' is not a language the site's theme (Material for MkDocs) can show; did you mean pt or pt-BR?\n")


def test_a_partial_translation_says_so_and_marks_what_is_left_in_english(
        buildable: Path, handbook: Handbook) -> None:
    tiny_handbook = buildable
    overlay = tiny_handbook / "handbook" / "cases" / "porto-alegre.es.yaml"
    text = overlay.read_text(encoding="utf-8")
    story = text.index("story: |")
    decisions = text.index("decisions: |")
    overlay.write_text(text[:story] + text[decisions:], encoding="utf-8")  # the story is left untranslated
    status = handbook(tiny_handbook, "i18n", "status").output
    assert "  partial  handbook/cases/porto-alegre.es.yaml (not translated: story)" in status, status
    built = handbook(tiny_handbook, "build", "--lang", "es", "--no-worksheets")
    assert built.exit_code == 0, built.output
    page = (tiny_handbook / "site" / "es" / "cases" / "porto-alegre.html").read_text(encoding="utf-8")
    assert "Traducción parcial" in page
    assert "Partes de esta página aún no están traducidas; se muestran en inglés." in page
    article = page.split("<article", 1)[1].split("</article>", 1)[0]
    assert article.count('lang="en"') == 1, "only the story is in English"
    assert article.split('<div lang="en">', 1)[1].lstrip().startswith("<p>The Workers")
    data = json.loads((tiny_handbook / "site" / "es" / "data" / "cases.json").read_text(encoding="utf-8"))
    assert data["cases"][0]["translation"] == "partial"


def test_a_build_of_one_language_keeps_the_others_and_the_worksheets(buildable: Path, handbook: Handbook) -> None:
    tiny_handbook = buildable
    assert handbook(tiny_handbook, "build").exit_code == 0
    site = tiny_handbook / "site"
    kept = {path.relative_to(site).as_posix(): path.read_bytes() for path in (site / "es").rglob("*") if path.is_file()}
    sheets = sorted(path.name for path in (site / "en" / "worksheets").glob("*.pdf"))
    assert sheets
    result = handbook(tiny_handbook, "build", "--lang", "en", "--no-worksheets")
    assert result.exit_code == 0, result.output
    assert {path.relative_to(site).as_posix(): path.read_bytes()
            for path in (site / "es").rglob("*") if path.is_file()} == kept
    assert sorted(path.name for path in (site / "en" / "worksheets").glob("*.pdf")) == sheets
    assert 'hreflang="es"' in (site / "index.html").read_text(encoding="utf-8")
    modes = {oct(path.stat().st_mode & 0o777) for path in site.rglob("*")} | {oct(site.stat().st_mode & 0o777)}
    assert modes == {"0o755", "0o644"}, modes


def test_placeholders_take_the_forms_a_group_gives_its_name(tiny_handbook: Path) -> None:
    from generator.templating import fill, placeholder_values

    settings = tiny_handbook / "handbook.yml"
    settings.write_text(settings.read_text(encoding="utf-8") + "place: Barcelona\ngroup: Hospital del Mar\n"
                        "group_forms:\n  es: {en: en el Hospital del Mar, de: del Hospital del Mar}\n",
                        encoding="utf-8")
    book = load_handbook(tiny_handbook)
    assert not book.errors, book.errors
    es = placeholder_values(tiny_handbook, book.settings, "es")
    assert fill("Cómo se decide {group:en}", es) == "Cómo se decide en el Hospital del Mar"
    assert fill("Plan de la primera reunión {group:de}", es) == "Plan de la primera reunión del Hospital del Mar"
    assert fill("Vecinos {place:de}", es) == "Vecinos de Barcelona"  # no form given: the word, then the name
    en = placeholder_values(tiny_handbook, book.settings, "en")
    assert fill("How {group} decides", en) == "How Hospital del Mar decides"
    assert fill("{group:de}", en) == "de Hospital del Mar"


def test_a_stale_translation_names_the_fields_that_changed_since(tiny_handbook: Path, handbook: Handbook) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args], cwd=tiny_handbook,
                       check=True, capture_output=True)

    git("init", "--quiet")
    git("add", "-A")
    git("commit", "--quiet", "-m", "translated")
    case = tiny_handbook / "handbook" / "cases" / "porto-alegre.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("story: |\n", "story: |\n  A new first sentence.\n", 1)
                    .replace("title: Participatory budgeting in Porto Alegre", "title: Porto Alegre's budget"),
                    encoding="utf-8")
    status = handbook(tiny_handbook, "i18n", "status").output
    assert "  stale    handbook/cases/porto-alegre.es.yaml (translated_from 1361857aced1; the source is now " in status
    assert "; changed since: story, title)" in status, status
