"""Helpers for tests that compile Go code with the local Go toolchain.

Everything runs offline: the module cache must already hold the dependencies
(`.ci/install-go-deps.sh` runs `go mod download` in golden/ and examples/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest

# Environment for every go command: no network, no toolchain switch, no workspace.
# -buildvcs=false keeps `go build` from shelling out to git inside the work tree.
GO_ENV: dict[str, str] = {
    "GOFLAGS": "-mod=mod -buildvcs=false",
    "GOPROXY": "off",
    "GOTOOLCHAIN": "local",
    "GOWORK": "off",
}

# Seconds one go command may take before it is treated as a failure.
GO_TIMEOUT = 600

_OFFLINE_HINT = (
    "hint: the Go module cache lacks a dependency; run .ci/install-go-deps.sh "
    "(go mod download in golden/ and examples/) with network access first"
)

_FALLBACK_GOROOTS = ("/usr/local/go", "/usr/lib/go")


def _exe(name: str) -> str:
    return name + (".exe" if os.name == "nt" else "")


def find_go() -> str | None:
    """Return the path of the `go` binary, or None when there is none."""
    found = shutil.which("go")
    if found:
        return found
    roots: list[str] = []
    goroot = os.environ.get("GOROOT")
    if goroot:
        roots.append(goroot)
    roots.extend(_FALLBACK_GOROOTS)
    roots.append(str(Path.home() / "go"))
    for root in roots:
        candidate = Path(root) / "bin" / _exe("go")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _goroot(go: str) -> Path | None:
    try:
        proc = subprocess.run(
            [go, "env", "GOROOT"],
            capture_output=True,
            text=True,
            timeout=60,
            env=go_env(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    root = proc.stdout.strip()
    return Path(root) if proc.returncode == 0 and root else None


def find_gofmt(go: str | None = None) -> str | None:
    """Return `gofmt` from the same GOROOT as `go` if possible, else from PATH."""
    go = go or find_go()
    if go:
        root = _goroot(go)
        if root is not None:
            candidate = root / "bin" / _exe("gofmt")
            if candidate.is_file():
                return str(candidate)
    return shutil.which("gofmt")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing(reason: str) -> NoReturn:
    print(reason)
    if _in_ci():
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)")
    pytest.skip(reason)


def require_go() -> str:
    """Return the go binary; skip the test without one (fail under CI)."""
    go = find_go()
    if go is None:
        _missing("Go toolchain not found (no `go` on PATH or in a known GOROOT)")
    return go


def go_env() -> dict[str, str]:
    """The process environment with the offline, local-toolchain go settings."""
    env = dict(os.environ)
    env.update(GO_ENV)
    return env


def _run(args: list[str], cwd: Path) -> tuple[bool, str, str]:
    """Run a go tool; return (ok, stdout, transcript with command, output and status)."""
    shown = " ".join(args)
    try:
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=go_env(),
            capture_output=True,
            text=True,
            timeout=GO_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, "", f"$ {shown}\ntimed out after {GO_TIMEOUT}s\n"
    except OSError as exc:
        return False, "", f"$ {shown}\ncannot run: {exc}\n"
    out = f"$ {shown}\n{proc.stdout}{proc.stderr}"
    if proc.returncode != 0:
        out += f"exit status {proc.returncode}\n"
        if "GOPROXY=off" in out or "missing go.sum entry" in out:
            out += _OFFLINE_HINT + "\n"
    return proc.returncode == 0, proc.stdout, out


def _go_and_gofmt() -> tuple[str, str]:
    go = require_go()
    gofmt = find_gofmt(go)
    if gofmt is None:
        _missing(f"gofmt not found next to {go} or on PATH")
    return go, gofmt


def vet_sources(
    files: dict[str, bytes],
    module_dir: Path,
    vet_flags: dict[str, list[str]] | None = None,
) -> tuple[bool, str]:
    """Check Go sources in a temporary copy of the module at `module_dir`.

    `files` maps a path relative to the module root (e.g. "rows-close/case1/x.go")
    to its contents. Only go.mod and go.sum are copied from `module_dir`. The .go
    files must be gofmt-clean (`gofmt -l` lists none) and `go vet ./...` must pass.
    `vet_flags` maps a package folder prefix (e.g. "in/") to extra `go vet` flags
    for the packages under it (the longest prefix wins), such as
    "-lostcancel=false" for inputs that leak a cancel function on purpose.
    Returns (ok, combined output of the commands).
    """
    go, gofmt = _go_and_gofmt()
    module_dir = Path(module_dir)
    with tempfile.TemporaryDirectory(prefix="leakfix-go-") as tmp:
        root = Path(tmp)
        for name in ("go.mod", "go.sum"):
            src = module_dir / name
            if src.is_file():
                shutil.copyfile(src, root / name)
        if not (root / "go.mod").is_file():
            return False, f"no go.mod in {module_dir}\n"
        helpers = module_dir / "internal"
        if helpers.is_dir():  # packages the cases import (helpers in another package)
            shutil.copytree(helpers, root / "internal")
        go_files: list[str] = []
        for rel, data in sorted(files.items()):
            rel_path = Path(rel)
            if rel_path.is_absolute() or ".." in rel_path.parts:
                return False, f"file path must be relative to the module root: {rel}\n"
            dest = root / rel_path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            if rel_path.suffix == ".go":
                go_files.append(rel_path.as_posix())
        output = ""
        if go_files:
            ok, stdout, out = _run([gofmt, "-l", *go_files], root)
            listed = [line.strip() for line in stdout.splitlines() if line.strip()]
            output += out
            if listed:
                output += "gofmt: these files are not gofmt-clean: " + ", ".join(listed) + "\n"
            if not ok or listed:
                return False, output
        if not vet_flags:
            ok, _, out = _run([go, "vet", "./..."], root)
            return ok, output + out
        return _vet_grouped(go, root, go_files, vet_flags, output)


def _vet_grouped(
    go: str, root: Path, go_files: list[str], vet_flags: dict[str, list[str]], output: str
) -> tuple[bool, str]:
    """`go vet` once per set of flags, each on the package folders that take it."""
    groups: dict[tuple[str, ...], set[str]] = {}
    for rel in go_files:
        folder = Path(rel).parent.as_posix()
        prefixes = [p for p in vet_flags if (folder + "/").startswith(p)]
        flags = tuple(vet_flags[max(prefixes, key=len)]) if prefixes else ()
        groups.setdefault(flags, set()).add("./" + folder)
    all_ok = True
    for flags, folders in sorted(groups.items()):
        ok, _, out = _run([go, "vet", *flags, *sorted(folders)], root)
        all_ok = all_ok and ok
        output += out
    return all_ok, output


def build_module(module_dir: Path) -> tuple[bool, str]:
    """Run `go build ./...` then `go vet ./...` in `module_dir`, offline.

    Executables are written to a temporary directory, never into the tree.
    """
    go = require_go()
    module_dir = Path(module_dir)
    with tempfile.TemporaryDirectory(prefix="leakfix-gobuild-") as tmp:
        ok, _, output = _run([go, "build", "-o", tmp + os.sep, "./..."], module_dir)
    if not ok:
        return False, output
    ok, _, out = _run([go, "vet", "./..."], module_dir)
    return ok, output + out
