"""Build benchmark: our whole `handbook build --no-worksheets` against plain `mkdocs build` of the Markdown we generate.

Makes synthetic one-language handbooks of 100, 1,000 and 3,000 cases by varying the real cases, builds each
with our CLI, then times the MkDocs CLI on the `build/<lang>/mkdocs.yml` our build wrote. Both run as fresh
processes, so both pay the same interpreter and import start-up. Our overhead is `ours - mkdocs`.

    .venv/bin/python benchmarks/build.py                  # 100, 1000, 3000 cases, best of 3
    .venv/bin/python benchmarks/build.py --sizes 100 --repeat 1 --write
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COPIED = ("handbook.yml", "mkdocs.yml", "handbook", "toolkits", "templates")
SECTORS = ("workplace", "school", "health", "housing", "retail", "finance", "agriculture", "manufacturing")
HEADING = "## build"


def make_handbook(root: Path, cases: int, lang: str = "en") -> None:
    """A copy of the real handbook in one language, with `cases` case studies (the real ones plus variants)."""
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("*.*.yaml", "*.*.md"))
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


def timed(command: list[str], cwd: Path) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "0"}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
    return seconds


def measure(cases: int, repeat: int, lang: str = "en") -> tuple[float, float]:
    """Best-of-`repeat` seconds for our build and for plain `mkdocs build` of the same generated Markdown."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{cases}-") as tmp:
        root = Path(tmp)
        make_handbook(root, cases, lang)
        ours, plain = [], []
        for _ in range(repeat):
            ours.append(timed([str(BIN / "handbook"), "build", "--no-worksheets"], root))
            config = root / "build" / lang / "mkdocs.yml"
            plain.append(timed([str(BIN / "mkdocs"), "build", "-q", "-f", str(config), "-d", str(root / "plain")],
                               root))
        return min(ours), min(plain)


def table(rows: list[tuple[int, float, float]], repeat: int) -> str:
    lines = [f"Machine: `nproc` = {os.cpu_count()}, Python {sys.version.split()[0]}; one language (en); "
             f"best of {repeat} runs; seconds of wall time, each a fresh process.", "",
             "| cases | handbook build | plain mkdocs build | our steps | ours / mkdocs | time / time(1,000) |",
             "|---:|---:|---:|---:|---:|---:|"]
    base = {n: ours for n, ours, _ in rows}.get(1000)
    for n, ours, plain in rows:
        scale = f"{ours / base:.2f}" if base else "-"
        lines.append(f"| {n:,} | {ours:.2f} | {plain:.2f} | {ours - plain:+.2f} | {ours / plain:.3f} | {scale} |")
    lines += ["", "Aims: our steps add at most 10% to MkDocs' time (ours / mkdocs <= 1.10); "
              "3,000 cases cost at most 3.5 times 1,000.", "",
              "Run: `.venv/bin/python benchmarks/build.py --write` (options: `--sizes`, `--repeat`)."]
    return "\n".join(lines)


def write_section(text: str, readme: Path) -> None:
    """Replace (or add) the `## build` section of benchmarks/README.md, leaving the other sections alone."""
    old = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    section = f"{HEADING}\n\n{text}\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: section + "\n", old, count=1).rstrip("\n") + "\n"
    else:
        new = old.rstrip("\n") + "\n\n" + section
    readme.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write the table into benchmarks/README.md")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        ours, plain = measure(n, args.repeat)
        rows.append((n, ours, plain))
        print(f"{n} cases: handbook build {ours:.2f} s, mkdocs build {plain:.2f} s, ratio {ours / plain:.3f}",
              file=sys.stderr)
    text = table(rows, args.repeat)
    print(text)
    if args.write:
        write_section(text, Path(__file__).with_name("README.md"))


if __name__ == "__main__":
    main()
