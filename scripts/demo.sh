#!/usr/bin/env bash
# Sets up and runs the deskwatch demo: 20 desks on a bundled simulated PBX,
# a private redis-server on a free loopback port, the API on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh demo
go build -o bin/deskwatch ./cmd/deskwatch
exec bin/deskwatch demo -log-format console "$@"
