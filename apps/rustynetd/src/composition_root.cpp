// SPDX-License-Identifier: Apache-2.0
// Composition root: the only daemon file that includes the WireGuard adapter (cmake/layering.txt).
#include "composition_root.hpp"

#include "rustynet/backend_wireguard/factory.hpp"

namespace rustynet::apps::daemon {

DaemonResult<std::unique_ptr<backend_api::TunnelBackend>> make_backend(const BackendConfig& config) {
  if (config.kind == BackendKind::kMemory) {
    return make_memory_backend(config);
  }
  backend_wireguard::WireGuardBackendOptions options;
  switch (config.driver) {
    case DriverChoice::kAuto: options.driver = std::nullopt; break;
    case DriverChoice::kUserspace: options.driver = backend_wireguard::DriverKind::kUserspace; break;
    case DriverChoice::kKernel: options.driver = backend_wireguard::DriverKind::kKernel; break;
  }
  options.userspace_binary = config.userspace_binary;
  options.network_namespace_path = config.network_namespace;
  auto backend = backend_wireguard::make_wireguard_backend(options);
  if (!backend) {
    return daemon_fail(DaemonErrorKind::kBackend, "could not construct the tunnel backend");
  }
  return backend;
}

DaemonResult<std::unique_ptr<backend_api::PacketFilterBackend>> make_filter(const BackendConfig& config,
                                                                            const std::string& interface_name) {
  if (config.kind == BackendKind::kMemory) {
    return make_memory_filter(config, interface_name);
  }
  backend_wireguard::NftablesFilterOptions options;
  options.interface_name = interface_name;
  options.network_namespace_path = config.network_namespace;
  auto filter = backend_wireguard::make_nftables_filter(options);
  if (!filter) {
    return daemon_fail(DaemonErrorKind::kBackend, "could not construct the packet filter");
  }
  return filter;
}

std::vector<std::string> data_plane_algorithms(const BackendConfig& config) {
  if (config.kind == BackendKind::kMemory) {
    return {};
  }
  return backend_wireguard::wireguard_algorithms();
}

}  // namespace rustynet::apps::daemon
