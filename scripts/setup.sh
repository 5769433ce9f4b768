#!/usr/bin/env bash
# Installs what deskwatch's demo (`source setup.sh demo`) or tests (`source
# setup.sh`) need on a fresh Debian machine, as root. Idempotent: installs
# only what is missing.
set -euo pipefail

need=()
command -v redis-server >/dev/null || need+=(redis-server)
if [ "${1:-test}" != demo ]; then
  command -v redis-cli >/dev/null || need+=(redis-tools)      # redistest joins Redis Clusters with redis-cli --cluster create
  command -v sipp >/dev/null || need+=(sip-tester)            # an independent SIP peer for the probe tests
  command -v pdftotext >/dev/null || need+=(poppler-utils)    # report tests read the PDF back
  [ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core) # the board's tests drive headless Chromium
  command -v systemd-analyze >/dev/null || need+=(systemd)     # the package test verifies the unit offline
  command -v promtool >/dev/null || need+=(prometheus)         # promtool checks the alert rules
fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# redis-server is run by the demo and the tests themselves, on free loopback
# ports; the Debian service is not needed.
command -v redis-server >/dev/null || { echo "setup: redis-server is still missing" >&2; exit 1; }
if [ "${1:-test}" != demo ]; then
  command -v redis-cli >/dev/null || { echo "setup: redis-cli (redis-tools) is still missing" >&2; exit 1; }
fi

if ! command -v go >/dev/null; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH=/usr/local/go/bin:$PATH
  else
    echo "setup: Go 1.26 or newer is required (https://go.dev/dl); Debian's golang package is too old" >&2
    exit 1
  fi
fi
go version >&2
