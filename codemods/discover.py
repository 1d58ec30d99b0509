"""Paths on the command line -> the Go files to check.

Folders are searched recursively (like ruff) and Go's ``./...`` / ``dir/...`` forms mean the
same. Like the go tool we skip ``vendor``, ``testdata``, ``.x`` and ``_x`` folders found while
walking (a folder named on the command line is always searched), and we never touch generated
files.

Only regular files are taken. A FIFO, a socket or a device named ``x.go`` (or a link to one),
and a symbolic link whose target lies outside every folder given, are skipped with a note. A
symbolic link to a file inside them stays a link: the file is checked once, however many links
reach it, and its target is what gets fixed. Symbolic links to folders are not followed (as
``go build ./...`` does not). Leftover temporary files of interrupted runs are removed on the
way (``files.remove_if_stale``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from codemods import files
from codemods.options import LeakfixError, Options
from codemods.source import is_generated

SKIPPED_FOLDERS = frozenset({"vendor", "testdata"})
GENERATED_HEAD = 1 << 20  # the marker sits before the package clause, near the top


@dataclass
class Discovery:
    """What a run looks at: the Go files, where each is written (a link's target), and the
    files skipped with the reason."""

    files: list[Path] = field(default_factory=list)
    targets: dict[Path, Path] = field(default_factory=dict)  # link path -> real file
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def discover_files(paths: Sequence[str], options: Options, cwd: Path | None = None) -> list[Path]:
    """The Go files under ``paths``: absolute, normalised (symlinks kept), sorted, unique.

    Raises LeakfixError for a path that does not exist or when no Go file is left.
    """
    return discover(paths, options, cwd).files


def discover(paths: Sequence[str], options: Options, cwd: Path | None = None) -> Discovery:
    """Like :func:`discover_files`, with link targets and skipped files."""
    base = Path(os.path.abspath(cwd or Path.cwd()))
    roots: list[Path] = []
    candidates: set[Path] = set()
    for raw in paths or ["."]:
        root, explicit_file = _resolve(raw, base)
        roots.append(Path(os.path.realpath(root.parent if explicit_file else root)))
        found = iter([root]) if explicit_file else _walk(root, options, base)
        candidates.update(
            path
            for path in found
            if path.suffix == ".go" and not _excluded(path, options.exclude, base)
        )
    discovery = _regular_files(sorted(candidates), roots)
    discovery.files = [
        path
        for path in discovery.files
        if options.include_generated or not is_generated_file(discovery.targets.get(path, path))
    ]
    if not discovery.files and not discovery.skipped:
        raise LeakfixError(f"no Go files in {', '.join(paths or ['.'])}")
    return discovery


def _regular_files(candidates: list[Path], roots: list[Path]) -> Discovery:
    """Keep regular files; a link counts once, through its target, when that lies inside a
    root. Files that are not links come first, so a target found itself keeps its own name."""
    discovery = Discovery()
    seen: dict[Path, Path] = {}
    for path in sorted(candidates, key=os.path.islink):
        reason = files.not_regular_reason(path)
        if reason is not None:
            discovery.skipped.append((path, reason))
            continue
        real = Path(os.path.realpath(path))
        if real in seen:
            continue  # another link (or the file itself) already brings it
        if real != path:
            if not any(_inside(real, root) for root in roots):
                discovery.skipped.append(
                    (path, f"symbolic link to {real}, outside the folders checked: not read")
                )
                continue
            discovery.targets[path] = real
        seen[real] = path
        discovery.files.append(path)
    discovery.files.sort()
    return discovery


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _resolve(raw: str, base: Path) -> tuple[Path, bool]:
    """The absolute path an argument names and whether it is a file (of any kind)."""
    stripped = strip_ellipsis(raw)
    path = Path(os.path.abspath(base / stripped))
    if path.is_dir():
        return path, False
    if os.path.lexists(path):
        return path, True  # regular or not: the reading step decides, with a note
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
    for folder, subfolders, names in os.walk(root):
        # Pruning in place keeps os.walk out of skipped trees; sorting keeps the walk stable.
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not _skipped_folder(name)
            and not _excluded(Path(folder, name), options.exclude, base)
        )
        for name in sorted(names):
            if files.is_temp_name(name):
                files.remove_if_stale(Path(folder, name))
            elif not name.startswith((".", "_")):
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
    """Reads only up to the package clause, and only from regular files; an unreadable file
    is left for the engine to report."""
    if files.not_regular_reason(path) is not None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            return is_generated(iter(handle.read(GENERATED_HEAD).splitlines()))
    except OSError:
        return False
