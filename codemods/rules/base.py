"""What every rule is: documentation, examples that are also tests, and ``check``."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from tree_sitter import Node

from codemods.model import Edit, Finding, Fix, Safety
from codemods.options import Options
from codemods.source import SourceFile

if TYPE_CHECKING:
    from codemods.package import Package


@dataclass(frozen=True)
class Valid:
    """Go source (a whole file) on which the rule must stay silent."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Go source on which the rule must fire; ``expected``: the fixed file (None: no fix)."""

    code: str
    message: str  # regular expression searched in the finding's message
    expected: str | None = None


@dataclass
class RuleContext:
    """What a rule sees: one file of a package, the package's facts and the run's options."""

    source: SourceFile
    package: Package
    options: Options


class Rule:
    """Base class. Subclasses set the class attributes and implement ``check``."""

    id: ClassVar[str]
    summary: ClassVar[str]  # what it finds, one line
    fix_summary: ClassVar[str]  # what its fix does, one line ("" when report-only)
    safety: ClassVar[Safety | None]  # None: report only
    linters: ClassVar[tuple[str, ...]] = ()  # golangci-lint linters honoured by //nolint
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_section(cls, title: str) -> str:
        """One section of the docstring (``What it does``, ``Fix safety`` ...)."""
        match = re.search(rf"^## {re.escape(title)}\??\n(.*?)(?=^## |\Z)", cls.doc(), re.S | re.M)
        return match.group(1).strip() if match else ""

    # helpers for subclasses -------------------------------------------------

    def finding(
        self,
        ctx: RuleContext,
        node: Node,
        message: str,
        fix: Fix | None = None,
        category: str = "leak",
    ) -> Finding:
        source = ctx.source
        line, col = source.position(node.start_byte)
        end_line, end_col = source.position(node.end_byte)
        return Finding(
            rule=self.id,
            path=source.path,
            line=line,
            column=col,
            end_line=end_line,
            end_column=end_col,
            message=message,
            fix=fix,
            start_byte=node.start_byte,
            end_byte=node.end_byte,
            category=category,
        )

    def make_fix(
        self,
        title: str,
        edits: Iterable[Edit],
        imports: Iterable[str] = (),
        safety: Safety | None = None,
        region: tuple[int, int] | None = None,
    ) -> Fix:
        return Fix(
            title=title,
            safety=safety or self.safety or Safety.SAFE,
            edits=tuple(sorted(edits)),
            imports=tuple(imports),
            region=region,
        )


def iter_rule_classes() -> Iterator[type[Rule]]:
    """Rules are discovered by walking codemods.rules, not kept in a hand-written list."""
    import importlib
    import pkgutil

    import codemods.rules as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"codemods.rules.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
            ):
                yield value


def all_rules() -> list[Rule]:
    return [cls() for cls in iter_rule_classes()]
