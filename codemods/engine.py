"""The loop: discover -> parse -> rules -> merge edits -> apply -> re-parse guard -> until stable.

The CLI, the CI formats and the bot all read the FileResults this returns; none rewrites code.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from codemods import gofmt, suppress
from codemods.edits import add_imports, merge, splice
from codemods.model import Edit, FileResult, Finding, Safety
from codemods.options import LeakfixError, Options
from codemods.package import Package
from codemods.rules.base import Rule, RuleContext, all_rules
from codemods.source import FUNCTION_TYPES, SourceFile, count_errors, walk


@dataclass
class RunResult:
    files: list[FileResult] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    @property
    def errors(self) -> list[FileResult]:
        return [r for r in self.files if r.error]


def select_rules(options: Options) -> list[Rule]:
    """The enabled rules; an unknown id in select/ignore is a usage error."""
    rules = all_rules()
    known = {r.id for r in rules}
    for rule_id in (*options.select, *options.ignore):
        if rule_id not in known and rule_id.upper() != "ALL":
            raise LeakfixError(f"unknown rule id: {rule_id} (known: {', '.join(sorted(known))})")
    selected = {r.upper() for r in options.select}
    if options.select and "ALL" not in selected:
        rules = [r for r in rules if r.id in options.select]
    return [r for r in rules if r.id not in options.ignore]


def run(paths: Sequence[str], options: Options, fix: bool) -> RunResult:
    """Check (fix=False) or compute fixes (fix=True) for the Go files under ``paths``.

    Nothing is written: ``write_results`` does that.
    """
    from codemods.discover import discover_files

    rules = select_rules(options)
    files = discover_files(list(paths) or ["."], options)
    result = RunResult()
    for package_files in group_packages(files, result):
        result.files.extend(process_package(package_files, rules, options, fix))
    result.files.sort(key=lambda r: r.path)
    return result


def run_sources(
    sources: dict[str, bytes], options: Options, fix: bool, rules: list[Rule] | None = None
) -> list[FileResult]:
    """Run on in-memory files of one package (tests, examples, the bot)."""
    return process_package(dict(sources), rules or select_rules(options), options, fix)


def group_packages(files: Iterable[Path], result: RunResult) -> list[dict[str, bytes]]:
    """Read files and group them by (folder, package clause); unreadable files become errors."""
    groups: dict[tuple[str, str], dict[str, bytes]] = {}
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            result.files.append(
                FileResult(str(path), b"", b"", error=f"cannot read: {exc.strerror or exc}")
            )
            continue
        package = package_clause(data)
        groups.setdefault((str(path.parent), package), {})[str(path)] = data
    return list(groups.values())


def package_clause(data: bytes) -> str:
    """The package name, read cheaply (the tree is built later, once)."""
    for line in data.splitlines():
        stripped = line.strip()
        if stripped.startswith(b"package "):
            return stripped[8:].split(b"//")[0].strip().decode("utf-8", "replace")
    return ""


# -- one package -------------------------------------------------------------------------------


@dataclass
class _FileState:
    result: FileResult
    data: bytes
    frozen: bool = False  # a fix broke the syntax: no more edits to this file
    frozen_findings: set[tuple[str, str]] = field(default_factory=set)  # withheld fixes
    broken_ranges: list[tuple[int, int]] = field(default_factory=list)


# Narrows a pass's applicable fixes (``leakfix fix --verify`` withholds some); it gets the
# findings and every file's current bytes, which the findings' offsets and lines refer to.
FixFilter = Callable[[list[Finding], dict[str, bytes]], list[Finding]]


def process_package(
    files: dict[str, bytes],
    rules: list[Rule],
    options: Options,
    fix: bool,
    fix_filter: FixFilter | None = None,
) -> list[FileResult]:
    states = {path: _FileState(FileResult(path, data, data), data) for path, data in files.items()}
    conflicts: list[tuple[Finding, Finding]] = []
    findings: list[Finding] = []
    for _ in range(max(1, options.max_passes)):
        findings = _check(states, rules, options)
        if not fix:
            break
        applicable = _applicable(findings, states, options)
        if fix_filter is not None:
            applicable = fix_filter(applicable, {p: s.data for p, s in states.items()})
        if not _apply(states, applicable, conflicts):
            break
    else:
        findings = _check(states, rules, options)
    for state in states.values():
        state.result.fixed = state.data
        state.result.findings = [f for f in findings if f.path == state.result.path]
    _report_conflicts(states, conflicts, findings)
    return [s.result for s in states.values()]


def _check(states: dict[str, _FileState], rules: list[Rule], options: Options) -> list[Finding]:
    sources = []
    for path, state in states.items():
        source = SourceFile(path, state.data)
        if _unparsable(source, state):
            continue
        sources.append(source)
    if not sources:
        return []
    package = Package(str(Path(sources[0].path).parent), sources[0].package_name, sources)
    findings: list[Finding] = []
    for rule in rules:
        needs_database = getattr(rule, "needs_database", True)
        if needs_database and not (package.uses_database or options.analyze_all):
            continue
        for source in sources:
            if source.is_generated and not options.include_generated:
                continue
            ctx = RuleContext(source, package, options)
            for finding in rule.check(ctx):
                if suppress.is_suppressed(source, finding, rule.linters):
                    continue
                if _in_broken_function(states[source.path], finding.start_byte):
                    continue
                findings.append(finding)
    findings.sort(key=lambda f: (f.path, f.start_byte, f.rule))
    return findings


def _unparsable(source: SourceFile, state: _FileState) -> bool:
    """Record functions tree-sitter could not parse; a file broken outside them is skipped."""
    state.broken_ranges = []
    if not source.root.has_error:
        state.result.error = None
        return False
    outside = False
    for node in walk(source.root):
        if node.type != "ERROR" and not node.is_missing:
            continue
        func = _top_function(node)
        if func is None:
            outside = True
            break
        state.broken_ranges.append((func.start_byte, func.end_byte))
    if outside or not source.package_name:
        line = source.position(_first_error(source))[0]
        state.result.error = f"syntax error near line {line}: file left untouched"
        return True
    notes = {
        f"line {source.position(start)[0]}: function not analysed: tree-sitter-go cannot parse "
        "part of it (e.g. Go 1.26 new(expr)); it is left untouched"
        for start, _ in state.broken_ranges
    }
    for note in sorted(notes):
        if note not in state.result.messages:
            state.result.messages.append(note)
    return False


def _top_function(node: Node) -> Node | None:
    current = node.parent
    found = None
    while current is not None:
        if current.type in ("function_declaration", "method_declaration"):
            found = current
        current = current.parent
    return found


def _first_error(source: SourceFile) -> int:
    for node in walk(source.root):
        if node.type == "ERROR" or node.is_missing:
            return node.start_byte
    return 0


def _in_broken_function(state: _FileState, offset: int) -> bool:
    return any(start <= offset < end for start, end in state.broken_ranges)


def _applicable(
    findings: list[Finding], states: dict[str, _FileState], options: Options
) -> list[Finding]:
    out = []
    for finding in findings:
        fix = finding.fix
        if fix is None or (fix.safety is Safety.UNSAFE and not options.unsafe_fixes):
            continue
        targets = [(e.path or finding.path, e.start) for e in fix.edits]
        if (finding.rule, finding.message) in states[finding.path].frozen_findings:
            continue
        if any(
            p not in states or states[p].frozen or _in_broken_function(states[p], o)
            for p, o in targets
        ):
            continue
        out.append(finding)
    return out


def _apply(
    states: dict[str, _FileState],
    findings: list[Finding],
    conflicts: list[tuple[Finding, Finding]],
) -> bool:
    """Apply one pass of merged fixes. A file whose result would gain a syntax error or lose
    its gofmt formatting gets its fixes one by one instead, keeping only the good ones."""
    if not findings:
        return False
    merged = merge(findings)
    conflicts.extend(merged.conflicts)
    changed = False
    for path in set(merged.edits) | set(merged.imports):
        state = states[path]
        before = state.data
        after = _spliced(path, before, merged.edits.get(path, []), merged.imports.get(path, ()))
        mine = [f for f in merged.applied if _touches(f, path)]
        if after == before:
            continue
        if _worse(before, after) is not None:
            after, mine = _one_by_one(state, path, mine)
        if after == before:
            continue
        state.data = after
        changed = True
        state.result.applied.extend(f for f in mine if f.path == path)
    return changed


def _touches(finding: Finding, path: str) -> bool:
    assert finding.fix is not None
    return finding.path == path or any(e.path == path for e in finding.fix.edits)


def _spliced(path: str, data: bytes, edits: Iterable[Edit], imports: Iterable[str]) -> bytes:
    return add_imports(SourceFile(path, splice(data, edits)), imports)


def _worse(before: bytes, after: bytes) -> str | None:
    """Why ``after`` is worse than ``before`` (a new syntax error, lost gofmt formatting)."""
    if count_errors(SourceFile("", after).root) > count_errors(SourceFile("", before).root):
        return "it would introduce a syntax error"
    if gofmt.is_formatted(before) and gofmt.is_formatted(after) is False:
        return "its result would not be gofmt-clean"
    return None


def _one_by_one(
    state: _FileState, path: str, findings: list[Finding]
) -> tuple[bytes, list[Finding]]:
    data = state.data
    kept = []
    for finding in findings:
        assert finding.fix is not None
        edits = [e for e in finding.fix.edits if (e.path or finding.path) == path]
        imports = finding.fix.imports if finding.path == path else ()
        candidate = _spliced(path, data, edits, imports)
        reason = _worse(data, candidate)
        if reason is None:
            data = candidate
            kept.append(finding)
            continue
        state.result.messages.append(f"line {finding.line}: {finding.rule} fix withheld: {reason}")
        state.frozen_findings.add((finding.rule, finding.message))
    return data, kept


def _report_conflicts(
    states: dict[str, _FileState], conflicts: list[tuple[Finding, Finding]], final: list[Finding]
) -> None:
    remaining = {(f.path, f.rule, f.message) for f in final}
    for dropped, kept in conflicts:
        if (dropped.path, dropped.rule, dropped.message) not in remaining:
            continue
        note = (
            f"line {dropped.line}: {dropped.rule} fix not applied: it overlaps the {kept.rule} "
            f"fix at line {kept.line}"
        )
        messages = states[dropped.path].result.messages
        if note not in messages:
            messages.append(note)


# -- writing -----------------------------------------------------------------------------------


def write_results(results: Sequence[FileResult]) -> list[str]:
    """Write every changed file atomically (temp file + rename, mode kept); return the paths."""
    written = []
    for result in results:
        if result.error or not result.changed:
            continue
        atomic_write(Path(result.path), result.fixed)
        written.append(result.path)
    return written


def atomic_write(path: Path, data: bytes) -> None:
    try:
        mode = path.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".leakfix", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise LeakfixError(f"cannot write {path}: {exc.strerror or exc}") from exc


__all__ = ["RunResult", "run", "run_sources", "write_results", "select_rules", "FUNCTION_TYPES"]
