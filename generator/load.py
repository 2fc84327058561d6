"""Safe, line-accurate YAML loading.

Every scalar is kept as the exact string written (no YAML 1.1 implicit typing: `NO` stays
`"NO"`, `2024-01-01` stays a string); the models convert numbers and dates where a field
wants one. Anchors, aliases, tags, duplicate keys, several documents, deep nesting, files
that are too large, not UTF-8 or symlinks are refused, each with its own message.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import yaml

from .errors import HandbookError, Problem
from .paths import SETTINGS_FILE

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
NULLS = frozenset({"", "~", "null", "Null", "NULL"})

try:  # the C parser is many times faster; fall back to the pure-Python one
    _Parser: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader

Path_ = tuple[str | int, ...]


class Document:
    """A loaded YAML file: plain data (dicts, lists, strings, None) and where each value was written.

    A document from the parse cache (`speed.caches`) keeps its text instead, and finds the positions only when something
    asks for one (a problem to report): most files never need them."""

    def __init__(self, path: str, data: Any, positions: dict[Path_, tuple[int, int]] | None = None,
                 keys: dict[Path_, tuple[int, int]] | None = None, text: str | None = None) -> None:
        self.path = path
        self.data = data
        # False when no string of the file can hold a `{placeholder}` or a TODO (its text holds neither)
        self.marked = text is None or "{" in text or "TODO" in text
        self._text = text  # kept (instead of the positions) until a position is asked for
        self._located = None if text is not None else (positions or {}, keys or {})

    def _locations(self) -> tuple[dict[Path_, tuple[int, int]], dict[Path_, tuple[int, int]]]:
        if self._located is None:
            assert self._text is not None
            parsed = parse_yaml(self._text, self.path)
            self._located, self._text = (parsed.positions, parsed.keys), None
        return self._located

    @property
    def positions(self) -> dict[Path_, tuple[int, int]]:
        """Where each value was written (line, column), by its location."""
        return self._locations()[0]

    @property
    def keys(self) -> dict[Path_, tuple[int, int]]:
        """Where each map key was written."""
        return self._locations()[1]

    def with_data(self, data: Any) -> Document:
        """The same file's positions for other data (a translation merged into its source)."""
        merged = Document(self.path, data, text=self._text)
        merged._located = self._located
        return merged

    def where(self, loc: Path_) -> tuple[int, int]:
        """Line and column of the value at `loc`, or of its nearest written parent."""
        positions = self.positions
        for end in range(len(loc), -1, -1):
            found = positions.get(tuple(loc[:end]))
            if found:
                return found
        return (1, 1)

    def where_key(self, loc: Path_) -> tuple[int, int]:
        """Line and column of the key naming the field at `loc` (for unknown fields), else `where(loc)`."""
        return self.keys.get(loc) or self.where(loc)


class LoadError(Exception):
    """A file could not be loaded: carries every problem found in it (`problem` is the first), and the
    `document` as far as it could be read when only its values are refused (a duplicate key, a tag, an alias):
    the rest of the file is then checked too, so that one run shows every problem."""

    def __init__(self, problem: Problem, *more: Problem, document: Document | None = None) -> None:
        super().__init__("\n".join(p.as_text() for p in (problem, *more)))
        self.problem = problem
        self.problems = [problem, *more]
        self.document = document


def display_path(path: Path, root: Path | None = None) -> str:
    """The path as a contributor knows it: relative to the handbook root, with forward slashes."""
    text = path.as_posix()
    if root is not None:
        prefix = root.as_posix().rstrip("/") + "/"
        if text.startswith(prefix):  # the common case, without pathlib's slower relative_to
            return text[len(prefix):]
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return text


def symlinked_part(path: Path, root: Path) -> Path | None:
    """The first folder or file from `root` down to `path` that is a symbolic link (None when none is).

    Only what lies inside the handbook counts: the handbook itself may live under a linked folder."""
    current = root
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    for part in parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def read_text(path: Path, shown: str) -> str:
    """Read a content file as UTF-8 text, refusing symlinks, huge files and other encodings."""
    raw = _read_bytes(path, shown)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(
            Problem(shown, line, col, "", f"the file is not saved as UTF-8 text (byte 0x{raw[exc.start]:02x} here "
                    "is not UTF-8); open it in your editor and save it again with the UTF-8 encoding")
        ) from None


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise LoadError(Problem(shown, 1, 1, "", f"cannot read the file: {exc.strerror}")) from None
    if stat.S_ISLNK(info.st_mode):
        raise LoadError(Problem(shown, 1, 1, "", "the file is a symbolic link, which is not read; replace it "
                                "with a real file inside the repository"))
    if not stat.S_ISREG(info.st_mode):
        raise LoadError(Problem(shown, 1, 1, "", "this is not a regular file; content files must be plain "
                                "text files"))
    if info.st_size > MAX_BYTES:
        raise LoadError(Problem(shown, 1, 1, "", f"the file is {info.st_size:,} bytes, more than the limit of "
                                f"{MAX_BYTES:,} bytes (1 MiB); split it or shorten it"))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise LoadError(Problem(shown, 1, 1, "", f"cannot read the file: {exc.strerror}")) from None
    with os.fdopen(fd, "rb") as handle:
        return handle.read(MAX_BYTES + 1)




def require_handbook(root: Path) -> None:
    """Stop with one line when `root` holds no handbook (no handbook.yml): every command starts here."""
    settings = root / SETTINGS_FILE
    if not (settings.exists() or settings.is_symlink()):  # a link is there: loading it says why it is refused
        raise HandbookError(f"no {SETTINGS_FILE} in {root.resolve()}; run this in a handbook's folder or pass --root")


def load_yaml(path: Path, root: Path | None = None, cache: Parsed | None = None) -> Document:
    """Load one YAML file into a Document, or raise LoadError naming the file, line and reason. With a
    `cache` (`speed.caches.ParseCache`), a file unchanged since it was last parsed is not parsed again."""
    shown = display_path(path, root)
    return cache.load(path, shown) if cache is not None else parse_yaml(read_text(path, shown), shown)


class Parsed(Protocol):
    """Where `load_yaml` may find a file already parsed: `load` reads it, and parses it only when it changed."""

    def load(self, path: Path, shown: str) -> Document: ...


def parse_yaml(text: str, shown: str) -> Document:
    """Parse YAML text into a Document (see the module docstring for what is refused)."""
    doc = Document(shown, None)
    doc.marked = "{" in text or "TODO" in text
    parser = _Parser(text)
    builder = _Builder(doc, parser.get_event)
    try:
        doc.data = builder.build()
    except yaml.MarkedYAMLError as exc:
        raise LoadError(*builder.problems, _syntax_problem(exc, text, shown)) from None
    except LoadError as exc:  # nested too deep, or a second document: the rest is not read
        raise LoadError(*builder.problems, exc.problem) from None
    except yaml.reader.ReaderError as exc:  # control characters: located by position, not by mark
        # the C parser counts UTF-8 bytes, the Python one characters
        before = text.encode("utf-8")[: exc.position].decode("utf-8", "ignore") if _Parser is not yaml.SafeLoader \
            else text[: exc.position]
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        raise LoadError(Problem(shown, line, col, "", f"the file holds an invisible control character "
                                f"(U+{exc.character:04X}) that YAML does not allow; delete it")) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every parser error above is marked
        raise LoadError(Problem(shown, 1, 1, "", f"the file is not valid YAML: {exc}")) from None
    finally:
        parser.dispose()
    if builder.problems:  # every refused value was reported and the rest of the file read
        raise LoadError(*builder.problems, document=doc)
    return doc


_HINTS = {
    "mapping values are not allowed": "if the text holds a colon followed by a space, put the whole text in quotes",
    "cannot start any token": "indent with spaces, not tabs, and put text that starts with @, ` or % in quotes",
    "could not find expected ':'": "each line of a map is `name: value`; check the indentation and the colon",
    "did not find expected key": "check the indentation: fields of the same map line up exactly",
    "did not find expected '-' indicator": "check the indentation: items of the same list line up exactly",
    "found unexpected end of stream": "a quote or bracket is opened but never closed",
    "did not find expected ',' or ']'": "a [ list ] is not closed, or an item in it needs quotes",
    "did not find expected ',' or '}'": "a { map } is not closed, or a value in it needs quotes",
}


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, shown: str) -> Problem:
    """A parser error as a problem at the place the parser points at, with a hint where we know one; an
    indentation mistake is reported where it was made, which is often lines above where the parser gave up."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    reason = exc.problem or exc.context or "invalid YAML"
    mistake = _indentation_mistake(text.replace("\r\n", "\n").split("\n"), line, col, reason)
    if mistake is not None:
        return Problem(shown, *mistake)
    message = f"the YAML is not valid here: {reason}"
    if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
        message += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    hint = next((h for key, h in _HINTS.items() if key in reason), "")
    return Problem(shown, line, col, "", f"{message}; {hint}" if hint else message)


# a line that starts a field: `name:`, `- name:`, `"name":`, with its indentation and the key's column
_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<dash>(?:- +)*)"
                       r"(?P<key>\"[^\"]*\"|'[^']*'|[^\s#:'\"\[{>|-][^:#]*?|-[^\s:#][^:#]*?) *:(?: +(?P<value>.*))?$")
_BLOCK_VALUE = re.compile(r"^[|>][-+1-9]*\s*(?:#.*)?$")  # `|`, `>-`, `|2`: the text follows on the next lines


def _indentation_mistake(lines: list[str], line: int, col: int, reason: str) -> tuple[int, int, str, str] | None:
    """(line, column, field, message) of the indentation mistake that made the parser fail at `line`, if it
    is one of the common ones: a tab, the text of a `key: |` not indented, a field not lined up with its map."""
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    if "tab" in reason or here[col - 1: col] == "\t" or "\t" in here[: len(here) - len(here.lstrip(" \t"))]:
        return _tab(lines, line, col)
    return _unindented_text(lines, line) or _misaligned_field(lines, line)


def _spaces(n: int) -> str:
    return "1 space" if n == 1 else f"{n} spaces"


def _tab(lines: list[str], line: int, col: int) -> tuple[int, int, str, str]:
    for number in range(min(line, len(lines)), 0, -1):  # the tab is on this line or in the indentation above
        text = lines[number - 1]
        indent = text[: len(text) - len(text.lstrip(" \t"))]
        if "\t" in indent:
            return (number, indent.index("\t") + 1, "", "this line is indented with a tab, and YAML allows only "
                    "spaces there; replace the tab with spaces (two for each level)")
    return (line, col, "", "YAML does not allow a tab here; replace it with a space")


def _key_line(text: str) -> tuple[int, str, str] | None:
    """(the key's column from 0, its name, the value written after it) of a line that starts a field."""
    match = _KEY_LINE.match(text.rstrip())
    if match is None:
        return None
    return len(match["indent"]) + len(match["dash"]), match["key"].strip("'\""), (match["value"] or "").strip()


def _content_lines(lines: list[str], before: int) -> Iterator[int]:
    """Line numbers above `before` that hold something other than blanks and comments, nearest first."""
    for number in range(min(before, len(lines) + 1) - 1, 0, -1):
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            yield number


def _unindented_text(lines: list[str], line: int) -> tuple[int, int, str, str] | None:
    """The first line of a `key: |` text that is not indented under its key, when the parser failed after it."""
    for number in range(1, min(line, len(lines)) + 1):
        field = _key_line(lines[number - 1])
        if field is None or not _BLOCK_VALUE.match(field[2]):
            continue
        column, key, _ = field
        following = next((n for n in range(number + 1, line + 1) if lines[n - 1].strip()), None)
        if following is None:
            continue
        text = lines[following - 1]
        indent = len(text) - len(text.lstrip(" "))
        if indent <= column and _key_line(text) is None and not text.lstrip().startswith(("-", "#")):
            return (following, 1, key, f"this text belongs to `{key}: |` on line {number}, so it must be indented "
                    f"more than `{key}:`: put {_spaces(column + 2)} before this line and each line of the text "
                    "after it")
    return None


def _misaligned_field(lines: list[str], line: int) -> tuple[int, int, str, str] | None:
    """A field where the parser failed that does not line up with any map above it."""
    if not 0 < line <= len(lines):
        return None
    field = _key_line(lines[line - 1])
    if field is None:
        return None
    column, key, _ = field
    above = [(n, found) for n in _content_lines(lines, line) if (found := _key_line(lines[n - 1])) is not None]
    if not above:
        return None
    previous, (prev_column, prev_key, prev_value) = above[0]
    if column > prev_column and prev_value and not _BLOCK_VALUE.match(prev_value):
        return (line, column + 1, key, f"is indented more than `{prev_key}:` on line {previous}, whose value is "
                "already complete, so YAML reads this line as more of that value; line it up with "
                f"`{prev_key}:` (remove {_spaces(column - prev_column)} before it)")
    levels: list[tuple[int, int, str]] = []  # the maps open above this line: (line, column, a key of it)
    for number, (col, name, _) in above:
        if not levels or col < levels[-1][1]:
            levels.append((number, col, name))
    if any(col == column for _, col, _ in levels):
        return None
    around = [lv for lv in levels if lv[1] > column][-1:] + [lv for lv in levels if lv[1] < column][:1]
    listed = ", ".join(f"`{name}:` on line {number} is in column {col + 1}" for number, col, name in around)
    return (line, column + 1, key, f"starts in column {column + 1}, which lines it up with no field above it "
            f"({listed}); the fields of one map start in exactly the same column, so move it to the column of "
            "the fields it belongs with")


_Scalar, _SeqEnd, _MapEnd = yaml.ScalarEvent, yaml.SequenceEndEvent, yaml.MappingEndEvent


class _Builder:
    """Turns a PyYAML event stream into plain data, recording positions and refusing unsafe YAML.

    A refused value (an alias, an anchor, a tag, a duplicate key, a merge key) is reported and the reading goes
    on, so that every one in the file is reported at once; only too deep a nesting or a second document stops it.
    Plain scalars without anchor or tag, by far the most common events, take a short path inline:
    this loop is most of the time `handbook check` takes.
    """

    def __init__(self, doc: Document, next_event: Any) -> None:
        self.doc = doc
        self.positions, self.keys = doc.positions, doc.keys
        self.next = next_event
        self.problems: list[Problem] = []

    def problem(self, event: Any, message: str, loc: Path_ = ()) -> Problem:
        mark = event.start_mark
        return Problem(self.doc.path, mark.line + 1, mark.column + 1, _field(loc), message)

    def fail(self, event: Any, message: str, loc: Path_ = ()) -> LoadError:
        return LoadError(self.problem(event, message, loc))

    def refuse(self, event: Any, message: str, loc: Path_ = ()) -> None:
        self.problems.append(self.problem(event, message, loc))

    def build(self) -> Any:
        self.next()  # StreamStart
        if type(self.next()) is yaml.StreamEndEvent:
            return None
        data = self.node(self.next(), (), 0)
        self.next()  # DocumentEnd
        following = self.next()
        if type(following) is yaml.DocumentStartEvent:
            raise self.fail(following, "the file holds a second YAML document here (after ---); keep one "
                            "document per file")
        return data

    def node(self, event: Any, loc: Path_, depth: int, at: tuple[int, int] | None = None) -> Any:
        """The value that starts with `event`; a map or list is located at `at`, the key that names it."""
        cls = type(event)
        if cls is yaml.AliasEvent:
            self.refuse(event, f"uses the alias *{event.anchor}; anchors and aliases are not allowed, "
                        "write the value out in full", loc)
            return None
        if event.anchor:
            self.refuse(event, f"defines the anchor &{event.anchor}; anchors and aliases are not "
                        "allowed, write the value out in full", loc)
        if event.tag and event.tag != "!":  # `!` alone only says "plain text"
            self.refuse(event, f"uses the tag {_short_tag(event.tag)}; YAML tags are not allowed, write a "
                        "plain value (in quotes if it starts with !)", loc)
        mark = event.start_mark
        if cls is _Scalar:
            self.positions[loc] = (mark.line + 1, mark.column + 1)
            value = event.value
            if value in NULLS and event.implicit[0] and not event.style:
                return None
            return value
        if depth >= MAX_DEPTH:
            raise self.fail(event, f"the file is nested more than {MAX_DEPTH} levels deep; no content needs "
                            "that many levels")
        self.positions[loc] = at or (mark.line + 1, mark.column + 1)
        if cls is yaml.SequenceStartEvent:
            return self.sequence(loc, depth)
        return self.mapping(loc, depth)

    def sequence(self, loc: Path_, depth: int) -> list[Any]:
        items: list[Any] = []
        positions, next_event = self.positions, self.next
        while True:
            event = next_event()
            cls = type(event)
            if cls is _SeqEnd:
                return items
            here = (*loc, len(items))
            if cls is _Scalar and event.anchor is None and event.tag is None:  # the short path
                mark = event.start_mark
                positions[here] = (mark.line + 1, mark.column + 1)
                value = event.value
                items.append(None if value in NULLS and event.implicit[0] and not event.style else value)
            else:
                items.append(self.node(event, here, depth + 1))

    def mapping(self, loc: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        keys, positions, next_event = self.keys, self.positions, self.next
        mark: Any
        while True:
            event = next_event()
            if type(event) is _MapEnd:
                return result
            key = self.key(event, loc, depth)
            here = (*loc, key) if key is not None else loc
            if key is None or key in result:  # reported: its value is read (for what else is wrong) and left out
                if key is not None:
                    self.refuse(event, f"is written twice in the same map (first on line {keys[here][0]}); "
                                "YAML would silently keep only the last one, so merge them into one", here)
                self.skip(next_event(), here, depth + 1)
                continue
            mark = event.start_mark
            at = keys[here] = (mark.line + 1, mark.column + 1)
            item: Any = next_event()
            if type(item) is _Scalar and item.anchor is None and item.tag is None:  # the short path
                mark = item.start_mark
                positions[here] = (mark.line + 1, mark.column + 1)
                value = item.value
                result[key] = None if value in NULLS and item.implicit[0] and not item.style else value
            else:
                result[key] = self.node(item, here, depth + 1, at)

    def skip(self, event: Any, loc: Path_, depth: int) -> None:
        """Read a value that is left out (reporting what is refused in it), keeping the positions of the rest."""
        kept = self.positions, self.keys
        self.positions, self.keys = {}, {}
        try:
            self.node(event, loc, depth)
        finally:
            self.positions, self.keys = kept

    def key(self, event: Any, loc: Path_, depth: int) -> str | None:
        """The name of a map key; None, reported, for a key that is not a plain name."""
        if type(event) is _Scalar and event.anchor is None and event.tag is None and event.value != "<<":
            name: str = event.value
            return name
        if isinstance(event, yaml.AliasEvent):
            self.refuse(event, "uses an alias as a key; anchors and aliases are not allowed", loc)
            return None
        if not isinstance(event, yaml.ScalarEvent):
            self.refuse(event, "has a list or map as a key; keys must be plain words", loc)
            self.skip(event, loc, depth + 1)
            return None
        if event.anchor:
            self.refuse(event, f"defines the anchor &{event.anchor}; anchors and aliases are not "
                        "allowed, write the value out in full", loc)
        if event.tag:
            self.refuse(event, f"uses the tag {_short_tag(event.tag)}; YAML tags are not allowed, write "
                        "a plain name", loc)
        if event.value == "<<":
            self.refuse(event, "uses a merge key (<<); write the values out in full", loc)
            return None
        return str(event.value)


def _field(loc: Path_) -> str:
    """`outcomes[0].sources` from ('outcomes', 0, 'sources')."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


field_name = _field


def _short_tag(tag: str) -> str:
    """`!!python/object` rather than `tag:yaml.org,2002:python/object`."""
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
