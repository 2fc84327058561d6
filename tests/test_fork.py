"""A local group makes its own handbook with `handbook init`, in Spanish or Catalan: it commits it, clones it
afresh, runs its README's commands there, writes a case in its own language and publishes it; later it takes
the upstream handbook's improvements without losing its own edits.

The fork's `make build` is the README's command. Only its install step is replaced: instead of downloading
every package from PyPI again, the fork's `.venv` sees the packages of this test run's venv (a `.pth` file)
and the fork's own `generator/` code (not this checkout's)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from sitebuild import REPO, search_pages, serve_folder

pytestmark = [pytest.mark.slow]

GIT = ["git", "-c", "user.name=Test Organiser", "-c", "user.email=organiser@example.org",
       "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"]
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}


def run(cwd: Path, *command: str) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENV, timeout=900, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed in {cwd}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def git(cwd: Path, *args: str) -> str:
    return run(cwd, *GIT, *args)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The upstream handbook as its own git repository: this checkout's files (changes not committed included)."""
    folder = tmp_path_factory.mktemp("upstream") / "handbook"
    listed = run(REPO, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(source.read_bytes())
            (folder / name).chmod(source.stat().st_mode & 0o777)
    git(folder, "init", "--quiet")
    git(folder, "add", "-A")
    git(folder, "commit", "--quiet", "-m", "Upstream handbook")
    return folder


def init(upstream: Path, target: Path, lang: str, place: str, group: str, toolkit: str) -> str:
    return run(upstream, sys.executable, "-m", "generator.cli", "init", str(target), "--toolkit", toolkit,
               "--lang", lang, "--place", place, "--group", group)


def venv_without_downloads(fork: Path) -> None:
    """The fork's `.venv`, as `make build` would make it, but with this run's packages instead of downloads."""
    run(fork, sys.executable, "-m", "venv", "--without-pip", ".venv")
    site = next((fork / ".venv" / "lib").glob("python*/site-packages"))
    (site / "_test_packages.pth").write_text(f"{fork}\n{sysconfig.get_paths()['purelib']}\n", encoding="utf-8")
    script = fork / ".venv" / "bin" / "handbook"
    script.write_text(f"#!{fork}/.venv/bin/python\nfrom generator.cli import main\nmain()\n", encoding="utf-8")
    script.chmod(0o755)
    (fork / ".venv" / ".installed").touch()


def readme_commands(fork: Path) -> list[str]:
    """The commands of the README's quick start that build the site (`make build`), as a newcomer types them."""
    text = (fork / "README.md").read_text(encoding="utf-8")
    blocks = [block for block in re.findall(r"```sh\n(.*?)```", text, re.S) if "make build" in block]
    commands = [line.split("#")[0].strip() for line in blocks[0].splitlines()]  # the quick start's block
    return [command for command in commands if command.startswith("make build")]


def write_native_case(fork: Path, slug: str, title: str, summary: str) -> None:
    """`handbook new case`, then the case filled in, in the handbook's first language."""
    out = run(fork, ".venv/bin/handbook", "new", "case", slug)
    assert f"handbook/cases/{slug}.yaml" in out
    path = fork / "handbook" / "cases" / f"{slug}.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in {'"TODO: the title, in plain text"': json.dumps(title, ensure_ascii=False),
                     '"TODO: one or two sentences shown on the case\'s card"': json.dumps(summary, ensure_ascii=False),
                     '"TODO: town or region"': "Barcelona", "country: TODO": "country: ES",
                     "start: TODO": "start: 2019",
                     "TODO: what happened, in order. Markdown, no HTML.": summary,
                     "TODO: how decisions are made: who takes part, how, how often.": summary,
                     '"TODO: one thing it achieved"': json.dumps(summary, ensure_ascii=False),
                     '"TODO: one criticism or limit"': '"Menys gent jove / Poca gente joven."',
                     '"TODO: another criticism or limit"': '"Decisions lentes / Decisiones lentas."',
                     '"TODO: what a local group can take from it"': '"Assemblea oberta / Asamblea abierta."',
                     '"TODO: the title of a book, report, article or page that really exists"': '"Memoria 2023"',
                     '"TODO: author or organisation"': '"Associació de veïns"', "year: TODO": "year: 2023",
                     "reviewed: TODO": "reviewed: 2026-12-06"}.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def make_fork(upstream: Path, tmp: Path, lang: str, group: str) -> Path:
    """`handbook init`, committed, then cloned afresh and built with the README's commands."""
    made = tmp / f"made-{lang}"
    out = init(upstream, made, lang, "Barcelona", group, "hospital")
    assert f"Made the handbook of {group} in {made}" in out
    git(made, "add", "-A")
    git(made, "commit", "--quiet", "-m", "Our handbook")
    fork = tmp / f"fork-{lang}"
    git(tmp, "clone", "--quiet", str(made), str(fork))
    venv_without_downloads(fork)
    return fork


def built_page(fork: Path, path: str) -> str:
    return (fork / "site" / path).read_text(encoding="utf-8")


def test_a_hospital_group_in_barcelona_publishes_its_own_handbook_in_spanish(upstream: Path, tmp_path: Path,
                                                                              browser: Any) -> None:
    fork = make_fork(upstream, tmp_path, "es", "Hospital del Mar")
    settings = (fork / "handbook.yml").read_text(encoding="utf-8")
    assert "languages: [es, en, pt]" in settings and "publish: [es]" in settings
    for part in ("Makefile", "pyproject.toml", "generator/cli.py", ".gitignore", ".ci/run",
                 ".github/workflows/check.yml", ".github/workflows/deploy.yml", "CONTRIBUTING.md"):
        assert (fork / part).is_file(), f"the fork has no {part}"
    readme = (fork / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Decidirlo juntos: Barcelona\n") and "El manual de Hospital del Mar" in readme
    write_native_case(fork, "comedor-del-hospital", "El comedor que decide el personal",
                      "Cocineras, celadores y pacientes deciden juntos el menú del comedor del hospital.")
    assert "lang: es" in (fork / "handbook" / "cases" / "comedor-del-hospital.yaml").read_text(encoding="utf-8")
    commands = readme_commands(fork)
    assert commands == ["make build"], commands
    for command in commands:
        run(fork, *command.split())

    page = built_page(fork, "es/cases/comedor-del-hospital.html")
    assert '<html lang="es"' in page
    assert "El comedor que decide el personal" in page
    assert "Aún sin traducir" not in page and "lang=\"en\"" not in page.split("<article", 1)[1]
    index = built_page(fork, "es/cases/index.html")
    assert 'href="comedor-del-hospital.html"' in index and "El comedor que decide el personal" in index
    found = search_pages(fork / "site" / "es")["cases/comedor-del-hospital.html"]
    assert "comedor" in found["meta"]["title"].lower() and "personal" in found["content"]
    data = json.loads(built_page(fork, "es/data/cases.json"))
    record = next(item for item in data["cases"] if item["id"] == "comedor-del-hospital")
    assert record["lang"] == "es" and record["translation"] == "source"
    upstream_case = next(item for item in data["cases"] if item["id"] == "mondragon")
    assert upstream_case["lang"] == "es" and upstream_case["translation"] == "translated"
    assert not (fork / "site" / "en").exists(), "the fork publishes only Spanish"
    # the group's name reads as Spanish: "en el" and "del" come from the forms the group gives in handbook.yml
    home = built_page(fork, "es/index.html")
    assert "Hospital del Mar" in home
    assert all(oct(path.stat().st_mode & 0o777) in ("0o755", "0o644") for path in (fork / "site").rglob("*"))

    # the same case on an English site of the fork: shown in Spanish, with a note that says so
    run(fork, ".venv/bin/handbook", "build", "--lang", "en", "--no-worksheets")
    english = built_page(fork, "en/cases/comedor-del-hospital.html")
    assert "This page has not been translated yet, so it is shown in Spanish." in english
    assert (fork / "site" / "es" / "cases" / "comedor-del-hospital.html").is_file(), "building en removed es"
    with serve_folder(fork / "site") as base:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        tab = context.new_page()
        tab.goto(f"{base}/es/cases/comedor-del-hospital.html")
        assert tab.locator("html").get_attribute("lang") == "es"
        assert tab.locator("article h1").inner_text() == "El comedor que decide el personal"
        assert tab.locator("article [lang]").count() == 0  # all of it is in the page's language
        tab.goto(f"{base}/en/cases/comedor-del-hospital.html")
        assert "so it is shown in Spanish" in tab.locator("article").inner_text()
        assert tab.locator("article h1 [lang=es]").inner_text() == "El comedor que decide el personal"
        assert tab.locator("article div[lang=es]").count() >= 2  # what happened, how decisions are made
        context.close()


def test_a_catalan_group_writes_in_catalan_and_publishes_a_catalan_site(upstream: Path, tmp_path: Path) -> None:
    fork = make_fork(upstream, tmp_path, "ca", "Hospital de Sant Pau")
    assert "languages: [ca, en, es, pt]" in (fork / "handbook.yml").read_text(encoding="utf-8")
    assert (fork / "templates" / "locales" / "ca" / "LC_MESSAGES" / "messages.po").is_file()
    write_native_case(fork, "menjador", "El menjador que decideix el personal",
                      "Cuineres, zeladors i pacients decideixen junts el menú del menjador de l'hospital.")
    for command in readme_commands(fork):
        run(fork, *command.split())
    page = built_page(fork, "ca/cases/menjador.html")
    assert '<html lang="ca"' in page and "El menjador que decideix el personal" in page
    assert 'lang="en"' not in page.split("<article", 1)[1].split("</article>", 1)[0]
    assert "menjador.html" in built_page(fork, "ca/cases/index.html")
    assert "menjador" in search_pages(fork / "site" / "ca")["cases/menjador.html"]["content"]
    assert '"wasm":"ca"' in built_page(fork, "ca/pagefind/pagefind-entry.json"), "searched with Catalan stemming"
    record = next(item for item in json.loads(built_page(fork, "ca/data/cases.json"))["cases"]
                  if item["id"] == "menjador")
    assert record["lang"] == "ca" and record["translation"] == "source"
    # an upstream case not translated into Catalan: in English, marked as English, with a note naming English
    mondragon = built_page(fork, "ca/cases/mondragon.html")
    assert '<div lang="en">' in mondragon and '<span lang="en">' in mondragon


def test_a_fork_takes_upstream_improvements_and_keeps_its_own_edits(upstream: Path, tmp_path: Path) -> None:
    fork = tmp_path / "ours"
    init(upstream, fork, "es", "Barcelona", "Hospital del Mar", "hospital")
    git(fork, "add", "-A")
    git(fork, "commit", "--quiet", "-m", "Our handbook")
    ours = fork / "handbook" / "cases" / "our-case.yaml"
    ours.write_text("lang: es\n", encoding="utf-8")
    git(fork, "add", "-A")
    git(fork, "commit", "--quiet", "-m", "Our case")

    recipe = upstream / "handbook" / "recipes" / "who-is-missing.yaml"
    recipe.write_text(recipe.read_text(encoding="utf-8") + "# improved upstream\n", encoding="utf-8")
    readme = upstream / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nNews from upstream.\n", encoding="utf-8")
    git(upstream, "commit", "--quiet", "-am", "Upstream improves a recipe and its README")
    try:
        git(fork, "pull", "--quiet", "--no-rebase", "--no-edit", "upstream", "main")
    finally:
        git(upstream, "reset", "--quiet", "--hard", "HEAD~1")  # the module's upstream stays as it was

    assert (fork / "handbook" / "recipes" / "who-is-missing.yaml").read_text(encoding="utf-8").endswith(
        "# improved upstream\n")
    assert ours.read_text(encoding="utf-8") == "lang: es\n"
    kept = (fork / "README.md").read_text(encoding="utf-8")
    assert kept.startswith("# Decidirlo juntos: Barcelona") and "News from upstream." not in kept
    assert "publish: [es]" in (fork / "handbook.yml").read_text(encoding="utf-8")
