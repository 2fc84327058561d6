"""A large handbook is rendered in a second process while MkDocs already reads the pages (issue: performance).

The bundled handbook is small, so these tests lower the threshold (`render.PARALLEL_FROM`) to stream it, and
compare with a build that renders everything first: the same site, byte for byte, and the same errors.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sitebuild import copy_source, handbook, tree_digest

from generator import render


@pytest.fixture()
def stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "PARALLEL_FROM", 1)


def test_a_streamed_build_makes_the_same_site_as_a_build_that_renders_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("pages are rendered in a second process only with two cores or more")
    first, second = copy_source(tmp_path / "first"), copy_source(tmp_path / "second")
    monkeypatch.setattr(render, "PARALLEL_FROM", 10**9)
    result = handbook(first, "build", "--no-worksheets")
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    streamed: list[object] = []
    job = render.RenderJob.__init__

    def watch(self: render.RenderJob, *args: object, **kwargs: object) -> None:
        job(self, *args, **kwargs)
        streamed.append(bool(self.streamed))

    monkeypatch.setattr(render.RenderJob, "__init__", watch)
    result = handbook(second, "build", "--no-worksheets", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert streamed and all(streamed), "the second build streamed its pages"
    one, two = tree_digest(first / "site"), tree_digest(second / "site")
    assert sorted(one) == sorted(two)
    assert [path for path in one if one[path] != two[path]] == []


def test_a_page_of_content_that_is_gone_is_not_built_from_the_old_markdown(tmp_path: Path, stream: None) -> None:
    root = copy_source(tmp_path / "book")
    stale = root / "build" / "en" / "docs" / "cases" / "a-case-that-was-deleted.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("# A case that was deleted\n\nGone.\n", encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert not (root / "site" / "en" / "cases" / "a-case-that-was-deleted" / "index.html").exists()
    assert not (root / "site" / "en" / "cases" / "a-case-that-was-deleted.html").exists()
    assert not stale.exists(), "the stale page is removed from the generated Markdown too"
    assert (root / "site" / "en" / "cases" / "mondragon.html").is_file()


def test_a_template_error_while_streaming_names_the_template_and_leaves_the_site_alone(
        tmp_path: Path, stream: None) -> None:
    root = copy_source(tmp_path / "book")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    before = tree_digest(root / "site")
    template = root / "templates" / "pages" / "case.md.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("{{ case.summary }}", "{{ case.no_such_field }}"), encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = text[: text.index("{{ case.summary }}")].count("\n") + 1
    assert re.search(rf"^Error: templates/pages/case\.md\.j2:{line}: error: template: .*no_such_field", result.output,
                     re.M), result.output
    assert tree_digest(root / "site") == before, "the last good site is still there"
