// SPDX-License-Identifier: Apache-2.0
// RuntimeContext: what start() needs to bring a tunnel up (local identity, interface, secret key).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "rustynet/backend_api/interface_address.hpp"
#include "rustynet/backend_api/node_id.hpp"
#include "rustynet/base/secret_bytes.hpp"

namespace rustynet::backend_api {

// Move-only because it owns the tunnel private key. start() takes it by const reference and a
// backend clones (SecretBytes::clone()) only what it must keep; the caller's copy stays the
// caller's to wipe. Validity rules (checked by start(), see validate_runtime_context()):
//  - interface_name: 1..kMaxInterfaceNameLength bytes of [A-Za-z0-9_.-], not "." or "..".
//  - interface_addresses: 1..kMaxInterfaceAddresses entries, no duplicates; IPv6 entries need
//    supports_ipv6 (else kUnsupported).
//  - listen_port: 0 lets the backend choose.
//  - mtu: kMinMtu..kMaxMtu.
//  - tunnel_private_key: exactly kPrivateKeySize bytes, not all zero. Never printed.
struct RuntimeContext {
  static constexpr std::size_t kMaxInterfaceNameLength = 15;
  static constexpr std::size_t kMaxInterfaceAddresses = 16;
  static constexpr std::uint32_t kMinMtu = 1280;
  static constexpr std::uint32_t kMaxMtu = 65535;
  static constexpr std::size_t kPrivateKeySize = 32;

  NodeId local_node;
  std::string interface_name;
  std::vector<InterfaceAddress> interface_addresses;
  std::uint16_t listen_port = 0;
  std::uint32_t mtu = kMinMtu;
  base::SecretBytes tunnel_private_key;

  // Deep copy, including the key (deliberate, like SecretBytes::clone()).
  [[nodiscard]] RuntimeContext clone() const;
};

// One line for logs; the key is printed as "<redacted>".
std::ostream& operator<<(std::ostream& out, const RuntimeContext& context);

}  // namespace rustynet::backend_api
