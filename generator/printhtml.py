"""Contributed Markdown as clean HTML for print (the case handouts and the book), converted the way the site
converts it (Python-Markdown, raw HTML escaped first) and cleaned against the site's own allow-list.

Links are rewritten for paper: a web address stays; a link to another page of the handbook goes where the
caller says (the book links to its own chapter) or becomes plain text (a handout has no other pages)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from .templating import fill
from .text import markdown_text, md_escape

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
        text = fill(text, {name: md_escape(value) for name, value in values.items()})
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


@dataclass(frozen=True)
class Text:
    """A piece of printed text, with the language it is in when that is not the document's ('' when it is)."""

    html: Markup | str
    lang: str = ""


@dataclass(frozen=True)
class SourceView:
    """A source as a numbered note: its number, what it is, and its address."""

    anchor: str
    number: int
    author: str
    title: str
    publisher: str
    year: int
    url: str


class Notes:
    """The sources of one case or recipe as numbered notes (numbered in the order the file lists them, as on the
    site), and the marks `[n]` that lead to them; `prefix` makes the notes' anchors unique in the document."""

    def __init__(self, sources: list[Any], prefix: str = "source") -> None:
        self.prefix = prefix
        self.numbers = {source.id: n for n, source in enumerate(sources, 1)}
        self.notes = [SourceView(f"{prefix}-{n}", n, s.author or "", s.title, s.publisher or "", s.year, s.url or "")
                      for n, s in enumerate(sources, 1)]

    def marks(self, ids: list[str]) -> Markup:
        cited = sorted({self.numbers[i] for i in ids if i in self.numbers})
        links = " ".join(f'<a href="#{self.prefix}-{n}">[{n}]</a>' for n in cited)
        return Markup(f'<sup class="cite">{links}</sup>') if cited else Markup("")

    def claim(self, html: Markup, ids: list[str]) -> Markup:
        """A claim's marks at the end of its last paragraph, where a reader looks for them."""
        if html.endswith("</p>"):
            return Markup(html[: -len("</p>")]) + self.marks(ids) + Markup("</p>")
        return html + self.marks(ids)


def xhtml(html: str) -> str:
    """HTML made well-formed XML for an EPUB: void elements closed, the one named entity HTML writes numbered."""
    return re.sub(r"<(br|hr)( [^>]*)?>", r"<\1\2/>", html.replace("&nbsp;", "&#160;"))
