"""MkDocs hooks used by every generated per-language config.

- "Edit this page" goes to the YAML file a page was generated from (`edit_url` in its front matter).
- Page titles are plain text: MkDocs' themes print them unescaped, so they are escaped here.
"""

from __future__ import annotations

import html
from typing import Any


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    page.edit_url = page.meta.get("edit_url")  # generated index pages have no file to edit
    return markdown


def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    if page.title:
        page.title = html.escape(html.unescape(str(page.title)), quote=True)
    return context
