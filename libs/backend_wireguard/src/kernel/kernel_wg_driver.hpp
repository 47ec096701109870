// SPDX-License-Identifier: Apache-2.0
// KernelWgDriver: WgDriver for one Linux kernel WireGuard interface over generic netlink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kernel/genl_wireguard.hpp"
#include "kernel/netlink_socket.hpp"
#include "rustynet/base/result.hpp"
#include "wg_model.hpp"

namespace rustynet::backend_wireguard::kernel {

struct KernelWgDriverOptions {
  // Upper bound of each WG_CMD_SET_DEVICE request; larger updates are split.
  std::size_t max_message_size = kDefaultMaxMessageSize;
  // How often get_device restarts a dump the kernel flagged as inconsistent (NLM_F_DUMP_INTR).
  int dump_retries = 3;
};

// Talks to the interface `ifname` in the network namespace the socket was opened in. The
// interface itself is created and deleted elsewhere (see wireguard_link.hpp). Not thread-safe.
class KernelWgDriver final : public WgDriver {
 public:
  // Opens a generic-netlink socket in the calling thread's network namespace and resolves the
  // "wireguard" family. Errors: socket errors; ENOENT when the module is not loaded.
  [[nodiscard]] static base::Result<std::unique_ptr<KernelWgDriver>, WgError> open(std::string ifname,
                                                                                   KernelWgDriverOptions options = {});

  // Test seam: any NetlinkSocket; the family is resolved on first use.
  KernelWgDriver(std::string ifname, std::unique_ptr<NetlinkSocket> socket, KernelWgDriverOptions options = {});

  // Sends `update` as one or more WG_CMD_SET_DEVICE requests, each acknowledged before the next is
  // sent; stops at the first error (earlier requests stay applied; every request only adds,
  // updates or removes individual peers, so a partial apply never drops unrelated sessions).
  [[nodiscard]] base::Status<WgError> set_device(const WgDeviceUpdate& update) override;
  // Dumps the device (WG_CMD_GET_DEVICE), merging peers split across messages.
  [[nodiscard]] base::Result<WgDeviceState, WgError> get_device() override;

  // Number of WG_CMD_SET_DEVICE requests the last set_device sent (observability for tests).
  [[nodiscard]] std::size_t last_request_count() const noexcept { return last_request_count_; }

 private:
  base::Result<std::uint16_t, WgError> family_id();
  base::Result<WgDeviceState, WgError> dump_once(std::uint16_t family);
  std::uint32_t next_seq() noexcept { return ++seq_; }

  std::string ifname_;
  std::unique_ptr<NetlinkSocket> socket_;
  KernelWgDriverOptions options_;
  std::optional<std::uint16_t> family_id_;
  std::uint32_t seq_ = 0;
  std::size_t last_request_count_ = 0;
};

}  // namespace rustynet::backend_wireguard::kernel
