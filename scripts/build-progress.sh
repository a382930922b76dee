#!/usr/bin/env bash
# `pnpm build` as a person watches it (pnpm demo): one line as each package starts and as it is
# done, with the seconds since the start, instead of minutes of silence or of tsup's output. That
# output goes to a log, shown when the build fails. Arguments replace the build command (for its
# test: one package's `pnpm -r --filter X run build`).
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp "${TMPDIR:-/tmp}/convoy-build.XXXXXX")
trap 'rm -f "$log"' EXIT
command=("$@")
[ ${#command[@]} -gt 0 ] || command=(pnpm build)
started=$SECONDS
status=0
"${command[@]}" 2>&1 | tee "$log" | while IFS= read -r line; do
  case $line in
    *' build$ '*) printf '  %4ss  building %s\n' $((SECONDS - started)) "${line%% build\$ *}" ;;
    *' build: Done') printf '  %4ss  built    %s\n' $((SECONDS - started)) "${line%% build: Done}" ;;
  esac
done || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 40 "$log" >&2
  echo "pnpm build failed (exit $status); its last lines are above" >&2
  exit "$status"
fi
printf '  %4ss  all packages built\n' $((SECONDS - started))
