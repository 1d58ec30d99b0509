"""Odd but legal Go files that once made leakfix slow: one huge literal, deep nesting.

Shared by tests/test_reliability.py and benchmarks/reliability.py.
"""

from __future__ import annotations


def big_literal_file(size: int) -> bytes:
    """One big `[]byte` table and one leak, the table inside the leaking function too."""
    count = size // 12
    table = ", ".join(f"0x{i % 256:02x}" for i in range(count))
    return (
        'package big\n\nimport (\n\t"context"\n\t"database/sql"\n)\n\n'
        f"var blob = []byte{{{table}}}\n\n"
        "func count(ctx context.Context, db *sql.DB) (int, error) {\n"
        f"\tlocal := []byte{{{table}}}\n"
        '\trows, err := db.QueryContext(ctx, "SELECT 1")\n'
        "\tif err != nil {\n\t\treturn 0, err\n\t}\n"
        "\tn := 0\n\tfor rows.Next() {\n\t\tn++\n"
        "\t\tif n > len(blob)+len(local) {\n\t\t\treturn n, nil\n\t\t}\n\t}\n"
        "\treturn n, rows.Err()\n}\n"
    ).encode()


def nested_literals_file(depth: int) -> bytes:
    """A leak whose rows are read at the bottom of ``depth`` nested function literals."""
    opening = "".join("\tfunc() {\n" for _ in range(depth))  # one tab: gofmt's would be 25 MB
    closing = "".join("\t}()\n" for _ in range(depth))
    return (
        'package deep\n\nimport (\n\t"context"\n\t"database/sql"\n)\n\n'
        "func count(ctx context.Context, db *sql.DB) error {\n"
        '\trows, err := db.QueryContext(ctx, "SELECT 1")\n'
        "\tif err != nil {\n\t\treturn err\n\t}\n"
        f"{opening}\t_ = rows.Next()\n{closing}"
        "\treturn nil\n}\n"
    ).encode()
