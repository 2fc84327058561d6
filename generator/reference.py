"""Reference pages generated from the code, so they are always true: every content field (from the
models), every command (from Click's help) and the open data a build publishes.

Each function returns trusted Markdown for the site; headings and words go through `gettext`,
while field descriptions and command help stay in English, as they are written in the code.
"""

from __future__ import annotations

import datetime
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .models import KINDS, LANG_PATTERN, OVERLAYS, SLUG_PATTERN
from .paths import CLI_PAGE, DATA_PAGE, FIELDS_PAGE

if TYPE_CHECKING:
    from .validate import Handbook

Gettext = Callable[..., str]


# Where each kind of file lives, for the sentence under its heading.
FILES = {"case": "handbook/cases/<slug>.yaml", "recipe": "handbook/recipes/<slug>.yaml",
         "toolkit": "toolkits/<slug>.yaml", "handbook": "handbook.yml", "vocabulary": "handbook/vocabulary.yaml"}
OVERLAY_FILES = {"case": "handbook/cases/<slug>.<lang>.yaml", "recipe": "handbook/recipes/<slug>.<lang>.yaml",
                 "toolkit": "toolkits/<slug>.<lang>.yaml"}
MARKDOWN_MAX = 100_000  # the length limit of `Markdown` fields in models.py
TEXT_MAX = 2000  # the length limit of `Text` fields: shorter limits are worth telling


def _identity(text: str, **variables: Any) -> str:
    return text % variables if variables else text


def reference_pages(book: Handbook, lang: str, gettext: Gettext, commands: click.Command | None = None
                    ) -> dict[str, str]:
    """Every generated reference page of one language, by its path under `docs/`; `commands` is the `handbook`
    Click group (given by whoever runs the build: the CLI, or the preview's hooks)."""
    return {FIELDS_PAGE: fields_page(gettext, lang), CLI_PAGE: cli_page(gettext, lang, commands),
            DATA_PAGE: data_page(book, lang, gettext)}


def _english(text: str, lang: str) -> str:
    """Text written in English in the code (a field's description, a command's help), marked as English on a page
    in another language, so that a screen reader reads it as English."""
    if lang == "en" or not text:
        return text
    return "\n\n".join(f'<span lang="en">{part}</span>' for part in text.split("\n\n"))


# ---------------------------------------------------------------- Markdown helpers


def _text(value: str) -> str:
    """Trusted prose for Markdown: `<`, `>` and `&` escaped outside `code spans`, so `<slug>` shows."""
    parts = value.split("`")
    for i in range(0, len(parts), 2):  # even parts are outside code spans
        parts[i] = parts[i].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def _cell(value: str) -> str:
    """Text for one cell of a Markdown table: on one line, its pipes escaped."""
    return _text(" ".join(value.split())).replace("|", "\\|")


def _code(value: str) -> str:
    return f"`` {value} ``" if "`" in value else f"`{value}`"


def _yaml(value: Any) -> str:
    """A value as a contributor would write it in YAML, on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1000).strip()
    return text.removesuffix("...").strip()


def _link(href: str, label: str) -> str:
    """A raw HTML link: MkDocs does not check it, so it may point at files added after the MkDocs build."""
    return f'<a href="{href}">{label}</a>'


# ---------------------------------------------------------------- the field reference


@dataclass(frozen=True)
class FieldRow:
    """One line of the field reference: a field at its dotted path, like `outcomes[].sources`."""

    path: str
    info: FieldInfo
    model: type[BaseModel]


def model_fields(model: type[BaseModel], prefix: str = "") -> Iterator[FieldRow]:
    """Every field of `model` and of the models nested in it, depth first, with its dotted path."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        yield FieldRow(path, info, model)
        nested, is_list = _nested(info.annotation)
        if nested is not None:
            yield from model_fields(nested, f"{path}[]." if is_list else f"{path}.")


def _nested(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model nested in a field (`X`, `X | None` or `list[X]`), and whether it is a list of them."""
    for arg in _without_none(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg, False
        if typing.get_origin(arg) is list:
            item = typing.get_args(arg)[0]
            if isinstance(item, type) and issubclass(item, BaseModel):
                return item, True
    return None, False


def _without_none(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _metadata(annotation: Any, extra: list[Any]) -> tuple[Any, list[Any]]:
    """The bare type and its constraints, unwrapping `Annotated` and the `Field(...)` inside it."""
    found = list(extra)
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *meta = typing.get_args(annotation)
        found.extend(meta)
    flat: list[Any] = []
    for item in found:
        flat.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    return annotation, flat


def _bounds(meta: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in meta:
        for key in ("ge", "le", "min_length", "max_length", "pattern"):
            if getattr(item, key, None) is not None:
                out[key] = getattr(item, key)
    return out


def type_words(annotation: Any, _: Gettext = _identity, extra: list[Any] | None = None, plural: bool = False) -> str:
    """A field's type in words a contributor understands: "list of slugs", "year", "one of `a4`, `letter`"."""
    tp, meta = _metadata(annotation, extra or [])
    options = _without_none(tp)
    if len(options) > 1:
        words = [type_words(o, _, plural=plural) for o in options]
        return _("%(first)s or %(second)s", first=", ".join(words[:-1]), second=words[-1])
    tp, meta = _metadata(options[0], meta)
    bounds = _bounds(meta)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return _("one of %(values)s", values=", ".join(_code(str(v)) for v in typing.get_args(tp)))
    if origin is list:
        listed = _("list of %(items)s", items=type_words(typing.get_args(tp)[0], _, plural=True))
        if "min_length" in bounds and "max_length" in bounds:
            return _("%(words)s, %(min)s to %(max)s", words=listed, min=bounds["min_length"], max=bounds["max_length"])
        if bounds.get("min_length", 0) > 1:
            return _("%(words)s, at least %(min)s", words=listed, min=bounds["min_length"])
        if "max_length" in bounds:
            return _("%(words)s, at most %(max)s", words=listed, max=bounds["max_length"])
        return listed
    if origin is dict:
        key, value = typing.get_args(tp)
        keys, values = type_words(key, _, plural=True), type_words(value, _, plural=True)
        if plural:
            return _("maps of %(keys)s to %(values)s", keys=keys, values=values)
        return _("map of %(keys)s to %(values)s", keys=keys, values=values)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _("maps (fields below)") if plural else _("map (fields below)")
    return _scalar_words(tp, bounds, _, plural)


def _scalar_words(tp: Any, bounds: dict[str, Any], _: Gettext, plural: bool) -> str:
    if tp is datetime.date:
        return _("dates (YYYY-MM-DD)") if plural else _("date (YYYY-MM-DD)")
    if tp is bool:
        return _("true or false")
    if tp is int:
        if (bounds.get("ge"), bounds.get("le")) == (1, 2200):
            return _("years") if plural else _("year")
        if "ge" in bounds and "le" in bounds:
            return _("whole number from %(min)s to %(max)s", min=bounds["ge"], max=bounds["le"])
        return _("whole numbers") if plural else _("whole number")
    if tp is float:
        if "ge" in bounds and "le" in bounds:
            return _("number from %(min)s to %(max)s", min=bounds["ge"], max=bounds["le"])
        return _("numbers") if plural else _("number")
    pattern = bounds.get("pattern")
    named = {SLUG_PATTERN: (_("slug"), _("slugs")), LANG_PATTERN: (_("language code"), _("language codes")),
             r"^[A-Z]{2}$": (_("country code"), _("country codes")),
             r"^[0-9a-f]{12}$": (_("digest"), _("digests"))}
    if pattern in named:
        return named[pattern][plural]
    if pattern and pattern.startswith("^https://"):
        return _("https addresses") if plural else _("https address")
    if pattern and pattern.startswith("^https?://"):
        return _("web addresses") if plural else _("web address")
    if bounds.get("max_length") == MARKDOWN_MAX:
        return _("Markdown")
    if bounds.get("max_length", TEXT_MAX) < TEXT_MAX and not plural:
        return _("text, up to %(max)s characters", max=bounds["max_length"])
    return _("text")


def _required(info: FieldInfo, _: Gettext) -> str:
    if info.is_required():
        return _("required")
    default = info.default
    if default is None or default is PydanticUndefined or default == []:
        return _("optional")
    return _("optional, default %(default)s", default=_code(_yaml(default)))


def _example(info: FieldInfo) -> str:
    if not info.examples:
        return ""
    value = info.examples[0]
    return _code(value if isinstance(value, str) else _yaml(value))


def _description(row: FieldRow, overlay: bool, _: Gettext) -> str:
    text = row.info.description or ""
    nested, _is_list = _nested(row.info.annotation)
    if nested is not None and nested.__doc__:
        text = f"{text} {nested.__doc__.strip()}".strip()
    if not text and overlay:
        text = _("The translation of the source's %(field)s.", field=_code(row.path))
    return text


def _table(model: type[BaseModel], _: Gettext, overlay: bool = False, lang: str = "en") -> list[str]:
    headings = [_("Field"), _("Type"), _("Required"), _("Description"), _("Example")]
    lines = ["| " + " | ".join(headings) + " |", "|---|---|---|---|---|"]
    for row in model_fields(model):
        cells = [_code(row.path), type_words(row.info.annotation, _, list(row.info.metadata)),
                 _required(row.info, _), _description(row, overlay, _), _example(row.info)]
        cells = [*(_cell(c) for c in cells[:3]), _english(_cell(cells[3]), lang if row.info.description else "en"),
                 _cell(cells[4])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def fields_page(gettext: Gettext = _identity, lang: str = "en") -> str:
    """Every field of every kind of file, its type, whether it is required, its description and an example."""
    _ = gettext
    titles = {"case": _("Case study"), "recipe": _("Action recipe"), "toolkit": _("Toolkit"),
              "handbook": _("Handbook settings"), "vocabulary": _("Vocabularies")}
    overlay_titles = {"case": _("Translation of a case study"), "recipe": _("Translation of a recipe"),
                      "toolkit": _("Translation of a toolkit")}
    words = [
        (_("text"), _("plain text, with no formatting.")),
        ("Markdown", _("text with simple formatting: *emphasis*, lists, links. HTML is not allowed.")),
        (_("slug"), _("a short name in lower-case letters, digits and hyphens, like `porto-alegre`; the slug of "
                      "a file is its name without `.yaml`.")),
        (_("map"), _("a group of named fields; its fields are listed after it, as `place.name`.")),
        (_("list"), _("items one after another; `outcomes[].text` is the `text` of each item of `outcomes`.")),
    ]
    out = ["# " + _("Field reference"), "",
           _("Every field that a content file can hold, generated from the handbook's own models, so it is "
             "always up to date. Fields not listed here are errors; `handbook check` names the file and "
             "line of each."), "",
           "## " + _("Words used on this page"), "",
           *[f"- **{word}**: {meaning}" for word, meaning in words], ""]
    for kind, model in KINDS.items():
        out += ["## " + titles.get(kind, kind.capitalize()), ""]
        if kind in FILES:
            out += [_("File: %(path)s. JSON Schema: %(schema)s.", path=_code(FILES[kind]),
                      schema=_link(f"../../schema/{kind}.schema.json", f"{kind}.schema.json")), ""]
        out += [*_table(model, _, lang=lang), ""]
    out += ["## " + _("Translations"), "",
            _("A translation holds only the text to translate, in the same structure as its source, plus "
              "`translated_from`. Every other field is optional: what is left out is shown in the source "
              "language."), ""]
    for kind, model in OVERLAYS.items():
        out += ["### " + overlay_titles.get(kind, kind.capitalize()), ""]
        if kind in OVERLAY_FILES:
            out += [_("File: %(path)s. JSON Schema: %(schema)s.", path=_code(OVERLAY_FILES[kind]),
                      schema=_link(f"../../schema/{kind}-translation.schema.json",
                                   f"{kind}-translation.schema.json")), ""]
        out += [*_table(model, _, overlay=True, lang=lang), ""]
    return "\n".join(out)


# ---------------------------------------------------------------- the command-line reference


def walk_commands(command: click.Command, name: str = "handbook",
                  parent: click.Context | None = None) -> Iterator[tuple[click.Context, click.Command]]:
    """Every command and subcommand of a Click command, depth first, each with its context."""
    ctx = click.Context(command, info_name=name, parent=parent)
    yield ctx, command
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                yield from walk_commands(sub, sub_name, ctx)


def _command_section(ctx: click.Context, command: click.Command, _: Gettext, lang: str = "en") -> list[str]:
    out = [f"## {ctx.command_path}", ""]
    if command.help:
        out += [_english(_text(click.unstyle(command.help).split("\f")[0].strip()), lang), ""]
    out += ["**" + _("Usage") + "**", "", "```", command.get_usage(ctx).removeprefix("Usage: ").strip(), "```", ""]
    options = [param.get_help_record(ctx) for param in command.get_params(ctx)
               if isinstance(param, click.Option) and "--help" not in param.opts]
    records = [r for r in options if r is not None]
    if records:
        out += ["**" + _("Options") + "**", ""]
        out += [f"- {_code(opts)}: {_english(_text(help_text), lang)}" if help_text else f"- {_code(opts)}"
                for opts, help_text in records]
        out.append("")
    if isinstance(command, click.Group):
        subs = [(n, command.get_command(ctx, n)) for n in command.list_commands(ctx)]
        out += ["**" + _("Commands") + "**", ""]
        out += [f"- {_code(f'{ctx.command_path} {n}')}: {_english(_text(sub.get_short_help_str(200)), lang)}"
                for n, sub in subs if sub is not None and not sub.hidden]
        out.append("")
    return out


def cli_page(gettext: Gettext = _identity, lang: str = "en", commands: click.Command | None = None) -> str:
    """Every command of `handbook` (the Click group `commands`) with its help, usage and options, from Click
    itself. Without the group (a build that is not run by the `handbook` command), only the page's lead."""
    _ = gettext
    out = ["# " + _("Command-line reference"), "",
           _("Generated from the help of the `handbook` command, so it is always up to date. Run "
             "`handbook COMMAND --help` for the same text in a terminal; every command also takes `-h` or "
             "`--help`."), ""]
    for ctx, command in walk_commands(commands) if commands is not None else ():
        out += _command_section(ctx, command, _, lang)
    return "\n".join(out)


# ---------------------------------------------------------------- the open-data page


def data_page(book: Handbook, lang: str, gettext: Gettext = _identity) -> str:
    """What open data a build publishes next to the site, under which licence, and how to read it."""
    from .export import CSV_COLUMNS
    from .schema import all_models

    _ = gettext
    licence = book.settings.licence
    licence_link = f"[{licence}](https://spdx.org/licenses/{licence}.html)"
    schemas = [_link(f"../schema/{name}.schema.json", f"{name}.schema.json") for name in sorted(all_models())]
    columns = ", ".join(_code(c) for c in CSV_COLUMNS)
    out = [
        "# " + _("Open data"), "",
        _("Everything in this handbook is open data: you may copy it, study it, map it or build on it, "
          "under the licence %(licence)s. Please credit the handbook and share what you make under the same "
          "terms.", licence=licence_link), "",
        "## " + _("Files"), "",
        f"- {_link('data/cases.json', 'cases.json')}: "
        + _("every case study in this language, with every field and its sources (JSON)."),
        f"- {_link('data/cases.csv', 'cases.csv')}: "
        + _("one row per case study, for spreadsheets (CSV, UTF-8). Columns: %(columns)s.", columns=columns),
        f"- {_link('data/recipes.json', 'recipes.json')}: "
        + _("every action recipe in this language, with its steps, worksheets, research findings and sources "
            "(JSON)."),
        "- " + _("JSON Schema of each kind of file: %(files)s.", files=", ".join(schemas)), "",
        "## " + _("How to read them"), "",
        "- " + _("**Stable ids.** Each case study and recipe has an `id`: the name of its file, like "
                 "`porto-alegre`. It is the same in every language and does not change when the text does, "
                 "so you can link to it and join the files on it. `url` is the address of its page.")
        + ("" if book.settings.site_url else " " + _("It is relative to the data file: this handbook does not "
                                                      "say where it is published (`site_url`).")),
        "- " + _("**Languages.** `lang` is the language of each record's text: this language where the text "
                 "is written in it or translated into it, else the language it is written in. `translation` says "
                 "which: `source` (written in this language), `translated`, `partial` (some text is not translated "
                 "yet), `stale` (the translation may be out of date) or `missing` (not translated yet)."),
        "- " + _("**Safe spreadsheets.** A CSV cell that starts with `=`, `+`, `-` or `@` begins with an "
                 "apostrophe (`'`), so a spreadsheet shows it as text instead of running it as a formula. "
                 "Numbers, such as a negative longitude, are left as they are."),
        "- " + _("**Sources.** Every outcome and challenge of a case study lists the ids of the sources that "
                 "back it, and so do a recipe's research findings (and any step or pitfall that cites one); the "
                 "sources themselves are in the case's or recipe's `sources`."),
        "",
        _("The same files come from `handbook export --format json --lang %(lang)s` and "
          "`handbook export --format csv --lang %(lang)s`; see the %(cli)s.", lang=lang,
          cli="[" + _("command-line reference") + "](reference/cli.md)"),
        "",
    ]
    return "\n".join(out)
