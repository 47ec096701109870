// SPDX-License-Identifier: Apache-2.0
// DeviceHost for the Linux kernel module: creates the "wireguard" link over rtnetlink and hands the
// adapter a KernelWgDriver for it; destroy() deletes the link it created.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "device_host.hpp"
#include "kernel/kernel_wg_driver.hpp"
#include "kernel/netlink_socket.hpp"

namespace rustynet::backend_wireguard::kernel {

struct KernelHostOptions {
  // Operate inside this network namespace (e.g. "/run/netns/NAME"); nullopt: the caller's. The
  // sockets are opened on a short-lived thread that enters it; no caller thread changes namespace.
  std::optional<std::string> netns_path;
  KernelWgDriverOptions driver;
};

// Opens a netlink socket of `protocol` (NETLINK_ROUTE / NETLINK_GENERIC); the seam tests replace.
using NetlinkSocketFactory = std::function<base::Result<std::unique_ptr<NetlinkSocket>, WgError>(int protocol)>;

// Opens the socket inside `netns_path` (if given) without moving the calling thread.
[[nodiscard]] base::Result<std::unique_ptr<NetlinkSocket>, WgError> open_netlink_socket_in(
    int protocol, const std::optional<std::string>& netns_path);

// Driver detection: true if the "wireguard" generic-netlink family resolves in that namespace
// (the lookup itself lets the kernel autoload the module), false on ENOENT; other failures are
// errors (e.g. EPERM). Cheap: one socket, one CTRL_CMD_GETFAMILY round trip.
[[nodiscard]] base::Result<bool, WgError> kernel_wireguard_available(const std::optional<std::string>& netns_path);
[[nodiscard]] base::Result<bool, WgError> kernel_wireguard_available(std::unique_ptr<NetlinkSocket> genl_socket);

class KernelHost final : public DeviceHost {
 public:
  explicit KernelHost(KernelHostOptions options);
  KernelHost(KernelHostOptions options, NetlinkSocketFactory factory);
  ~KernelHost() override { destroy(); }
  KernelHost(const KernelHost&) = delete;
  KernelHost& operator=(const KernelHost&) = delete;

  // Errors: kNameInUse (EEXIST: a link with that name exists; it is left untouched),
  // kImplementationMissing (no wireguard module: EOPNOTSUPP from RTM_NEWLINK or no genl family),
  // kPermissionDenied (EPERM/EACCES), kFailed otherwise. On any failure after the link was
  // created, the link is deleted again (no leftovers).
  [[nodiscard]] base::Status<HostError> create(const std::string& interface_name) override;
  [[nodiscard]] WgDriver& driver() override { return *driver_; }
  [[nodiscard]] int exit_fd() const override { return -1; }
  [[nodiscard]] bool alive() override { return driver_ != nullptr; }
  void destroy() noexcept override;

 private:
  KernelHostOptions options_;
  NetlinkSocketFactory factory_;
  std::unique_ptr<NetlinkSocket> route_;
  std::unique_ptr<KernelWgDriver> driver_;
  std::string interface_name_;
  std::uint32_t route_seq_ = 0;
};

}  // namespace rustynet::backend_wireguard::kernel
