"""The runtime leak scenario: the example service before and after `leakfix fix`, under load.

Shared by tests/test_runtime.py (which asserts the outcomes) and benchmarks/runtime_leak.py
(which tabulates and plots them). Nothing here asserts; everything here measures.

- `build_variants()` copies examples/ per variant ("before": as it is; "after": `leakfix fix
  --unsafe-fixes`; "only RULE": `--select RULE`), fixes each copy and builds it offline
  (GOPROXY=off, GOFLAGS=-mod=mod: modules from the local cache only).
- `ENDPOINTS` are the leaky endpoints of examples/leaks.go: the request the i-th call sends and
  what a correct answer to it is.
- `run_endpoint()` starts a fresh service process on the database, sends the requests (a
  sequential run first, then the rest in paced bursts from a thread pool, in two halves,
  each request failing after a short socket timeout) while sampling
  /debug/vars, and takes a checkpoint after each half: db.Stats() once in-use connections
  settle, the service's sessions in pg_stat_activity, and the server-side prepared statements
  of its sessions (GET /debug/prepared, see examples/debug.go for why it is counted there).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gotools import find_go, go_env
from pgcluster import free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

REQUESTS = 2000  # per endpoint and variant
# After a short sequential run, requests go out in bursts of BURST at RATE requests a second
# on average, from up to WORKERS threads. A healthy service answers a burst in milliseconds, so
# a request that gets no answer within TIMEOUT has stalled. A stalled request holds its
# thread for TIMEOUT: WORKERS bounds how long ~2,000 stalled requests take (here ~10 s), while
# the pacing keeps a healthy service far from queueing behind a saturated CPU (it answers in
# a few ms; TIMEOUT leaves room for a machine busy with other work).
RATE = 500.0
BURST = 16
WORKERS = 512
TIMEOUT = 2.0
MAX_OPEN_CONNS = 10  # DB_MAX_OPEN_CONNS of the service
SAMPLE_EVERY = 0.05  # seconds between /debug/vars samples during the concurrent part
DATABASE = "usersvc"


class ScenarioError(RuntimeError):
    """The scenario could not run (build failed, service did not start...)."""


class Database(Protocol):
    """A running database server: PgCluster, or the benchmark's CockroachDB node."""

    def url(self, database: str = ..., **params: str) -> str: ...

    def sessions(self, application_name: str, database: str) -> tuple[int, int]:
        """(sessions of that application, of which idle in a transaction)."""
        ...


# building -------------------------------------------------------------------------------------


@dataclass
class Variants:
    """Builds of the example service by variant name, and what `leakfix fix` said for each."""

    binaries: dict[str, Path]
    fix_output: dict[str, str]
    rules: list[str]


# Variant name -> `leakfix fix` arguments (None: the example as it is).
BEFORE_AFTER: dict[str, list[str] | None] = {"before": None, "after": ["--unsafe-fixes"]}


def only(rule: str) -> str:
    """The variant fixed by ``rule`` alone (`leakfix fix --select RULE`)."""
    return f"only {rule}"


def only_variants(rules: list[str]) -> dict[str, list[str] | None]:
    """One variant per endpoint rule that `leakfix rules` lists, fixed by that rule alone."""
    return {
        only(e.rule): ["--unsafe-fixes", "--select", e.rule] for e in ENDPOINTS if e.rule in rules
    }


def leakfix(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the leakfix CLI of this checkout."""
    return subprocess.run(
        [sys.executable, "-m", "codemods.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def listed_rules() -> list[str]:
    """Rule ids that `leakfix rules` lists."""
    proc = leakfix("rules", "--format", "json")
    if proc.returncode != 0:
        raise ScenarioError(f"leakfix rules failed:\n{proc.stdout}{proc.stderr}")
    return [rule["id"] for rule in json.loads(proc.stdout)]


def handler_rules() -> dict[str, set[str]]:
    """Endpoint name -> the rules `leakfix check examples/` reports inside its handler."""
    proc = leakfix("check", "--format", "json", str(EXAMPLES))
    try:
        findings = json.loads(proc.stdout)["findings"]
    except (ValueError, KeyError) as error:
        raise ScenarioError(f"leakfix check failed:\n{proc.stdout}{proc.stderr}") from error
    lines = (EXAMPLES / "leaks.go").read_text().splitlines()
    starts = {i + 1: line for i, line in enumerate(lines) if line.startswith("func ")}
    fired: dict[str, set[str]] = {endpoint.name: set() for endpoint in ENDPOINTS}
    for endpoint in ENDPOINTS:
        first = next(
            n for n, line in starts.items() if line.startswith(f"func {endpoint.handler}(")
        )
        last = min([n for n in starts if n > first], default=len(lines) + 1) - 1
        for finding in findings:
            if Path(finding["path"]).name == "leaks.go" and first <= finding["line"] <= last:
                fired[endpoint.name].add(finding["rule"])
    return fired


def build_variants(workdir: Path, variants: dict[str, list[str] | None] | None = None) -> Variants:
    """Copy examples/ per variant, run `leakfix fix ARGS` on it, build it offline.

    By default: "before" (the example as it is) and "after" (`leakfix fix --unsafe-fixes`).
    """
    go = find_go()
    if go is None:
        raise ScenarioError("Go toolchain not found (no `go` on PATH or in a known GOROOT)")
    binaries: dict[str, Path] = {}
    outputs: dict[str, str] = {}
    for index, (variant, fix_args) in enumerate((variants or BEFORE_AFTER).items()):
        src = workdir / "src" / f"v{index}"
        shutil.copytree(EXAMPLES, src, ignore=shutil.ignore_patterns("*.md"))
        if fix_args is not None:
            fix = leakfix("fix", *fix_args, str(src))
            outputs[variant] = fix.stdout + fix.stderr
            if fix.returncode not in (0, 1):
                raise ScenarioError(f"leakfix fix {' '.join(fix_args)} failed:\n{outputs[variant]}")
        binary = workdir / "bin" / f"usersvc-v{index}"
        proc = subprocess.run(
            [go, "build", "-o", str(binary), "."],
            cwd=src,
            env=go_env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            raise ScenarioError(
                f"go build of variant {variant!r} failed:\n{proc.stdout}{proc.stderr}"
            )
        binaries[variant] = binary
    return Variants(binaries, outputs, listed_rules())


# HTTP -----------------------------------------------------------------------------------------


def http(method: str, url: str, timeout: float) -> tuple[int | None, bytes, str | None]:
    """(status, body, None), or (None, b"", reason) when no response came in time."""
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), None
    except urllib.error.HTTPError as error:
        with contextlib.closing(error):
            return error.code, error.read(), None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            return None, b"", "timeout"
        return None, b"", f"connection error: {reason}"
    except TimeoutError:
        return None, b"", "timeout"
    except (OSError, ValueError) as error:  # resets, http.client errors
        return None, b"", f"connection error: {type(error).__name__}"


def get_json(url: str, timeout: float = 5.0) -> Any:
    status, body, reason = http("GET", url, timeout)
    if status != 200:
        raise ScenarioError(f"GET {url}: {reason or status} {body[:200]!r}")
    return json.loads(body)


# endpoints ------------------------------------------------------------------------------------


def _rows(body: bytes) -> list[Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def _judge_rows(i: int, status: int, body: bytes) -> str | None:
    rows = _rows(body)
    if status == 200 and rows is not None and len(rows) == 5:
        return None
    return f"status {status}"


def _rowserr_n(i: int) -> int:
    return 40 if i % 2 == 0 else 100


def _judge_rowserr(i: int, status: int, body: bytes) -> str | None:
    # n=40 must be complete; n=100 fails on the server at row 50: a correct answer is an
    # error status, a 200 with 49 rows is the silent truncation rows-err is about.
    n = _rowserr_n(i)
    rows = _rows(body)
    if status == 200 and rows is not None:
        return None if len(rows) == n else "200 with truncated rows"
    if status == 500 and n == 100:
        return None
    return f"status {status}"


def _judge_stmt(i: int, status: int, body: bytes) -> str | None:
    return None if status == 200 and _rows(body) is not None else f"status {status}"


def _tx_name(i: int, run_id: str) -> str:
    # Every fourth request signs up a new name (201); the others ask for "admin", reserved
    # by the seed data (409, the early return that skips the rollback).
    return f"{run_id}-{i}" if i % 4 == 0 else "admin"


def _judge_tx(i: int, status: int, body: bytes) -> str | None:
    expected = 201 if i % 4 == 0 else 409
    return None if status == expected else f"status {status}"


@dataclass(frozen=True)
class Endpoint:
    """A leaky endpoint: the request the i-th call sends and the judge of its answer."""

    name: str
    rule: str
    handler: str  # its function in examples/leaks.go
    method: str
    leak: str
    path: Callable[[int, str], str]
    judge: Callable[[int, int, bytes], str | None]


ENDPOINTS = [
    Endpoint(
        "rows",
        "rows-close",
        "firstActiveUsers",
        "GET",
        "returns after 5 rows without closing them: each call pins a connection",
        lambda i, run: "/leak/rows",
        _judge_rows,
    ),
    Endpoint(
        "rowserr",
        "rows-err",
        "ratios",
        "GET",
        "never checks rows.Err(): a query failing after 49 rows answers 200 with 49 rows",
        lambda i, run: f"/leak/rowserr?n={_rowserr_n(i)}",
        _judge_rowserr,
    ),
    Endpoint(
        "stmt",
        "stmt-close",
        "usersPage",
        "GET",
        "prepares a statement per request and never closes it",
        lambda i, run: f"/leak/stmt?page={i}",
        _judge_stmt,
    ),
    Endpoint(
        "tx",
        "tx-rollback",
        "signUp",
        "POST",
        "returns 409 after a failed insert without rolling back: each pins a connection",
        lambda i, run: f"/leak/tx?name={_tx_name(i, run)}",
        _judge_tx,
    ),
]
ENDPOINTS_BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}


# the service ----------------------------------------------------------------------------------


class Service:
    """One process of a built example service, on a free loopback port."""

    def __init__(self, binary: Path, database_url: str, max_open: int, log_path: Path) -> None:
        self.binary = binary
        self.database_url = database_url
        self.max_open = max_open
        self.log_path = log_path
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Service:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, ready_within: float = 30.0) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "LISTEN_ADDR": f"127.0.0.1:{self.port}",
            "DATABASE_URL": self.database_url,
            "DB_MAX_OPEN_CONNS": str(self.max_open),
        }
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(self.binary)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ScenarioError(f"{self.binary.name} exited at startup:\n{self.log_tail()}")
            status, _, _ = http("GET", self.base + "/debug/vars", 1.0)
            if status == 200:
                return
            time.sleep(0.1)
        self.stop()
        raise ScenarioError(f"{self.binary.name} did not answer in {ready_within}s")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL: a stalled service never finishes its graceful shutdown."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def vars(self) -> dict[str, Any]:
        data = get_json(self.base + "/debug/vars")
        return data if isinstance(data, dict) else {}

    def prepared(self) -> dict[str, int]:
        data = get_json(self.base + "/debug/prepared")
        return data if isinstance(data, dict) else {}


# measurements ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One read of /debug/vars during the load."""

    completed: int
    failed: int  # of the completed requests
    elapsed: float
    in_use: int
    open: int
    wait_count: int
    heap_inuse: int
    goroutines: int

    @classmethod
    def of(cls, data: dict[str, Any], completed: int, failed: int, elapsed: float) -> Sample:
        stats, mem = data.get("db", {}), data.get("memstats", {})
        return cls(
            completed=completed,
            failed=failed,
            elapsed=elapsed,
            in_use=int(stats.get("InUse", 0)),
            open=int(stats.get("OpenConnections", 0)),
            wait_count=int(stats.get("WaitCount", 0)),
            heap_inuse=int(mem.get("HeapInuse", 0)),
            goroutines=int(data.get("goroutines", 0)),
        )


@dataclass(frozen=True)
class Checkpoint:
    """State after a part of the load, once in-use connections settled (or did not)."""

    completed: int
    vars: Sample
    sessions: int  # the service's sessions in pg_stat_activity
    idle_in_transaction: int  # of which 'idle in transaction' (or '(aborted)')
    prepared: int  # server-side prepared statements in the visited sessions
    prepared_sessions_visited: int
    prepared_sessions_open: int

    @property
    def prepared_complete(self) -> bool:
        """Whether every open session could be visited (none held by a request or a leak)."""
        return self.prepared_sessions_visited == self.prepared_sessions_open


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reason: str | None
    latency: float


@dataclass
class RunResult:
    """One endpoint under load on one variant of the service."""

    endpoint: Endpoint
    variant: str
    max_open: int
    outcomes: list[Outcome]
    samples: list[Sample]
    mid: Checkpoint
    end: Checkpoint
    log_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.outcomes)

    @property
    def ok(self) -> int:
        return sum(outcome.ok for outcome in self.outcomes)

    @property
    def failed(self) -> int:
        return self.requests - self.ok

    @property
    def failures(self) -> Counter[str]:
        return Counter(o.reason for o in self.outcomes if not o.ok and o.reason)

    def latency(self, quantile: float) -> float:
        """Latency quantile in seconds over all requests (a failure counts when it failed)."""
        values = sorted(outcome.latency for outcome in self.outcomes)
        if len(values) < 2:
            return values[0] if values else 0.0
        return statistics.quantiles(values, n=100, method="inclusive")[round(quantile * 100) - 1]

    @property
    def peak_in_use(self) -> int:
        return max([sample.in_use for sample in self.samples] + [self.end.vars.in_use])

    @property
    def prepared_growth(self) -> int | None:
        """Server-side prepared statements added by the second half of the load, if known."""
        if not (self.mid.prepared_complete and self.end.prepared_complete):
            return None
        return self.end.prepared - self.mid.prepared

    def summary(self) -> str:
        failures = ", ".join(f"{n}x {reason}" for reason, n in self.failures.most_common())
        growth = self.prepared_growth
        return (
            f"{self.variant:6} /leak/{self.endpoint.name:8} ok {self.ok:5} failed {self.failed:5}"
            f" p50 {self.latency(0.5) * 1000:7.1f}ms p99 {self.latency(0.99) * 1000:7.1f}ms"
            f" peak in-use {self.peak_in_use:2}/{self.max_open} end in-use"
            f" {self.end.vars.in_use:2} sessions {self.end.sessions:2}"
            f" idle-in-tx {self.end.idle_in_transaction:2}"
            f" prepared {self.end.prepared} ({self.end.prepared_sessions_visited}"
            f"/{self.end.prepared_sessions_open} sessions; growth {growth})"
            f" heap {self.end.vars.heap_inuse / 2**20:.1f}MiB"
            f" goroutines {self.end.vars.goroutines}" + (f" [{failures}]" if failures else "")
        )


def wait_sessions_gone(db: Database, app: str, within: float = 15.0) -> int:
    """Wait until the sessions of ``app`` have left the server; return how many remain."""
    deadline = time.monotonic() + within
    while True:
        remaining, _ = db.sessions(app, DATABASE)
        if remaining == 0 or time.monotonic() > deadline:
            return remaining
        time.sleep(0.1)


class _Load:
    def __init__(self, service: Service, endpoint: Endpoint, run_id: str, requests: int) -> None:
        self.service = service
        self.endpoint = endpoint
        self.run_id = run_id
        self.outcomes: list[Outcome | None] = [None] * requests
        self.samples: list[Sample] = []
        self.completed = 0
        self.failed = 0
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def send(self, i: int, timeout: float) -> None:
        url = self.service.base + self.endpoint.path(i, self.run_id)
        start = time.perf_counter()
        status, body, reason = http(self.endpoint.method, url, timeout)
        latency = time.perf_counter() - start
        if status is not None:
            reason = self.endpoint.judge(i, status, body)
        with self.lock:
            self.outcomes[i] = Outcome(reason is None, reason, latency)
            self.completed += 1
            if reason is not None:
                self.failed += 1

    def sample(self) -> Sample | None:
        with self.lock:
            completed, failed = self.completed, self.failed
        try:
            data = self.service.vars()
        except (ScenarioError, ValueError):
            return None
        sample = Sample.of(data, completed, failed, time.monotonic() - self.started)
        with self.lock:
            self.samples.append(sample)
        return sample

    def paced(
        self, pool: ThreadPoolExecutor, indices: range, timeout: float, rate: float, burst: int
    ) -> None:
        """Submit ``burst`` requests at a time, ``rate`` a second on average; wait for all."""
        start = time.monotonic()
        futures = []
        for k, first in enumerate(range(indices.start, indices.stop, burst)):
            delay = start + k * burst / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for i in range(first, min(first + burst, indices.stop)):
                futures.append(pool.submit(self.send, i, timeout))
        for future in futures:
            future.result()

    def sampler(self, stop: threading.Event) -> None:
        while not stop.wait(SAMPLE_EVERY):
            self.sample()

    def checkpoint(self, db: Database, app: str, settle: float) -> Checkpoint:
        deadline = time.monotonic() + settle
        while True:
            sample = self.sample()
            if sample is not None and (sample.in_use == 0 or time.monotonic() > deadline):
                break
            if sample is None and time.monotonic() > deadline:
                raise ScenarioError(f"/debug/vars does not answer:\n{self.service.log_tail()}")
            time.sleep(0.05)
        assert sample is not None
        try:
            prepared = self.service.prepared()
        except (ScenarioError, ValueError):  # e.g. a server without pg_prepared_statements
            prepared = {"statements": 0, "sessions_visited": 0, "sessions_open": -1}
        sessions, idle_in_tx = db.sessions(app, DATABASE)
        return Checkpoint(
            completed=sample.completed,
            vars=sample,
            sessions=sessions,
            idle_in_transaction=idle_in_tx,
            prepared=int(prepared.get("statements", 0)),
            prepared_sessions_visited=int(prepared.get("sessions_visited", 0)),
            prepared_sessions_open=int(prepared.get("sessions_open", 0)),
        )


def run_endpoint(
    db: Database,
    binary: Path,
    variant: str,
    endpoint: Endpoint,
    log_dir: Path,
    *,
    requests: int = REQUESTS,
    rate: float = RATE,
    burst: int = BURST,
    workers: int = WORKERS,
    timeout: float = TIMEOUT,
    max_open: int = MAX_OPEN_CONNS,
    settle: float = 2.0,
    tag: str = "",
) -> RunResult:
    """Start ``binary`` afresh and send ``requests`` calls to ``endpoint``; measure.

    The first ``max_open + 2`` calls go one at a time (a leak of one connection per call
    then shows as a staircase up to MaxOpenConns); the rest go in bursts of ``burst`` at
    ``rate`` a second from up to ``workers`` threads, in two halves with a checkpoint after
    each.
    """
    slug = "".join(ch if ch.isalnum() else "-" for ch in f"{tag}{variant}-{endpoint.name}")
    app = f"usersvc-{slug}"
    run_id = f"{slug}-{os.getpid()}-{time.monotonic_ns()}"
    sequential = min(requests, max_open + 2)
    half = sequential + (requests - sequential) // 2
    url = db.url(DATABASE, application_name=app)
    service = Service(binary, url, max_open, log_dir / f"{app}.log")
    try:
        with service:
            load = _Load(service, endpoint, run_id, requests)
            load.sample()
            for i in range(sequential):
                load.send(i, timeout)
                load.sample()
            stop = threading.Event()
            sampler = threading.Thread(target=load.sampler, args=(stop,), daemon=True)
            sampler.start()
            try:
                with ThreadPoolExecutor(workers, thread_name_prefix="load") as pool:
                    load.paced(pool, range(sequential, half), timeout, rate, burst)
                    stop.set()
                    sampler.join()
                    mid = load.checkpoint(db, app, settle / 2)
                    stop.clear()
                    sampler = threading.Thread(target=load.sampler, args=(stop,), daemon=True)
                    sampler.start()
                    load.paced(pool, range(half, requests), timeout, rate, burst)
            finally:
                stop.set()
                sampler.join()
            end = load.checkpoint(db, app, settle)
            log_tail = service.log_tail()
    finally:
        service.stop()
        wait_sessions_gone(db, app)
    outcomes = [outcome for outcome in load.outcomes if outcome is not None]
    return RunResult(endpoint, variant, max_open, outcomes, load.samples, mid, end, log_tail)
