# SPDX-License-Identifier: Apache-2.0
# Kernel (generic netlink) driver sources, owned by the kernel-driver work. Paths relative to
# libs/backend_wireguard. Appended by libs/backend_wireguard/CMakeLists.txt.
set(RUSTYNET_WG_KERNEL_SOURCES "")
