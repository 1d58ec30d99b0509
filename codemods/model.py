"""Plain data passed from the rules to the engine and from the engine to the outputs.

Offsets are tree-sitter byte offsets into the file's bytes, never ``str`` indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Safety(str, Enum):
    """How much a fix may change behaviour (ruff's applicability)."""

    SAFE = "safe"  # applied by `leakfix fix`
    UNSAFE = "unsafe"  # applied only with --unsafe-fixes (or when configured)


@dataclass(frozen=True, order=True)
class Edit:
    """Replace bytes [start, end) with ``text`` (an insertion when start == end)."""

    start: int
    end: int
    text: bytes
    path: str = ""  # another file of the package; "" means the finding's own file


@dataclass(frozen=True)
class Fix:
    """A suggested fix: a title (verb phrase), its safety, its edits and the imports it needs."""

    title: str
    safety: Safety
    edits: tuple[Edit, ...]
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One diagnostic. Lines and columns are 1-based; columns count bytes like gc's."""

    rule: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fix: Fix | None = None
    start_byte: int = 0
    end_byte: int = 0


@dataclass
class FileResult:
    """What happened to one file: findings of the final state, applied fixes, messages."""

    path: str
    original: bytes
    fixed: bytes
    findings: list[Finding] = field(default_factory=list)
    applied: list[Finding] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


# -- `leakfix fix --verify` ------------------------------------------------------------------


@dataclass(frozen=True)
class WithheldFix:
    """A fix left out because the package stopped building (or vetting) with it."""

    rule: str
    path: str
    line: int
    message: str
    compiler: str  # the go tool's first relevant error line
    check: str = "build"  # "build" or "vet": which go command failed


@dataclass(frozen=True)
class UnverifiedPackage:
    """A package whose fixes could not be checked; they follow the normal rules."""

    package: str
    reason: str


@dataclass
class Verification:
    """What `--verify` proved: packages built and vetted, not checked, and fixes withheld."""

    verified: list[str] = field(default_factory=list)
    unverified: list[UnverifiedPackage] = field(default_factory=list)
    withheld: list[WithheldFix] = field(default_factory=list)
