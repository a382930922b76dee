#!/bin/bash
# The README's "Disaster recovery" transcript, reproducible: two daemons on this machine (vfs),
# one shared directory store under /tmp/dr (removed first). Needs `pnpm build`. Prints each
# command as `$ ...` and its output; stops both daemons (by their pids) at the end.
set -u
CONVOY_JS=$(cd "$(dirname "$0")/.." && pwd)/packages/cli/dist/index.js
[ -f "$CONVOY_JS" ] || { echo "no $CONVOY_JS: run pnpm build first" >&2; exit 1; }
D=/tmp/dr
rm -rf $D; mkdir -p $D/store $D/a/vols $D/b/vols
convoy() { node $CONVOY_JS "$@"; }
show() { echo "\$ $*"; eval "$@"; echo; }
start() { # name
  node $CONVOY_JS daemon --root $D/$1/root --socket $D/$1.sock --drivers vfs --driver-opts vfs.path=$D/$1/vols --docker-plugin-dir $D/$1/plugins --log $D/$1.log &
  echo $! > $D/$1.pid
  for i in $(seq 1 100); do [ -S $D/$1.sock ] && break; sleep 0.1; done
}
start a; start b
echo '# host A: the source volume, backed up every 30 s into the shared store'
show 'convoy -s /tmp/dr/a.sock create db'
show 'echo "order 1" > $(convoy -s /tmp/dr/a.sock mount db)/orders.txt'
show 'convoy -s /tmp/dr/a.sock --table schedule create db-backups --volume db --every 30s --backup vfs:///tmp/dr/store --keep-last 10'
sleep 31
show 'convoy -s /tmp/dr/a.sock --table backup list vfs:///tmp/dr/store --volume-name db'
FIRST=$(convoy -s $D/a.sock --json backup list vfs:///tmp/dr/store --volume-name db | node -e 'const m=JSON.parse(require("fs").readFileSync(0));console.log(Object.keys(m)[0])')
echo '# host B: a standby restored from that backup, following the store every 30 s'
show "convoy -s /tmp/dr/b.sock create db-dr --backup '$FIRST' --standby"
show 'convoy -s /tmp/dr/b.sock --table schedule create db-follow --standby db-dr --follow vfs:///tmp/dr/store --every 30s'
show 'convoy -s /tmp/dr/b.sock mount db-dr'
echo '# the source changes; its next scheduled backup runs, and the standby follows'
show 'echo "order 2" >> /tmp/dr/a/vols/db/orders.txt'
sleep 62
show 'convoy -s /tmp/dr/b.sock --table schedule list'
show 'convoy -s /tmp/dr/b.sock inspect db-dr'
echo '# runs on demand: a backup on A now, then the follow schedule on B (vfs: a full re-extract)'
show 'echo "order 3" >> /tmp/dr/a/vols/db/orders.txt'
show 'convoy -s /tmp/dr/a.sock --table schedule run db-backups'
show 'convoy -s /tmp/dr/b.sock --table schedule run db-follow'
show 'convoy -s /tmp/dr/b.sock --table standby sync db-dr'
echo '# host A is lost: stop following, activate the standby, use it'
kill $(cat $D/a.pid); wait $(cat $D/a.pid) 2>/dev/null
show 'convoy -s /tmp/dr/b.sock schedule delete db-follow'
show 'convoy -s /tmp/dr/b.sock --table standby activate db-dr'
show 'cat $(convoy -s /tmp/dr/b.sock mount db-dr)/orders.txt'
kill $(cat $D/b.pid); wait $(cat $D/b.pid) 2>/dev/null
