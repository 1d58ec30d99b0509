#!/usr/bin/env bash
# Install the PostgreSQL server for the runtime leak test (tests/test_runtime.py) and the
# benchmark (benchmarks/runtime_leak.py), unless it is there already, and print the folder
# that holds initdb, pg_ctl and postgres (tests find it themselves, or through $PG_BINDIR).
#
# Debian's `postgresql` package: binaries under /usr/lib/postgresql/<version>/bin and a
# `postgres` OS user, which the tests run their throwaway cluster as when they run as root.
# The package's own cluster is not needed; the tests start theirs in a temporary folder.
#
# Usage: .ci/install-postgres.sh        (idempotent; needs root and apt only when installing)
set -euo pipefail

find_bindir() {
    local initdb
    initdb="$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "${initdb}" ]]; then
        dirname "${initdb}"
    fi
}

bindir="$(find_bindir)"
if [[ -z "${bindir}" ]]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: PostgreSQL is not installed and apt-get is not available" >&2
        exit 1
    fi
    echo "installing postgresql with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    bindir="$(find_bindir)"
    if [[ -z "${bindir}" ]]; then
        echo "error: postgresql installed, but no /usr/lib/postgresql/*/bin/initdb" >&2
        exit 1
    fi
fi
if ! id -u postgres >/dev/null 2>&1; then
    echo "warning: no 'postgres' OS user; the tests cannot run the server as root" >&2
fi
echo "${bindir}"
