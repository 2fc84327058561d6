"""The live preview, as a contributor uses it: `handbook serve` open in a browser while they edit.

An edit shows by itself (the page reloads); MkDocs builds again only the pages whose Markdown changed, and
every page when something every page shows changed; a content error shows at the top of the page, naming the
file and line, instead of a page that never loads; and fixing the file recovers by itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitebuild import copy_source, fetch, free_port, wait_for


@pytest.fixture()
def preview(tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    """A copy of the bundled handbook previewed by `handbook serve`: (its root, its address, its log)."""
    root = copy_source(tmp_path / "book")
    port = free_port()
    log = tmp_path / "serve.log"
    command = [str(Path(sys.executable).with_name("handbook")), "--root", str(root), "serve", "--dev-addr",
               f"127.0.0.1:{port}"]
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        base = f"http://127.0.0.1:{port}/"
        try:
            wait_for(lambda: "Mondragon" in fetch(f"{base}cases/mondragon.html").decode())
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
        other = fetch(f"{base}cases/summerhill-school.html").decode()  # every page answers, with the error on it
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
    before = _without_reload_script(fetch(f"{base}cases/summerhill-school.html").decode())
    assert "Summerhill" in before
    builds = _built(log)
    case = root / "handbook" / "cases" / "mondragon.yaml"
    text = case.read_text(encoding="utf-8")
    case.write_text(re.sub(r"^title: .+$", "title: Only this page changes", text, count=1, flags=re.M),
                    encoding="utf-8")
    wait_for(lambda: "Only this page changes" in fetch(f"{base}cases/mondragon.html").decode())
    wait_for(lambda: len(_built(log)) >= len(builds) + 2)
    assert builds[0] > 30, "the first build wrote every page"
    own, rest = _built(log)[len(builds):len(builds) + 2]
    assert own == 1, "the saved file's own page is built first, alone"
    assert "Preview: 1 page built; next, the pages that show something of it" in log.read_text(encoding="utf-8")
    # then the pages that list or cite it (index, related cases, recipes, toolkits), not the others
    assert 1 < rest < builds[0] / 2, log.read_text(encoding="utf-8")
    assert "building every page again" not in log.read_text(encoding="utf-8")
    # the case index shows the new title too (its Markdown changed), a page that does not show it is untouched
    assert "Only this page changes" in fetch(f"{base}cases/index.html").decode()
    assert _without_reload_script(fetch(f"{base}cases/summerhill-school.html").decode()) == before

    override = root / "templates" / "overrides" / "main.html"
    assert override.is_file()
    override.write_text(override.read_text(encoding="utf-8") + "\n{# a change every page shows #}\n"
                        "{% block announce %}Preview announcement{% endblock %}\n", encoding="utf-8")
    wait_for(lambda: "Preview announcement" in fetch(f"{base}cases/summerhill-school.html").decode())
    assert "the settings, theme or mkdocs.yml changed: building every page again" in log.read_text(encoding="utf-8")
    assert _built(log)[-1] == builds[0], "every page was built again"
