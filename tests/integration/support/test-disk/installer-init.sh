#!/bin/busybox sh
# /init of the test installer ISO: what an installer ISO does that the VM tests rely on — it finds
# the VM's blank disk, writes the system onto it (the test disk, carried as /disk.raw.gz) and
# reboots, which ends QEMU when it runs with -no-reboot.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
echo 'BOOTC-STUDIO-TEST-INSTALLER RUNNING'
for module in /lib/modules/*.ko; do insmod "$module" 2>/dev/null; done
tries=0
while [ ! -b /dev/vda ] && [ "$tries" -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
if [ ! -b /dev/vda ]; then
  echo 'BOOTC-STUDIO-TEST-INSTALLER NO DISK'
  poweroff -f
fi
gunzip -c /disk.raw.gz | dd of=/dev/vda bs=1M conv=fsync 2>/dev/null
sync
echo 'BOOTC-STUDIO-TEST-INSTALLER DONE'
reboot -f
