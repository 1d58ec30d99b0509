"""Build check: does `leakfix fix --unsafe-fixes` keep Go modules building and vetting?

A generic tool, like `go build` itself: it takes Go module folders (each with a go.mod) and,
for each one, works on a copy (the folder itself is never written):

1. copies the folder to a temporary folder (`cp -a` of every entry but `.git`);
2. `go mod download` (the only step that may use the network; skip it with --offline);
3. `go list -e -json ./...`, `go build -json ./...` and `go vet -json ./...`: which packages
   build and vet cleanly before;
4. `leakfix check` and `leakfix fix --unsafe-fixes --format json .` on the copy;
5. build and vet again, and reports every package that built (or vetted cleanly) before and
   does not after, with its first error, and every vet diagnostic that is new.

Every go command runs with GOTOOLCHAIN=local, GOFLAGS=-mod=mod, GOWORK=off and, after the
download, GOPROXY=off, one after the other (`-p 1` unless --go-p says otherwise).

    python benchmarks/build_check.py /path/to/module [/path/to/other ...]
    python benchmarks/build_check.py --json out.json --diff-dir diffs/ /path/to/module

It exits 1 when a package broke, 0 otherwise (2 for usage errors).
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GO_ENV = {"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "GOWORK": "off"}
HEADER = re.compile(r"^# (\S+)(?: \[[^\]]*\])?$")
POSITION = re.compile(r"^(?:vet: )?(?P<file>[^\s:][^:]*\.go):\d+(?::\d+)?: (?P<msg>.*)$")
SKIPPED_DIRS = frozenset({"vendor", "testdata", "node_modules"})


@dataclass
class Package:
    """One package of `go list -e -json ./...`."""

    path: str
    buildable: bool  # has non-test Go files and go list found no error in it
    list_error: str | None
    deps: frozenset[str]  # transitive, non-test
    test_deps: frozenset[str]  # test imports and their transitive deps


@dataclass
class GoState:
    """What the go tool said about a module's packages at one moment."""

    build_failed: dict[str, str]  # import path -> first error line
    vet_failed: dict[str, str]  # import path -> first error line (did not type-check)
    vet_diagnostics: dict[str, list[str]]  # import path -> "analyzer: file: message"
    build_ok: set[str] = field(default_factory=set)
    vet_ok: set[str] = field(default_factory=set)
    seconds: float = 0.0


@dataclass
class Broken:
    package: str
    step: str  # "build" or "vet"
    error: str


@dataclass
class ModuleReport:
    folder: str
    module: str
    git_head: str | None
    go_lines: int
    packages: int = 0
    buildable: int = 0
    built_before: int = 0
    vetted_before: int = 0
    built_after: int = 0
    vetted_after: int = 0
    failed_before: list[Broken] = field(default_factory=list)  # not OK before the fix
    broken: list[Broken] = field(default_factory=list)
    new_vet_diagnostics: list[str] = field(default_factory=list)
    findings: int = 0
    findings_by_rule: dict[str, int] = field(default_factory=dict)
    fixes_applied: int = 0
    fixes_by_rule: dict[str, int] = field(default_factory=dict)
    remaining: int = 0
    files_changed: int = 0
    leakfix_exit: int | None = None
    leakfix_errors: list[str] = field(default_factory=list)
    leakfix_crash: str | None = None
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)


# running commands ------------------------------------------------------------------------


def run(
    cmd: Sequence[str], cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(cmd),
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def json_stream(text: str) -> Iterator[Any]:
    """The JSON values of a stream of concatenated values (go list -json, go vet -json)."""
    decoder = json.JSONDecoder()
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            # Not JSON (a stray line): skip to the next line.
            newline = text.find("\n", index)
            if newline < 0:
                return
            index = newline + 1
            continue
        yield value


def header_blocks(text: str) -> dict[str, list[str]]:
    """`# import/path` headed blocks of go's text output: path -> its lines."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = HEADER.match(line)
        if match:
            current = blocks.setdefault(match.group(1), [])
        elif current is not None and line.strip():
            current.append(line.strip())
    return blocks


def first_error(lines: Iterable[str]) -> str:
    for line in lines:
        if line and not line.startswith("#"):
            return line
    return "(no message)"


# go ----------------------------------------------------------------------------------------


def list_packages(folder: Path, env: dict[str, str], timeout: float) -> tuple[str, list[Package]]:
    done = run(["go", "list", "-e", "-json", "./..."], folder, env, timeout)
    raw = [value for value in json_stream(done.stdout) if isinstance(value, dict)]
    if not raw and done.returncode:
        raise RuntimeError(f"go list failed: {first_error(done.stderr.splitlines())}")
    module = ""
    by_path: dict[str, dict[str, Any]] = {}
    for item in raw:
        by_path[item.get("ImportPath", "")] = item
        module = module or (item.get("Module") or {}).get("Path", "")
    packages = []
    for path, item in by_path.items():
        error = (item.get("Error") or {}).get("Err")
        if not error and item.get("DepsErrors"):
            error = "dependency: " + (item["DepsErrors"][0].get("Err") or "?")
        has_code = bool(item.get("GoFiles") or item.get("CgoFiles"))
        deps = frozenset(dep for dep in item.get("Deps") or [] if dep in by_path)
        test_imports = set(item.get("TestImports") or []) | set(item.get("XTestImports") or [])
        test_deps: set[str] = set()
        for imported in test_imports:
            if imported in by_path and imported != path:
                test_deps.add(imported)
                test_deps.update(by_path[imported].get("Deps") or [])
        packages.append(
            Package(
                path=path,
                buildable=has_code and not error,
                list_error=error,
                deps=deps,
                test_deps=frozenset(dep for dep in test_deps if dep in by_path),
            )
        )
    return module, sorted(packages, key=lambda package: package.path)


def go_state(
    folder: Path, packages: list[Package], env: dict[str, str], go_p: int, timeout: float
) -> GoState:
    start = time.monotonic()
    build = run(["go", "build", "-p", str(go_p), "-json", "./..."], folder, env, timeout)
    outputs: dict[str, list[str]] = collections.defaultdict(list)
    failed: set[str] = set()
    for event in json_stream(build.stdout):
        if not isinstance(event, dict):
            continue
        path = event.get("ImportPath", "").split(" ")[0]
        if event.get("Action") == "build-output":
            outputs[path].extend(event.get("Output", "").splitlines())
        elif event.get("Action") == "build-fail":
            failed.add(path)
    build_failed = {path: first_error(outputs.get(path, [])) for path in failed}
    # Loading errors are printed as text on stderr, headed or not.
    for path, lines in header_blocks(build.stderr).items():
        build_failed.setdefault(path, first_error(lines))

    vet = run(["go", "vet", "-p", str(go_p), "-json", "./..."], folder, env, timeout)
    vet_failed = {path: first_error(lines) for path, lines in header_blocks(vet.stderr).items()}
    diagnostics: dict[str, list[str]] = collections.defaultdict(list)
    for value in json_stream(vet.stdout):
        if not isinstance(value, dict):
            continue
        for key, analyzers in value.items():
            path = key.split(" ")[0]
            if not isinstance(analyzers, dict):
                continue
            for analyzer, items in analyzers.items():
                if isinstance(items, dict) and "error" in items:
                    vet_failed.setdefault(path, f"{analyzer}: {items['error']}")
                    continue
                for item in items if isinstance(items, list) else []:
                    where = Path(str(item.get("posn", "")).split(":")[0])
                    try:
                        shown = where.relative_to(folder)
                    except ValueError:
                        shown = where
                    diagnostics[path].append(f"{analyzer}: {shown}: {item.get('message', '')}")

    state = GoState(build_failed, vet_failed, dict(diagnostics))
    for package in packages:
        if package.buildable and not ({package.path} | package.deps) & set(build_failed):
            state.build_ok.add(package.path)
        if package.list_error:
            continue
        broken_deps = (package.deps | package.test_deps) & (set(build_failed) | set(vet_failed))
        if package.path not in vet_failed and not broken_deps and package.path not in diagnostics:
            state.vet_ok.add(package.path)
    state.seconds = time.monotonic() - start
    return state


def explain(package: Package, state: GoState, step: str) -> str:
    """The first error that keeps ``package`` from building (or vetting) in ``state``."""
    own = state.build_failed.get(package.path)
    if step == "vet":
        own = own or state.vet_failed.get(package.path)
        if not own and package.path in state.vet_diagnostics:
            own = "vet: " + state.vet_diagnostics[package.path][0]
    if own:
        return own
    deps = package.deps | (package.test_deps if step == "vet" else frozenset())
    for dep in sorted(deps):
        error = state.build_failed.get(dep) or (
            state.vet_failed.get(dep) if step == "vet" else None
        )
        if error:
            return f"dependency {dep}: {error}"
    return "(not reported by the go tool)"


def diagnostic_keys(state: GoState) -> collections.Counter[str]:
    """Vet diagnostics without positions, so that shifted lines still compare equal."""
    counter: collections.Counter[str] = collections.Counter()
    for path, items in state.vet_diagnostics.items():
        counter.update(f"{path}: {item}" for item in items)
    return counter


# the module ----------------------------------------------------------------------------------


def copy_module(source: Path, target: Path) -> None:
    """`cp -a` of every entry of ``source`` but `.git`, into ``target``."""
    target.mkdir(parents=True)
    entries = [str(entry) for entry in sorted(source.iterdir()) if entry.name != ".git"]
    if entries:
        subprocess.run(["cp", "-a", *entries, str(target)], check=True)


def git_head(folder: Path) -> str | None:
    if not (folder / ".git").exists():
        return None
    done = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    head = done.stdout.strip()
    return head if done.returncode == 0 and head else None


def go_lines(folder: Path) -> int:
    total = 0
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = [name for name in subdirs if name not in SKIPPED_DIRS and name[0] not in "._"]
        for name in files:
            if name.endswith(".go"):
                with open(os.path.join(directory, name), "rb") as handle:
                    total += sum(1 for _ in handle)
    return total


def leakfix_json(
    command: Sequence[str], args: Sequence[str], folder: Path, timeout: float
) -> tuple[dict[str, Any] | None, subprocess.CompletedProcess[str]]:
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = run([*command, *args], folder, env, timeout)
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError:
        document = None
    return (document if isinstance(document, dict) else None), done


def crash_text(done: subprocess.CompletedProcess[str], document: dict[str, Any] | None) -> str:
    if "Traceback" in done.stderr or done.returncode not in (0, 1) or document is None:
        tail = done.stderr.strip().splitlines()[-12:]
        return f"exit {done.returncode}: " + ("\n".join(tail) or "(no output)")
    return ""


def write_diff(source: Path, copy: Path, written: Iterable[str], target: Path) -> None:
    chunks: list[str] = []
    for name in sorted(written):
        before = (source / name).read_text(errors="replace").splitlines(keepends=True)
        after = (copy / name).read_text(errors="replace").splitlines(keepends=True)
        chunks.extend(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))
    target.write_text("".join(chunks))


def check_module(folder: Path, args: argparse.Namespace) -> ModuleReport:
    report = ModuleReport(
        folder=str(folder), module="", git_head=git_head(folder), go_lines=go_lines(folder)
    )
    command = shlex.split(args.leakfix) if args.leakfix else [sys.executable, "-m", "codemods.cli"]
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="build-check-"))
    copy = scratch / folder.name
    try:
        copy_module(folder, copy)
        report.seconds["copy"] = time.monotonic() - started
        offline = {**GO_ENV, "GOPROXY": "off"}
        if not args.offline:
            step = time.monotonic()
            done = run(["go", "mod", "download"], copy, dict(GO_ENV), args.timeout)
            report.seconds["download"] = time.monotonic() - step
            if done.returncode:
                report.error = "go mod download: " + first_error(done.stderr.splitlines())
                return report
        report.module, packages = list_packages(copy, offline, args.timeout)
        report.packages = len(packages)
        report.buildable = sum(package.buildable for package in packages)
        before = go_state(copy, packages, offline, args.go_p, args.timeout)
        report.seconds["before"] = before.seconds
        report.built_before, report.vetted_before = len(before.build_ok), len(before.vet_ok)
        for listed in packages:
            if listed.list_error:
                report.failed_before.append(Broken(listed.path, "list", listed.list_error))
            elif listed.buildable and listed.path not in before.build_ok:
                error = explain(listed, before, "build")
                report.failed_before.append(Broken(listed.path, "build", error))
            elif listed.path not in before.vet_ok:
                error = explain(listed, before, "vet")
                report.failed_before.append(Broken(listed.path, "vet", error))

        step = time.monotonic()
        checked, done = leakfix_json(
            command, ["check", "--unsafe-fixes", "--format", "json", "."], copy, args.timeout
        )
        crash = crash_text(done, checked)
        findings = (checked or {}).get("findings", [])
        report.findings = len(findings)
        report.findings_by_rule = dict(collections.Counter(item["rule"] for item in findings))
        fixed, done = leakfix_json(
            command, ["fix", "--unsafe-fixes", "--format", "json", "."], copy, args.timeout
        )
        report.seconds["leakfix"] = time.monotonic() - step
        report.leakfix_exit = done.returncode
        crash = crash or crash_text(done, fixed)
        report.leakfix_crash = crash or None
        fixed = fixed or {}
        applied = fixed.get("applied", [])
        report.fixes_applied = len(applied)
        report.fixes_by_rule = dict(collections.Counter(item["rule"] for item in applied))
        report.remaining = len(fixed.get("findings", []))
        report.files_changed = len(fixed.get("written", []))
        report.leakfix_errors = [f"{e['path']}: {e['message']}" for e in fixed.get("errors", [])]
        if args.diff_dir:
            args.diff_dir.mkdir(parents=True, exist_ok=True)
            target = args.diff_dir / f"{folder.name}.diff"
            write_diff(folder, copy, fixed.get("written", []), target)

        # go list again: a fix may add an import, so the graph can change.
        _, packages_after = list_packages(copy, offline, args.timeout)
        after = go_state(copy, packages_after, offline, args.go_p, args.timeout)
        report.seconds["after"] = after.seconds
        report.built_after, report.vetted_after = len(after.build_ok), len(after.vet_ok)
        by_path = {package.path: package for package in packages_after}
        for path in sorted(before.build_ok - after.build_ok):
            package = by_path.get(path)
            error = explain(package, after, "build") if package else "package disappeared"
            report.broken.append(Broken(path, "build", error))
        for path in sorted(before.vet_ok - after.vet_ok):
            if path in before.build_ok and path not in after.build_ok:
                continue  # already reported as a build failure
            package = by_path.get(path)
            error = explain(package, after, "vet") if package else "package disappeared"
            report.broken.append(Broken(path, "vet", error))
        new = diagnostic_keys(after) - diagnostic_keys(before)
        report.new_vet_diagnostics = sorted(new.elements())
    except (RuntimeError, subprocess.SubprocessError, OSError) as error:
        report.error = f"{type(error).__name__}: {error}"
    finally:
        report.seconds["total"] = time.monotonic() - started
        if args.keep:
            print(f"kept {copy}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return report


# output ----------------------------------------------------------------------------------------


def table(reports: Sequence[ModuleReport]) -> str:
    headers = [
        "module", "head", "Go lines", "pkgs", "built", "vetted", "built after", "vetted after",
        "broke", "findings", "fixes", "files", "seconds",
    ]  # fmt: skip
    rows = []
    for report in reports:
        rows.append(
            [
                Path(report.folder).name,
                (report.git_head or "-")[:12],
                str(report.go_lines),
                str(report.packages),
                str(report.built_before),
                str(report.vetted_before),
                str(report.built_after),
                str(report.vetted_after),
                str(len(report.broken)),
                str(report.findings),
                str(report.fixes_applied),
                str(report.files_changed),
                f"{report.seconds.get('total', 0):.0f}",
            ]
        )
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))

    lines = [line(headers), line(["-" * width for width in widths])]
    lines.extend(line(row) for row in rows)
    for report in reports:
        name = Path(report.folder).name
        if report.error:
            lines.append(f"{name}: ERROR {report.error}")
        if report.leakfix_crash:
            lines.append(f"{name}: leakfix crashed: {report.leakfix_crash}")
        for error in report.leakfix_errors:
            lines.append(f"{name}: leakfix error: {error}")
        for failed in report.failed_before:
            lines.append(f"{name}: not OK before ({failed.step}) {failed.package}: {failed.error}")
        for broken in report.broken:
            lines.append(f"{name}: BROKE {broken.step} {broken.package}: {broken.error}")
        for diagnostic in report.new_vet_diagnostics:
            lines.append(f"{name}: new vet diagnostic {diagnostic}")
        if report.fixes_by_rule:
            rules = ", ".join(f"{rule} {n}" for rule, n in sorted(report.fixes_by_rule.items()))
            lines.append(f"{name}: fixes by rule: {rules}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+", type=Path, help="Go module folders (with go.mod)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the data as JSON")
    parser.add_argument("--diff-dir", type=Path, metavar="DIR", help="write NAME.diff per module")
    parser.add_argument("--leakfix", help="leakfix command (default: python -m codemods.cli)")
    parser.add_argument("--offline", action="store_true", help="skip go mod download")
    parser.add_argument("--keep", action="store_true", help="keep the fixed copies")
    parser.add_argument("--go-p", type=int, default=1, help="go build/vet -p (default 1)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per command")
    args = parser.parse_args(argv)
    folders = [folder.resolve() for folder in args.modules]
    missing = [str(folder) for folder in folders if not (folder / "go.mod").is_file()]
    if missing:
        parser.error(f"no go.mod in: {', '.join(missing)}")
    if shutil.which("go") is None:
        parser.error("go is not on PATH")

    version = subprocess.run(["go", "version"], capture_output=True, text=True, env=os.environ)
    reports = []
    for folder in folders:
        print(f"checking {folder} ...", file=sys.stderr, flush=True)
        reports.append(check_module(folder, args))
        if args.json:  # written after each module, so a long run leaves partial data
            data = {
                "go_version": version.stdout.strip(),
                "go_env": {**GO_ENV, "GOPROXY": "off (after go mod download)"},
                "leakfix": args.leakfix or "python -m codemods.cli",
                "modules": [asdict(report) for report in reports],
            }
            args.json.write_text(json.dumps(data, indent=2) + "\n")
    sys.stdout.write(table(reports))
    broken = any(report.broken or report.error or report.leakfix_crash for report in reports)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
