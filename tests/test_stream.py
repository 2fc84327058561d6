"""MkDocs builds in processes of its own and reads each page as soon as it is written (issue: performance).

`handbook build` forks its MkDocs workers before it loads the content (`generator/speed/workers.py`); with
`--jobs 1` there is none and MkDocs runs in the build's own process once every page is written, and without
`generator/speed/` at all (`build(fast=False)`) nothing is cached either. All must make the same site, byte
for byte, and report the same errors; a worker that dies must not leave a half-built site or a stray process
behind.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from generator import render, site
from generator.build import build
from generator.cli import cli
from generator.parallel import can_fork
from generator.speed import workers

from sitebuild import copy_source, handbook, tree_digest

pytestmark = pytest.mark.skipif(not can_fork(), reason="workers need fork and two cores")


@pytest.fixture()
def jobs(monkeypatch: pytest.MonkeyPatch) -> list[workers.Job]:
    """Every job given to a worker in this test (recorded where this process sends them)."""
    given: list[workers.Job] = []
    submit = workers.Workers._submit

    def record(self: workers.Workers, pid: int, job: workers.Job) -> Any:
        given.append(job)
        return submit(self, pid, job)

    monkeypatch.setattr(workers.Workers, "_submit", record)
    return given


@pytest.fixture()
def pids(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The process ids of every worker started in this test."""
    started: list[int] = []
    start = workers.Workers.start.__func__  # type: ignore[attr-defined]

    def record(cls: type[workers.Workers], count: int) -> workers.Workers:
        forked = start(cls, count)
        started.extend(forked._connections)
        return forked

    monkeypatch.setattr(workers.Workers, "start", classmethod(record))
    return started


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_workers_make_the_same_site_as_a_build_in_one_process_and_one_without_speed(
        tmp_path: Path, jobs: list[workers.Job], pids: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, third = (copy_source(tmp_path / name) for name in ("first", "second", "third"))
    result = handbook(first, "build", "--no-worksheets", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert jobs == [] and pids == [], "--jobs 1 builds in this process"
    # the pipeline alone: no worker, no cache, no gc policy (given the commands, as the CLI gives them)
    report = build(third, worksheets=False, commands=cli, fast=False)
    assert report.pages > 100 and report.reused == []
    assert jobs == [] and pids == [] and not (third / "build" / "cache").exists()
    page = render.Renderer.page
    slow: list[str] = []

    def first_page_late(self: render.Renderer, path: str) -> bytes:
        if not slow:  # the workers have their plans, and find no page written yet
            slow.append(path)
            time.sleep(0.5)
        return page(self, path)

    monkeypatch.setattr(render.Renderer, "page", first_page_late)
    # two workers for three languages: two are streamed, the third waits, whole, for the first worker free
    result = handbook(second, "build", "--no-worksheets", "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert len(pids) == 2
    assert [(job.lang, job.plan is not None) for job in jobs] == [("en", True), ("es", True), ("pt", False)]
    assert all(job.plan and "cases/mondragon.md" in job.plan for job in jobs[:2])
    assert all(gone(pid) for pid in pids), "every worker ended with the build"
    for lang in ("en", "es", "pt"):
        assert re.search(rf"^  {lang}: \d+ pages$", result.output, re.M), result.output
    one, two, three = (tree_digest(root / "site") for root in (first, second, third))
    assert sorted(one) == sorted(two) == sorted(three)
    assert [path for path in one if one[path] != two[path] or one[path] != three[path]] == []


def test_a_page_of_content_that_is_gone_is_not_built_from_the_old_markdown(
        tmp_path: Path, jobs: list[workers.Job]) -> None:
    root = copy_source(tmp_path / "book")
    stale = root / "build" / "en" / "docs" / "cases" / "a-case-that-was-deleted.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("# A case that was deleted\n\nGone.\n", encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert jobs and jobs[0].plan, "the pages were streamed to a worker"
    assert not (root / "site" / "en" / "cases" / "a-case-that-was-deleted.html").exists()
    assert not stale.exists(), "the stale page is removed from the generated Markdown too"
    assert (root / "site" / "en" / "cases" / "mondragon.html").is_file()


def test_a_template_error_while_streaming_names_the_template_and_leaves_the_site_alone(
        tmp_path: Path, jobs: list[workers.Job], pids: list[int]) -> None:
    root = copy_source(tmp_path / "book")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    before = tree_digest(root / "site")
    shutil.rmtree(root / "build" / "cache")  # no site to start from: the pages are streamed to MkDocs again
    template = root / "templates" / "pages" / "case.md.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("{{ case.summary }}", "{{ case.no_such_field }}"), encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = text[: text.index("{{ case.summary }}")].count("\n") + 1
    assert re.search(rf"^Error: templates/pages/case\.md\.j2:{line}: error: template: .*no_such_field", result.output,
                     re.M), result.output
    assert len(jobs) == 2 and all(job.plan for job in jobs), "MkDocs was reading while it failed"
    assert all(gone(pid) for pid in pids), "the worker waiting for the next page was ended"
    assert tree_digest(root / "site") == before, "the last good site is still there"
    assert not list(root.glob(".site-*")), "no half-built site is left"


def test_a_worker_that_dies_fails_the_build_with_one_line_and_leaves_the_site_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pids: list[int]) -> None:
    root = copy_source(tmp_path / "book")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    before = tree_digest(root / "site")
    shutil.rmtree(root / "build" / "cache")  # no site to reuse
    monkeypatch.setattr(site, "run_mkdocs", lambda *args: os._exit(3))  # as if killed mid-build
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert re.search(r"^Error: the en site failed to build: the MkDocs process stopped \(exit code 3\)$",
                     result.output, re.M), result.output
    assert all(gone(pid) for pid in pids)
    assert tree_digest(root / "site") == before
    assert not list(root.glob(".site-*"))


def test_a_language_with_nothing_changed_is_reused_and_gives_no_worker_a_job(
        tmp_path: Path, jobs: list[workers.Job], pids: list[int]) -> None:
    root = copy_source(tmp_path / "book")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    before = tree_digest(root / "site")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "en: " in result.output and "nothing changed since the last build: reused it" in result.output
    assert [job.lang for job in jobs] == ["en"], "only the first build gave MkDocs a job"
    assert all(gone(pid) for pid in pids)
    assert tree_digest(root / "site") == before, "the saved site, whole"
