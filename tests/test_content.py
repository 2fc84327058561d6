"""The bundled handbook's content keeps the promises made to readers (issue: content)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.validate import Handbook, load_handbook

REPO = Path(__file__).resolve().parent.parent
CASES = ["porto-alegre", "mondragon", "john-lewis-partnership", "catalonia-1936",
         "new-york-participatory-budgeting", "benefit-corporations", "somaliland", "kibbutz",
         "summerhill-school", "portugal-school-participatory-budget", "phoenix-school-participatory-budgeting",
         "buurtzorg", "brazil-health-councils", "group-health-cooperative"]
TOOLKITS = ["school", "hospital", "workplace", "neighbourhood"]


@pytest.fixture(scope="module")
def book() -> Handbook:
    return load_handbook(REPO)


def test_check_reports_no_error_and_no_warning(book: Handbook) -> None:
    assert [p.as_text() for p in book.problems] == []


def test_the_case_studies_are_there(book: Handbook) -> None:
    assert sorted(book.cases) == sorted(CASES)


@pytest.mark.parametrize("slug", CASES)
def test_each_case_is_sourced_and_told_fairly(book: Handbook, slug: str) -> None:
    case = book.cases[slug].model
    assert len(case.sources) >= 3, "at least three sources"
    assert len(case.challenges) >= 2, "at least two challenges, told fairly"
    ids = {s.id for s in case.sources}
    for claim in [*case.outcomes, *case.challenges]:
        assert claim.sources and set(claim.sources) <= ids, claim.text
    for source in case.sources:
        assert source.author or source.publisher, f"{source.id} names its author or publisher"
        assert source.url is None or source.url.startswith("https://")
    assert case.lessons and case.reviewed


def test_at_least_ten_recipes_each_with_a_worksheet_and_evidence(book: Handbook) -> None:
    assert len(book.recipes) >= 10
    for slug, entry in book.recipes.items():
        recipe = entry.model
        assert recipe.worksheets, f"{slug} has a worksheet"
        assert recipe.pitfalls, f"{slug} has pitfalls"
        assert recipe.evidence, f"{slug} names evidence"
        assert any(step.worksheet for step in recipe.steps), f"{slug} uses its worksheet in a step"


@pytest.mark.parametrize("slug", TOOLKITS)
def test_each_toolkit_path_resolves(book: Handbook, slug: str) -> None:
    toolkit = book.toolkits[slug].model
    assert len(toolkit.stakeholders) >= 5
    assert toolkit.decisions
    assert all(r in book.recipes for r in toolkit.recipes)
    assert all(c in book.cases for c in toolkit.cases)


def test_spanish_is_complete_and_portuguese_covers_porto_alegre_and_the_school_path(book: Handbook) -> None:
    for kind in ("case", "recipe", "toolkit"):
        for slug in book.entries(kind):
            assert book.localized(kind, slug, "es")[1] == "translated", f"{kind} {slug} in es"
    assert all("es" in files for files in book.pages.values())
    wanted = [("case", "porto-alegre"), ("toolkit", "school")]
    wanted += [("recipe", r) for r in book.toolkits["school"].model.recipes]
    for kind, slug in wanted:
        assert book.localized(kind, slug, "pt")[1] == "translated", f"{kind} {slug} in pt"


def test_every_content_file_parses_without_libyaml_too() -> None:
    """`check` must agree on every machine: PyYAML's pure-Python parser is stricter than libyaml in places."""
    files = sorted([*REPO.glob("handbook/**/*.yaml"), *REPO.glob("toolkits/*.yaml"), REPO / "handbook.yml"])
    assert len(files) > 40
    for path in files:
        list(yaml.parse(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader))
