"""`leakfix fix --verify`: prove with the user's Go toolchain that the fixes compile.

Before anything is written, every Go package (folder) with a changed file is built and vetted
twice from its module root: on the original sources, then on the fixed ones, which reach the go
tool through an ``-overlay`` file, so the user's tree is never touched. The go commands are
offline and read-only: GOPROXY=off, GOTOOLCHAIN=local, GOWORK=off, and -mod=readonly
(-mod=vendor with a vendor folder), so nothing is downloaded and go.mod/go.sum stay as they are.

A package that built before and fails after gets its fixes back file by file, then, in a file
that breaks it, fix by fix; a fix that breaks the build is withheld and reported with the go
tool's first error line. A package that did not build before is "unverified": its fixes follow
the normal rules (one that builds but already fails go vet is unverified too, yet its fixes are
still held to go build). The engine recomputes each trial (a fix may exist only after another),
so what is finally written is exactly what was last built. Packages are judged against the
settled fixes of the packages before them; fixes do not change exported APIs, so a package
verified early stays valid.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from codemods import engine
from codemods.model import FileResult, Finding, UnverifiedPackage, Verification, WithheldFix
from codemods.options import LeakfixError, Options
from codemods.rules.base import Rule

GO_NOT_FOUND = "--verify needs the Go toolchain (go not found on PATH)"
GO_TIMEOUT = 600  # seconds one go command may take

# No download, no toolchain switch, no go.work: only what the module cache already holds.
GO_ENV = {"GOPROXY": "off", "GOTOOLCHAIN": "local", "GOWORK": "off"}

_ERROR_LINE = re.compile(r"^(?:vet: )?(\S+\.go:\d+(?::\d+)?: .+)$")
_LIST_FIELDS = "Dir,ImportPath,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,Error"

# A fix named across engine re-runs: path, rule, message, its line's text, and which of the
# identical ones it is. Offsets and line numbers move as other fixes come and go; these do not.
FixKey = tuple[str, str, str, str, int]


def find_go() -> str:
    """The go binary on PATH, or LeakfixError (checked before anything is touched)."""
    go = shutil.which("go")
    if go is None:
        raise LeakfixError(GO_NOT_FOUND)
    return go


def verify_fixes(
    files: list[FileResult], options: Options, go: str
) -> tuple[list[FileResult], Verification]:
    """Build and vet the packages ``files`` change; return the results to write (fixes that
    break a package withheld) and what was verified, withheld and left unverified."""
    verification = Verification()
    by_path = {result.path: result for result in files}
    reads = {result.path: (result.stamp, result.target) for result in files}
    units = _units(files, verification)
    with TemporaryDirectory(prefix="leakfix-verify-") as tmp:
        session = _Session(go, options, Path(tmp), verification)
        for module, members in _by_module(units).items():
            results = session.settle_module(session.listed(module, members))
            for result in results:  # recomputed results: what was read stays what was read
                result.stamp, result.target = reads.get(result.path, (None, ""))
            by_path.update((r.path, r) for r in results)
    verification.verified.sort()
    verification.unverified.sort(key=lambda u: u.package)
    return sorted(by_path.values(), key=lambda r: r.path), verification


# -- packages ----------------------------------------------------------------------------------


@dataclass
class _Unit:
    """One folder with changed files: one go package pattern (the package and its tests)."""

    folder: Path
    module: Path
    results: list[FileResult]  # every file leakfix read in the folder
    name: str = ""  # the import path once `go list` answered
    vet: bool = True  # False when go vet failed before the fixes: only go build can judge them

    @property
    def pattern(self) -> str:
        relative = Path(os.path.relpath(self.folder, self.module)).as_posix()
        return "." if relative == "." else f"./{relative}"

    @property
    def changed(self) -> list[str]:
        return sorted(r.path for r in self.results if r.changed and not r.error)


def _units(files: list[FileResult], verification: Verification) -> list[_Unit]:
    folders: dict[Path, list[FileResult]] = {}
    for result in files:
        folders.setdefault(Path(result.path).parent, []).append(result)
    units = []
    for folder, results in sorted(folders.items()):
        if not any(r.changed and not r.error for r in results):
            continue
        module = module_root(folder)
        if module is None:
            reason = "not in a Go module (no go.mod in its folder or above)"
            verification.unverified.append(UnverifiedPackage(folder.as_posix(), reason))
            continue
        units.append(_Unit(folder, module, results))
    return units


def module_root(folder: Path) -> Path | None:
    """The nearest folder at or above ``folder`` that holds a go.mod."""
    for candidate in (folder, *folder.parents):
        if (candidate / "go.mod").is_file():
            return candidate
    return None


def _by_module(units: list[_Unit]) -> dict[Path, list[_Unit]]:
    grouped: dict[Path, list[_Unit]] = {}
    for unit in units:
        grouped.setdefault(unit.module, []).append(unit)
    return grouped


# -- naming fixes across re-runs ---------------------------------------------------------------


def fix_keys(findings: list[Finding], data: dict[str, bytes]) -> list[FixKey]:
    """A key per finding, valid for the file contents the findings were computed on."""
    seen: Counter[tuple[str, str, str, str]] = Counter()
    keys = []
    for finding in findings:
        base = (finding.path, finding.rule, finding.message, _line(data, finding))
        keys.append((*base, seen[base]))
        seen[base] += 1
    return keys


def _line(data: dict[str, bytes], finding: Finding) -> str:
    lines = data.get(finding.path, b"").split(b"\n")
    raw = lines[finding.line - 1] if 0 < finding.line <= len(lines) else b""
    return " ".join(raw.decode("utf-8", "replace").split())


def touched(finding: Finding) -> set[str]:
    """The files a fix edits (its imports go to the finding's own file)."""
    edits = finding.fix.edits if finding.fix else ()
    return {finding.path, *(edit.path or finding.path for edit in edits)}


class _Plan:
    """Which fixes an engine re-run may apply: those touching only ``files``, and those named
    in ``keys``. It remembers the key of every fix it is offered."""

    def __init__(
        self, files: Iterable[str] = (), keys: Iterable[FixKey] = (), everything: bool = False
    ) -> None:
        self.files = frozenset(files)
        self.keys = frozenset(keys)
        self.everything = everything
        self.seen: dict[int, tuple[FixKey, Finding]] = {}  # holds the finding: ids stay unique

    def __call__(self, findings: list[Finding], data: dict[str, bytes]) -> list[Finding]:
        allowed = []
        for finding, key in zip(findings, fix_keys(findings, data), strict=True):
            self.seen[id(finding)] = (key, finding)
            if self.everything or key in self.keys or touched(finding) <= self.files:
                allowed.append(finding)
        return allowed

    def applied(self, results: list[FileResult]) -> list[tuple[FixKey, Finding]]:
        """The fixes a run applied, in order, by key."""
        return [self.seen[id(f)] for r in results for f in r.applied if id(f) in self.seen]


# -- the go tool -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    ok: bool
    step: str = ""  # "build" or "vet" when not ok
    message: str = ""


@dataclass
class _Session:
    go: str
    options: Options
    tmp: Path
    verification: Verification
    decided: dict[str, bytes] = field(default_factory=dict)  # fixed files of settled packages
    copies: list[str] = field(default_factory=list)  # overlay copy n -> original path
    token: str = field(default_factory=lambda: f"lfx{secrets.token_hex(4)}")
    rules: list[Rule] = field(init=False)

    def __post_init__(self) -> None:
        self.rules = engine.select_rules(self.options)

    def run(self, args: list[str], module: Path) -> tuple[bool, str, str]:
        """(ok, stdout, stdout + stderr) of one go command run from the module root."""
        try:
            proc = subprocess.run(
                [self.go, *args],
                cwd=module,
                env={**os.environ, **GO_ENV},
                capture_output=True,
                text=True,
                errors="replace",
                timeout=GO_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False, "", f"go {args[0]} timed out after {GO_TIMEOUT}s"
        except OSError as exc:
            raise LeakfixError(f"cannot run {self.go}: {exc.strerror or exc}") from exc
        return proc.returncode == 0, proc.stdout, proc.stdout + proc.stderr

    def flags(self, module: Path) -> list[str]:
        # -mod=readonly fails rather than edit go.mod/go.sum; a vendored module builds from
        # vendor/ (the go tool's own default there). No VCS stamping: git is not asked.
        vendored = (module / "vendor" / "modules.txt").is_file()
        return ["-mod=vendor" if vendored else "-mod=readonly", "-buildvcs=false"]

    def check(self, units: list[_Unit], changes: dict[str, bytes] | None) -> _Check:
        """go build, then go vet, of packages of one module: on the originals (None) or with
        the changes of settled packages plus ``changes``."""
        module = units[0].module
        flags = self.flags(module)
        if changes is not None:
            flags += self.overlay({**self.decided, **changes})
        steps = [("build", ["build", *flags, "-o", os.devnull, *(u.pattern for u in units)])]
        vetted = [unit.pattern for unit in units if unit.vet]
        if vetted:
            steps.append(("vet", ["vet", *flags, *vetted]))
        for step, args in steps:
            ok, _, output = self.run(args, module)
            if not ok:
                return _Check(False, step, self.first_error(output, module))
        return _Check(True)

    def overlay(self, changes: dict[str, bytes]) -> list[str]:
        """Write the changed bytes to temporary copies and an -overlay file mapping to them."""
        if not changes:
            return []
        replace = {}
        for path, data in changes.items():
            copy = self.copy_of(path)
            copy.write_bytes(data)
            replace[os.path.abspath(path)] = str(copy)
        target = self.tmp / "overlay.json"
        target.write_text(json.dumps({"Replace": replace}, indent=1), encoding="utf-8")
        return [f"-overlay={target}"]

    def copy_of(self, path: str) -> Path:
        if path not in self.copies:
            self.copies.append(path)
        # The token lets messages about the copy be mapped back to the original file.
        return self.tmp / f"{self.token}{self.copies.index(path)}_{Path(path).name}"

    def first_error(self, output: str, module: Path) -> str:
        """The go tool's first error line, naming original files relative to the module."""
        text = re.sub(
            rf"\S*{self.token}(\d+)_[^\s:]+",
            lambda m: Path(os.path.relpath(self.copies[int(m[1])], module)).as_posix(),
            output,
        )
        lines = [line.strip() for line in text.splitlines()]
        for line in lines:
            match = _ERROR_LINE.match(line)
            if match:
                return match[1]
        return next((line for line in lines if line and not line.startswith("#")), "failed")

    # -- go list ---------------------------------------------------------------------------

    def listed(self, module: Path, units: list[_Unit]) -> list[_Unit]:
        """Name the units by import path; units go cannot fully compile become unverified."""
        args = ["list", *self.flags(module), "-e", f"-json={_LIST_FIELDS}"]
        ok, stdout, output = self.run([*args, *(u.pattern for u in units)], module)
        if not ok:
            message = self.first_error(output, module)
            for unit in units:
                self.unverified(unit, f"go list fails: {message}")
            return []
        packages = {os.path.realpath(p.get("Dir", "")): p for p in _json_stream(stdout)}
        kept = []
        for unit in units:
            package = packages.get(os.path.realpath(unit.folder), {})
            unit.name = package.get("ImportPath") or unit.pattern
            reason = _unlisted_reason(unit, package)
            if reason:
                self.unverified(unit, reason)
            else:
                kept.append(unit)
        return sorted(kept, key=lambda u: u.name)

    def unverified(self, unit: _Unit, reason: str) -> None:
        name = unit.name or Path(unit.folder).as_posix()
        self.verification.unverified.append(UnverifiedPackage(name, reason))
        self.decided.update((r.path, r.fixed) for r in unit.results if r.changed)

    # -- one package -----------------------------------------------------------------------

    def settle_module(self, units: list[_Unit]) -> list[FileResult]:
        """Verify a module's packages: all in one go command pair when that passes (the common
        case), else one package at a time. Returns their final file results."""
        if units and not self.check(units, None).ok:
            units = [unit for unit in units if self.built_before(unit)]
        if not units:
            return []
        changes = {r.path: r.fixed for unit in units for r in unit.results if r.changed}
        if self.check(units, changes).ok:
            return [r for unit in units for r in self.accept(unit, unit.results)]
        return [r for unit in units for r in self.settle(unit)]

    def built_before(self, unit: _Unit) -> bool:
        """Whether the fixes can be judged; a package vet already rejects (say, for the very
        lost cancel a fix adds) is still checked with go build, and reported as unverified."""
        before = self.check([unit], None)
        if before.ok:
            return True
        if before.step == "build":
            self.unverified(unit, f"does not build before the fixes: {before.message}")
            return False
        unit.vet = False
        reason = f"go vet fails before the fixes: {before.message} (fixes checked by go build)"
        self.verification.unverified.append(UnverifiedPackage(unit.name, reason))
        return True

    def settle(self, unit: _Unit) -> list[FileResult]:
        """Verify one package that built before; withhold what breaks it."""
        changes = {r.path: r.fixed for r in unit.results if r.changed}
        if self.check([unit], changes).ok:
            return self.accept(unit, unit.results)
        return self.accept(unit, self.withhold(unit))

    def accept(self, unit: _Unit, results: list[FileResult]) -> list[FileResult]:
        if unit.vet:
            self.verification.verified.append(unit.name)
        self.decided.update((r.path, r.fixed) for r in results if r.changed)
        return results

    def rerun(self, unit: _Unit, plan: _Plan) -> list[FileResult]:
        """The engine's fixes for the unit's files from their originals, as ``plan`` allows."""
        groups: dict[str, dict[str, bytes]] = {}
        kept = []
        for result in unit.results:
            if result.error and not result.original:  # unreadable: nothing to recompute
                kept.append(result)
                continue
            clause = engine.package_clause(result.original)
            groups.setdefault(clause, {})[result.path] = result.original
        for files in groups.values():
            kept.extend(engine.process_package(files, self.rules, self.options, True, plan))
        return kept

    def withhold(self, unit: _Unit) -> list[FileResult]:
        """Keep file by file, then fix by fix, what still builds; report what does not."""
        record = _Plan(everything=True)
        fixes = record.applied(self.rerun(unit, record))
        trial = _Trial(self, unit)
        for path in unit.changed:
            if trial.attempt(trial.files | {path}, trial.keys).ok:
                trial.files.add(path)
                continue
            for key, finding in fixes:
                if path in touched(finding) and not trial.decided(key):
                    check = trial.attempt(trial.files, trial.keys | {key})
                    if check.ok:
                        trial.keys.add(key)
                    else:
                        trial.withheld.append((key, finding, check))
        final = self.rerun(unit, _Plan(trial.files, trial.keys))
        self.verification.withheld.extend(_withheld(trial.withheld, final))
        return final


@dataclass
class _Trial:
    """The fixes kept so far in one package, and attempts to keep more."""

    session: _Session
    unit: _Unit
    files: set[str] = field(default_factory=set)  # files whose fixes are all kept
    keys: set[FixKey] = field(default_factory=set)  # single fixes kept
    withheld: list[tuple[FixKey, Finding, _Check]] = field(default_factory=list)
    last: dict[str, bytes] = field(default_factory=dict)  # the changes last known to build

    def decided(self, key: FixKey) -> bool:
        """Kept or withheld already (a fix that edits two files is tried once)."""
        return key in self.keys or any(key == item[0] for item in self.withheld)

    def attempt(self, files: set[str], keys: set[FixKey]) -> _Check:
        results = self.session.rerun(self.unit, _Plan(files, keys))
        changes = {r.path: r.fixed for r in results if r.changed}
        if changes == self.last:
            return _Check(True)  # nothing new to build
        check = self.session.check([self.unit], changes)
        if check.ok:
            self.last = changes
        return check


def _withheld(
    items: list[tuple[FixKey, Finding, _Check]], final: list[FileResult]
) -> list[WithheldFix]:
    """Report lines as in the final text, where the fix's finding remains."""
    out = []
    for key, finding, check in items:
        line = _final_line(key, final) or finding.line
        fields = (finding.rule, finding.path, line, finding.message, check.message, check.step)
        out.append(WithheldFix(*fields))
    return out


def _final_line(key: FixKey, final: list[FileResult]) -> int | None:
    for result in final:
        data = {result.path: result.fixed}
        for finding, other in zip(result.findings, fix_keys(result.findings, data), strict=True):
            if other[:4] == key[:4]:
                return finding.line
    return None


def _unlisted_reason(unit: _Unit, package: dict[str, Any]) -> str:
    """Why go cannot compile every changed file of the unit, or ""."""
    if not package:
        return "go list does not know this folder"
    error = (package.get("Error") or {}).get("Err", "")
    if error:
        return f"go list fails: {error.splitlines()[0]}"
    compiled: set[str] = set()
    for name in ("GoFiles", "CgoFiles", "TestGoFiles", "XTestGoFiles"):
        compiled.update(package.get(name) or ())
    skipped = sorted(Path(p).name for p in unit.changed if Path(p).name not in compiled)
    if skipped:
        return f"{', '.join(skipped)} not compiled here (build constraints): fixes not checked"
    return ""


def _json_stream(text: str) -> list[dict[str, Any]]:
    """`go list -json` prints one object after another, not an array."""
    decoder = json.JSONDecoder()
    items: list[dict[str, Any]] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return items
        item, index = decoder.raw_decode(text, index)
        items.append(item)
