"""Golden files: what the generator makes of a small handbook in two languages, byte for byte.

The generated Markdown and front matter of every page, each language's MkDocs config (with the handbook's
folder written as `<root>`), the open data, and `check --format json` on a handbook full of mistakes. A change
to the code that changes any of them fails here, so that it is seen and reviewed; when the change is meant,
regenerate them on purpose and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

(as mkdocs-gen-files keeps `tests/nav/*.yml`: input and expected output side by side)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

from conftest import FIXTURES, ROOT

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """tests/fixtures/tiny (English with a Spanish translation) with the repository's templates and mkdocs.yml."""
    root = Path(shutil.copytree(FIXTURES / "tiny", tmp_path / "tiny"))
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    return root


def made(book: Path) -> dict[str, str]:
    """Every generated file of the tiny handbook, by a name under tests/golden/tiny/."""
    from generator.export import write_site_data
    from generator.render import render_language
    from generator.site import mkdocs_config
    from generator.validate import load_handbook

    handbook = load_handbook(book)
    assert not handbook.problems, handbook.problems
    out: dict[str, str] = {}
    for lang in handbook.settings.languages:
        docs = book / "build" / lang / "docs"
        render_language(handbook, lang, docs, commands=cli)
        for path in sorted(docs.rglob("*.md")):
            out[f"{lang}/docs/{path.relative_to(docs).as_posix()}"] = path.read_text(encoding="utf-8")
        config = mkdocs_config(handbook, lang, book / "build", book / "site" / lang)
        text = config.read_text(encoding="utf-8").replace(str(book.resolve()), "<root>")
        out[f"{lang}/mkdocs.yml"] = text.replace(str(Path(__file__).resolve().parent.parent / "generator"),
                                                 "<generator>")
        for path in write_site_data(handbook, lang, book / "data" / lang):
            out[f"{lang}/data/{path.name}"] = path.read_text(encoding="utf-8")
    return out


def broken_check(tmp_path: Path) -> str:
    """`check --format json` on the tiny handbook with a broken copy of each loader fixture as a case."""
    root = Path(shutil.copytree(FIXTURES / "tiny", tmp_path / "broken"))
    for path in sorted((FIXTURES / "load").glob("*.yaml")):
        shutil.copy(path, root / "handbook" / "cases" / path.name)
    result = CliRunner().invoke(cli, ["--root", str(root), "check", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return json.dumps(json.loads(result.output), indent=2, ensure_ascii=False) + "\n"


def compare(folder: Path, files: dict[str, str]) -> None:
    if UPDATE:
        shutil.rmtree(folder, ignore_errors=True)
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
    kept = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}
    assert kept == set(files), f"files made and golden files differ: {sorted(kept ^ set(files))}; " \
                               "if that is meant, regenerate with UPDATE_GOLDEN=1"
    changed = [name for name, text in files.items() if (folder / name).read_text(encoding="utf-8") != text]
    assert not changed, f"these generated files changed: {changed}; if that is meant, regenerate them with " \
                        "UPDATE_GOLDEN=1 and review the diff"


def test_the_tiny_handbook_makes_the_golden_pages_configs_and_data(book: Path) -> None:
    files = made(book)
    assert "es/docs/cases/porto-alegre.md" in files and "en/mkdocs.yml" in files and "es/data/cases.json" in files
    compare(GOLDEN / "tiny", files)


def test_check_reports_the_golden_problems_of_a_broken_handbook(tmp_path: Path) -> None:
    compare(GOLDEN / "check", {"broken.json": broken_check(tmp_path)})
