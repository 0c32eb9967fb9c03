#!/usr/bin/env bash
# Builds the tiny UEFI-bootable test disk into $1 (a new folder): a unified kernel image (the
# systemd EFI stub + Debian's kernel + a busybox/dropbear initramfs whose /init is init.sh) at
# \EFI\BOOT\BOOTX64.EFI on a GPT EFI system partition. Needs linux-image-amd64, systemd-boot-efi,
# busybox-static, dropbear-bin, dosfstools, mtools, gdisk, binutils, cpio-free (the archive is
# written by busybox). No loop device, no root filesystem: the initramfs is the whole system.
#
# `build.sh OUT --installer DISK.raw` builds instead an installer ISO, OUT/install.iso (needs
# xorriso): the same kind of kernel image, El Torito EFI-bootable, whose /init (installer-init.sh)
# writes DISK.raw (carried in its initramfs) onto the VM's first virtio disk and reboots — what an
# anaconda ISO does, in seconds.
#
# `build.sh OUT --cloud-init-only` builds the disk whose /init ignores the SMBIOS credential: the
# VM's key can reach it only through a cloud-init NoCloud seed.
set -euo pipefail
out="$1"
installer_of="${3:-}"
[ "${2:-}" != --installer ] || [ -n "$installer_of" ] || { echo "usage: build.sh OUT [--installer DISK.raw | --cloud-init-only]" >&2; exit 2; }
cloud_init_only=''
[ "${2:-}" != --cloud-init-only ] || cloud_init_only=1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kernel="$(ls /boot/vmlinuz-* | sort -V | tail -n 1)"
version="${kernel#/boot/vmlinuz-}"
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

root="$work/root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,root,lib/modules,lib64,lib/x86_64-linux-gnu,usr/lib}
cp /bin/busybox "$root/bin/busybox"
modules="virtio_pci virtio_net virtio_blk vfat nls_cp437 nls_ascii nls_utf8 button evdev"
modules="$modules isofs" # a cloud-init NoCloud seed made as an ISO
if [ -n "$installer_of" ]; then
  install -m 0755 "$here/installer-init.sh" "$root/init"
  gzip -1c "$installer_of" > "$root/disk.raw.gz"
  modules="virtio_pci virtio_blk"
else
  install -m 0755 "$here/init.sh" "$root/init"
  install -m 0755 "$here/bootc" "$root/bin/bootc"
  install -m 0755 "$here/rpm-ostree" "$root/bin/rpm-ostree"
  [ -z "$cloud_init_only" ] || : > "$root/etc/bootc-studio-cloud-init-only"
fi
for module in $modules; do
  modprobe -S "$version" --show-depends "$module" | awk '/^insmod/ { print $2 }'
done | awk '!seen[$0]++' | while read -r path; do
  base="$(basename "$path")"
  # Kept in load order: the names sort as they must be loaded.
  n=$(ls "$root/lib/modules" | wc -l)
  case "$path" in
    *.ko.xz) xz -dc "$path" > "$root/lib/modules/$(printf %02d "$n")-${base%.xz}" ;;
    *.ko.zst) zstd -qdc "$path" > "$root/lib/modules/$(printf %02d "$n")-${base%.zst}" ;;
    *) cp "$path" "$root/lib/modules/$(printf %02d "$n")-$base" ;;
  esac
done
for program in /usr/sbin/dropbear /usr/bin/dropbearkey; do
  cp "$program" "$root/bin/"
  ldd "$program" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }' | while read -r lib; do
    [ -f "$lib" ] && cp -n "$lib" "$root$lib" 2>/dev/null || { mkdir -p "$root$(dirname "$lib")"; cp -n "$lib" "$root$lib"; }
  done
done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf '/bin/sh\n' > "$root/etc/shells"
(cd "$root" && find . | sort | busybox cpio -o -H newc 2>/dev/null | gzip -9) > "$work/initrd.img"

printf 'console=ttyS0 panic=-1 quiet loglevel=3' > "$work/cmdline"
printf 'NAME="Bootc Studio test disk"\nID=bootc-studio-test\n' > "$work/os-release"
objcopy \
  --add-section .osrel="$work/os-release" --change-section-vma .osrel=0x20000 \
  --add-section .cmdline="$work/cmdline" --change-section-vma .cmdline=0x30000 \
  --add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
  --add-section .initrd="$work/initrd.img" --change-section-vma .initrd=0x3000000 \
  "$stub" "$work/BOOTX64.EFI"

size_kib=$(( ($(stat -c %s "$work/BOOTX64.EFI") / 1024) + 4096 ))
mkfs.vfat -C "$work/esp.img" "$size_kib" >/dev/null
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

mkdir -p "$out"
if [ -n "$installer_of" ]; then
  mkdir -p "$work/iso"
  cp "$work/esp.img" "$work/iso/efiboot.img"
  xorriso -as mkisofs -quiet -R -V BOOTC_STUDIO_TEST -e efiboot.img -no-emul-boot -o "$out/install.iso" "$work/iso"
  echo "$out/install.iso"
  exit 0
fi
disk="$out/disk.raw"
truncate -s $(( (size_kib + 2048) * 1024 )) "$disk"
sgdisk --new=1:2048:+${size_kib}K --typecode=1:ef00 --change-name=1:EFI "$disk" >/dev/null
dd if="$work/esp.img" of="$disk" bs=512 seek=2048 conv=notrunc status=none
echo "$disk"
