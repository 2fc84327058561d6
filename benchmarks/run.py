"""The one benchmark table (performance issue): one run, a synthetic handbook of 1,000 cases.

    .venv/bin/python benchmarks/run.py            # prints the table
    .venv/bin/python benchmarks/run.py --write    # also writes it into benchmarks/README.md (## summary)

Every figure comes from fresh processes in this one run: `handbook check`; a cold `handbook build
--no-worksheets` against plain `mkdocs build` of the Markdown it generated; two languages against one;
a rebuild with nothing changed; 3,000 cases against 1,000; worksheets; peak memory; search index sizes
(what a search fetches: benchmarks/search.py).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import BIN, REPO, make_handbook, timed  # noqa: E402
from preview import latency  # noqa: E402

HEADING = "## summary"


def peak_mb() -> float:
    """The largest resident set of any child process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cold_build(root: Path) -> tuple[float, float]:
    for folder in ("build", "site"):
        shutil.rmtree(root / folder, ignore_errors=True)
    return timed([str(BIN / "handbook"), "build", "--no-worksheets"], root)


def plain_build(root: Path, fresh: bool) -> tuple[float, float]:
    """Plain `mkdocs build` of the Markdown and config our last build generated (into a folder of its own)."""
    if fresh:
        shutil.rmtree(root / "plain", ignore_errors=True)
    config = root / "build" / "en" / "mkdocs.yml"
    return timed([str(BIN / "mkdocs"), "build", "-q", "-f", str(config), "-d", str(root / "plain")], root)


def edit_one_case(root: Path, n: int) -> None:
    """What a contributor does between two builds: change the title of one case study."""
    path = sorted((root / "handbook" / "cases").glob("*.yaml"))[n * 7 % 50]
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    case["title"] = f"{case['title']} (edit {n})"
    path.write_text(yaml.safe_dump(case, allow_unicode=True, sort_keys=False), encoding="utf-8")


def two_languages(root: Path) -> None:
    """The same handbook published in a second language (its pages fall back to the source text)."""
    path = root / "handbook.yml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["languages"] = ["en", "es"]
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")


def worksheets(tmp: Path) -> tuple[float, int, int]:
    """(CPU seconds, PDFs, pages) of rendering the real handbook's English A4 worksheets from an empty cache."""
    from pypdf import PdfReader

    root = tmp / "sheets"
    root.mkdir()
    for name in ("handbook.yml", "mkdocs.yml", "handbook", "toolkits", "templates"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / name)
    _, cpu = timed([str(BIN / "handbook"), "worksheets", "--lang", "en", "--paper", "a4"], root)
    pdfs = sorted((root / "site" / "en" / "worksheets").glob("*.pdf"))
    return cpu, len(pdfs), sum(len(PdfReader(str(p)).pages) for p in pdfs)


def bundled_first_build(tmp: Path) -> float:
    """Wall seconds of `handbook build` of the real handbook (every language, worksheets) from nothing."""
    root = tmp / "bundled"
    root.mkdir()
    for name in ("handbook.yml", "mkdocs.yml", "handbook", "toolkits", "templates"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / name)
    return timed([str(BIN / "handbook"), "build"], root)[0]


def best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The best wall time and the best CPU time of some runs: what the machine's other work did not slow."""
    return min(wall for wall, _ in runs), min(cpu for _, cpu in runs)


def share(ours: tuple[float, float], plain: tuple[float, float]) -> str:
    return (f"wall {ours[0]:.2f} s vs {plain[0]:.2f} s: **{ours[0] / plain[0] - 1:+.1%}**; "
            f"CPU {ours[1]:.2f} s vs {plain[1]:.2f} s: {ours[1] / plain[1] - 1:+.1%}")


def measure(repeat: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-run-") as name:
        tmp = Path(name)
        one, two, three = tmp / "one", tmp / "two", tmp / "three"
        for root, cases in ((one, 1000), (two, 1000), (three, 3000)):
            root.mkdir()
            make_handbook(root, cases)
        two_languages(two)

        check = min(timed([str(BIN / "handbook"), "check"], one)[0] for _ in range(repeat))
        rows.append(("`handbook check`, 1,000 cases (wall)", f"{check:.2f} s", "at most 1 s"))

        # Every build in rounds, so that each kind meets the same moments of a busy machine; the best of each.
        build = [str(BIN / "handbook"), "build", "--no-worksheets"]
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in (
            "first", "plain first", "edited", "plain edited", "again", "two", "three")}
        peak_one = 0.0
        for n in range(repeat):
            runs["first"].append(cold_build(one))
            runs["plain first"].append(plain_build(one, fresh=True))
            edit_one_case(one, n)
            runs["edited"].append(timed(build, one))
            runs["plain edited"].append(plain_build(one, fresh=False))
            runs["again"].append(timed(build, one))
            runs["two"].append(cold_build(two))
            peak_one = peak_one or peak_mb()  # before any build of 3,000 cases
            runs["three"].append(cold_build(three))
        peak_three = peak_mb()
        best_of = {name: best(values) for name, values in runs.items()}
        full = best_of["first"]
        rows.append(("own steps: a first build (no `build/` folder) vs plain `mkdocs build` of the same Markdown",
                     share(full, best_of["plain first"]), "at most +5%"))
        rows.append(("own steps: a build after editing one case vs plain `mkdocs build` of the same Markdown",
                     share(best_of["edited"], best_of["plain edited"]), "at most +5%"))
        edited = best_of["edited"][0]
        rows.append(("a build after editing one case vs a first build (wall)",
                     f"{edited:.2f} s vs {full[0]:.2f} s: {edited / full[0]:.0%}", "at most 10%"))
        again = best_of["again"][0]
        rows.append(("a build with nothing changed vs a first build (wall)",
                     f"{again:.2f} s vs {full[0]:.2f} s: {again / full[0]:.0%}", "at most 10%"))
        both = best_of["two"][0]
        rows.append((f"2 languages vs 1, first builds on {os.cpu_count()} cores (wall)",
                     f"{both:.2f} s vs {full[0]:.2f} s: {both / full[0] - 1:+.0%}", "at most +30%"))
        big = best_of["three"][0]
        rows.append(("3,000 cases vs 1,000, first builds (wall)",
                     f"{big:.2f} s vs {full[0]:.2f} s: {big / full[0]:.2f} times", "at most 3.3 times"))
        sizes = {lang: sum(p.stat().st_size for p in (two / "site" / lang / "pagefind").rglob("*") if p.is_file())
                 for lang in ("en", "es")}  # in chunks: what a search fetches is in benchmarks/search.py

        first, shown, everywhere = latency(1000, 10)
        rows.append(("the preview at 1,000 cases: from saving a case to its new title in its page (`preview.py`)",
                     f"median {statistics.median(shown):.2f} s, slowest {max(shown):.2f} s over {len(shown)} saves",
                     "at most 1 s (aim 0.5 s)"))
        rows.append(("... and to the new title in the case index, which follows",
                     f"median {statistics.median(everywhere):.2f} s, slowest {max(everywhere):.2f} s", ""))
        _, hurried, _ = latency(1000, 10, back_to_back=True)
        rows.append(("... saving again as soon as the page shows the last save",
                     f"median {statistics.median(hurried):.2f} s, slowest {max(hurried):.2f} s", ""))
        bundled = bundled_first_build(tmp)
        rows.append(("first build of the bundled handbook with its worksheets, empty `build/` (wall)",
                     f"{bundled:.1f} s", "at most 25 s"))
        cpu, pdfs, pages = worksheets(tmp)
        rows.append(("worksheets (English, A4, empty cache; CPU)",
                     f"{cpu:.1f} s for {pdfs} PDFs of {pages} pages: {cpu / pages:.2f} s a page", ""))
        rows.append(("peak memory of one process",
                     f"{peak_one:.0f} MB with 1,000 cases; {peak_three:.0f} MB with 3,000", ""))
        rows.append(("search index (Pagefind, all chunks on disk), 1,000 cases",
                     ", ".join(f"{lang} {size / 1e6:.1f} MB" for lang, size in sizes.items()), ""))
    return rows


def write_section(text: str, readme: Path, heading: str = HEADING) -> None:
    """Replace (or add) one section (`## summary`) of benchmarks/README.md, leaving the rest alone."""
    old = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    section = f"{heading}\n\n{text}\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: section + "\n", old, count=1).rstrip("\n") + "\n"
    else:
        new = old.rstrip("\n") + "\n\n" + section
    readme.write_text(new, encoding="utf-8")


def table(rows: list[tuple[str, str, str]], load: str, repeat: int) -> str:
    lines = [f"One run of `.venv/bin/python benchmarks/run.py` on {os.cpu_count()} cores (`nproc`), "
             f"Python {sys.version.split()[0]}, load average {load}; a synthetic handbook of 1,000 cases "
             "(the real cases varied), one language unless said; every figure from fresh processes. "
             f"Every build figure is the best of {repeat} runs, the builds taken in rounds (ours and plain "
             "MkDocs in turns); CPU counts every process of the build.", "",
             "| what | measured | aim |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {aim} |" for what, value, aim in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the table into benchmarks/README.md")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each build to take the best of")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    rows = measure(args.repeat)
    text = table(rows, f"{before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end", args.repeat)
    print(text)
    if args.write:
        write_section(text, Path(__file__).with_name("README.md"), HEADING)


if __name__ == "__main__":
    main()
