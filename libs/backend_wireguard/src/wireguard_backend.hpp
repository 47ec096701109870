// SPDX-License-Identifier: Apache-2.0
// WireGuardBackend: TunnelBackend over a DeviceHost + WgDriver + rtnetlink (internal header).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "device_host.hpp"
#include "rtnl.hpp"
#include "rustynet/backend_api/tunnel_backend.hpp"
#include "rustynet/backend_wireguard/factory.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::backend_wireguard {

class UserspaceHost;

class WireGuardBackend final : public backend_api::TunnelBackend {
 public:
  explicit WireGuardBackend(WireGuardBackendOptions options);
  ~WireGuardBackend() override;

  [[nodiscard]] std::string_view name() const override { return "wireguard"; }
  [[nodiscard]] backend_api::BackendCapabilities capabilities() const override;
  backend_api::BackendStatus start(const backend_api::RuntimeContext& context) override;
  backend_api::BackendStatus configure_peer(const backend_api::PeerConfig& peer) override;
  backend_api::BackendStatus configure_peers(std::span<const backend_api::PeerConfig> peers) override;
  backend_api::BackendStatus remove_peer(const backend_api::NodeId& node_id) override;
  backend_api::BackendStatus apply_routes(std::span<const backend_api::Route> routes) override;
  backend_api::BackendStatus set_exit_mode(const backend_api::ExitMode& mode) override;
  backend_api::BackendResult<backend_api::TunnelStats> stats() override;
  backend_api::BackendStatus shutdown() override;

  // Test hooks: the supervised daemon's pid (-1 if none) and how many times it was restarted.
  [[nodiscard]] int daemon_pid();
  [[nodiscard]] std::size_t daemon_restarts() const noexcept { return restarts_.load(); }
  // The driver chosen by the last successful start().
  [[nodiscard]] DriverKind active_driver();
  // Interface index of the device (0 when not running).
  [[nodiscard]] int interface_index();

 private:
  struct Desired;  // the configuration to (re-)apply

  backend_api::BackendStatus start_locked(const backend_api::RuntimeContext& context);
  // Creates the device and applies link settings, device key/port and `peers` (one batch) and routes.
  backend_api::BackendStatus bring_up_locked(bool restart);
  backend_api::BackendStatus configure_link_locked();
  backend_api::BackendStatus sync_routes_locked(const std::vector<RouteEntry>& desired);
  backend_api::BackendStatus wait_link_gone_locked(const std::string& operation);
  void restart_locked();
  void teardown_locked() noexcept;
  void watchdog_loop();
  void stop_watchdog();

  WireGuardBackendOptions options_;
  std::mutex mutex_;
  bool running_ = false;
  bool stopping_ = false;
  std::unique_ptr<Desired> desired_;
  std::optional<Rtnl> rtnl_;
  std::unique_ptr<DeviceHost> host_;
  UserspaceHost* userspace_ = nullptr;  // host_ when the userspace driver is in use (test hooks)
  DriverKind active_driver_ = DriverKind::kUserspace;
  int ifindex_ = 0;
  bool device_created_ = false;  // this lifecycle created the device: teardown may remove it
  base::UniqueFd wake_fd_;
  std::thread watchdog_;
  std::atomic<std::size_t> restarts_{0};
};

}  // namespace rustynet::backend_wireguard
