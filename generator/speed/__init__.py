"""Everything that exists only to make `handbook build` fast, behind one door: `start` gives the build a
`Speed`, and `off()` one that does nothing. A build with `Speed.off()` makes the same site, byte for byte
(tests/test_stream.py); it is only slower.

- `workers.py`: MkDocs in processes of their own, forked first, reading each page as it is written.
- `caches.py`: files not parsed again when unchanged, and languages not built again when none of their
  inputs changed; `prefetch.py`: the files that changed parsed by two processes from both ends.
- the cycle collector kept off the loaded content (`quiet_gc`).
- `trace.py`: timestamps of a build's steps for `benchmarks/timeline.py`.

Only light modules are imported here: `start` runs before the build imports pydantic, the models and Jinja,
so that the workers fork from a small process and import MkDocs while the build imports the rest.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import caches
from .caches import ParseCache
from .trace import mark
from .workers import Workers, worker_count

if TYPE_CHECKING:
    from ..validate import Handbook


@dataclass
class Speed:
    workers: Workers  # none: MkDocs runs in the build's own process
    cache: Path | None  # `build/cache`; None: nothing is kept or reused
    parsed: ParseCache | None  # files parsed by the last build
    on: bool = True
    keys: dict[str, str] = field(default_factory=dict)  # language -> the key of its inputs, once worked out
    shared: dict[str, str] = field(default_factory=dict)  # language -> `caches.shared_key` of this build
    kept: dict[str, tuple[Path, dict[str, str]]] = field(default_factory=dict)  # language -> its docs, pages kept

    @classmethod
    def off(cls) -> Speed:
        """The pipeline alone: no worker, no cache, the garbage collector left as it is."""
        return cls(Workers({}), None, None, on=False)

    def stop(self) -> None:
        """End what is still running (the build calls it, always, before it removes its staging folder)."""
        self.workers.stop()
        if self.parsed is not None:
            self.parsed.stop()

    def loading(self) -> contextlib.AbstractContextManager[None]:
        """How the content is loaded: with the cycle collector quiet (`quiet_gc`), unless the speed is off."""
        return quiet_gc() if self.on else contextlib.nullcontext()

    def reuse(self, book: Handbook, lang: str, options: dict[str, Any], target: Path) -> int | None:
        """Put the language's last build at `target` when none of its inputs changed: its page count, or None."""
        if self.cache is None or not caches.saved(self.cache / lang):
            return None
        self.keys[lang] = caches.language_key(book, lang, options)
        return caches.restore(self.cache / lang, self.keys[lang], target)

    def prefill(self, root: Path, lang: str, options: dict[str, Any], config: Path, target: Path,
                gone: set[str]) -> str:
        """Put the language's last site at `target` for MkDocs to build again only the pages whose Markdown
        changed ("dirty"), when nothing that every page shows changed and no page is `gone`: "" then. Else the
        reason every page is built (none when there is no last site)."""
        if self.cache is None:
            return "no cache"
        text = config.read_text(encoding="utf-8").replace(str(target.resolve()), "")
        self.shared[lang] = caches.shared_key(root, lang, text, options)
        if not caches.saved(self.cache / lang):
            return "no site to start from"
        if gone:
            return "pages were removed"
        if not caches.prefill(self.cache / lang, self.shared[lang], target):
            return "the settings, theme, mkdocs.yml or tool changed"
        return ""

    def pages_kept(self, lang: str, docs: Path) -> dict[str, str] | None:
        """What each case page in the language's `docs` shows, as the last build wrote it: the render makes again
        only the pages whose inputs changed (`render.RenderJob`). None without a cache."""
        if self.cache is None:
            return None
        self.kept[lang] = (docs, caches.take_kept(docs))
        return self.kept[lang][1]

    def work_out_keys(self, book: Handbook, langs: list[str], options: dict[str, Any]) -> None:
        """The keys of the languages being built (while MkDocs builds them): `keep` stores under them."""
        if self.cache is not None:
            for lang in langs:
                self.keys.setdefault(lang, caches.language_key(book, lang, options))

    def keep(self, lang: str, site: Path, pages: int) -> None:
        """Keep a freshly built language site for the next build."""
        if self.cache is not None:
            caches.store(self.cache / lang, self.keys[lang], site, pages, self.shared.get(lang, ""))
            if lang in self.kept:
                caches.put_kept(*self.kept[lang])

    def save_parsed(self) -> None:
        if self.parsed is not None:
            self.parsed.done()
            self.parsed.save()


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """Keep the cycle collector off the content while it loads: it holds no cycles, and scanning its hundreds
    of thousands of new objects again and again made `check` a third slower. Reference counting still frees
    it. What is alive then is frozen (never scanned again): for one-shot commands (`build`, `check`) only,
    never in the long-lived preview, where it would keep every rebuild's cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def prefetched(root: Path) -> ParseCache:
    """For `check`: the YAML read, and a large handbook's parsed in a second process from the first file on,
    while the command imports pydantic and the models (call it before importing them)."""
    parsed = ParseCache()
    parsed.start(root)
    return parsed


def start(root: Path, langs: list[str] | None, jobs: int | None) -> Speed:
    """Fork the MkDocs workers first (from the smallest process), then open the caches."""
    workers = Workers.start(worker_count(root, langs, jobs))
    cache = caches.folder(root)
    parsed = ParseCache(cache / "parsed.marshal" if cache else None)
    if jobs != 1:
        parsed.start(root)  # a second process parses from the first file while this one imports the rest
    mark("speed: workers forked, parsing begun")
    return Speed(workers, cache, parsed)
