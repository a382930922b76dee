#!/usr/bin/env bash
# The README's quick start: builds Convoy, starts a daemon with the vfs driver in a directory of
# its own (no root needed, nothing outside that directory is touched), and walks a volume
# through create -> write -> snapshot -> backup -> restore, printing every command it runs.
# CONVOY_DEMO_KEEP=1 keeps the directory afterwards; CONVOY_DEMO_SKIP_BUILD=1 uses the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
cli="$repo/packages/cli/dist/index.js"

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
step() { printf '\n'; bold "== $*"; }

if [ "${CONVOY_DEMO_SKIP_BUILD:-}" != 1 ]; then
  step 'Building the packages (pnpm build: a few minutes on two cores, one line per package)'
  bash scripts/build-progress.sh
fi

demo=$(mktemp -d "${TMPDIR:-/tmp}/convoy-demo.XXXXXX")
socket="$demo/convoy.sock"
daemon_pid=
finish() {
  status=$?
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" && wait "$daemon_pid" || true
  fi
  if [ "${CONVOY_DEMO_KEEP:-}" = 1 ]; then
    echo "The demo's files stay in $demo (daemon log: $demo/daemon.log)."
  else
    rm -rf "$demo"
  fi
  if [ "$status" -ne 0 ]; then echo "demo failed (exit $status); rerun with CONVOY_DEMO_KEEP=1 and read $demo/daemon.log" >&2; fi
}
trap finish EXIT

# Quotes an argument for the shell only when it needs it, so printed commands can be pasted.
quote() {
  case $1 in
    *[!A-Za-z0-9_./:=@,+-]*) printf "'%s'" "${1//\'/\'\\\'\'}" ;;
    *) printf '%s' "$1" ;;
  esac
}
# Shows a command exactly as a user would type it (without the demo's --socket), then runs it.
convoy() {
  printf '$ convoy' >&2
  for arg in "$@"; do printf ' %s' "$(quote "$arg")" >&2; done
  printf '\n' >&2
  node "$cli" --socket "$socket" "$@"
}
shell() {
  printf '$ %s\n' "$*" >&2
  sh -c "$*"
}

step "Starting the daemon: vfs driver, everything under $demo"
printf '$ convoy daemon --root %s/root --drivers vfs --driver-opts vfs.path=%s/volumes --socket %s --docker-plugin-dir %s/docker-plugins\n' "$demo" "$demo" "$socket" "$demo"
mkdir -p "$demo/volumes"
node "$cli" daemon --root "$demo/root" --drivers vfs --driver-opts "vfs.path=$demo/volumes" \
  --socket "$socket" --docker-plugin-dir "$demo/docker-plugins" --log "$demo/daemon.log" &
daemon_pid=$!
for _ in $(seq 1 100); do
  [ -S "$socket" ] && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$demo/daemon.log" >&2; exit 1; }
  sleep 0.1
done
convoy info

step 'Creating a volume'
convoy create demo-vol
mountpoint=$(convoy mount demo-vol)
echo "$mountpoint"

step 'Writing to it'
shell "echo 'hello from Convoy' > $mountpoint/hello.txt"

step 'Taking a snapshot (an immutable point-in-time copy)'
convoy snapshot create demo-vol --name demo-snap
shell "echo 'written after the snapshot' > $mountpoint/hello.txt"

step 'Backing the snapshot up to a filesystem store'
mkdir -p "$demo/backups"
backup_url=$(convoy backup create demo-snap --dest "vfs://$demo/backups")
echo "$backup_url"
convoy backup list "vfs://$demo/backups"

step 'Restoring the backup as a new volume'
convoy create demo-restored --backup "$backup_url"
restored=$(convoy mount demo-restored)
echo "$restored"
shell "cat $restored/hello.txt"
if [ "$(cat "$restored/hello.txt")" != 'hello from Convoy' ]; then
  echo 'the restored volume does not hold the snapshot data' >&2
  exit 1
fi

step 'All volumes'
convoy list

step 'Stopping the daemon'
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=
echo 'Done: create -> write -> snapshot -> backup -> restore.'
