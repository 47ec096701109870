// SPDX-License-Identifier: Apache-2.0
// The daemon's composition root: the one place that turns backend config into a TunnelBackend.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon_config.hpp"
#include "daemon_error.hpp"
#include "rustynet/backend_api/packet_filter.hpp"
#include "rustynet/backend_api/tunnel_backend.hpp"

namespace rustynet::apps::daemon {

// kind "memory": backend_api::ReferenceBackend (tests and dry runs: programs nothing, moves no
// packets; `rustynet status` shows what would be programmed). Otherwise the tunnel adapter
// library's factory. Nothing else in the daemon names a concrete backend. Errors: kBackend.
// Compiled into the rustynetd executable only (it links the adapter); the app library and its
// tests use make_memory_backend().
[[nodiscard]] DaemonResult<std::unique_ptr<backend_api::TunnelBackend>> make_backend(const BackendConfig& config);

// The app library's own factory: "memory" only; any other kind is kBackend (not linked here).
[[nodiscard]] DaemonResult<std::unique_ptr<backend_api::TunnelBackend>> make_memory_backend(
    const BackendConfig& config);

// The mesh interface's packet filter: backend_api::ReferencePacketFilter for kind "memory" (moves
// no packets, so filters none), otherwise the adapter library's nftables filter for
// `interface_name` in the configured network namespace. Errors: kBackend.
[[nodiscard]] DaemonResult<std::unique_ptr<backend_api::PacketFilterBackend>> make_filter(
    const BackendConfig& config, const std::string& interface_name);

// The algorithm-policy names of the data plane `config` selects: WireGuard's for the WireGuard
// kinds (the adapter library's wireguard_algorithms()), none for "memory".
[[nodiscard]] std::vector<std::string> data_plane_algorithms(const BackendConfig& config);

// The app library's own filter factory: "memory" only.
[[nodiscard]] DaemonResult<std::unique_ptr<backend_api::PacketFilterBackend>> make_memory_filter(
    const BackendConfig& config, const std::string& interface_name);

}  // namespace rustynet::apps::daemon
