"""Paths on the command line -> the Go files to check.

Folders are searched recursively (like ruff) and Go's ``./...`` / ``dir/...`` forms mean the
same. Like the go tool we skip ``vendor``, ``testdata``, ``.x`` and ``_x`` folders found while
walking (a folder named on the command line is always searched), and we never touch generated
files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from codemods.options import LeakfixError, Options
from codemods.source import is_generated

SKIPPED_FOLDERS = frozenset({"vendor", "testdata"})

# Go's rule (cmd/go, `go help generate`): such a line before the package clause.


def discover_files(paths: Sequence[str], options: Options, cwd: Path | None = None) -> list[Path]:
    """The Go files under ``paths``: absolute, normalised (symlinks kept), sorted, unique.

    Raises LeakfixError for a path that does not exist or when no Go file is left.
    """
    base = Path(os.path.abspath(cwd or Path.cwd()))
    found: set[Path] = set()
    for raw in paths or ["."]:
        root, explicit_file = _resolve(raw, base)
        if explicit_file:
            candidates: Iterator[Path] = iter([root])
        else:
            candidates = _walk(root, options, base)
        found.update(
            path
            for path in candidates
            if path.suffix == ".go"
            and not _excluded(path, options.exclude, base)
            and (options.include_generated or not is_generated_file(path))
        )
    if not found:
        raise LeakfixError(f"no Go files in {', '.join(paths or ['.'])}")
    return sorted(found)


def _resolve(raw: str, base: Path) -> tuple[Path, bool]:
    """The absolute path an argument names and whether it is a file."""
    stripped = strip_ellipsis(raw)
    path = Path(os.path.abspath(base / stripped))
    if path.is_file():
        return path, True
    if path.is_dir():
        return path, False
    raise LeakfixError(f"path not found: {raw}")


def strip_ellipsis(raw: str) -> str:
    """``./...`` -> ``.``, ``dir/...`` -> ``dir``: folders are recursive anyway."""
    if raw == "...":
        return "."
    for suffix in ("/...", os.sep + "..."):
        if raw.endswith(suffix):
            return raw[: -len(suffix)] or "/"
    return raw


def _walk(root: Path, options: Options, base: Path) -> Iterator[Path]:
    for folder, subfolders, files in os.walk(root):
        # Pruning in place keeps os.walk out of skipped trees; sorting keeps the walk stable.
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not _skipped_folder(name)
            and not _excluded(Path(folder, name), options.exclude, base)
        )
        for name in sorted(files):
            if not name.startswith((".", "_")):
                yield Path(folder, name)


def _skipped_folder(name: str) -> bool:
    return name in SKIPPED_FOLDERS or name.startswith((".", "_"))


def _excluded(path: Path, patterns: Sequence[str], base: Path) -> bool:
    """Whether a glob matches the path relative to ``base``, the absolute path or one part.

    ``fnmatch``'s ``*`` also matches ``/``, so ``gen/*`` excludes a whole tree.
    """
    if not patterns:
        return False
    relative = _relative(path, base)
    names = [relative, path.as_posix(), *Path(relative).parts]
    return any(
        fnmatchcase(name, pattern.removeprefix("./").rstrip("/"))
        for pattern in patterns
        for name in names
    )


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def is_generated_file(path: Path) -> bool:
    """Reads only up to the package clause; an unreadable file is left for the engine to report."""
    try:
        with path.open("rb") as handle:
            return is_generated(iter(handle))
    except OSError:
        return False
