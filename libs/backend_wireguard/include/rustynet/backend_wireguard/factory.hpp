// SPDX-License-Identifier: Apache-2.0
// The WireGuard tunnel backend's only entry point: options and a factory returning TunnelBackend.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "rustynet/backend_api/tunnel_backend.hpp"
#include "rustynet/backend_wireguard/driver_kind.hpp"

namespace rustynet::backend_wireguard {

struct WireGuardBackendOptions {
  // nullopt: detect at start(). This build implements the userspace driver; an explicit kKernel
  // request fails start() with kUnsupported until the kernel driver is linked in.
  std::optional<DriverKind> driver;
  // The userspace implementation to supervise (Debian: package wireguard-go).
  std::string userspace_binary = "/usr/bin/wireguard-go";
  // Crash cleanup deletes a leftover interface only if its name starts with this prefix AND it
  // carries the ownership alias this backend writes on every interface it creates.
  std::string owned_interface_prefix = "rn";
  // Operate inside this network namespace (e.g. "/var/run/netns/NAME"); nullopt: the caller's.
  // Netlink sockets are opened inside it and the daemon is started inside it; the calling
  // threads never change namespace.
  std::optional<std::string> network_namespace_path;
  std::chrono::milliseconds daemon_start_timeout = std::chrono::seconds(10);
  // Let the daemon die (SIGTERM) when the thread that started it exits: for tests, so a crashed
  // test run leaves no daemon behind. Off by default: a daemon whose start() runs on a
  // short-lived thread would lose its tunnel, and after a crash start() cleans up anyway.
  bool terminate_daemon_with_owner = false;
};

// A new, not running backend. Thread-compatible like every TunnelBackend; internally it also runs
// a watchdog thread (started by start(), joined by shutdown()) that restarts a dead userspace
// daemon and re-applies the whole configuration.
[[nodiscard]] std::unique_ptr<backend_api::TunnelBackend> make_wireguard_backend(
    const WireGuardBackendOptions& options);

}  // namespace rustynet::backend_wireguard
