"""Render the validated handbook into plain Markdown pages for one language (`build/<lang>/docs/`).

Contributed Markdown goes into the pages as Markdown, with raw HTML escaped (`markdown_text`), and MkDocs
converts it with the rest of the page: one conversion per page, and MkDocs checks its links (strict mode).
The page HTML MkDocs makes is then cleaned against an allow-list (`mkdocs_hooks.on_page_content`), so
contributed text can never emit raw HTML, script or a link that is not http(s), mailto or relative.
Contributed plain text is escaped by the autoescaping templates (and `mdtext` where Markdown reads it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from markupsafe import Markup, escape

from .errors import HandbookError
from .languages import language_name
from .models import Case, Recipe, Source, Toolkit
from .paths import (  # noqa: F401
    ASSETS,
    CLI_PAGE,
    DATA_PAGE,
    FIELDS_PAGE,
    FOLDERS,
    PAGE_FOLDERS,
    PAGES_FOLDER,
    REFERENCE_PAGES,
    page_paths,
)
from .reference import reference_pages
from .templating import LOCALES, environment, fill, placeholder_values, render, ui_gettext
from .text import (  # noqa: F401 - also used from here by tests and links
    commonmark_lists,
    in_lang,
    list_item,
    markdown_text,
    md_escape,
    mdtext,
    span_lang,
)
from .validate import Handbook


def _says(text: str, words: str) -> bool:
    """Whether `text` holds `words` as whole words, ignoring case ("Basque Country" says "Basque", not "Bas")."""
    text, words = text.casefold(), words.casefold()
    start = text.find(words)
    while start >= 0:
        end = start + len(words)
        if not (start and _word_char(text[start - 1])) and not (end < len(text) and _word_char(text[end])):
            return True
        start = text.find(words, start + 1)
    return False


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


@dataclass
class RenderResult:
    """What rendering one language produced: the pages written, and the source file behind each page."""

    pages: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


BOOK_PAGES = ("index", "how-to-use")  # the prose pages that link to the handbook as a book


class Renderer:
    """Renders every page of one language; one instance per language build."""

    def __init__(self, book: Handbook, lang: str, print_links: bool = True, commands: Any = None) -> None:
        self.book = book
        self.commands = commands  # the `handbook` Click group, for the command-line reference page
        self.lang = lang
        self.print_links = print_links
        self.env = environment(book.root, "pages", lang)
        self.env.filters["mdtext"] = mdtext
        self.env.filters["inlang"] = span_lang
        # print links, the handbook's own paper first (`paper` in handbook.yml)
        self.gettext = ui_gettext(book.root, lang)
        papers = [("a4", "A4"), ("letter", self._("Letter"))]  # `self._`: `make i18n` finds the string
        self.env.globals["papers"] = sorted(papers, key=lambda p: p[0] != book.settings.paper)
        self.output: dict[str, str] = {}
        self.values = placeholder_values(book.root, book.settings, lang, self._fork_institution())
        try:
            self.locale: Locale | None = Locale.parse(lang.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            self.locale = None
        self.titles = {kind: {slug: self._title(kind, slug) for slug in book.entries(kind)}
                       for kind in ("case", "recipe", "toolkit")}
        self.cited = _citations(book)
        self.assets = dict(_assets(book.root))
        self._reference: dict[str, str] = {}
        self._shared_inputs: str | None = None

    # ------------------------------------------------------------ helpers

    def _fork_institution(self) -> str | None:
        settings = self.book.settings
        if (settings.place or settings.group) and settings.toolkit in self.book.toolkits:
            model, _ = self.book.localized("toolkit", settings.toolkit, self.lang)
            return str(model.institution)
        return None

    def _(self, text: str, **kw: Any) -> str:
        return str(self.gettext(text, **kw))

    def label(self, vocab: str, value: str) -> str:
        return self.book.vocabulary.label(vocab, value, self.lang, self.book.source_lang)

    def country(self, code: str) -> str:
        return str(self.locale.territories.get(code, code)) if self.locale else code

    def md(self, text: str | None, values: dict[str, str] | None = None) -> Markup:
        """Contributed Markdown with its placeholders filled (when `values` is given)."""
        if not text:
            return Markup("")
        if values is not None:  # the values are plain text: their `*`, `_` or `[` must not become Markdown
            text = fill(text, {name: md_escape(value) for name, value in values.items()})
        return markdown_text(text)

    def edit_url(self, relpath: str) -> str | None:
        repo = self.book.settings.repo_url
        if not repo:
            return None
        return f"{str(repo).rstrip('/')}/edit/{self.book.settings.edit_branch}/{relpath}"

    def _source_file(self, kind: str, slug: str) -> str:
        overlay = self.book.overlays.get((kind, slug, self.lang))
        return overlay.doc.path if overlay else f"{FOLDERS[kind]}/{slug}.yaml"

    def write(self, relpath: str, text: str) -> None:
        self.output[relpath] = text

    def template(self, name: str, **context: Any) -> str:
        context.setdefault("lang_of", _nowhere)
        context.setdefault("source_name", "")
        context.setdefault("partial", False)
        return render(self.env, "pages", name, **context)

    # ------------------------------------------------------------ pages

    def plan(self) -> list[str]:
        """Every file of the language's `docs/` folder (pages and our assets), in the order MkDocs reads them."""
        return sorted(page_paths(self.book) | set(self.assets), key=mkdocs_order)

    def _made_from(self, path: str) -> tuple[str, str]:
        """What a planned page shows: (kind, slug) of a case, recipe or toolkit; ("prose", name) of a page
        of `handbook/pages/` (even one named like a reference page); else ("", path)."""
        folder, _, name = path.rpartition("/")
        stem = name[: -len(".md")]
        kind = next((k for k, f in PAGE_FOLDERS.items() if f == folder), "")
        if kind and stem != "index":
            return kind, stem
        if not folder and stem in self.book.pages:
            return "prose", stem
        return "", path

    def inputs(self, path: str) -> str | None:
        """A digest of everything a case page shows, for a caller that keeps pages between renderings (the
        preview): the same digest, the same bytes. None for the other pages, which are made every time.

        A case page shows its own file and its translation into this language, the titles of the recipes and
        cases it names and of the pages that cite it, and what every page of the language shares: the settings,
        the vocabulary, the page templates and the UI catalogue (`case_page`)."""
        kind, slug = self._made_from(path)
        if kind != "case":
            return None
        if self._shared_inputs is None:
            shared = hashlib.sha256(repr((self.lang, self.print_links, self.book.settings.model_dump_json(),
                                          self.book.vocabulary.model_dump_json())).encode())
            for folder in (self.book.root / "templates" / "pages", self.book.root / LOCALES / self.lang):
                for file in sorted(folder.rglob("*")):
                    if file.is_file():
                        shared.update(file.as_posix().encode() + b"\0" + file.read_bytes())
            self._shared_inputs = shared.hexdigest()
        entry = self.book.cases[slug]
        overlay = self.book.overlays.get(("case", slug, self.lang))
        case, state = self.book.localized("case", slug, self.lang)
        shown = (self._shared_inputs, entry.doc.path, entry.doc.data, state,
                 (overlay.doc.path, overlay.doc.data, overlay.untranslated) if overlay else None,
                 [self.title("recipe", r) for r in case.recipes], [self.title("case", c) for c in case.related],
                 self._cited_by("case", slug))
        return hashlib.sha256(repr(shown).encode()).hexdigest()

    def made_from(self, path: str) -> set[str]:
        """The content files a page of a case, recipe or toolkit is made from: its own, and its translation
        into this language if there is one (empty for other pages)."""
        kind, slug = self._made_from(path)
        if kind not in ("case", "recipe", "toolkit"):
            return set()
        overlay = self.book.overlays.get((kind, slug, self.lang))
        return {self.book.entries(kind)[slug].doc.path} | ({overlay.doc.path} if overlay else set())

    def source_of(self, path: str) -> str | None:
        """The content file a planned page is made from (what MkDocs' messages should name), if any."""
        kind, name = self._made_from(path)
        if kind == "prose":
            return self._prose_file(name)[0]
        return self._source_file(kind, name) if kind else None

    def page(self, path: str) -> bytes:
        """Render one file of the plan."""
        if path in self.assets:
            return self.assets[path]
        kind, name = self._made_from(path)
        if kind:
            {"case": self.case_page, "recipe": self.recipe_page, "toolkit": self.toolkit_page,
             "prose": self.prose_page}[kind](name)
        elif path == "cases/index.md":
            self.cases_index()
        elif path == "recipes/index.md":
            self.list_index("recipes", self._("Action recipes"),
                            self._("Step-by-step ways to start and run a group that decides together."))
        elif path == "toolkits/index.md":
            self.list_index("toolkits", self._("Toolkits"),
                            self._("Where to start, for your kind of place: a path of recipes to follow."))
        elif path in REFERENCE_PAGES:  # fields, command line, open data: made together, once
            if not self._reference:
                self._reference = reference_pages(self.book, self.lang, self._, self.commands)
            self.write(path, self._reference[path])
        if path not in self.output:
            raise HandbookError(f"{path} is planned but no page is made for it (this is a bug: please report it)")
        return self.output.pop(path).encode("utf-8")

    def translation(self, kind: str, slug: str) -> tuple[Any, dict[str, Any]]:
        """The model of a case, recipe or toolkit in this language, and what its page template needs to tell the
        reader which text is not in it: the state, the name of the file's own language, `partial`, and
        `lang_of(*loc)`: the language of the text at a location when it is not this page's, else ''."""
        model, state = self.book.localized(kind, slug, self.lang)
        own = self.book.own_lang(kind, slug)
        overlay = self.book.overlays.get((kind, slug, self.lang))
        left = overlay.untranslated if overlay is not None and state != "missing" else ()

        def lang_of(*loc: str | int) -> str:
            if state == "missing":
                return own
            return own if any(loc[:len(u)] == u for u in left) else ""

        return model, {"state": state, "partial": bool(left), "lang_of": lang_of,
                       "source_name": language_name(own, self.lang, capital=False)}

    def _title(self, kind: str, slug: str) -> str:
        model, _ = self.book.localized(kind, slug, self.lang)
        if kind == "case":
            return str(model.title)
        values = self.values
        if kind == "toolkit":
            values = placeholder_values(self.book.root, self.book.settings, self.lang, model.institution)
        return fill(model.title, values)

    def title(self, kind: str, slug: str) -> str:
        return self.titles[kind][slug]

    def _card_langs(self, kind: str, slug: str) -> tuple[str, str]:
        """The languages of a card's title and summary when they are not this page's (else '')."""
        _, told = self.translation(kind, slug)
        return told["lang_of"]("title"), told["lang_of"]("summary")

    def _cited_by(self, kind: str, slug: str) -> list[dict[str, str]]:
        """Pages that point at this case or recipe: related cases, recipes, toolkits (in that order)."""
        here = PAGE_FOLDERS[kind]
        out = []
        for other_kind, other in self.cited.get((kind, slug), ()):
            folder = PAGE_FOLDERS[other_kind]
            href = f"{other}.md" if folder == here else f"../{folder}/{other}.md"
            out.append({"title": self.title(other_kind, other), "href": href})
        return out

    def period(self, case: Case) -> str:
        if case.period.end is None:
            return self._("since %(start)s", start=case.period.start)
        if case.period.end == case.period.start:
            return str(case.period.start)
        return f"{case.period.start}–{case.period.end}"

    def place(self, case: Case) -> str:
        """Name, region, country, each once: a region or country the name already says is left out."""
        shown: list[str] = []
        for part in (case.place.name, case.place.region, self.country(case.place.country)):
            if part and not any(_says(earlier, part) for earlier in shown):
                shown.append(part)
        return ", ".join(shown)

    def date(self, value: Any) -> str:
        return format_date(value, format="long", locale=self.locale) if self.locale else value.isoformat()

    def case_page(self, slug: str) -> None:
        case, told = self.translation("case", slug)
        lang_of = told["lang_of"]
        cite = Citations(case.sources)

        def claims(group: str) -> list[Markup]:
            return [cite.claim(span_lang(self.md(c.text), lang_of(group, i, "text")), c.sources)
                    for i, c in enumerate(getattr(case, group))]

        def block(name: str) -> Markup:
            return in_lang(self.md(getattr(case, name)), lang_of(name))

        source = self._source_file("case", slug)
        context = {
            **told, "case": case, "edit_url": self.edit_url(source),
            # Material prints tag names as HTML, unescaped: they go into the front matter escaped.
            "tags": [str(escape(self.label("sectors", s))) for s in case.sectors]
            + [str(escape(self.label("models", m))) for m in case.models],
            # each tag leads to the case index filtered by it (templates/overrides/partials/tags.html)
            "tag_links": {**{str(escape(self.label("sectors", s))): f"index.html?sector={s}" for s in case.sectors},
                          **{str(escape(self.label("models", m))): f"index.html?model={m}" for m in case.models}},
            # the search's facets, as the case filter names them (search.search_marks; mkdocs_hooks._searchable)
            "facets": {"sector": [self.label("sectors", s) for s in case.sectors],
                       "model": [self.label("models", m) for m in case.models],
                       "scale": [self.label("scales", case.scale)], "country": [self.country(case.place.country)]},
            "place": self.place(case), "period": self.period(case), "scale": self.label("scales", case.scale),
            "sectors": [self.label("sectors", s) for s in case.sectors],
            "models": [self.label("models", m) for m in case.models],
            "md": {"story": block("story"), "decisions": block("decisions"), "participants": block("participants")},
            "outcomes": claims("outcomes"), "challenges": claims("challenges"),
            "recipes": [{"slug": r, "title": self.title("recipe", r)} for r in case.recipes],
            "related": [{"slug": c, "title": self.title("case", c)} for c in case.related],
            "cited_by": self._cited_by("case", slug),
            "sources": case.sources, "reviewed": self.date(case.reviewed),
            "slug": slug, "print_links": self.print_links,  # its handout (handout.py)
        }
        self.write(f"cases/{slug}.md", self.template("case.md.j2", **context))

    def recipe_page(self, slug: str) -> None:
        recipe, told = self.translation("recipe", slug)
        assert isinstance(recipe, Recipe)
        lang_of = told["lang_of"]
        v = self.values
        sheets = {w.id: {"id": w.id, "title": fill(w.title, v), "intro": fill(w.intro or "", v)}
                  for w in recipe.worksheets}
        difficulty = {"starter": self._("Starter"), "intermediate": self._("Intermediate"),
                      "advanced": self._("Advanced")}[recipe.difficulty]
        cite = Citations(recipe.sources)
        source = self._source_file("recipe", slug)
        context = {
            **told, "recipe": _Filled(recipe, v), "slug": slug, "difficulty": difficulty,
            "edit_url": self.edit_url(source),
            "principles": [self.label("principles", p) for p in recipe.principles],
            "md": {"goal": in_lang(self.md(recipe.goal, v), lang_of("goal"))},
            "steps": [{"title": fill(s.title, v), "time": s.time, "i": i,
                       "md": in_lang(self.md(s.text, v), lang_of("steps", i, "text")),
                       "worksheet": sheets.get(s.worksheet or ""), "cites": cite.marks(s.sources)}
                      for i, s in enumerate(recipe.steps)],
            "pitfalls": [{"pitfall": fill(p.pitfall, v), "i": i,
                          "md": cite.claim(span_lang(self.md(p.remedy, v), lang_of("pitfalls", i, "remedy")),
                                           p.sources)}
                         for i, p in enumerate(recipe.pitfalls)],
            "research": [cite.claim(self._strength(f.strength)
                                    + span_lang(self.md(f.text, v), lang_of("research", i, "text")), f.sources)
                         for i, f in enumerate(recipe.research)],
            "evidence": [{"slug": c, "title": self.title("case", c)} for c in recipe.evidence],
            "worksheets": list(sheets.values()), "print_links": self.print_links and bool(sheets),
            "cited_by": self._cited_by("recipe", slug), "sources": recipe.sources,
        }
        self.write(f"recipes/{slug}.md", self.template("recipe.md.j2", **context))

    def _strength(self, strength: str) -> Markup:
        """The lead-in that tells how strong the evidence behind a research finding is."""
        label = {"supported": self._("Well supported."), "mixed": self._("Mixed evidence."),
                 "thin": self._("Thin evidence.")}[strength]
        return Markup(f'<strong class="hb-strength hb-strength--{strength}">{escape(label)}</strong> ')

    def toolkit_page(self, slug: str) -> None:
        toolkit, told = self.translation("toolkit", slug)
        assert isinstance(toolkit, Toolkit)
        v = placeholder_values(self.book.root, self.book.settings, self.lang, toolkit.institution)
        recipes = []
        for r in toolkit.recipes:
            model, _ = self.book.localized("recipe", r, self.lang)
            title_lang, summary_lang = self._card_langs("recipe", r)
            recipes.append({"slug": r, "title": fill(model.title, v), "summary": fill(model.summary, v),
                            "title_lang": title_lang, "summary_lang": summary_lang})
        source = self._source_file("toolkit", slug)
        context = {
            **told, "toolkit": _Filled(toolkit, v), "slug": slug,
            "edit_url": self.edit_url(source),
            "md": {"intro": in_lang(self.md(toolkit.intro, v), told["lang_of"]("intro"))}, "recipes": recipes,
            "cases": [{"slug": c, "title": self.title("case", c)} for c in toolkit.cases],
            "print_links": self.print_links,
        }
        self.write(f"toolkits/{slug}.md", self.template("toolkit.md.j2", **context))

    def cases_index(self) -> None:
        cards, countries = [], {}
        for slug in sorted(self.book.cases, key=lambda s: (self.title("case", s).casefold(), s)):
            case, _ = self.book.localized("case", slug, self.lang)
            countries[case.place.country] = self.country(case.place.country)
            title_lang, summary_lang = self._card_langs("case", slug)
            cards.append({"title_lang": title_lang, "summary_lang": summary_lang,
                "href": f"{slug}.html", "title": case.title, "summary": case.summary,
                "place": self.place(case), "period": self.period(case),
                "sectors": case.sectors, "models": case.models, "scale": case.scale,
                "country": case.place.country, "status": "ongoing" if case.period.end is None else "ended",
                "labels": [self.label("sectors", s) for s in case.sectors]
                + [self.label("models", m) for m in case.models],
            })
        used = {k: sorted({x for c in self.book.cases.values() for x in getattr(c.model, k)})
                for k in ("sectors", "models")}
        scales = sorted({c.model.scale for c in self.book.cases.values()})
        filters = [
            {"name": "sector", "label": self._("Sector"),
             "options": [(s, self.label("sectors", s)) for s in used["sectors"]]},
            {"name": "model", "label": self._("Model"),
             "options": [(s, self.label("models", s)) for s in used["models"]]},
            {"name": "scale", "label": self._("Scale"), "options": [(s, self.label("scales", s)) for s in scales]},
            {"name": "country", "label": self._("Country"),
             "options": sorted(countries.items(), key=lambda x: (x[1], x[0]))},
            {"name": "status", "label": self._("Status"),
             "options": [("ongoing", self._("Still running")), ("ended", self._("Ended"))]},
        ]
        self.write("cases/index.md", self.template("cases_index.md.j2", cases=cards, filters=filters))

    def list_index(self, kind: str, title: str, lead: str) -> None:
        items = []
        singular = kind[:-1]
        for slug in sorted(self.book.entries(singular)):
            model, _ = self.book.localized(singular, slug, self.lang)
            v = self.values
            if singular == "toolkit":
                v = placeholder_values(self.book.root, self.book.settings, self.lang, model.institution)
            meta = model.time if singular == "recipe" else ""
            title_lang, summary_lang = self._card_langs(singular, slug)
            items.append({"title_lang": title_lang, "summary_lang": summary_lang,
                          "href": f"{slug}.html", "title": fill(model.title, v),
                          "summary": fill(model.summary, v), "meta": meta})
        self.write(f"{kind}/index.md", self.template("list_index.md.j2", title=title, lead=lead, items=items))

    def _prose_file(self, name: str) -> tuple[str, Path, str]:
        """(the file shown, its path, its translation state) of a prose page in this language."""
        files = self.book.pages[name]
        own = self.book.page_lang(name)
        path = files.get(self.lang)
        state = "source" if self.lang == own else "translated"
        if path is None:
            path, state = files[own], "missing"
        return f"{PAGES_FOLDER}/{path.name}", path, state

    def prose_page(self, name: str) -> None:
        source, path, state = self._prose_file(name)
        text = path.read_text(encoding="utf-8").lstrip("\ufeff")
        title, body = _split_title(text, name)
        featured = self._featured() if name == "index" else None
        intro, rest = _split_intro(body) if featured else ("", body)  # the featured toolkit follows the intro
        own = self.book.page_lang(name)
        foreign = own if state == "missing" else ""
        context = {
            "title": fill(title, self.values), "intro": in_lang(self.md(intro, self.values), foreign),
            "body": in_lang(self.md(rest, self.values), foreign), "state": state,
            "edit_url": self.edit_url(source), "featured": featured, "lang_of": lambda *loc: foreign,
            "source_name": language_name(own, self.lang, capital=False),
            "book_links": self.print_links and name in BOOK_PAGES,  # the whole handbook as a book (book.py)
        }
        self.write(f"{name}.md", self.template("page.md.j2", **context))

    def _featured(self) -> dict[str, str] | None:
        slug = self.book.settings.toolkit
        if not slug or slug not in self.book.toolkits:
            return None
        model, _ = self.book.localized("toolkit", slug, self.lang)
        v = placeholder_values(self.book.root, self.book.settings, self.lang, model.institution)
        settings = self.book.settings
        local = " · ".join(str(x) for x in (settings.group, settings.place) if x)  # a fork's group and place
        return {"title": fill(model.title, v), "summary": fill(model.summary, v), "href": f"toolkits/{slug}.html",
                "local": local}


def _nowhere(*loc: str | int) -> str:
    """`lang_of` of a page whose text is all in the page's language."""
    return ""


class Citations:
    """Numbered citation marks for the sources of one page: each id cited becomes `[n]`, a link to the n-th
    source of the page's numbered list (the `sources_list` macro), in the order the file lists its sources."""

    def __init__(self, sources: list[Source]) -> None:
        self.numbers = {s.id: i + 1 for i, s in enumerate(sources)}

    def marks(self, ids: list[str]) -> Markup:
        """The marks for `ids`, in number order, after a no-break space (the mark stays by its word)."""
        cited = sorted({self.numbers[sid]: sid for sid in ids if sid in self.numbers}.items())
        if not cited:
            return Markup("")
        links = " ".join(f'<a href="#source-{sid}">[{n}]</a>' for n, sid in cited)
        return Markup(f'\u00a0<sup class="hb-cite">{links}</sup>')

    def claim(self, text: Markup, ids: list[str]) -> Markup:
        """Markdown `text` with its marks, ready to sit in a list item or a definition."""
        return list_item(text + self.marks(ids))


class _Filled:
    """A read-only view of a model whose text attributes have the placeholders filled."""

    def __init__(self, model: Any, values: dict[str, str]) -> None:
        self._model = model
        self._values = values

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._model, name)
        if isinstance(value, str):
            return fill(value, self._values)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [fill(v, self._values) for v in value]
        return value


def _citations(book: Handbook) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """For each case and recipe, who points at it: (kind, slug) pairs, computed once (not per page)."""
    cited: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for slug in sorted(book.cases):
        for other in dict.fromkeys(book.cases[slug].model.related):
            cited[("case", other)].append(("case", slug))
    for slug in sorted(book.recipes):
        for case in dict.fromkeys(book.recipes[slug].model.evidence):
            cited[("case", case)].append(("recipe", slug))
    for slug in sorted(book.toolkits):
        toolkit = book.toolkits[slug].model
        for case in dict.fromkeys(toolkit.cases):
            cited[("case", case)].append(("toolkit", slug))
        for recipe in dict.fromkeys(toolkit.recipes):
            cited[("recipe", recipe)].append(("toolkit", slug))
    for slug in sorted(book.cases):
        for recipe in dict.fromkeys(book.cases[slug].model.recipes):
            cited[("recipe", recipe)].append(("case", slug))
    known = {("case", s) for s in book.cases} | {("recipe", s) for s in book.recipes}
    return {key: value for key, value in cited.items() if key in known}


def _split_title(text: str, fallback: str) -> tuple[str, str]:
    """The `# Title` line of a page and the rest of its Markdown."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            if line.startswith("# "):
                return line[2:].strip(), "\n".join(lines[i + 1:])
            break
    return fallback.replace("-", " ").capitalize(), text


def _split_intro(body: str) -> tuple[str, str]:
    """A page's Markdown before its first `## ` section, and the rest: on the home page, the featured toolkit
    goes between them, in the first screen on a phone."""
    match = re.search(r"(?m)^## ", body)
    return (body[:match.start()], body[match.start():]) if match else (body, "")


def _assets(root: Path) -> Iterable[tuple[str, bytes]]:
    source = root / ASSETS
    if source.is_dir():
        for item in sorted(source.iterdir()):
            if item.is_file() and not item.is_symlink():
                yield f"assets/{item.name}", item.read_bytes()


def _files_under(folder: Path) -> set[str]:
    """Every file under `folder`, as a path relative to it ('/'-separated)."""
    found: set[str] = set()
    for parent, _, files in os.walk(folder):
        base = Path(parent).relative_to(folder).as_posix()
        found.update(name if base == "." else f"{base}/{name}" for name in files)
    return found


def _remove_empty_folders(folder: Path) -> None:
    """Remove the folders under `folder` that hold nothing (deepest first, so a folder of empty folders goes too)."""
    for parent, _, _ in os.walk(folder, topdown=False):
        if parent != str(folder):
            with contextlib.suppress(OSError):  # not empty
                os.rmdir(parent)


def render_language(book: Handbook, lang: str, docs: Path, print_links: bool = True,
                    commands: Any = None, kept: dict[str, str] | None = None,
                    only: set[str] | None = None) -> RenderResult:
    """Write every page of `lang` (and our assets) into `docs`; files that did not change are left alone.

    `kept`, given again at each rendering into the same `docs`, holds the digest of what each page there shows
    (`Renderer.inputs`): a page whose digest did not change is not made again."""
    return RenderJob(book, lang, docs, print_links, commands, kept).run(only=only)


def mkdocs_order(path: str) -> tuple[tuple[str, ...], bool, str]:
    """The order in which MkDocs reads the files of `docs/` (its `file_sort_key`): folder by folder,
    a folder's own files before its subfolders, `index` first."""
    *folders, name = path.split("/")
    return tuple(folders), name.rpartition(".")[0] != "index", name


class RenderJob:
    """Rendering one language into `docs`, file by file in the order MkDocs reads them (`plan`).

    `handbook build` gives the plan to an MkDocs process first, then runs the job and announces every few
    files how far it got: MkDocs reads each page as soon as it is written (speed/workers.py)."""

    def __init__(self, book: Handbook, lang: str, docs: Path, print_links: bool = True,
                 commands: Any = None, kept: dict[str, str] | None = None) -> None:
        self.renderer = Renderer(book, lang, print_links, commands)
        self.kept = kept
        self.docs = docs
        docs.mkdir(parents=True, exist_ok=True)  # MkDocs, given the plan before the pages, needs the folder
        self.plan = self.renderer.plan()
        self.there = _files_under(docs)  # what the last rendering wrote
        self.gone = self.there - set(self.plan)  # the pages of content that is gone, removed by `run`
        pages = [path for path in self.plan if path not in self.renderer.assets]
        self.result = RenderResult(pages=sorted(pages), sources={
            page: source for page in pages if (source := self.renderer.source_of(page)) is not None})

    def run(self, announce: Callable[[int], None] | None = None, only: set[str] | None = None) -> RenderResult:
        """Write the files of the plan in order, telling `announce` every few files up to which position they
        are written; then remove what is not in the plan (the pages of content that is gone).

        A file already there with the same bytes is left alone: a live preview then sees only real edits.
        With `only`, just the pages made from those content files are written (and nothing removed): the
        preview shows the page of a saved file first, and the pages that show something of it just after."""
        for _ in self.steps(announce, only):
            pass
        return self.result

    def steps(self, announce: Callable[[int], None] | None = None, only: set[str] | None = None) -> Iterator[None]:
        """`run`, one file at a time (the workers take turns between languages: `speed.workers`)."""
        docs, there = self.docs, self.there
        for folder in sorted({path.rpartition("/")[0] for path in self.plan}):
            (docs / folder).mkdir(parents=True, exist_ok=True)
        last = len(self.plan) - 1
        kept = self.kept
        for i, path in enumerate(self.plan):
            if only is not None and not only & self.renderer.made_from(path):
                continue
            key = self.renderer.inputs(path) if kept is not None else None
            if kept is None or key is None or path not in there or kept.get(path) != key:
                data = self.renderer.page(path)
                target = docs / path
                if path not in there or target.read_bytes() != data:
                    target.write_bytes(data)
                if kept is not None and key is not None:
                    kept[path] = key
            if announce is not None and (i % 8 == 7 or i == last):
                announce(i)
            yield
        gone = self.gone if only is None else set()
        for path in gone:
            (docs / path).unlink()
            if kept is not None:
                kept.pop(path, None)
        if gone:
            _remove_empty_folders(docs)
