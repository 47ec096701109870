// SPDX-License-Identifier: Apache-2.0
// Entry point of rustynetd, kept in the app library so it is testable without spawning a process.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "daemon_config.hpp"
#include "daemon_error.hpp"
#include "rustynet/backend_api/packet_filter.hpp"
#include "rustynet/backend_api/tunnel_backend.hpp"

namespace rustynet::apps::daemon {

// Runs rustynetd with argv[1..] as `args`; returns the process exit code (docs/daemon.md).
//   rustynetd [--config PATH]        run in the foreground until SIGTERM/SIGINT (SIGHUP reloads)
//   rustynetd --check-config [--config PATH]   validate the config and exit (0 or 10)
// The factories come from the executable's composition root (null: memory backend and filter only).
using BackendFactory = std::function<DaemonResult<std::unique_ptr<backend_api::TunnelBackend>>(const BackendConfig&)>;
using FilterFactory = std::function<DaemonResult<std::unique_ptr<backend_api::PacketFilterBackend>>(
    const BackendConfig&, const std::string& interface_name)>;
// The algorithm-policy names of the data plane a backend config selects (null: none, as for the
// memory backend, which moves no packets).
using DataPlaneAlgorithms = std::function<std::vector<std::string>(const BackendConfig&)>;
[[nodiscard]] int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                      const BackendFactory& backend_factory = nullptr, const FilterFactory& filter_factory = nullptr,
                      const DataPlaneAlgorithms& data_plane_algorithms = nullptr);

}  // namespace rustynet::apps::daemon
