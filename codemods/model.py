"""Plain data passed from the rules to the engine and from the engine to the outputs.

Offsets are tree-sitter byte offsets into the file's bytes, never ``str`` indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codemods.files import Stamp


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
    # A region the fix rewrites as a whole (it re-indents every line of a loop body): no
    # other fix may edit inside it in the same pass, since its lines would not follow.
    region: tuple[int, int] | None = None


CATEGORIES = ("leak", "hardening")


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
    # "leak": something leaks today; "hardening": safe today only by luck of the current
    # code (rows closed because the loop reads them to the end), leaks after a panic or the
    # next early return someone adds.
    category: str = "leak"


@dataclass
class FileResult:
    """What happened to one file: findings of the final state, applied fixes, messages.

    ``error``: the file is left untouched (unreadable, or a syntax error outside functions);
    ``syntax_errors``: functions not analysed because they do not parse (the rest of the file
    is); ``internal_errors``: a rule or the engine failed on this file (exit status 2);
    ``skipped``: the file was not read at all (not a regular file, too large, a link leading
    outside the folders checked); ``write_error``: its fixes could not be written.
    """

    path: str
    original: bytes
    fixed: bytes
    findings: list[Finding] = field(default_factory=list)
    applied: list[Finding] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    error: str | None = None
    syntax_errors: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    skipped: str | None = None
    write_error: WriteError | None = None
    target: str = ""  # the file written for ``path`` (a symbolic link's target); "" = path
    stamp: Stamp | None = None  # what was read, to refuse writing over a file changed since

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    @property
    def problems(self) -> list[str]:
        """Every error of this file, one line each, in the order a reader needs them."""
        lines = [self.error] if self.error else []
        lines.extend(self.syntax_errors)
        lines.extend(f"internal error: {message}" for message in self.internal_errors)
        if self.write_error is not None:
            lines.append(f"not written: {self.write_error.message}")
        return lines


@dataclass(frozen=True)
class WriteError:
    """Why fixes were not written: refused on purpose (changed since read, read-only, ...)
    or an I/O failure (``io``: exit status 2)."""

    message: str
    io: bool = False


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
