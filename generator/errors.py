"""Problems found in content, and the one exception root the CLI turns into a clean message."""

from __future__ import annotations

import re
from dataclasses import dataclass

import click


@dataclass(frozen=True, order=True)
class Problem:
    """One error or warning, located in a file: what `check` prints as one line."""

    path: str
    line: int
    col: int
    field: str
    message: str
    level: str = "error"  # "error" or "warning"

    def as_text(self) -> str:
        field = f"{self.field}: " if self.field else ""
        return _visible(f"{self.path}:{self.line}:{self.col}: {self.level}: {field}{self.message}")

    def as_github(self) -> str:
        kind = "error" if self.level == "error" else "warning"
        field = f"{self.field}: " if self.field else ""
        message = _github_escape(f"{field}{self.message}")
        path = _github_escape(self.path, prop=True)
        return f"::{kind} file={path},line={self.line},col={self.col}::{message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "level": self.level,
            "field": self.field,
            "message": self.message,
        }


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _visible(text: str) -> str:
    """Control characters (a line break in a key or a file name) as escapes: one problem is always one line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _github_escape(text: str, prop: bool = False) -> str:
    """Escape a workflow-command value the way GitHub's toolkit does."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


class HandbookError(click.ClickException):
    """The root of every error the tool reports to a user; never shown as a traceback."""

    exit_code = 1


class UsageError(HandbookError):
    """The command was asked for something that cannot be (an unknown language): exit 2, like Click's."""

    exit_code = 2


class ContentError(HandbookError):
    """Content has problems; each was already printed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.level == "error"]
        files = {p.path for p in errors}
        super().__init__(f"{_plural(len(errors), 'error')} in {_plural(len(files), 'file')}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(problems: list[Problem], checked: int = 0) -> str:
    """`N errors in M files` (and warnings when there are some); `0 errors in C files` when all `checked` are clean."""
    errors = [p for p in problems if p.level == "error"]
    warnings = [p for p in problems if p.level == "warning"]
    files = len({p.path for p in problems}) if problems else checked
    line = f"{_plural(len(errors), 'error')}"
    if warnings:
        line += f" and {_plural(len(warnings), 'warning')}"
    return f"{line} in {_plural(files, 'file')}"
