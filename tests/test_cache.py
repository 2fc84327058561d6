"""A build reuses what did not change, and rebuilds exactly what did (issue: performance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitebuild import copy_source, handbook

REUSED = "nothing changed since the last build: reused it"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_source(tmp_path_factory.mktemp("cache") / "book")


def build(root: Path) -> dict[str, bool]:
    """Build en and es; for each, whether it was reused from the cache."""
    result = handbook(root, "build", "--no-worksheets", "--lang", "en", "--lang", "es")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip().startswith(("en:", "es:"))]
    return {line.split(":")[0].strip(): REUSED in line for line in lines if "pages" in line}


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_caches_rebuild_exactly_what_changed(book: Path) -> None:
    assert build(book) == {"en": False, "es": False}
    assert build(book) == {"en": True, "es": True}

    overlay = book / "handbook" / "cases" / "mondragon.es.yaml"
    replace(overlay, "title: ", "title: Nuevo ")
    assert build(book) == {"en": True, "es": False}
    page = (book / "site" / "es" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    assert "Nuevo " in page

    replace(book / "templates" / "pages" / "case.md.j2", "## {{ _('Sources') }}", "## {{ _('Sources') }} ")
    assert build(book) == {"en": False, "es": False}

    replace(book / "handbook.yml", "licence: CC-BY-SA-4.0", "licence: CC-BY-4.0")
    assert build(book) == {"en": False, "es": False}
    assert "CC-BY-4.0" in (book / "site" / "en" / "index.html").read_text(encoding="utf-8")

    comment = book / "handbook" / "cases" / "kibbutz.yaml"
    comment.write_text(comment.read_text(encoding="utf-8") + "\n# a comment changes nothing on the site\n",
                       encoding="utf-8")
    assert build(book) == {"en": True, "es": True}


# ---------------------------------------------------------------- the parse cache (build/cache/parsed.marshal)


def test_a_file_that_did_not_change_is_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import load

    root = copy_source(tmp_path / "book")
    assert build(root) == {"en": False, "es": False}
    parsed: list[str] = []
    parse = load.parse_yaml

    def counting(text: str, shown: str) -> load.Document:
        parsed.append(shown)
        return parse(text, shown)

    monkeypatch.setattr(load, "parse_yaml", counting)
    replace(root / "handbook" / "cases" / "kibbutz.yaml", "title: \"", "title: \"Changed ")
    assert build(root) == {"en": False, "es": False}
    assert parsed == ["handbook/cases/kibbutz.yaml"]
    assert "Changed " in (root / "site" / "en" / "cases" / "kibbutz.html").read_text(encoding="utf-8")


def test_problems_in_files_read_from_the_parse_cache_name_the_same_lines(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    assert build(root) == {"en": False, "es": False}  # every file is in the cache now
    (root / "handbook" / "cases" / "kibbutz.yaml").unlink()  # other files point at it: they did not change
    result = handbook(root, "build", "--no-worksheets")
    assert result.exit_code == 1
    from_cache = [line for line in result.output.splitlines() if ": error: " in line]
    assert any(line.startswith("handbook/cases/catalonia-1936.yaml:177:5: error: related[1]: ") for line in from_cache)
    checked = handbook(root, "check")  # `check` parses every file
    assert from_cache == [line for line in checked.output.splitlines() if ": error: " in line]


def test_a_parse_cache_that_does_not_read_is_ignored(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    saved = root / "build" / "cache" / "parsed.marshal"
    saved.parent.mkdir(parents=True)
    saved.write_bytes(b"\x00 not what this tool wrote")
    assert build(root) == {"en": False, "es": False}
    assert "Mondragon" in (root / "site" / "en" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    assert saved.stat().st_size > 10_000, "it is written again, whole"


def test_parsing_in_two_processes_reports_what_parsing_in_one_reports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.parallel import can_fork
    from generator.speed import prefetch

    assert can_fork(), "make test runs on two cores or more"
    root = copy_source(tmp_path / "book")
    replace(root / "handbook" / "cases" / "kibbutz.yaml", "title: \"", "title: \"Broken: \"quote")  # a syntax error
    replace(root / "handbook" / "recipes" / "consensus-with-fallback.yaml", "title: ", "colour: red\ntitle: ")
    monkeypatch.setattr(prefetch, "PREFETCH_FROM", 1)  # the bundled handbook is small: split it anyway
    started: list[int] = []
    split = prefetch.Split.__init__

    def record(self: prefetch.Split, todo: prefetch.Todo) -> None:
        split(self, todo)
        started.append(self.pid)

    monkeypatch.setattr(prefetch.Split, "__init__", record)
    built = handbook(root, "build", "--no-worksheets")
    assert built.exit_code == 1
    assert started, "files were parsed in a second process"
    problems = [line for line in built.output.splitlines() if ": error: " in line]
    assert any(line.startswith("handbook/cases/kibbutz.yaml:2:") for line in problems), built.output
    assert any(line.startswith("handbook/recipes/consensus-with-fallback.yaml:") and "colour" in line
               for line in problems), built.output
    started.clear()
    parallel = handbook(root, "check")  # check parses in two processes too
    assert started and problems == [line for line in parallel.output.splitlines() if ": error: " in line]
    monkeypatch.setattr(prefetch, "PREFETCH_FROM", 10**9)
    started.clear()
    serial = handbook(root, "check")
    assert not started, "this check parsed every file in this process"
    assert problems == [line for line in serial.output.splitlines() if ": error: " in line]


def test_caches_committed_to_the_repository_are_not_used(tmp_path: Path) -> None:
    """A pull request could commit a `build/` folder whose caches hold a site (or parsed content) that no
    reviewer saw in the YAML; a build never uses caches that git tracks."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = copy_source(tmp_path / "book")
    assert build(root) == {"en": False, "es": False}
    cached = root / "build" / "cache" / "en" / "site" / "cases" / "mondragon.html"
    poisoned = cached.read_text(encoding="utf-8").replace("Mondragon", "POISONED")
    cached.unlink()  # a hard link to the built site: write a new file, as a commit would
    cached.write_text(poisoned, encoding="utf-8")

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=root,
                       check=True, capture_output=True)

    git("init", "-q")
    git("add", "-f", "build/cache")
    git("commit", "-q", "-m", "a build folder slipped in")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en", "--lang", "es")
    assert result.exit_code == 0, result.output
    assert "warning: build/ holds files committed to git" in result.output
    assert REUSED not in result.output
    page = (root / "site" / "en" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    assert "POISONED" not in page and "Mondragon" in page
