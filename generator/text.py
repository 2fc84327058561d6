"""Contributed text made ready for a Markdown page: raw HTML escaped (it shows as text), entities kept, lists
re-indented for Python-Markdown, and marks for text in another language. Used by the renderer and by `check`
(`links.py`), which reads each link as the build will."""

from __future__ import annotations

import html.entities
import re
from typing import Any

from markupsafe import Markup, escape

_MD_SPECIAL = "\\`*_{}[]()#+-.!|"  # what Python-Markdown lets a backslash escape
_MD_ESCAPED = str.maketrans({char: "\\" + char for char in _MD_SPECIAL})
_QUOTE = re.compile(r"(?m)^(\s{0,3})&gt;")
_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])( +|$)")
_LIST_LINE = re.compile(r"(?m)^ *(?:[-*+]|\d{1,9}[.)])(?: |$)")


def mdtext(value: Any) -> Markup:
    """Plain text for a Markdown context (a heading, a list item, a link's text): on one line, Markdown's
    special characters backslash-escaped, then HTML-escaped (in this order, so `&#39;` stays an entity)."""
    one_line = " ".join(str(value).split())
    return Markup(escape(md_escape(one_line)))


def md_escape(text: str) -> str:
    """`text` with Markdown's special characters backslash-escaped, so that it shows as it is written."""
    return text.translate(_MD_ESCAPED)


def markdown_text(text: str) -> Markup:
    """Contributed Markdown, ready to sit in a page: raw HTML is escaped so that it shows as text, and entities
    (`&amp;`, `&nbsp;`) show as their characters, as Markdown shows them.

    `>` stays a block quote at the start of a line. Code spans are left as written: Markdown escapes their
    text itself (escaping it here too would show `&lt;`). MkDocs converts the rest, and its links are checked."""
    pieces, end = [], 0
    for span in _CODE_SPAN.finditer(text):
        pieces += [_escape_html(text[end:span.start()]), span.group(0)]
        end = span.end()
    escaped = "".join(pieces) + _escape_html(text[end:])
    return Markup(_QUOTE.sub(r"\1>", commonmark_lists(escaped)).strip("\n"))


_CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`).+?(?<!`)\1(?!`)", re.S)


def _escape_html(text: str) -> str:
    """`<` and `>` escaped, so raw HTML shows as text; `&` too, unless it starts an entity (`&amp;`, `&mdash;`,
    `&#x26;`), which Markdown renders as its character, like every Markdown renderer (CommonMark's rule)."""
    return _AMP.sub(_amp, text).replace("<", "&lt;").replace(">", "&gt;")


_AMP = re.compile(r"&(#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)?")


def _amp(match: re.Match[str]) -> str:
    entity = match.group(1)
    if entity and (entity[0] == "#" or entity in html.entities.html5):
        return match.group(0)
    return "&amp;" + (entity or "")


def commonmark_lists(text: str) -> str:
    """Re-indent list items the CommonMark way (content lines up with the text after `1. `) to the four
    spaces per level that Python-Markdown, MkDocs' parser, needs, so nested lists and continued items work."""
    if not _LIST_LINE.search(text):
        return text
    out: list[str] = []
    stack: list[tuple[int, int]] = []  # per open list item: (its content's indent in the text, in the output)
    for line in text.split("\n"):
        if not line.strip():
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack and indent < stack[-1][0]:
            stack.pop()
        new = stack[-1][1] + indent - stack[-1][0] if stack else indent
        out.append(" " * new + line.lstrip(" "))
        marker = _LIST_MARKER.match(line, indent)
        if marker:
            stack.append((marker.end(), new + 4))
    return "\n".join(out)


def in_lang(markup: Markup, code: str) -> Markup:
    """Markdown blocks marked as written in `code` (a page's text left in its file's own language); the marks
    become `<div lang>` in `mkdocs_hooks.on_page_content`. Nothing when `code` is empty."""
    if not code or not markup:
        return markup
    return Markup(f"<!-- hb-lang {code} -->\n\n") + markup + Markup("\n\n<!-- /hb-lang -->")


_BLOCK_START = re.compile(r"^(?: {4}|\s{0,3}(?:[-*+>#]|\d{1,9}[.)]|```|~~~))")


def span_lang(markup: Any, code: str) -> Markup:
    """Inline text (or each plain paragraph of Markdown) in a `<span lang>`: text in another language inside a
    list item or a line. Lists, quotes and headings inside it are left as they are."""
    if not code or not markup:
        return Markup(escape(markup))
    paragraphs = str(escape(markup)).split("\n\n")
    return Markup("\n\n".join(p if _BLOCK_START.match(p) else f'<span lang="{code}">{p}</span>' for p in paragraphs))


def list_item(text: str, indent: int = 4) -> Markup:
    """Markdown that continues inside a list item or definition: every line after the first indented."""
    first, *rest = text.split("\n")
    return Markup("\n".join([first, *((" " * indent + line) if line.strip() else "" for line in rest)]))
