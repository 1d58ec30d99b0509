"""The control-flow question every resource rule asks: released on every path, and where not?"""

from __future__ import annotations

import pytest
from tree_sitter import Node

from codemods.rules._flow import after_failed_read
from codemods.rules._paths import Graph, graph_of
from codemods.source import SourceFile, parse, text, walk

HEADER = "package x\n\n"


def _leak(body: str, name: str = "rows", pgx: bool = False) -> str | None:
    """Where ``name`` (bound by the first `name, err := ...`, checked by the next `if`) leaks:
    "return 12", "end 20", "again 5", or None when it is released on every path."""
    data = (HEADER + body).encode()
    source = SourceFile("x.go", data)
    tree = parse(data)
    func = next(n for n in walk(tree.root_node) if n.type == "function_declaration")
    graph = graph_of(func)
    assert graph is not None
    binding = next(
        n
        for n in walk(func)
        if n.type == "short_var_declaration" and text(n).startswith(f"{name}, err :=")
    )
    check = binding.next_named_sibling
    assert check is not None and check.type == "if_statement"
    releases = [
        n
        for n in walk(func)
        if n.type == "call_expression"
        and text(n.child_by_field_name("function")) in (f"{name}.Close", "closeRows")
        and n.start_byte > check.end_byte
    ]
    exit_ = graph.first_leak(
        check,
        graph.releasing_nodes(releases),
        after_check=True,
        loop_releases=lambda loop: _loops_over(loop, name),
        exit_ok=(lambda node: after_failed_read(node, name)) if pgx else None,
        name=name,
    )
    if exit_ is None:
        return None
    return f"{exit_.kind} {source.position(exit_._offset())[0]}"


def _loops_over(loop: Node, name: str) -> bool:
    return any(text(c) == f"{name}.Next()" for c in loop.named_children)


CASES = {
    "explicit close on every path": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := rows.Scan(); err != nil {
			_ = rows.Close()
			return err
		}
	}
	rows.Close()
	return rows.Err()
}
""",
        None,
    ),
    "early return leaks": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := rows.Scan(); err != nil {
			return err
		}
	}
	rows.Close()
	return nil
}
""",
        "return 10",
    ),
    "read to the end, break leaks": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
	for rows.Next() {
		if done() {
			break
		}
	}
	return nil
}
""",
        "return 13",
    ),
    "read to the end": (
        """func f() {
	rows, err := q()
	if err != nil {
		return
	}
	for rows.Next() {
		use(rows)
	}
}
""",
        None,
    ),
    "falls off the end": (
        """func f() {
	rows, err := q()
	if err != nil {
		return
	}
	use(rows)
}
""",
        "end 9",
    ),
    "defer after an early return": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
	if bad() {
		return nil
	}
	defer rows.Close()
	return nil
}
""",
        "return 9",
    ),
    "deferred closure": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := rows.Close(); cerr != nil {
			log(cerr)
		}
	}()
	return nil
}
""",
        None,
    ),
    "stored closure is no release": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
	cleanup := func() { rows.Close() }
	_ = cleanup
	return nil
}
""",
        "return 10",
    ),
    "both branches close": (
        """func f(x bool) error {
	rows, err := q()
	if err != nil {
		return err
	}
	if x {
		rows.Close()
	} else {
		closeRows(rows)
	}
	return nil
}
""",
        None,
    ),
    "switch without default leaks": (
        """func f(x int) error {
	rows, err := q()
	if err != nil {
		return err
	}
	switch x {
	case 1:
		rows.Close()
	case 2:
		rows.Close()
	}
	return nil
}
""",
        "return 14",
    ),
    "switch with default and fallthrough": (
        """func f(x int) error {
	rows, err := q()
	if err != nil {
		return err
	}
	switch x {
	case 1:
		prepare()
		fallthrough
	case 2:
		rows.Close()
	default:
		rows.Close()
	}
	return nil
}
""",
        None,
    ),
    "log.Fatal needs no release": (
        """func f() {
	rows, err := q()
	if err != nil {
		log.Fatal(err)
	}
	if bad() {
		log.Fatalf("bad")
	}
	rows.Close()
}
""",
        None,
    ),
    "panic leaks": (
        """func f() {
	rows, err := q()
	if err != nil {
		return
	}
	if bad() {
		panic("bad")
	}
	rows.Close()
}
""",
        "panic 9",
    ),
    "guarded by a nil check": (
        """func f() {
	rows, err := q()
	if err != nil {
		return
	}
	if rows != nil {
		rows.Close()
	}
}
""",
        None,
    ),
    "query in a loop, closed each iteration": (
        """func f(ids []int) error {
	for _, id := range ids {
		rows, err := q(id)
		if err != nil {
			return err
		}
		if skip(id) {
			rows.Close()
			continue
		}
		use(rows)
		rows.Close()
	}
	return nil
}
""",
        None,
    ),
    "query in a loop, not closed before the next iteration": (
        """func f(ids []int) error {
	for _, id := range ids {
		rows, err := q(id)
		if err != nil {
			return err
		}
		if skip(id) {
			continue
		}
		rows.Close()
	}
	return nil
}
""",
        "again 6",
    ),
    "labelled break out of two loops": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
outer:
	for {
		for rows.Next() {
			if stop() {
				break outer
			}
		}
		break
	}
	rows.Close()
	return nil
}
""",
        None,
    ),
    "goto past the close": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
	if bad() {
		goto out
	}
	rows.Close()
out:
	return nil
}
""",
        "return 13",
    ),
    "pgx: a failed Scan closes the rows": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := rows.Scan(); err != nil {
			return err
		}
	}
	return nil
}
""",
        None,
    ),
    "close in an if initializer": (
        """func f() error {
	rows, err := q()
	if err != nil {
		return err
	}
	if err := rows.Close(); err != nil {
		return err
	}
	return nil
}
""",
        None,
    ),
    "select waits for a case": (
        """func f(ch chan int, done chan struct{}) error {
	rows, err := q()
	if err != nil {
		return err
	}
	select {
	case <-ch:
		rows.Close()
	case <-done:
		return nil
	}
	return nil
}
""",
        "return 12",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_first_leak(name: str) -> None:
    body, expected = CASES[name]
    assert _leak(body, pgx=name.startswith("pgx")) == expected


def test_a_graph_has_one_node_per_statement() -> None:
    body = "func f() {\n\ta()\n\tif x {\n\t\tb()\n\t}\n\tfor {\n\t\tbreak\n\t}\n}\n"
    data = (HEADER + body).encode()
    func = next(n for n in walk(parse(data).root_node) if n.type == "function_declaration")
    graph = Graph(func.child_by_field_name("body"))  # type: ignore[arg-type]
    kinds = sorted(node.kind for node in graph.nodes)
    assert kinds == ["branch", "end", "loop", "stmt", "stmt", "stmt"]
