"""Import insertion on every legal import layout, cgo included; results compile."""

from __future__ import annotations

import pytest
from golden_cases import GOLDEN
from gotools import vet_sources

from codemods import gofmt
from codemods.edits import add_imports
from codemods.source import SourceFile, count_errors

BODY = (
    "\n\nfunc use(ctx context.Context, db *sql.DB) error {\n"
    '\t_, err := db.ExecContext(ctx, "SELECT 1")\n'
    "\treturn err\n}\n"
)
CGO_PREAMBLE = "// #include <stdlib.h>\n"
CGO_USE = "\n\nfunc free() { C.free(nil) }"
LAYOUTS: dict[str, str] = {
    "none": "package p",
    "single": 'package p\n\nimport "fmt"\n\nvar _ = fmt.Sprint',
    "single_alias": 'package p\n\nimport f "fmt"\n\nvar _ = f.Sprint',
    "grouped": 'package p\n\nimport (\n\t"fmt"\n\n\t"github.com/lib/pq"\n)\n\nvar _ = fmt.Sprint'
    "\nvar _ = pq.Array",
    "several": 'package p\n\nimport "fmt"\nimport "os"\n\nvar _ = fmt.Sprint\nvar _ = os.Exit',
    "empty_block": "package p\n\nimport ()",
    "empty_block_and_single": 'package p\n\nimport ()\n\nimport "fmt"\n\nvar _ = fmt.Sprint',
    "comments_inside": (
        'package p\n\nimport (\n\t// fmt prints\n\t"fmt" // trailing\n\t/* os */ "os"\n)\n\n'
        "var _ = fmt.Sprint\nvar _ = os.Exit"
    ),
    "specs_sharing_a_line": (
        'package p\n\nimport ("fmt"; "os")\n\nvar _ = fmt.Sprint\nvar _ = os.Exit'
    ),
    "dot_and_blank": 'package p\n\nimport (\n\t. "fmt"\n\t_ "os"\n)\n\nvar _ = Sprint',
    "cgo_alone": f'package p\n\n{CGO_PREAMBLE}import "C"{CGO_USE}',
    "cgo_then_block": (
        f'package p\n\n/*\n#include <stdlib.h>\n*/\nimport "C"\n\nimport (\n\t"fmt"\n)\n\n'
        f"var _ = fmt.Sprint{CGO_USE}"
    ),
    "block_then_cgo": (
        f'package p\n\nimport "fmt"\n\n{CGO_PREAMBLE}import "C"\n\nvar _ = fmt.Sprint{CGO_USE}'
    ),
    "crlf": 'package p\r\n\r\nimport (\r\n\t"fmt"\r\n)\r\n\r\nvar _ = fmt.Sprint',
}


def _with_body(layout: str) -> bytes:
    newline = "\r\n" if "\r\n" in layout else "\n"
    return (layout + BODY.replace("\n", newline)).encode()


def _fixed(name: str) -> bytes:
    return add_imports(SourceFile("p.go", _with_body(LAYOUTS[name])), ["context", "database/sql"])


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_imports_are_added_to_every_layout(name: str) -> None:
    before = _with_body(LAYOUTS[name])
    after = _fixed(name)
    source = SourceFile("p.go", after)
    assert count_errors(source.root) == 0
    text = after.decode()
    assert '"context"' in text and '"database/sql"' in text
    if "cgo" in name:  # the preamble still sits right above its own `import "C"`
        assert '#include <stdlib.h>\n*/\nimport "C"\n' in text or (
            CGO_PREAMBLE + 'import "C"\n' in text
        )
    if gofmt.is_formatted(before):
        assert gofmt.is_formatted(after) is not False, text
    assert add_imports(source, ["context", "database/sql"]) == after  # nothing twice


def test_every_layout_compiles() -> None:
    files = {
        f"imports/{name}/p.go": _fixed(name).replace(b"\r\n", b"\n") for name in sorted(LAYOUTS)
    }
    ok, output = vet_sources(files, GOLDEN)
    assert ok, output
