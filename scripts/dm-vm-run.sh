#!/usr/bin/env bash
# dm-vm-run.sh — run a shell command as root inside a throw-away Linux guest whose
# kernel has device-mapper thin provisioning (dm-thin-pool), for CI on hosts without it.
#
#   usage: dm-vm-run.sh 'COMMAND STRING'   -> streams its output, exits with its code
#
# The guest sees the host's whole filesystem (node, dmsetup, thin_delta, mkfs.ext4,
# node_modules, /tmp ...) as an overlay whose writes stay in guest RAM and are
# discarded, except the current directory, which is shared read-write at the same
# path. The command runs there under bash with the caller's exported environment
# plus DM_DISABLE_UDEV=1 (no udev in the guest: libdevmapper makes /dev/mapper nodes).
#
# The guest has no network but its loopback interface is up, so tests can run servers
# (s3rver) on 127.0.0.1 inside it.
#
# Env: DMVM_BACKEND uml (default: Debian's user-mode-linux; one package, about 2x faster
#                   than TCG, 1 CPU)
#                   | qemu (Debian's stock kernel under QEMU; TCG emulation, or KVM if
#                   DMVM_ACCEL=kvm and the host's KVM can boot a stock kernel)
#      DMVM_CACHE   where the kernel + initramfs are built once (default $HOME/.cache/dm-vm)
#      DMVM_MEM     guest RAM in MiB (default 2048)   DMVM_CPUS qemu vCPUs (default 2)
#      DMVM_TIMEOUT seconds before the guest is killed (default 1800)
#      DMVM_MODULES extra kernel modules to load (space separated)
# Exit: the command's exit code; 125 when the guest gave none (its console log is shown).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 'command'" >&2; exit 2; }
BACKEND=${DMVM_BACKEND:-uml} CACHE=${DMVM_CACHE:-$HOME/.cache/dm-vm}
MODS="loop overlay ext4 dm-thin-pool ${DMVM_MODULES:-}"
bb=/bin/busybox

# ---- 1. host packages -------------------------------------------------------
need=()
command -v depmod >/dev/null || need+=(kmod)
[ -x $bb ] || need+=(busybox-static)          # Debian's static build has cpio -o, insmod
command -v thin_delta >/dev/null || need+=(thin-provisioning-tools)
command -v dmsetup >/dev/null || need+=(dmsetup)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if [ "$BACKEND" = uml ]; then command -v linux.uml >/dev/null || need+=(user-mode-linux)
else command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86); fi
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need[@]}" >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends "${need[@]}" >&2; }
fi

# ---- 2. guest /init (shared by both backends; ${dmvm_*} come from the kernel cmdline) ----
read -r -d '' INIT <<'EOF' || true
#!/bin/busybox sh
b=/bin/busybox; export PATH=/usr/sbin:/usr/bin:/sbin:/bin
$b mkdir -p /proc /sys /dev /run 2>/dev/null       # (fails harmlessly on UML's read-only root)
$b mount -t proc proc /proc; $b mount -t sysfs sysfs /sys; $b mount -t devtmpfs dev /dev 2>/dev/null
for m in $($b cat $dmvm_mods); do $b insmod $m || echo "insmod $m failed"; done
$b ifconfig lo 127.0.0.1 up || echo "loopback interface could not be brought up"
$b mount -t tmpfs scratch /run; S=/run/s N=/run/s/new; $b mkdir -p $S/host $S/ctl $S/rw $N
share() {  # TAG HOSTPATH MOUNTPOINT [ro]: 9p (qemu) by tag, hostfs (uml) by host path
  if [ $dmvm_fs = 9p ]; then
    $b mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000${4:+,ro,cache=loose} "$1" "$3"
  else $b mount -t hostfs -o ${4:+ro,}"$2" none "$3"; fi; }
share hostroot / $S/host ro; share ctl "$dmvm_ctl" $S/ctl
$b mount -t tmpfs -o mode=755 rw $S/rw; $b mkdir $S/rw/u $S/rw/w
$b mount -t overlay -o lowerdir=$S/host,upperdir=$S/rw/u,workdir=$S/rw/w root $N
for d in proc sys dev; do $b mount --bind /$d $N/$d; done
$b mkdir -p $N/dev/pts $N/dev/shm; $b mount -t devpts -o ptmxmode=666 devpts $N/dev/pts
$b mount -t tmpfs shm $N/dev/shm
$b mount -t tmpfs -o mode=755 run $N/run; $b mkdir -p $N/run/dmvm; $b mount --move $S/ctl $N/run/dmvm
C=$N/run/dmvm CWD=$($b cat $C/cwd)
[ "$CWD" = / ] || { $b mkdir -p "$N$CWD"; share cwd "$CWD" "$N$CWD"; }
$b chroot $N /bin/bash /run/dmvm/cmd.sh > $C/log 2>&1 < $N/dev/null
echo $? > $C/rc; $b sync; $b poweroff -f
EOF

# ---- 3. build the guest kernel + initramfs once under $CACHE (flock: parallel-safe) ----
mkdir -p "$CACHE"; exec 9>"$CACHE/.lock"; flock 9
stamp=$(printf '%s\n' "$INIT" "$MODS" | md5sum | cut -c1-16)
if [ "$BACKEND" = uml ]; then      # UML: kernel + modules come from the package; no initramfs
  kver=$(ls /usr/lib/uml/modules | head -1); mkdir -p "$CACHE/uml/lib/modules"
  ln -sfn "/usr/lib/uml/modules/$kver" "$CACHE/uml/lib/modules/$kver"
  modprobe -d "$CACHE/uml" -S "$kver" -a --show-depends $MODS | awk '$1=="insmod"{print $2}' |
    awk '!seen[$0]++' > "$CACHE/uml/mods"
  printf '%s\n' "$INIT" > "$CACHE/uml/init"; chmod +x "$CACHE/uml/init"
elif [ "$(cat "$CACHE/stamp" 2>/dev/null)" != "$stamp" ]; then   # (re)build when init/modules change
  echo "dm-vm-run: building kernel + initramfs in $CACHE" >&2
  b=$(mktemp -d "$CACHE/build.XXXXXX")
  kpkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
  pkg=$(kpkg); [ -n "$pkg" ] || { apt-get update >&2; pkg=$(kpkg); }    # e.g. linux-image-6.1.0-56-amd64
  (cd "$b" && apt-get download "$pkg" 2>&1 | { grep -v '^W: Download is performed unsandboxed' >&2 || true; })
  dpkg -x "$b"/*.deb "$b/k"; kver=$(ls "$b/k/lib/modules"); depmod -b "$b/k" "$kver"
  mkdir -p "$b/i/bin" "$b/i/mods"; cp $bb "$b/i/bin/busybox"
  printf '%s\n' "$INIT" > "$b/i/init"; chmod +x "$b/i/init"
  # the needed .ko files in dependency order, copied flat into /mods, listed in /mods/order
  modprobe -d "$b/k" -S "$kver" -a --show-depends virtio_pci 9pnet_virtio 9p crc32c_generic \
    crc32c-intel $MODS | awk '$1=="insmod"{print $2}' | awk '!seen[$0]++' | while read -r ko; do
      cp "$ko" "$b/i/mods/" && echo "/mods/${ko##*/}" >> "$b/i/mods/order"; done
  (cd "$b/i" && find . | $bb cpio -o -H newc 2>/dev/null | gzip -1) > "$b/initrd.img"
  # an uncompressed vmlinux boots via PVH, skipping BIOS + decompression (~3 s under TCG)
  z=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$b"/k/boot/vmlinuz-* | head -1 | cut -d: -f1) || true
  [ -z "$z" ] || { tail -c +$((z + 1)) "$b"/k/boot/vmlinuz-* | xz -dcq --single-stream || :
                 } > "$b/vmlinux"
  if [ "$(head -c 4 "$b/vmlinux" | tail -c 3)" = ELF ]; then mv "$b/vmlinux" "$CACHE/kernel"
  else cp "$b"/k/boot/vmlinuz-* "$CACHE/kernel"; fi      # fallback: bzImage (slower boot)
  mv "$b/initrd.img" "$CACHE/initrd.img"; rm -rf "$b"; echo "$stamp" > "$CACHE/stamp"
fi
flock -u 9

# ---- 4. per-run control dir: cwd, the script to run (env + cd + command), later log + rc ----
vm=; ctl=$(mktemp -d); trap 'kill $vm $tl 2>/dev/null || :; rm -rf "$ctl"' EXIT; tl=
trap 'exit 130' INT TERM
pwd -P > "$ctl/cwd"
{ export -p | grep -vE '^declare -x (PWD|OLDPWD|SHLVL|_)(=|$)'
  echo 'export DM_DISABLE_UDEV=${DM_DISABLE_UDEV:-1}'
  printf 'cd -- %q || exit 125\n' "$(pwd -P)"; printf '%s\n' "$1"; } > "$ctl/cmd.sh"
: > "$ctl/log"

# ---- 5. boot, stream the log while the guest runs ----
if [ "$BACKEND" = uml ]; then
  timeout -k 10 "${DMVM_TIMEOUT:-1800}" linux.uml mem="${DMVM_MEM:-2048}M" rootfstype=hostfs \
    rootflags=/ ro init="$CACHE/uml/init" dmvm_fs=hostfs dmvm_ctl="$ctl" \
    dmvm_mods="$CACHE/uml/mods" con=null con0=null,fd:1 quiet >"$ctl/console.log" 2>&1 </dev/null &
else
  accel=${DMVM_ACCEL:-tcg}; cpu=max; [ "$accel" = kvm ] && cpu=host
  fs() { echo "local,path=$1,mount_tag=$2,security_model=none,multidevs=remap${3:-}"; }
  # shellcheck disable=SC2054  # (commas are qemu syntax)
  args=(-nodefaults -no-user-config -display none -no-reboot -monitor none
    -machine q35,accel="$accel" -cpu "$cpu" -m "${DMVM_MEM:-2048}" -smp "${DMVM_CPUS:-2}"
    -kernel "$CACHE/kernel" -initrd "$CACHE/initrd.img" -serial "file:$ctl/console.log"
    -append "console=ttyS0 quiet panic=-1 rdinit=/init dmvm_fs=9p dmvm_mods=/mods/order"
    -virtfs "$(fs / hostroot ,readonly=on)" -virtfs "$(fs "$ctl" ctl)")
  [ "$(pwd -P)" = / ] || args+=(-virtfs "$(fs "$(pwd -P)" cwd)")
  timeout -k 10 "${DMVM_TIMEOUT:-1800}" qemu-system-x86_64 "${args[@]}" </dev/null 2>"$ctl/qemu.err" &
fi
vm=$!
tail -n +1 -s 0.2 -f --pid=$vm "$ctl/log" & tl=$!   # stream the output; ends after the VM
wait $vm && vmrc=0 || vmrc=$?; vm=; wait $tl || true; tl=
[ -s "$ctl/rc" ] && exit "$(cat "$ctl/rc")"
echo "dm-vm-run: $BACKEND guest gave no exit code (vm rc=$vmrc; 124 = DMVM_TIMEOUT); console:" >&2
tail -n 30 "$ctl/console.log" "$ctl/qemu.err" >&2 2>/dev/null || true
exit 125
