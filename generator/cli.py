"""The `handbook` command: thin Click commands that call plain functions in the other modules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import ContentError, Problem, summary_line

FORMATS = ("text", "json", "github")


class Context:
    """What every command shares: the handbook's root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handbook")
@click.option("--root", "-C", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
              envvar="HANDBOOK_ROOT", help="The handbook's folder (where handbook.yml is).")
@click.pass_context
def cli(ctx: click.Context, root: Path) -> None:
    """Build a civic handbook: check its content, build its site and worksheets, translate and fork it."""
    ctx.obj = Context(root)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="handbook")


def print_problems(problems: list[Problem], fmt: str, checked: int = 0, count: bool = True) -> None:
    """Print problems in one of the three formats, then the count (to stderr for github, none for json).

    Commands that go on to fail with a ContentError pass `count=False`: its message is the count."""
    if fmt == "json":
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False))
        return
    for problem in problems:
        click.echo(problem.as_github() if fmt == "github" else problem.as_text())
    if count:
        click.echo(summary_line(problems, checked), err=fmt == "github")


def load_checked(root: Path, fmt: str = "text", quiet: bool = False) -> Any:
    """Load and validate the handbook; print its problems and raise when there are errors. A link the site
    would refuse is only a warning here: the worksheets and the open data, made from this, hold no links."""
    from .validate import load_handbook

    _require_handbook(root)
    book = load_handbook(root, strict=False)
    if book.problems and (book.errors or not quiet):
        print_problems(book.problems, fmt, count=not book.errors)
    if book.errors:
        raise ContentError(book.problems)
    return book


@cli.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: PATH:LINE:COL lines; json: a list of objects; github: workflow annotations.")
@click.option("--strict", is_flag=True, help="Count warnings as errors.")
@pass_ctx
def check(obj: Context, fmt: str, strict: bool) -> None:
    """Load and validate every content file and cross-reference; print every problem."""
    from .speed import prefetched, quiet_gc

    _require_handbook(obj.root)
    parsed = prefetched(obj.root)  # a second process parses while this one imports pydantic and the models
    from .validate import load_handbook

    with quiet_gc():
        book = load_handbook(obj.root, parsed)
    parsed.done()
    print_problems(book.problems, fmt, book.files)
    if strict and book.problems and not book.errors:
        click.echo("--strict counts warnings as errors", err=True)
    if book.problems if strict else book.errors:
        raise click.exceptions.Exit(1)


@cli.group()
def new() -> None:
    """Write a skeleton for a new case study, recipe, toolkit or translation (never overwrites)."""


def _new_kind(kind: str) -> click.Command:
    what = "case study" if kind == "case" else kind

    @click.command(name=kind, short_help=f"Write a skeleton for a new {what}.",
                   help=f"Write a commented skeleton for a new {what} called SLUG (never overwrites).")
    @click.argument("slug")
    @pass_ctx
    def command(obj: Context, slug: str) -> None:
        from .scaffold import new_file

        path = new_file(obj.root, kind, slug)
        click.echo(f"Wrote {path}. Replace every TODO, then run `handbook check`.")

    return command


for _kind in ("case", "recipe", "toolkit"):
    new.add_command(_new_kind(_kind))


@new.command(name="translation")
@click.argument("lang")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def new_translation(obj: Context, lang: str, paths: tuple[Path, ...]) -> None:
    """Write translation skeletons into LANG for the source files PATHS, with translated_from filled in."""
    from .scaffold import new_translation as write

    for path in paths:
        written = write(obj.root, lang, path)
        click.echo(f"Wrote {written}. Translate its text, keeping the structure.")


@cli.command()
@click.argument("kind", required=False)
@pass_ctx
def schema(obj: Context, kind: str | None) -> None:
    """Print the JSON Schema of KIND (case, recipe, toolkit, handbook, vocabulary, ...), with this handbook's
    vocabulary, or list the kinds."""
    from .schema import all_models, schema_text, vocabulary_of

    names = sorted(all_models())
    if kind is None:
        click.echo("\n".join(names))
        return
    if kind not in names:
        raise click.BadParameter(f"{kind!r} is not one of {', '.join(names)}", param_hint="KIND")
    click.echo(schema_text(kind, vocabulary_of(obj.root)), nl=False)


@cli.command()
@click.option("--lang", "langs", multiple=True, help="Build only this language (repeat for several).")
@click.option("--no-worksheets", is_flag=True,
              help="Skip the PDFs (worksheets, case handouts, books); the last build's are kept.")
@click.option("--no-strict", is_flag=True, help="Do not fail on broken links or MkDocs warnings.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Languages built at once (default: one per core).")
@pass_ctx
def build(obj: Context, langs: tuple[str, ...], no_worksheets: bool, no_strict: bool, jobs: int | None) -> None:
    """Check the content, then build every language, the worksheets and the open data into site/."""
    import os

    from .build import build as run_build

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    _require_handbook(obj.root)
    try:
        report = run_build(obj.root, list(langs) or None, worksheets=not no_worksheets, strict=not no_strict,
                           progress=lambda line: click.echo(line, err=True), jobs=jobs, commands=cli)
    except ContentError as exc:
        print_problems(exc.problems, "text", count=False)
        raise
    click.echo(f"Built {report.pages} pages in {len(report.languages)} "
               f"language{'s' if len(report.languages) != 1 else ''} ({', '.join(report.languages)})"
               f"{f', {report.worksheets} worksheets' if report.worksheets else ''}"
               f"{f', {report.handouts} handouts, {report.books} book files' if report.handouts else ''} "
               f"into {obj.root / 'site'} in {report.seconds:.1f} s")


def _require_handbook(root: Path) -> None:
    from .load import require_handbook

    require_handbook(root)


@cli.group()
def i18n() -> None:
    """Translation state of the content."""


@i18n.command(name="status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: a summary per language; json: every file and its state.")
@pass_ctx
def i18n_status(obj: Context, fmt: str) -> None:
    """Per language: what is translated, missing and stale, with the digest to put in `translated_from`."""
    from .i18n import status
    from .validate import load_handbook

    _require_handbook(obj.root)
    report = status(load_handbook(obj.root))
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    for lang, states in report.items():
        counts = ", ".join(f"{len(items)} {state}" for state, items in states.items())
        click.echo(f"{lang}: {counts}")
        for item in states["partial"]:
            click.echo(f"  partial  {item['translation']} (not translated: {item['untranslated']})")
        for item in states["stale"]:
            changed = f"; changed since: {item['changed']}" if item["changed"] else ""
            click.echo(f"  stale    {item['translation']} (translated_from {item['translated_from']}; "
                       f"the source is now {item['digest']}{changed})")
        for item in states["missing"]:
            digest = f" (digest {item['digest']})" if item["digest"] else ""
            if item.get("written"):
                digest = " (the file is there, but no text is translated yet)"
            click.echo(f"  missing  {item['translation']}{digest}")


@i18n.command(name="add")
@click.argument("lang")
@pass_ctx
def i18n_add(obj: Context, lang: str) -> None:
    """Add the language LANG (like ca): to handbook.yml's languages, with a catalogue of UI strings to translate."""
    from .languages import add_language
    from .validate import load_handbook

    _require_handbook(obj.root)
    for line in add_language(load_handbook(obj.root), lang):
        click.echo(line)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--toolkit", "-t", required=True, help="The toolkit to feature, e.g. school or hospital.")
@click.option("--lang", "-l", required=True,
              help="Your language, e.g. es or ca: new content is written in it and the site is published in it.")
@click.option("--place", "-p", required=True, help="Where you are, e.g. Barcelona.")
@click.option("--group", "-g", required=True, help="Who you are, e.g. 'Hospital del Mar'.")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default=None, help="Paper for the worksheets.")
@click.option("--site-url", default=None, help="Where the site will be published, if you know it already.")
@pass_ctx
def init(obj: Context, directory: Path, toolkit: str, lang: str, place: str, group: str, paper: str | None,
         site_url: str | None) -> None:
    """Make your group's own handbook in DIRECTORY: a complete repository, in your language, that checks, builds
    and publishes itself (a git clone of this one when this one is a git repository)."""
    from .fork import init_fork

    _require_handbook(obj.root)
    for note in init_fork(obj.root, directory, toolkit, lang, place, group, paper, site_url):
        click.echo(note)
    click.echo(f"Made the handbook of {group} in {directory}. Next (its README.md says more):\n"
               f"  cd {directory}\n"
               "  make build     # installs the tool into .venv, checks the content, builds site/\n"
               "  make serve     # preview while you edit\n"
               "  git add -A && git commit -m 'Our handbook'")


@cli.command()
@click.option("--lang", "langs", multiple=True,
              help="Only this language (repeat for several; default: the languages handbook.yml publishes).")
@click.option("--paper", "papers", multiple=True, type=click.Choice(["a4", "letter"]),
              help="Only this paper size (repeat for both; default: both).")
@pass_ctx
def worksheets(obj: Context, langs: tuple[str, ...], papers: tuple[str, ...]) -> None:
    """Render only the PDFs: worksheets and packs into site/<lang>/worksheets/, case handouts into .../handouts/."""
    from .worksheets import build_worksheets

    book = load_checked(obj.root, quiet=True)
    from .languages import chosen

    langs = tuple(chosen(book, langs))
    from .speed.caches import COMMITTED, folder

    caches = folder(obj.root)
    if caches is None:
        click.echo(f"warning: {COMMITTED}", err=True)
    from .lock import BUILD_LOCK, held

    with held(obj.root, BUILD_LOCK, "handbook worksheets", wait=True, notice=lambda line: click.echo(line, err=True)):
        written = build_worksheets(book, list(langs) or book.settings.published, list(papers) or ["a4", "letter"],
                                   obj.root / "site", cache_dir=caches / "worksheets" if caches else None,
                                   progress=lambda line: click.echo(line, err=True))
        from .handout import build_handouts

        written += build_handouts(book, list(langs) or book.settings.published, list(papers) or ["a4", "letter"],
                                  obj.root / "site", caches / "handouts" if caches else None,
                                  progress=lambda line: click.echo(line, err=True))
    click.echo(f"Wrote {len(written)} PDFs into {obj.root / 'site'}")


@cli.command()
@click.option("--lang", "langs", multiple=True,
              help="Only this language (repeat for several; default: the languages handbook.yml publishes).")
@click.option("--paper", "papers", multiple=True, type=click.Choice(["a4", "letter"]),
              help="Only this paper size for the PDF (repeat for both; default: both).")
@pass_ctx
def book(obj: Context, langs: tuple[str, ...], papers: tuple[str, ...]) -> None:
    """Make only the whole handbook as a book per language: a PDF per paper and an EPUB, into site/<lang>/book/."""
    from .book import build_books
    from .languages import chosen
    from .lock import BUILD_LOCK, held
    from .speed.caches import COMMITTED, folder

    handbook = load_checked(obj.root, quiet=True)
    caches = folder(obj.root)
    if caches is None:
        click.echo(f"warning: {COMMITTED}", err=True)
    with held(obj.root, BUILD_LOCK, "handbook book", wait=True, notice=lambda line: click.echo(line, err=True)):
        written = build_books(handbook, chosen(handbook, langs) if langs else handbook.settings.published,
                              list(papers) or ["a4", "letter"], obj.root / "site",
                              caches / "books" if caches else None, progress=lambda line: click.echo(line, err=True))
    click.echo(f"Wrote {len(written)} books into {obj.root / 'site'}")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="json: cases and recipes with every field; csv: one row a case.")
@click.option("--lang", default=None, help="Language of the text (default: the source language).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (never overwritten) instead of standard output.")
@pass_ctx
def export(obj: Context, fmt: str, lang: str | None, output: Path | None) -> None:
    """Export the case studies (and recipes, in JSON) as open data."""
    from .export import cases_csv, cases_data, recipes_data, to_json

    book = load_checked(obj.root, quiet=True)
    from .languages import chosen

    lang = chosen(book, [lang])[0] if lang else book.source_lang
    if fmt == "csv":
        text = cases_csv(book, lang)
    else:
        cases = {key: value for key, value in cases_data(book, lang).items() if key != "schema"}  # not cases.json
        text = to_json({**cases, "recipes": recipes_data(book, lang)["recipes"]})
    if output is None:
        click.echo(text, nl=False)
        return
    from .scaffold import write_new

    write_new(output, text)
    click.echo(f"Wrote {output}", err=True)


def _dev_addr(ctx: click.Context, param: click.Parameter, value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r} is not HOST:PORT, e.g. 127.0.0.1:8000")
    return value


@cli.command()
@click.option("--lang", default=None, help="The language to preview (default: the first one handbook.yml publishes).")
@click.option("--dev-addr", "-a", default="127.0.0.1:8000", show_default=True, callback=_dev_addr,
              help="Address to serve on, HOST:PORT. Only this computer can see 127.0.0.1.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the default web browser.")
@pass_ctx
def serve(obj: Context, lang: str | None, dev_addr: str, open_browser: bool) -> None:
    """Preview one language in the browser; saving any YAML, page or template rebuilds it and reloads the page."""
    from .serve import serve as run_serve

    _require_handbook(obj.root)
    try:
        run_serve(obj.root, lang, dev_addr, open_browser, commands=cli)
    except ContentError as exc:
        print_problems(exc.problems, "text", count=False)
        raise


if __name__ == "__main__":  # `python -m generator.cli`
    main()
