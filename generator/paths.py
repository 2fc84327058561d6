"""Where everything lives: the handbook's own files (its settings, vocabulary, YAML content by kind, prose
pages), and where the pages of a language's site go (one folder per kind, the reference pages, the assets)
and their published addresses. Worksheet and book file names are in `worksheets.py` and `book.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .validate import Handbook

SETTINGS_FILE = "handbook.yml"
VOCABULARY_FILE = "handbook/vocabulary.yaml"
FOLDERS = {"case": "handbook/cases", "recipe": "handbook/recipes", "toolkit": "toolkits"}  # YAML files by kind
PAGES_FOLDER = "handbook/pages"  # Markdown pages, NAME.LANG.md

ASSETS = "templates/assets"
PAGE_FOLDERS = {"case": "cases", "recipe": "recipes", "toolkit": "toolkits"}  # where each kind's pages go
FIELDS_PAGE = "reference/fields.md"
CLI_PAGE = "reference/cli.md"
DATA_PAGE = "data.md"
REFERENCE_PAGES = (FIELDS_PAGE, CLI_PAGE, DATA_PAGE)


def page_paths(book: Handbook) -> set[str]:
    """The Markdown pages of a language's site (every language has the same): what a link may lead to."""
    paths = {f"{folder}/{slug}.md" for kind, folder in PAGE_FOLDERS.items() for slug in book.entries(kind)}
    paths |= {f"{folder}/index.md" for folder in PAGE_FOLDERS.values()}
    return paths | set(REFERENCE_PAGES) | {f"{name}.md" for name in book.pages}


def page_address(site_url: str | None, lang: str, kind: str, slug: str) -> str | None:
    """The published address of a case's, recipe's or toolkit's page under the handbook's `site_url` (pages are
    plain `.html` files: `use_directory_urls: false` in mkdocs.yml); None without a `site_url`."""
    if not site_url:
        return None
    return f"{str(site_url).rstrip('/')}/{lang}/{PAGE_FOLDERS[kind]}/{slug}.html"
