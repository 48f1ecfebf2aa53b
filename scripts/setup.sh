#!/usr/bin/env bash
# Installs everything spx needs on a Debian machine with Node 20:
# ffmpeg, the offline speech tools, chromium (browser tests), redis-server and PostgreSQL (test
# servers) from apt, pnpm from npm, then the workspace.
# Safe to run again: every step is skipped or fast when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg espeak-ng sox pocketsphinx pocketsphinx-en-us redis-server postgresql chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]} (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm (npm)"
  npm install -g pnpm@12 >/dev/null 2>&1
fi

# sqlite3 compiles from source against the local Node headers; onnxruntime-node
# must not try to download CUDA files (its CPU binaries ship in the package).
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export ONNXRUNTIME_NODE_INSTALL=skip
echo "setup: pnpm install"
log="$(mktemp)"
if ! pnpm install --frozen-lockfile --reporter=append-only >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; echo "setup: pnpm install failed" >&2; exit 1
fi
rm -f "$log"
node -e "require('module').createRequire(require('path').resolve('packages/core/package.json'))('sqlite3')" \
  || { echo "setup: the sqlite3 native module did not build" >&2; exit 1; }
