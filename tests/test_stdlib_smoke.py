"""Smoke test over a copy of Go's standard library: fixing never breaks a file.

Every rule runs on every package (not only those importing a database API) so that the
analysis meets all of Go's syntax; after `fix`, every file still parses with no new syntax
error and every changed file is gofmt-clean.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
from pathlib import Path

from gotools import require_go

from codemods import engine
from codemods.options import Options
from codemods.source import SourceFile, count_errors


def _goroot_src(go: str) -> Path:
    out = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip()) / "src"


def test_fix_keeps_stdlib_parsable_and_gofmt_clean(tmp_path: Path) -> None:
    go = require_go()
    copy = tmp_path / "src"
    shutil.copytree(_goroot_src(go), copy, ignore=shutil.ignore_patterns("testdata"))
    before = {p: count_errors(SourceFile(str(p), p.read_bytes()).root) for p in copy.rglob("*.go")}

    options = Options(unsafe_fixes=True, analyze_all=True, include_generated=True)
    result = engine.run([str(copy)], options, fix=True)
    written = engine.write_results(result.files)

    per_rule = collections.Counter(f.rule for r in result.files for f in [*r.applied, *r.findings])
    print(f"\nstdlib: {len(result.files)} files, {len(written)} fixed, findings per rule:")
    for rule, count in sorted(per_rule.items()):
        print(f"  {rule}: {count}")
    assert len(result.files) > 3000
    for path in written:
        after = count_errors(SourceFile(path, Path(path).read_bytes()).root)
        assert after <= before[Path(path)], f"{path}: new syntax errors"
    if written:
        gofmt = Path(go).with_name("gofmt")
        listed = subprocess.run(
            [str(gofmt) if gofmt.exists() else "gofmt", "-l", *written],
            capture_output=True,
            text=True,
        )
        assert listed.stdout.strip() == "", f"not gofmt-clean:\n{listed.stdout}{listed.stderr}"
