"""Contributed Markdown as clean HTML for print (the case handouts and the book), converted the way the site
converts it (Python-Markdown, raw HTML escaped first) and cleaned against the site's own allow-list.

Links are rewritten for paper: a web address stays; a link to another page of the handbook goes where the
caller says (the book links to its own chapter) or becomes plain text (a handout has no other pages)."""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup

from .templating import fill
from .text import _MD_SPECIAL, markdown_text

EXTENSIONS = ["tables", "sane_lists", "def_list"]  # mkdocs.yml's, less the table of contents and admonitions
_PAGE_LINK = re.compile(r"^(?:\.\./(cases|recipes|toolkits)/)?([a-z0-9]+(?:-[a-z0-9]+)*)\.md(?:#.*)?$")
FOLDER_KINDS = {"cases": "case", "recipes": "recipe", "toolkits": "toolkit"}
# What Markdown makes of contributed text, and nothing else: narrower than the site's allow-list (mkdocs_hooks),
# which also lets our own page templates through (forms, buttons)
TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
ATTRIBUTES = {"*": {"lang", "title"}, "a": {"href"}, "ol": {"start"}, "td": {"align"}, "th": {"align"}}
Link = Callable[[str, str], str | None]  # (kind, slug) -> the address of that page in this document, or None


def page_link(href: str, folder: str) -> tuple[str, str] | None:
    """(kind, slug) of a link to another page of the handbook, written from a page in `folder` ('cases', ...)."""
    match = _PAGE_LINK.match(href)
    if not match:
        return None
    return FOLDER_KINDS.get(match.group(1) or folder, ""), match.group(2)


def markdown_html(text: str | None, folder: str, values: dict[str, str] | None = None,
                  link: Link | None = None) -> Markup:
    """`text` (contributed Markdown of a page in `folder`) as clean HTML; placeholders filled with `values`."""
    import markdown
    import nh3


    if not text:
        return Markup("")
    if values is not None:  # the values are plain text: their `*`, `_` or `[` must not become Markdown
        text = fill(text, {name: _MD_SPECIAL.sub(r"\\\1", value) for name, value in values.items()})
    html = markdown.markdown(str(markdown_text(text)), extensions=EXTENSIONS, output_format="html")

    def href(tag: str, attribute: str, value: str) -> str | None:
        if tag != "a" or attribute != "href":
            return value
        if value.startswith(("https://", "http://", "mailto:")):
            return value
        target = page_link(value, folder)
        return link(*target) if link is not None and target is not None and target[0] else None

    cleaner = nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"}, link_rel=None,
                          attribute_filter=href)
    return Markup(cleaner.clean(html))
