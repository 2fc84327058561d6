"""Time the books and the case handouts of the real handbook: seconds a book (PDF per paper, and the EPUB) and
seconds a handout, with their pages; and a rebuild with nothing changed, which must render nothing.

    .venv/bin/python benchmarks/books.py                 # every published language, both papers
    .venv/bin/python benchmarks/books.py --lang en       # one language

Each PDF is rendered alone, in this process (as `handbook book` renders one or two), so its seconds are its own.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from worksheets import copy_handbook, cpu_seconds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", action="append", help="only this language (repeat for several)")
    args = parser.parse_args()
    from pypdf import PdfReader

    from generator import book as books
    from generator import handout
    from generator.render import Renderer
    from generator.templating import environment, render
    from generator.validate import load_handbook
    from generator.worksheets import FOLDER, render_pdf

    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        copy_handbook(root)
        book = load_handbook(root)
        langs = args.lang or book.settings.published
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
        print("| what | language | paper | seconds (wall) | seconds (CPU) | pages |")
        print("|---|---|---|---|---|---|")
        for lang in langs:
            for paper in ("a4", "letter"):
                wall, cpu = time.perf_counter(), cpu_seconds()
                pdf = render_pdf(books.pdf_html(book, lang, paper), str(root / "templates" / books.FOLDER))
                wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
                pages = len(PdfReader(_save(root / f"book-{lang}-{paper}.pdf", pdf)).pages)
                print(f"| book, PDF | {lang} | {paper} | {wall:.1f} | {cpu:.1f} | {pages} |")
            wall = time.perf_counter()
            books.epub_bytes(books.epub_files(book, lang))
            print(f"| book, EPUB | {lang} | | {time.perf_counter() - wall:.2f} | | |")
            renderer, env = Renderer(book, lang), environment(book.root, FOLDER, lang)
            wall, cpu, pages = time.perf_counter(), cpu_seconds(), 0
            for slug in sorted(book.cases):
                html = render(env, FOLDER, handout.TEMPLATE, doc=handout.handout_document(book, renderer, slug, "a4"))
                pdf = render_pdf(html, str(root / "templates" / FOLDER))
                pages += len(PdfReader(_save(root / f"handout-{lang}-{slug}.pdf", pdf)).pages)
            wall, cpu = (time.perf_counter() - wall) / len(book.cases), (cpu_seconds() - cpu) / len(book.cases)
            print(f"| a handout (mean of {len(book.cases)}) | {lang} | a4 | {wall:.2f} | {cpu:.2f} | "
                  f"{pages / len(book.cases):.1f} |")
        cache = root / "cache"
        books.build_books(book, langs, ["a4", "letter"], root / "out", cache / "books")
        handout.build_handouts(book, langs, ["a4", "letter"], root / "out", cache / "handouts")
        wall = time.perf_counter()
        lines: list[str] = []
        books.build_books(load_handbook(root), langs, ["a4", "letter"], root / "out", cache / "books",
                          progress=lines.append)
        handout.build_handouts(load_handbook(root), langs, ["a4", "letter"], root / "out", cache / "handouts",
                               progress=lines.append)
        print(f"| books and handouts again, nothing changed | {', '.join(langs)} | both | "
              f"{time.perf_counter() - wall:.1f} | | ({'; '.join(lines)}) |")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


def _save(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


if __name__ == "__main__":
    main()
