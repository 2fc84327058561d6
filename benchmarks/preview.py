"""How long from saving a case to the new text in the previewed page (issue: incremental builds), at 1,000 cases.

    .venv/bin/python benchmarks/preview.py [--cases 1000] [--saves 10]

Serves a generated handbook (`build.make_handbook`) with `handbook serve`, changes one case's title at each
save and polls the page every 20 ms until it shows the new title (`page`), then the case index until it
shows it too (`every page`: the preview builds the saved file's own page first, and the pages that list or
cite it just after). Each save waits until the last one is shown everywhere and a second more, as a person
reads what they changed; `--back-to-back` saves again as soon as the page shows the last title instead.
The case edited is one of the generated variants, which no other case names as related: the edit changes its
page, the case index and the pages of the recipes it names, as an edit to most cases of a large handbook does.
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


def latency(cases: int, saves: int, back_to_back: bool = False) -> tuple[float, list[float], list[float]]:
    """(seconds to the first preview, from each save to the new title in its page, and in the case index)."""
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
    index = f"http://127.0.0.1:{port}/cases/index.html"
    shown, everywhere = [], []
    try:
        started = time.monotonic()
        while "Mondragon" not in page(url):  # the variant's title starts with the real case's
            time.sleep(0.2)
        first = time.monotonic() - started
        for n in range(1, saves + 1):
            time.sleep(0.2 if back_to_back else 1.0)
            title = f"Mondragon edit {n} "
            case.write_text(original.replace("title: ", f"title: {title}", 1), encoding="utf-8")
            saved = time.monotonic()
            while title.strip() not in page(url):
                time.sleep(0.02)
            shown.append(time.monotonic() - saved)
            if back_to_back:
                continue
            while title.strip() not in page(index):
                time.sleep(0.02)
            everywhere.append(time.monotonic() - saved)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    return first, shown, everywhere


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--back-to-back", action="store_true", help="save again as soon as the page shows it")
    options = parser.parse_args()
    first, shown, everywhere = latency(options.cases, options.saves, options.back_to_back)
    print(f"{options.cases} cases: first preview {first:.1f} s; save to the new title in its page: median "
          f"{statistics.median(shown):.2f} s, slowest {max(shown):.2f} s over {len(shown)} saves"
          + (" saved back to back" if options.back_to_back else ""))
    if everywhere:
        print(f"  and in the case index: median {statistics.median(everywhere):.2f} s, slowest {max(everywhere):.2f} s")


if __name__ == "__main__":
    main()
