"""`handbook new` writes skeletons that never overwrite and pass `check` once filled in; `handbook schema`
prints the JSON Schema, and the committed schema files match the models."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator import i18n
from generator.cli import cli
from generator.load import load_yaml
from generator.schema import all_models, schema_text, vocabulary_of
from generator.validate import load_handbook

Handbook = Callable[..., Result]
REPO = Path(__file__).resolve().parent.parent
FOLDERS = {"case": "handbook/cases", "recipe": "handbook/recipes", "toolkit": "toolkits"}
KINDS = ["case", "case-translation", "cases-data", "handbook", "recipe", "recipe-translation", "recipes-data",
         "toolkit", "toolkit-translation", "vocabulary"]


def fill_in(text: str) -> str:
    """What a contributor does with a skeleton: replace every TODO with real text and real facts."""
    for value, fact in (("country: TODO", "country: ES"), ("start: TODO", "start: 1956"), ("year: TODO", "year: 1991"),
                        ("reviewed: TODO", "reviewed: 2026-11-26")):
        text = text.replace(value, fact)
    return re.sub(r"TODO[^\"\n]*", "Written by the contributor", text)


# ---------------------------------------------------------------- new case | recipe | toolkit


@pytest.mark.parametrize("kind", sorted(FOLDERS))
def test_new_writes_a_skeleton_that_editors_can_autocomplete(
    tiny_handbook: Path, handbook: Handbook, kind: str
) -> None:
    result = handbook(tiny_handbook, "new", kind, "my-first")
    path = tiny_handbook / FOLDERS[kind] / "my-first.yaml"
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {path}. Replace every TODO, then run `handbook check`.\n"
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema=")
    schema = (REPO / FOLDERS[kind] / first_line.split("$schema=")[1]).resolve()
    assert schema == REPO / "schema" / f"{kind}.schema.json" and schema.exists()


@pytest.mark.parametrize("kind", sorted(FOLDERS))
def test_a_skeleton_fails_check_until_its_todos_are_replaced_then_passes(
    tiny_handbook: Path, handbook: Handbook, kind: str
) -> None:
    handbook(tiny_handbook, "new", kind, "my-first")
    path = tiny_handbook / FOLDERS[kind] / "my-first.yaml"
    before = handbook(tiny_handbook, "check")
    assert before.exit_code == 1
    todos = [line for line in before.output.splitlines() if "TODO" in line]
    assert todos and all(line.startswith(f"{FOLDERS[kind]}/my-first.yaml:") for line in todos)
    path.write_text(fill_in(path.read_text(encoding="utf-8")), encoding="utf-8")
    after = handbook(tiny_handbook, "check")
    assert after.exit_code == 0, after.output
    assert after.output == "0 errors in 8 files\n"


def test_a_case_skeleton_asks_for_facts_instead_of_inventing_them(tiny_handbook: Path, handbook: Handbook) -> None:
    handbook(tiny_handbook, "new", "case", "my-first")
    lines = handbook(tiny_handbook, "check").output.splitlines()
    assert "handbook/cases/my-first.yaml:10:12: error: place.country: 'TODO' must be a two-letter ISO 3166-1 country " \
           "code in capitals, like BR or ES" in lines
    assert "handbook/cases/my-first.yaml:15:10: error: period.start: still holds the skeleton's TODO; write a whole " \
           "number, like 1998" in lines
    # what CONTRIBUTING's blank case holds too: no date is written for the contributor
    assert "handbook/cases/my-first.yaml:46:11: error: reviewed: still holds the skeleton's TODO; write a date as " \
           "YYYY-MM-DD, like 2026-11-26" in lines


@pytest.mark.parametrize("slug", ["Porto_Alegre", "porto alegre", "porto-", "porto--alegre", "../escape", "a" * 65])
def test_new_refuses_a_bad_slug_and_writes_nothing(tiny_handbook: Path, handbook: Handbook, slug: str) -> None:
    before = sorted(tiny_handbook.rglob("*"))
    result = handbook(tiny_handbook, "new", "case", slug)
    assert result.exit_code == 1
    assert result.output == (f"Error: {slug!r} is not a valid slug: use lowercase letters, digits and single "
                             "hyphens, at most 64 characters (like porto-alegre)\n")
    assert sorted(tiny_handbook.rglob("*")) == before


def test_new_never_overwrites_a_file(tiny_handbook: Path, handbook: Handbook) -> None:
    case = tiny_handbook / "handbook/cases/porto-alegre.yaml"
    written = case.read_bytes()
    result = handbook(tiny_handbook, "new", "case", "porto-alegre")
    assert result.exit_code == 1
    assert result.output == f"Error: {case} already exists; nothing was written\n"
    assert case.read_bytes() == written


def test_new_does_not_write_through_a_symbolic_link(tiny_handbook: Path, tmp_path: Path, handbook: Handbook) -> None:
    target = tmp_path / "outside.yaml"
    os.symlink(target, tiny_handbook / "toolkits/library.yaml")
    result = handbook(tiny_handbook, "new", "toolkit", "library")
    assert result.exit_code == 1
    assert "already exists; nothing was written" in result.output
    assert not target.exists()


def test_new_outside_a_handbook_is_refused(tmp_path: Path, handbook: Handbook) -> None:
    result = handbook(tmp_path, "new", "recipe", "my-first")
    assert result.exit_code == 1
    assert result.output == (f"Error: no handbook.yml in {tmp_path.resolve()}; run this in a handbook's folder or "
                             "pass --root\n")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- new translation


def test_new_translation_writes_overlays_that_check_accepts(
    tiny_handbook: Path, handbook: Handbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tiny_handbook)
    result = handbook(tiny_handbook, "new", "translation", "es", "handbook/recipes/who-is-missing.yaml",
                      "toolkits/school.yaml")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Wrote handbook/recipes/who-is-missing.es.yaml. Translate its text, keeping the structure.\n"
        "Wrote toolkits/school.es.yaml. Translate its text, keeping the structure.\n"
    )
    overlay = (tiny_handbook / "handbook/recipes/who-is-missing.es.yaml").read_text(encoding="utf-8")
    assert overlay.startswith("# yaml-language-server: $schema=../../schema/recipe-translation.schema.json\n")
    source = load_yaml(tiny_handbook / "handbook/recipes/who-is-missing.yaml").data
    data = load_yaml(tiny_handbook / "handbook/recipes/who-is-missing.es.yaml").data
    assert data["translated_from"] == i18n.digest("recipe", source)
    assert data["goal"] == source["goal"]
    assert "goal: |\n  A map of the people" in overlay  # text of several lines stays a readable block
    assert [step["title"] for step in data["steps"]] == [step["title"] for step in source["steps"]]
    check = handbook(tiny_handbook, "check")
    assert check.exit_code == 0, check.output  # valid; but until its text is translated, it is not used
    untranslated = ("1:1: warning: no text is translated yet (it is all as in {0}.yaml); until some is, the es "
                    "site shows the source text with a note that it is not translated")
    assert check.output.splitlines() == [
        "handbook/recipes/who-is-missing.es.yaml:" + untranslated.format("who-is-missing"),
        "toolkits/school.es.yaml:" + untranslated.format("school"),
        "0 errors and 2 warnings in 2 files",
    ]
    status = handbook(tiny_handbook, "i18n", "status")
    assert "  missing  toolkits/school.es.yaml (the file is there, but no text is translated yet)" in status.output
    path = tiny_handbook / "handbook/recipes/who-is-missing.es.yaml"
    path.write_text(overlay.replace("goal: |\n  A map of the people", "goal: |\n  Un mapa de las personas"),
                    encoding="utf-8")
    check = handbook(tiny_handbook, "check")
    assert check.output.splitlines() == ["toolkits/school.es.yaml:" + untranslated.format("school"),
                                         "0 errors and 1 warning in 1 file"], "one text translated: it is used"
    book = load_handbook(tiny_handbook)
    assert book.localized("recipe", "who-is-missing", "es")[1] == "partial"  # the rest is still English
    status = handbook(tiny_handbook, "i18n", "status").output
    assert "  partial  handbook/recipes/who-is-missing.es.yaml (not translated: title, summary, steps[0].title" \
        in status, status
    assert book.localized("toolkit", "school", "es")[1] == "missing"


def test_new_translation_never_overwrites_a_translation(tiny_handbook: Path, handbook: Handbook) -> None:
    overlay = tiny_handbook / "handbook/cases/porto-alegre.es.yaml"
    written = overlay.read_bytes()
    source = tiny_handbook / "handbook/cases/porto-alegre.yaml"
    result = handbook(tiny_handbook, "new", "translation", "es", str(source))
    assert result.exit_code == 1
    assert result.output == f"Error: {overlay} already exists; nothing was written\n"
    assert overlay.read_bytes() == written


@pytest.mark.parametrize(("lang", "path", "message"), [
    ("pt", "handbook/cases/porto-alegre.yaml", "'pt' is not one of the handbook's languages (en, es); "
     "add it first: `handbook i18n add pt`"),
    ("en", "handbook/cases/porto-alegre.yaml", "{root}/handbook/cases/porto-alegre.yaml is written in 'en' already; a "
     "translation goes into another language"),
    ("Spanish", "handbook/cases/porto-alegre.yaml", "'Spanish' is not a language code (like es or pt-BR)"),
    ("es", "handbook/pages/index.md", "{root}/handbook/pages/index.md is not a case, recipe or toolkit file (in "
     "handbook/cases, handbook/recipes, toolkits)"),
    ("es", "handbook/cases/porto-alegre.es.yaml", "{root}/handbook/cases/porto-alegre.es.yaml is already a "
     "translation; give the source file (like porto-alegre.yaml)"),
])
def test_new_translation_refuses_what_check_would_refuse(
    tiny_handbook: Path, handbook: Handbook, lang: str, path: str, message: str
) -> None:
    before = sorted(tiny_handbook.rglob("*"))
    result = handbook(tiny_handbook, "new", "translation", lang, str(tiny_handbook / path))
    assert result.exit_code == 1
    assert result.output == "Error: " + message.format(root=tiny_handbook) + "\n"
    assert sorted(tiny_handbook.rglob("*")) == before


def test_new_translation_needs_a_path(tiny_handbook: Path, handbook: Handbook) -> None:
    result = handbook(tiny_handbook, "new", "translation", "es")
    assert result.exit_code == 2
    assert "Missing argument 'PATHS...'" in result.output


# ---------------------------------------------------------------- schema


def test_schema_without_a_kind_lists_the_kinds(handbook: Handbook, tiny_handbook: Path) -> None:
    result = handbook(tiny_handbook, "schema")
    assert result.exit_code == 0
    assert result.output.splitlines() == KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_schema_prints_the_committed_json_schema(handbook: Handbook, kind: str) -> None:
    result = handbook(REPO, "schema", kind)
    assert result.exit_code == 0
    assert result.output == (REPO / "schema" / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert json.loads(result.output)["$id"].endswith(f"/{kind}.schema.json")


def test_schema_refuses_an_unknown_kind_as_a_usage_error(handbook: Handbook, tiny_handbook: Path) -> None:
    result = handbook(tiny_handbook, "schema", "cases")
    assert result.exit_code == 2
    assert result.output.endswith(f"Error: Invalid value for KIND: 'cases' is not one of {', '.join(KINDS)}\n")


def test_the_committed_schema_files_match_the_models() -> None:
    folder = REPO / "schema"
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(f"{name}.schema.json" for name in all_models())
    for name in all_models():
        committed = (folder / f"{name}.schema.json").read_text(encoding="utf-8")
        assert committed == schema_text(name, vocabulary_of(REPO)), \
            f"schema/{name}.schema.json is out of date: run `make schema`"


def check_jsonschema(schema: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    """`check-jsonschema` in its default mode, as an editor's or CI's validator reads the schema and the files."""
    command = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run([str(command), "--schemafile", str(schema), *map(str, files)], capture_output=True,
                          text=True, check=False)


def content_files(kind: str) -> tuple[list[Path], list[Path]]:
    """The repository's files of a kind: (sources, translations)."""
    files = sorted((REPO / FOLDERS[kind]).glob("*.yaml"))
    return [f for f in files if f.name.count(".") == 1], [f for f in files if f.name.count(".") == 2]


@pytest.mark.parametrize("kind", sorted(FOLDERS))
def test_every_content_file_validates_with_check_jsonschema(kind: str) -> None:
    sources, translations = content_files(kind)
    assert sources and translations
    for schema, files in ((f"{kind}.schema.json", sources), (f"{kind}-translation.schema.json", translations)):
        done = check_jsonschema(REPO / "schema" / schema, *files)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_settings_and_vocabulary_validate_with_check_jsonschema() -> None:
    for schema, path in (("handbook", "handbook.yml"), ("vocabulary", "handbook/vocabulary.yaml")):
        done = check_jsonschema(REPO / "schema" / f"{schema}.schema.json", REPO / path)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_open_data_validates_against_the_schema_it_names(tmp_path: Path) -> None:
    from generator.export import write_site_data

    book = load_handbook(REPO)
    for lang in book.settings.languages:
        for path in write_site_data(book, lang, tmp_path / lang):
            if path.suffix == ".json":
                named = json.loads(path.read_text(encoding="utf-8"))["schema"]
                done = check_jsonschema(REPO / "schema" / named, path)
                assert done.returncode == 0, done.stdout + done.stderr


def test_an_editor_refuses_a_value_that_is_not_in_the_vocabulary(tmp_path: Path) -> None:
    case = tmp_path / "porto-alegre.yaml"
    text = (REPO / "handbook/cases/porto-alegre.yaml").read_text(encoding="utf-8")
    case.write_text(re.sub(r"(?m)^scale: .*$", "scale: galaxy", text), encoding="utf-8")
    done = check_jsonschema(REPO / "schema" / "case.schema.json", case)
    assert done.returncode == 1
    assert "'galaxy' is not one of ['city', 'institution', 'international', 'national', 'neighbourhood', " \
           "'region']" in done.stdout
    vocabulary = load_yaml(REPO / "handbook/vocabulary.yaml", REPO).data
    schema = json.loads((REPO / "schema" / "case.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["sectors"]["items"]["enum"] == sorted(vocabulary["sectors"])


# ---------------------------------------------------------------- help


@pytest.mark.parametrize("command", [[], ["check"], ["new"], ["new", "case"], ["new", "recipe"], ["new", "toolkit"],
                                     ["new", "translation"], ["schema"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("handbook, version ")
