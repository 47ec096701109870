// SPDX-License-Identifier: Apache-2.0
// Stateless request validation: malformed first (kInvalidInput), then capability (kUnsupported).
#include "rustynet/backend_api/validation.hpp"

#include <algorithm>
#include <set>
#include <string>

namespace rustynet::backend_api {
namespace {

bool valid_interface_name(const std::string& name) noexcept {
  if (name.empty() || name.size() > RuntimeContext::kMaxInterfaceNameLength || name == "." || name == "..") {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

}  // namespace

BackendStatus validate_runtime_context(const RuntimeContext& context, const BackendCapabilities& capabilities) {
  if (!valid_interface_name(context.interface_name)) {
    return fail(BackendError::invalid_input("interface name must be 1..15 bytes of [A-Za-z0-9_.-], not '.' or '..'"));
  }
  if (context.interface_addresses.empty() ||
      context.interface_addresses.size() > RuntimeContext::kMaxInterfaceAddresses) {
    return fail(BackendError::invalid_input(
        std::string("need 1..") + std::to_string(RuntimeContext::kMaxInterfaceAddresses) + " interface addresses"));
  }
  std::set<IpAddress> seen;
  for (const InterfaceAddress& address : context.interface_addresses) {
    if (!seen.insert(address.address()).second) {
      return fail(
          BackendError::invalid_input(std::string("duplicate interface address ") + address.address().to_string()));
    }
  }
  if (context.mtu < RuntimeContext::kMinMtu || context.mtu > RuntimeContext::kMaxMtu) {
    return fail(BackendError::invalid_input(std::string("mtu must be in ") + std::to_string(RuntimeContext::kMinMtu) +
                                            ".." + std::to_string(RuntimeContext::kMaxMtu)));
  }
  const auto key = context.tunnel_private_key.view();
  if (key.size() != RuntimeContext::kPrivateKeySize) {
    return fail(BackendError::invalid_input("tunnel private key must be 32 bytes"));
  }
  if (std::all_of(key.begin(), key.end(), [](std::uint8_t b) { return b == 0; })) {
    return fail(BackendError::invalid_input("tunnel private key is all zero"));
  }
  if (!capabilities.supports_ipv6) {
    for (const InterfaceAddress& address : context.interface_addresses) {
      if (address.family() == IpFamily::kV6) {
        return fail(BackendError::unsupported(std::string("IPv6 interface address ") + address.to_string() +
                                              " but the backend does not support IPv6"));
      }
    }
  }
  return {};
}

BackendStatus validate_peer_config(const PeerConfig& peer, const BackendCapabilities& capabilities) {
  if (peer.public_key.is_zero()) {
    return fail(BackendError::invalid_input("peer " + peer.node_id.value() + ": all-zero public key"));
  }
  if (peer.persistent_keepalive_seconds.has_value() && *peer.persistent_keepalive_seconds == 0) {
    return fail(BackendError::invalid_input("peer " + peer.node_id.value() +
                                            ": keepalive 0; leave it unset to disable keepalives"));
  }
  if (!capabilities.supports_ipv6) {
    if (peer.endpoint.has_value() && peer.endpoint->family() == IpFamily::kV6) {
      return fail(BackendError::unsupported("peer " + peer.node_id.value() +
                                            ": IPv6 endpoint but the backend does not support IPv6"));
    }
    for (const IpPrefix& prefix : peer.allowed_prefixes) {
      if (prefix.family() == IpFamily::kV6) {
        return fail(BackendError::unsupported("peer " + peer.node_id.value() + ": IPv6 allowed prefix " +
                                              prefix.to_string() + " but the backend does not support IPv6"));
      }
    }
  }
  return {};
}

BackendStatus validate_routes(std::span<const Route> routes, const BackendCapabilities& capabilities) {
  std::set<IpPrefix> destinations;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const Route& route = routes[i];
    const std::string where = std::string("routes[") + std::to_string(i) + "] " + route.destination.to_string() + ": ";
    if (route.kind == RouteKind::kExitDefault && !route.destination.is_default()) {
      return fail(BackendError::invalid_input(where + "an exit-default route must be 0.0.0.0/0 or ::/0"));
    }
    if (route.kind != RouteKind::kExitDefault && route.destination.is_default()) {
      return fail(BackendError::invalid_input(where + "only an exit-default route may have a default destination"));
    }
    if (!destinations.insert(route.destination).second) {
      return fail(BackendError::invalid_input(where + "duplicate destination"));
    }
  }
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const Route& route = routes[i];
    const std::string where = std::string("routes[") + std::to_string(i) + "] " + route.destination.to_string() + ": ";
    if (route.kind == RouteKind::kLan && !capabilities.supports_lan_routes) {
      return fail(BackendError::unsupported(where + "LAN routes are not supported by this backend"));
    }
    if (route.kind == RouteKind::kExitDefault && !capabilities.supports_exit_nodes) {
      return fail(BackendError::unsupported(where + "exit nodes are not supported by this backend"));
    }
    if (route.destination.family() == IpFamily::kV6 && !capabilities.supports_ipv6) {
      return fail(BackendError::unsupported(where + "IPv6 is not supported by this backend"));
    }
  }
  return {};
}

BackendStatus validate_exit_mode(const ExitMode& mode, const BackendCapabilities& capabilities) {
  if (!mode.is_off() && !capabilities.supports_exit_nodes) {
    return fail(BackendError::unsupported("exit nodes are not supported by this backend"));
  }
  return {};
}

}  // namespace rustynet::backend_api
