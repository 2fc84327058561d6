"""Localisation and forking, tested the way a local group and a translator use them."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from sitebuild import REPO, copy_source, handbook


def run(root: Path, *args: str) -> str:
    result = handbook(root, *args)
    assert result.exit_code == 0, result.output
    return result.output


def visible_text(page: Path) -> str:
    source = page.read_text(encoding="utf-8")
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", source)).split())


def catalogue(lang: str) -> dict[str, str]:
    """msgid -> translation (the singular form) of a language's UI catalogue."""
    path = REPO / "templates" / "locales" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        cat = read_po(handle, locale=lang)
    out = {}
    for msg in cat:
        if not msg.id or msg.fuzzy:
            continue
        key = msg.id if isinstance(msg.id, str) else msg.id[0]
        value = msg.string if isinstance(msg.string, str) else msg.string[0]
        out[key] = value
    return out


def extracted_msgids(tmp_path: Path) -> set[str]:
    """Every UI string in the templates and code right now, extracted as `make i18n` does (babel.cfg)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (REPO / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_": None, "gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(REPO), method_map, options_map, keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_complete_language_translates_every_ui_string(tmp_path: Path) -> None:
    import yaml

    settings = yaml.safe_load((REPO / "handbook.yml").read_text(encoding="utf-8"))
    wanted = extracted_msgids(tmp_path)
    assert len(wanted) > 50
    for lang in settings["complete_languages"]:
        if lang == settings["languages"][0]:
            continue
        have = catalogue(lang)
        untranslated = sorted(m for m in wanted if not have.get(m))
        assert not untranslated, f"{lang} lacks UI strings: {untranslated}"


def test_a_missing_ui_string_is_caught(tmp_path: Path) -> None:
    """The check above can fail: drop one translation and it names the string."""
    have = catalogue("es")
    wanted = extracted_msgids(tmp_path)
    before = {m for m in wanted if not have.get(m)}
    have.pop("Case studies")
    assert "Case studies" in wanted
    assert {m for m in wanted if not have.get(m)} - before == {"Case studies"}


@pytest.fixture(scope="module")
def spanish_fork(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Spanish handbook for a hospital in Barcelona, made with `handbook init` and built."""
    source = copy_source(tmp_path_factory.mktemp("source"))
    fork = tmp_path_factory.mktemp("fork") / "hospital-bcn"
    out = run(source, "init", str(fork), "--toolkit", "hospital", "--lang", "es", "--place", "Barcelona",
              "--group", "Grupo del Hospital del Mar")
    assert "Made the handbook of Grupo del Hospital del Mar" in out
    run(fork, "build")
    return fork


def test_fork_publishes_spanish_only_and_builds_in_strict_mode(spanish_fork: Path) -> None:
    site = spanish_fork / "site"
    assert (site / "es" / "index.html").is_file()
    assert not (site / "en").exists()
    assert 'hreflang="es"' in (site / "index.html").read_text(encoding="utf-8")


def test_fork_home_page_features_the_toolkit_with_place_and_group(spanish_fork: Path) -> None:
    text = visible_text(spanish_fork / "site" / "es" / "index.html")
    assert "Barcelona" in text
    assert "Grupo del Hospital del Mar" in text
    toolkit = (spanish_fork / "toolkits" / "hospital.es.yaml").read_text(encoding="utf-8")
    title = re.search(r"^title: (.+)$", toolkit, re.M)
    assert title is not None
    assert title.group(1).strip().strip("'\"") in text


def test_fork_pages_hold_no_english_ui_string(spanish_fork: Path) -> None:
    es = catalogue("es")
    english = {m for m, t in es.items() if t and t != m}
    pages = sorted((spanish_fork / "site" / "es").rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        if "/reference/" in page.as_posix():
            continue  # the field and CLI reference quote the English schema and help on purpose
        source = page.read_text(encoding="utf-8")
        chrome = re.findall(r"<(?:h2|h3|dt|label|button|option|nav)[^>]*>(.*?)</", source, flags=re.S)
        labels = {" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in chrome}
        leaked = sorted(labels & english)
        assert not leaked, f"{page.relative_to(spanish_fork)} shows English UI strings: {leaked}"
        text = visible_text(page)
        long_leaks = sorted(m for m in english if " " in m and "%" not in m and m[:1].isupper() and m in text)
        assert not long_leaks, f"{page.relative_to(spanish_fork)} shows English UI strings: {long_leaks}"


def test_fork_pack_pdf_carries_place_and_group(spanish_fork: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    packs = sorted((spanish_fork / "site" / "es" / "worksheets").glob("hospital-pack-*.pdf"))
    assert [p.name for p in packs] == ["hospital-pack-a4.pdf", "hospital-pack-letter.pdf"]
    reader = pypdf.PdfReader(str(packs[0]))
    text = " ".join(page.extract_text() or "" for page in reader.pages[:2])
    assert "Barcelona" in text
    assert "Grupo del Hospital del Mar" in text


def test_editing_an_english_source_makes_its_translation_stale(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    assert "stale    handbook/cases/porto-alegre.es.yaml" not in run(root, "i18n", "status")
    case = root / "handbook" / "cases" / "porto-alegre.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("story: |\n", "story: |\n  A new first sentence.\n", 1),
                    encoding="utf-8")
    status = run(root, "i18n", "status")
    assert "stale    handbook/cases/porto-alegre.es.yaml" in status
    assert "stale    handbook/cases/porto-alegre.pt.yaml" in status
    run(root, "build", "--lang", "es", "--no-worksheets")
    text = visible_text(root / "site" / "es" / "cases" / "porto-alegre.html")
    assert catalogue("es")["This translation may be out of date"] in text
    other = visible_text(root / "site" / "es" / "cases" / "mondragon.html")
    assert catalogue("es")["This translation may be out of date"] not in other


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_search_uses_the_stemmer_of_each_language(tmp_path_factory: pytest.TempPathFactory, lang: str) -> None:
    import json

    from sitebuild import built_handbook

    entry = built_handbook(tmp_path_factory) / "site" / lang / "pagefind" / "pagefind-entry.json"
    languages = json.loads(entry.read_text(encoding="utf-8"))["languages"]
    assert list(languages) == [lang] and languages[lang]["wasm"] == lang, "one index, stemmed in the site's language"


def test_a_language_pagefind_cannot_stem_is_searched_by_whole_words(tmp_path: Path) -> None:
    import json

    import yaml

    from generator.search import index_site
    from generator.site import mkdocs_config
    from generator.validate import load_handbook

    root = copy_source(tmp_path / "book")
    settings = root / "handbook.yml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("languages: [en, es, pt]",
                                                                      "languages: [en, es, pt, cy]"), encoding="utf-8")
    book = load_handbook(root)
    assert book.settings.languages[-1] == "cy"
    config = yaml.safe_load(mkdocs_config(book, "cy", tmp_path / "build", tmp_path / "site").read_text("utf-8"))
    assert not [p for p in config["plugins"] if "search" in p], "no Material search: Pagefind indexes the site"
    site = tmp_path / "cy"
    site.mkdir()
    (site / "index.html").write_text('<html lang="cy"><body><div data-pagefind-body><h1>Cydweithfeydd</h1>'
                                     "<p>Mae gweithwyr yn penderfynu gyda'i gilydd.</p></div></body></html>")
    index_site(site, "cy")
    languages = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))["languages"]
    assert list(languages) == ["cy"] and languages["cy"]["wasm"] is None, "no English stemming for Welsh"
    assert config["theme"]["language"] == "cy"
