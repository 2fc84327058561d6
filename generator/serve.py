"""`handbook serve`: a live preview of one language, on MkDocs' own development server.

The preview has its own folder, `build/serve/<lang>/`, so a `handbook build` next to it does not disturb it.
Its MkDocs config carries `extra.handbook_serve`, which makes our hooks (mkdocs_hooks.py) load, check and
render the handbook again before every build. MkDocs watches the content, the templates and the settings,
rebuilds on every saved change and reloads the browser.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .errors import ContentError, HandbookError
from .languages import chosen
from .lock import held, serve_lock
from .site import mkdocs_config
from .validate import Handbook, load_handbook

WATCHED = ("handbook", "toolkits", "templates", "handbook.yml", "mkdocs.yml")


def serve(root: Path, lang: str | None = None, dev_addr: str = "127.0.0.1:8000", open_browser: bool = False) -> None:
    """Build `lang` (default: the first language handbook.yml publishes) and serve it with live reload."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    book = load_handbook(root, strict=False)  # the preview is not strict: a link MkDocs refuses is a warning
    if book.errors:
        raise ContentError(book.problems)
    lang = chosen(book, [lang])[0] if lang else book.settings.published[0]
    # its folder is its own, so it runs beside builds; a second preview of the language would share it
    with held(root, serve_lock(lang), f"handbook serve --lang {lang}", wait=False):
        _serve(root, book, lang, dev_addr, open_browser)


def _serve(root: Path, book: Handbook, lang: str, dev_addr: str, open_browser: bool) -> None:
    from mkdocs.commands.serve import serve as mkdocs_serve
    from mkdocs.exceptions import MkDocsException

    folder = root / "build" / "serve"
    (folder / lang / "docs").mkdir(parents=True, exist_ok=True)
    config = mkdocs_config(book, lang, folder, folder / lang / "site", serve=True)
    watch = [str(root / name) for name in WATCHED if (root / name).exists()]
    handler = _terminal_log()
    try:
        mkdocs_serve(str(config), livereload=True, watch=watch, open_in_browser=open_browser,
                     dev_addr=dev_addr, strict=False)
    except OSError as exc:  # the address is taken or cannot be bound
        raise HandbookError(f"cannot serve on {dev_addr}: {exc.strerror or exc}") from None
    except MkDocsException as exc:
        raise HandbookError(f"the preview failed to build: {exc}") from None
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)


def _terminal_log() -> logging.Handler:
    """MkDocs' messages (the address, rebuilds, warnings) on the terminal, as `mkdocs serve` shows them."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler
