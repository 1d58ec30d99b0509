"""Each rule's VALID and INVALID examples are tests (Fixit): silent, firing, fixed as shown."""

from __future__ import annotations

import re

import pytest

from codemods.engine import run_sources
from codemods.options import Options
from codemods.rules.base import Invalid, Rule, Valid, all_rules

RULES = all_rules()
VALID = [(r, e) for r in RULES for e in r.VALID]
INVALID = [(r, e) for r in RULES for e in r.INVALID]


def _run(rule: Rule, code: str, fix: bool):  # type: ignore[no-untyped-def]
    return run_sources({"example.go": code.encode()}, Options(unsafe_fixes=True), fix, [rule])[0]


@pytest.mark.parametrize(
    ("rule", "example"), VALID, ids=[f"{r.id}-valid-{i}" for i, (r, _) in enumerate(VALID)]
)
def test_valid_example_is_silent(rule: Rule, example: Valid) -> None:
    result = _run(rule, example.code, fix=False)
    assert result.error is None
    assert result.findings == []


@pytest.mark.parametrize(
    ("rule", "example"), INVALID, ids=[f"{r.id}-invalid-{i}" for i, (r, _) in enumerate(INVALID)]
)
def test_invalid_example_fires_and_fixes(rule: Rule, example: Invalid) -> None:
    checked = _run(rule, example.code, fix=False)
    assert any(re.search(example.message, f.message) for f in checked.findings), checked.findings
    fixed = _run(rule, example.code, fix=True)
    expected = example.code if example.expected is None else example.expected
    assert fixed.fixed.decode() == expected
    if example.expected is not None:
        assert _run(rule, expected, fix=True).fixed.decode() == expected


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_is_documented(rule: Rule) -> None:
    for section in ("What it does", "Why is this bad", "Example", "Use instead", "Fix safety"):
        assert rule.doc_section(section), f"{rule.id}: missing section {section!r}"
    assert rule.VALID and rule.INVALID
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.id)
