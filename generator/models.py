"""The content model (schema v1): strict pydantic models, one per kind of file.

Descriptions and examples here are the field reference: the JSON Schema and the site's
"Fields" page are generated from them.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
LANG_PATTERN = r"^[a-z]{2,3}(-[A-Z]{2})?$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Markdown = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
Question = Annotated[str, StringConstraints(min_length=1, max_length=300)]  # aim for 200; room for translations
Year = Annotated[int, Field(ge=1, le=2200)]
# patterns are read by Python and by every JSON Schema validator (ECMA-262): no escape that one of them refuses
HttpsUrl = Annotated[str, StringConstraints(pattern=r'^https://[^\s<>"]+$', max_length=2000)]
AnyUrl = Annotated[str, StringConstraints(pattern=r'^https?://[^\s<>"]+$', max_length=2000)]
Lang = Annotated[str, StringConstraints(pattern=LANG_PATTERN)]


class Strict(BaseModel):
    """Base of every model: unknown fields are errors, text is kept exactly as written."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=True)


# ---------------------------------------------------------------- case studies

QUESTIONS = 3  # a case's discussion questions: a handout is one sheet, and a meeting has time for three


class Place(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)] = Field(
        description="Where it happened, as a reader would name it.", examples=["Porto Alegre"])
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 country code, in capitals.", examples=["BR"])
    region: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = Field(
        None, description="Region, state or province.", examples=["Rio Grande do Sul"])
    lat: Annotated[float, Field(ge=-90, le=90)] | None = Field(
        None, description="Latitude in decimal degrees.", examples=[-30.03])
    lon: Annotated[float, Field(ge=-180, le=180)] | None = Field(
        None, description="Longitude in decimal degrees.", examples=[-51.23])


class Period(Strict):
    start: Year = Field(description="Year it began.", examples=[1989])
    end: Year | None = Field(None, description="Year it ended; leave out while it still runs.", examples=[2017])

    @model_validator(mode="after")
    def _end_after_start(self) -> Period:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Claim(Strict):
    text: Markdown = Field(description="The claim, in Markdown.",
                           examples=["Spending shifted towards poorer districts."])
    sources: list[Slug] = Field(min_length=1, description="Ids of the sources (in this file) that back it.",
                                examples=[["santos-1998"]])


class Finding(Claim):
    """Each finding says what studies found on one point, with its sources and how strong the evidence is."""

    text: Markdown = Field(description="What the studies found, in your own words (Markdown).",
                           examples=["In experiments, women had less voice than men unless the decision rule "
                                     "protected them."])
    strength: Literal["supported", "mixed", "thin"] = Field(
        description="How strong the evidence is: `supported` (studies agree), `mixed` (they disagree, or it "
        "depends on conditions) or `thin` (few or weak studies, or none of this practice itself).",
        examples=["mixed"])


class Source(Strict):
    id: Slug = Field(description="Short id, unique in the file, used in claims.", examples=["santos-1998"])
    title: Annotated[str, StringConstraints(min_length=1, max_length=400)] = Field(
        description="Title of the work.", examples=["Participatory budgeting in Porto Alegre"])
    year: Year = Field(description="Year of publication.", examples=[1998])
    author: Annotated[str, StringConstraints(min_length=1, max_length=400)] | None = Field(
        None, description="Author or authors.", examples=["Boaventura de Sousa Santos"])
    publisher: Annotated[str, StringConstraints(min_length=1, max_length=400)] | None = Field(
        None, description="Publisher, journal or organisation.", examples=["Politics & Society"])
    url: HttpsUrl | None = Field(None, description="Where to read it (https only).",
                                 examples=["https://doi.org/10.1177/0032329298026004003"])
    kind: Literal["book", "report", "article", "web", "video", "law"] | None = Field(
        None, description="What sort of source it is.", examples=["article"])


class Case(Strict):
    """A case study: `handbook/cases/<slug>.yaml`."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=120)] = Field(
        description="Title of the case study (plain text).", examples=["Participatory budgeting in Porto Alegre"])
    summary: Annotated[str, StringConstraints(min_length=1, max_length=400)] = Field(
        description="One or two sentences shown on cards (plain text).")
    place: Place = Field(description="Where it happened.")
    period: Period = Field(description="When it happened.")
    scale: str = Field(description="How big it is: a value of the `scales` vocabulary.", examples=["city"])
    sectors: list[str] = Field(min_length=1, description="Values of the `sectors` vocabulary.",
                               examples=[["city-budget"]])
    models: list[str] = Field(min_length=1, description="Values of the `models` vocabulary.",
                              examples=[["participatory-budgeting"]])
    story: Markdown = Field(description="What happened, in order (Markdown).")
    decisions: Markdown = Field(description="How decisions are made: who takes part, how, how often (Markdown).")
    participants: Markdown | None = Field(None, description="Who takes part and how many (Markdown).")
    outcomes: list[Claim] = Field(min_length=1, description="What it achieved, each claim with sources.")
    challenges: list[Claim] = Field(min_length=1, description="Criticisms, limits, decline, each with sources.")
    lessons: list[Text] = Field(min_length=1, description="What a local group can take from it (plain text).")
    questions: list[Question] = Field(
        [], max_length=QUESTIONS, description="Up to three questions for a group to discuss at a meeting: what "
        "would this case mean for us? Plain text, drawn from what this file says (they add no fact of their own); "
        "aim for under 200 characters each (the limit, translations included, is 300). Shown on the case's page, "
        "its handout and in the book.",
        examples=[["Who would follow our decision through to the end, and report back to us?"]])
    recipes: list[Slug] = Field([], description="Slugs of recipes to try it yourself.",
                                examples=[["small-participatory-budget"]])
    related: list[Slug] = Field([], description="Slugs of related case studies.", examples=[["mondragon"]])
    sources: list[Source] = Field(min_length=1, description="The works that back every claim.")
    reviewed: datetime.date = Field(description="When the facts were last checked against the sources.",
                                    examples=["2026-11-26"])
    contributors: list[Text] = Field([], description="Who wrote or reviewed it.")
    lang: Lang | None = Field(
        None, description="The language this file is written in, a code listed in `languages` in handbook.yml "
        "(default: the first of them). Translations of it into other languages are `<slug>.<lang>.yaml`.",
        examples=["es"])


# ---------------------------------------------------------------- recipes


class Step(Strict):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(description="Short step title.")
    text: Markdown = Field(description="What to do (Markdown).")
    time: Text | None = Field(None, description="How long it takes.", examples=["20 minutes"])
    worksheet: Slug | None = Field(None, description="Id of a worksheet of this recipe used at this step.")
    sources: list[Slug] = Field([], description="Ids of the recipe's sources that back this step's advice.",
                                examples=[["ostrom-1990"]])


class Pitfall(Strict):
    pitfall: Text = Field(description="What tends to go wrong (plain text).")
    remedy: Markdown = Field(description="What to do about it (Markdown).")
    sources: list[Slug] = Field([], description="Ids of the recipe's sources that back the remedy.",
                                examples=[["spada-vreeland-2013"]])


class Prompt(Strict):
    text: Text = Field(description="The question to answer.")
    lines: Annotated[int, Field(ge=1, le=30)] = Field(4, description="How many writing lines to leave.")


class Table(Strict):
    columns: list[Annotated[str, StringConstraints(min_length=1, max_length=80)]] = Field(
        min_length=1, max_length=8, description="Column headings.")
    rows: Annotated[int, Field(ge=1, le=60)] = Field(6, description="How many blank rows.")


class Block(Strict):
    """One block of a worksheet: exactly one of its fields is set."""

    note: Text | None = Field(None, description="A paragraph of guidance (plain text).")
    fields: list[Annotated[str, StringConstraints(min_length=1, max_length=80)]] | None = Field(
        None, min_length=1, description="Short labelled blanks.", examples=[["Date", "Place", "Facilitator"]])
    prompt: Prompt | None = Field(None, description="A question with lines to write on.")
    table: Table | None = Field(None, description="A table with blank rows.")
    checklist: list[Text] | None = Field(None, min_length=1, description="Items to tick.")

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = ("note", "fields", "prompt", "table", "checklist")
            present = [k for k in known if k in data]
            if len(present) != 1 and not (set(data) - set(known)):
                raise ValueError(f"a block has exactly one of {', '.join(known)}; "
                                 f"this one has {', '.join(present) or 'none'}")
        return data

    @property
    def kind(self) -> str:
        for name in ("note", "fields", "prompt", "table", "checklist"):
            if getattr(self, name) is not None:
                return name
        raise AssertionError("validated blocks always have a kind")


class Worksheet(Strict):
    id: Slug = Field(description="Id, unique in the recipe; steps refer to it.", examples=["stakeholder-map"])
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(description="Sheet title.")
    intro: Text | None = Field(None, description="One or two sentences at the top (plain text).")
    blocks: list[Block] = Field(min_length=1, description="What the sheet holds, in order.")


class Recipe(Strict):
    """An action recipe: `handbook/recipes/<slug>.yaml`."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=120)] = Field(description="Recipe title.")
    summary: Annotated[str, StringConstraints(min_length=1, max_length=400)] = Field(description="Shown on cards.")
    goal: Markdown = Field(description="What it achieves (Markdown).")
    time: Text = Field(description="How long it takes.", examples=["2 hours, then monthly"])
    people: Text | None = Field(None, description="How many people.", examples=["6-40"])
    difficulty: Literal["starter", "intermediate", "advanced"] = Field(description="How hard it is.")
    principles: list[str] = Field([], description="Values of the `principles` vocabulary.")
    you_need: list[Text] = Field([], description="What to bring.")
    steps: list[Step] = Field(min_length=1, description="What to do, in order.")
    pitfalls: list[Pitfall] = Field([], description="What goes wrong, and remedies.")
    evidence: list[Slug] = Field([], description="Slugs of cases where this worked, or failed.")
    research: list[Finding] = Field([], description="What the research says about the advice, where it backs it "
                                    "and where the evidence is mixed or thin.")
    worksheets: list[Worksheet] = Field([], description="Printable sheets for meetings.")
    sources: list[Source] = Field([], description="Studies and reviews behind the advice, cited by `research`, "
                                  "steps and pitfalls.")
    lang: Lang | None = Field(
        None, description="The language this file is written in, a code listed in `languages` in handbook.yml "
        "(default: the first of them). Translations of it into other languages are `<slug>.<lang>.yaml`.",
        examples=["es"])


# ---------------------------------------------------------------- toolkits


class Toolkit(Strict):
    """A toolkit for one kind of place: `toolkits/<slug>.yaml`."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=120)] = Field(
        description="Title.", examples=["Start it at your school"])
    institution: Annotated[str, StringConstraints(min_length=1, max_length=80)] = Field(
        description="The word for the place; fills `{institution}`.", examples=["school"])
    summary: Annotated[str, StringConstraints(min_length=1, max_length=400)] = Field(description="Shown on cards.")
    intro: Markdown = Field(description="Introduction (Markdown).")
    stakeholders: list[Text] = Field(min_length=2, description="Everyone affected there.",
                                     examples=[["Pupils", "Teachers", "Cleaners"]])
    decisions: list[Text] = Field([], description="Examples of what such a group can decide.")
    recipes: list[Slug] = Field(min_length=1, description="The path: recipe slugs in order.")
    cases: list[Slug] = Field([], description="Slugs of related case studies.")
    lang: Lang | None = Field(
        None, description="The language this file is written in, a code listed in `languages` in handbook.yml "
        "(default: the first of them). Translations of it into other languages are `<slug>.<lang>.yaml`.",
        examples=["es"])


# ---------------------------------------------------------------- settings and vocabulary


LocalText = str | dict[Lang, Annotated[str, StringConstraints(min_length=1)]]
FormWord = Annotated[str, StringConstraints(pattern=r"^[^\W\d_]{1,20}$")]
Forms = dict[FormWord, Annotated[str, StringConstraints(min_length=1, max_length=200)]]


class Settings(Strict):
    """The handbook's settings: `handbook.yml` (a forker edits this)."""

    title: LocalText = Field(description="Site title, or a map of language to title.",
                             examples=["Decide it together"])
    description: LocalText | None = Field(None, description="One line about the handbook.")
    languages: list[Lang] = Field(["en"], min_length=1, description="Languages; the first is the source.",
                                  examples=[["en", "es", "pt"]])
    publish: list[Lang] | None = Field(
        None, description="Languages to build and publish (default: all of `languages`); a local fork in "
        "Spanish publishes [es] while its sources stay in English.", examples=[["es"]])
    complete_languages: list[Lang] = Field(
        [], description="Languages whose UI strings must all be translated (checked by the tests).")
    site_url: AnyUrl | None = Field(None, description="Where the site is published.")
    repo_url: AnyUrl | None = Field(None, description="The repository, for 'edit this page' links.")
    edit_branch: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._/-]+$")] = Field(
        "main", description="Branch that 'edit this page' links point at.")
    licence: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.+-]+$")] = Field(
        "CC-BY-SA-4.0", description="SPDX id of the content licence.")
    paper: Literal["a4", "letter"] = Field("letter", description="Your usual paper: its print link comes first "
                                           "(worksheets are built in both sizes).")
    place: Text | None = Field(None, description="A fork's place; fills `{place}`.", examples=["Barcelona"])
    group: Text | None = Field(None, description="A fork's group; fills `{group}`.",
                               examples=["Hospital del Mar staff and patients"])
    toolkit: Slug | None = Field(None, description="The toolkit featured on the home page.", examples=["school"])
    group_forms: dict[Lang, Forms] | None = Field(
        None, description="Per language, how `group` reads after a word such as 'de' or 'en', for the "
        "placeholders `{group:de}` and `{group:en}`; without a form, the word is put before the name.",
        examples=[{"es": {"de": "del Hospital del Mar", "en": "en el Hospital del Mar"}}])
    place_forms: dict[Lang, Forms] | None = Field(
        None, description="Per language, how `place` reads after a word, for `{place:en}` and the like.",
        examples=[{"es": {"de": "de La Rioja"}}])

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, languages: list[str]) -> list[str]:
        twice = sorted({lang for lang in languages if languages.count(lang) > 1})
        if twice:
            raise ValueError(f"lists {', '.join(twice)} more than once; write each language once")
        return languages

    @model_validator(mode="after")
    def _publish_in_languages(self) -> Settings:
        unknown = [lang for lang in self.publish or [] if lang not in self.languages]
        if unknown:
            raise ValueError(f"publish lists {', '.join(unknown)}, which is not in languages")
        return self

    @property
    def published(self) -> list[str]:
        """The languages a build publishes, in the order of `languages`."""
        return [lang for lang in self.languages if self.publish is None or lang in self.publish]

    def text(self, value: LocalText | None, lang: str) -> str:
        """A setting in `lang`, falling back to the source language."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        return value.get(lang) or value.get(self.languages[0]) or next(iter(value.values()), "")


Labels = dict[Lang, Annotated[str, StringConstraints(min_length=1, max_length=120)]]


class Vocabulary(Strict):
    """Controlled vocabularies: `handbook/vocabulary.yaml`, a label per value and language."""

    scales: dict[Slug, Labels] = Field(description="Values of a case's `scale`.")
    sectors: dict[Slug, Labels] = Field(description="Values of a case's `sectors`.")
    models: dict[Slug, Labels] = Field(description="Values of a case's `models`.")
    principles: dict[Slug, Labels] = Field(description="Values of a recipe's `principles`.")

    def label(self, vocab: str, value: str, lang: str, source_lang: str = "en") -> str:
        labels: dict[str, str] = getattr(self, vocab).get(value, {})
        return labels.get(lang) or labels.get(source_lang) or next(iter(labels.values()), value)


# The fields that take the values of a vocabulary, by kind: checked by `handbook check`, enums in the JSON Schemas.
VOCABULARY_FIELDS: dict[str, dict[str, str]] = {
    "case": {"scale": "scales", "sectors": "sectors", "models": "models"},
    "recipe": {"principles": "principles"},
}


KINDS: dict[str, type[Strict]] = {
    "case": Case,
    "recipe": Recipe,
    "toolkit": Toolkit,
    "handbook": Settings,
    "vocabulary": Vocabulary,
}


# ---------------------------------------------------------------- translation overlays
# An overlay `<slug>.<lang>.yaml` holds only translatable text, in the source's structure.
# Every field is optional: what is left out falls back to the source language.

Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{12}$")]


class _Overlay(Strict):
    translated_from: Digest = Field(description="Digest of the source's translatable text, from "
                                    "`handbook i18n status`.", examples=["3f2a9c0d41be"])


class PlaceOverlay(Strict):
    name: str | None = None
    region: str | None = None


class ClaimOverlay(Strict):
    text: str | None = None


class CaseOverlay(_Overlay):
    """A translation of a case study: `handbook/cases/<slug>.<lang>.yaml`."""

    title: str | None = None
    summary: str | None = None
    place: PlaceOverlay | None = None
    story: str | None = None
    decisions: str | None = None
    participants: str | None = None
    outcomes: list[ClaimOverlay] | None = None
    challenges: list[ClaimOverlay] | None = None
    lessons: list[str] | None = None
    questions: list[str] | None = None


class StepOverlay(Strict):
    title: str | None = None
    text: str | None = None
    time: str | None = None


class PitfallOverlay(Strict):
    pitfall: str | None = None
    remedy: str | None = None


class PromptOverlay(Strict):
    text: str | None = None


class TableOverlay(Strict):
    columns: list[str] | None = None


class BlockOverlay(Strict):
    note: str | None = None
    fields: list[str] | None = None
    prompt: PromptOverlay | None = None
    table: TableOverlay | None = None
    checklist: list[str] | None = None


class WorksheetOverlay(Strict):
    title: str | None = None
    intro: str | None = None
    blocks: list[BlockOverlay] | None = None


class RecipeOverlay(_Overlay):
    """A translation of a recipe: `handbook/recipes/<slug>.<lang>.yaml`."""

    title: str | None = None
    summary: str | None = None
    goal: str | None = None
    time: str | None = None
    people: str | None = None
    you_need: list[str] | None = None
    steps: list[StepOverlay] | None = None
    pitfalls: list[PitfallOverlay] | None = None
    research: list[ClaimOverlay] | None = None
    worksheets: list[WorksheetOverlay] | None = None


class ToolkitOverlay(_Overlay):
    """A translation of a toolkit: `toolkits/<slug>.<lang>.yaml`."""

    title: str | None = None
    institution: str | None = None
    summary: str | None = None
    intro: str | None = None
    stakeholders: list[str] | None = None
    decisions: list[str] | None = None


OVERLAYS: dict[str, type[_Overlay]] = {"case": CaseOverlay, "recipe": RecipeOverlay, "toolkit": ToolkitOverlay}
