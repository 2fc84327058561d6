"""The live preview, as a contributor uses it: `handbook serve` open in a browser while they edit.

An edit shows by itself (the page reloads); MkDocs builds again only the pages whose Markdown changed, and
every page when something every page shows changed; a content error shows at the top of the page, naming the
file and line, instead of a page that never loads; and fixing the file recovers by itself."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitebuild import copy_source


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a local address we started
        return str(response.read().decode("utf-8"))


def _wait_for(check: Any, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture()
def preview(tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    """A copy of the bundled handbook previewed by `handbook serve`: (its root, its address, its log)."""
    root = copy_source(tmp_path / "book")
    port = _free_port()
    log = tmp_path / "serve.log"
    command = [str(Path(sys.executable).with_name("handbook")), "--root", str(root), "serve", "--dev-addr",
               f"127.0.0.1:{port}"]
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        base = f"http://127.0.0.1:{port}/"
        try:
            _wait_for(lambda: "Mondragon" in _get(f"{base}cases/mondragon.html"))
            yield root, base, log
        finally:
            process.terminate()
            process.wait(timeout=30)
    output = log.read_text(encoding="utf-8")
    assert "Traceback" not in output, output
    assert "A 'dirty' build" not in output, "MkDocs' warning about dirty builds is not shown to contributors"


def _without_reload_script(page: str) -> str:
    """The page as built: MkDocs' server adds a reload script with the time in it to every page it serves."""
    return re.sub(r"<script>\s*var livereload = .*?</script>", "", page, flags=re.S)


def _built(log: Path) -> list[int]:
    """How many pages each build of the preview wrote, from its log."""
    return [int(n) for n in re.findall(r"Preview: (\d+) pages? built", log.read_text(encoding="utf-8"))]


def test_an_error_shows_in_the_page_and_a_fix_recovers_by_itself(preview: tuple[Path, str, Path],
                                                                 browser: Any) -> None:
    root, base, log = preview
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(90_000)
    try:
        tab.goto(f"{base}cases/mondragon.html")
        case = root / "handbook" / "cases" / "mondragon.yaml"
        text = case.read_text(encoding="utf-8")
        title = re.search(r"^title: (.+)$", text, re.M)
        assert title is not None

        # an edit shows by itself: the open page reloads with the new title
        case.write_text(text.replace(title.group(0), "title: Edited while previewing", 1), encoding="utf-8")
        tab.wait_for_function("document.querySelector('h1') && "
                              "document.querySelector('h1').textContent.includes('Edited while previewing')")

        # a mistake: the page reloads with the error, naming the file and line, and the rest of it as it was
        broken = text.replace(title.group(0), "title: Edited while previewing\nsummary: [unclosed", 1)
        case.write_text(broken, encoding="utf-8")
        alert = tab.locator("#handbook-preview-errors")
        alert.wait_for()
        assert alert.get_attribute("role") == "alert"
        message = alert.inner_text()
        assert "1 content error" in message, message
        assert re.search(r"handbook/cases/mondragon\.yaml:\d+:\d+: error: ", message), message
        assert "Edited while previewing" in tab.locator("h1").inner_text(), "the page is as it was"
        other = _get(f"{base}cases/summerhill-school.html")  # every page answers at once, with the error on it
        assert 'id="handbook-preview-errors"' in other and "mondragon.yaml" in other

        # the fix: the error goes away by itself and the page shows the fixed text
        case.write_text(text.replace(title.group(0), "title: Fixed while previewing", 1), encoding="utf-8")
        tab.wait_for_function("document.querySelector('h1') && "
                              "document.querySelector('h1').textContent.includes('Fixed while previewing')")
        assert tab.locator("#handbook-preview-errors").count() == 0
    finally:
        context.close()


def test_an_edit_builds_only_its_pages_and_a_template_change_builds_every_page(
        preview: tuple[Path, str, Path]) -> None:
    root, base, log = preview
    before = _without_reload_script(_get(f"{base}cases/summerhill-school.html"))
    assert "Summerhill" in before
    builds = _built(log)
    case = root / "handbook" / "cases" / "mondragon.yaml"
    text = case.read_text(encoding="utf-8")
    case.write_text(re.sub(r"^title: .+$", "title: Only this page changes", text, count=1, flags=re.M),
                    encoding="utf-8")
    _wait_for(lambda: "Only this page changes" in _get(f"{base}cases/mondragon.html"))
    _wait_for(lambda: len(_built(log)) > len(builds))
    assert builds[0] > 30, "the first build wrote every page"
    # the case, the pages that list or cite it (index, related cases, recipes, toolkits), not the others
    assert 1 < _built(log)[-1] < builds[0] / 2, log.read_text(encoding="utf-8")
    assert "building every page again" not in log.read_text(encoding="utf-8")
    # the case index shows the new title too (its Markdown changed), a page that does not show it is untouched
    assert "Only this page changes" in _get(f"{base}cases/index.html")
    assert _without_reload_script(_get(f"{base}cases/summerhill-school.html")) == before

    override = root / "templates" / "overrides" / "main.html"
    assert override.is_file()
    override.write_text(override.read_text(encoding="utf-8") + "\n{# a change every page shows #}\n"
                        "{% block announce %}Preview announcement{% endblock %}\n", encoding="utf-8")
    _wait_for(lambda: "Preview announcement" in _get(f"{base}cases/summerhill-school.html"))
    assert "the settings, theme or mkdocs.yml changed: building every page again" in log.read_text(encoding="utf-8")
    assert _built(log)[-1] == builds[0], "every page was built again"
