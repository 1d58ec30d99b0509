"""Run options shared by the CLI, the config file and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class LeakfixError(Exception):
    """A usage or I/O problem reported as one line (exit status 2), never a traceback."""


@dataclass(frozen=True)
class Options:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # glob patterns relative to the config or the cwd
    timeout: str = "5s"  # Go duration used by query-timeout
    timeout_configured: bool = False  # set in .leakfix.toml: query-timeout's fix becomes safe
    timeout_scope: str = "serving"  # query-timeout: "serving" code only, or "all" code
    unsafe_fixes: bool = False
    include_generated: bool = False
    max_passes: int = 8
    max_file_size: int = 4 * 1024 * 1024  # bytes; larger files are skipped with a note
    analyze_all: bool = False  # run database rules on packages that import no database API
    rule_ids: frozenset[str] = field(default_factory=frozenset)  # filled by the engine
    # What serves in the whole run (rules._lifetime.ServingIndex), built by the engine from
    # every package given; None: each package's own files stand alone.
    serving_index: Any = field(default=None, compare=False, hash=False, repr=False)
