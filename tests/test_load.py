"""The loader refuses unsafe or ambiguous YAML, each time with the file, line, column and a sentence to act on.

Each refusal has a fixture in tests/fixtures/load/, or is written by the test when it cannot be committed
(a symbolic link, a file over 1 MiB, bytes that are not UTF-8, a control character).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.load import MAX_BYTES, LoadError, load_yaml, parse_yaml
from generator.validate import load_handbook

Handbook = Callable[..., Result]
Edit = Callable[[Path, str, str], None]
LOAD = Path(__file__).resolve().parent / "fixtures" / "load"

REFUSALS = {
    "syntax-error": "2:20: error: the YAML is not valid here: mapping values are not allowed in this context; "
    "if the text holds a colon followed by a space, put the whole text in quotes",
    "duplicate-key": "7:1: error: summary: is written twice in the same map (first on line 3); "
    "YAML would silently keep only the last one, so merge them into one",
    "anchor": "3:8: error: place: defines the anchor &place; anchors and aliases are not allowed, "
    "write the value out in full",
    "alias": "3:8: error: place: uses the alias *porto-alegre; anchors and aliases are not allowed, "
    "write the value out in full",
    "tag-python-object": "2:8: error: title: uses the tag !!python/object/apply:os.system; YAML tags are not "
    "allowed, write a plain value (in quotes if it starts with !)",
    "tag-include": "3:8: error: story: uses the tag !include; YAML tags are not allowed, write a plain value "
    "(in quotes if it starts with !)",
    "tag-custom": "3:10: error: summary: uses the tag !custom; YAML tags are not allowed, write a plain value "
    "(in quotes if it starts with !)",
    "multiple-documents": "3:1: error: the file holds a second YAML document here (after ---); keep one "
    "document per file",
    "deep-nesting": "2:71: error: the file is nested more than 64 levels deep; no content needs that many levels",
    "merge-key": "4:3: error: place: uses a merge key (<<); write the values out in full",
}


STOPS = {"syntax-error", "multiple-documents", "deep-nesting"}  # the rest of the file is not read


def add_case(root: Path, name: str, content: bytes) -> Path:
    path = root / "handbook" / "cases" / f"{name}.yaml"
    path.write_bytes(content)
    return path


def only_problem(result_output: str, line: str) -> None:
    """The output is exactly this one problem and the count, with no traceback."""
    assert "Traceback" not in result_output
    assert result_output == f"{line}\n1 error in 1 file\n"


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_contributor_sees_why_a_file_is_refused_with_its_path_and_line(
    tiny_handbook: Path, handbook: Handbook, name: str
) -> None:
    add_case(tiny_handbook, name, (LOAD / f"{name}.yaml").read_bytes())
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    if name in STOPS:
        only_problem(result.output, f"handbook/cases/{name}.yaml:{REFUSALS[name]}")
        return
    # the rest of the file is checked in the same run: these fixtures are cut-down cases, missing most fields
    *lines, count = result.output.splitlines()
    refusal = f"handbook/cases/{name}.yaml:{REFUSALS[name]}"
    assert refusal in lines
    missing = re.compile(rf"handbook/cases/{name}\.yaml:\d+:1: error: \w+: is required but missing")
    assert all(missing.fullmatch(line) for line in lines if line != refusal), result.output
    assert count == f"{len(lines)} errors in 1 file"


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_the_loader_refuses_each_fixture_with_the_same_problem(name: str) -> None:
    with pytest.raises(LoadError) as refused:
        load_yaml(LOAD / f"{name}.yaml", LOAD)
    assert refused.value.problem.as_text() == f"{name}.yaml:{REFUSALS[name]}"


def test_a_file_saved_in_another_encoding_is_refused_at_the_first_bad_byte(
    tiny_handbook: Path, handbook: Handbook
) -> None:
    add_case(tiny_handbook, "latin-1", "title: Caf\u00e9 cooperativo\n".encode("latin-1"))
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    only_problem(result.output, "handbook/cases/latin-1.yaml:1:11: error: the file is not saved as UTF-8 text "
                 "(byte 0xe9 here is not UTF-8); open it in your editor and save it again with the UTF-8 encoding")


def test_a_utf8_byte_order_mark_is_fine(tiny_handbook: Path, handbook: Handbook) -> None:
    case = tiny_handbook / "handbook" / "cases" / "porto-alegre.yaml"
    case.write_bytes(b"\xef\xbb\xbf" + case.read_bytes())
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 0, result.output
    doc = load_yaml(LOAD / "bom.yaml")
    assert doc.data == {"title": "Participatory budgeting in Porto Alegre"}
    assert doc.where(("title",)) == (2, 8)  # the mark takes no column


def test_a_file_over_1_mib_is_refused_before_it_is_parsed(tiny_handbook: Path, handbook: Handbook) -> None:
    broken_yaml = b"title: [never closed\n"
    add_case(tiny_handbook, "huge", broken_yaml + b"#" * (MAX_BYTES + 1 - len(broken_yaml)))
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 1
    only_problem(result.output, "handbook/cases/huge.yaml:1:1: error: the file is 1,048,577 bytes, more than the "
                 "limit of 1,048,576 bytes (1 MiB); split it or shorten it")


def test_a_file_of_exactly_1_mib_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    start = b"title: Big\nstory: |\n"
    path.write_bytes(start + b"  " + b"x" * (MAX_BYTES - len(start) - 3) + b"\n")
    assert path.stat().st_size == MAX_BYTES
    assert load_yaml(path).data["title"] == "Big"


def test_a_symbolic_link_is_refused_without_reading_its_target(
    tiny_handbook: Path, tmp_path: Path, handbook: Handbook
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("api_token: SECRET-4242-DO-NOT-PRINT\n", encoding="utf-8")
    os.symlink(secret, tiny_handbook / "handbook" / "cases" / "innocent.yaml")
    os.symlink(secret, tiny_handbook / "handbook" / "pages" / "about.md")
    for fmt in ("text", "json", "github"):
        result = handbook(tiny_handbook, "check", "--format", fmt)
        assert result.exit_code == 1
        assert "SECRET-4242" not in result.output
        assert "Traceback" not in result.output
    result = handbook(tiny_handbook, "check")
    message = "error: the file is a symbolic link, which is not read; replace it with a real file inside the repository"
    assert result.output == (f"handbook/cases/innocent.yaml:1:1: {message}\n"
                             f"handbook/pages/about.md:1:1: {message}\n"
                             "2 errors in 2 files\n")


def test_a_control_character_is_located_even_after_accented_letters(tiny_handbook: Path, handbook: Handbook) -> None:
    add_case(tiny_handbook, "bell", "title: Orçamento participativo \x07\n".encode())
    result = handbook(tiny_handbook, "check")
    only_problem(result.output, "handbook/cases/bell.yaml:1:32: error: the file holds an invisible control "
                 "character (U+0007) that YAML does not allow; delete it")


def test_64_levels_of_nesting_are_allowed() -> None:
    doc = parse_yaml("title: " + "[" * 63 + "]" * 63 + "\n", "ok.yaml")
    depth, value = 2, doc.data["title"]  # the file's map is level 1, the outer list level 2
    while value:
        depth, value = depth + 1, value[0]
    assert depth == 64


def test_yaml_1_1_implicit_typing_keeps_the_text_as_written() -> None:
    doc = load_yaml(LOAD / "implicit-typing.yaml")
    assert doc.data == {"country": "NO", "title": "2024-01-01", "year": "1998", "version": "1.10",
                        "answer": "yes", "empty": None, "quoted": "~"}


def test_norway_stays_norway_and_a_date_like_title_stays_text(
    tiny_handbook: Path, handbook: Handbook, edit: Edit
) -> None:
    edit(tiny_handbook / "handbook" / "cases" / "porto-alegre.yaml", "country: BR", "country: NO")
    edit(tiny_handbook / "toolkits" / "school.yaml", "title: Start it at your school", "title: 2024-01-01")
    result = handbook(tiny_handbook, "check")
    assert result.exit_code == 0, result.output
    book = load_handbook(tiny_handbook)
    assert book.cases["porto-alegre"].model.place.country == "NO"
    assert book.toolkits["school"].model.title == "2024-01-01"
    assert book.cases["porto-alegre"].model.period.start == 1989  # numbers still become numbers where wanted


def test_an_empty_file_and_a_list_are_refused(tiny_handbook: Path, handbook: Handbook) -> None:
    add_case(tiny_handbook, "empty", b"# only a comment\n")
    add_case(tiny_handbook, "a-list", b"- title: A list is not a case\n")
    result = handbook(tiny_handbook, "check")
    assert result.output == (
        "handbook/cases/a-list.yaml:1:1: error: the file must hold a map of fields (name: value)\n"
        "handbook/cases/empty.yaml:1:1: error: the file is empty\n"
        "2 errors in 2 files\n"
    )


def test_positions_count_characters_not_bytes() -> None:
    doc = parse_yaml("títle: ação\nplace:\n  ñame: São Paulo\nlist:\n  - [a, b]\n", "x.yaml")
    assert doc.where(("títle",)) == (1, 8)
    assert doc.where(("place",)) == (2, 1)  # a map written below its key is found at the key
    assert doc.where(("place", "ñame")) == (3, 9)
    assert doc.where(("list", 0, 1)) == (5, 9)
    assert doc.where(("place", "missing")) == (2, 1)  # a missing field: its parent


def test_the_console_script_never_shows_a_traceback(tiny_handbook: Path) -> None:
    for name in REFUSALS:
        shutil.copy(LOAD / f"{name}.yaml", tiny_handbook / "handbook" / "cases" / f"{name}.yaml")
    add_case(tiny_handbook, "latin-1", b"title: Caf\xe9\n")
    script = Path(sys.executable).with_name("handbook")
    done = subprocess.run([str(script), "--root", str(tiny_handbook), "check"], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.endswith(f" errors in {len(REFUSALS) + 1} files\n")


YAMLISH = st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#,? \n\t\u00e9\x07%@`~")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(YAMLISH)
def test_any_text_either_loads_or_is_refused_with_a_located_problem(text: str) -> None:
    try:
        parse_yaml(text, "any.yaml")
    except LoadError as refused:
        problem = refused.problem
        assert problem.line >= 1 and problem.col >= 1
        assert problem.as_text().startswith(f"any.yaml:{problem.line}:{problem.col}: error: ")
