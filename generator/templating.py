"""Shared rendering helpers: Jinja environments with gettext UI strings, and placeholders.

One place for each rule: `fill` is the only placeholder substitution and `translations` the only
source of UI strings. (Contributed Markdown is escaped in `render.markdown_text` and every built page
is cleaned against an allow-list in `mkdocs_hooks`.)
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from markupsafe import Markup

LOCALES = "templates/locales"
_PLACEHOLDER = re.compile(r"\{(institution|place|group)(?::([^\W\d_]{1,20}))?\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace `{institution}`, `{place}` and `{group}` by plain substitution; nothing is ever evaluated.

    `{group:de}` is the group's name after the word "de": its form in `group_forms` (handbook.yml, per language,
    like "del Hospital del Mar"), else the word and the name ("de Hospital del Mar"). So a translator writes
    the grammar of their language, and the group gives the forms its name takes."""
    def value(match: re.Match[str]) -> str:
        name, word = match.group(1), match.group(2)
        if name not in values:
            return match.group(0)
        if word is None:
            return values[name]
        return values.get(f"{name}:{word}") or f"{word} {values[name]}"

    return _PLACEHOLDER.sub(value, text)


@functools.cache
def _catalogue(path: Path, mtime: float) -> Translations:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def translations(root: Path, lang: str) -> NullTranslations:
    """UI strings for `lang` from `templates/locales/<lang>/LC_MESSAGES/messages.po`; English when missing."""
    path = root / LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return NullTranslations()
    return _catalogue(path, path.stat().st_mtime)


class _Compiled(jinja2.BytecodeCache):
    """Templates compiled once a process, for every environment: Jinja uses a compiled template only while its
    source is the same (it compares a checksum), so an edited template is compiled again."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.codes:
            bucket.bytecode_from_string(self.codes[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


COMPILED = _Compiled()


def environment(root: Path, folder: str, lang: str, **options: Any) -> jinja2.Environment:
    """A strict, autoescaping Jinja environment over `templates/<folder>` with `lang`'s UI strings."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / "templates" / folder)),
        bytecode_cache=COMPILED,
        autoescape=options.pop("autoescape", True),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
    catalogue = translations(root, lang)
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    if isinstance(env.autoescape, bool):  # the same as Jinja's newstyle gettext, with each message looked up once
        env.globals["_"] = env.globals["gettext"] = _cached_gettext(catalogue, env.autoescape)
    # `tojson` writes front matter too: YAML cannot read JSON's surrogate pairs (an emoji in a tag), so
    # characters stay as they are (`<`, `>`, `&` and `'` are still escaped, as always)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def template_error_place(exc: jinja2.TemplateError, name: str) -> tuple[str, int]:
    """(template file, line) of a template error. A syntax error carries them; for an error while rendering
    (an unknown field), Jinja puts each template's file and line in the traceback: the innermost is used."""
    file, line = getattr(exc, "name", None) or name, getattr(exc, "lineno", None)
    if not line:
        trace = exc.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code.co_filename.endswith(".j2"):
                file, line = Path(trace.tb_frame.f_code.co_filename).name, trace.tb_lineno
            trace = trace.tb_next
    return file, line or 1


def _cached_gettext(catalogue: NullTranslations, autoescape: bool) -> Callable[..., str]:
    """`_("Place")` in a template: the translation, Markup when the template autoescapes (so the variables
    are escaped as they are put in), always `%`-formatted (`%%` is a percent sign), as Jinja's own does."""
    found: dict[str, str] = {}
    plain: dict[str, str] = {}

    def gettext(message: str, **variables: Any) -> str:
        if not variables and message in plain:
            return plain[message]
        text = found.get(message)
        if text is None:
            text = found[message] = Markup(catalogue.gettext(message)) if autoescape else catalogue.gettext(message)
        if variables:
            return text % variables
        out = plain[message] = text % {}
        return out

    return gettext


def render(env: jinja2.Environment, folder: str, name: str, **context: Any) -> str:
    """Render `templates/<folder>/<name>`; a broken template is an error naming its file and line, not a traceback."""
    from .errors import HandbookError

    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        file, line = template_error_place(exc, name)
        raise HandbookError(f"templates/{folder}/{file}:{line}: error: template: {exc}") from None


def placeholder_values(root: Path, settings: Any, lang: str, institution: str | None = None) -> dict[str, str]:
    """Values for `{institution}`, `{place}` and `{group}`: the toolkit's word and the fork's settings,
    or a generic phrase in `lang` ("your institution") where there is none."""
    _ = translations(root, lang).gettext
    values = {
        "institution": institution or _("your institution"),
        "place": settings.place or _("your area"),
        "group": settings.group or _("your group"),
    }
    for name in ("place", "group"):  # the forms a fork gives its own name and place take (`group_forms`)
        if getattr(settings, name, None):
            forms = (getattr(settings, f"{name}_forms", None) or {}).get(lang, {})
            values.update({f"{name}:{word}": text for word, text in forms.items()})
    return values


def ui_gettext(root: Path, lang: str) -> Callable[..., str]:
    """`_("Showing %(n)s", n=3)` outside templates, with the same catalogues as the templates."""
    catalogue = translations(root, lang)

    def gettext(message: str, **variables: Any) -> str:
        text = catalogue.gettext(message)
        return text % variables if variables else text

    return gettext


def template_file(root: Path, folder: str, name: str) -> bytes:
    """The bytes of `templates/<folder>/<name>` (a stylesheet, a script); a clear error when it is missing."""
    from .errors import HandbookError

    path = root / "templates" / folder / name
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HandbookError(f"templates/{folder}/{name}: error: cannot read it ({exc.strerror}); the build needs it, "
                            "so restore it from the handbook this one comes from") from None
