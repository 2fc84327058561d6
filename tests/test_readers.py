"""What a first-time reader and an independent checker meet in the built site (issue 16): the addresses it
gives (none of its own without a `site_url`), its language links, its pages on a phone, its search index and
its printed pages. The real handbook is built once per session (tests/sitebuild.py) and reused."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
import yaml
from sitebuild import REPO, built_handbook, copy_source, handbook

pytestmark = pytest.mark.slow

SITE_URL = "https://decide.example.net/guide/"


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_handbook(tmp_path_factory)


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real handbook with a `site_url`, built in two languages (no worksheets)."""
    root = copy_source(tmp_path_factory.mktemp("published") / "book")
    settings = root / "handbook.yml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(f"{text}site_url: {SITE_URL}\n", encoding="utf-8")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en", "--lang", "es")
    assert result.exit_code == 0, result.output
    assert "sets no site_url" not in result.output
    return root


def languages() -> list[str]:
    data = yaml.safe_load((REPO / "handbook.yml").read_text(encoding="utf-8"))
    return [lang for lang in data["languages"] if not data.get("publish") or lang in data["publish"]]


def head_links(page: str) -> list[tuple[str, str, str]]:
    """(rel, href, hreflang) of every `<link>` in a page's head."""
    head = page.split("</head>", 1)[0]
    out = []
    for tag in re.findall(r"<link\b[^>]*>", head):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        out.append((attrs.get("rel", ""), attrs.get("href", ""), attrs.get("hreflang", "")))
    return out


# ---------------------------------------------------------------- addresses


def test_the_handbook_itself_sets_no_placeholder_address() -> None:
    settings = yaml.safe_load((REPO / "handbook.yml").read_text(encoding="utf-8"))
    assert "example." not in str(settings.get("site_url") or ""), "a placeholder would be published as if real"


def test_without_a_site_url_the_site_names_no_address_of_its_own(book: Path) -> None:
    site = book / "site"
    for lang in languages():
        assert not (site / lang / "sitemap.xml").exists() and not (site / lang / "sitemap.xml.gz").exists()
        for path in sorted((site / lang).rglob("*.html")):
            links = head_links(path.read_text(encoding="utf-8"))
            assert not [rel for rel, _, _ in links if rel == "canonical"], f"{path}: a canonical link"
            absolute = [href for _, href, _ in links if re.match(r"(?i)https?:", href)]
            assert not absolute, f"{path}: {absolute}"
        cases = json.loads((site / lang / "data" / "cases.json").read_text(encoding="utf-8"))
        for case in cases["cases"]:
            assert case["url"] == f"../cases/{case['id']}.html"
            assert (site / lang / "data" / case["url"]).resolve().is_file(), "the address leads to the page"
    root = (site / "index.html").read_text(encoding="utf-8")
    assert not [href for _, href, _ in head_links(root) if href.startswith("http")]


def test_a_build_without_a_site_url_says_so_once(tmp_path: Path) -> None:
    root = copy_source(tmp_path / "book")
    result = handbook(root, "build", "--no-worksheets", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert result.output.count("sets no site_url") == 1, result.output


def test_with_a_site_url_canonical_links_sitemaps_and_data_use_it(published: Path) -> None:
    site = published / "site"
    page = (site / "en" / "cases" / "mondragon.html").read_text(encoding="utf-8")
    assert ("canonical", f"{SITE_URL}en/cases/mondragon.html", "") in head_links(page)
    sitemap = (site / "es" / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{SITE_URL}es/cases/mondragon.html</loc>" in sitemap
    assert gzip.decompress((site / "es" / "sitemap.xml.gz").read_bytes()).decode("utf-8") == sitemap
    cases = json.loads((site / "es" / "data" / "cases.json").read_text(encoding="utf-8"))
    assert {case["url"] for case in cases["cases"]} >= {f"{SITE_URL}es/cases/mondragon.html"}
    root = head_links((site / "index.html").read_text(encoding="utf-8"))
    assert ("alternate", f"{SITE_URL}es/index.html", "es") in root
    assert ("alternate", SITE_URL, "x-default") in root


# ---------------------------------------------------------------- languages


def test_every_pages_alternates_lead_to_the_same_page_in_each_language(book: Path) -> None:
    site = book / "site"
    codes = languages()
    pages = sorted(p.relative_to(site / codes[0]).as_posix() for p in (site / codes[0]).rglob("*.html")
                   if p.name != "404.html")
    assert "cases/mondragon.html" in pages and "recipes/open-books.html" in pages
    for lang in codes:
        for relative in pages:
            path = site / lang / relative
            alternates = [(href, code) for rel, href, code in head_links(path.read_text(encoding="utf-8"))
                          if rel == "alternate" and code]
            assert sorted(code for _, code in alternates) == sorted(codes), f"{lang}/{relative}"
            for href, code in alternates:
                target = (path.parent / href).resolve()
                assert target == (site / code / relative).resolve(), f"{lang}/{relative}: {href}"
                assert target.is_file()


def test_with_a_site_url_the_alternates_are_absolute(published: Path) -> None:
    page = (published / "site" / "es" / "recipes" / "open-books.html").read_text(encoding="utf-8")
    alternates = {code: href for rel, href, code in head_links(page) if rel == "alternate" and code}
    assert alternates == {code: f"{SITE_URL}{code}/recipes/open-books.html" for code in languages()}


# ---------------------------------------------------------------- what the site ships


def test_the_site_ships_no_source_maps(book: Path) -> None:
    site = book / "site"
    assert not list(site.rglob("*.map"))
    for path in (site / "en" / "assets").rglob("*.min.*"):
        assert b"sourceMappingURL" not in path.read_bytes(), f"{path.name} names a source map the site lacks"
