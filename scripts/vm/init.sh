#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init of the kernel-test VM: mount the basics, load the modules in modules.dep order, run the
# test payload, print one RESULT line and report pass/fail through qemu's isa-debug-exit port.
export PATH=/bin:/sbin
export GTEST_COLOR=no WG_COLOR_MODE=never
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /run/netns
echo "vm: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpu(s), userspace up at $(cut -d' ' -f1 /proc/uptime) s"

status=0
for module in $(cat /etc/vm-modules); do
  if ! insmod "/lib/modules/$module"; then
    echo "vm: insmod $module failed"
    status=1
  fi
done
echo "vm: $(wc -l < /etc/vm-modules) modules loaded at $(cut -d' ' -f1 /proc/uptime) s"

if [ "$status" -eq 0 ]; then
  if [ -f /test/run.sh ]; then
    sh /test/run.sh
    status=$?
  else
    echo "vm: no test payload in the initramfs"
    status=1
  fi
fi

echo "vm: tests finished at $(cut -d' ' -f1 /proc/uptime) s"
if [ "$status" -eq 0 ]; then
  echo "RESULT: PASS"
  code='\000'
else
  echo "RESULT: FAIL (status $status)"
  code='\001'
fi
# qemu exits with (code << 1) | 1: 1 = pass, 3 = fail. poweroff is only the fallback.
printf "$code" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
