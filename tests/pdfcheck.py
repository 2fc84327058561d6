"""Reading generated PDFs back: every object of a PDF, for tests that look for active content."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def pdf_objects(reader: Any) -> Iterator[Any]:
    """Every object reachable from the PDF's trailer, once."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        yield obj
        if isinstance(obj, DictionaryObject):
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def pdf_names(reader: Any) -> set[str]:
    """Every key and name anywhere in the PDF's object graph."""
    from pypdf.generic import DictionaryObject, NameObject

    names: set[str] = set()
    for obj in pdf_objects(reader):
        if isinstance(obj, DictionaryObject):
            names.update(str(k) for k in obj)
        elif isinstance(obj, NameObject):
            names.add(str(obj))
    return names
