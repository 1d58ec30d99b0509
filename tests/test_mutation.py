"""Mutation tests: leakfix on golden inputs broken by random token deletions and duplications.

Every golden input (golden/*/*.go) gets a few mutants: one or two of its tokens (tree-sitter
leaf nodes) deleted or duplicated, chosen by a `random.Random` seeded with the file's path,
so the mutants are the same on every run. For each mutant leakfix, with every rule and
unsafe fixes, must

- never raise (the engine through `run_sources`, check and fix),
- never leave output that parses worse than its input (ERROR/MISSING nodes: fixed <= input),
- when the input has syntax errors, change only top-level declarations without errors: each
  declaration holding an ERROR or MISSING node is still in the output byte for byte,
- and the CLI (`check`, `check --format json`, `fix --dry-run` on the mutants written to a
  temporary folder, one process each) must never print a Python traceback or exit with a
  status other than 0, 1 (findings, or a file that does not parse).

The CI form makes 3 mutants per golden input (about 380) and takes about 15 s. The long form:

    LEAKFIX_MUTANTS=40 python -m pytest tests/test_mutation.py

LEAKFIX_MUTATION_SEED=N draws other mutants; LEAKFIX_MUTATION_DUMP=DIR writes every failing
mutant to DIR.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
from golden_cases import GOLDEN, Case, cases
from tree_sitter import Node

from codemods.engine import run_sources, select_rules
from codemods.options import Options
from codemods.source import SourceFile, count_errors, walk

ROOT = GOLDEN.parent
MUTANTS = int(os.environ.get("LEAKFIX_MUTANTS", "3"))
SEED = os.environ.get("LEAKFIX_MUTATION_SEED", "0")
DUMP = os.environ.get("LEAKFIX_MUTATION_DUMP", "")
OPTIONS = Options(unsafe_fixes=True)
RULES = select_rules(OPTIONS)
CASES = cases()
CLI_EVERY = 2  # the CLI runs on mutant 0 of every CLI_EVERY-th golden input


@dataclass(frozen=True)
class Mutant:
    case: Case
    index: int
    data: bytes
    how: str  # "delete `)` at 12:5; duplicate `rows` at 14:2"

    @property
    def id(self) -> str:
        return f"{self.case.id}#{self.index}"


def tokens(data: bytes) -> list[Node]:
    """The tree's leaves that have text (tokens, comments, string contents)."""
    root = SourceFile("", data).root
    return [n for n in walk(root) if n.child_count == 0 and n.end_byte > n.start_byte]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Delete or duplicate one or two tokens; the later one is changed first."""
    leaves = tokens(data)
    chosen = sorted(rng.sample(leaves, min(len(leaves), rng.choice((1, 1, 2)))), key=_start)
    hows = []
    for node in reversed(chosen):
        text = data[node.start_byte : node.end_byte]
        where = f"{node.start_point[0] + 1}:{node.start_point[1] + 1}"
        shown = text.decode(errors="replace")[:30]
        if rng.random() < 0.5:
            data = data[: node.start_byte] + data[node.end_byte :]
            hows.append(f"delete `{shown}` at {where}")
        else:
            data = data[: node.end_byte] + b" " + text + data[node.end_byte :]
            hows.append(f"duplicate `{shown}` at {where}")
    return data, "; ".join(reversed(hows))


def _start(node: Node) -> int:
    return node.start_byte


def mutants(case: Case) -> list[Mutant]:
    data = case.path.read_bytes()
    out = []
    for index in range(MUTANTS):
        rng = random.Random(f"{SEED}:{case.id}:{index}")
        mutated, how = mutate(data, rng)
        out.append(Mutant(case, index, mutated, how))
    return out


def broken_declarations(data: bytes) -> list[bytes]:
    """The text of each top-level declaration (or top-level ERROR) holding a syntax error."""
    root = SourceFile("", data).root
    if root.type == "ERROR":
        return [data]
    spans: set[tuple[int, int]] = set()
    for node in walk(root):
        if node.type != "ERROR" and not node.is_missing:
            continue
        top = node
        while top.parent is not None and top.parent != root:
            top = top.parent
        if top == root:
            return [data]
        spans.add((top.start_byte, top.end_byte))
    return [data[start:end] for start, end in sorted(spans) if end > start]


def problems_of(mutant: Mutant) -> list[str]:
    found = []
    try:
        checked = run_sources({"x.go": mutant.data}, OPTIONS, False, RULES)[0]
        result = run_sources({"x.go": mutant.data}, OPTIONS, True, RULES)[0]
    except Exception:
        return [f"the engine raised:\n{traceback.format_exc()}"]
    del checked
    before = count_errors(SourceFile("", mutant.data).root)
    after = count_errors(SourceFile("", result.fixed).root)
    if after > before:
        found.append(f"the output parses worse: {after} ERROR/MISSING nodes, input {before}")
    if result.error and result.fixed != mutant.data:
        found.append(f"the file is reported as not fixed ({result.error}) but it changed")
    for text in broken_declarations(mutant.data) if before else []:
        if result.fixed.count(text) < mutant.data.count(text):
            first = text.decode(errors="replace").splitlines()[0][:80]
            found.append(f"a declaration with a syntax error was edited: {first}")
    if found:
        found.append(diff(mutant.data, result.fixed))
    return found


def diff(a: bytes, b: bytes) -> str:
    import difflib

    return "".join(
        difflib.unified_diff(
            a.decode(errors="replace").splitlines(keepends=True),
            b.decode(errors="replace").splitlines(keepends=True),
            "mutant",
            "fixed",
        )
    )


def describe(mutant: Mutant, problems: list[str]) -> str:
    if DUMP:
        Path(DUMP).mkdir(parents=True, exist_ok=True)
        name = mutant.id.replace("/", "__").replace("#", "_") + ".go"
        (Path(DUMP) / name).write_bytes(mutant.data)
    return "\n".join(
        [
            f"===== {mutant.id}: {mutant.how} =====",
            mutant.data.decode(errors="replace"),
            f"===== {mutant.id}: what went wrong =====",
            *problems,
        ]
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_engine_survives_mutants(case: Case) -> None:
    failures = []
    for mutant in mutants(case):
        problems = problems_of(mutant)
        if problems:
            failures.append(describe(mutant, problems))
    assert not failures, "\n\n".join(failures)


def test_mutants_change_the_files() -> None:
    """The mutator does mutate, and many mutants do not parse (the point of the exercise)."""
    all_mutants = [m for c in CASES for m in mutants(c)]
    assert all(m.data != m.case.path.read_bytes() for m in all_mutants)
    broken = sum(1 for m in all_mutants if SourceFile("", m.data).root.has_error)
    assert broken >= len(all_mutants) // 3, f"only {broken} of {len(all_mutants)} do not parse"


# -- the CLI --------------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "codemods.cli", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def cli_problem(done: subprocess.CompletedProcess[str]) -> str:
    output = done.stdout + done.stderr
    if "Traceback (most recent call last)" in output or done.returncode not in (0, 1):
        return f"exit status {done.returncode}\n{done.stderr[-4000:]}"
    return ""


COMMANDS = (
    ("check", "--unsafe-fixes"),
    ("check", "--format", "json", "--unsafe-fixes"),
    ("fix", "--dry-run", "--unsafe-fixes"),
)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_cli_survives_mutants(command: tuple[str, ...], tmp_path: Path) -> None:
    """One process over a folder of mutants (each in its own package folder); when it fails,
    each mutant again on its own, to name the culprit."""
    chosen = [m for c in CASES[::CLI_EVERY] for m in mutants(c)[:1]]
    paths = {}
    for n, mutant in enumerate(chosen):
        path = tmp_path / f"m{n:03d}" / mutant.case.path.name
        path.parent.mkdir()
        path.write_bytes(mutant.data)
        paths[mutant.id] = (mutant, path)
    problem = cli_problem(cli(*command, str(tmp_path)))
    if not problem:
        return
    failures = []
    for mutant, path in paths.values():
        alone = cli_problem(cli(*command, str(path)))
        if alone:
            failures.append(describe(mutant, [f"leakfix {' '.join(command)} FILE: {alone}"]))
    assert failures, f"leakfix {' '.join(command)} on the folder failed:\n{problem}"
    assert not failures, "\n\n".join(failures)
