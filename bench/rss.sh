#!/usr/bin/env bash
# Resident memory of deskwatch monitoring N endpoints (default 10,000).
# Runs `deskwatch demo -desks N -chaos 0`; the figure is an upper bound: the
# demo process also holds the simulated PBX with its N endpoints (Redis runs
# in its own process and is not counted).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
port=${PORT:-18099}
go build -o bin/deskwatch ./cmd/deskwatch
bin/deskwatch demo -desks "$n" -chaos 0 -listen 127.0.0.1:$port -log-level warn >/tmp/deskwatch-rss.out 2>/tmp/deskwatch-rss.err &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for i in $(seq 1 120); do
  curl -sf http://127.0.0.1:$port/healthz 2>/dev/null | grep -q '"connected":true' && break
  sleep 0.5
done
tok=$(awk '/Token:/{print $2}' /tmp/deskwatch-rss.out)
# Let the snapshot's transitions reach Redis, then sample.
sleep 5
curl -sf -o /dev/null -H "Authorization: Bearer $tok" http://127.0.0.1:$port/api/v1/workstations
for i in 1 2 3; do
  grep VmRSS /proc/$pid/status
  sleep 1
done
grep VmHWM /proc/$pid/status
