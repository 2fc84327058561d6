"""Printable worksheets: an organiser prints a recipe's sheets or a toolkit's pack, in their language, on
A4 or Letter, and fills them in on paper or on screen. Every PDF is read back with pypdf."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from generator import worksheets
from generator.cli import cli
from generator.errors import HandbookError
from generator.models import Recipe
from generator.templating import fill, placeholder_values, translations
from generator.validate import Handbook, load_handbook

from pdfcheck import pdf_names

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "worksheets"
PAGE_SIZES = {"a4": (595, 842), "letter": (612, 792)}
MM = 72 / 25.4
FORBIDDEN = {"/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/EmbeddedFile", "/OpenAction", "/AA",
             "/SubmitForm", "/ImportData", "/RichMedia"}
HOSTILE = '<script>alert(1)</script> {{ 7*7 }} <img src=file:///etc/passwd> <link rel=attachment href=/etc/hosts>'


# ---------------------------------------------------------------- helpers


def copy_handbook(source: Path, dest: Path) -> Path:
    """A handbook in a temporary folder, with the repository's real templates and catalogues."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("site", "build", ".*"))
    if not (dest / "templates").exists():
        shutil.copytree(ROOT / "templates", dest / "templates")
    return dest


def loaded(root: Path) -> Handbook:
    book = load_handbook(root)
    assert not book.errors, "\n".join(p.as_text() for p in book.errors)
    return book


def words(text: str) -> str:
    """Text compared as words, with ligatures (the "fi" glyph) taken apart."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def pdf_text(reader: PdfReader) -> str:
    return words(" ".join(page.extract_text() or "" for page in reader.pages))


def block_texts(recipe: Recipe, values: dict[str, str]) -> list[str]:
    """Every piece of text a recipe's worksheets must show, placeholders filled."""
    texts: list[str] = []
    for sheet in recipe.worksheets:
        texts += [sheet.title] + ([sheet.intro] if sheet.intro else [])
        for block in sheet.blocks:
            texts += ([block.note] if block.note else []) + (block.fields or []) + (block.checklist or [])
            texts += ([block.prompt.text] if block.prompt else []) + (block.table.columns if block.table else [])
    return [words(fill(t, values)) for t in texts]


def field_count(recipe: Recipe) -> int:
    count = 0
    for block in (b for sheet in recipe.worksheets for b in sheet.blocks):
        count += len(block.fields or []) + len(block.checklist or []) + (1 if block.prompt else 0)
        count += len(block.table.columns) * block.table.rows if block.table else 0
    return count


def check_pdf(path: Path, paper: str, title: str, texts: list[str], fields: int) -> PdfReader:
    """What every worksheet PDF must be: right paper, title, text, fields, nothing active, nothing clipped."""
    reader = PdfReader(path)
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == PAGE_SIZES[paper], path
    assert reader.metadata is not None and reader.metadata.title == title
    text = pdf_text(reader)
    missing = [t for t in texts if t not in text]
    assert not missing, f"{path.name} lacks {missing}"
    assert len(reader.get_fields() or {}) == fields, path.name
    assert not (pdf_names(reader) & FORBIDDEN), path.name
    assert not reader.attachments
    check_fields_on_page(reader, path)
    return reader


def check_fields_on_page(reader: PdfReader, path: Path) -> None:
    """Every form field lies inside the page's writing area: nothing pushed into the margin or off the page."""
    for number, page in enumerate(reader.pages, 1):
        height = float(page.mediabox.height)
        width = float(page.mediabox.width)
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Widget":
                continue
            rect = [float(v) for v in annot["/Rect"]]
            (x0, x1), (y0, y1) = sorted(rect[0::2]), sorted(rect[1::2])
            assert x0 >= 15 * MM and x1 <= width - 15 * MM, f"{path.name} page {number}: {annot['/T']} clipped"
            assert y0 >= 24 * MM and y1 <= height - 13 * MM, f"{path.name} page {number}: {annot['/T']} clipped"


# ---------------------------------------------------------------- the small handbook, built once


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Handbook, Path, list[Path]]]:
    root = copy_handbook(FIXTURE, tmp_path_factory.mktemp("small") / "hb")
    book = loaded(root)
    out = root / "out"
    written = worksheets.build_worksheets(book, ["en", "es", "pt"], ["a4", "letter"], out)
    yield book, out, written


def test_every_language_and_paper_gets_a_recipe_sheet_and_a_pack(small: tuple[Handbook, Path, list[Path]]) -> None:
    _, out, written = small
    expected = {out / lang / "worksheets" / name for lang in ("en", "es", "pt") for name in (
        "first-meeting-a4.pdf", "first-meeting-letter.pdf", "club-pack-a4.pdf", "club-pack-letter.pdf")}
    assert set(written) == expected
    assert all(p.is_file() for p in written)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_a_recipe_sheet_holds_every_block_as_text_and_form_fields(small: tuple[Handbook, Path, list[Path]],
                                                                    lang: str, paper: str) -> None:
    book, out, _ = small
    recipe, _state = book.localized("recipe", "first-meeting", lang)
    values = placeholder_values(book.root, book.settings, lang)
    texts = block_texts(recipe, values) + [book.settings.text(book.settings.title, lang), "CC-BY-SA-4.0",
                                           f"https://example.org/handbook/{lang}/recipes/first-meeting.html"]
    check_pdf(out / lang / "worksheets" / f"first-meeting-{paper}.pdf", paper, fill(recipe.title, values),
              texts, field_count(recipe))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_pack_has_a_cover_then_the_sheets_with_the_toolkits_institution(small: tuple[Handbook, Path, list[Path]],
                                                                          lang: str) -> None:
    book, out, _ = small
    toolkit, _state = book.localized("toolkit", "club", lang)
    recipe, _state = book.localized("recipe", "first-meeting", lang)
    values = placeholder_values(book.root, book.settings, lang, toolkit.institution)
    texts = [toolkit.title, toolkit.summary, *toolkit.stakeholders, *block_texts(recipe, values)]
    reader = check_pdf(out / lang / "worksheets" / "club-pack-a4.pdf", "a4", toolkit.title, texts,
                       field_count(recipe))
    cover = words(reader.pages[0].extract_text())
    assert toolkit.title in cover and fill(recipe.title, values) in cover
    assert "club" in fill(recipe.title, values)
    cover_annots = [a.get_object() for a in reader.pages[0].get("/Annots") or []]
    assert not [a for a in cover_annots if a["/Subtype"] == "/Widget"], "the cover has no form fields"
    assert [a for a in cover_annots if a["/Subtype"] == "/Link"], "the contents link to the sheets"


def test_a_stale_translation_says_it_may_be_out_of_date(small: tuple[Handbook, Path, list[Path]]) -> None:
    book, out, _ = small
    assert book.localized("recipe", "first-meeting", "es")[1] == "stale"
    text = pdf_text(PdfReader(out / "es" / "worksheets" / "first-meeting-a4.pdf"))
    assert translations(book.root, "es").gettext("This translation may be out of date") in text
    assert "Celebrar una primera reunión" in text


def test_a_missing_translation_says_so_and_shows_the_source(small: tuple[Handbook, Path, list[Path]]) -> None:
    book, out, _ = small
    text = pdf_text(PdfReader(out / "pt" / "worksheets" / "first-meeting-a4.pdf"))
    assert translations(book.root, "pt").gettext("Not yet translated") in text
    assert "Who we invite to" in text


def test_a_long_table_repeats_its_header_on_the_next_page(small: tuple[Handbook, Path, list[Path]]) -> None:
    _, out, _ = small
    for paper in ("a4", "letter"):
        reader = PdfReader(out / "en" / "worksheets" / f"first-meeting-{paper}.pdf")
        pages_with_header = [n for n, page in enumerate(reader.pages) if "Who invites them" in page.extract_text()]
        assert len(pages_with_header) >= 2, paper


def test_page_one_prints_something(small: tuple[Handbook, Path, list[Path]], tmp_path: Path) -> None:
    _, out, _ = small
    for name in ("first-meeting-letter.pdf", "club-pack-a4.pdf"):
        prefix = tmp_path / name
        subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", "-singlefile",
                        str(out / "en" / "worksheets" / name), str(prefix)], check=True)
        data = prefix.with_name(name + ".pgm").read_bytes()
        magic, width, height, maxval, pixels = data.split(maxsplit=4)
        assert magic == b"P5" and maxval == b"255"
        inked = sum(1 for byte in pixels if byte < 192)
        assert 0.003 < inked / (int(width) * int(height)) < 0.5, f"{name}: page 1 looks blank or black"


# ---------------------------------------------------------------- reproducible and cached


def test_the_same_input_gives_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    book = loaded(copy_handbook(FIXTURE, tmp_path / "hb"))
    first = worksheets.build_worksheets(book, ["es"], ["letter"], tmp_path / "one")
    second = worksheets.build_worksheets(book, ["es"], ["letter"], tmp_path / "two")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dated = worksheets.build_worksheets(book, ["es"], ["letter"], tmp_path / "three")
    metadata = PdfReader(dated[0]).metadata
    assert metadata is not None and metadata.creation_date is not None
    assert metadata.creation_date.year == 2023


def test_without_harfbuzz_subset_the_same_input_still_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where libharfbuzz-subset0 is missing, WeasyPrint subsets the fonts with fontTools, which stamps them
    with the time: a second later, the same worksheet must still have the same bytes."""
    from weasyprint.pdf import fonts

    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    book = loaded(copy_handbook(FIXTURE, tmp_path / "hb"))
    first = worksheets.build_worksheets(book, ["es"], ["letter"], tmp_path / "one")
    time.sleep(1.1)  # fontTools' stamp counts seconds
    second = worksheets.build_worksheets(book, ["es"], ["letter"], tmp_path / "two")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert "SOURCE_DATE_EPOCH" not in os.environ  # as it was


def test_nothing_is_rendered_again_when_nothing_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_handbook(FIXTURE, tmp_path / "hb")
    rendered: list[str] = []
    real = worksheets.render_pdf

    def counting(html: str, folder: str) -> bytes:
        rendered.append(html)
        return real(html, folder)

    monkeypatch.setattr(worksheets, "render_pdf", counting)
    cache, out = tmp_path / "cache", tmp_path / "out"
    first = worksheets.build_worksheets(loaded(root), ["en"], ["a4"], out, cache)
    assert len(rendered) == 2
    before = [p.read_bytes() for p in first]
    worksheets.build_worksheets(loaded(root), ["en"], ["a4"], out, cache)
    assert len(rendered) == 2, "an unchanged sheet was rendered again"
    assert [p.read_bytes() for p in first] == before
    toolkit = root / "toolkits" / "club.yaml"
    toolkit.write_text(toolkit.read_text().replace("Start small", "Begin small"))
    worksheets.build_worksheets(loaded(root), ["en"], ["a4"], out, cache)
    assert len(rendered) == 2, "the pack does not show the intro, so nothing changed"
    toolkit.write_text(toolkit.read_text().replace("Volunteers", "Helpers"))
    worksheets.build_worksheets(loaded(root), ["en"], ["a4"], out, cache)
    assert len(rendered) == 3, "only the pack shows the stakeholders"
    assert "Helpers" in pdf_text(PdfReader(out / "en" / "worksheets" / "club-pack-a4.pdf"))


def test_a_run_of_every_sheet_drops_the_cached_sheets_no_longer_made(tmp_path: Path) -> None:
    root = copy_handbook(FIXTURE, tmp_path / "hb")
    cache, out = tmp_path / "cache", tmp_path / "out"
    worksheets.build_worksheets(loaded(root), ["en"], ["a4"], out, cache, prune=True)
    first = {p.name for p in cache.glob("*.pdf")}
    assert len(first) == 2  # the recipe's sheet and the toolkit's pack
    toolkit = root / "toolkits" / "club.yaml"
    toolkit.write_text(toolkit.read_text().replace("Volunteers", "Helpers"))
    worksheets.build_worksheets(loaded(root), ["en"], ["letter"], out, cache)  # a partial run prunes nothing
    assert first < {p.name for p in cache.glob("*.pdf")}
    worksheets.build_worksheets(loaded(root), ["en"], ["a4"], out, cache, prune=True)
    now = {p.name for p in cache.glob("*.pdf")}
    assert len(now) == 2 and len(now & first) == 1, "the old pack is gone; the unchanged sheet is kept"
    assert "Helpers" in pdf_text(PdfReader(out / "en" / "worksheets" / "club-pack-a4.pdf"))


def test_a_failed_render_leaves_the_previous_pdf_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_handbook(FIXTURE, tmp_path / "hb")
    target = tmp_path / "out" / "en" / "worksheets" / "first-meeting-a4.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"%PDF- the previous one")

    def broken(html: str, folder: str) -> bytes:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(worksheets, "render_pdf", broken)
    with pytest.raises(HandbookError, match="could not render"):
        worksheets.build_worksheets(loaded(root), ["en"], ["a4"], tmp_path / "out")
    assert target.read_bytes() == b"%PDF- the previous one"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


# ---------------------------------------------------------------- hostile contributions


def test_hostile_text_prints_as_written_and_fetches_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_handbook(FIXTURE, tmp_path / "hb")
    recipe = root / "handbook" / "recipes" / "first-meeting.yaml"
    quoted = '"' + HOSTILE.replace('"', '\\"') + '"'
    recipe.write_text(recipe.read_text()
                      .replace("title: Who we invite to {group}", f"title: {quoted}")
                      .replace("  - note: Ask the people", f"  - note: {quoted}\n      - note: Ask the people"))
    (root / "handbook" / "recipes" / "first-meeting.es.yaml").unlink()
    fetchers: list[Any] = []
    real = worksheets.fetcher

    def spying(folder: Path) -> Any:
        fetchers.append(real(folder))
        return fetchers[-1]

    monkeypatch.setattr(worksheets, "fetcher", spying)
    book = loaded(root)
    html = worksheets.render_html(book, "recipe.html.j2", worksheets.recipe_document(book, "first-meeting", "en", "a4"))
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    written = worksheets.build_worksheets(book, ["en"], ["a4"], tmp_path / "out")
    for path in written:
        reader = PdfReader(path)
        text = pdf_text(reader)
        assert words(HOSTILE) in text, path.name
        assert "49" not in text
        assert not (pdf_names(reader) & FORBIDDEN) and not reader.attachments
    assert fetchers and all(f.refused == [] for f in fetchers)


def test_the_fetcher_serves_only_the_worksheet_templates(tmp_path: Path) -> None:
    root = copy_handbook(FIXTURE, tmp_path / "hb")
    folder = root / "templates" / "worksheets"
    (folder / "escape.css").symlink_to(root / "handbook.yml")
    fetch = worksheets.fetcher(folder)
    assert b"@page" in fetch.fetch((folder / "worksheet.css").as_uri()).read()
    refused = [
        "file:///etc/passwd",
        (root / "handbook.yml").as_uri(),
        folder.as_uri() + "/../../handbook.yml",
        (folder / "escape.css").as_uri(),
        (folder / "missing.css").as_uri(),
        "https://example.org/tracker.css",
        "http://127.0.0.1/",
        "data:text/css,body{color:red}",
        "ftp://example.org/x",
    ]
    for url in refused:
        with pytest.raises(ValueError):
            fetch.fetch(url)
    assert fetch.refused == refused


# ---------------------------------------------------------------- the command


def test_the_command_writes_pdfs_into_the_site(tmp_path: Path) -> None:
    root = copy_handbook(FIXTURE, tmp_path / "hb")
    result = CliRunner().invoke(cli, ["--root", str(root), "worksheets", "--lang", "es", "--paper", "letter"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "site" / "es" / "worksheets").iterdir()) == [
        "club-pack-letter.pdf", "first-meeting-letter.pdf"]
    assert not (root / "site" / "en").exists()


def test_the_command_refuses_an_unknown_language(tmp_path: Path) -> None:
    root = copy_handbook(FIXTURE, tmp_path / "hb")
    result = CliRunner().invoke(cli, ["--root", str(root), "worksheets", "--lang", "fr"])
    assert result.exit_code == 2
    assert result.output == "Error: --lang: 'fr' is not one of the handbook's languages (en, es, pt)\n"


# ---------------------------------------------------------------- the real handbook, as a fork


@pytest.mark.slow
def test_a_fork_builds_every_sheet_and_its_packs_carry_its_place_and_group(tmp_path: Path) -> None:
    root = tmp_path / "fork"
    root.mkdir()
    for part in ("handbook", "toolkits", "templates"):
        shutil.copytree(ROOT / part, root / part)
    settings = (ROOT / "handbook.yml").read_text()
    place, group = "Barcelona", "Hospital del Mar staff and patients"
    (root / "handbook.yml").write_text(settings + f"\nplace: {place}\ngroup: {group}\n")
    book = loaded(root)
    lang, paper = "es", "letter"
    written = worksheets.build_worksheets(book, [lang], [paper], root / "site")
    expected = {f"{s}-{paper}.pdf" for s, e in book.recipes.items() if e.model.worksheets}
    expected |= {f"{s}-pack-{paper}.pdf" for s in book.toolkits}
    assert {p.name for p in written} == expected
    for slug, entry in book.recipes.items():
        if not entry.model.worksheets:
            continue
        recipe, _state = book.localized("recipe", slug, lang)
        values = placeholder_values(root, book.settings, lang)
        check_pdf(root / "site" / lang / "worksheets" / f"{slug}-{paper}.pdf", paper, fill(recipe.title, values),
                  block_texts(recipe, values), field_count(recipe))
    for slug in book.toolkits:
        toolkit, _state = book.localized("toolkit", slug, lang)
        recipes = [book.localized("recipe", r, lang)[0] for r in toolkit.recipes]
        values = placeholder_values(root, book.settings, lang, toolkit.institution)
        reader = check_pdf(root / "site" / lang / "worksheets" / f"{slug}-pack-{paper}.pdf", paper,
                           fill(toolkit.title, values),
                           [place, group, *(t for r in recipes if r.worksheets for t in block_texts(r, values))],
                           sum(field_count(r) for r in recipes))
        assert place in words(reader.pages[0].extract_text()) and group in words(reader.pages[0].extract_text())

