"""The loop: discover -> parse -> rules -> merge edits -> apply -> re-parse guard -> until stable.

The CLI, the CI formats and the bot all read the FileResults this returns; none rewrites code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tree_sitter import Node

from codemods import gofmt, suppress
from codemods.edits import MergeResult, add_imports, merge, splice
from codemods.files import Skip, Stamp, WriteRefused, read_file, replace_file
from codemods.model import CATEGORIES, Edit, FileResult, Finding, Safety, WriteError
from codemods.options import LeakfixError, Options
from codemods.package import Package
from codemods.rules._lifetime import build_index
from codemods.rules.base import Rule, RuleContext, all_rules
from codemods.source import (
    FUNCTION_TYPES,
    SourceFile,
    checking,
    count_errors,
    error_nodes,
    forget_parents,
    text,
    top_level_node,
)


@dataclass
class RunResult:
    files: list[FileResult] = field(default_factory=list)
    options: Options | None = None  # as the run used them (with the run-wide index)

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
        if rule_id not in known and rule_id.upper() != "ALL" and rule_id not in CATEGORIES:
            raise LeakfixError(
                f"unknown rule id: {rule_id} (known: {', '.join(sorted(known))}; "
                f"categories: {', '.join(CATEGORIES)})"
            )
    chosen = [r for r in options.select if r not in CATEGORIES]
    selected = {r.upper() for r in chosen}
    if chosen and "ALL" not in selected:
        rules = [r for r in rules if r.id in chosen]
    return [r for r in rules if r.id not in options.ignore]


def selected_categories(options: Options) -> set[str]:
    """Finding categories the run reports: "leak", plus "hardening" when selected; naming
    only categories in ``select`` keeps every rule and reports just those."""
    named = {c for c in options.select if c in CATEGORIES}
    if not named or any(c not in CATEGORIES for c in options.select):
        named.add("leak")
    return named - set(options.ignore)


def run(paths: Sequence[str], options: Options, fix: bool) -> RunResult:
    """Check (fix=False) or compute fixes (fix=True) for the Go files under ``paths``.

    Nothing is written: ``write_results`` does that.
    """
    from codemods.discover import discover

    rules = select_rules(options)
    discovery = discover(list(paths) or ["."], options)
    result = RunResult()
    for path, reason in discovery.skipped:
        result.files.append(FileResult(str(path), b"", b"", skipped=reason))
    reads: Reads = {}
    groups = group_packages(discovery.files, result, options, discovery.targets, reads)
    options = with_serving_index(options, groups, covers_module(paths))
    result.options = options
    for package_files in groups:
        result.files.extend(process_package(package_files, rules, options, fix))
    _attach_reads(result.files, reads)
    result.files.sort(key=lambda r: r.path)
    return result


def covers_module(paths: Sequence[str]) -> bool:
    """Whether a folder given holds a go.mod: the run sees every caller in that module."""
    from codemods.discover import strip_ellipsis

    folders = [Path(strip_ellipsis(path) or ".") for path in (paths or ["."])]
    return any(folder.is_dir() and (folder / "go.mod").is_file() for folder in folders)


def with_serving_index(
    options: Options, groups: list[dict[str, bytes]], whole_module: bool = False
) -> Options:
    """The options with the index of what serves across every package of the run (only
    query-timeout asks, and only when it runs in its default scope)."""
    wanted = "query-timeout" in {rule.id for rule in select_rules(options)}
    if not wanted or options.timeout_scope == "all":
        return options
    sources = [
        SourceFile(path, data)
        for files in groups
        for path, data in files.items()
        if not path.endswith("_test.go")
    ]
    return replace(options, serving_index=build_index(sources, whole_module))


def run_sources(
    sources: dict[str, bytes], options: Options, fix: bool, rules: list[Rule] | None = None
) -> list[FileResult]:
    """Run on in-memory files of one package (tests, examples, the bot)."""
    return process_package(dict(sources), rules or select_rules(options), options, fix)


# What a read recorded for a path: its stamp (to refuse writing over a change) and the file
# written for it (a symbolic link's target, "" for the path itself).
Reads = dict[str, tuple[Stamp, str]]


def group_packages(
    files: Iterable[Path],
    result: RunResult,
    options: Options | None = None,
    targets: dict[Path, Path] | None = None,
    reads: Reads | None = None,
) -> list[dict[str, bytes]]:
    """Read files and group them by (folder, package clause); unreadable files become errors,
    files that are not read at all (not regular, too large) become skipped results."""
    limit = (options or Options()).max_file_size
    reads = {} if reads is None else reads
    groups: dict[tuple[str, str], dict[str, bytes]] = {}
    for path in files:
        target = (targets or {}).get(path, path)
        try:
            data, stamp = read_file(target, limit)
        except Skip as skip:
            result.files.append(FileResult(str(path), b"", b"", skipped=str(skip)))
            continue
        except OSError as exc:
            result.files.append(
                FileResult(str(path), b"", b"", error=f"cannot read: {exc.strerror or exc}")
            )
            continue
        reads[str(path)] = (stamp, str(target) if target != path else "")
        package = package_clause(data)
        groups.setdefault((str(path.parent), package), {})[str(path)] = data
    return list(groups.values())


def _attach_reads(results: Iterable[FileResult], reads: Reads) -> None:
    for result in results:
        if result.path in reads:
            result.stamp, result.target = reads[result.path]


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
    try:
        _fix_package(states, rules, options, fix, fix_filter)
    except Exception as error:  # the engine itself failed: nothing of this package changes
        for state in states.values():
            state.result.fixed = state.result.original
            state.result.applied = []
            state.result.internal_errors.append(f"leakfix failed on this package: {_why(error)}")
    return [s.result for s in states.values()]


def _fix_package(
    states: dict[str, _FileState],
    rules: list[Rule],
    options: Options,
    fix: bool,
    fix_filter: FixFilter | None,
) -> None:
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


def _why(error: BaseException) -> str:
    """One line for an internal error: the exception type and its message."""
    detail = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _internal_error(state: _FileState, where: str, error: BaseException) -> None:
    note = f"{where}: {_why(error)}"
    if note not in state.result.internal_errors:
        state.result.internal_errors.append(note)


def _check(states: dict[str, _FileState], rules: list[Rule], options: Options) -> list[Finding]:
    forget_parents()  # the last pass's trees are gone: so are their parents
    sources = []
    for path, state in states.items():
        source = parsed(path, state.data)
        _record_syntax_errors(source, state)
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
            state = states[source.path]
            checking([source.root])
            try:
                findings.extend(_rule_findings(rule, RuleContext(source, package, options), state))
            except Exception as error:  # one rule on one file: the others still run
                _internal_error(state, f"rule {rule.id} failed", error)
    wanted = selected_categories(options)
    findings = [f for f in findings if f.category in wanted]
    findings.sort(key=lambda f: (f.path, f.start_byte, f.rule))
    return findings


def _rule_findings(rule: Rule, ctx: RuleContext, state: _FileState) -> list[Finding]:
    found = []
    for finding in rule.check(ctx):
        if suppress.is_suppressed(ctx.source, finding, rule.linters):
            continue
        if _in_broken_function(state, finding.start_byte):
            continue
        found.append(finding)
    return found


# Parsed trees of the bytes seen last: a pass parses each file once, and the re-parse guard,
# the import step and the next pass reuse those trees instead of parsing the same bytes again.
_PARSED: dict[tuple[str, bytes], SourceFile] = {}
_PARSED_KEEP = 16


def parsed(path: str, data: bytes) -> SourceFile:
    key = (path, data)
    source = _PARSED.get(key)
    if source is None:
        source = SourceFile(path, data)
        if len(_PARSED) >= _PARSED_KEEP:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = source
    return source


def _record_syntax_errors(source: SourceFile, state: _FileState) -> None:
    """Where the file does not parse. A broken function is not analysed and never edited; a
    break outside functions leaves the whole file untouched, but the functions that parse are
    still checked. Go 1.26's ``new(expr)``, which tree-sitter-go cannot parse, is a note."""
    state.broken_ranges = []
    state.result.error = None
    state.result.syntax_errors = []
    for top, line, new_expr in _syntax_error_regions(source):
        state.broken_ranges.append((top.start_byte, top.end_byte))
        if top.type not in ("function_declaration", "method_declaration"):
            if state.result.error is None:
                state.result.error = f"syntax error near line {line}: file left untouched"
            continue
        name = text(top.child_by_field_name("name")) or "?"
        start = source.position(top.start_byte)[0]
        if new_expr:
            note = (
                f"line {start}: function {name} not analysed: tree-sitter-go cannot parse "
                "Go 1.26 new(expr); it is left untouched"
            )
            if note not in state.result.messages:
                state.result.messages.append(note)
            continue
        message = (
            f"syntax error near line {line}: function {name} (line {start}) not analysed "
            "and left untouched"
        )
        if message not in state.result.syntax_errors:
            state.result.syntax_errors.append(message)
    if not source.package_name and state.result.error is None:
        state.result.error = "no package clause: file left untouched"
        state.broken_ranges.append((0, len(source.data)))


_NEW_CALL = re.compile(rb"\bnew\(")


def _syntax_error_regions(source: SourceFile) -> list[tuple[Node, int, bool]]:
    """(top-level declaration, line of its first error, whether every error in it sits on a
    line with a ``new(`` call) for each declaration holding ERROR or MISSING nodes."""
    regions: dict[int, tuple[Node, int, bool]] = {}
    for node in error_nodes(source.root):
        top = top_level_node(source, node)
        line = source.position(node.start_byte)[0]
        line_text = source.data[
            source.line_start(node.start_byte) : source.line_end(node.start_byte)
        ]
        on_new = _NEW_CALL.search(line_text) is not None
        if top.id in regions:
            first, first_line, all_new = regions[top.id]
            regions[top.id] = (first, first_line, all_new and on_new)
        else:
            regions[top.id] = (top, line, on_new)
    return sorted(regions.values(), key=lambda region: region[0].start_byte)


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
            p not in states
            or states[p].frozen
            or states[p].result.error is not None  # broken outside functions: untouched
            or _in_broken_function(states[p], o)
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
    for path in sorted(set(merged.edits) | set(merged.imports)):
        state = states[path]
        try:
            changed = _apply_file(state, path, merged) or changed
        except Exception as error:  # this file keeps the bytes it had before this pass
            _internal_error(state, "applying fixes failed", error)
            state.frozen = True
    return changed


def _apply_file(state: _FileState, path: str, merged: MergeResult) -> bool:
    before = state.data
    after = _spliced(path, before, merged.edits.get(path, []), merged.imports.get(path, ()))
    mine = [f for f in merged.applied if _touches(f, path)]
    if after == before:
        return False
    if _worse(path, before, after) is not None:
        after, mine = _one_by_one(state, path, mine)
    if after == before:
        return False
    state.data = after
    state.result.applied.extend(f for f in mine if f.path == path)
    return True


def _touches(finding: Finding, path: str) -> bool:
    assert finding.fix is not None
    return finding.path == path or any(e.path == path for e in finding.fix.edits)


def _spliced(path: str, data: bytes, edits: Iterable[Edit], imports: Iterable[str]) -> bytes:
    return add_imports(parsed(path, splice(data, edits)), imports)


def _worse(path: str, before: bytes, after: bytes) -> str | None:
    """Why ``after`` is worse than ``before`` (a new syntax error, lost gofmt formatting)."""
    if count_errors(parsed(path, after).root) > count_errors(parsed(path, before).root):
        return "it would introduce a syntax error"
    if gofmt.is_formatted(before) and gofmt.is_formatted(after) is False:
        return "its result would not be gofmt-clean"
    return None


def _one_by_one(
    state: _FileState, path: str, findings: list[Finding]
) -> tuple[bytes, list[Finding]]:
    """Keep, fix by fix, those that leave the file no worse. Every candidate is spliced from
    the bytes the fixes were computed on (their offsets refer to those), with the edits kept
    so far plus the next fix's: applying a fix to the output of another would shift it."""
    original = state.data
    data = original
    kept: list[Finding] = []
    edits: list[Edit] = []
    imports: list[str] = []
    for finding in findings:
        assert finding.fix is not None
        mine = [e for e in finding.fix.edits if (e.path or finding.path) == path]
        wanted = list(finding.fix.imports) if finding.path == path else []
        candidate = _spliced(path, original, [*edits, *mine], [*imports, *wanted])
        reason = _worse(path, data, candidate)
        if reason is None:
            data = candidate
            kept.append(finding)
            edits.extend(e for e in mine if e not in edits)
            imports.extend(wanted)
            continue
        if _worse(path, original, _spliced(path, original, mine, wanted)) is None:
            continue  # good alone, bad only beside another fix: the next pass recomputes it
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
    """Write every changed file atomically; return the paths written.

    Never raises for one file: a file that cannot or must not be written (changed since it
    was read, read-only, hard-linked, an I/O error) gets its ``write_error`` and the others
    are still written."""
    written = []
    for result in results:
        if result.error or not result.changed:
            continue
        try:
            _write_one(result)
        except WriteRefused as refused:
            result.write_error = WriteError(str(refused))
            continue
        except OSError as error:
            reason = error.strerror or str(error)
            result.write_error = WriteError(f"cannot write: {reason}", io=True)
            continue
        written.append(result.path)
    return written


def _write_one(result: FileResult) -> None:
    target = Path(result.target or os.path.realpath(result.path))  # a link stays a link
    stamp = result.stamp
    if stamp is None:  # results built from memory (tests, the bot): read what is there now
        data, stamp = read_file(target, 0)
        if data != result.original:
            raise WriteRefused("changed while leakfix ran: left as it is")
    replace_file(target, result.fixed, stamp)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` as :func:`write_results` does (a LeakfixError if not)."""
    try:
        _, stamp = read_file(path, 0)
        replace_file(path, data, stamp)
    except (WriteRefused, Skip) as refused:
        raise LeakfixError(f"{path}: {refused}") from refused
    except OSError as exc:
        raise LeakfixError(f"cannot write {path}: {exc.strerror or exc}") from exc


__all__ = ["RunResult", "run", "run_sources", "write_results", "select_rules", "FUNCTION_TYPES"]
