#!/bin/busybox sh
# /init of the tiny test disk: what a bootc guest does that the VM tests rely on, in a few lines —
# the serial console, the SMBIOS tmpfiles credential (the VM's SSH key), a cloud-init NoCloud seed's
# keys for root, networking, an SSH server
# with a host key kept across reboots, a stand-in bootc (/bin/bootc) whose staged deployment a
# reboot applies, and a clean power-off on the ACPI power button.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /var/run /tmp /root
mount -t devpts devpts /dev/pts
exec </dev/console >/dev/console 2>&1
echo 'BOOTC-STUDIO-TEST-DISK BOOTED'

for module in /lib/modules/*.ko; do insmod "$module" 2>/dev/null; done

# systemd's tmpfiles.extra credential, as QEMU passes it: an SMBIOS type 11 OEM string.
apply_tmpfiles() {
  while read -r type path mode user group age arg; do
    case "$type" in
      d) mkdir -p "$path" && chmod "$mode" "$path" ;;
      f+~ | f~) echo "$arg" | base64 -d > "$path" && chmod "$mode" "$path" ;;
    esac
  done
}
# A disk built with --cloud-init-only ignores it: its key can come from a NoCloud seed alone.
for raw in /sys/firmware/dmi/entries/11-*/raw; do
  [ -f "$raw" ] || continue
  [ -f /etc/bootc-studio-cloud-init-only ] && { echo 'BOOTC-STUDIO-TEST-DISK CREDENTIAL IGNORED'; break; }
  length=$(od -An -tu1 -j1 -N1 "$raw" | tr -d ' ')
  tail -c +$((length + 1)) "$raw" | tr '\0' '\n' | while read -r string; do
    case "$string" in
      io.systemd.credential.binary:tmpfiles.extra=*)
        echo "${string#*=}" | base64 -d | apply_tmpfiles
        echo 'BOOTC-STUDIO-TEST-DISK CREDENTIAL APPLIED'
        ;;
    esac
  done
done

# The EFI system partition keeps what must survive a reboot (in the VM's own overlay): the
# stand-in bootc's deployments and the SSH host key, as a real host keeps them in /sysroot and /etc.
mkdir -p /esp
tries=0
while [ ! -b /dev/vda1 ] && [ "$tries" -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
host_key=''
if mount -t vfat /dev/vda1 /esp 2>/dev/null; then
  bootc boot-apply
  host_key=/esp/dropbear_ed25519_host_key
  [ -f "$host_key" ] || dropbearkey -t ed25519 -f "$host_key" >/dev/null 2>&1
fi

# A cloud-init NoCloud seed: a disk whose volume label is cidata (ISO 9660, or FAT, whose label
# cloud-init matches without regard to case). Root's keys from its user-data, as cloud-init gives
# them: the top-level ssh_authorized_keys with disable_root: false, and a users entry named root.
seed_label() {
  iso=$(dd if="$1" bs=1 skip=32808 count=32 2>/dev/null | tr -d ' \0')
  fat=$(dd if="$1" bs=1 skip=43 count=11 2>/dev/null | tr -d ' \0')
  echo "$iso $fat" | tr 'A-Z' 'a-z'
}
root_keys() {
  awk '
    function item(line) { sub(/^ *- +/, "", line); gsub(/^"|"$/, "", line); return line }
    /^[^ #]/ { top = $0; sub(/:.*/, "", top) }
    /^disable_root: *false *$/ { root_ok = 1 }
    top == "ssh_authorized_keys" && /^ +- / { top_keys[++nt] = item($0) }
    top == "users" && /^  - / { n++; section = "" }
    top == "users" && /^  [- ] +name: *"?root"? *$/ { is_root[n] = 1 }
    top == "users" && /^(  - |    )[a-z_]+:/ { section = $0; sub(/^ *(- )?/, "", section); sub(/:.*/, "", section) }
    top == "users" && section == "ssh_authorized_keys" && /^      - / { keys[n, ++nk[n]] = item($0) }
    END {
      if (root_ok) for (i = 1; i <= nt; i++) print top_keys[i]
      for (e = 1; e <= n; e++) if (is_root[e]) for (j = 1; j <= nk[e]; j++) print keys[e, j]
    }'
}
for dev in /dev/vd[b-z] /dev/sr[0-9]; do
  [ -b "$dev" ] || continue
  case " $(seed_label "$dev") " in *' cidata '*) ;; *) continue ;; esac
  mkdir -p /seed
  mount -o ro -t iso9660 "$dev" /seed 2>/dev/null || mount -o ro -t vfat "$dev" /seed 2>/dev/null || continue
  if [ -f /seed/meta-data ] && [ -f /seed/user-data ]; then
    keys=$(root_keys </seed/user-data)
    if [ -n "$keys" ]; then
      mkdir -p /root/.ssh && chmod 0700 /root/.ssh
      echo "$keys" >>/root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys
      echo 'BOOTC-STUDIO-TEST-DISK NOCLOUD SEED APPLIED'
    fi
  fi
  umount /seed
done

ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
mkdir -p /etc/dropbear
if [ -n "$host_key" ] && [ -f "$host_key" ]; then dropbear -r "$host_key" -s -p 22; else dropbear -R -s -p 22; fi
echo 'BOOTC-STUDIO-TEST-DISK SSH READY'

# A shell on the serial console, again whenever it ends.
(while true; do setsid sh -c 'exec sh -i </dev/ttyS0 >/dev/ttyS0 2>&1'; done) &

# The ACPI power button: one event from its input device, then power off.
for name in /sys/class/input/input*/name; do
  if [ "$(cat "$name")" = 'Power Button' ]; then
    event=$(ls "$(dirname "$name")" | grep '^event' | head -n 1)
    dd if="/dev/input/$event" bs=24 count=1 >/dev/null 2>&1
    echo 'BOOTC-STUDIO-TEST-DISK POWERING OFF'
    poweroff -f
  fi
done
while true; do sleep 3600; done
