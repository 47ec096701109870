// SPDX-License-Identifier: Apache-2.0
// WgDriver over the userspace UAPI socket (/var/run/wireguard/IFACE.sock).
#pragma once

#include <chrono>
#include <string>

#include "wg_model.hpp"

namespace rustynet::backend_wireguard {

inline constexpr std::string_view kDefaultUapiSocketDir = "/var/run/wireguard";

// One connection per operation, like wg(8): the UAPI server handles one request per connection
// at a time, and a fresh connection never inherits a half-read reply. Not thread-safe.
class UapiDriver final : public WgDriver {
 public:
  explicit UapiDriver(std::string socket_path, std::chrono::milliseconds io_timeout = std::chrono::seconds(60));

  // One set=1 request carrying every peer of `update` (a batch is one round trip).
  [[nodiscard]] base::Status<WgError> set_device(const WgDeviceUpdate& update) override;
  [[nodiscard]] base::Result<WgDeviceState, WgError> get_device() override;

  [[nodiscard]] const std::string& socket_path() const noexcept { return socket_path_; }

 private:
  std::string socket_path_;
  std::chrono::milliseconds io_timeout_;
};

[[nodiscard]] std::string uapi_socket_path(std::string_view socket_dir, std::string_view interface_name);

}  // namespace rustynet::backend_wireguard
