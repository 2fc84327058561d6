"""Time `handbook check` on a synthetic handbook of 1,000 case studies.

    .venv/bin/python benchmarks/check.py                 # generate into a temp dir, time, print a table

The cases are made up (placeholder prose, cycled vocabulary) but shaped like the real ones: about 10 KB each,
with several claims, sources and lists, and a Spanish translation for one case in ten. The handbook's own
handbook.yml, vocabulary and pages are copied in, so the run checks what a real handbook holds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOCABULARY = ("the assembly residents budget council delegates decided school hospital workers cooperative members "
         "meeting vote proposal priorities neighbourhood city money year shared report people group rules "
         "elected rotated kitchen cleaners nurses pupils teachers open every month together fair limits")
WORDS = VOCABULARY.split()
SECTORS = ["school", "health", "workplace", "city-budget", "housing", "community"]
MODELS = ["participatory-budgeting", "worker-cooperative", "self-management", "consensus-democracy"]
SCALES = ["institution", "neighbourhood", "city", "region"]
RECIPES = [f"recipe-{i:02d}" for i in range(20)]
TOOLKITS = ["school", "hospital", "workplace", "neighbourhood"]


def prose(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def block(text: str, indent: str = "  ") -> str:
    """A `|` block of `text`, wrapped at about 76 columns."""
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) > 76:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    lines.append(line)
    return "|\n" + "".join(f"{indent}{x}\n" for x in lines)


def case_text(n: int, rng: random.Random) -> str:
    sources = [f"source-{j}" for j in range(6)]
    claims = lambda k: "".join(  # noqa: E731 - a small local helper reads best inline
        f"  - text: {block(prose(rng, 3), '      ')}    sources: [{sources[(i + k) % 6]}]\n" for i in range(4)
    )
    return (
        f"title: Synthetic case {n}\n"
        f"summary: {prose(rng, 2)}\n"
        f"place:\n  name: Town {n}\n  country: BR\n  lat: -30.03\n  lon: -51.23\n"
        f"period:\n  start: {1900 + n % 100}\n  end: {2000 + n % 20}\n"
        f"scale: {SCALES[n % 4]}\n"
        f"sectors: [{SECTORS[n % 6]}, {SECTORS[(n + 1) % 6]}]\n"
        f"models: [{MODELS[n % 4]}]\n"
        f"story: {block(prose(rng, 30))}"
        f"decisions: {block(prose(rng, 15))}"
        f"participants: {block(prose(rng, 4))}"
        f"outcomes:\n{claims(0)}"
        f"challenges:\n{claims(2)}"
        "lessons:\n" + "".join(f"  - {prose(rng, 2)}\n" for _ in range(5)) +
        f"recipes: [{RECIPES[n % 20]}, {RECIPES[(n + 7) % 20]}]\n"
        f"related: [case-{(n + 1) % 1000:04d}, case-{(n + 500) % 1000:04d}]\n"
        "sources:\n" + "".join(
            f"  - id: {sid}\n    title: \"{prose(rng, 1)}\"\n    author: Author {j}\n    publisher: Publisher {j}\n"
            f"    year: {1990 + j}\n    url: https://example.org/{n}/{sid}\n    kind: article\n"
            for j, sid in enumerate(sources)
        ) +
        "reviewed: 2026-11-26\n"
        "contributors: [Benchmark]\n"
    )


def recipe_text(n: int, rng: random.Random) -> str:
    steps = "".join(
        f"  - title: Step {i}\n    time: 20 minutes\n    text: {block(prose(rng, 6), '      ')}"
        + ("    worksheet: sheet\n" if i == 0 else "")
        for i in range(6)
    )
    return (
        f"title: Synthetic recipe {n}\nsummary: {prose(rng, 1)}\ngoal: {block(prose(rng, 4))}"
        "time: 2 hours\npeople: 6-20\ndifficulty: starter\nprinciples: [inclusion, transparency]\n"
        f"you_need:\n  - Paper\n  - Pens\nsteps:\n{steps}"
        f"pitfalls:\n  - pitfall: {prose(rng, 1)}\n    remedy: {prose(rng, 2)}\n"
        f"evidence: [case-{n:04d}]\n"
        "worksheets:\n  - id: sheet\n    title: A sheet\n    blocks:\n      - fields: [Date, Place]\n"
        "      - prompt: {text: What now?, lines: 4}\n      - table: {columns: [Who, What], rows: 6}\n"
    )


def toolkit_text(slug: str, rng: random.Random) -> str:
    return (
        f"title: Start it at your {slug}\ninstitution: {slug}\nsummary: {prose(rng, 1)}\n"
        f"intro: {block(prose(rng, 8))}stakeholders: [Everyone, Everyone else]\n"
        f"decisions:\n  - {prose(rng, 1)}\nrecipes: [{', '.join(RECIPES[:5])}]\ncases: [case-0000, case-0001]\n"
    )


def overlay_text(source: Path, root: Path) -> str:
    """A Spanish overlay: the source's translatable text, as `handbook new translation` writes it."""
    from generator.scaffold import new_translation

    path = new_translation(root, "es", source)
    return path.read_text(encoding="utf-8")


def generate(dest: Path, cases: int = 1000) -> int:
    """Write a synthetic handbook into `dest`; returns the number of content files."""
    rng = random.Random(1936)
    for name in ("handbook.yml", "handbook/vocabulary.yaml", "handbook/pages"):
        src, dst = ROOT / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy(src, dst)
    for page in (dest / "handbook/pages").glob("*.md"):  # their links lead to the real cases: keep the words
        page.write_text(re.sub(r"\[([^\]]*)\]\((?:\.\./)?(?:cases|recipes|toolkits)/[^)]*\)", r"\1",
                               page.read_text(encoding="utf-8")), encoding="utf-8")
    for folder in ("handbook/cases", "handbook/recipes", "toolkits"):
        (dest / folder).mkdir(parents=True, exist_ok=True)
    for n in range(cases):
        (dest / f"handbook/cases/case-{n:04d}.yaml").write_text(case_text(n, rng), encoding="utf-8")
    for n, slug in enumerate(RECIPES):
        (dest / f"handbook/recipes/{slug}.yaml").write_text(recipe_text(n, rng), encoding="utf-8")
    for slug in TOOLKITS:
        (dest / f"toolkits/{slug}.yaml").write_text(toolkit_text(slug, rng), encoding="utf-8")
    for n in range(0, cases, 10):
        overlay_text(dest / f"handbook/cases/case-{n:04d}.yaml", dest)
    return cases + len(RECIPES) + len(TOOLKITS) + len(range(0, cases, 10))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: unlike wall time, barely moved by other busy
    processes on the machine."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(runs: int, action: Callable[[], None]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), cpu_seconds()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
    return walls, cpus


def in_process(root: Path) -> None:
    from click.testing import CliRunner

    from generator.cli import cli

    result = CliRunner().invoke(cli, ["--root", str(root), "check"])
    if result.exit_code != 0:
        raise SystemExit(f"the synthetic handbook does not pass check:\n{result.output[-3000:]}")


def as_subprocess(root: Path) -> None:
    script = Path(sys.executable).with_name("handbook")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from generator.cli import main; main()"]
    done = subprocess.run([*command, "--root", str(root), "check"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the synthetic handbook does not pass check:\n{done.stdout[-3000:]}{done.stderr}")


Row = tuple[str, list[float], list[float]]


def table(rows: list[Row]) -> str:
    lines = ["| run | best wall time | best CPU time | wall time of each run |", "|---|---|---|---|"]
    for name, walls, cpus in rows:
        lines.append(f"| {name} | {min(walls):.2f} s | {min(cpus):.2f} s | {', '.join(f'{x:.2f}' for x in walls)} |")
    return "\n".join(lines) + "\n"


def cores() -> int:
    """What `nproc` prints: the cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it (default: a temp dir)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="handbook-bench-") as tmp:
        root = args.keep or Path(tmp)
        if args.keep and root.exists():
            shutil.rmtree(root)
        files = generate(root, args.cases)
        size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
        rows = [("in-process (CliRunner)", *timed(args.runs, lambda: in_process(root))),
                ("subprocess (`handbook check`)", *timed(args.runs, lambda: as_subprocess(root)))]
    print(f"{args.cases} cases, {files} content files, {size / 1e6:.1f} MB of YAML, {cores()} cores")
    print(table(rows), end="")


if __name__ == "__main__":
    main()
