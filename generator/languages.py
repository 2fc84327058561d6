"""Which languages a handbook can publish, and adding one (`handbook i18n add`, `make i18n`).

A language can be published when the site's theme, Material for MkDocs, has its own UI strings for it (its
`partials/languages/<code>.html`): any other code would build a site whose theme cannot speak it."""

from __future__ import annotations

import contextlib
import functools
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from .errors import HandbookError, UsageError
from .models import LANG_PATTERN

POT = "templates/locales/messages.pot"
TEMPLATE_LANG = "en"  # the language the templates' UI strings are written in: it needs no catalogue


@functools.cache
def material_languages() -> frozenset[str]:
    """The language codes Material for MkDocs has UI strings for (en, es, ca, pt-BR, ...)."""
    import material

    folder = Path(material.__file__).parent / "templates" / "partials" / "languages"
    return frozenset(path.stem for path in folder.glob("*.html"))


def language_name(code: str, in_lang: str | None = None, capital: bool = True) -> str:
    """`Español` for es (in its own language unless `in_lang` is given); `capital=False` for mid-sentence."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(in_lang or code)
    except (UnknownLocaleError, ValueError):
        return code
    name = name or code
    return name[:1].upper() + name[1:] if capital else name


def unsupported(lang: str) -> str | None:
    """Why `lang` cannot be published (None when it can)."""
    if not re.fullmatch(LANG_PATTERN, lang):
        return f"{lang!r} is not a language code (like es, ca or pt-BR)"
    if lang not in material_languages():
        near = sorted(code for code in material_languages() if code.split("-")[0] == lang.split("-")[0])
        hint = f"; did you mean {' or '.join(near)}?" if near else "; see the codes Material for MkDocs lists"
        return f"{lang!r} is not a language the site's theme (Material for MkDocs) can show{hint}"
    return None


def chosen(book: Any, langs: Sequence[str]) -> list[str]:
    """The languages a `--lang` option asks for, in handbook.yml's order. One the handbook lacks is a usage
    error (exit 2), the same for every command."""
    known = book.settings.languages
    unknown = [lang for lang in langs if lang not in known]
    if unknown:
        raise UsageError(f"--lang: {unknown[0]!r} is not one of the handbook's languages ({', '.join(known)})")
    return [lang for lang in known if lang in langs]


def catalogue(root: Path, lang: str) -> Path:
    return root / "templates" / "locales" / lang / "LC_MESSAGES" / "messages.po"


def write_catalogue(root: Path, lang: str) -> Path | None:
    """Start `lang`'s catalogue of UI strings from the templates' `.pot` (None when it exists or is not needed)."""
    from babel.messages.pofile import read_po, write_po

    path = catalogue(root, lang)
    pot = root / POT
    if lang == TEMPLATE_LANG or path.exists() or not pot.is_file():
        return None
    with pot.open("rb") as handle:
        template = read_po(handle)
    with contextlib.suppress(UnknownLocaleError, ValueError):
        template.locale = Locale.parse(lang.replace("-", "_"))
    template.fuzzy = False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        write_po(handle, template, width=0, omit_header=False)
    return path


_FLOW = re.compile(r"^(?P<key>{key}:\s*\[)(?P<items>[^\]#]*)(?P<end>\].*)$", re.M)


def _append_to_list(text: str, key: str, lang: str) -> str | None:
    """handbook.yml's text with `lang` added to the one-line list `key: [..]` (None when there is no such list)."""
    pattern = re.compile(_FLOW.pattern.format(key=re.escape(key)), re.M)
    match = pattern.search(text)
    if match is None:
        return None
    items = [item.strip() for item in match.group("items").split(",") if item.strip()]
    if lang in items:
        return text
    joined = ", ".join([*items, lang])
    return text[:match.start()] + f"{match.group('key')}{joined}{match.group('end')}" + text[match.end():]


def add_language(book: Any, lang: str) -> list[str]:
    """Add `lang` to handbook.yml (`languages`, and `publish` when it is set) and start its UI catalogue;
    returns what was done, one line each, and what is left to the translator."""
    problem = unsupported(lang)
    if problem:
        raise HandbookError(problem)
    root = book.root
    if "handbook.yml" in book.broken:
        raise HandbookError("handbook.yml has errors; run `handbook check` and fix them first")
    settings_path = root / "handbook.yml"
    text = settings_path.read_text(encoding="utf-8")
    done: list[str] = []
    if lang in book.settings.languages:
        done.append(f"{lang} is already in languages")
    else:
        new = _append_to_list(text, "languages", lang)
        if new is None:
            raise HandbookError(f"handbook.yml: write `languages` as one line, like languages: [en, es], "
                                f"or add {lang} to it yourself")
        text = new
        done.append(f"Added {lang} to languages in handbook.yml")
    if book.settings.publish is not None and lang not in book.settings.publish:
        new = _append_to_list(text, "publish", lang)
        if new is not None:
            text = new
            done.append(f"Added {lang} to publish in handbook.yml")
    settings_path.write_text(text, encoding="utf-8")
    written = write_catalogue(root, lang)
    if written is not None:
        done.append(f"Wrote {written.relative_to(root)}: translate its msgstr lines (the site's buttons and headings)")
    labels = sum(1 for vocab in ("scales", "sectors", "models", "principles")
                 for labels in getattr(book.vocabulary, vocab).values() if lang not in labels)
    if labels:
        done.append(f"handbook/vocabulary.yaml: {labels} values have no {lang} label yet; add `{lang}: ...` to each "
                    "(`handbook check` lists them; until then they show in the handbook's first language)")
    done.append(f"Next: `handbook new translation {lang} FILE...` for content, `handbook i18n status` for what is left")
    return done


def write_missing_catalogues(root: Path) -> list[Path]:
    """A catalogue for every language of handbook.yml that has none yet (`make i18n`)."""
    from .load import load_yaml
    from .paths import SETTINGS_FILE

    data = load_yaml(root / SETTINGS_FILE, root).data
    languages = data.get("languages") if isinstance(data, dict) else None
    codes = [str(code) for code in languages] if isinstance(languages, list) else []
    return [path for lang in codes if not unsupported(lang) and (path := write_catalogue(root, lang)) is not None]


if __name__ == "__main__":  # `make i18n`: python -m generator.languages
    for made in write_missing_catalogues(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(f"Wrote {made}")
