"""The built site checked by tools nobody here wrote: the Nu Html Checker and Lighthouse (`make audit`).

Builds a copy of the handbook with its `site_url` set to where it is served here (so canonical and `hreflang`
links are absolute, as on a published site), serves it on 127.0.0.1, then checks five page types in two
languages and prints one table:

- the Nu Html Checker (vnu.jar, run by Debian's Java): errors in our own templates' markup apart from errors
  in Material's own (its inputs, labels and buttons, which we do not write);
- Lighthouse on its default phone profile, with Debian's Chromium: accessibility, best practices and SEO
  scores (the aim is 100 each), and the cumulative layout shift it measured.

`make audit` installs the two tools from npm into build/audit/ first (Lighthouse is pinned; it needs Node 20).
Exit status 1 when an aim is missed: an error of our own, or a score under 100.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PARTS = ("handbook.yml", "mkdocs.yml", "handbook", "toolkits", "templates")
LANGS = ("en", "es")
PAGES = {  # one page of each type
    "home": "index.html",
    "case index": "cases/index.html",
    "case": "cases/mondragon.html",
    "recipe": "recipes/open-books.html",
    "toolkit": "toolkits/school.html",
}
CATEGORIES = ("accessibility", "best-practices", "seo")
CHROMIUM = "/usr/bin/chromium"
# markup that Material's templates write, not ours: its drawer, search and toc toggles, its header and nav
MATERIAL = re.compile(r'class="md-|data-md-|id="__(drawer|search|toc|palette)|for="__')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
        pass


@contextlib.contextmanager
def serve(folder: Path, port: int) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.shutdown()
        server.server_close()


def build(target: Path, site_url: str) -> Path:
    """A copy of the handbook, published at `site_url`, built without worksheets."""
    target.mkdir(parents=True)
    for part in PARTS:
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target / part)
    settings = target / "handbook.yml"
    text = re.sub(r"(?m)^site_url:.*\n", "", settings.read_text(encoding="utf-8"))
    settings.write_text(f"{text}site_url: {site_url}\n", encoding="utf-8")
    handbook = Path(sys.executable).with_name("handbook")
    # every language: each page names the same page in each of them, and Material reads their sitemaps
    subprocess.run([str(handbook), "--root", str(target), "build", "--no-worksheets"], check=True,
                   capture_output=True, text=True)
    return target / "site"


def nu(vnu: Path, files: list[Path]) -> dict[Path, tuple[list[str], list[str]]]:
    """Per file: the Nu errors in our markup, and those in Material's."""
    out = subprocess.run(["java", "-jar", str(vnu), "--format", "json", "--exit-zero-always", *map(str, files)],
                         capture_output=True, text=True, check=True)
    found: dict[Path, tuple[list[str], list[str]]] = {path: ([], []) for path in files}
    for message in json.loads(out.stderr or out.stdout)["messages"]:
        if message.get("type") != "error":
            continue
        path = Path(message["url"].removeprefix("file:"))
        text = f"line {message.get('lastLine', '?')}: {message['message']}"
        found[path][1 if MATERIAL.search(message.get("extract", "")) else 0].append(text)
    return found


def lighthouse(tool: Path, url: str) -> dict[str, Any]:
    """Lighthouse's report of one page, on its default (phone) profile."""
    out = subprocess.run([str(tool), url, f"--chrome-path={CHROMIUM}",
                          "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                          f"--only-categories={','.join(CATEGORIES)},performance", "--output=json",
                          "--output-path=stdout", "--quiet"], capture_output=True, text=True, check=True)
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def failing(report: dict[str, Any]) -> list[str]:
    """The audits that cost a category points."""
    names = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                names.append(f"{category}: {ref['id']} ({audit['title']})")
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tools", type=Path, default=REPO / "build" / "audit" / "node_modules",
                        help="the node_modules folder holding lighthouse and vnu-jar")
    args = parser.parse_args()
    vnu = args.tools / "vnu-jar" / "build" / "dist" / "vnu.jar"
    tool = args.tools / ".bin" / "lighthouse"
    for needed in (vnu, tool, Path(CHROMIUM)):
        if not needed.exists():
            print(f"{needed} is missing: run `make audit`", file=sys.stderr)
            return 2
    port = free_port()
    rows: list[str] = []
    notes: list[str] = []
    theirs: dict[str, int] = {}  # Material's own Nu errors: on how many pages
    missed = False
    with tempfile.TemporaryDirectory() as folder:
        site = build(Path(folder) / "book", f"http://127.0.0.1:{port}/")
        files = [site / lang / page for lang in LANGS for page in PAGES.values()]
        checked = nu(vnu, files)
        with serve(site, port) as base:
            for lang in LANGS:
                for name, page in PAGES.items():
                    ours, material = checked[site / lang / page]
                    report = lighthouse(tool, f"{base}{lang}/{page}")
                    scores = [round(100 * report["categories"][c]["score"]) for c in CATEGORIES]
                    shift = report["audits"]["cumulative-layout-shift"]["numericValue"]
                    rows.append(f"| {name} | {lang} | {len(ours)} | {len(material)} | "
                                + " | ".join(map(str, scores)) + f" | {shift:.3f} |")
                    notes += [f"- {lang}/{page}: Nu: {text}" for text in ours]
                    notes += [f"- {lang}/{page}: {text}" for text in failing(report)]
                    missed = missed or bool(ours) or min(scores) < 100
                    for text in {re.sub(r"^line \d+: ", "", text) for text in material}:
                        theirs[text] = theirs.get(text, 0) + 1
    print("| page | lang | Nu errors, ours | Nu errors, Material's | accessibility | best practices | SEO | CLS |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if notes:
        print("\n" + "\n".join(notes))
    if theirs:
        print("\nNu errors in Material's own markup (not ours to fix):")
        print("\n".join(f"- on {count} of {len(rows)} pages: {text}" for text, count in sorted(theirs.items())))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
