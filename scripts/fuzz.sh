#!/usr/bin/env bash
# Runs every fuzzer of the module (each func FuzzX in a _test.go file) for
# a few seconds: enough to catch a regression near the inputs its corpus
# already reaches, short enough for every CI run. A failure leaves its
# input in the package's testdata/fuzz/FuzzX/ (commit it: it becomes a seed).
# Usage: scripts/fuzz.sh [seconds per fuzzer, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
case $secs in
'' | *[!0-9]* | 0) echo "usage: $0 [seconds per fuzzer, a whole number above 0]" >&2; exit 2 ;;
esac
n=0
for file in $(grep -l --include='*_test.go' -r '^func Fuzz' $(go list -f '{{.Dir}}' ./...) | sort); do
  pkg=./$(realpath --relative-to=. "$(dirname "$file")")
  for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
    echo "== fuzz $pkg $name $((secs * 5000)) inputs" >&2
    # A count, not a duration: with -fuzztime=Ns, Go 1.26's coordinator can
    # report "context deadline exceeded" as a failure (no input written) when
    # a loaded machine keeps a worker busy past the deadline
    # (go.dev/issue/75804, fixed in Go 1.27). About 5,000 executions a second
    # is what these fuzzers do here; a busy machine only takes longer.
    go test -run='^$' -fuzz="^${name}\$" -fuzztime="$((secs * 5000))x" "$pkg"
    n=$((n + 1))
  done
done
if [ "$n" -eq 0 ]; then echo "no fuzzers found" >&2; exit 1; fi
echo "== $n fuzzers ran $((secs * 5000)) inputs each (~${secs}s)" >&2
