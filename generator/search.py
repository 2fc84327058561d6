"""Each language's search index: Pagefind, run on the language's built site, writes `<lang>/pagefind/`.

Pagefind splits the index into chunks, and a reader's browser fetches only the chunks a query needs (about
160 KB for a first search of a 1,000-case handbook, where Material's search fetched its whole 11.6 MB index).
It stems every language the handbook publishes that it knows (en, es, pt, ca and most European languages); for
another it still finds whole words. The search box is ours (templates/assets/search.js), built on Pagefind's
JavaScript API, so Pagefind's own UI files are not shipped.

What is indexed: the body of each page (`data-pagefind-body`, templates/overrides/main.html) without what is
marked `data-search-exclude` (the case filter, the contents, the lists of cards); each page's kind and, for a
case, its sector, model, scale and country, are facets (`search_marks` writes them into the page).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from .errors import HandbookError
from .templating import translations

FOLDER = "pagefind"
PAGEFIND = "1.5.2"  # pyproject.toml pins it: the index files are read back (`_stable_filters`)
EXCLUDE = "[data-search-exclude]"
# Pagefind writes these too; our search box uses its JavaScript API alone, in the page's own thread
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js", "pagefind-worker.js")


def pagefind_binary() -> Path:
    """The Pagefind program the `pagefind[bin]` wheel installs."""
    try:
        from pagefind_bin import get_executable

        return Path(get_executable())
    except (ImportError, FileNotFoundError):
        raise HandbookError("the search index needs Pagefind: reinstall the tool (`pip install -e .`), which "
                            "installs it with the `pagefind[bin]` package") from None


def index_site(site: Path, lang: str, background: bool = False) -> None:
    """Index the built site of one language into `site/pagefind/`, the same bytes from the same pages.
    `background`: at a lower priority, so that the preview's next build does not wait for the processor."""
    out = site / FOLDER
    if out.exists():
        shutil.rmtree(out)
    command = [str(pagefind_binary()), "--site", str(site), "--output-subdir", FOLDER, "--keep-index-url",
               "--force-language", lang.lower(), "--exclude-selectors", EXCLUDE, "--silent"]
    try:
        nice = shutil.which("nice") if background else None  # POSIX systems have it
        run = subprocess.run([nice, "-n", "10", *command] if nice else command, capture_output=True, text=True,
                             timeout=600, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise HandbookError(f"the {lang} search index could not be built: {exc}") from None
    if run.returncode != 0 or not (out / "pagefind.js").is_file():
        said = (run.stderr or run.stdout).strip().splitlines()
        raise HandbookError(f"the {lang} search index could not be built: {said[-1] if said else run.returncode}")
    for name in UNUSED:
        (out / name).unlink(missing_ok=True)
    _stable_filters(out)


# Pagefind 1.5 writes a facet's values, and the list of facets in its meta file, in an order that changes from run
# to run (Pagefind issue 638: they come from hash maps). Each file is gzip of a signature then CBOR; the
# facet files and the meta file are written again with their values in order, under names made from their bytes.
SIGNATURE = b"pagefind_dcd"


def _stable_filters(out: Path) -> None:
    """Make `out`'s facet files, its meta file and the entry naming it the same bytes from the same site."""
    entry = json.loads((out / "pagefind-entry.json").read_text(encoding="utf-8"))
    for lang, about in sorted(entry["languages"].items()):
        meta_path = out / f"pagefind.{about['hash']}.pf_meta"
        meta = _read(meta_path)
        filters = meta[3]
        for item in filters:  # [name, file hash]
            old = out / "filter" / f"{item[1]}.pf_filter"
            name, values = _read(old)
            old.unlink()
            item[1] = _write(out / "filter", "pf_filter", lang, 7, [name, sorted(values, key=lambda v: v[0])])
        filters.sort(key=lambda item: item[0])
        meta_path.unlink()
        about["hash"] = _write(out, "pf_meta", lang, 10, meta, prefix="pagefind.")
    (out / "pagefind-entry.json").write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")),
                                             encoding="utf-8")


def _read(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise HandbookError(f"{path.name}: not a Pagefind index file (Pagefind {PAGEFIND} is the version this "
                            "tool reads)")
    value, end = _cbor_item(data, len(SIGNATURE))
    return value


def _write(folder: Path, suffix: str, lang: str, digits: int, value: Any, prefix: str = "") -> str:
    """Write `value` as Pagefind does; the file's hash, by which the meta file or the entry names it."""
    data = SIGNATURE + _cbor(value)
    name = f"{lang}_{hashlib.sha256(data).hexdigest()[:digits]}"
    (folder / f"{prefix}{name}.{suffix}").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return name


def _cbor_item(data: bytes, pos: int) -> tuple[Any, int]:
    """One CBOR item (RFC 8949) of the kinds Pagefind writes: integers, strings, arrays, maps and simple values."""
    major, info = data[pos] >> 5, data[pos] & 31
    pos += 1
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if info in simple:
            return simple[info], pos
        raise HandbookError(f"Pagefind wrote a CBOR value this tool does not read (simple value {info})")
    arg = info
    if info >= 24:
        size = 1 << (info - 24)
        arg, pos = int.from_bytes(data[pos:pos + size], "big"), pos + size
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        raw = data[pos:pos + arg]
        return (raw if major == 2 else raw.decode("utf-8")), pos + arg
    items = []
    for _ in range(arg * (2 if major == 5 else 1)):
        item, pos = _cbor_item(data, pos)
        items.append(item)
    return (items if major == 4 else dict(zip(items[::2], items[1::2], strict=True))), pos


def _cbor(value: Any) -> bytes:
    """`value` as CBOR, each length and integer in its shortest form, as Pagefind (minicbor) writes them."""
    if value is None or isinstance(value, bool):
        return bytes([0xF6 if value is None else 0xF5 if value else 0xF4])
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(_cbor(item) for item in value)
    return _cbor_head(5, len(value)) + b"".join(_cbor(k) + _cbor(v) for k, v in value.items())


def _cbor_head(major: int, arg: int) -> bytes:
    if arg < 24:
        return bytes([major << 5 | arg])
    size = next(n for n in (1, 2, 4, 8) if arg < 1 << (8 * n))
    return bytes([major << 5 | (24 + size.bit_length() - 1)]) + arg.to_bytes(size, "big")


def search_marks(kind: str, facets: dict[str, list[str]] | None = None) -> Markup:
    """What a page tells the index besides its text, never shown: its kind (shown by each result, and a facet)
    and, for a case, its facets (`facets`: name -> values, the labels the case filter shows)."""
    marks = [f'<span data-pagefind-filter="kind">{escape(kind)}</span>',
             f'<span data-pagefind-meta="kind">{escape(kind)}</span>']
    for name, values in (facets or {}).items():
        marks += [f'<span data-pagefind-filter="{escape(name)}">{escape(value)}</span>' for value in values]
    return Markup(f'<div class="hb-search-marks" hidden data-pagefind-ignore>{"".join(marks)}</div>')


KINDS = {"cases": "case", "recipes": "recipe", "toolkits": "toolkit"}  # the folder of a page: its kind


def page_kind(src_uri: str) -> str:
    """case, recipe or toolkit for the page of one; page for any other (an index, a prose or reference page)."""
    folder, _, name = src_uri.rpartition("/")
    return KINDS.get(folder, "page") if name != "index.md" else "page"


def box_strings(root: Path, lang: str) -> dict[str, Any]:
    """The search box's words in `lang` (templates/overrides/partials/search.html and assets/search.js), from
    the handbook's UI catalogues. The count's plural forms are given for 1 and for 2: right in the languages
    whose only plural forms are "one" and "other" (en, es, pt, ca and most European languages)."""
    catalogue = translations(root, lang)
    _ = catalogue.gettext
    ngettext = catalogue.ngettext
    kinds = {"case": _("Case study"), "recipe": _("Action recipe"), "toolkit": _("Toolkit"), "page": _("Page")}
    facets = {"kind": _("Kind of page"), "sector": _("Sector"), "model": _("Model"), "scale": _("Scale"),
              "country": _("Country")}
    script = {
        "none": _("No result for “%(query)s”. Try another word, or fewer filters."),
        "found": [ngettext("%(count)s result for “%(query)s”", "%(count)s results for “%(query)s”", n)
                  for n in (1, 2)],
        "matching": [ngettext("%(count)s page matches these filters", "%(count)s pages match these filters", n)
                     for n in (1, 2)],
        "loading": _("Loading the search…"),
        "failed": _("The search could not be loaded. Check your connection and try again."),
    }
    return {"search": _("Search"), "label": _("Search the handbook"), "close": _("Close"),
            "narrow": _("Narrow the results"), "all": _("All"), "more": _("Show more results"),
            "results": _("Results"), "kinds": kinds, "facets": facets, "script": script}
