"""Time the PDF worksheets of the real handbook: CPU seconds per sheet, and a rebuild with nothing changed.

    .venv/bin/python benchmarks/worksheets.py                 # every language and paper, print a table
    .venv/bin/python benchmarks/worksheets.py --lang en       # one language

The handbook is copied into a temporary folder. The first build renders everything with an empty cache;
the second build, with nothing changed, must render nothing (it copies every PDF from the cache).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the render workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def copy_handbook(dest: Path) -> None:
    for name in ("handbook", "toolkits", "templates"):
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "handbook.yml", dest / "handbook.yml")


def measure(root: Path, langs: list[str] | None, papers: list[str]) -> dict[str, float]:
    from pypdf import PdfReader

    from generator.validate import load_handbook
    from generator.worksheets import build_worksheets

    book = load_handbook(root)
    if book.errors:
        raise SystemExit("the handbook has errors; run `handbook check`")
    langs = langs or book.settings.languages
    cache, out = root / "cache", root / "out"
    wall, cpu = time.perf_counter(), cpu_seconds()
    written = build_worksheets(book, langs, papers, out, cache)
    first_wall, first_cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    sheets = sum(len(book.localized("recipe", slug, lang)[0].worksheets) for lang in langs for _ in papers
                 for slug, entry in book.recipes.items() if entry.model.worksheets)
    sheets += sum(len(book.recipes[r].model.worksheets) for _ in langs for _ in papers
                  for entry in book.toolkits.values() for r in entry.model.recipes if r in book.recipes)
    pages = sum(len(PdfReader(p).pages) for p in written)
    before = snapshot(cache)
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), cpu_seconds()
    build_worksheets(load_handbook(root), langs, papers, out, cache)
    again_wall, again_cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    return {"pdfs": len(written), "sheets": sheets, "pages": pages, "first_wall": first_wall, "first_cpu": first_cpu,
            "again_wall": again_wall, "again_cpu": again_cpu, "load": load,
            "rendered_again": sum(1 for name, stamp in snapshot(cache).items() if before.get(name) != stamp)}


def snapshot(cache: Path) -> dict[str, int]:
    """Each cached PDF and when it was written: a PDF rendered again is written again."""
    return {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}


def table(m: dict[str, float]) -> str:
    return (
        "| build | PDFs | worksheets | pages | wall time | CPU time | CPU per worksheet | CPU per page |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| first (empty cache) | {m['pdfs']:.0f} | {m['sheets']:.0f} | {m['pages']:.0f} | {m['first_wall']:.1f} s "
        f"| {m['first_cpu']:.1f} s | {m['first_cpu'] / m['sheets']:.3f} s | {m['first_cpu'] / m['pages']:.3f} s |\n"
        f"| again, nothing changed | {m['pdfs']:.0f} | {m['rendered_again']:.0f} rendered | | "
        f"{m['again_wall']:.2f} s | {m['again_cpu']:.2f} s | | |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lang", action="append", help="only this language (repeat; default: all)")
    parser.add_argument("--paper", action="append", choices=["a4", "letter"], help="only this paper (default: both)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    papers = args.paper or ["a4", "letter"]
    with tempfile.TemporaryDirectory(prefix="handbook-worksheets-") as tmp:
        root = Path(tmp)
        copy_handbook(root)
        result = measure(root, args.lang, papers)
    print(table(result), end="")
    if result["rendered_again"]:
        print(f"warning: {result['rendered_again']:.0f} PDFs were rendered again with nothing changed")


if __name__ == "__main__":
    main()
