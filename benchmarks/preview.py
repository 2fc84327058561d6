"""How long from saving a case to the new text in the previewed page (issue: incremental builds), at 1,000 cases.

    .venv/bin/python benchmarks/preview.py [--cases 1000] [--saves 10]

Serves a generated handbook (`build.make_handbook`) with `handbook serve`, changes one case's title at each
save and polls the page every 20 ms until it shows the new title: the median and the slowest of the saves.
The case edited is one of the generated variants, which no other case names as related: the edit changes its
page and the case index, as an edit to most cases of a large handbook does (an edit to a case that hundreds
of others name as related changes those pages too).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import make_handbook  # noqa: E402
from serve_memory import free_port, page  # noqa: E402


def latency(cases: int, saves: int) -> tuple[float, list[float]]:
    """(seconds to the first preview, seconds from each save to the new title in the page)."""
    folder = Path(tempfile.mkdtemp(prefix="preview-"))
    make_handbook(folder, cases)
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    server = subprocess.Popen([str(Path(sys.executable).with_name("handbook")), "--root", str(folder), "serve",
                               "--dev-addr", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    case = sorted((folder / "handbook" / "cases").glob("mondragon-*.yaml"))[0]
    original = case.read_text(encoding="utf-8")
    url = f"http://127.0.0.1:{port}/cases/{case.stem}.html"
    seconds = []
    try:
        started = time.monotonic()
        while "Mondragon" not in page(url):  # the variant's title starts with the real case's
            time.sleep(0.2)
        first = time.monotonic() - started
        for n in range(1, saves + 1):
            time.sleep(1.0)  # a person types between saves
            title = f"Mondragon edit {n} "
            case.write_text(original.replace("title: ", f"title: {title}", 1), encoding="utf-8")
            saved = time.monotonic()
            while title.strip() not in page(url):
                time.sleep(0.02)
            seconds.append(time.monotonic() - saved)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    return first, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--saves", type=int, default=10)
    options = parser.parse_args()
    first, seconds = latency(options.cases, options.saves)
    print(f"{options.cases} cases: first preview {first:.1f} s; save to new title: median "
          f"{statistics.median(seconds):.2f} s, slowest {max(seconds):.2f} s over {len(seconds)} saves")


if __name__ == "__main__":
    main()
