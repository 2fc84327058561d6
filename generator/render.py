"""Render the validated handbook into plain Markdown pages for one language (`build/<lang>/docs/`).

Contributed Markdown becomes sanitised HTML (templating.markdown_html); contributed plain text is
escaped by the autoescaping templates. The output is plain Markdown that MkDocs builds.
"""

from __future__ import annotations

import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale, UnknownLocaleError
from markupsafe import Markup, escape

from .models import Case, Recipe, Toolkit
from .reference import reference_pages
from .templating import environment, fill, markdown_html, placeholder_values, ui_gettext
from .validate import FOLDERS, PAGES_FOLDER, Handbook

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
ASSETS = "templates/assets"


@dataclass
class RenderResult:
    """What rendering one language produced: the pages written, and links that lead nowhere."""

    pages: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)


def mdtext(value: Any) -> Markup:
    """Plain text for a Markdown context: HTML-escaped, then Markdown's special characters escaped."""
    return Markup(_MD_SPECIAL.sub(r"\\\1", str(escape(value))))


def language_name(code: str, in_lang: str | None = None) -> str:
    """`Español` for es (in its own language unless `in_lang` is given)."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(in_lang or code)
    except (UnknownLocaleError, ValueError):
        return code
    return (name or code)[:1].upper() + (name or code)[1:]


class Renderer:
    """Renders every page of one language; one instance per language build."""

    def __init__(self, book: Handbook, lang: str, docs: Path, print_links: bool = True) -> None:
        self.book = book
        self.lang = lang
        self.docs = docs
        self.print_links = print_links
        self.env = environment(book.root, "pages", lang)
        self.env.filters["mdtext"] = mdtext
        self.gettext = ui_gettext(book.root, lang)
        self.result = RenderResult()
        self.page_paths: set[str] = set()
        self.source_name = language_name(book.source_lang, lang)
        self.values = placeholder_values(book.root, book.settings, lang, self._fork_institution())

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
        try:
            return str(Locale.parse(self.lang.replace("-", "_")).territories.get(code, code))
        except (UnknownLocaleError, ValueError):
            return code

    def html(self, text: str | None, page: str, values: dict[str, str] | None = None) -> Markup:
        if not text:
            return Markup("")
        filled = fill(text, values) if values is not None else text
        return Markup(markdown_html(filled, link=lambda href: self._link(href, page)))

    def _link(self, href: str, page: str) -> str:
        """Relative `x.md` links in contributed text point at the generated page `x.html`."""
        if "://" in href or href.startswith(("#", "mailto:", "/")):
            return href
        path, _, anchor = href.partition("#")
        if path.endswith(".md"):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
            if target not in self.page_paths:
                self.result.broken_links.append(f"{page}: link to {href} leads to no page")
            path = path[: -len(".md")] + ".html"
        return path + (f"#{anchor}" if anchor else "")

    def edit_url(self, relpath: str) -> str | None:
        repo = self.book.settings.repo_url
        if not repo:
            return None
        return f"{repo.rstrip('/')}/edit/{self.book.settings.edit_branch}/{relpath}"

    def _source_file(self, kind: str, slug: str) -> str:
        overlay = self.book.overlays.get((kind, slug, self.lang))
        return overlay.doc.path if overlay else f"{FOLDERS[kind]}/{slug}.yaml"

    def write(self, relpath: str, text: str) -> None:
        path = self.docs / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.result.pages.append(relpath)

    def template(self, name: str, **context: Any) -> str:
        try:
            return self.env.get_template(name).render(source_name=self.source_name, **context)
        except jinja2.TemplateError as exc:
            from .errors import HandbookError

            where = f"templates/pages/{getattr(exc, 'name', None) or name}"
            line = getattr(exc, "lineno", None)
            raise HandbookError(f"{where}:{line or 1}: error: template: {exc}") from None

    # ------------------------------------------------------------ pages

    def render_all(self) -> RenderResult:
        book = self.book
        self.page_paths = {"index.md", "cases/index.md", "recipes/index.md", "toolkits/index.md"}
        self.page_paths |= {f"cases/{s}.md" for s in book.cases} | {f"recipes/{s}.md" for s in book.recipes}
        self.page_paths |= {f"toolkits/{s}.md" for s in book.toolkits} | {f"{n}.md" for n in book.pages}
        generated = reference_pages(book, self.lang, self._)  # fields, command line, open data
        self.page_paths |= set(generated)
        for slug in sorted(book.cases):
            self.case_page(slug)
        for slug in sorted(book.recipes):
            self.recipe_page(slug)
        for slug in sorted(book.toolkits):
            self.toolkit_page(slug)
        self.cases_index()
        self.list_index("recipes", self._("Action recipes"),
                        self._("Step-by-step ways to start and run a group that decides together."))
        self.list_index("toolkits", self._("Toolkits"),
                        self._("Where to start, for your kind of place: a path of recipes to follow."))
        for relpath, text in generated.items():
            self.write(relpath, text)
        for name in sorted(book.pages):
            self.prose_page(name)
        self.copy_assets()
        return self.result

    def _cited_by(self, kind: str, slug: str) -> list[dict[str, str]]:
        book, out = self.book, []
        if kind == "case":
            for other in sorted(book.cases):
                if slug in book.cases[other].model.related:
                    out.append({"title": self.title("case", other), "href": f"{other}.md"})
            for r in sorted(book.recipes):
                if slug in book.recipes[r].model.evidence:
                    out.append({"title": self.title("recipe", r), "href": f"../recipes/{r}.md"})
        for t in sorted(book.toolkits):
            tk = book.toolkits[t].model
            if (kind == "case" and slug in tk.cases) or (kind == "recipe" and slug in tk.recipes):
                out.append({"title": self.title("toolkit", t), "href": f"../toolkits/{t}.md"})
        if kind == "recipe":
            for c in sorted(book.cases):
                if slug in book.cases[c].model.recipes:
                    out.append({"title": self.title("case", c), "href": f"../cases/{c}.md"})
        return out

    def title(self, kind: str, slug: str) -> str:
        model, _ = self.book.localized(kind, slug, self.lang)
        return fill(model.title, self.values) if kind != "case" else str(model.title)

    def period(self, case: Case) -> str:
        if case.period.end is None:
            return self._("since %(start)s", start=case.period.start)
        if case.period.end == case.period.start:
            return str(case.period.start)
        return f"{case.period.start}–{case.period.end}"

    def place(self, case: Case) -> str:
        parts = [case.place.name, case.place.region, self.country(case.place.country)]
        return ", ".join(p for p in parts if p)

    def case_page(self, slug: str) -> None:
        case, state = self.book.localized("case", slug, self.lang)
        page = f"cases/{slug}.md"
        numbers = {s.id: i + 1 for i, s in enumerate(case.sources)}

        def claims(items: list[Any]) -> list[dict[str, Markup]]:
            out = []
            for claim in items:
                cites = " ".join(f'<a href="#source-{sid}">[{numbers[sid]}]</a>' for sid in claim.sources
                                 if sid in numbers)
                sup = Markup(f'<sup class="hb-cite">{cites}</sup>')
                out.append({"html": self.html(claim.text, page), "cites": sup})
            return out

        context = {
            "case": case, "state": state, "edit_url": self.edit_url(self._source_file("case", slug)),
            "tags": [self.label("sectors", s) for s in case.sectors] + [self.label("models", m) for m in case.models],
            "place": self.place(case), "period": self.period(case), "scale": self.label("scales", case.scale),
            "sectors": [self.label("sectors", s) for s in case.sectors],
            "models": [self.label("models", m) for m in case.models],
            "html": {"story": self.html(case.story, page), "decisions": self.html(case.decisions, page),
                     "participants": self.html(case.participants, page)},
            "outcomes": claims(case.outcomes), "challenges": claims(case.challenges),
            "recipes": [{"slug": r, "title": self.title("recipe", r)} for r in case.recipes],
            "related": [{"slug": c, "title": self.title("case", c)} for c in case.related],
            "cited_by": self._cited_by("case", slug),
            "sources": case.sources, "reviewed": case.reviewed.isoformat(),
        }
        self.write(page, self.template("case.md.j2", **context))

    def recipe_page(self, slug: str) -> None:
        recipe, state = self.book.localized("recipe", slug, self.lang)
        assert isinstance(recipe, Recipe)
        page, v = f"recipes/{slug}.md", self.values
        sheets = {w.id: {"id": w.id, "title": fill(w.title, v), "intro": fill(w.intro or "", v)}
                  for w in recipe.worksheets}
        difficulty = {"starter": self._("Starter"), "intermediate": self._("Intermediate"),
                      "advanced": self._("Advanced")}[recipe.difficulty]
        context = {
            "recipe": _Filled(recipe, v), "state": state, "slug": slug, "difficulty": difficulty,
            "edit_url": self.edit_url(self._source_file("recipe", slug)),
            "principles": [self.label("principles", p) for p in recipe.principles],
            "html": {"goal": self.html(recipe.goal, page, v)},
            "steps": [{"title": fill(s.title, v), "time": s.time, "html": self.html(s.text, page, v),
                       "worksheet": sheets.get(s.worksheet or "")} for s in recipe.steps],
            "pitfalls": [{"pitfall": fill(p.pitfall, v), "html": self.html(p.remedy, page, v)}
                         for p in recipe.pitfalls],
            "evidence": [{"slug": c, "title": self.title("case", c)} for c in recipe.evidence],
            "worksheets": list(sheets.values()), "print_links": self.print_links and bool(sheets),
            "cited_by": self._cited_by("recipe", slug),
        }
        self.write(page, self.template("recipe.md.j2", **context))

    def toolkit_page(self, slug: str) -> None:
        toolkit, state = self.book.localized("toolkit", slug, self.lang)
        assert isinstance(toolkit, Toolkit)
        v = placeholder_values(self.book.root, self.book.settings, self.lang, toolkit.institution)
        page = f"toolkits/{slug}.md"
        recipes = []
        for r in toolkit.recipes:
            model, _ = self.book.localized("recipe", r, self.lang)
            recipes.append({"slug": r, "title": fill(model.title, v), "summary": fill(model.summary, v)})
        context = {
            "toolkit": _Filled(toolkit, v), "state": state, "slug": slug,
            "edit_url": self.edit_url(self._source_file("toolkit", slug)),
            "html": {"intro": self.html(toolkit.intro, page, v)}, "recipes": recipes,
            "cases": [{"slug": c, "title": self.title("case", c)} for c in toolkit.cases],
            "print_links": self.print_links,
        }
        self.write(page, self.template("toolkit.md.j2", **context))

    def cases_index(self) -> None:
        cards, countries = [], {}
        for slug in sorted(self.book.cases, key=lambda s: self.title("case", s).casefold()):
            case, _ = self.book.localized("case", slug, self.lang)
            countries[case.place.country] = self.country(case.place.country)
            cards.append({
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
             "options": sorted(countries.items(), key=lambda x: x[1])},
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
            items.append({"href": f"{slug}.html", "title": fill(model.title, v),
                          "summary": fill(model.summary, v), "meta": meta})
        self.write(f"{kind}/index.md", self.template("list_index.md.j2", title=title, lead=lead, items=items))

    def prose_page(self, name: str) -> None:
        files = self.book.pages[name]
        path = files.get(self.lang)
        state = "source" if self.lang == self.book.source_lang else "translated"
        if path is None:
            path, state = files[self.book.source_lang], "missing"
        text = path.read_text(encoding="utf-8").lstrip("\ufeff")
        title, body = _split_title(text, name)
        page = f"{name}.md"
        featured = self._featured() if name == "index" else None
        context = {
            "title": fill(title, self.values), "body": self.html(body, page, self.values), "state": state,
            "edit_url": self.edit_url(f"{PAGES_FOLDER}/{path.name}"), "featured": featured,
        }
        self.write(page, self.template("page.md.j2", **context))

    def _featured(self) -> dict[str, str] | None:
        slug = self.book.settings.toolkit
        if not slug or slug not in self.book.toolkits:
            return None
        model, _ = self.book.localized("toolkit", slug, self.lang)
        v = placeholder_values(self.book.root, self.book.settings, self.lang, model.institution)
        settings = self.book.settings
        local = " · ".join(x for x in (settings.group, settings.place) if x)
        return {"title": fill(model.title, v), "summary": fill(model.summary, v), "href": f"toolkits/{slug}.md",
                "local": local}

    def copy_assets(self) -> None:
        source = self.book.root / ASSETS
        if source.is_dir():
            for item in sorted(source.iterdir()):
                if item.is_file() and not item.is_symlink():
                    target = self.docs / "assets" / item.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(item, target)


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


def _split_title(text: str, fallback: str) -> tuple[str, str]:
    """The `# Title` line of a page and the rest of its Markdown."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            if line.startswith("# "):
                return line[2:].strip(), "\n".join(lines[i + 1:])
            break
    return fallback.replace("-", " ").capitalize(), text


def render_language(book: Handbook, lang: str, docs: Path, print_links: bool = True) -> RenderResult:
    """Write every page of `lang` into `docs` (which is emptied first)."""
    if docs.exists():
        shutil.rmtree(docs)
    docs.mkdir(parents=True)
    return Renderer(book, lang, docs, print_links).render_all()
