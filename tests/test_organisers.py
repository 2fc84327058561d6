"""What an organiser meets in the printed and on-screen worksheets (issue 16): a label always on the page of its
blank, table cells that take what people type, fields every viewer shows, progress while a first build renders,
and no web address that the handbook has not set. Every PDF is read back with pypdf."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

from generator import worksheets
from generator.cli import cli
from generator.validate import Handbook, load_handbook

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "worksheets"
CELL = re.compile(r"^(?P<column>.*), row \d+$")  # a table cell's name for screen readers: its column, its row


def copy_fixture(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest)
    shutil.copytree(ROOT / "templates", dest / "templates")
    return dest


def loaded(root: Path) -> Handbook:
    book = load_handbook(root)
    assert not book.errors, "\n".join(p.as_text() for p in book.errors)
    return book


def render(book: Handbook, slug: str, paper: str, path: Path, pack: bool = False) -> PdfReader:
    make = worksheets.pack_document if pack else worksheets.recipe_document
    html = worksheets.render_html(book, "pack.html.j2" if pack else "recipe.html.j2", make(book, slug, "en", paper))
    path.write_bytes(worksheets.render_pdf(html, str(book.root / "templates" / worksheets.FOLDER)))
    return PdfReader(path)


def squeeze(text: str) -> str:
    """Text without spaces or line breaks, ligatures taken apart: a label that wraps still matches."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def widgets(reader: PdfReader) -> list[tuple[int, Any]]:
    return [(number, annot.get_object()) for number, page in enumerate(reader.pages, 1)
            for annot in page.get("/Annots") or [] if annot.get_object().get("/Subtype") == "/Widget"]


def text_fields(reader: PdfReader) -> list[Any]:
    return [field for _, field in widgets(reader) if field.get("/FT") == "/Tx"]


# ---------------------------------------------------------------- on paper


def sweep_recipe(root: Path) -> None:
    """A recipe whose sheets end with a table of 8 to 30 rows, then three labelled blanks: on some sheet, the
    blanks fall at the foot of a page, where a label could stay behind while its blank moves on."""
    sheets = [{"id": f"rows-{rows}", "title": f"A table of {rows} rows", "blocks": [
        {"table": {"columns": ["Who", "Does what"], "rows": rows}},
        {"fields": ["Next meeting date", "Next meeting place", "Who tells the people who were not here"]},
        {"prompt": {"text": "What did we learn?", "lines": 3}},
        {"checklist": ["Notes sent", "Date agreed"]},
    ]} for rows in range(8, 31)]
    recipe = {"title": "Long sheets", "summary": "Sheets that fill their pages.", "goal": "Fill pages.",
              "time": "1 hour", "difficulty": "starter", "steps": [{"title": "Fill them in", "text": "Do."}],
              "worksheets": sheets}
    (root / "handbook" / "recipes" / "long-sheets.yaml").write_text(yaml.safe_dump(recipe), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_label_is_always_on_the_page_of_its_blank(tmp_path: Path, paper: str) -> None:
    root = copy_fixture(tmp_path / "hb")
    sweep_recipe(root)
    reader = render(loaded(root), "long-sheets", paper, tmp_path / "sheets.pdf")
    pages = [squeeze(page.extract_text()) for page in reader.pages]
    found = widgets(reader)
    assert len(found) == 23 * (3 + 1 + 2) + sum(2 * rows for rows in range(8, 31))
    apart = []
    for number, field in found:
        label = str(field["/TU"])
        cell = CELL.match(label)
        if squeeze(cell.group("column") if cell else label) not in pages[number - 1]:
            apart.append(f"page {number}: {field['/T']} ({label})")
    assert not apart, f"{len(apart)} blanks on another page than their label: {apart[:5]}"


# ---------------------------------------------------------------- on screen


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> list[PdfReader]:
    """The fixture's recipe sheets and its toolkit's pack, on A4."""
    folder = tmp_path_factory.mktemp("sheets")
    book = loaded(copy_fixture(folder / "hb"))
    return [render(book, "first-meeting", "a4", folder / "recipe.pdf"),
            render(book, "club", "a4", folder / "pack.pdf", pack=True)]


def test_every_text_field_has_an_appearance_of_its_own_size(sheets: list[PdfReader]) -> None:
    for reader in sheets:
        fields = text_fields(reader)
        assert len(fields) > 60
        for field in fields:
            appearance = field["/AP"]["/N"].get_object()
            assert appearance["/Subtype"] == "/Form", field["/T"]
            x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
            box = [float(v) for v in appearance["/BBox"]]
            assert box == pytest.approx([0, 0, abs(x2 - x1), abs(y2 - y1)], abs=0.01), field["/T"]
            assert b"/Tx BMC" in appearance.get_data()


def test_table_cells_take_several_lines_and_shrink_what_is_typed_to_fit(sheets: list[PdfReader]) -> None:
    multiline, auto_size = 1 << 12, re.compile(r" 0 Tf\b")
    fields = text_fields(sheets[0])
    cells = [field for field in fields if CELL.match(str(field["/TU"]))]
    assert len(cells) == 30 * 3
    for cell in cells:
        assert int(cell.get("/Ff", 0)) & multiline, f"{cell['/T']} is a single line"
        assert auto_size.search(str(cell["/DA"])), f"{cell['/T']} has a fixed text size: {cell['/DA']}"
    blanks = [field for field in fields if str(field["/TU"]) in ("Date", "Place", "Facilitator")]
    assert len(blanks) == 3 and not [b for b in blanks if auto_size.search(str(b["/DA"]))], \
        "a short blank keeps its size: it lines up with the printed line"


# ---------------------------------------------------------------- while they are made, and what they say


def test_rendering_says_how_far_it_got_and_what_it_reused(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "hb")
    runner = CliRunner()
    first = runner.invoke(cli, ["--root", str(root), "worksheets", "--lang", "en", "--lang", "es", "--paper", "a4"])
    assert first.exit_code == 0, first.output
    lines = [line for line in first.output.splitlines() if line.startswith("Rendering worksheets")]
    assert lines[0] == "Rendering worksheets 0/4" and lines[-1] == "Rendering worksheets 4/4", first.output
    again = runner.invoke(cli, ["--root", str(root), "worksheets", "--lang", "en", "--paper", "a4"])
    assert again.exit_code == 0, again.output
    assert "Worksheets: 2 PDFs, unchanged since the last build" in again.output


def test_without_a_site_url_a_worksheet_prints_no_web_address(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "hb")
    settings = root / "handbook.yml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(re.sub(r"(?m)^site_url: .*\n", "", text), encoding="utf-8")
    for pack in (False, True):
        reader = render(loaded(root), "club" if pack else "first-meeting", "a4", tmp_path / "sheet.pdf", pack)
        text = " ".join(page.extract_text() for page in reader.pages)
        assert "Licence: CC-BY-SA-4.0" in text and "http" not in text and "example.org" not in text
        links = [annot.get_object().get("/A", {}).get("/URI") for page in reader.pages
                 for annot in page.get("/Annots") or []]
        assert not [uri for uri in links if uri], links
