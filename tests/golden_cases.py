"""Golden cases: golden/<rule-id>/<case>.go (+ .go.golden), or golden/seed/ for all rules."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codemods.engine import run_sources, select_rules  # noqa: E402
from codemods.model import FileResult
from codemods.options import Options

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
ALL_RULES_FOLDERS = ("seed", "combined")  # every rule runs on these
WANT = re.compile(r"//\s*want\s+((?:\"(?:[^\"\\]|\\.)*\"\s*)+)")
WANT_ITEM = re.compile(r"\"((?:[^\"\\]|\\.)*)\"")


@dataclass(frozen=True)
class Case:
    rule: str  # a rule id, or "seed" for every rule
    path: Path

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.path.stem}"

    @property
    def golden(self) -> Path:
        return self.path.with_name(self.path.name + ".golden")

    def options(self) -> Options:
        select = () if self.rule in ALL_RULES_FOLDERS else (self.rule,)
        return Options(select=select, unsafe_fixes=True)

    def run(self, data: bytes | None = None, fix: bool = True) -> FileResult:
        source = self.path.read_bytes() if data is None else data
        options = self.options()
        results = run_sources({f"{self.path.stem}.go": source}, options, fix, select_rules(options))
        return results[0]

    def expected_output(self) -> bytes:
        return self.golden.read_bytes() if self.golden.exists() else self.path.read_bytes()


def cases() -> list[Case]:
    found = []
    for folder in sorted(p for p in GOLDEN.iterdir() if p.is_dir() and p.name != "internal"):
        for path in sorted(folder.glob("*.go")):
            found.append(Case(folder.name, path))
    return found


def wants(data: bytes) -> dict[int, list[str]]:
    """1-based line -> regexps of its `// want "..."` comment."""
    out: dict[int, list[str]] = {}
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        match = WANT.search(line)
        if match:
            out[number] = [i.replace('\\"', '"') for i in WANT_ITEM.findall(match.group(1))]
    return out


def _update(paths: list[str]) -> None:
    """`python tests/golden_cases.py golden/rows-close/x.go ...`: (re)write the .golden files
    from the current output, for review with `git diff`. Unchanged cases get no .golden."""
    for raw in paths:
        path = Path(raw).resolve()
        case = Case(path.parent.name, path)
        result = case.run()
        for finding in case.run(fix=False).findings:
            print(f"{raw}:{finding.line}: {finding.rule}: {finding.message}")
        for note in result.messages:
            print(f"{raw}: note: {note}")
        if result.fixed != path.read_bytes():
            case.golden.write_bytes(result.fixed)
            print(f"wrote {case.golden.relative_to(GOLDEN.parent)}")
        elif case.golden.exists():
            case.golden.unlink()
            print(f"removed {case.golden.relative_to(GOLDEN.parent)} (no change)")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(GOLDEN.parent))
    _update(sys.argv[1:])
