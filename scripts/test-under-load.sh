#!/usr/bin/env bash
# Runs the test suite on a busy machine, the way CI's shared two cores can be:
# two CPU hogs per core (stress-ng when installed, else shell busy loops) for
# the whole run. Catches tests that pass only when their goroutines happen to
# be scheduled in time.
#
#   bash scripts/test-under-load.sh [-runs N] [-count C] [packages...]
#
# Defaults: 5 loaded runs of the whole suite with -race -count=1 -p 1, then
# one loaded run with -count=3. Every failing test is listed at the end, with
# how often it failed; the exit status is 1 if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
count3=3
while [ $# -gt 0 ]; do
  case "$1" in
    -runs) runs=$2; shift 2 ;;
    -count) count3=$2; shift 2 ;;
    *) break ;;
  esac
done
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
source scripts/setup.sh
command -v stress-ng >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq stress-ng >/dev/null 2>&1 || true; }

hogs=$(( 2 * $(nproc) ))
hog_pids=()
stop_hogs() { for p in "${hog_pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_hogs EXIT
if command -v stress-ng >/dev/null; then
  stress-ng --cpu "$hogs" --timeout 0 --quiet & hog_pids+=($!)
else
  for _ in $(seq "$hogs"); do (while :; do :; done) & hog_pids+=($!); done
fi
echo "load: $hogs CPU hogs on $(nproc) cores" >&2

out=$(mktemp -d)
failed=0
run() {
  local name=$1; shift
  echo "== $name: go test $*" >&2
  local start=$SECONDS
  if go test "$@" "${pkgs[@]}" >"$out/$name.log" 2>&1; then
    echo "   passed in $((SECONDS - start)) s" >&2
  else
    failed=1
    echo "   FAILED in $((SECONDS - start)) s (log: $out/$name.log)" >&2
    grep -E '^(--- FAIL|FAIL|panic:)' "$out/$name.log" | head -20 >&2 || true
  fi
}
for i in $(seq "$runs"); do
  run "run$i" -race -count=1 -p 1 -timeout 30m
done
[ "$count3" -gt 0 ] && run "count$count3" -race -count="$count3" -p 1 -timeout 60m

echo "== failing tests over all runs (times failed):" >&2
cat "$out"/*.log | grep -oE '^--- FAIL: [^ ]+' | sort | uniq -c | sort -rn >&2 || echo "   none" >&2
exit $failed
