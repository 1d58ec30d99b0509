"""Rule documentation rendered from the Rule classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods import docs
from codemods.options import LeakfixError
from codemods.rules.base import Rule, all_rules

README = """# leakfix

intro

<!-- rules:start -->
old table
<!-- rules:end -->

outro
"""


def test_table_lists_every_rule() -> None:
    table = docs.render_rule_table()
    assert table.startswith("| Rule | What it finds | Fix | Safety |\n")
    for rule in all_rules():
        assert f"| `{rule.id}` |" in table


def test_replace_section_keeps_the_rest() -> None:
    updated = docs.replace_section(README, "new table\n")
    assert updated == README.replace("old table", "new table")


def test_replace_section_needs_markers() -> None:
    with pytest.raises(LeakfixError, match="markers"):
        docs.replace_section("# no markers\n", "x")


def test_update_readme_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(README)
    assert docs.update_readme(path, check=True)
    assert path.read_text() == README  # --check writes nothing
    assert docs.update_readme(path)
    assert docs.render_rule_table().strip() in path.read_text()
    assert not docs.update_readme(path)
    assert docs.main([str(path), "--check"]) == 0


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.id)
def test_explain(rule: Rule) -> None:
    text = docs.render_explain(rule)
    assert text.startswith(f"# {rule.id}\n")
    if rule.INVALID:
        assert "```go" in text
    if rule.INVALID and rule.INVALID[0].expected is not None:
        assert "```diff" in text
