// SPDX-License-Identifier: Apache-2.0
// DeviceHost backed by a supervised userspace daemon (wireguard-go) and its UAPI socket.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "device_host.hpp"
#include "uapi_driver.hpp"
#include "userspace_process.hpp"

namespace rustynet::backend_wireguard {

struct UserspaceHostOptions {
  std::string binary_path = "/usr/bin/wireguard-go";
  std::string socket_dir = std::string(kDefaultUapiSocketDir);  // where the daemon puts IFACE.sock
  std::optional<std::string> netns_path;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(10);
  bool terminate_with_owner = false;
};

class UserspaceHost final : public DeviceHost {
 public:
  explicit UserspaceHost(UserspaceHostOptions options) : options_(std::move(options)) {}
  ~UserspaceHost() override { destroy(); }
  UserspaceHost(const UserspaceHost&) = delete;
  UserspaceHost& operator=(const UserspaceHost&) = delete;

  // Refuses (kNameInUse) when a live daemon already answers on the interface's socket, and
  // reports kPermissionDenied when the socket exists but may not be opened.
  [[nodiscard]] base::Status<HostError> create(const std::string& interface_name) override;
  [[nodiscard]] WgDriver& driver() override { return *driver_; }
  [[nodiscard]] int exit_fd() const override { return process_.has_value() ? process_->exit_fd() : -1; }
  [[nodiscard]] bool alive() override { return process_.has_value() && process_->alive(); }
  void destroy() noexcept override;

  // After a stale device was deleted: waits until no daemon answers on the interface's control
  // socket any more (the old daemon exits once its tun device is gone). False on timeout.
  [[nodiscard]] bool wait_socket_released(const std::string& interface_name, std::chrono::milliseconds timeout);

  // The daemon's pid (tests use it to simulate a crash); -1 when none.
  [[nodiscard]] int daemon_pid() const noexcept { return process_.has_value() ? process_->pid() : -1; }

 private:
  UserspaceHostOptions options_;
  std::optional<UserspaceProcess> process_;
  std::unique_ptr<UapiDriver> driver_;
  std::string socket_path_;
};

}  // namespace rustynet::backend_wireguard
