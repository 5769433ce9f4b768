#!/usr/bin/env bash
# Builds dist/deskwatch_VERSION_amd64.deb with nfpm, run as a Go tool from
# tools/go.mod (no prebuilt binary is downloaded). The version comes from
# `git describe` (a tag v1.2.3 gives 1.2.3); without a tag it is
# 0.0.0~gitTIMESTAMP.HASH, which sorts by commit time.
#
#   bash scripts/package.sh [-o DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist
[ "${1:-}" = -o ] && out=$2
command -v go >/dev/null || export PATH=/usr/local/go/bin:$PATH

if v=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
  version=${v#v}
  version=${version//-/+}   # 1.2.3-4-gabc → 1.2.3+4+gabc (Debian: no '-' in an upstream version without a revision)
else
  version="0.0.0~git$(git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S 2>/dev/null || date -u +%Y%m%d%H%M%S).$(git rev-parse --short=12 HEAD 2>/dev/null || echo nogit)"
  [ -z "$(git status --porcelain 2>/dev/null)" ] || version="$version.dirty"
fi

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
echo "package: building deskwatch $version" >&2
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$build/deskwatch" ./cmd/deskwatch
# The packaged configuration takes the ARI password from the systemd
# credential the unit loads (LoadCredential=ari-password:...).
sed 's#^  password_env: DESKWATCH_ARI_PASSWORD#  password_file: /run/credentials/deskwatch.service/ari-password#' \
  deploy/deskwatch.example.yaml >"$build/deskwatch.yaml"
grep -q 'password_file: /run/credentials/deskwatch.service/ari-password' "$build/deskwatch.yaml" \
  || { echo "package: the example's ari.password_env line changed; update scripts/package.sh" >&2; exit 1; }

mkdir -p "$out"
deb="$out/deskwatch_${version}_amd64.deb"
rm -f "$deb"
# nfpm expands no variables in file paths: fill them in here.
sed -e "s#\${DESKWATCH_VERSION}#$version#g" -e "s#\${DESKWATCH_BUILD}#$build#g" deploy/nfpm.yaml >"$build/nfpm.yaml"
go tool -modfile=tools/go.mod nfpm package --config "$build/nfpm.yaml" --packager deb --target "$deb" >&2
echo "$deb"
