// SPDX-License-Identifier: Apache-2.0
// MeshState: registry + policy -> per-node signed node states (cached, re-signed only when needed).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay_config.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/node_registry.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/policy/compiled_policy.hpp"

namespace rustynet::apps::control_server {

enum class MeshErrorKind : std::uint8_t {
  kInvalid,      // 400: the request's content is refused (policy document, node fields)
  kConflict,     // 409: registry uniqueness
  kNotFound,     // 404: unknown node
  kForbidden,    // 403: the request is well-formed but not allowed (a pair that is not relayed)
  kUnavailable,  // 503: store, clock or signing failure (fail closed)
  // 422: a valid policy asking for what the data plane cannot enforce (policy::check_enforceable)
  kUnenforceable,
};

struct MeshError {
  MeshErrorKind kind = MeshErrorKind::kUnavailable;
  std::string message;  // for policy errors "path: message" with the JSON path
};

// One node's answer: the signed node state and the policy snapshot it names.
struct SignedNodeState {
  std::uint64_t generation = 0;
  std::vector<std::uint8_t> node_state;  // encoded crypto::SignedEnvelope, type kNodeState
  std::vector<std::uint8_t> policy;      // encoded crypto::SignedEnvelope, type kPolicySnapshot
};

struct MeshOptions {
  std::chrono::seconds state_lifetime{86'400};  // envelope validity; re-signed below half of it
  std::uint64_t generation_block = 64;          // signing generations reserved per durable write
  std::vector<RelaySite> relays;                // validated by parse_service_config
  std::chrono::seconds relay_ticket_lifetime{120};
};

// One side's answer to POST /v1/node/relay-ticket.
struct RelayTicketGrant {
  std::string relay_id;
  policy::SocketAddress address;
  std::vector<std::uint8_t> ticket;  // crypto::issue_relay_ticket output, holder = the caller
  std::int64_t expires_at = 0;
};

// The default policy installed when the store holds none: no rules, so everything is denied.
inline constexpr std::string_view kDefaultPolicyDocument = R"({"rules":[],"version":1})";

// Thread-safe. Every registry or policy change rebuilds the "world" (inventory, compiled policy,
// symmetric peer visibility) and bumps version(); node states are derived lazily per node and
// signed with a new generation only when their payload changed or half their lifetime passed.
class MeshState {
 public:
  // Loads the registry and the stored policy (stores kDefaultPolicyDocument if there is none).
  [[nodiscard]] static base::Result<std::unique_ptr<MeshState>, MeshError> create(control::NodeRegistry& registry,
                                                                                  crypto::Ed25519SigningKey key,
                                                                                  const base::Clock& clock,
                                                                                  MeshOptions options = {});
  MeshState(control::NodeRegistry& registry, crypto::Ed25519SigningKey key, const base::Clock& clock,
            MeshOptions options);
  ~MeshState();
  MeshState(const MeshState&) = delete;
  MeshState& operator=(const MeshState&) = delete;
  MeshState(MeshState&&) = delete;
  MeshState& operator=(MeshState&&) = delete;

  // Called (outside the lock) after every change that bumped version().
  void set_change_listener(std::function<void(std::uint64_t version)> listener);
  // Increases on every registry, endpoint or policy change.
  [[nodiscard]] std::uint64_t version() const;

  // The node's current signed state. Errors: kNotFound (not registered), kUnavailable.
  [[nodiscard]] base::Result<SignedNodeState, MeshError> state_for(std::string_view node_id);

  [[nodiscard]] base::Status<MeshError> add_node(const control::RegisteredNode& node);
  // Registers every node and, when given, replaces the policy, in one store transaction: the
  // grown inventory is compiled against the (new) policy first, so a bad entry changes nothing.
  // Errors name the entry ("nodes[2]: ..."). Returns the policy generation in force afterwards.
  [[nodiscard]] base::Result<std::uint64_t, MeshError> add_batch(const std::vector<control::RegisteredNode>& nodes,
                                                                 const std::optional<std::string>& policy_document);
  // Also remembers the node's identity key (removed_identity_key) until the id is registered again.
  [[nodiscard]] base::Status<MeshError> remove_node(std::string_view node_id);
  [[nodiscard]] bool has_node(std::string_view node_id) const;
  // The identity key of a node removed since this process started (at most kRemovedKeysKept, the
  // oldest forgotten first): tokens it signs prove the removed node is asking, so the auth chain
  // locks that identity rather than the address it shares with others.
  [[nodiscard]] std::optional<control::PublicKeyBytes> removed_identity_key(std::string_view node_id) const;
  static constexpr std::size_t kRemovedKeysKept = 4096;
  [[nodiscard]] base::Result<std::vector<control::RegisteredNode>, MeshError> list_nodes();
  // Records where `node_id` can be reached; a change wakes the peers that can see it.
  [[nodiscard]] base::Status<MeshError> report_endpoints(std::string_view node_id,
                                                         const std::vector<policy::SocketAddress>& endpoints);
  // Validates (parse + compile against the registry) before storing; an invalid document leaves
  // the policy in force untouched (kInvalid with the JSON path). Returns the new policy generation.
  [[nodiscard]] base::Result<std::uint64_t, MeshError> put_policy(std::string_view document);
  [[nodiscard]] control::StoredPolicy policy() const;

  // A relay ticket for `node_id`'s side of its session with `peer_id`. Issued only for a pair
  // control marks relayed or offers a relay candidate to (the daemon falls back to the candidate
  // on its own when a direct handshake fails, so it needs the ticket without a new state).
  // Errors: kNotFound (the peer is unknown or not visible to the node: indistinguishable),
  // kForbidden (the pair is neither relayed nor a candidate), kUnavailable (clock, randomness,
  // signing). Both sides of a pair always get the same
  // session id: it is derived from the pair and the relay with the signing key (no state, so it
  // survives control restarts; see relay_session_id in mesh_state.cpp).
  [[nodiscard]] base::Result<RelayTicketGrant, MeshError> issue_relay_ticket(std::string_view node_id,
                                                                             std::string_view peer_id);
  // The relay a pair goes through, if any (symmetric).
  [[nodiscard]] const RelaySite* relay_for_pair(std::string_view a, std::string_view b) const;
  // The relay a pair that is not marked may fall back to, if any (symmetric; nullptr for a
  // marked pair: its relay is not optional).
  [[nodiscard]] const RelaySite* relay_candidate_for_pair(std::string_view a, std::string_view b) const;

  [[nodiscard]] const crypto::Ed25519PublicKey& public_key() const noexcept { return key_.public_key(); }

  struct World;  // defined in mesh_state.cpp

 private:
  struct CachedEnvelope {
    std::string payload;
    std::vector<std::uint8_t> envelope;
    std::uint64_t generation = 0;
    std::int64_t issued_at = 0;
  };

  [[nodiscard]] base::Status<MeshError> rebuild_locked(std::optional<control::StoredPolicy> policy);
  [[nodiscard]] base::Result<std::uint64_t, MeshError> next_generation_locked();
  [[nodiscard]] base::Status<MeshError> sign_if_needed_locked(CachedEnvelope& cache, std::string payload, int type,
                                                              std::string_view subject, std::int64_t now);
  void notify(std::uint64_t version);
  void forget_removed_locked(std::string_view node_id);

  control::NodeRegistry* registry_;
  crypto::Ed25519SigningKey key_;
  const base::Clock* clock_;
  MeshOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const World> world_;
  std::uint64_t version_ = 0;
  std::uint64_t next_generation_ = 0;  // next value to hand out
  std::uint64_t reserved_until_ = 0;   // last value durably reserved
  CachedEnvelope policy_cache_;
  std::map<std::string, CachedEnvelope, std::less<>> node_cache_;
  std::map<std::string, const RelaySite*, std::less<>> relay_of_node_;      // into options_.relays
  std::map<std::string, const RelaySite*, std::less<>> candidate_of_node_;  // into options_.relays
  std::map<std::string, control::PublicKeyBytes, std::less<>> removed_keys_;
  std::deque<std::string> removed_order_;  // oldest first
  std::mutex listener_mutex_;
  std::function<void(std::uint64_t)> listener_;
};

}  // namespace rustynet::apps::control_server
