"""Check that every ```diff block in README.md is real `leakfix fix --dry-run` output.

Each block must name one file (``--- a/PATH``) and hold whole hunks of what
``leakfix fix --dry-run --unsafe-fixes [--select RULE] PATH`` prints for it today (a block may
leave out some of the file's hunks). RULE is taken from a ``golden/<rule>/`` path. On a
mismatch the real output is printed, ready to paste.

Usage: python .ci/check_readme_diffs.py [README.md]   (from the repository root)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIFF_BLOCK = re.compile(r"^```diff\n(.*?)^```", re.S | re.M)
HUNK_START = re.compile(r"^(?=@@ )", re.M)


def real_diff(path: str) -> str:
    command = [sys.executable, "-m", "codemods.cli", "fix", "--dry-run", "--unsafe-fixes"]
    parts = Path(path).parts
    if len(parts) > 2 and parts[0] == "golden":
        command += ["--select", parts[1]]
    done = subprocess.run([*command, path], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout


def main(argv: list[str]) -> int:
    readme = Path(argv[0]) if argv else ROOT / "README.md"
    blocks = DIFF_BLOCK.findall(readme.read_text(encoding="utf-8"))
    stale = 0
    for block in blocks:
        header = re.match(r"--- a/(\S+)\n\+\+\+ b/\1\n", block)
        if header is None:
            print(f"{readme}: a diff block does not start with ---/+++ lines:\n{block}")
            stale += 1
            continue
        path = header.group(1)
        real = real_diff(path)
        hunks = [hunk for hunk in HUNK_START.split(block[header.end() :]) if hunk]
        real_hunks = HUNK_START.split(real[header.end() :])
        if real.startswith(header.group(0)) and hunks and all(h in real_hunks for h in hunks):
            print(f"ok    {path}")
            continue
        stale += 1
        print(f"STALE {path}: the README's diff is not what leakfix prints now:\n{real}")
    print(f"{len(blocks)} diff blocks checked, {stale} stale")
    return 1 if stale or not blocks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
