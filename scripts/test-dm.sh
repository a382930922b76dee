#!/usr/bin/env bash
# Runs every device-mapper test (*.dm.test.ts) against a real dm-thin kernel: natively when this
# host's kernel has device-mapper (`dmsetup version` works, as root), else all of them in ONE
# throw-away user-mode-linux guest (scripts/dm-vm-run.sh), so the boot is paid once.
# TypeScript is not compiled in the guest: vitest transforms the sources (7x slower there than
# here is still cheaper than a build). Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
cd "$(dirname "$0")/.."
vitest=(node node_modules/vitest/vitest.mjs run --config vitest.dm.config.ts "$@")
if [ "$(id -u)" = 0 ] && dmsetup version >/dev/null 2>&1; then
  echo "test-dm: this kernel has dm-thin; running natively" >&2
  exec "${vitest[@]}"
fi
echo "test-dm: no device-mapper here; booting a ${DMVM_BACKEND:-uml} guest" >&2
started=$(date +%s)
rc=0
scripts/dm-vm-run.sh "$(printf '%q ' "${vitest[@]}")" || rc=$?
echo "test-dm: guest run took $(( $(date +%s) - started )) s (exit $rc)" >&2
exit "$rc"
