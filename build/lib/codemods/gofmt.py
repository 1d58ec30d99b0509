"""An optional guard: when Go's gofmt is installed, a fix may not leave a file unformatted."""

from __future__ import annotations

import os
import shutil
import subprocess
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
        root = subprocess.run(
            [go, "env", "GOROOT"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    candidate = Path(root) / "bin" / "gofmt"
    return str(candidate) if candidate.exists() else None


def is_formatted(data: bytes) -> bool | None:
    """True when gofmt leaves ``data`` unchanged; None when gofmt is missing or fails."""
    binary = gofmt_binary()
    if binary is None or os.environ.get("LEAKFIX_NO_GOFMT"):
        return None
    try:
        out = subprocess.run([binary], input=data, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout == data
