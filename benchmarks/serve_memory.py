"""Does `handbook serve` keep its memory flat while someone edits? Saves a case N times (default 50) and reads
the server's resident memory (RSS, from /proc) after each rebuild.

    .venv/bin/python benchmarks/serve_memory.py [--saves 50] [--one-process]

It serves a copy of the bundled handbook (English) on a free port, changes one case's title at each save, waits
until the served page shows the new title, then reads the RSS of the server process and its children (the
preview's renderer, `serve.Renderer`). `--one-process` renders in the server's own process instead (what
the preview did before), to show what that costs. Prints one table: RSS after the first build, after each
tenth save, and the growth."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARTS = ("handbook.yml", "mkdocs.yml", "handbook", "toolkits", "templates")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kb(pid: int) -> int:
    """Resident memory of `pid` and its children, in KiB."""
    total = 0
    for task in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{task}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def children(pid: int) -> list[int]:
    try:
        found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return found + [grand for child in found for grand in children(child)]


def page(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return ""


def wait_for(url: str, text: str, limit: float = 120.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if text in page(url):
            return time.monotonic() - start
        time.sleep(0.1)
    raise SystemExit(f"the page never showed {text!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--one-process", action="store_true", help="render in the server's process (as before)")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="serve-memory-"))
    for part in PARTS:
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / part)
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    code = ("import sys, generator.serve as s; s.Renderer.start = classmethod(lambda *args: None); "
            "from generator.cli import main; sys.argv[0] = 'handbook'; main()") if options.one_process else \
        "import sys; from generator.cli import main; sys.argv[0] = 'handbook'; main()"
    server = subprocess.Popen([sys.executable, "-c", code, "--root", str(folder), "serve", "--lang", "en",
                               "--dev-addr", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    case = folder / "handbook" / "cases" / "mondragon.yaml"
    original = case.read_text(encoding="utf-8")
    url = f"http://127.0.0.1:{port}/cases/mondragon.html"
    rows = []
    try:
        wait_for(url, "Mondragon")
        rows.append((0, rss_kb(server.pid), 0.0))
        for n in range(1, options.saves + 1):
            title = f"Mondragon edit {n} "
            case.write_text(original.replace("title: ", f"title: {title}", 1), encoding="utf-8")
            seconds = wait_for(url, title.strip())
            time.sleep(0.3)  # the rebuild has finished writing
            rows.append((n, rss_kb(server.pid), seconds))
            if n % 10 == 0:
                print(f"save {n}: {rss_kb(server.pid) / 1024:.0f} MB", file=sys.stderr, flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"| saves | RSS (MB){' (one process)' if options.one_process else ''} | seconds to the new title |")
    print("|---|---|---|")
    for n, kb, seconds in rows:
        if n % 10 == 0:
            print(f"| {n} | {kb / 1024:.0f} | {seconds:.1f} |")
    first, last = rows[1][1], rows[-1][1]
    print(f"\ngrowth from the first save to save {rows[-1][0]}: {(last - first) / 1024:+.0f} MB")


if __name__ == "__main__":
    main()
