"""Golden pairs: findings match the `// want` markers, fixes match .golden, outputs compile."""

from __future__ import annotations

import re

import pytest
from golden_cases import GOLDEN, Case, cases, wants
from gotools import require_go, vet_sources

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_findings_match_want_markers(case: Case) -> None:
    result = case.run(fix=False)
    assert result.error is None, result.error
    expected = wants(case.path.read_bytes())
    found: dict[int, list[str]] = {}
    for finding in result.findings:
        found.setdefault(finding.line, []).append(f"{finding.rule}: {finding.message}")
    for line, patterns in expected.items():
        for pattern in patterns:
            assert any(re.search(pattern, f) for f in found.get(line, [])), (
                f"line {line}: no finding matches {pattern!r}; found {found.get(line)}"
            )
    for line, messages in found.items():
        assert line in expected, f"line {line}: unexpected finding(s) {messages}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fix_matches_golden(case: Case) -> None:
    result = case.run()
    assert result.fixed.decode() == case.expected_output().decode()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_second_fix_changes_nothing(case: Case) -> None:
    expected = case.expected_output()
    assert case.run(expected).fixed == expected


def test_every_rule_has_golden_cases() -> None:
    from codemods.rules.base import all_rules

    by_rule: dict[str, list[Case]] = {}
    for case in CASES:
        by_rule.setdefault(case.rule, []).append(case)
    for rule in all_rules():
        rule_cases = by_rule.get(rule.id, [])
        leaking = [c for c in rule_cases if wants(c.path.read_bytes())]
        correct = [c for c in rule_cases if not wants(c.path.read_bytes())]
        assert len(leaking) >= 3, f"{rule.id}: {len(leaking)} leaking golden cases"
        assert len(correct) >= 3, f"{rule.id}: {len(correct)} correct golden cases"


def test_inputs_and_outputs_compile() -> None:
    """gofmt -l and go vet on every input and every fixed output, each its own package."""
    require_go()
    files: dict[str, bytes] = {}
    # Inputs (and report-only outputs) may leak a cancel function on purpose: vet's lostcancel
    # pass is off for them, and on for every fixed output.
    relaxed = {"in/": ["-lostcancel=false"]}
    for case in CASES:
        stem = f"{case.rule}/{case.path.stem}"
        files[f"in/{stem}/{case.path.name}"] = case.path.read_bytes()
        files[f"out/{stem}/{case.path.name}"] = case.expected_output()
        if not case.golden.exists():
            relaxed[f"out/{stem}/"] = ["-lostcancel=false"]
    ok, output = vet_sources(files, GOLDEN, vet_flags=relaxed)
    assert ok, output
