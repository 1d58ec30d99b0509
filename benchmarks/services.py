"""Precision on real services: `leakfix check` on pinned open-source Go services, every finding
classified by reading the code.

    python benchmarks/services.py --root /work/real            # check, write services.md
    python benchmarks/services.py --root /work/real --list     # unlabelled findings, as TOML

Each service is a checkout under ROOT named as in SERVICES (this script fetches nothing: the
checkouts are made with `git clone` of the repositories below, at the pinned commits; a
checkout at another commit is an error). Labels live in benchmarks/services_labels.toml,
keyed by service, path, rule and the finding's line text, so they survive line moves.
`leakfix check` runs in a child process per service with the default settings, and its wall
time is recorded.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
LABELS = Path(__file__).with_name("services_labels.toml")
REPORT = Path(__file__).with_name("services.md")


@dataclass(frozen=True)
class Service:
    repo: str
    commit: str
    what: str  # stack, for the reader


SERVICES = {
    "miniflux": Service(
        "miniflux/v2", "106cdd09e1557222303f3ed1376e1dadf0638621", "net/http, database/sql + lib/pq"
    ),
    "listmonk": Service(
        "knadh/listmonk", "911e0b774abad4fbf7b534be43a34a80fb6ace5b", "Echo, sqlx + lib/pq"
    ),
    "shiori": Service(
        "go-shiori/shiori", "585ea341aa59219b0477f991eadb545d24e3a121", "net/http, sqlx"
    ),
    "dex": Service(
        "dexidp/dex", "ab64ed778070e983cbb10cfc07ea4bb397d14312", "gRPC + net/http, database/sql"
    ),
    "permify": Service(
        "Permify/permify", "e00d0522e2e5d9ccadac42625a3d40a9ba905360", "gRPC, pgx v5 pgxpool"
    ),
    "openfga": Service(
        "openfga/openfga", "da9354f7e6704cef47e620ffa2e08212c08d5ad3", "gRPC, database/sql + pgx"
    ),
    "spicedb": Service(
        "authzed/spicedb",
        "96ab9662469d94061e57cd8c591339ce27c902bd",
        "gRPC, pgx v5 (PostgreSQL and CockroachDB), database/sql (MySQL)",
    ),
    "authelia": Service(
        "authelia/authelia", "23572030b4048922a377ca40d59e804e0ed25fd7", "net/http, sqlx + pgx"
    ),
    "memos": Service(
        "usememos/memos", "76a762924306e782871204f131f4033be5e8e41a", "Echo + gRPC, database/sql"
    ),
    "goalert": Service(
        "target/goalert", "2458b9d749e7bb9cb5b0d34dcb7edb034b407baa", "net/http, pgx v5 + sqlc"
    ),
    "lakefs": Service(
        "treeverse/lakeFS", "71a45eeb1639d146d34b8effd7e86d077160ed7c", "net/http, pgx v5 pgxpool"
    ),
}
FOLDERS = {"lakefs": "lakeFS"}  # checkout folder names that differ from the service name


@dataclass
class Run:
    service: str
    findings: list[dict[str, Any]]
    seconds: float
    go_files: int


def folder_of(root: Path, name: str) -> Path:
    return root / FOLDERS.get(name, name)


def head(folder: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip()


def check(root: Path, name: str) -> Run:
    folder = folder_of(root, name)
    if head(folder) != SERVICES[name].commit:
        raise SystemExit(f"{folder}: not at the pinned commit {SERVICES[name].commit}")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "codemods.cli", "check", "--format", "json", str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"leakfix failed on {name}: {done.stderr.strip()}")
    findings = json.loads(done.stdout)["findings"]
    go_files = sum(1 for _ in folder.rglob("*.go"))
    return Run(name, findings, seconds, go_files)


def key(root: Path, service: str, finding: dict[str, Any]) -> str:
    """service:path:rule:line text (the same text twice in a file gets #2, #3, ...: see
    keyed())."""
    path = Path(finding["path"])
    lines = path.read_bytes().splitlines()
    line = lines[finding["line"] - 1].decode("utf-8", "replace").strip()
    relative = path.relative_to(folder_of(root, service))
    return f"{service}:{relative}:{finding['rule']}:{line}"


def keyed(root: Path, run: Run) -> list[tuple[str, dict[str, Any]]]:
    """(label key, finding) in file order; a repeated key gets #2, #3, ... in order."""
    seen: collections.Counter[str] = collections.Counter()
    out = []
    for finding in sorted(run.findings, key=lambda f: (f["path"], f["line"], f["column"])):
        base = key(root, run.service, finding)
        seen[base] += 1
        out.append((base if seen[base] == 1 else f"{base}#{seen[base]}", finding))
    return out


def load_labels() -> dict[str, dict[str, str]]:
    if not LABELS.exists():
        return {}
    return tomllib.loads(LABELS.read_text()).get("finding", {})


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def list_unlabelled(root: Path, runs: list[Run], labels: dict[str, dict[str, str]]) -> str:
    out = []
    for run in runs:
        for label_key, finding in keyed(root, run):
            if label_key in labels:
                continue
            where = f"{finding['path']}:{finding['line']}"
            out.append(f"# {where}\n# {finding['rule']}: {finding['message']}")
            out.append(f"[finding.{toml_string(label_key)}]\nverdict = \"\"\nnote = \"\"\n")
    return "\n".join(out)


def report(root: Path, runs: list[Run], labels: dict[str, dict[str, str]]) -> str:
    rows = []  # (service, relative path:line, rule, verdict, note)
    for run in runs:
        for label_key, finding in keyed(root, run):
            label = labels.get(label_key, {})
            relative = Path(finding["path"]).relative_to(folder_of(root, run.service))
            rows.append(
                (
                    run.service,
                    f"{relative}:{finding['line']}",
                    finding["rule"],
                    label.get("verdict", "unclassified"),
                    label.get("note", ""),
                    finding["message"],
                )
            )
    total = len(rows)
    verdicts = collections.Counter(row[3] for row in rows)
    per_rule: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for row in rows:
        per_rule[row[2]][row[3]] += 1
    timeout_share = sum(1 for row in rows if row[2] == "query-timeout") / total if total else 0.0
    lines = [
        "# leakfix precision on real services",
        "",
        "Generated by `python benchmarks/services.py --root FOLDER`: `leakfix check` with the "
        "default settings on pinned checkouts of open-source Go services (applications, not "
        "libraries). Every finding was classified by reading the code; the labels are in "
        "`benchmarks/services_labels.toml`. A true positive is a finding whose claim holds "
        "and whose fix (or report) a reviewer of that service would accept; a false positive "
        "is one whose claim is wrong or whose fix would change behaviour beyond releasing "
        "the resource.",
        "",
        f"**{total} findings: {verdicts['true-positive']} true positives, "
        f"{verdicts['false-positive']} false positives, {verdicts['unclassified']} "
        f"unclassified. query-timeout makes {timeout_share:.0%} of all findings.**",
        "",
        "## Per rule",
        "",
        "| rule | findings | true | false | precision |",
        "|---|---|---|---|---|",
    ]
    for rule in sorted(per_rule):
        counts = per_rule[rule]
        found = sum(counts.values())
        judged = counts["true-positive"] + counts["false-positive"]
        precision = f"{counts['true-positive'] / judged:.0%}" if judged else "-"
        lines.append(
            f"| {rule} | {found} | {counts['true-positive']} | {counts['false-positive']} "
            f"| {precision} |"
        )
    lines += [
        "",
        "## Per service",
        "",
        "| service | repository @ commit | stack | Go files | findings | by rule | true | false "
        "| seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        service = SERVICES[run.service]
        by_rule = collections.Counter(f["rule"] for f in run.findings)
        mine = [row for row in rows if row[0] == run.service]
        true = sum(1 for row in mine if row[3] == "true-positive")
        false = sum(1 for row in mine if row[3] == "false-positive")
        rules = ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items())) or "-"
        lines.append(
            f"| {run.service} | {service.repo} @ `{service.commit[:12]}` | {service.what} "
            f"| {run.go_files:,} | {len(run.findings)} | {rules} | {true} | {false} "
            f"| {run.seconds:.1f} |"
        )
    false_rows = [row for row in rows if row[3] == "false-positive"]
    lines += ["", "## False positives", ""]
    lines += [f"- {r[0]} `{r[1]}` {r[2]}: {r[4]}" for r in false_rows] or ["None."]
    lines += [
        "",
        "## Every finding",
        "",
        "| service | where | rule | verdict | why |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        note = row[4].replace("|", "\\|")
        lines.append(f"| {row[0]} | `{row[1]}` | {row[2]} | {row[3]} | {note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="folder of the checkouts")
    parser.add_argument("--list", action="store_true", help="print unlabelled findings")
    parser.add_argument("--only", nargs="*", default=[], help="only these services")
    args = parser.parse_args(argv)
    names = args.only or list(SERVICES)
    runs = []
    for name in names:
        print(f"checking {name} ...", file=sys.stderr, flush=True)
        runs.append(check(args.root, name))
    labels = load_labels()
    if args.list:
        print(list_unlabelled(args.root, runs, labels))
        return 0
    REPORT.write_text(report(args.root, runs, labels))
    print(f"wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
