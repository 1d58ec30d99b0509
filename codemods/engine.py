"""The loop: discover -> parse -> rules -> merge edits -> apply -> re-parse guard -> until stable.

(API placeholder: being implemented.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from codemods.model import FileResult
from codemods.options import Options


@dataclass
class RunResult:
    files: list[FileResult] = field(default_factory=list)

    @property
    def findings(self) -> list:
        return [f for r in self.files for f in r.findings]


def run(paths: Sequence[str], options: Options, fix: bool) -> RunResult:
    """Check (fix=False) or compute fixes (fix=True) for the Go files under ``paths``.

    Nothing is written: ``write_results`` does that. Raises LeakfixError for a missing path,
    no Go files, or an unknown rule id in options.select/ignore.
    """
    raise NotImplementedError


def write_results(results: Sequence[FileResult]) -> list[str]:
    """Atomically write every changed file (temp file + rename, mode kept); returns paths written."""
    raise NotImplementedError
