// SPDX-License-Identifier: Apache-2.0
// NodeRegistry: the operator-managed node list, the policy document and the signing-generation counter.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/policy/ip_prefix.hpp"
#include "rustynet/policy/node_state.hpp"

namespace rustynet::control {

using PublicKeyBytes = std::array<std::uint8_t, 32>;

// One node as the operator registered it, plus where it last said it can be reached.
struct RegisteredNode {
  std::string node_id;                           // policy identifier charset; never "admin"
  PublicKeyBytes identity_public_key{};          // Ed25519: verifies the node's control tokens
  PublicKeyBytes tunnel_public_key{};            // X25519: handed to peers
  std::vector<policy::IpAddress> addresses;      // tunnel addresses, unique across the registry
  std::vector<std::string> tags;                 // control-assigned, for policy tag selectors
  std::vector<policy::SocketAddress> endpoints;  // last reported (output only)
  friend bool operator==(const RegisteredNode&, const RegisteredNode&) = default;
};

// The policy document in force, exactly as stored.
struct StoredPolicy {
  std::string document;          // exact bytes (their SHA-256 is the node states' policy_digest)
  std::uint64_t generation = 0;  // 1 for the first stored document, +1 per replacement
};

enum class RegistryErrorKind : std::uint8_t {
  kConflict = 0,  // node id, identity key, tunnel key or an address already registered (HTTP 409)
  kNotFound = 1,  // no such node (HTTP 404)
  kInvalid = 2,   // a value the registry refuses (HTTP 400)
  kState = 3,     // the store could not be read or written: deny (HTTP 503)
};

struct RegistryError {
  RegistryErrorKind kind = RegistryErrorKind::kState;
  std::string message;  // names the conflicting field, never key material
};

// Durable, transactional; every method is atomic (all or nothing) and thread-safe.
class NodeRegistry {
 public:
  virtual ~NodeRegistry() = default;
  // Errors: kConflict (id, either key, or any address taken), kInvalid (empty id/addresses), kState.
  [[nodiscard]] virtual base::Status<RegistryError> add_node(const RegisteredNode& node) = 0;
  // Adds every node and, when `policy_document` is given, replaces the policy document (the caller
  // validated both), in one transaction: all or nothing. Errors name the entry ("nodes[3]:
  // address already registered"): kConflict (also within the batch), kInvalid, kState. Returns the
  // new policy generation, or 0 without a document.
  [[nodiscard]] virtual base::Result<std::uint64_t, RegistryError> add_batch(
      const std::vector<RegisteredNode>& nodes, const std::optional<std::string>& policy_document) = 0;
  // Errors: kNotFound, kState. The node's addresses become free again.
  [[nodiscard]] virtual base::Status<RegistryError> remove_node(std::string_view node_id) = 0;
  // Sorted by node id.
  [[nodiscard]] virtual base::Result<std::vector<RegisteredNode>, RegistryError> list_nodes() = 0;
  [[nodiscard]] virtual base::Result<std::optional<RegisteredNode>, RegistryError> find_node(
      std::string_view node_id) = 0;
  // Records reported endpoints. Returns whether they differ from the stored ones. Errors: kNotFound, kState.
  [[nodiscard]] virtual base::Result<bool, RegistryError> set_endpoints(
      std::string_view node_id, const std::vector<policy::SocketAddress>& endpoints) = 0;
  // nullopt until a document was stored.
  [[nodiscard]] virtual base::Result<std::optional<StoredPolicy>, RegistryError> load_policy() = 0;
  // Replaces the document (the caller validated it); returns its generation.
  [[nodiscard]] virtual base::Result<std::uint64_t, RegistryError> store_policy(std::string_view document) = 0;
  // Reserves `count` (>= 1) values of the durable signing-generation counter and returns the
  // highest; the caller owns (result - count, result]. Every value is strictly greater than every
  // value reserved before from this store, also across restarts and crashes (the reservation is
  // committed before it is returned). Errors: kInvalid (count 0), kState.
  [[nodiscard]] virtual base::Result<std::uint64_t, RegistryError> reserve_signing_generations(std::uint64_t count) = 0;
};

}  // namespace rustynet::control
