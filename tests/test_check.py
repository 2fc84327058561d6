"""`handbook check`: every problem, with its file, line and column, in three formats, with the right exit code."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli
from generator.validate import load_handbook

Handbook = Callable[..., Result]
Edit = Callable[[Path, str, str], None]
GITHUB_LINE = re.compile(r"^::(error|warning) file=[^,]+,line=\d+,col=\d+::.+$")

CASE = "handbook/cases/porto-alegre.yaml"
OVERLAY = "handbook/cases/porto-alegre.es.yaml"
RECIPE = "handbook/recipes/who-is-missing.yaml"
TOOLKIT = "toolkits/school.yaml"

# (what the contributor does: file, text replaced, new text) -> the line `check` prints
MISTAKES = {
    "unknown recipe slug": (
        (CASE, "recipes: [who-is-missing]", "recipes: [who-is-mising]"),
        f"{CASE}:25:11: error: recipes[0]: 'who-is-mising' is not a known recipe; did you mean 'who-is-missing'?",
    ),
    "unknown recipe slug in a toolkit": (
        (TOOLKIT, "recipes: [who-is-missing]", "recipes: [who-is-missing, run-a-budget]"),
        f"{TOOLKIT}:10:27: error: recipes[1]: 'run-a-budget' is not a known recipe "
        "(there is no handbook/recipes/run-a-budget.yaml)",
    ),
    "unknown case slug": (
        (RECIPE, "evidence: [porto-alegre]", "evidence: [mondragon]"),
        f"{RECIPE}:14:12: error: evidence[0]: 'mondragon' is not a known case study "
        "(there is no handbook/cases/mondragon.yaml)",
    ),
    "unknown case slug in a toolkit": (
        (TOOLKIT, "cases: [porto-alegre]", "cases: [porto-alegre, kibbutz]"),
        f"{TOOLKIT}:11:23: error: cases[1]: 'kibbutz' is not a known case study "
        "(there is no handbook/cases/kibbutz.yaml)",
    ),
    "unknown toolkit slug": (
        ("handbook.yml", "toolkit: school", "toolkit: hospital"),
        "handbook.yml:4:10: error: toolkit: 'hospital' is not a known toolkit (there is no toolkits/hospital.yaml)",
    ),
    "unknown source id in a claim": (
        (CASE, "    sources: [santos-1998]\nchallenges", "    sources: [santos-1989]\nchallenges"),
        f"{CASE}:19:15: error: outcomes[0].sources[0]: 'santos-1989' is not a known source id; "
        "did you mean 'santos-1998'?",
    ),
    "two sources with one id": (
        (CASE, "reviewed:", "  - id: santos-1998\n    title: The same id again\n    year: 1998\nreviewed:"),
        f"{CASE}:34:9: error: sources[1].id: 'santos-1998' is already the id of sources[0]; "
        "give each source its own id",
    ),
    "unknown source id in a recipe step": (
        (RECIPE, "worksheet: stakeholder-map", "worksheet: stakeholder-map\n    sources: [fung-2005]"),
        f"{RECIPE}:12:15: error: steps[0].sources[0]: 'fung-2005' is not a known source id; did you mean "
        "'fung-2006'?",
    ),
    "two sources with one id in a recipe": (
        (RECIPE, "    kind: article\n", "    kind: article\n  - id: fung-2006\n    title: The same id again\n"
         "    year: 2006\n"),
        f"{RECIPE}:32:9: error: sources[1].id: 'fung-2006' is already the id of sources[0]; give each source its "
        "own id",
    ),
    "research finding without its strength": (
        (RECIPE, "    strength: supported\n", ""),
        f"{RECIPE}:22:5: error: research[0].strength: is required but missing",
    ),
    "unknown worksheet id in a step": (
        (RECIPE, "worksheet: stakeholder-map", "worksheet: stakeholders-map"),
        f"{RECIPE}:11:16: error: steps[0].worksheet: 'stakeholders-map' is not a known worksheet id; "
        "did you mean 'stakeholder-map'?",
    ),
    "unknown vocabulary value": (
        (CASE, "sectors: [city-budget]", "sectors: [city-budget, parks]"),
        f"{CASE}:9:24: error: sectors[1]: 'parks' is not in the sectors vocabulary; use one of city-budget, "
        "community, school, or add it to handbook/vocabulary.yaml",
    ),
    "unknown principle": (
        (RECIPE, "principles: [inclusion]", "principles: [inclusion, kindness]"),
        f"{RECIPE}:7:25: error: principles[1]: 'kindness' is not in the principles vocabulary; use one of "
        "inclusion, transparency, or add it to handbook/vocabulary.yaml",
    ),
    "overlay list of the wrong length": (
        (OVERLAY, "  - Empieza con", "  - Una lección de más.\n  - Empieza con"),
        f"{OVERLAY}:14:1: error: lessons: has 2 items but the source has 1; keep the same items in the same order",
    ),
    "a fourth question to discuss": (
        (CASE, "recipes: [who-is-missing]", "questions:\n  - Who decides?\n  - Who is missing?\n"
         "  - Who follows it up?\n  - Who pays?\nrecipes: [who-is-missing]"),
        f"{CASE}:25:1: error: questions: has 4 items; the limit is 3",
    ),
    "a question to discuss that is an essay": (
        (CASE, "recipes: [who-is-missing]", f"questions:\n  - Who decides?\n  - {'Why ' * 80}?\n"
         "recipes: [who-is-missing]"),
        f"{CASE}:27:5: error: questions[1]: is 321 characters long; the limit is 300",
    ),
    "country name instead of code": (
        (CASE, "country: BR", "country: Brazil"),
        f"{CASE}:5:12: error: place.country: 'Brazil' must be a two-letter ISO 3166-1 country code in capitals, "
        "like BR or ES",
    ),
    "end before start": (
        (CASE, "  start: 1989", "  start: 1989\n  end: 1979"),
        f"{CASE}:6:1: error: period: end (1979) is before start (1989)",
    ),
    "http address": (
        (CASE, "url: https://doi.org", "url: http://doi.org"),
        f"{CASE}:32:10: error: sources[0].url: 'http://doi.org/10.1177/0032329298026004003' must be a full "
        "address starting with https://",
    ),
    "date in another order": (
        (CASE, "reviewed: 2026-11-26", "reviewed: 26/11/2026"),
        f"{CASE}:34:11: error: reviewed: must be a date written YYYY-MM-DD (year, month, day), like 2026-11-26, "
        "not '26/11/2026'",
    ),
    "a month that does not exist": (
        (CASE, "reviewed: 2026-11-26", "reviewed: 1996-13-01"),
        f"{CASE}:34:11: error: reviewed: '1996-13-01' has no month 13: the month, between the two hyphens, goes "
        "from 01 to 12 (YYYY-MM-DD: year, month, day)",
    ),
    "a day that does not exist": (
        (CASE, "reviewed: 2026-11-26", "reviewed: 2023-02-29"),
        f"{CASE}:34:11: error: reviewed: '2023-02-29' has no day 29: February 2023 has 28 days "
        "(YYYY-MM-DD: year, month, day)",
    ),
    "the skeleton's TODO left in a date": (
        (CASE, "reviewed: 2026-11-26", "reviewed: TODO"),
        f"{CASE}:34:11: error: reviewed: still holds the skeleton's TODO; write a date as YYYY-MM-DD, "
        "like 2026-11-26",
    ),
    "the skeleton's TODO left in a year": (
        (CASE, "  start: 1989", "  start: TODO"),
        f"{CASE}:7:10: error: period.start: still holds the skeleton's TODO; write a whole number, like 1998",
    ),
    "three spaces before a field of a map": (
        (CASE, "  country: BR", "   country: BR"),
        f"{CASE}:5:4: error: country: is indented more than `name:` on line 4, whose value is already complete, "
        "so YAML reads this line as more of that value; line it up with `name:` (remove 1 space before it)",
    ),
    "one space before a field of a map": (
        (CASE, "  country: BR", " country: BR"),
        f"{CASE}:5:2: error: country: starts in column 2, which lines it up with no field above it (`name:` on "
        "line 4 is in column 3, `place:` on line 3 is in column 1); the fields of one map start in exactly the "
        "same column, so move it to the column of the fields it belongs with",
    ),
    "a field indented under a complete list": (
        (CASE, "\nsources:\n", "\n  sources:\n"),
        f"{CASE}:26:3: error: sources: is indented more than `recipes:` on line 25, whose value is already "
        "complete, so YAML reads this line as more of that value; line it up with `recipes:` (remove 2 spaces "
        "before it)",
    ),
    "a field indented under a text": (
        (CASE, "\noutcomes:", "\n  outcomes:"),
        f"{CASE}:17:3: error: outcomes: is written on this line, but indented like the text of `decisions:` "
        "above it (line 14), so YAML reads it as part of that text and finds no outcomes; line it up with "
        "`decisions:` (remove 2 spaces before it)",
    ),
    "a text under `|` that is not indented": (
        (CASE, "story: |\n  The Workers' Party won the city government in 1988 and introduced a\n",
         "story: |\nThe Workers' Party won the city government in 1988.\n\n  It introduced a\n"),
        f"{CASE}:12:1: error: story: this text belongs to `story: |` on line 11, so it must be indented more "
        "than `story:`: put 2 spaces before this line and each line of the text after it",
    ),
    "a tab before a field": (
        (CASE, "  country: BR", "\tcountry: BR"),
        f"{CASE}:5:1: error: this line is indented with a tab, and YAML allows only spaces there; replace the "
        "tab with spaces (two for each level)",
    ),
    "a tab and spaces before a field": (
        (CASE, "  name: Porto Alegre", " \tname: Porto Alegre"),
        f"{CASE}:4:2: error: this line is indented with a tab, and YAML allows only spaces there; replace the "
        "tab with spaces (two for each level)",
    ),
    "block of two kinds": (
        (RECIPE, "      - fields: [Date, Question]", "      - fields: [Date, Question]\n        note: Two kinds"),
        f"{RECIPE}:19:9: error: worksheets[0].blocks[0]: a block has exactly one of note, fields, prompt, table, "
        "checklist; this one has note, fields",
    ),
    "number out of range": (
        (RECIPE, "rows: 8", "rows: 80"),
        f"{RECIPE}:20:57: error: worksheets[0].blocks[1].table.rows: must be at most 60, not 80",
    ),
    "too few stakeholders": (
        (TOOLKIT, "  - Teachers\n  - Cleaners\n", ""),
        f"{TOOLKIT}:6:1: error: stakeholders: needs at least 2 items",
    ),
}

NEW_FILES = {
    "bad file-name slug": (
        ("handbook/cases/Porto_Alegre.yaml", "title: Porto Alegre\n"),
        "handbook/cases/Porto_Alegre.yaml:1:1: error: the file name must be a slug: lowercase letters, digits and "
        "single hyphens, at most 64 characters (like porto-alegre.yaml)",
    ),
    "overlay for a missing source": (
        ("handbook/cases/mondragon.es.yaml", "translated_from: 0123456789ab\ntitle: Mondragón\n"),
        "handbook/cases/mondragon.es.yaml:1:1: error: this is a translation of mondragon.yaml, which does not "
        "exist; rename or delete it",
    ),
    "overlay into a language the handbook does not have": (
        ("handbook/cases/porto-alegre.pt.yaml", "translated_from: 0123456789ab\ntitle: Orçamento participativo\n"),
        "handbook/cases/porto-alegre.pt.yaml:1:1: error: this is a translation into 'pt', which is not one of the "
        "languages in handbook.yml (en, es); add it to `languages` there (`handbook i18n add` does it), or rename "
        "or delete this file",
    ),
    "overlay into the language the file is written in": (
        ("handbook/cases/porto-alegre.en.yaml", "translated_from: 0123456789ab\ntitle: Participatory budgeting\n"),
        "handbook/cases/porto-alegre.en.yaml:1:1: error: porto-alegre.yaml is written in 'en' already (its `lang`), "
        "so it needs no translation into it; delete this file, or merge its text into porto-alegre.yaml",
    ),
    "recipe translation with a research finding too many": (
        ("handbook/recipes/who-is-missing.es.yaml",
         "translated_from: 0123456789ab\nresearch:\n  - text: Uno.\n  - text: Dos.\n"),
        "handbook/recipes/who-is-missing.es.yaml:2:1: error: research: has 2 items but the source has 1; keep the "
        "same items in the same order",
    ),
    "a case saved as .yml": (
        ("handbook/cases/mondragon.yml", "title: Mondragon\n"),
        "handbook/cases/mondragon.yml:1:1: error: this file is not read: the files of handbook/cases/ end in .yaml; "
        "rename it to mondragon.yaml",
    ),
    "a page saved as .markdown": (
        ("handbook/pages/about.markdown", "# About\n"),
        "handbook/pages/about.markdown:1:1: error: this file is not read: the files of handbook/pages/ end in .md; "
        "rename it to about.md",
    ),
    "a text file among the toolkits": (
        ("toolkits/notes.txt", "to do\n"),
        "toolkits/notes.txt:1:1: error: this file is not read: toolkits/ holds only .yaml files; rename it to end "
        "in .yaml, or move it out of the folder",
    ),
    "language code that is not one": (
        ("handbook/cases/porto-alegre.e-s.yaml", "title: x\n"),
        "handbook/cases/porto-alegre.e-s.yaml:1:1: error: the file name ends in 'e-s', which is not a language "
        "code (like es or pt-BR)",
    ),
}


def test_a_clean_handbook_passes_and_says_how_many_files_it_checked(
    tiny_handbook: Path, handbook: Handbook
) -> None:
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 0, result.output
    assert result.output == "0 errors in 7 files\n"
    assert handbook(tiny_handbook, "check", "--format", "text").output == result.output


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_contributor_sees_the_exact_line_of_each_mistake(
    tiny_handbook: Path, handbook: Handbook, edit: Edit, mistake: str
) -> None:
    (path, old, new), line = MISTAKES[mistake]
    edit(tiny_handbook / path, old, new)
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert result.output == f"{line}\n1 error in 1 file\n"


@pytest.mark.parametrize("mistake", sorted(NEW_FILES))
def test_a_contributor_who_adds_a_misnamed_file_is_told_why(
    tiny_handbook: Path, handbook: Handbook, mistake: str
) -> None:
    (path, text), line = NEW_FILES[mistake]
    (tiny_handbook / path).write_text(text, encoding="utf-8")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert result.output == f"{line}\n1 error in 1 file\n"


def test_a_folder_in_a_content_folder_is_an_error_and_hidden_files_and_backups_are_not(
    tiny_handbook: Path, handbook: Handbook
) -> None:
    (tiny_handbook / "handbook/recipes/old").mkdir()
    (tiny_handbook / "handbook/recipes/old/who-is-missing.yaml").write_text("title: x\n", encoding="utf-8")
    for name in (".gitkeep", "who-is-missing.yaml~", "#who-is-missing.yaml#"):
        (tiny_handbook / "handbook/recipes" / name).write_text("x\n", encoding="utf-8")
    result = handbook(tiny_handbook, "check")
    assert result.output == ("handbook/recipes/old:1:1: error: this folder is not read: the files of handbook/recipes/ "
                             "sit directly in it; move them up\n1 error in 1 file\n")


def test_an_unused_source_is_a_warning_that_fails_only_with_strict(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    edit(tiny_handbook / CASE, "reviewed:", "  - id: wampler-2007\n    title: Participatory Budgeting in Brazil\n"
         "    year: 2007\nreviewed:")
    warning = (f"{CASE}:34:9: warning: sources[1]: 'wampler-2007' is never cited by an outcome or challenge; "
               "cite it or remove it")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 0
    assert result.output == f"{warning}\n0 errors and 1 warning in 1 file\n"
    strict = handbook(tiny_handbook, "check", "--strict")
    assert strict.exit_code == 1
    assert strict.stdout == f"{warning}\n0 errors and 1 warning in 1 file\n"
    assert strict.stderr == "--strict counts warnings as errors\n"


def test_a_recipe_source_that_nothing_cites_is_a_warning_naming_what_may_cite_it(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    edit(tiny_handbook / RECIPE, "    kind: article\n", "    kind: article\n  - id: einstein-2019\n"
         "    title: Who Participates in Local Government?\n    year: 2019\n")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 0
    assert result.output == (f"{RECIPE}:32:9: warning: sources[1]: 'einstein-2019' is never cited by a research "
                             "finding, step or pitfall; cite it or remove it\n0 errors and 1 warning in 1 file\n")


def test_a_placeholder_that_will_not_be_filled_is_a_warning(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    edit(tiny_handbook / RECIPE, "A map of the people", "A map of the {people}")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 0
    assert result.output == (f"{RECIPE}:3:7: warning: goal: {{people}} is not a placeholder that will be filled; "
                             "use one of {institution}, {place}, {group}\n0 errors and 1 warning in 1 file\n")


def test_every_problem_is_printed_not_just_the_first(tiny_handbook: Path, handbook: Handbook, edit: Edit) -> None:
    for (path, old, new), _ in (MISTAKES["unknown case slug"], MISTAKES["unknown toolkit slug"],
                                MISTAKES["unknown vocabulary value"], MISTAKES["unknown principle"]):
        edit(tiny_handbook / path, old, new)
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        MISTAKES["unknown toolkit slug"][1],
        MISTAKES["unknown vocabulary value"][1],
        MISTAKES["unknown principle"][1],
        MISTAKES["unknown case slug"][1],
        "4 errors in 3 files",
    ]


def test_a_file_that_does_not_load_causes_no_errors_elsewhere(tiny_handbook: Path, handbook: Handbook) -> None:
    (tiny_handbook / CASE).write_text("title: [Porto Alegre\n", encoding="utf-8")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == "1 error in 1 file", result.output  # not in the recipe, toolkit or translation that cite it
    assert lines[0].startswith(f"{CASE}:2:1: error: the YAML is not valid here: ")


def test_json_format_is_a_list_of_problems(tiny_handbook: Path, handbook: Handbook, edit: Edit) -> None:
    (path, old, new), _ = MISTAKES["unknown case slug"]
    edit(tiny_handbook / path, old, new)
    result = handbook(tiny_handbook, "check", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{
        "path": RECIPE, "line": 14, "col": 12, "level": "error", "field": "evidence[0]",
        "message": "'mondragon' is not a known case study (there is no handbook/cases/mondragon.yaml)",
    }]
    edit(tiny_handbook / path, new, old)
    clean = handbook(tiny_handbook, "check", "--format", "json")
    assert clean.exit_code == 0
    assert json.loads(clean.stdout) == []


def test_github_format_is_one_annotation_a_line_and_the_count_goes_to_the_log(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    for mistake in ("unknown case slug", "unknown source id in a claim", "unknown toolkit slug"):
        (path, old, new), _ = MISTAKES[mistake]
        edit(tiny_handbook / path, old, new)
    edit(tiny_handbook / CASE, "reviewed:", "  - id: wampler-2007\n    title: Participatory Budgeting in Brazil\n"
         "    year: 2007\nreviewed:")
    result = handbook(tiny_handbook, "check", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert all(GITHUB_LINE.match(line) for line in lines), lines
    assert lines[0] == ("::error file=handbook.yml,line=4,col=10::toolkit: 'hospital' is not a known toolkit "
                        "(there is no toolkits/hospital.yaml)")
    assert lines[1] == ("::error file=handbook/cases/porto-alegre.yaml,line=19,col=15::outcomes[0].sources[0]: "
                        "'santos-1989' is not a known source id; did you mean 'santos-1998'?")
    assert lines[-1] == ("::error file=handbook/recipes/who-is-missing.yaml,line=14,col=12::evidence[0]: "
                         "'mondragon' is not a known case study (there is no handbook/cases/mondragon.yaml)")
    assert lines[2].startswith("::warning file=handbook/cases/porto-alegre.yaml,line=34,col=9::sources[1]: ")
    assert result.stderr == "3 errors and 1 warning in 3 files\n"


def test_a_misspelt_field_is_named_with_the_field_it_should_be(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    edit(tiny_handbook / CASE, "summary: Residents", "sumary: Residents")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert result.output == (f"{CASE}:1:1: error: summary: is required but missing\n"
                             f"{CASE}:2:1: error: sumary: is not a known field; did you mean 'summary'?\n"
                             "2 errors in 1 file\n")


def test_commas_percent_signs_and_new_lines_are_escaped_for_github(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    (tiny_handbook / "handbook/cases/odd,name.yaml").write_text("title: x\n", encoding="utf-8")
    edit(tiny_handbook / CASE, "scale: city", 'scale: city\n"50%\\nfunded": yes')
    result = handbook(tiny_handbook, "check", "--format", "github")
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(GITHUB_LINE.match(line) for line in lines), lines
    assert lines[0].startswith("::error file=handbook/cases/odd%2Cname.yaml,line=1,col=1::the file name must be")
    assert lines[1].startswith("::error file=handbook/cases/porto-alegre.yaml,line=9,col=1::50%25%0Afunded: is "
                               "not a known field")


def test_a_bad_format_is_a_usage_error(tiny_handbook: Path, handbook: Handbook) -> None:
    result = handbook(tiny_handbook, "check", "--format", "xml")
    assert result.exit_code == 2
    assert "Invalid value for '--format': 'xml' is not one of 'text', 'json', 'github'." in result.output
    assert handbook(tiny_handbook, "check", "--colour").exit_code == 2


def test_root_and_handbook_root_choose_the_folder(tiny_handbook: Path, tmp_path: Path, handbook: Handbook) -> None:
    assert CliRunner().invoke(cli, ["check"], env={"HANDBOOK_ROOT": str(tiny_handbook)}).output == (
        "0 errors in 7 files\n")
    assert CliRunner().invoke(cli, ["-C", str(tiny_handbook), "check"]).exit_code == 0
    elsewhere = handbook(tmp_path / "nowhere", "check")
    assert elsewhere.exit_code == 1
    assert elsewhere.output == (f"Error: no handbook.yml in {(tmp_path / 'nowhere').resolve()}; run this in a "
                                "handbook's folder or pass --root\n")


def test_a_broken_vocabulary_does_not_flood_the_output(tiny_handbook: Path, handbook: Handbook) -> None:
    (tiny_handbook / "handbook/vocabulary.yaml").write_text("scales: [\n", encoding="utf-8")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "1 error in 1 file"


def test_a_broken_handbook_yml_does_not_flood_the_output(tiny_handbook: Path, handbook: Handbook, edit: Edit) -> None:
    edit(tiny_handbook / "handbook.yml", "languages: [en, es]", "languages: [en, es, es]")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert result.output == ("handbook.yml:3:1: error: languages: lists es more than once; write each language "
                             "once\n1 error in 1 file\n")


ODD_VALUES = ["", "[]", "{}", "~", "'x'", "-1", "[[]]", "{a: 1}", "0.5", "[x, y, z, w]", "'{place} TODO'"]


def test_no_change_to_any_line_makes_check_crash(tiny_handbook: Path) -> None:
    """Delete each line of each file in turn, or give it an odd value: `check` reports, it never raises."""
    files = sorted(tiny_handbook.rglob("*.yaml")) + [tiny_handbook / "handbook.yml"]
    for path in files:
        original = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for i, line in enumerate(original):
            start = re.match(r"^(\s*(?:- )?[\w-]+:|\s*- )", line)
            for variant in ["", *(f"{start.group(1).rstrip()} {value}\n" for value in ODD_VALUES if start)]:
                path.write_text("".join([*original[:i], variant, *original[i + 1:]]), encoding="utf-8")
                book = load_handbook(tiny_handbook)
                assert all(p.line >= 1 and p.col >= 1 for p in book.problems)
        path.write_text("".join(original), encoding="utf-8")


# ---------------------------------------------------------------- every problem in one pass


def test_a_type_error_does_not_hide_the_vocabulary_and_source_errors_of_its_file(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    for old, new in (("country: BR", "country: India"), ("sectors: [city-budget]", "sectors: [parks]"),
                     ("reviewed: 2026-11-26", "reviewed: 1996-13-01"),
                     ("    sources: [santos-1998]\nchallenges", "    sources: [santos-1989]\nchallenges"),
                     ("recipes: [who-is-missing]", "recipes: [who-is-mising]")):
        edit(tiny_handbook / CASE, old, new)
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        MISTAKES["country name instead of code"][1].replace("Brazil", "India"),
        f"{CASE}:9:11: error: sectors[0]: 'parks' is not in the sectors vocabulary; use one of city-budget, "
        "community, school, or add it to handbook/vocabulary.yaml",
        MISTAKES["unknown source id in a claim"][1],
        MISTAKES["unknown recipe slug"][1],
        MISTAKES["a month that does not exist"][1],
        "5 errors in 1 file",
    ]


def test_a_value_with_an_error_is_not_checked_again_as_a_reference(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    edit(tiny_handbook / CASE, "recipes: [who-is-missing]", "recipes: [Who_Is_Missing]")
    edit(tiny_handbook / CASE, "scale: city", "scale: [city]")
    result = handbook(tiny_handbook, "check")
    assert result.output.splitlines() == [
        f"{CASE}:8:1: error: scale: must be text, not a list",
        f"{CASE}:25:11: error: recipes[0]: 'Who_Is_Missing' must be a slug: lowercase letters, digits and single "
        "hyphens (like porto-alegre)",
        "2 errors in 1 file",
    ]


def test_every_duplicate_key_tag_and_alias_of_a_file_is_reported_then_the_rest_is_checked(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    edit(tiny_handbook / CASE, "scale: city\n", "scale: city\ntitle: Again\nscale: !!python/object:os.system x\n")
    edit(tiny_handbook / CASE, "  start: 1989\n", "  start: 1989\n  start: 1990\n")
    edit(tiny_handbook / CASE, "story: |", "story: !include story.md\nstorry: |")
    edit(tiny_handbook / CASE, "models: [participatory-budgeting]", "models: [*budgeting, participatory-budgetting]")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    twice = "is written twice in the same map (first on line {}); YAML would silently keep only the last one, " \
            "so merge them into one"
    assert result.output.splitlines() == [
        f"{CASE}:8:3: error: period.start: {twice.format(7)}",
        f"{CASE}:10:1: error: title: {twice.format(1)}",
        f"{CASE}:11:1: error: scale: {twice.format(9)}",
        f"{CASE}:11:8: error: scale: uses the tag !!python/object:os.system; YAML tags are not allowed, write a "
        "plain value (in quotes if it starts with !)",
        f"{CASE}:13:10: error: models[0]: uses the alias *budgeting; anchors and aliases are not allowed, write "
        "the value out in full",
        f"{CASE}:13:22: error: models[1]: 'participatory-budgetting' is not in the models vocabulary; did you "
        "mean 'participatory-budgeting'?",
        f"{CASE}:14:8: error: story: uses the tag !include; YAML tags are not allowed, write a plain value (in "
        "quotes if it starts with !)",
        f"{CASE}:15:1: error: storry: is not a known field; did you mean 'story'?",
        "8 errors in 1 file",
    ]


def test_fields_of_a_map_that_are_not_indented_under_it_are_told_where_they_belong(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    edit(tiny_handbook / CASE, "  name: Porto Alegre\n  country: BR\n", "name: Porto Alegre\ncountry: BR\nlat: 1\n")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    says = "is a field of `place:` on line 3, which is empty because this line is not indented under it; indent " \
           "it: put 2 spaces before it"
    assert result.output.splitlines() == [f"{CASE}:4:1: error: name: {says}", f"{CASE}:5:1: error: country: {says}",
                                          f"{CASE}:6:1: error: lat: {says}", "3 errors in 1 file"]


def test_an_invalid_handbook_yml_brings_no_errors_about_files_that_are_correct(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    (tiny_handbook / "handbook/pages/index.es.md").write_text("# Inicio\n\nHola.\n", encoding="utf-8")
    edit(tiny_handbook / "handbook.yml", "toolkit: school", "toolkit: school\npaper: A4")
    edit(tiny_handbook / OVERLAY, "  - Empieza con", "  - Una lección de más.\n  - Empieza con")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    assert result.output.splitlines() == [  # the translation is still checked: the languages are known
        "handbook.yml:5:8: error: paper: must be one of 'a4' or 'letter', not 'A4'",
        MISTAKES["overlay list of the wrong length"][1],
        "2 errors in 2 files",
    ]
    edit(tiny_handbook / "handbook.yml", "languages: [en, es]", "languages: [en, es, es]")
    assert handbook(tiny_handbook, "check").output.splitlines() == [
        "handbook.yml:3:1: error: languages: lists es more than once; write each language once",
        "handbook.yml:5:8: error: paper: must be one of 'a4' or 'letter', not 'A4'",
        "2 errors in 1 file",
    ]
