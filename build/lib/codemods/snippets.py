"""Go snippets from templates/, filled and re-indented to the line they are inserted at."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path


@cache
def load(name: str) -> str:
    """A template by file name; from the installed package data, else from the source tree."""
    try:
        return resources.files("codemods.templates").joinpath(name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError, TypeError):
        return (Path(__file__).resolve().parent.parent / "templates" / name).read_text("utf-8")


def render(template: str, **holes: str) -> str:
    out = load(template)
    for key, value in holes.items():
        out = out.replace("{" + key + "}", value)
    return out


def reindent(snippet: str, indent: str, newline: str = "\n") -> str:
    """Prefix every non-empty line with ``indent`` and use the file's line ending."""
    lines = snippet.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return newline.join(indent + line if line else "" for line in lines)
