"""Open data: the case studies and recipes as JSON and CSV, with the licence and stable ids.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, also after spaces or in
their full-width forms, or with a tab, CR or LF) are prefixed with an apostrophe, so opening the file
never runs anything.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pydantic_core

from .paths import PAGE_FOLDERS, page_address
from .schema import DATA
from .validate import Handbook

CSV_COLUMNS = ["id", "title", "summary", "place", "region", "country", "lat", "lon", "start", "end", "scale",
               "sectors", "models", "sources", "reviewed", "url", "lang"]
_FORMULA = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and the full-width forms


def _page_url(book: Handbook, lang: str, kind: str, slug: str) -> str:
    """The page's address: absolute under `site_url`; without one, relative to the data file (`<lang>/data/`)."""
    return page_address(book.settings.site_url, lang, kind, slug) or f"../{PAGE_FOLDERS[kind]}/{slug}.html"


def _data(book: Handbook, lang: str, kind: str) -> dict[str, Any]:
    """Every entry of `kind` in `lang` (translated where a translation exists), with its id, page and licence."""
    items = []
    for slug in sorted(book.entries(kind)):
        model, state = book.localized(kind, slug, lang)
        text_lang = book.own_lang(kind, slug) if state == "missing" else lang  # the language of its text
        items.append({"id": slug, "url": _page_url(book, lang, kind, slug), "translation": state,
                      **model.model_dump(mode="json", exclude_none=True), "lang": text_lang})
    return {"licence": book.settings.licence, "language": lang, "schema": f"{DATA[kind]}.schema.json",
            f"{kind}s": items}


def cases_data(book: Handbook, lang: str) -> dict[str, Any]:
    """Every case study in `lang`, ready for `json.dumps`."""
    return _data(book, lang, "case")


def recipes_data(book: Handbook, lang: str) -> dict[str, Any]:
    """Every recipe in `lang`, ready for `json.dumps`."""
    return _data(book, lang, "recipe")


def neutralise(value: Any) -> str:
    """A CSV cell that no spreadsheet will run as a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float):  # numbers (a negative longitude) cannot run as formulas
        return str(value)
    text = str(value)
    # a formula after spaces or line breaks still runs in some spreadsheets; a leading tab or CR is a trigger too
    risky = text.lstrip().startswith(_FORMULA) or text[:1] in ("\t", "\r", "\n")
    return "'" + text if risky else text


def cases_csv(book: Handbook, lang: str, data: dict[str, Any] | None = None) -> str:
    """One row a case: the fields a spreadsheet user filters on (from `data`, `cases_data`, when given)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in (data or cases_data(book, lang))["cases"]:
        place, period = item["place"], item["period"]
        row = [item["id"], item["title"], item["summary"], place["name"], place.get("region"), place["country"],
               place.get("lat"), place.get("lon"), period["start"], period.get("end"), item["scale"],
               ";".join(item["sectors"]), ";".join(item["models"]), len(item["sources"]), item["reviewed"],
               item["url"], item["lang"]]
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue()


def to_json(data: Any) -> str:
    """Indented JSON, UTF-8 as written (what `json.dumps(indent=2, ensure_ascii=False)` writes, four times faster)."""
    return pydantic_core.to_json(data, indent=2).decode("utf-8") + "\n"


def write_site_data(book: Handbook, lang: str, folder: Path) -> list[Path]:
    """`cases.json`, `cases.csv` and `recipes.json` for one language of the site."""
    folder.mkdir(parents=True, exist_ok=True)
    cases = cases_data(book, lang)
    files = {"cases.json": to_json(cases), "cases.csv": cases_csv(book, lang, cases),
             "recipes.json": to_json(recipes_data(book, lang))}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in files]
