#!/usr/bin/env bash
# Sets up and runs every deskwatch test. The tests start their own
# redis-server instances on free loopback ports (never a shared one).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
echo "== gofmt" >&2
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
echo "== go vet" >&2
go vet ./...
echo "== go test -race" >&2
# One package at a time (-p 1): the end-to-end tests hold real-time promises
# (a desk's tile turns within a second in a real browser) that two cores
# shared with another package's race-detector run cannot keep reliably.
go test -race -count=1 -p 1 -timeout 20m "$@" ./...
echo "== fuzz" >&2
# A few seconds each: the fuzzers' corpora stay exercised on every run.
bash scripts/fuzz.sh "${DESKWATCH_FUZZ_SECONDS:-4}"
