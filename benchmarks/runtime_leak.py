"""Runtime leak benchmark: the example service under load, before and after `leakfix fix`.

Runs the scenario of tests/test_runtime.py (tests/runtime_scenario.py) on a throwaway
PostgreSQL cluster, and also on CockroachDB when a `cockroach` binary is on PATH
(`cockroach start-single-node --insecure` on loopback). Prints a before/after table per
database and writes, next to this script:

- runtime_leak.md   the table from the run, with the settings and the machine it ran on;
- runtime_leak.png  in-use connections and heap over requests, before vs after, per endpoint.

    pip install -e '.[bench]'                 # matplotlib
    .ci/install-postgres.sh                   # PostgreSQL server binaries
    python benchmarks/runtime_leak.py         # ~2 minutes
    python benchmarks/runtime_leak.py --no-per-rule   # skip the builds with one rule alone
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the scenario and cluster helpers live beside the test

from gotools import find_go, go_env  # noqa: E402
from pgcluster import PgCluster, PgError, find_pg_bindir, free_port  # noqa: E402
from runtime_scenario import (  # noqa: E402
    BEFORE_AFTER,
    BURST,
    DATABASE,
    ENDPOINTS,
    MAX_OPEN_CONNS,
    RATE,
    REQUESTS,
    TIMEOUT,
    WORKERS,
    Database,
    RunResult,
    build_variants,
    handler_rules,
    leakfix,
    listed_rules,
    only,
    only_variants,
    run_endpoint,
)

HERE = Path(__file__).resolve().parent
COLORS = {"before": "#c0392b", "after": "#27ae60"}
# Also fires on /leak/rows and /leak/tx: its fix alone is measured beside the endpoint's rule.
CONTEXT_RULE = "query-context"


# CockroachDB ----------------------------------------------------------------------------------


class CockroachNode:
    """`cockroach start-single-node --insecure` on loopback, in a temporary store."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = 0
        self.root: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> CockroachNode:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, ready_within: float = 90.0) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="leakfix-crdb-"))
        self.port = free_port()
        args = [
            self.binary,
            "start-single-node",
            "--insecure",
            f"--listen-addr=127.0.0.1:{self.port}",
            f"--http-addr=127.0.0.1:{free_port()}",
            f"--store=path={self.root / 'store'}",
            f"--log-dir={self.root / 'logs'}",
        ]
        with (self.root / "stderr.log").open("wb") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + ready_within
        while True:
            try:
                self.query("SELECT 1")
                return
            except PgError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def url(self, database: str = "defaultdb", **params: str) -> str:
        query = "&".join(
            f"{key}={value}" for key, value in {"sslmode": "disable", **params}.items()
        )
        return f"postgres://root@127.0.0.1:{self.port}/{database}?{query}"

    def query(self, sql: str, database: str = "defaultdb") -> list[list[str]]:
        args = [self.binary, "sql", "--insecure", f"--host=127.0.0.1:{self.port}"]
        args += [f"--database={database}", "--format=tsv", "-e", sql]
        try:
            proc = subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PgError(f"cockroach sql: {exc}") from exc
        if proc.returncode != 0:
            raise PgError(f"cockroach sql -e {sql!r}: {proc.stderr.strip()}")
        lines = [line for line in proc.stdout.splitlines() if line and not line.startswith("#")]
        return [line.split("\t") for line in lines[1:]]  # the first line is the header

    def create_database(self, name: str) -> None:
        self.query(f"CREATE DATABASE IF NOT EXISTS {name}")

    def sessions(self, application_name: str, database: str) -> tuple[int, int]:
        """Open sessions of the application, and of them how many sit idle in a transaction."""
        base = (
            "SELECT count(*), count(*) FILTER (WHERE kv_txn IS NOT NULL AND active_queries = '')"
            f" FROM crdb_internal.cluster_sessions WHERE application_name = '{application_name}'"
        )
        for sql in (base + " AND status <> 'CLOSED'", base):  # `status`: newer versions only
            with contextlib.suppress(PgError, IndexError, ValueError):
                rows = self.query(sql, database)
                return int(rows[0][0]), int(rows[0][1])
        return -1, -1


# running --------------------------------------------------------------------------------------


def run_database(
    db: Database,
    binaries: dict[str, Path],
    fired: dict[str, set[str]],
    args: argparse.Namespace,
    logs: Path,
    label: str,
) -> list[RunResult]:
    """Every endpoint on before and after, and on the one-rule builds of rules that fire in it."""
    results = []
    for endpoint in ENDPOINTS:
        for variant, binary in binaries.items():
            if variant.startswith("only ") and variant.removeprefix("only ") not in fired.get(
                endpoint.name, ()
            ):
                continue
            started = time.monotonic()
            result = run_endpoint(
                db,
                binary,
                variant,
                endpoint,
                logs,
                requests=args.requests,
                rate=args.rate,
                timeout=args.timeout,
                max_open=args.max_open,
                tag=f"{label}-",
            )
            result.extra["seconds"] = time.monotonic() - started
            print(f"[{label}] {result.summary()}  ({result.extra['seconds']:.0f}s)", flush=True)
            results.append(result)
    return results


# reporting ------------------------------------------------------------------------------------

HEADER = [
    "endpoint (rule)",
    "build",
    "ok",
    "failed",
    "p50",
    "p99",
    "peak in use",
    "in use after",
    "idle in tx",
    "prepared stmts (Δ 2nd half)",
    "heap in use",
    "goroutines",
]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def _prepared(result: RunResult) -> str:
    end = result.end
    if end.prepared_sessions_open < 0:
        return "n/a"
    if not end.prepared_complete:
        return f"n/a ({end.prepared_sessions_open - end.prepared_sessions_visited} sessions pinned)"
    growth = result.prepared_growth
    return f"{end.prepared:,} ({growth:+,})" if growth is not None else f"{end.prepared:,}"


def rows(results: list[RunResult]) -> list[list[str]]:
    table = []
    for r in results:
        table.append(
            [
                f"/leak/{r.endpoint.name} ({r.endpoint.rule})",
                r.variant,
                f"{r.ok:,}",
                f"{r.failed:,}",
                _ms(r.latency(0.5)),
                _ms(r.latency(0.99)),
                f"{r.peak_in_use}/{r.max_open}",
                str(r.end.vars.in_use),
                str(r.end.idle_in_transaction),
                _prepared(r),
                f"{r.end.vars.heap_inuse / 2**20:.1f} MiB",
                f"{r.end.vars.goroutines:,}",
            ]
        )
    return table


def text_table(table: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [HEADER, *table]) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(HEADER, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in table
    ]
    return "\n".join(lines)


def markdown_table(table: list[list[str]]) -> str:
    right = set(range(2, len(HEADER)))
    lines = ["| " + " | ".join(HEADER) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(HEADER))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in table]
    return "\n".join(lines)


def failure_notes(results: list[RunResult]) -> list[str]:
    notes = []
    for r in results:
        if r.failures:
            reasons = ", ".join(f"{n:,} × {reason}" for reason, n in r.failures.most_common())
            notes.append(f"- /leak/{r.endpoint.name}, {r.variant}: {reasons}")
    return notes


def plot(sections: dict[str, list[RunResult]], path: Path, max_open: int) -> None:
    """In-use connections, heap and failed requests over requests, before vs after."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    label, results = next(iter(sections.items()))  # the first database: PostgreSQL
    metrics = [
        ("DB connections in use", lambda s: s.in_use),
        ("Go heap in use (MiB)", lambda s: s.heap_inuse / 2**20),
        ("failed requests", lambda s: s.failed),
    ]
    figure, axes = plt.subplots(
        len(metrics), len(ENDPOINTS), figsize=(4.2 * len(ENDPOINTS), 8.4), sharex=True
    )
    for column, endpoint in enumerate(ENDPOINTS):
        for row, (ylabel, value) in enumerate(metrics):
            axis = axes[row][column]
            for r in results:
                if r.endpoint is endpoint and r.variant in COLORS:
                    axis.plot(
                        [s.completed for s in r.samples],
                        [value(s) for s in r.samples],
                        color=COLORS[r.variant],
                        label=r.variant,
                        lw=1.4,
                    )
            if row == 0:
                axis.axhline(max_open, color="grey", ls=":", lw=1)
                axis.set_ylim(-0.5, max_open + 1.5)
                axis.set_title(f"/leak/{endpoint.name} ({endpoint.rule})", fontsize=10)
            else:
                axis.set_ylim(bottom=0)
            if row == len(metrics) - 1:
                axis.set_xlabel("requests answered or failed")
            if column == 0:
                axis.set_ylabel(ylabel)
            axis.grid(alpha=0.3)
            axis.tick_params(labelsize=8)
    axes[0][0].legend(loc="center right", fontsize=8)
    figure.suptitle(
        f"usersvc under load before and after `leakfix fix` (MaxOpenConns {max_open}, {label})",
        fontsize=11,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _version(args: list[str], pattern: str) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(args, capture_output=True, text=True, timeout=30, env=go_env()).stdout
        found = re.search(pattern, out)
        if found:
            return found.group(0)
    return "unknown"


def findings_in_leaks_go() -> list[str]:
    """`leakfix check examples/` lines about examples/leaks.go (the runtime-visible leaks)."""
    proc = leakfix("check", "examples")
    return [line for line in proc.stdout.splitlines() if line.startswith("examples/leaks.go")]


def markdown(
    sections: dict[str, list[RunResult]], args: argparse.Namespace, fix_output: str
) -> str:
    go = find_go() or "go"
    commit = _version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], r"\w+")
    dirty = _version(["git", "-C", str(ROOT), "status", "--porcelain"], r"\S+") != "unknown"
    if dirty:
        commit += " with uncommitted changes"
    go_version = _version([go, "version"], r"go[\d.]+")
    out = [
        "# Runtime leak benchmark",
        "",
        "Generated by `python benchmarks/runtime_leak.py`"
        f" on {datetime.date.today().isoformat()} (leakfix at commit {commit}).",
        f"Machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()},"
        f" {go_version}, Python {platform.python_version()};"
        f" load average {args.load_average:.1f} when the run started (latencies depend on"
        " the machine's load, the outcomes do not).",
        "",
        "The example service (examples/, Echo v4 + database/sql + pgx stdlib,"
        f" `DB_MAX_OPEN_CONNS={args.max_open}`) is built as it is (**before**) and after"
        " `leakfix fix --unsafe-fixes` (**after**), then started afresh for each leaky endpoint"
        f" and sent {args.requests:,} requests: {args.max_open + 2} one at a time, the rest in"
        f" bursts of {BURST} at {args.rate:,.0f} requests/s from up to {WORKERS} threads, each"
        f" failing when no answer comes within {args.timeout:g} s.",
        "",
        "- **ok / failed**: a request is ok when its answer is correct: for /leak/rowserr, a"
        " complete list or an error status (half of the calls ask for a range that fails on the"
        " server after 49 rows); for /leak/tx, 201 for a new name and 409 for a taken one.",
        "- **p50 / p99**: latency of all requests, a failed one counted when it failed.",
        "- **peak in use / in use after**: `db.Stats().InUse` from /debug/vars, the highest"
        " sample during the load and the value once the load is over (after up to 2 s).",
        "- **idle in tx**: the service's sessions in `pg_stat_activity` left idle in a"
        " transaction.",
        "- **prepared stmts**: server-side prepared statements over the service's sessions"
        " after the load (and how many the second half of the load added), read from"
        " `pg_prepared_statements` in each idle pooled session by GET /debug/prepared (the view"
        " only shows the reading session's statements). Sessions pinned by a leak cannot be"
        " read.",
        "- **heap in use**: `runtime.MemStats.HeapInuse` after the load.",
        "",
    ]
    for label, results in sections.items():
        main = [r for r in results if r.variant in BEFORE_AFTER]
        alone = [r for r in results if r.variant not in BEFORE_AFTER]
        out += [f"## {label}", "", markdown_table(rows(main)), ""]
        notes = failure_notes(main)
        if notes:
            out += ["Failures:", "", *notes, ""]
        if alone:
            out += [
                "Builds fixed by one rule alone (`leakfix fix --select RULE`), for each rule"
                " that fires in the endpoint's handler. On /leak/rows and /leak/tx query-context"
                " fires too: it moves the calls onto the request's context, and database/sql"
                " closes rows and rolls back a transaction once that context is done. For rows"
                " that is enough; a transaction's rollback then runs on the cancelled context,"
                " which makes pgx close the connection, so the pool reconnects after every"
                " early return. The endpoint's own rule releases the connection on return.",
                "",
                markdown_table(rows(alone)),
                "",
            ]
            notes = failure_notes(alone)
            if notes:
                out += ["Failures:", "", *notes, ""]
    out += [
        "![In-use connections, heap and failed requests over requests, before and after]"
        "(runtime_leak.png)",
        "",
        "## What leaks, and the fix",
        "",
    ]
    for endpoint in ENDPOINTS:
        out.append(
            f"- `/leak/{endpoint.name}` (`{endpoint.handler}`, {endpoint.rule}): {endpoint.leak}."
        )
    out += [
        "",
        "`leakfix check examples` on examples/leaks.go:",
        "",
        "```",
        *findings_in_leaks_go(),
        "```",
        "",
        f"`leakfix fix --unsafe-fixes` on a copy of examples/: {fix_output.strip()}",
        "",
    ]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=REQUESTS, help="per endpoint and build")
    parser.add_argument("--rate", type=float, default=RATE, help="requests per second")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per request")
    parser.add_argument("--max-open", type=int, default=MAX_OPEN_CONNS, help="DB_MAX_OPEN_CONNS")
    parser.add_argument(
        "--no-per-rule",
        dest="per_rule",
        action="store_false",
        help="skip the builds fixed by each endpoint's own rule alone",
    )
    parser.add_argument("--out-dir", type=Path, default=HERE, help="for the .md and .png")
    args = parser.parse_args()
    args.load_average = os.getloadavg()[0]

    bindir = find_pg_bindir()
    if bindir is None:
        print("error: PostgreSQL not found; run .ci/install-postgres.sh", file=sys.stderr)
        return 2
    if find_go() is None:
        print("error: the Go toolchain (`go`) is not on PATH", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="leakfix-bench-") as tmp:
        work = Path(tmp)
        builds = dict(BEFORE_AFTER)
        fired = handler_rules()
        if args.per_rule:
            builds.update(only_variants(listed_rules()))
            if any(CONTEXT_RULE in rules for rules in fired.values()):
                builds[only(CONTEXT_RULE)] = ["--select", CONTEXT_RULE]
        variants = build_variants(work, builds)
        fix_output = variants.fix_output.get("after", "")
        logs = work / "logs"
        logs.mkdir()
        sections: dict[str, list[RunResult]] = {}
        with PgCluster(bindir) as pg:
            pg.create_database(DATABASE)
            version = pg.query("SHOW server_version")[0][0].split()[0]
            label = f"PostgreSQL {version}"
            sections[label] = run_database(pg, variants.binaries, fired, args, logs, "pg")
        cockroach = shutil.which("cockroach")
        if cockroach:
            with CockroachNode(cockroach) as crdb:
                crdb.create_database(DATABASE)
                version = crdb.query("SELECT version()")[0][0]
                found = re.search(r"v\d+\.\d+\.\d+", version)
                label = f"CockroachDB {found.group(0) if found else ''}".strip()
                sections[label] = run_database(crdb, variants.binaries, fired, args, logs, "crdb")
        else:
            print("(no `cockroach` on PATH: PostgreSQL only)")

    for label, results in sections.items():
        print(f"\n{label}\n")
        print(text_table(rows(results)))
        for note in failure_notes(results):
            print(note)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    png, md = args.out_dir / "runtime_leak.png", args.out_dir / "runtime_leak.md"
    plot(sections, png, args.max_open)
    md.write_text(markdown(sections, args, fix_output), encoding="utf-8")
    print(f"\nwrote {md.relative_to(ROOT) if md.is_relative_to(ROOT) else md} and {png.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
