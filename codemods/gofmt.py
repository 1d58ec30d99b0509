"""An optional guard: when Go's gofmt is installed, a fix may not leave a file unformatted."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path


@cache
def gofmt_binary() -> str | None:
    found = shutil.which("gofmt")
    if found:
        return found
    go = shutil.which("go")
    if go is None:
        return None
    try:
        # Never from the scanned repository's folder, and never another toolchain: a go.mod
        # there could make `go` download and run the Go version it names.
        root = subprocess.run(
            [go, "env", "GOROOT"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
            cwd=tempfile.gettempdir(),
            env=local_go_env(),
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    candidate = Path(root) / "bin" / "gofmt"
    return str(candidate) if candidate.exists() else None


def local_go_env() -> dict[str, str]:
    """The environment for every go and gofmt command leakfix runs: the local toolchain only,
    no workspace file."""
    return {**os.environ, "GOTOOLCHAIN": "local", "GOWORK": "off"}


def is_formatted(data: bytes) -> bool | None:
    """True when gofmt leaves ``data`` unchanged; None when gofmt is missing or fails."""
    binary = gofmt_binary()
    if binary is None or os.environ.get("LEAKFIX_NO_GOFMT"):
        return None
    try:
        out = subprocess.run(
            [binary],
            input=data,
            capture_output=True,
            timeout=60,
            cwd=tempfile.gettempdir(),
            env=local_go_env(),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout == data
