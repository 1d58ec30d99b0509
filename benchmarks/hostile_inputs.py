"""Times of `leakfix check` and `leakfix fix` on odd but legal inputs (issue: large and deep).

    python benchmarks/hostile_inputs.py           # prints a Markdown table
    python benchmarks/hostile_inputs.py --json    # the same figures as JSON

Each input is written to a temporary folder and the real command is run on it in a child
process (wall-clock seconds and peak memory from the child's rusage). A figure, not a test:
tests/test_reliability.py checks the same inputs are analysed and fixed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile import big_literal_file, nested_literals_file  # noqa: E402

Setup = Callable[[Path], None]


@dataclass
class Timing:
    input: str
    command: str
    seconds: float
    peak_mib: float
    exit_status: int
    outcome: str


def _file(make: Callable[[], bytes]) -> Setup:
    """Made when needed, so this process stays small (a child's peak memory counts what it
    shares with its parent before exec)."""

    def setup(folder: Path) -> None:
        (folder / "x.go").write_bytes(make())

    return setup


def _fifo(folder: Path) -> None:
    os.mkfifo(folder / "x.go")


def _dev_zero(folder: Path) -> None:
    (folder / "x.go").symlink_to("/dev/zero")


INPUTS: list[tuple[str, Setup, list[str]]] = [
    (
        "2 MB file: one []byte literal (twice: package level and in the leaking function)",
        _file(lambda: big_literal_file(2_000_000)),
        [],
    ),
    ("5,000 nested function literals", _file(lambda: nested_literals_file(5000)), []),
    (
        "20 MB file: one literal (default size limit)",
        _file(lambda: big_literal_file(20_000_000)),
        [],
    ),
    (
        "20 MB file: one literal, --max-file-size 0",
        _file(lambda: big_literal_file(20_000_000)),
        ["--max-file-size", "0"],
    ),
    ("FIFO named x.go", _fifo, []),
    ("x.go -> /dev/zero", _dev_zero, []),
]


def run(command: str, folder: Path, extra: list[str]) -> tuple[float, float, int, str]:
    """Seconds, peak resident MiB (the child's own rusage), exit status, last output line."""
    args = [sys.executable, "-m", "codemods.cli", command, ".", *extra]
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(
            args,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        lines = [line for line in out.read().decode("utf-8", "replace").splitlines() if line]
    return seconds, usage.ru_maxrss / 1024, child.returncode, lines[-1] if lines else ""


def measure() -> list[Timing]:
    timings = []
    for name, setup, extra in INPUTS:
        for command in ("check", "fix"):
            with tempfile.TemporaryDirectory(prefix="leakfix-hostile-") as tmp:
                folder = Path(tmp)
                setup(folder)
                seconds, peak, status, outcome = run(command, folder, extra)
            timings.append(Timing(name, command, round(seconds, 2), round(peak), status, outcome))
    return timings


def markdown(timings: list[Timing]) -> str:
    lines = [
        "| input | command | seconds | peak MiB | exit | last line of output |",
        "|---|---|---|---|---|---|",
    ]
    for t in timings:
        lines.append(
            f"| {t.input} | {t.command} | {t.seconds:.2f} | {t.peak_mib:.0f} | "
            f"{t.exit_status} | {t.outcome} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    timings = measure()
    if parser.parse_args().json:
        print(json.dumps([asdict(t) for t in timings], indent=2))
    else:
        print(markdown(timings), end="")


if __name__ == "__main__":
    main()
