"""The contributor's workflow and the open data: exports that load back, a CSV that no spreadsheet runs,
reference pages that list every field and command, CI files that call real Make targets, and
`check --format github` lines that GitHub turns into annotations."""

from __future__ import annotations

import csv
import io
import json
import re
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import Result
from pydantic import BaseModel

from generator.cli import cli
from generator.export import CSV_COLUMNS
from generator.models import KINDS, OVERLAYS, Case, Recipe
from generator.reference import cli_page, fields_page
from generator.validate import load_handbook

from sitebuild import built_handbook

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
GITHUB_LINE = re.compile(r"^::(error|warning) file=[^,]+,line=\d+,col=\d+::.+$")
EXPORT_ONLY = ("id", "url", "translation")  # keys the export adds to each item; not fields of the models

Handbook = Callable[..., Result]  # the `handbook` fixture of conftest.py
Edit = Callable[[Path, str, str], None]  # the `edit` fixture of conftest.py


# ---------------------------------------------------------------- open data


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_the_json_export_loads_back_into_the_models(handbook: Handbook, lang: str) -> None:
    result = handbook(ROOT, "export", "--format", "json", "--lang", lang)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["licence"] and data["language"] == lang
    assert {c["id"] for c in data["cases"]} == set(load_handbook(ROOT).cases)
    for item in data["cases"]:
        Case.model_validate({k: v for k, v in item.items() if k not in EXPORT_ONLY})
    for item in data["recipes"]:
        Recipe.model_validate({k: v for k, v in item.items() if k not in EXPORT_ONLY})


def test_the_json_export_carries_each_recipes_sources_and_research(tiny_handbook: Path, handbook: Handbook) -> None:
    result = handbook(tiny_handbook, "export", "--format", "json")
    assert result.exit_code == 0, result.output
    recipe = json.loads(result.stdout)["recipes"][0]
    assert recipe["sources"] == [{"id": "fung-2006", "title": "Varieties of Participation in Complex Governance",
                                  "year": 2006, "author": "Archon Fung", "publisher": "Public Administration Review",
                                  "kind": "article"}]
    assert recipe["research"] == [{"text": "Who takes part is a choice in the design of a meeting, not a given.",
                                   "sources": ["fung-2006"], "strength": "supported"}]


def test_the_csv_export_reads_with_the_csv_module_and_has_a_header_row(handbook: Handbook) -> None:
    result = handbook(ROOT, "export", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == CSV_COLUMNS
    assert len(rows) - 1 == len(load_handbook(ROOT).cases)
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_csv_cell_that_a_spreadsheet_would_run_is_neutralised(tiny_handbook: Path, handbook: Handbook, edit: Edit,
                                                                 start: str) -> None:
    case = tiny_handbook / "handbook" / "cases" / "porto-alegre.yaml"
    summary = f'{start}HYPERLINK("https://example.org/x", "click me")'
    edit(case, "summary: Residents", f"summary: '{summary}'\n# Residents")
    edit(case, "  country: BR\n", "  country: BR\n  lon: -51.23\n")
    assert handbook(tiny_handbook, "check").exit_code == 0
    result = handbook(tiny_handbook, "export", "--format", "csv")
    assert result.exit_code == 0, result.output
    header, row = list(csv.reader(io.StringIO(result.stdout)))
    cells = dict(zip(header, row, strict=True))
    assert cells["summary"] == "'" + summary
    assert cells["lon"] == "-51.23"  # a number is never a formula: it stays a number


# ---------------------------------------------------------------- generated reference pages


def all_fields(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every field path of a model, nested ones too: `place.name`, `worksheets[].blocks[].table.columns`."""
    for name, info in model.model_fields.items():
        yield prefix + name
        annotation = info.annotation
        options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
        for arg in options:
            is_list = typing.get_origin(arg) is list
            inner = typing.get_args(arg)[0] if is_list else arg
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield from all_fields(inner, f"{prefix}{name}{'[]' if is_list else ''}.")


def test_the_field_reference_lists_every_field_of_every_model() -> None:
    page = fields_page()
    models = [*KINDS.values(), *OVERLAYS.values()]
    paths = [path for model in models for path in all_fields(model)]
    assert "worksheets[].blocks[].table.columns" in paths and "outcomes[].sources" in paths
    missing = [path for path in paths if f"| `{path}` |" not in page]
    assert not missing, f"the field reference leaves out {missing}"


def test_the_field_reference_tells_type_requirement_and_example() -> None:
    page = fields_page()
    assert "| `place.country` | country code | required | ISO 3166-1 alpha-2 country code, in capitals. | `BR` |" \
        in page
    assert "| `sources[].kind` | one of `book`, `report`, `article`, `web`, `video`, `law` | optional |" in page
    assert "| `worksheets[].blocks[].prompt.lines` | whole number from 1 to 30 | optional, default `4` |" in page


def commands(command: click.Command, path: str = "handbook") -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from commands(sub, f"{path} {name}")


def test_every_command_has_help_and_appears_in_the_cli_reference() -> None:
    page = cli_page(commands=cli)
    for path, command in commands(cli):
        assert (command.help or "").strip(), f"`{path}` has no help text"
        assert f"\n## {path}\n" in page, f"`{path}` is not in the CLI reference"
        for param in command.params:
            if isinstance(param, click.Option) and "--help" not in param.opts:
                assert param.opts[-1] in page, f"{param.opts[-1]} of `{path}` is not in the CLI reference"


@pytest.mark.slow
def test_every_language_has_the_reference_and_data_pages_in_its_nav(tmp_path_factory: pytest.TempPathFactory) -> None:
    site = built_handbook(tmp_path_factory) / "site"
    for lang in load_handbook(ROOT).settings.published:
        home = (site / lang / "index.html").read_text(encoding="utf-8")
        for page in ("data.html", "reference/fields.html", "reference/cli.html"):
            assert (site / lang / page).is_file(), f"{lang}/{page} was not built"
            assert f'href="{page}"' in home, f"the {lang} navigation has no link to {page}"


@pytest.mark.slow
def test_the_data_page_links_to_files_that_the_build_publishes(tmp_path_factory: pytest.TempPathFactory) -> None:
    site = built_handbook(tmp_path_factory) / "site"
    for page in (site / "en" / "data.html", site / "es" / "reference" / "fields.html"):
        links = re.findall(r'href="((?:\.\./)*(?:data|schema)/[^"]+\.(?:json|csv))"', page.read_text(encoding="utf-8"))
        assert len(links) >= 4, page
        for link in links:
            assert (page.parent / link).is_file(), f"{page.name} links to {link}, which the build did not publish"


# ---------------------------------------------------------------- CI, pre-commit and annotations


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z0-9_-]+):", text, flags=re.MULTILINE))


def workflow_commands(path: Path) -> list[list[str]]:
    """Every shell command in the workflow's `run:` steps, as words (continued lines joined)."""
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert workflow.get("on", workflow.get(True)), f"{path.name} has no trigger"
    scripts = [step["run"] for job in workflow["jobs"].values() for step in job.get("steps", []) if "run" in step]
    commands = re.split(r"\n|&&|\|\||;", "\n".join(scripts).replace("\\\n", " "))
    return [command.split() for command in commands if command.strip()]


@pytest.mark.parametrize("name", ["check.yml", "deploy.yml"])
def test_the_workflows_parse_and_call_make_targets_that_exist(name: str) -> None:
    makes = [words for words in workflow_commands(WORKFLOWS / name) if words[0] == "make"]
    called = {word for words in makes for word in words[1:] if not word.startswith("-") and "=" not in word}
    assert "build" in called
    assert called <= make_targets(), f"{name} calls make {called - make_targets()}, not in the Makefile"


def test_pull_requests_get_annotations_a_build_and_the_site_as_an_artifact() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "check.yml").read_text(encoding="utf-8"))
    assert "pull_request" in workflow.get("on", workflow.get(True))
    text = (WORKFLOWS / "check.yml").read_text(encoding="utf-8")
    assert "make check-github" in text and "actions/upload-artifact@" in text
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^check-github:.*\n\t.*handbook check --format github$", makefile, flags=re.MULTILINE)
    deploy = (WORKFLOWS / "deploy.yml").read_text(encoding="utf-8")
    assert "actions/upload-pages-artifact@" in deploy and "actions/deploy-pages@" in deploy


def test_the_pre_commit_hook_runs_handbook_check() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert any(hook["entry"].endswith("handbook check") and hook["pass_filenames"] is False for hook in hooks)


def test_the_issue_form_and_pull_request_template_exist() -> None:
    form = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "propose-case.yml").read_text(encoding="utf-8"))
    assert form["name"] == "Propose a case study" and form["body"]
    assert {item["id"] for item in form["body"] if "id" in item} >= {"sources", "challenges"}
    template = (ROOT / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    assert "handbook check" in template and "- [ ]" in template


def test_a_contributor_sees_each_mistake_as_a_github_annotation(tiny_handbook: Path, handbook: Handbook,
                                                                edit: Edit) -> None:
    case = tiny_handbook / "handbook" / "cases" / "porto-alegre.yaml"
    edit(case, "country: BR", "country: Brazil")
    edit(case, "url: https://doi.org", "url: http://doi.org")
    edit(case, "reviewed: 2026-11-26", "reviewed: 26/11/2026\nfunding: unknown")
    result = handbook(tiny_handbook, "check", "--format", "github")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.stdout  # each mistake once, and no cascade into the files that cite the case
    for line in lines:
        assert GITHUB_LINE.match(line), line
    assert all("file=handbook/cases/porto-alegre.yaml," in line for line in lines)
    assert "errors in" in result.stderr  # the count goes to the log, not into an annotation


def test_a_translator_is_told_the_translated_from_to_write(tiny_handbook: Path, handbook: Handbook) -> None:
    overlay = tiny_handbook / "handbook" / "cases" / "porto-alegre.es.yaml"
    overlay.write_text("\n".join(line for line in overlay.read_text(encoding="utf-8").splitlines()
                                 if not line.startswith("translated_from:")) + "\n", encoding="utf-8")
    status = handbook(tiny_handbook, "i18n", "status", "--format", "json")
    digest = next(item["digest"] for item in json.loads(status.stdout)["es"]["missing"]
                  if item["translation"].endswith("porto-alegre.es.yaml"))
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert f"translated_from: is required but missing; write `translated_from: {digest}`" in result.stdout


# ---------------------------------------------------------------- CONTRIBUTING.md stays true


def test_the_blank_case_in_contributing_is_what_handbook_new_case_writes() -> None:
    from generator.scaffold import CASE

    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- blank-case: start.*?-->\n```yaml\n(.*?)```\n<!-- blank-case: end -->", text, re.S)
    assert match, "CONTRIBUTING.md has lost its blank case"
    assert match.group(1) == CASE.format(today="YYYY-MM-DD", lang="en"), (
        "the blank case in CONTRIBUTING.md differs from generator/scaffold.py's CASE: paste the output of "
        "`python -c 'from generator.scaffold import CASE; "
        "print(CASE.format(today=\"YYYY-MM-DD\", lang=\"en\"), end=\"\")'`")


def test_every_command_and_make_target_in_contributing_exists() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    known = {path for path, _ in commands(cli)}
    named = set(re.findall(r"(?:`|^)handbook ([a-z][a-z0-9-]*)(?: ([a-z][a-z0-9-]*))?", text, re.MULTILINE))
    assert len(named) > 5, "CONTRIBUTING.md names no command"
    for command, sub in named:
        path = f"handbook {command} {sub}" if f"handbook {command} {sub}" in known else f"handbook {command}"
        assert path in known, f"CONTRIBUTING.md names `{path}`, which does not exist"
    targets = set(re.findall(r"(?:`|^)make ([a-z][a-z0-9-]*)", text, re.MULTILINE))
    assert targets and targets <= make_targets(), f"CONTRIBUTING.md names make {targets - make_targets()}"
