#!/usr/bin/env bash
# Fill the Go module cache with the dependencies of the Go modules in this
# repository (golden/ and examples/), so tests can compile Go code offline
# (they run go with GOPROXY=off).
#
# Usage: .ci/install-go-deps.sh [REPO_ROOT]   (default: this script's parent dir)
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

if ! command -v go >/dev/null 2>&1; then
    echo "error: the Go toolchain ('go') is not on PATH; install Go 1.23 or newer" >&2
    exit 1
fi
if ! go_version="$(go version)"; then
    echo "error: 'go version' failed; the Go installation looks broken" >&2
    exit 1
fi
echo "using ${go_version}"

for module in golden examples; do
    dir="${root}/${module}"
    if [[ ! -f "${dir}/go.mod" ]]; then
        echo "error: ${dir}/go.mod not found (is ${root} the repository root?)" >&2
        exit 1
    fi
    echo "go mod download in ${dir}"
    (cd "${dir}" && GOWORK=off GOFLAGS=-mod=mod go mod download)
done
