"""kill -9 at random moments of `leakfix fix` over a tree of leaking files.

After every kill each file holds its old or its new content, never a mix, a truncation or
nothing; the next run removes the temporary files the killed run left and finishes the job.
Half the kills land while files are being written (the run is watched until its first
temporary file appears), half at any moment.

CI form: 1,000 files, 10 kills. Long form:

    LEAKFIX_KILL_FILES=5000 LEAKFIX_KILL_ROUNDS=50 python -m pytest tests/test_kill.py
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = int(os.environ.get("LEAKFIX_KILL_FILES", "1000"))
ROUNDS = int(os.environ.get("LEAKFIX_KILL_ROUNDS", "10"))
PER_FOLDER = 50
SEED = 7


def leaking_file(package: str, index: int) -> str:
    return f"""package {package}

import (
\t"context"
\t"database/sql"
)

// Count{index} leaks its rows when it returns early.
func Count{index}(ctx context.Context, db *sql.DB) (int, error) {{
\trows, err := db.QueryContext(ctx, "SELECT id FROM t{index}")
\tif err != nil {{
\t\treturn 0, err
\t}}
\tn := 0
\tfor rows.Next() {{
\t\tn++
\t\tif n > {index} {{
\t\t\treturn n, nil
\t\t}}
\t}}
\treturn n, rows.Err()
}}
"""


def make_tree(root: Path, count: int) -> dict[str, bytes]:
    contents = {}
    for index in range(count):
        package = f"p{index // PER_FOLDER:03d}"
        relative = f"{package}/f{index:05d}.go"
        data = leaking_file(package, index).encode()
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        contents[relative] = data
    return contents


def start_fix(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "codemods.cli", "fix", "."],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LEAKFIX_NO_GOFMT": "1"},
    )


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*.tmp") if ".leakfix-" in p.name]


def stray_files(root: Path, known: set[str]) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).as_posix() not in known
    )


def first_write(root: Path, process: subprocess.Popen[bytes], limit: float) -> float | None:
    """Seconds until the run's first temporary file appears (None if it never does)."""
    started = time.monotonic()
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    while process.poll() is None and time.monotonic() - started < limit:
        for folder in folders:
            with os.scandir(folder) as entries:
                if any(".leakfix-" in entry.name for entry in entries):
                    return time.monotonic() - started
        time.sleep(0.001)
    return None


@dataclass
class KillReport:
    files: int
    rounds: int
    kills: int = 0
    kills_during_writes: int = 0
    files_new_after_kills: list[int] = field(default_factory=list)
    torn_files: list[str] = field(default_factory=list)
    temp_files_left_after_next_run: int = 0
    stray_files: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    full_run_seconds: float = 0.0


def kill_test(work: Path, count: int = FILES, rounds: int = ROUNDS, seed: int = SEED) -> KillReport:
    """Run the whole experiment in ``work``; the report says what broke (all lists empty)."""
    rng = random.Random(seed)
    reference = work / "reference"
    old = make_tree(reference, count)
    started = time.monotonic()
    process = start_fix(reference)
    writes_start = first_write(reference, process, limit=900) or 0.0
    assert process.wait(timeout=900) in (0, 1)
    full = time.monotonic() - started
    window = max(full - writes_start, 0.01)  # how long the writing lasts
    new = {name: (reference / name).read_bytes() for name in old}
    assert all(new[name] != old[name] for name in old), "the reference run fixed nothing"
    tree = work / "tree"
    shutil.copytree(reference, tree)
    for name, data in old.items():
        (tree / name).write_bytes(data)
    report = KillReport(count, rounds, full_run_seconds=full)
    for round_number in range(rounds):
        for name, data in old.items():  # every round starts from the leaking tree
            if (tree / name).read_bytes() != data:
                (tree / name).write_bytes(data)
        process = start_fix(tree)
        if round_number % 2 == 0:
            until = first_write(tree, process, limit=full * 3)
            if until is not None:
                report.kills_during_writes += 1
                time.sleep(rng.uniform(0.0, window))
        else:
            time.sleep(rng.uniform(0.05, full * 0.9))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            report.kills += 1
        process.wait(timeout=60)
        fixed = 0
        for name in old:
            data = (tree / name).read_bytes()
            if data == new[name]:
                fixed += 1
            elif data != old[name]:
                report.torn_files.append(f"round {round_number}: {name}")
        report.files_new_after_kills.append(fixed)
    assert start_fix(tree).wait(timeout=900) in (0, 1)
    report.temp_files_left_after_next_run = len(temp_files(tree))
    report.stray_files = stray_files(tree, set(old))
    report.unfinished = [name for name in old if (tree / name).read_bytes() != new[name]]
    return report


def test_kill_9_never_tears_a_file(tmp_path: Path) -> None:
    report = kill_test(tmp_path)
    print(report)
    assert report.torn_files == []
    assert report.temp_files_left_after_next_run == 0
    assert report.stray_files == []
    assert report.unfinished == []
    assert len(report.files_new_after_kills) == ROUNDS
    assert report.kills >= ROUNDS - 1  # a run may finish before its kill; one at most
