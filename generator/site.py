"""One language's MkDocs site: its config (`build/<lang>/mkdocs.yml`, which INHERITs the handbook's own
`mkdocs.yml`), running MkDocs on it in this process, and MkDocs' messages named by the content file a
contributor has to edit. `handbook build`, `serve` and the preview's hooks all take their config from here."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from .errors import HandbookError
from .languages import language_name
from .templating import ui_gettext

if TYPE_CHECKING:
    from .validate import Handbook


def mkdocs_settings(book: Handbook, lang: str) -> dict[str, Any]:
    """The parts of a language's MkDocs config that come from the content: name, navigation, links."""
    settings = book.settings
    _ = ui_gettext(book.root, lang)
    nav: list[Any] = [{_("Home"): "index.md"}, {_("Case studies"): "cases/index.md"},
                      {_("Action recipes"): "recipes/index.md"}, {_("Toolkits"): "toolkits/index.md"}]
    for name, label in (("how-to-use", _("How to use")), ("contribute", _("Contribute")), ("about", _("About"))):
        if name in book.pages:
            nav.append({label: f"{name}.md"})
    extra_pages = sorted(set(book.pages) - {"index", "how-to-use", "contribute", "about"})
    nav.extend(f"{name}.md" for name in extra_pages)
    nav.append({_("Open data"): "data.md"})
    nav.append({_("Reference"): [{_("Fields"): "reference/fields.md"}, {_("Command line"): "reference/cli.md"}]})
    config: dict[str, Any] = {
        "site_name": settings.text(settings.title, lang),
        "site_description": settings.text(settings.description, lang) or None,
        "nav": nav,
        "copyright": _("Content licensed %(licence)s", licence=settings.licence),
    }
    if settings.site_url:
        config["site_url"] = f"{str(settings.site_url).rstrip('/')}/{lang}/"
    if settings.repo_url:
        config["repo_url"] = str(settings.repo_url)
    return config


def mkdocs_config(book: Handbook, lang: str, build_dir: Path, site_dir: Path, serve: bool = False) -> Path:
    """Write `build/<lang>/mkdocs.yml`, which INHERITs the handbook's `mkdocs.yml`.

    With `serve`, the config is for `handbook serve`: the hooks render the content again before every build,
    and the site is served from the root of the preview server."""
    root = book.root.resolve()
    _ = ui_gettext(root, lang)
    toc = str(_("On this page"))  # the contents on a phone (mkdocs_hooks.on_page_context)
    extra: dict[str, Any] = {"alternate": alternates(book), "generator": False, "handbook_toc": toc}
    if serve:  # one language, at the root of the preview server: no language menu leading nowhere
        extra = {"generator": False, "handbook_toc": toc, "handbook_serve": {"root": str(root), "lang": lang}}
    content = mkdocs_settings(book, lang)
    config: dict[str, Any] = {
        "INHERIT": str(root / "mkdocs.yml"),
        "site_name": content.pop("site_name"),
        "site_description": content.pop("site_description"),
        "docs_dir": "docs",
        "site_dir": str(site_dir.resolve()),
        "theme": {"name": "material", "language": lang, "custom_dir": str(root / "templates" / "overrides")},
        "hooks": [str(Path(__file__).with_name("mkdocs_hooks.py"))],
        # no Material search: Pagefind indexes each site (search.py, mkdocs_hooks.py); no tags.json: nothing reads
        # it, and a build of the changed pages only would list only theirs
        "plugins": [{"tags": {"export": False}}],
        "extra": extra,
        "extra_css": ["assets/handbook.css"],
        "extra_javascript": ["assets/handbook.js"],
        **content,
    }
    if serve:
        config.pop("site_url", None)
    config = {k: v for k, v in config.items() if v is not None}
    path = build_dir / lang / "mkdocs.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def alternates(book: Handbook) -> list[dict[str, str]]:
    """Each published language, for the language menu and the `hreflang` links: `root` is its site's address
    (relative without a `site_url`), to which the hooks add the page's path (`mkdocs_hooks.on_page_context`)."""
    site = book.settings.site_url
    out = []
    for code in book.settings.published:
        root = f"{str(site).rstrip('/')}/{code}/" if site else f"../{code}/"
        out.append({"name": language_name(code), "lang": code, "root": root, "link": f"{root}index.html"})
    return out


_DOC_FILE = re.compile(r"Doc file '([^']+)'")


def _locate(message: str, sources: dict[str, str]) -> str:
    """Name the content file behind a generated page in a MkDocs message: what a contributor has to edit."""
    match = _DOC_FILE.search(message)
    if match and match.group(1) in sources:
        page = match.group(1)
        return f"{sources[page]}: {message.replace(match.group(0), f'the page {page}', 1)}"
    return message


def warnings(lang: str, outcome: Outcome, sources: dict[str, str]) -> list[str]:
    """The warnings of a language's MkDocs build, each naming its content file; raises when it failed."""
    if outcome.failure == "mkdocs":
        details = "\n".join(f"  {_locate(message, sources)}" for message in outcome.messages)
        raise HandbookError(f"the {lang} site failed to build: {outcome.error}\n{details}".rstrip())
    if outcome.failure == "template":
        raise HandbookError(f"templates/overrides/{outcome.template}:{outcome.line}: error: template: "
                            f"{outcome.error} (the {lang} site failed to build)")
    if outcome.failure == "died":
        raise HandbookError(f"the {lang} site failed to build: {outcome.error}")
    if outcome.failure:  # a bug, not the content: its traceback
        raise RuntimeError(f"the {lang} site failed to build:\n{outcome.error}")
    return [_locate(message, sources) for message in outcome.messages]


class Outcome(NamedTuple):
    """What MkDocs said: `failure` is "" (built), "mkdocs" (its error), "template" (a theme override's
    error, with `template` and `line`), "died" (the worker stopped), "crash" (a bug: `error` is the
    traceback) or "cancelled"."""

    failure: str
    error: str = ""
    messages: tuple[str, ...] = ()
    template: str = ""
    line: int = 0


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def quiet_dirty_warning() -> None:
    """MkDocs warns that a "dirty" build may leave navigation and links wrong: true in general, not for our
    builds, which mark every page changed when something all of them show changed (`speed.caches.shared_key`,
    `serve._everything`). Kept out of the log, and so out of a strict build's count of warnings."""
    logger = logging.getLogger("mkdocs.commands.build")
    if not any(isinstance(f, _NoDirtyWarning) for f in logger.filters):
        logger.addFilter(_NoDirtyWarning())


class _NoDirtyWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build is being performed")


def run_mkdocs(config_file: str, strict: bool, dirty: bool = False) -> Outcome:
    """Build one language's site with MkDocs in this process: its warnings, or why it failed. `dirty`: the
    site folder holds the last build, and only the pages whose Markdown is newer are built again."""
    import jinja2
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    try:
        quiet_dirty_warning()
        build(load_config(config_file=config_file, strict=strict), dirty=dirty)
    except MkDocsException as exc:
        return Outcome("mkdocs", str(exc), tuple(collect.messages))
    except jinja2.TemplateError as exc:  # a broken theme override in templates/overrides/
        return Outcome("template", str(exc), tuple(collect.messages), getattr(exc, "name", None) or "?",
                       getattr(exc, "lineno", None) or 1)
    finally:
        logger.removeHandler(collect)
    return Outcome("", messages=tuple(collect.messages))


