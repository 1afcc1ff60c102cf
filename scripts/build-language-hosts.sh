#!/usr/bin/env bash
# Builds the YAML and Python language hosts from the Go module proxy, beside
# the CLI (the CLI finds a host in its own folder, and on PATH). Each is built
# once; a host already there is kept. Usage: build-language-hosts.sh <bin-dir>
#
# YAML: pulumi-yaml's module has no `replace` lines, so `go install @version`
# works. Python: the host's own module (sdk/python/cmd/pulumi-language-python/v3)
# is not served by the proxy, and `go install` of the copy inside sdk/v3 v3.68.0
# (the last release that had it) is refused for that module's `replace` lines;
# building it inside a writable copy of that module honours them. The host
# runs `pulumi-language-python-exec`, a Python script shipped in sdk/v3.
set -euo pipefail

YAML_VERSION="${PULUMI_YAML_HOST_VERSION:-1.25.0}"
PYTHON_HOST_VERSION="${PULUMI_PYTHON_HOST_VERSION:-3.68.0}"
CLI_VERSION="${PULUMI_CLI_VERSION:-3.248.0}"
OUT="${1:?usage: build-language-hosts.sh <bin-dir>}"
WORK="${PULUMI_BUILD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sgattach-pulumi-build}"

command -v go >/dev/null 2>&1 || {
  echo "build-language-hosts: Go is not installed; install Go >= 1.25, or install Pulumi by hand (https://www.pulumi.com/docs/install/), which ships these hosts" >&2
  exit 3
}

mkdir -p "$OUT" "$WORK"
OUT="$(cd "$OUT" && pwd)"
cd "$WORK" # outside any go.mod
step() { printf '[language-hosts %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# The folder of module@version in the module cache (downloaded when absent).
module_dir() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }

# --- YAML ------------------------------------------------------------------
if [ ! -x "$OUT/pulumi-language-yaml" ]; then
  step "building pulumi-language-yaml v$YAML_VERSION (first time only: ~8 min on 2 cores)"
  GOBIN="$OUT" go install -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$YAML_VERSION" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$YAML_VERSION"
  step "YAML host ready: $OUT/pulumi-language-yaml"
fi

# --- Python ----------------------------------------------------------------
if [ ! -x "$OUT/pulumi-language-python-exec" ]; then
  exec_src="$(module_dir "github.com/pulumi/pulumi/sdk/v3@v$CLI_VERSION")/python/cmd/pulumi-language-python-exec"
  cp "$exec_src" "$OUT/pulumi-language-python-exec.tmp"
  chmod 0755 "$OUT/pulumi-language-python-exec.tmp"
  mv "$OUT/pulumi-language-python-exec.tmp" "$OUT/pulumi-language-python-exec"
  step "pulumi-language-python-exec (sdk/v3 v$CLI_VERSION) ready"
fi
if [ ! -x "$OUT/pulumi-language-python" ]; then
  step "building pulumi-language-python from sdk/v3 v$PYTHON_HOST_VERSION (first time only: ~4 min on 2 cores)"
  src="$(module_dir "github.com/pulumi/pulumi/sdk/v3@v$PYTHON_HOST_VERSION")"
  copy="$WORK/python-host/sdk-v$PYTHON_HOST_VERSION"
  rm -rf "$copy"
  mkdir -p "$(dirname "$copy")"
  cp -r "$src" "$copy"
  chmod -R u+w "$copy" # the module cache is read-only; go build writes go.sum entries
  (
    cd "$copy"
    go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PYTHON_HOST_VERSION" \
      -o "$OUT/pulumi-language-python.tmp" ./python/cmd/pulumi-language-python
  )
  mv "$OUT/pulumi-language-python.tmp" "$OUT/pulumi-language-python"
  rm -rf "$copy"
  step "Python host ready: $OUT/pulumi-language-python"
fi
