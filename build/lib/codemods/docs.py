"""Rule documentation rendered from the Rule classes: their docstrings and first examples.

``python -m codemods.docs [README.md] [--check]`` rewrites the rules section of the README
(between the ``rules:start`` / ``rules:end`` markers); ``--check`` only reports whether it is
out of date (exit 1), for CI.
"""

from __future__ import annotations

import difflib
import inspect
import re
import sys
from pathlib import Path

from codemods.options import LeakfixError
from codemods.rules.base import Rule, all_rules

START_MARKER = "<!-- rules:start -->"
END_MARKER = "<!-- rules:end -->"
README = Path(__file__).resolve().parent.parent / "README.md"
SUMMARY_SECTIONS = ("What it does", "Fix safety")


def rule_doc(rule: Rule) -> str:
    """The docstring without its source indentation (so ``## `` headings start lines)."""
    return inspect.cleandoc(rule.doc())


def rule_section(rule: Rule, title: str) -> str:
    """One ``## Title`` section of the docstring, as ``Rule.doc_section`` but dedented first."""
    pattern = rf"^## {re.escape(title)}\??\n(.*?)(?=^## |\Z)"
    match = re.search(pattern, rule_doc(rule), re.S | re.M)
    return match.group(1).strip() if match else ""


def safety_label(rule: Rule) -> str:
    return rule.safety.value if rule.safety else "report only"


def _cell(value: str) -> str:
    """Table cells cannot hold a pipe or a line break."""
    return " ".join(value.split()).replace("|", "\\|") or "—"


def render_rule_table() -> str:
    rows = [
        "| Rule | What it finds | Fix | Safety |",
        "| --- | --- | --- | --- |",
    ]
    for rule in sorted(all_rules(), key=lambda r: r.id):
        cells = (f"`{rule.id}`", rule.summary, rule.fix_summary, safety_label(rule))
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def render_rules_markdown() -> str:
    """The README's rules section: the table, then each rule's purpose and fix safety."""
    parts = [render_rule_table()]
    for rule in sorted(all_rules(), key=lambda r: r.id):
        parts.append(f"### `{rule.id}`\n")
        for title in SUMMARY_SECTIONS:
            text = rule_section(rule, title)
            if text:
                parts.append(f"**{title}.** {text}\n")
        parts.append(f"Details: `leakfix explain {rule.id}`.\n")
    return "\n".join(parts)


def render_explain(rule: Rule) -> str:
    """Everything about one rule: docstring, fix, first valid and invalid examples."""
    parts = [f"# {rule.id}\n", f"{rule.summary}\n"]
    if rule.doc():
        parts.append(rule_doc(rule) + "\n")
    fix = f"{rule.fix_summary} ({safety_label(rule)})" if rule.fix_summary else "report only"
    parts.append(f"Fix: {fix}\n")
    if rule.INVALID:
        parts.append(_go_block("Flagged", rule.INVALID[0].code))
        expected = rule.INVALID[0].expected
        if expected is not None:
            parts.append(_diff_block(rule.INVALID[0].code, expected))
    if rule.VALID:
        parts.append(_go_block("Not flagged", rule.VALID[0].code))
    return "\n".join(parts)


def _go_block(title: str, code: str) -> str:
    return f"## {title}\n\n```go\n{code.strip(chr(10))}\n```\n"


def _diff_block(before: str, after: str) -> str:
    diff = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), "before", "after"
    )
    body = "".join(line if line.endswith("\n") else line + "\n" for line in diff)
    return f"## Fixed\n\n```diff\n{body}```\n"


def replace_section(text: str, section: str) -> str:
    """``text`` with everything between the markers replaced by ``section``."""
    start = text.find(START_MARKER)
    end = text.find(END_MARKER, start + 1)
    if start == -1 or end == -1:
        raise LeakfixError(f"missing {START_MARKER} ... {END_MARKER} markers")
    head = text[: start + len(START_MARKER)]
    return f"{head}\n{section.strip()}\n{text[end:]}"


def update_readme(path: Path = README, *, check: bool = False) -> bool:
    """Rewrite the rules section of ``path`` (unless ``check``); True when it was out of date."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise LeakfixError(f"cannot read {path}: {error.strerror}") from error
    updated = replace_section(text, render_rules_markdown())
    if updated == text:
        return False
    if not check:
        path.write_text(updated, encoding="utf-8")
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [arg for arg in argv if arg != "--check"]
    path = Path(paths[0]) if paths else README
    try:
        stale = update_readme(path, check=check)
    except LeakfixError as error:
        print(f"leakfix: error: {error}", file=sys.stderr)
        return 2
    if stale:
        print(f"{path}: rules section {'is out of date' if check else 'updated'}")
    return 1 if stale and check else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
