#!/usr/bin/env bash
# Builds the Pulumi CLI and the Node.js language host from the published Go
# modules (the only route on a machine that reaches the Go module proxy but not
# Pulumi's download servers). Usage: build-pulumi.sh <out-bin-dir>
#
# Why two wrapper modules: pkg/v3's go.mod has `replace` lines, so
# `go install pkg@version` refuses it; and the language host's own module is
# not served by the proxy, so we build it from sdk/v3 v3.68.0, the last release
# in which it was still a package of sdk/v3. Separate go.mod files keep the two
# dependency graphs from mixing.
set -euo pipefail

CLI_VERSION="${PULUMI_CLI_VERSION:-3.248.0}"
HOST_VERSION="${PULUMI_LANGUAGE_HOST_VERSION:-3.68.0}"
OUT="${1:?usage: build-pulumi.sh <out-bin-dir>}"
WORK="${PULUMI_BUILD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sgattach-pulumi-build}"

command -v go >/dev/null 2>&1 || {
  echo "build-pulumi: Go is not installed; install Go >= 1.25 or install Pulumi by hand (https://www.pulumi.com/docs/install/)" >&2
  exit 3
}

mkdir -p "$OUT" "$WORK/cli" "$WORK/host"
step() { printf '[pulumi-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- the CLI ---------------------------------------------------------------
if [ ! -x "$OUT/pulumi" ]; then
  step "building pulumi CLI v$CLI_VERSION from the Go module proxy (first time only: ~6-10 min on 2 cores, ~3.8 GB of Go caches)"
  cd "$WORK/cli"
  cat > go.mod <<MOD
module sgattach.local/pulumi-cli

go 1.25.11

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
  step "resolving modules (go get)"
  go get "github.com/pulumi/pulumi/pkg/v3@v$CLI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$CLI_VERSION"
  go mod tidy
  step "compiling (go build -v prints each package as it compiles)"
  go build -v -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$CLI_VERSION" \
    -o "$OUT/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi 2>&1 |
    awk '{ n++; if (n % 50 == 0) { printf "[pulumi-build] %d packages compiled (last: %s)\n", n, $0; fflush() } }' >&2
  mv "$OUT/pulumi.tmp" "$OUT/pulumi"
  step "pulumi CLI ready: $OUT/pulumi"
fi

# --- the Node.js language host ----------------------------------------------
if [ ! -x "$OUT/pulumi-language-nodejs" ]; then
  step "building pulumi-language-nodejs from sdk/v3 v$HOST_VERSION"
  cd "$WORK/host"
  cat > go.mod <<MOD
module sgattach.local/pulumi-language-nodejs

go 1.25.11
MOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
GO
  go get "github.com/pulumi/pulumi/sdk/v3@v$HOST_VERSION"
  go mod tidy
  go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$HOST_VERSION" \
    -o "$OUT/pulumi-language-nodejs.tmp" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  mv "$OUT/pulumi-language-nodejs.tmp" "$OUT/pulumi-language-nodejs"
  step "language host ready: $OUT/pulumi-language-nodejs"
fi
