"""Build benchmark: our whole `handbook build --no-worksheets` against plain `mkdocs build` of the Markdown we generate.

Makes synthetic one-language handbooks of 100, 1,000 and 3,000 cases by varying the real cases, builds each
with our CLI, then times the MkDocs CLI on the `build/<lang>/mkdocs.yml` our build wrote. Both run as fresh
processes, so both pay the same interpreter and import start-up. Our overhead is `ours - mkdocs`.

    .venv/bin/python benchmarks/build.py                  # 100, 1000, 3000 cases, best of 3
    .venv/bin/python benchmarks/build.py --sizes 100 --repeat 1
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # `generator`, when run as a script from anywhere
BIN = Path(sys.executable).parent
COPIED = ("handbook.yml", "mkdocs.yml", "handbook", "toolkits", "templates")
SECTORS = ("workplace", "school", "health", "housing", "retail", "finance", "agriculture", "manufacturing")


def make_handbook(root: Path, cases: int, lang: str = "en") -> None:
    """A copy of the real handbook in one language, with `cases` case studies (the real ones plus variants)."""
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=_other_languages(lang))
        else:
            shutil.copy2(source, root / name)
    settings = yaml.safe_load((root / "handbook.yml").read_text(encoding="utf-8"))
    settings["languages"] = [lang]
    settings.pop("complete_languages", None)
    (root / "handbook.yml").write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), "utf-8")
    folder = root / "handbook" / "cases"
    real = sorted(folder.glob("*.yaml"))
    models = [(path.stem, yaml.safe_load(path.read_text(encoding="utf-8"))) for path in real]
    for i in range(cases - len(real)):
        stem, base = models[i % len(models)]
        (folder / f"{stem}-{i:04d}.yaml").write_text(_variant(base, i), encoding="utf-8")


def _other_languages(lang: str) -> Any:
    """Leave out translations (`<slug>.<lang>.yaml`) and the pages of other languages (pages are `<name>.<lang>.md`)."""
    def ignored(folder: str, names: list[str]) -> set[str]:
        return {name for name in names if (name.endswith(".yaml") and name.count(".") > 1)
                or (name.endswith(".md") and name.count(".") > 1 and not name.endswith(f".{lang}.md"))}
    return ignored


def _variant(base: dict, i: int) -> str:
    """One synthetic case: a real case with its title, place, period and sectors varied."""
    case = copy.deepcopy(base)
    case["title"] = f"{case['title'][:100]} {i}"
    case["place"]["name"] = f"{case['place']['name'][:60]} {i}"
    case["period"]["start"] = 1900 + i % 120
    if case["period"].get("end") is not None:
        case["period"]["end"] = case["period"]["start"] + 1 + i % 5
    case["sectors"] = sorted({SECTORS[i % len(SECTORS)], *case["sectors"][:2]})
    case["story"] = f"Variant {i}.\n\n{case['story']}"
    return yaml.safe_dump(case, allow_unicode=True, sort_keys=False)


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh process. CPU time counts the process and its children, so it
    holds on a busy machine where wall time does not."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "0"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@dataclass
class Row:
    cases: int
    ours: tuple[float, float]  # best (wall, CPU) of a cold `handbook build --no-worksheets`
    plain: tuple[float, float]  # best (wall, CPU) of `mkdocs build` of the Markdown our build generated
    again: float  # wall time of `handbook build` again with nothing changed (its cache)
    load: float = 0.0  # CPU seconds of loading and checking the content, in this process
    render: float = 0.0  # CPU seconds of rendering the Markdown (one process), in this process


def phases(root: Path, lang: str) -> tuple[float, float]:
    """CPU seconds of our two big steps, measured in this process: load + check, and render."""
    from generator.render import render_language
    from generator.validate import load_handbook

    started = time.process_time()
    book = load_handbook(root)
    loaded = time.process_time()
    with tempfile.TemporaryDirectory() as docs:
        render_language(book, lang, Path(docs), print_links=False)
        return loaded - started, time.process_time() - loaded


def measure(cases: int, repeat: int, lang: str = "en") -> Row:
    """Cold builds (no build/ folder, so no cache), each followed by plain MkDocs on what it generated."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{cases}-") as tmp:
        root = Path(tmp)
        make_handbook(root, cases, lang)
        ours, plain = [], []
        command = [str(BIN / "handbook"), "build", "--no-worksheets"]
        for _ in range(repeat):
            for folder in ("build", "site", "plain"):
                shutil.rmtree(root / folder, ignore_errors=True)
            ours.append(timed(command, root))
            config = root / "build" / lang / "mkdocs.yml"
            plain.append(timed([str(BIN / "mkdocs"), "build", "-q", "-f", str(config), "-d", str(root / "plain")],
                               root))
        again = timed(command, root)[0]
        best = (min(w for w, _ in ours), min(c for _, c in ours))
        best_plain = (min(w for w, _ in plain), min(c for _, c in plain))
        return Row(cases, best, best_plain, again, *phases(root, lang))


def table(rows: list[Row], repeat: int, load: str = "") -> str:
    lines = [f"`nproc` = {os.cpu_count()}; Python {sys.version.split()[0]}; one language (en); "
             f"best of {repeat} cold builds (no `build/` folder, so no cache); seconds; each a fresh process"
             f"{f'; load average {load}' if load else ''}.",
             "CPU = user + system time of the process and its children; wall = elapsed time. The load + check and "
             "render columns are measured alone, in one process.", "",
             "| cases | handbook build wall | mkdocs build wall | ours / mkdocs (wall) | handbook build CPU "
             "| mkdocs build CPU | ours / mkdocs (CPU) | CPU / CPU at 1,000 | of which load + check CPU "
             "| of which render CPU | rebuild, nothing changed |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    base = {r.cases: r.ours[1] for r in rows}.get(1000)
    for r in rows:
        scale = f"{r.ours[1] / base:.2f}" if base else "-"
        lines.append(f"| {r.cases:,} | {r.ours[0]:.2f} | {r.plain[0]:.2f} | {r.ours[0] / r.plain[0]:.3f} "
                     f"| {r.ours[1]:.2f} | {r.plain[1]:.2f} | {r.ours[1] / r.plain[1]:.3f} | {scale} "
                     f"| {r.load:.2f} | {r.render:.2f} | {r.again:.2f} |")
    lines += ["", "`mkdocs build` runs our generated config, so it includes our MkDocs hooks (the HTML allow-list)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    before = os.getloadavg()[0]
    for n in args.sizes:
        row = measure(n, args.repeat)
        rows.append(row)
        print(f"{n} cases: handbook build {row.ours[0]:.2f} s ({row.ours[1]:.2f} s CPU), mkdocs build "
              f"{row.plain[0]:.2f} s ({row.plain[1]:.2f} s CPU)", file=sys.stderr)
    text = table(rows, args.repeat, f"{before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(text)


if __name__ == "__main__":
    main()
