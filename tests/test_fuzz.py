"""Broken contributions, generated: random YAML text, random bytes and random edits of a valid case study go
to the loader and to `handbook check`. The answer is always either success or problems that name a file,
a line and a column: never an exception, never a traceback, and within a time bound for each input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import cli
from generator.load import LoadError, load_yaml, parse_yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASE = "handbook/cases/porto-alegre.yaml"
TIME_BOUND = 2000  # milliseconds for one input, generous for a slow CI machine; a file normally takes a few
FAST = settings(max_examples=150, deadline=TIME_BOUND)
CHECKS = settings(max_examples=40, deadline=TIME_BOUND, suppress_health_check=[HealthCheck.too_slow])
PROBLEM_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (error|warning): .+$")
SUMMARY_LINE = re.compile(r"^\d+ errors? (and \d+ warnings? )?in \d+ files?$")

# The pieces YAML is made of, so that random text reaches deep into the parser rather than failing at once.
TOKENS = ["\n", " ", "  ", "\t", "- ", ": ", ":", "? ", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ", "!!python/",
          "!x ", "|", "|-", ">", "'", '"', "#", "---", "...", "%YAML 1.1", "%TAG ! x", "<<: ", "~", "null", "yes",
          "0x1F", "1e3", "2026-02-30", "title", "sources", "- id: x", "\\", "\\u0000", "\x07", "\ufeff", "é", "𝄞",
          "\u2028", "\r\n", "{{ 7*7 }}", "<script>", "{place}", "TODO"]
YAMLISH = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=5)), max_size=40).map("".join)
TEXT = st.one_of(YAMLISH, st.text(max_size=200))
# What a tool writes unambiguously: YAML 1.1 reads NEL, LS, PS as line breaks and a BOM as a mark, not text.
WRITTEN = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\n\t",
                        exclude_characters="\x85\u2028\u2029\ufeff")
SAFE_KEY = st.text(alphabet=WRITTEN, min_size=1, max_size=8)
STRING_TREES = st.recursive(
    st.text(alphabet=WRITTEN, max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(SAFE_KEY.filter(lambda k: k != "<<"), children, max_size=4),
    max_leaves=20,
)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | st.dates(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
CASE_FIELDS = ["title", "summary", "place", "period", "scale", "sectors", "models", "story", "decisions",
               "participants", "outcomes", "challenges", "lessons", "recipes", "related", "sources", "reviewed",
               "contributors", "unknown"]


def assert_located(problem: Any, path: str) -> None:
    assert problem.path == path
    assert problem.line >= 1 and problem.col >= 1
    assert problem.message


@FAST
@given(TEXT)
def test_any_text_either_loads_or_is_a_located_problem(text: str) -> None:
    try:
        parse_yaml(text, "any.yaml")
    except LoadError as refused:
        assert_located(refused.problem, "any.yaml")
        breaks = sum(text.count(c) for c in "\n\r\x85\u2028\u2029")  # what YAML 1.1 counts as line breaks
        assert refused.problem.line <= breaks + 2


@FAST
@given(STRING_TREES)
def test_yaml_written_by_a_tool_loads_back_exactly(data: Any) -> None:
    """Every scalar stays the text written: nothing is typed, nothing is lost (no anchors, tags or merges)."""
    assert parse_yaml(yaml.safe_dump(data, allow_unicode=True), "any.yaml").data == data


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bytes")


@FAST
@given(st.binary(max_size=300) | TEXT.map(lambda t: t.encode("utf-8")))
def test_any_bytes_either_load_or_are_a_located_problem(folder: Path, raw: bytes) -> None:
    path = folder / "case.yaml"
    path.write_bytes(raw)
    try:
        load_yaml(path, folder)
    except LoadError as refused:
        assert_located(refused.problem, "case.yaml")


# ---------------------------------------------------------------- `handbook check` on a tiny handbook


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the tiny handbook for all examples: each example writes its own case file."""
    return Path(shutil.copytree(FIXTURES / "tiny", tmp_path_factory.mktemp("fuzz") / "tiny"))


def check(root: Path, content: bytes) -> None:
    """Replace the case study with `content`, run `handbook check`, and hold it to its contract."""
    (root / CASE).write_bytes(content)
    result = CliRunner().invoke(cli, ["--root", str(root), "check"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines and SUMMARY_LINE.match(lines[-1]), result.output
    problems = [PROBLEM_LINE.match(line) for line in lines[:-1]]
    assert all(problems), result.output
    errors = [m for m in problems if m and m.group(4) == "error"]
    assert result.exit_code == (1 if errors else 0), result.output
    assert all(m and (root / m.group("path")).exists() for m in problems), result.output


@CHECKS
@given(TEXT)
def test_check_answers_any_case_file_with_located_problems(tiny: Path, text: str) -> None:
    check(tiny, text.encode("utf-8"))


@CHECKS
@given(st.binary(max_size=300))
def test_check_answers_any_bytes_with_located_problems(tiny: Path, raw: bytes) -> None:
    check(tiny, raw)


@CHECKS
@given(st.dictionaries(st.sampled_from(CASE_FIELDS), VALUES, max_size=len(CASE_FIELDS)))
def test_check_answers_a_case_with_fields_of_any_shape(tiny: Path, data: dict[str, Any]) -> None:
    check(tiny, yaml.safe_dump(data, allow_unicode=True).encode("utf-8"))


VALID_CASE = (FIXTURES / "tiny" / CASE).read_text(encoding="utf-8")


@CHECKS
@given(st.data())
def test_check_answers_a_valid_case_after_any_edit(tiny: Path, data: st.DataObject) -> None:
    """A contributor's slip: a piece of the valid case study replaced by a few random YAML pieces."""
    text = VALID_CASE
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 40)))
        text = text[:start] + data.draw(YAMLISH) + text[end:]
    check(tiny, text.encode("utf-8"))
