// SPDX-License-Identifier: Apache-2.0
// PeerConfig: everything a backend needs to reach one remote node, in protocol-agnostic terms.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rustynet/backend_api/backend_error.hpp"
#include "rustynet/backend_api/ip_prefix.hpp"
#include "rustynet/backend_api/node_id.hpp"
#include "rustynet/backend_api/socket_endpoint.hpp"

namespace rustynet::backend_api {

// The peer's public tunnel key: 32 opaque bytes. Public, so printable; the backend interprets it.
// The all-zero key is never a valid peer key (configure_peer rejects it with kInvalidInput).
struct PeerPublicKey {
  static constexpr std::size_t kSize = 32;
  std::array<std::uint8_t, kSize> bytes{};

  // Errors: kInvalidInput unless exactly kSize bytes.
  [[nodiscard]] static BackendResult<PeerPublicKey> from_bytes(std::span<const std::uint8_t> bytes);
  [[nodiscard]] bool is_zero() const noexcept;
  // Lower-case hex, 64 characters.
  [[nodiscard]] std::string to_hex() const;

  friend bool operator==(const PeerPublicKey&, const PeerPublicKey&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend std::strong_ordering operator<=>(const PeerPublicKey&, const PeerPublicKey&) = default;
};

std::ostream& operator<<(std::ostream& out, const PeerPublicKey& key);

// configure_peer() semantics (full rules in docs/backend-contract.md):
//  - node_id is the key: configuring an existing node replaces its whole configuration (upsert).
//  - allowed_prefixes: the inner source/destination prefixes this peer owns. Order and duplicates
//    are not significant: backends store and report them sorted and de-duplicated. The same
//    prefix may not be owned by two peers (kInvalidInput): ownership must be unambiguous.
//  - endpoint: where to send; absent means "wait for the peer to contact us".
//  - persistent_keepalive_seconds: absent disables keepalives; 0 is rejected (use absent).
struct PeerConfig {
  NodeId node_id;
  PeerPublicKey public_key;
  std::optional<SocketEndpoint> endpoint;
  std::vector<IpPrefix> allowed_prefixes;
  std::optional<std::uint16_t> persistent_keepalive_seconds;

  friend bool operator==(const PeerConfig&, const PeerConfig&) = default;
};

// Sorted, de-duplicated copy of `prefixes` (the form backends store and report).
[[nodiscard]] std::vector<IpPrefix> canonical_prefixes(std::span<const IpPrefix> prefixes);

std::ostream& operator<<(std::ostream& out, const PeerConfig& peer);

}  // namespace rustynet::backend_api
