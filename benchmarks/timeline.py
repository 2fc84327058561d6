"""Where a first build's time goes: the steps of `handbook build --no-worksheets` and of plain `mkdocs build`
of the same Markdown, as seconds from the start of the process, on a synthetic handbook of 1,000 cases.

Every process of the build writes its steps to the file named by HANDBOOK_TRACE (`generator/speed/trace.py`);
a plain `mkdocs build` writes MkDocs' own steps through the same hooks, so both are timed the same way.
Each build is run `--repeat` times, in turns; the table shows the fastest run of each.

    .venv/bin/python benchmarks/timeline.py [--cases 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import BIN, make_handbook  # noqa: E402

Run = list[tuple[float, str]]  # (seconds from the start, step)


def traced(command: list[str], root: Path, trace: Path) -> Run:
    """Run `command` as a fresh process; its steps, and when it ended, from the moment it was started."""
    trace.unlink(missing_ok=True)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "0", "HANDBOOK_TRACE": str(trace)}
    started = time.time()
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    ended = time.time()
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    steps = []
    for line in trace.read_text(encoding="utf-8").splitlines():
        stamp, _, step = line.split(" ", 2)
        steps.append((float(stamp) - started, step))
    return sorted(steps) + [(ended - started, "process ended")]


def show(name: str, run: Run) -> None:
    print(f"\n{name} (ended after {run[-1][0]:.2f} s)\n")
    print("| s | step |\n|---|---|")
    for seconds, step in run:
        print(f"| {seconds:.2f} | {step} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-timeline-") as name:
        root, trace = Path(name) / "book", Path(name) / "trace.txt"
        root.mkdir()
        make_handbook(root, args.cases)
        ours: list[Run] = []
        plain: list[Run] = []
        for _ in range(args.repeat):
            for folder in ("build", "site", "plain"):
                shutil.rmtree(root / folder, ignore_errors=True)
            ours.append(traced([str(BIN / "handbook"), "build", "--no-worksheets"], root, trace))
            plain.append(traced([str(BIN / "mkdocs"), "build", "-q", "-f", str(root / "build" / "en" / "mkdocs.yml"),
                                 "-d", str(root / "plain")], root, trace))
    show(f"handbook build --no-worksheets, {args.cases:,} cases, a first build", min(ours, key=lambda r: r[-1][0]))
    show("plain mkdocs build of the same Markdown", min(plain, key=lambda r: r[-1][0]))


if __name__ == "__main__":
    main()
