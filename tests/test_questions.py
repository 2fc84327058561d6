"""A case's questions to discuss (`questions`, up to three): a reader sees them on the case's page, under the
lessons, and in the book, in their language; a case without them shows no heading at all. Their handout is
tested in test_handouts.py, the limit of three in test_check.py."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml

from generator import book as books
from generator.i18n import digest
from generator.validate import load_handbook

from sitebuild import with_templates

QUESTIONS = {
    "en": ["Which of our decisions could residents rank in open meetings?",
           "Who in our street would never come to an assembly, and why?",
           "What part of our budget is too small to matter, and what is not?"],
    "es": ["¿Cuáles de nuestras decisiones podrían ordenar los vecinos en reuniones abiertas?",
           "¿Quién de nuestra calle no vendría nunca a una asamblea, y por qué?",
           "¿Qué parte de nuestro presupuesto es demasiado pequeña para importar, y cuál no?"],
}
HEADING = {"en": "Questions to discuss", "es": "Preguntas para debatir"}
LESSONS = {"en": "Lessons for your group", "es": "Lecciones para tu grupo"}


def ask(root: Path) -> Path:
    """The tiny handbook's case given three questions, translated into Spanish (its translation kept current)."""
    cases = root / "handbook" / "cases"
    source = cases / "porto-alegre.yaml"
    text = source.read_text(encoding="utf-8")
    block = "questions:\n" + "".join(f'  - "{q}"\n' for q in QUESTIONS["en"])
    source.write_text(text.replace("recipes: [who-is-missing]", block + "recipes: [who-is-missing]"),
                      encoding="utf-8")
    overlay = cases / "porto-alegre.es.yaml"
    text = overlay.read_text(encoding="utf-8").rstrip("\n") + "\nquestions:\n"
    text += "".join(f'  - "{q}"\n' for q in QUESTIONS["es"])
    now = digest("case", yaml.safe_load(source.read_text(encoding="utf-8")))
    overlay.write_text(re.sub(r"^translated_from: \w+$", f"translated_from: {now}", text, flags=re.M),
                       encoding="utf-8")
    return root


def section(page: str, heading: str) -> str | None:
    """The HTML of a page's section under the `<h2>` that reads `heading`, up to the next `<h2>` (None when the
    page has no such heading)."""
    match = re.search(rf"<h2 id=\"[^\"]*\">{re.escape(heading)}</h2>(.*?)<h2 ", page, re.S)
    return match.group(1) if match else None


def items(fragment: str) -> list[str]:
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", li)).split())
            for li in re.findall(r"<li[^>]*>(.*?)</li>", fragment, re.S)]


@pytest.fixture
def tiny(tiny_handbook: Path) -> Path:
    return with_templates(tiny_handbook)


def test_the_case_page_lists_its_questions_under_the_lessons_in_each_language(tiny: Path, handbook) -> None:
    ask(tiny)
    assert load_handbook(tiny).localized("case", "porto-alegre", "es")[1] == "translated"
    result = handbook(tiny, "build", "--jobs", "1", "--no-worksheets")
    assert result.exit_code == 0, result.output
    for lang in ("en", "es"):
        page = (tiny / "site" / lang / "cases" / "porto-alegre.html").read_text(encoding="utf-8")
        questions = section(page, HEADING[lang])
        assert questions is not None, f"{lang}: no {HEADING[lang]!r} heading"
        assert "<ol>" in questions and items(questions) == QUESTIONS[lang]
        assert 'lang="en"' not in questions  # translated: nothing marked as left in English
        assert page.index(f">{LESSONS[lang]}</h2>") < page.index(f">{HEADING[lang]}</h2>")


def test_a_case_without_questions_shows_no_heading_for_them(tiny: Path, handbook) -> None:
    assert not load_handbook(tiny).cases["porto-alegre"].model.questions
    result = handbook(tiny, "build", "--jobs", "1", "--no-worksheets")
    assert result.exit_code == 0, result.output
    for lang in ("en", "es"):
        page = (tiny / "site" / lang / "cases" / "porto-alegre.html").read_text(encoding="utf-8")
        assert section(page, LESSONS[lang]) is not None
        assert HEADING[lang] not in page


def test_the_book_gives_a_case_its_questions_and_none_to_a_case_without(tiny: Path) -> None:
    plain = load_handbook(tiny)
    asked = load_handbook(ask(tiny))
    for lang in ("en", "es"):
        pdf = books.pdf_html(asked, lang, "a4")
        chapter = pdf.split(f"<h3>{HEADING[lang]}</h3>", 1)[1].split("</ol>", 1)[0]
        assert items(chapter) == QUESTIONS[lang]
        assert pdf.index(f"<h3>{LESSONS[lang]}</h3>") < pdf.index(f"<h3>{HEADING[lang]}</h3>")
        epub = b"".join(books.epub_files(asked, lang).values()).decode("utf-8", "replace")
        assert all(html.escape(q, quote=False) in epub for q in QUESTIONS[lang])
        assert HEADING[lang] not in books.pdf_html(plain, lang, "a4")
