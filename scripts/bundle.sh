#!/usr/bin/env bash
# Packs the MCP Bundle: target/bundle/fast-mcp-telegram-<version>-<platform>.mcpb, a zip of
# manifest.json (the repository's, its platforms narrowed to this one) and the server binary,
# made with the official CLI (@anthropic-ai/mcpb, pinned below, installed under target/mcpb).
# Claude Desktop and other MCPB hosts install it in one click and ask for the settings the
# manifest declares.
#
#   scripts/bundle.sh                  builds the release binary and packs it
#   scripts/bundle.sh --binary PATH    packs PATH instead (CI packs the debug build)
#   scripts/bundle.sh --check          then unpacks it into an empty folder and runs its
#                                      binary with only the manifest's environment
#                                      (scripts/bundle_check.mjs)
#
# Needs node and npm (the CLI is a node package); the bundle itself needs neither.
set -euo pipefail
cd "$(dirname "$0")/.."

MCPB_VERSION=2.1.2
binary=""
check=false
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --check) check=true; shift ;;
    *) echo "usage: scripts/bundle.sh [--binary PATH] [--check]" >&2; exit 2 ;;
  esac
done

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "bundle.sh: $(uname -s) is not a platform the server runs on" >&2; exit 1 ;;
esac
arch=$(uname -m)
[ "$arch" = arm64 ] && arch=aarch64
platform="$os-$arch"

if [ -z "$binary" ]; then
  cargo build --release --locked --bin fast-mcp-telegram
  binary=target/release/fast-mcp-telegram
fi
[ -x "$binary" ] || { echo "bundle.sh: no executable at $binary" >&2; exit 1; }

mcpb=target/mcpb/node_modules/.bin/mcpb
if [ "$("$mcpb" --version 2>/dev/null)" != "$MCPB_VERSION" ]; then
  npm install --prefix target/mcpb --no-audit --no-fund --silent "@anthropic-ai/mcpb@$MCPB_VERSION"
fi

stage=target/bundle/stage
out="target/bundle/fast-mcp-telegram-$version-$platform.mcpb"
rm -rf "$stage" "$out"
mkdir -p "$stage/server"
cp "$binary" "$stage/server/fast-mcp-telegram"
# A release build is stripped already; a debug one shrinks from ~340 MB to ~50 MB.
if command -v strip >/dev/null; then strip "$stage/server/fast-mcp-telegram"; fi
cp LICENSE README.md "$stage/"
# The binary in this bundle runs on this platform only.
node -e '
  const fs = require("fs");
  const [from, to, os] = process.argv.slice(1);
  const manifest = JSON.parse(fs.readFileSync(from, "utf8"));
  manifest.compatibility.platforms = [os];
  fs.writeFileSync(to, JSON.stringify(manifest, null, 2) + "\n");
' manifest.json "$stage/manifest.json" "$os"

"$mcpb" validate "$stage/manifest.json"
"$mcpb" pack "$stage" "$out" >/dev/null
echo "$out"

if $check; then
  node scripts/bundle_check.mjs "$mcpb" "$out"
fi
