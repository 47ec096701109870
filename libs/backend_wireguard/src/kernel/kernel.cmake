# SPDX-License-Identifier: Apache-2.0
# Kernel (generic netlink) driver sources, owned by the kernel-driver work. Paths relative to
# libs/backend_wireguard. Appended by libs/backend_wireguard/CMakeLists.txt.
set(RUSTYNET_WG_KERNEL_SOURCES
  src/kernel/genl_wireguard.cpp
  src/kernel/kernel_host.cpp
  src/kernel/kernel_wg_driver.cpp
  src/kernel/netlink_message.cpp
  src/kernel/netlink_socket.cpp
  src/kernel/netlink_view.cpp
  src/kernel/wireguard_link.cpp
)
