#!/usr/bin/env bash
# The one command that runs every test: lint and format, build, typecheck, unit and integration tests on the
# host, end-to-end tests against a real dockerd and a real S3 server, device-mapper tests in a
# real kernel, and the benchmark harness at its quick size. Under CI=true nothing may skip.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }
# Style first: it takes seconds, and a reviewer should never have to comment on it.
step 'lint and format (Biome)'; pnpm lint && pnpm format:check
step build;     pnpm build
step typecheck; pnpm typecheck
# Every package stands alone: it typechecks, and its tests pass, from its own directory with only
# what its package.json declares (workspace packages resolve through their exports, never aliases).
step 'typecheck each package on its own'
for p in packages/*/; do (cd "$p" && echo "tsc -p $p" && npx tsc --noEmit -p .); done
# The release tarball, built once: its tests (release/), the managed-plugin and the image e2e run it.
step 'release tarball (pnpm release)'
CONVOY_RELEASE_TARBALL=$(node release/build-release.mjs)
export CONVOY_RELEASE_TARBALL
step 'unit and integration tests, each package from its own directory'
for p in packages/*/ examples/*/ integration/ release/; do
  [ -f "$p/vitest.config.ts" ] || { echo "test-all: $p has no vitest.config.ts (see vitest.shared.ts)" >&2; exit 1; }
  (cd "$p" && echo "vitest run in $p" && npx vitest run)
done
step 'end-to-end tests (dockerd, S3, the managed Docker plugin, the Kubernetes image)'; pnpm exec vitest run --project e2e
# Natively where the kernel has device-mapper, else all in one user-mode-linux guest boot.
step 'device-mapper tests (real dm-thin kernel)'; bash scripts/test-dm.sh
# The README's quick start, run from the built binary exactly as a new user runs it.
step 'quick-start demo (pnpm demo)'; CONVOY_DEMO_SKIP_BUILD=1 pnpm demo
# The benchmark harness at its quick size, so it never rots; it asserts no time, only that every
# tool backs up and restores the same data bit-exact.
step 'benchmark harness (pnpm bench --quick)'; pnpm bench --quick
