"""The bundled example: the README's first command shows the seed's fixes, and they compile."""

from __future__ import annotations

import shutil
from pathlib import Path

from gotools import build_module, require_go

from codemods import engine
from codemods.options import Options

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _fix_copy(tmp_path: Path) -> tuple[Path, engine.RunResult]:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    result = engine.run([f"{copy}/..."], Options(unsafe_fixes=True), fix=True)
    engine.write_results(result.files)
    return copy, result


def test_example_gets_every_seed_fix(tmp_path: Path) -> None:
    _, result = _fix_copy(tmp_path)
    applied = {f.rule for r in result.files for f in r.applied}
    assert {"rows-close", "rows-err", "query-context", "query-timeout", "stmt-close"} <= applied
    assert result.findings == []


def test_fixed_example_compiles_and_is_stable(tmp_path: Path) -> None:
    require_go()
    copy, _ = _fix_copy(tmp_path)
    ok, output = build_module(copy)
    assert ok, output
    again = engine.run([str(copy)], Options(unsafe_fixes=True), fix=True)
    assert not any(r.changed for r in again.files)


def test_correct_function_is_untouched(tmp_path: Path) -> None:
    copy, _ = _fix_copy(tmp_path)
    store = (copy / "store.go").read_text()
    original = (EXAMPLES / "store.go").read_text()
    start = original.index("func (s *Store) queryWithTimeout")
    assert original[start:] in store
