#!/usr/bin/env bash
# `pnpm install-convoy [DIR]`: puts `convoy` on PATH. Builds the release executable (pnpm
# release: one file that needs neither Node nor this repository) and installs it as DIR/convoy:
# by default /usr/local/bin when writable (as root), else ~/.local/bin. Says so when DIR is not
# on PATH. CONVOY_RELEASE_TARBALL installs an already built tarball instead.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-}
if [ -z "$dir" ]; then
  if [ -w /usr/local/bin ]; then dir=/usr/local/bin; else dir="$HOME/.local/bin"; fi
fi
tarball=${CONVOY_RELEASE_TARBALL:-}
if [ -z "$tarball" ]; then
  echo "Building the convoy executable (pnpm release) ..." >&2
  tarball=$(node release/build-release.mjs)
fi
mkdir -p "$dir"
# Written beside the target and renamed over it, so a running convoy is never overwritten in place.
tar -xzf "$tarball" -O --wildcards '*/convoy' > "$dir/.convoy.new"
chmod 0755 "$dir/.convoy.new"
mv -f "$dir/.convoy.new" "$dir/convoy"
echo "Installed $dir/convoy ($("$dir/convoy" --version))"
case ":$PATH:" in
  *":$dir:"*) ;;
  *) echo "$dir is not on your PATH; add it: export PATH=\"$dir:\$PATH\"" ;;
esac
