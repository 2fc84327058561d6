"""MkDocs hooks used by every generated per-language config.

- "Edit this page" goes to the YAML file a page was generated from (`edit_url` in its front matter).
- Page titles are plain text: MkDocs' themes print them unescaped, so they are escaped here.
- The HTML of every page body is cleaned against an allow-list: contributed Markdown sits in our pages as
  Markdown (raw HTML escaped), and this makes sure no tag, attribute or link scheme outside the list
  (script, style, javascript: links, event handlers) can reach a reader, whatever the Markdown did.
- Each page's `hreflang` links name the same page in every language (absolute under a `site_url`), and every
  folder of pages has the `sitemap.xml` Material's language menu reads beside them.
- A page outside the navigation (a case, recipe or toolkit: listing them all would put every title on every
  page) gets its table of contents under its title, for phones, where Material's drawer has none for it.
- Material's source maps are not shipped.
- Each page's body is what the search indexes (`data-pagefind-body`), with its kind and a case's facets beside
  it, hidden (`search.search_marks`); the search box gets its words (`hb_search`); once the site is written,
  Pagefind indexes it into `pagefind/` (generator/search.py), in `handbook build` and `handbook serve` alike.
- In `handbook build`, MkDocs runs in a process of its own and reads each page as soon as the build has
  written it (`on_files`, `speed/workers.py`); a plain `mkdocs build` of the generated Markdown is not affected.
- `handbook serve` adds `extra.handbook_serve: {root, lang}` to its config: each (re)build then loads and
  renders the handbook again first (with the open data and schemas the data page links to), and the
  generated Markdown is not itself watched (no rebuild loops).
"""

from __future__ import annotations

import html
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

import nh3

from generator.speed.trace import mark

log = logging.getLogger("mkdocs.handbook")

TAGS = {
    "a", "abbr", "article", "b", "blockquote", "br", "button", "caption", "cite", "code", "dd", "del", "details",
    "div", "dl", "dt", "em", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "label", "li", "ol",
    "option", "p", "pre", "s", "section", "select", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ATTRIBUTES = {
    "*": {"class", "id", "lang", "title", "role", "hidden", "aria-label", "aria-live", "aria-hidden"},
    "a": {"href", "rel", "hreflang"}, "ol": {"start"}, "td": {"align", "style"}, "th": {"align", "style"},
    "select": {"name"}, "option": {"value", "selected"}, "button": {"type"}, "form": {"name"},
}
_cleaner = nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES, generic_attribute_prefixes={"data-"},
                       url_schemes={"http", "https", "mailto"}, link_rel=None,
                       filter_style_properties={"text-align"})


class _PreviewIndex:
    """The preview's search index, written in the background after each build: the page shows at once, and
    the search follows a moment later. One index at a time; a build during one asks for another after it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wanted: tuple[Path, str] | None = None
        self._running = False

    def want(self, site: Path, lang: str) -> None:
        with self._lock:
            self._wanted = (site, lang)
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        from generator.errors import HandbookError
        from generator.search import index_site

        while True:
            with self._lock:
                if self._wanted is None:
                    self._running = False
                    return
                (site, lang), self._wanted = self._wanted, None
            try:
                index_site(site, lang, background=True)
            except HandbookError as exc:
                log.error(exc.message)


_preview_index = _PreviewIndex()


def on_pre_build(config: Any) -> None:
    mark("mkdocs: config loaded")
    _words.clear()  # a preview rebuilds after a catalogue is saved: its words are read again
    live = config.extra.get("handbook_serve")
    if live:
        _render(live, config)


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    live = config.extra.get("handbook_serve")
    if live:
        from generator.serve import watch

        watch(server, Path(live["root"]), config.docs_dir)  # the sources, not the docs folder we write
        _server[:] = [server]
        server._inject_js_into_html = _show_errors(server._inject_js_into_html)  # MkDocs 1.6's server (pinned)
    return server


def on_env(env: Any, config: Any, files: Any) -> Any:
    """The theme's templates are compiled once a process, not at every build: the preview builds again at
    every save (Jinja compiles a template again when its source changed)."""
    if config.extra.get("handbook_serve"):
        from generator.templating import COMPILED

        env.bytecode_cache = COMPILED
    return env


def on_files(files: Any, config: Any) -> Any:
    """While `handbook build` still writes the pages (`speed.workers.Stream`), MkDocs gets the files of its
    plan, in order, as files that wait until they are written when they are read or copied."""
    for source_map in [f for f in files if f.src_uri.endswith(".map")]:  # Material's: 1 MB a language, unused
        files.remove(source_map)
    worker = sys.modules.get("generator.speed.workers")  # never imported by a plain `mkdocs build`
    job: Any = getattr(worker, "ACTIVE", None)
    if job is None:
        return files
    from mkdocs.structure.files import File, Files

    class Streamed(File):
        @property
        def content_string(self) -> str:
            job.wait_for(self.src_uri)
            return str(File.content_string.fget(self))  # type: ignore[attr-defined]

        @content_string.setter
        def content_string(self, value: str) -> None:
            File.content_string.fset(self, value)  # type: ignore[attr-defined]

        def copy_file(self, dirty: bool = False) -> None:
            job.wait_for(self.src_uri)
            super().copy_file(dirty)

    planned = set(job.streamed)  # the whole docs folder: what is on disk but not planned is left out
    docs = [Streamed(uri, config.docs_dir, config.site_dir, config.use_directory_urls) for uri in job.streamed]
    from generator.search import Index, case_slug, part_count

    parts = part_count(sum(case_slug(f.dest_uri) is not None for f in docs if f.is_documentation_page()))
    if parts:  # the plan writes the pages of each part of the search index together (`search.write_order`)
        _index[:] = [(Index(Path(config.site_dir), config.theme["language"]), parts)]
    return Files(docs + [f for f in files if f.src_dir != config.docs_dir and f.src_uri not in planned])


# In `handbook build`, the search index of a large site is begun part by part while MkDocs writes the pages
# (`search.Index.written`); else it is made once the site is written.
_index: list[tuple[Any, int]] = []


def on_build_error(error: Exception) -> None:
    while _index:
        _index.pop()[0].cancel()


def on_post_template(output_content: str, template_name: str, config: Any) -> str:
    """The sitemap lists the pages by address, whatever order MkDocs read them in (`search.write_order`)."""
    if template_name != "sitemap.xml":
        return output_content
    entries = list(_SITEMAP_ENTRY.finditer(output_content))
    if len(entries) < 2:
        return output_content
    ordered = sorted((m.group(0) for m in entries), key=lambda entry: _SITEMAP_LOC.search(entry).group(1))  # type: ignore[union-attr]
    return (output_content[: entries[0].start()] + "\n    ".join(ordered) + output_content[entries[-1].end():])


_SITEMAP_ENTRY = re.compile(r"<url>.*?</url>", re.S)
_SITEMAP_LOC = re.compile(r"<loc>(.*?)</loc>", re.S)


_server: list[Any] = []  # the preview's server
_rest: list[bool] = []  # the preview wrote only the saved files' own pages: the rest is to follow


def _build_the_rest() -> None:
    """Have the preview's server build again at once, for the pages that show something of the saved files
    (`serve.preview`): as a saved file does, once this build has reloaded the browsers."""
    server = _server[0]
    with server._rebuild_cond:  # MkDocs 1.6's server (pinned)
        server._want_rebuild = True
        server._rebuild_cond.notify_all()


_read: list[bool] = []
_built: list[str] = []  # the pages this build wrote (the preview builds only those whose Markdown changed)


def on_page_read_source(page: Any, config: Any) -> None:
    if not _read:
        _read.append(True)
        mark("mkdocs: first page read")


def on_post_build(config: Any) -> None:
    site = Path(config.site_dir)
    _sitemaps_beside_pages(site)
    _drop_source_map_comments(site / "assets")
    mark("mkdocs: site written")
    from mkdocs.exceptions import PluginError

    from generator.errors import HandbookError
    from generator.search import Index

    if config.extra.get("handbook_serve"):  # the preview shows the page first; its search follows a moment later
        if not _rest:  # once the pages that show the saved files are built too
            _preview_index.want(site, config.theme["language"])
    else:
        index = _index.pop()[0] if _index else Index(site, config.theme["language"])
        try:
            index.finish()
        except HandbookError as exc:
            raise PluginError(exc.message) from None
        mark("mkdocs: search index written")
    _read.clear()
    if config.extra.get("handbook_serve"):
        pages = f"Preview: {len(_built)} page{'s' if len(_built) != 1 else ''} built"
        log.info(pages + ("; next, the pages that show something of it" if _rest else ""))
        if _rest and _server:
            _build_the_rest()
    _built.clear()


EMPTY_SITEMAP = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>\n'


def _sitemaps_beside_pages(site: Path) -> None:
    """Material's language menu reads `sitemap.xml` beside the page each `hreflang` link names (the same page in
    each language, `_alternates_of`): a folder without one would log a failed request on every page. The
    language's own sitemap is MkDocs' (it lists the pages when the handbook has a `site_url`, else nothing);
    the other folders get an empty one, which names no page twice. The search index's folder is not entered:
    in the preview it may be written at the same time (`_PreviewIndex`)."""
    folders = set()
    for parent, dirs, files in os.walk(site):
        dirs[:] = [name for name in dirs if not (parent == str(site) and name == "pagefind")]
        if any(name.endswith(".html") for name in files):
            folders.add(Path(parent))
    for folder in sorted(folders):
        if not (folder / "sitemap.xml").exists():
            (folder / "sitemap.xml").write_text(EMPTY_SITEMAP, encoding="utf-8")


_SOURCE_MAP_COMMENT = re.compile(rb"\n?(?://# sourceMappingURL=[^\n]*|/\*# sourceMappingURL=[^*]*\*/)\s*$")


def _drop_source_map_comments(assets: Path) -> None:
    """Material's scripts and stylesheets name their source maps, which the site does not ship (`on_files`)."""
    for path in sorted(assets.rglob("*.min.*")):
        if path.suffix in (".js", ".css") and not path.is_symlink():
            data = path.read_bytes()
            kept = _SOURCE_MAP_COMMENT.sub(b"\n", data)
            if kept != data:
                path.write_bytes(kept)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    page.edit_url = page.meta.get("edit_url")  # generated index pages have no file to edit
    return markdown


# Our templates mark text left in its file's own language (a page not translated yet, or a part of one) with
# these comments (`render.in_lang`); contributed text cannot write them (its `<` is escaped).
_LANG_START = re.compile(r"^<!-- hb-lang ([a-z]{2,3}(?:-[A-Z]{2})?) -->$", re.M)
_LANG_END = re.compile(r"^<!-- /hb-lang -->$", re.M)


# And the lists of links to other pages (related cases, where a recipe was tried ...), which the search leaves
# out: a search for a case finds the pages that tell of it, not every page that links to it (search.py).
_NO_SEARCH = re.compile(r"^<!-- (/?)hb-nosearch -->$", re.M)


def on_page_content(html_text: str, page: Any, config: Any, files: Any) -> str:
    if "<!-- hb-lang " in html_text:
        html_text = _LANG_END.sub("</div>", _LANG_START.sub(r'<div lang="\1">', html_text))
    if "<!-- hb-nosearch -->" in html_text:
        html_text = _NO_SEARCH.sub(lambda m: "</div>" if m.group(1) else "<div data-search-exclude>", html_text)
    return str(_cleaner.clean(html_text))


def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    _built.append(page.file.src_uri)
    if _index:  # the pages before this one are written
        _index[0][0].written(page.file.dest_uri, _index[0][1])
    if page.title:
        page.title = html.escape(html.unescape(str(page.title)), quote=True)
    _alternates_of(config, page.url)
    if page.content and nav is not None and page not in nav.pages:
        page.content = _with_contents(page.content, page.toc, config.extra.get("handbook_toc") or "Contents")
    if page.content:
        page.content = _searchable(page, _search_strings(config))
    context["hb_search"] = _search_strings(config)
    return context


def _searchable(page: Any, words: dict[str, Any]) -> str:
    """The page's body as the search indexes it, with its kind and facets (a case's, from its front matter)."""
    from generator.search import page_kind, search_marks

    facets = page.meta.get("facets") if isinstance(page.meta.get("facets"), dict) else None
    marks = search_marks(words["kinds"][page_kind(page.file.src_uri)], facets)
    return f"<div data-pagefind-body>{page.content}{marks}</div>"


_words: dict[tuple[str, str], dict[str, Any]] = {}


def _search_strings(config: Any) -> dict[str, Any]:
    """The search box's words in the site's language (`search.box_strings`), read once per build."""
    from generator.search import box_strings

    root = Path(config.theme.custom_dir or ".").parent.parent  # templates/overrides, in the handbook
    key = (str(root), str(config.theme["language"]))
    if key not in _words:
        _words[key] = box_strings(root, key[1])
    return _words[key]


def _with_contents(content: str, toc: Any, title: str) -> str:
    """A page outside the navigation (a case, recipe or toolkit) has no table of contents in Material's drawer:
    on a phone it gets its own, under the title (handbook.css hides it where Material shows the sidebar's)."""
    items = list(toc)
    if len(items) == 1 and items[0].level == 1:
        items = list(items[0].children)
    if len(items) < 2 or "</h1>" not in content:
        return content.replace(CONTENTS_HERE, "")

    def entries(links: list[Any], depth: int) -> str:
        out = []
        for link in links:
            text = html.escape(html.unescape(str(link.title)), quote=False)
            inner = entries(list(link.children), depth + 1) if link.children and depth < 2 else ""
            out.append(f'<li><a href="#{html.escape(link.id)}">{text}</a>{inner}</li>')
        return f"<ul>{''.join(out)}</ul>"

    contents = (f'<details class="hb-toc" data-search-exclude><summary>{html.escape(title)}</summary>'
                f'<nav aria-label="{html.escape(title)}">{entries(items, 1)}</nav></details>')
    if CONTENTS_HERE in content:  # where the page's template puts them: after its title and print links
        return content.replace(CONTENTS_HERE, contents, 1)
    head, rest = content.split("</h1>", 1)
    return f"{head}</h1>\n{contents}{rest}"


CONTENTS_HERE = '<div class="hb-contents"></div>'


def on_template_context(context: Any, template_name: str, config: Any) -> Any:
    _alternates_of(config, "index.html")  # the 404 page: each language's home
    context["hb_search"] = _search_strings(config)
    return context


def _alternates_of(config: Any, url: str) -> None:
    """Point the `hreflang` links (`extra.alternate`, from `build.alternates`) at this page in each language:
    every language's site has the same paths."""
    for alternate in config.extra.get("alternate") or ():
        if "root" in alternate:
            alternate["link"] = alternate["root"] + url


def _render(live: dict[str, Any], config: Any) -> None:
    """Load, check and render the previewed language again (`serve.preview`, in the preview's renderer process
    when there is one). With content errors the pages stay as they were and `handbook serve` shows the errors
    at the top of every page until they are fixed (`on_serve`); a plain `mkdocs serve` stops the rebuild."""
    from generator import serve

    renderer = serve.RENDERER
    if renderer is not None:
        from generator.errors import HandbookError

        try:
            result = renderer.render(Path(config.docs_dir), first=not _rest)
        except HandbookError as exc:  # a broken template: shown like a content error, once the preview runs
            if not serve.SETTINGS:
                raise
            result = serve.Preview([("error", str(exc))], 1)
    else:
        from generator.cli import cli

        result = serve.preview(Path(live["root"]), live["lang"], Path(config.docs_dir), cli)
    _rest[:] = [True] if result.rest else []
    for level, text in result.problems:
        (log.error if level == "error" else log.warning)(text)
    serve.ERRORS[:] = [text for level, text in result.problems if level == "error"]
    if result.errors and renderer is None:
        from mkdocs.exceptions import PluginError

        raise PluginError(f"{result.errors} content error{'s' if result.errors != 1 else ''}: fix them and save "
                          "again (the preview is unchanged)")
    if result.errors:
        log.error(f"{result.errors} content error{'s' if result.errors != 1 else ''}: the preview shows them "
                  "on every page until they are fixed")
    else:
        serve.SETTINGS.update(result.settings)
    if result.everything:
        log.info(result.everything)
    if serve.SETTINGS:
        config.nav = serve.SETTINGS["nav"]
        config.site_name = serve.SETTINGS["site_name"]


def _show_errors(inject: Any) -> Any:
    """MkDocs' server adds its reload script to every page it serves; this adds the preview's content errors
    in front of it, in a box at the top of the page that names each file and line."""
    from generator import serve

    def injected(content: bytes, epoch: int) -> bytes:
        page = inject(content, epoch)
        if not serve.ERRORS:
            return bytes(page)
        items = "".join(f"<li><code>{html.escape(text)}</code></li>" for text in serve.ERRORS)
        count = len(serve.ERRORS)
        box = (f'<div role="alert" id="handbook-preview-errors" style="position:fixed;inset:0 0 auto 0;z-index:10;'
               f'max-height:60vh;overflow:auto;background:#fff;color:#000;border-bottom:4px solid #b00020;'
               f'padding:1em;font:16px/1.4 sans-serif"><p><strong>{count} content '
               f'error{"s" if count != 1 else ""}</strong>: this page is as it was before; fix '
               f'{"them" if count != 1 else "it"} and save, and the preview recovers by itself.</p>'
               f'<ul>{items}</ul></div>').encode()
        at = page.find(b"<body")
        at = page.find(b">", at) + 1 if at >= 0 else 0
        return bytes(page[:at] + box + page[at:])

    return injected
