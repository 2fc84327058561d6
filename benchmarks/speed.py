"""What each part of `generator/speed/` buys: every mechanism turned off alone, against the build with all of them.

    .venv/bin/python benchmarks/speed.py [--cases 1000] [--repeat 3] [--write]

Each row times one kind of build of a synthetic handbook (`build.make_handbook`), with everything on and with
one mechanism off (patched out in the build's own process, nothing else changed), in rounds, the best of each.
`--write` puts the table into benchmarks/README.md (## what each speed mechanism buys).
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
from run import edit_one_case, write_section  # noqa: E402

HEADING = "## what each speed mechanism buys"

# Python run in the build's process before `handbook build`: each turns one mechanism off.
OFF = {
    "workers": "",  # `--jobs 1`: MkDocs in the build's own process, once every page is written
    "everything": ("import generator.speed as s; s.start = lambda root, langs, jobs: s.Speed.off()"),
    "dirty": "import generator.speed as s; s.Speed.prefill = lambda self, *args: 'off'",
    "parse cache": ("import generator.speed as s; start = s.start\n"
                    "def no_parse_cache(*args):\n    fast = start(*args); fast.parsed = None; return fast\n"
                    "s.start = no_parse_cache"),
    "reuse": "import generator.speed as s; s.Speed.reuse = lambda self, *args: None",
    "gc": "import contextlib, generator.speed as s; s.Speed.loading = lambda self: contextlib.nullcontext()",
    # imported before the workers fork, so that they have the patch too
    "early index": "import generator.search as g; g.Index.written = lambda self, page, parts: None",
    "kept parts": "import generator.search as g; g.Index._kept = lambda self: {}",
}


def build(root: Path, off: str | None = None, jobs: bool = False) -> float:
    code = (OFF[off] if off else "") + "\nimport sys; from generator.cli import main; sys.argv[0] = 'handbook'; main()"
    command = [str(BIN / "python"), "-c", code, "build", "--no-worksheets", *(["--jobs", "1"] if jobs else [])]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return time.perf_counter() - started


def clean(root: Path) -> None:
    for folder in ("build", "site"):
        shutil.rmtree(root / folder, ignore_errors=True)


def measure(cases: int, repeat: int) -> list[tuple[str, str, str, str]]:
    times: dict[str, list[float]] = {}

    def take(name: str, seconds: float) -> None:
        times.setdefault(name, []).append(seconds)

    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        root = Path(tmp)
        make_handbook(root, cases)
        for n in range(repeat):
            clean(root)
            take("first", build(root))
            clean(root)
            take("first, --jobs 1", build(root, jobs=True))
            clean(root)
            take("first, no speed layer", build(root, "everything"))
            clean(root)
            take("first, index at the end", build(root, "early index"))
            build(root)  # a site and caches to start from
            edit_one_case(root, n)
            take("edit", build(root))
            edit_one_case(root, n + 100)
            take("edit, no dirty", build(root, "dirty"))
            edit_one_case(root, n + 200)
            take("edit, no parse cache", build(root, "parse cache"))
            edit_one_case(root, n + 300)
            take("edit, gc left on", build(root, "gc"))
            edit_one_case(root, n + 400)
            take("edit, every part indexed", build(root, "kept parts"))
            take("unchanged", build(root))
            take("unchanged, no reuse", build(root, "reuse"))
    b = {name: min(values) for name, values in times.items()}
    return [
        ("MkDocs in worker processes reading each page as it is written (`speed/workers.py`)", "a first build",
         f"{b['first']:.2f} s", f"{b['first, --jobs 1']:.2f} s (`--jobs 1`)"),
        ("the whole speed layer (`build(fast=False)`)", "a first build", f"{b['first']:.2f} s",
         f"{b['first, no speed layer']:.2f} s"),
        ("each part of the search index made while MkDocs writes the next (`search.write_order`, `Index.written`)",
         "a first build", f"{b['first']:.2f} s", f"{b['first, index at the end']:.2f} s"),
        ("MkDocs builds only the pages whose Markdown changed (`Speed.prefill`, `caches.shared_key`)",
         "after editing one case", f"{b['edit']:.2f} s", f"{b['edit, no dirty']:.2f} s"),
        ("files not parsed again (`caches.ParseCache`)", "after editing one case", f"{b['edit']:.2f} s",
         f"{b['edit, no parse cache']:.2f} s"),
        ("only the parts of the search index whose indexed text changed made again (`search.Index`, `indexed`)",
         "after editing one case", f"{b['edit']:.2f} s", f"{b['edit, every part indexed']:.2f} s"),
        ("the cycle collector quiet while loading (`speed.quiet_gc`)", "after editing one case",
         f"{b['edit']:.2f} s", f"{b['edit, gc left on']:.2f} s"),
        ("a language not built again when nothing changed (`Speed.reuse`)", "nothing changed",
         f"{b['unchanged']:.2f} s", f"{b['unchanged, no reuse']:.2f} s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rows = measure(args.cases, args.repeat)
    lines = [f"`.venv/bin/python benchmarks/speed.py --cases {args.cases} --repeat {args.repeat}` on "
             f"{os.cpu_count()} cores, load average {load:.1f} at the start and {os.getloadavg()[0]:.1f} at the "
             "end; one language, no worksheets; wall time, the best of the rounds.", "",
             "| mechanism | build | with it | without it |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(text, Path(__file__).with_name("README.md"), HEADING)


if __name__ == "__main__":
    main()
