"""Runtime proof on a real database: the example service leaks under load, the fixed one doesn't.

A throwaway PostgreSQL cluster (tests/pgcluster.py) serves the example service of examples/,
built twice: as it is ("before") and after `leakfix fix --unsafe-fixes` ("after"), and once
more per endpoint rule with that rule's fix alone ("only <rule>"). Each build is started afresh
per leaky endpoint and sent 2,000 requests, most of them from a thread pool, with short socket
timeouts so that a stalled request fails instead of hanging (tests/runtime_scenario.py).

Outcomes are asserted, never timings:
- before: the connection leaks (rows-close, tx-rollback) pin every pooled connection (in use
  = MaxOpenConns, still after the load) and the requests after that stall; rows-err answers
  200 with truncated data; stmt-close leaves one server-side statement per request;
- after: every request gets a correct answer, in-use connections return to 0, no session is
  left idle in a transaction, and server-side prepared statements do not grow.

Without PostgreSQL's server binaries (see .ci/install-postgres.sh) or Go the tests skip with
the reason, or fail when the CI environment variable is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import NoReturn

import pytest
from gotools import require_go
from pgcluster import PgCluster, PgError, find_pg_bindir
from runtime_scenario import (
    BEFORE_AFTER,
    DATABASE,
    ENDPOINTS,
    Endpoint,
    RunResult,
    ScenarioError,
    Variants,
    build_variants,
    handler_rules,
    listed_rules,
    only,
    only_variants,
    run_endpoint,
)

IDS = [endpoint.name for endpoint in ENDPOINTS]


def _missing(reason: str) -> NoReturn:
    print(reason)
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def pg(request: pytest.FixtureRequest) -> Iterator[PgCluster]:
    bindir = find_pg_bindir()
    if bindir is None:
        _missing(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb, "
            "$PG_BINDIR or initdb on PATH); run .ci/install-postgres.sh"
        )
    try:
        cluster = PgCluster(bindir)
    except PgError as error:  # no psql, or root without a `postgres` OS user
        _missing(str(error))
    request.addfinalizer(cluster.stop)  # also when start() or a test fails
    cluster.start()
    cluster.create_database(DATABASE)
    yield cluster


@pytest.fixture(scope="module")
def variants(pg: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> Variants:
    """The builds; after `pg`, so that a missing PostgreSQL skips before anything is built."""
    require_go()
    builds = {**BEFORE_AFTER, **only_variants(listed_rules())}
    return build_variants(tmp_path_factory.mktemp("runtime"), builds)


@pytest.fixture(scope="module")
def run(
    pg: PgCluster, variants: Variants, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, Endpoint], RunResult]:
    """Run an endpoint on a variant once per module; print the summary line."""
    logs = tmp_path_factory.mktemp("runtime-logs")
    results: dict[tuple[str, str], RunResult] = {}

    def get(variant: str, endpoint: Endpoint) -> RunResult:
        key = (variant, endpoint.name)
        if key not in results:
            try:
                result = run_endpoint(pg, variants.binaries[variant], variant, endpoint, logs)
            except ScenarioError as error:
                pytest.fail(f"{variant} /leak/{endpoint.name}: {error}")
            print(result.summary())
            results[key] = result
        return results[key]

    return get


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_leakfix_reports_the_leak(endpoint: Endpoint) -> None:
    """`leakfix check` finds each runtime-visible leak where it is, with a fix."""
    if endpoint.rule not in listed_rules():
        pytest.skip(f"leakfix has no {endpoint.rule} rule yet")
    assert endpoint.rule in handler_rules()[endpoint.name]


def assert_healthy(result: RunResult) -> None:
    """Every answer correct, connections back in the pool, statements not piling up."""
    context = result.summary() + "\n" + result.log_tail
    assert result.failed == 0, context
    assert result.end.vars.in_use == 0, context
    assert result.end.idle_in_transaction == 0, context
    assert result.end.sessions <= result.max_open, context
    growth = result.prepared_growth
    assert growth is not None, context
    # pgx caches each query's statement once per session (at most MaxOpenConns sessions);
    # a statement leak adds one per request.
    assert growth <= result.max_open, context


def assert_leaks(result: RunResult) -> None:
    """The symptom of the endpoint's leak, on the unfixed service."""
    context = result.summary()
    half = result.requests - result.mid.completed
    if result.endpoint.name in ("rows", "tx"):
        # Each leaked rows/transaction pins a connection; once all are pinned, the requests
        # that need one wait forever (here: until the client's socket timeout).
        assert result.peak_in_use == result.max_open, context
        assert result.end.vars.in_use == result.max_open, context
        assert result.failed > 0 and set(result.failures) == {"timeout"}, context
        assert result.end.sessions == result.max_open, context
    if result.endpoint.name == "rows":
        assert result.ok <= result.max_open, context
    if result.endpoint.name == "tx":
        assert result.end.idle_in_transaction == result.max_open, context
    if result.endpoint.name == "rowserr":
        # No connection leak: wrong answers. Every n=100 call is a 200 with 49 of 100 rows.
        assert result.failures == {"200 with truncated rows": result.requests // 2}, context
        assert result.end.vars.in_use == 0, context
    if result.endpoint.name == "stmt":
        # Every request succeeds, and leaves at least one statement behind on the server.
        assert result.failed == 0, context
        assert result.prepared_growth is not None and result.prepared_growth >= half, context


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_leak_before_fix_and_none_after(
    endpoint: Endpoint, variants: Variants, run: Callable[[str, Endpoint], RunResult]
) -> None:
    assert_leaks(run("before", endpoint))
    after = run("after", endpoint)
    if endpoint.rule not in variants.rules:
        print(f"{endpoint.rule} is not a leakfix rule yet: after-fix outcome not asserted")
        return
    assert_healthy(after)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_rule_alone_stops_its_leak(
    endpoint: Endpoint, variants: Variants, run: Callable[[str, Endpoint], RunResult]
) -> None:
    """The endpoint's own rule is enough: not only the context rules that also fire there."""
    variant = only(endpoint.rule)
    if variant not in variants.binaries:
        pytest.skip(f"leakfix has no {endpoint.rule} rule yet")
    assert_healthy(run(variant, endpoint))
