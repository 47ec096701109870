// SPDX-License-Identifier: Apache-2.0
// Node-state derivation and signing: symmetric policy visibility, payload-compare caching, durable generations.
#include "mesh_state.hpp"

#include <sodium.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>
#include <span>
#include <utility>

#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/policy/enforceability.hpp"
#include "rustynet/policy/node_state.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::apps::control_server {

struct MeshState::World {
  control::StoredPolicy policy;
  policy::Digest32 policy_digest{};
  std::map<std::string, control::RegisteredNode, std::less<>> nodes;
  // node -> every node it may reach or be reached from (a tunnel needs both ends configured).
  std::map<std::string, std::set<std::string>, std::less<>> peers;
};

namespace {

MeshError unavailable(std::string message) { return MeshError{MeshErrorKind::kUnavailable, std::move(message)}; }

MeshError from_registry(const control::RegistryError& error) {
  switch (error.kind) {
    case control::RegistryErrorKind::kConflict: return MeshError{MeshErrorKind::kConflict, error.message};
    case control::RegistryErrorKind::kNotFound: return MeshError{MeshErrorKind::kNotFound, error.message};
    case control::RegistryErrorKind::kInvalid: return MeshError{MeshErrorKind::kInvalid, error.message};
    case control::RegistryErrorKind::kState: break;
  }
  return unavailable(error.message);
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {static_cast<const std::uint8_t*>(static_cast<const void*>(text.data())), text.size()};
}

// Parses and compiles `stored` against `nodes`; kInvalid names the JSON path of the first problem.
base::Result<std::shared_ptr<MeshState::World>, MeshError> build_world(std::vector<control::RegisteredNode> nodes,
                                                                       control::StoredPolicy stored) {
  auto document = policy::parse_policy_document(stored.document);
  if (!document.has_value()) {
    return base::unexpected(MeshError{MeshErrorKind::kInvalid, document.error().describe()});
  }
  policy::NodeInventory inventory;
  inventory.nodes.reserve(nodes.size());
  for (const auto& node : nodes) {
    inventory.nodes.push_back(policy::NodeRecord{node.node_id, node.tags, node.addresses});
  }
  auto compiled = policy::CompiledPolicy::compile(*document, inventory);
  if (!compiled.has_value()) {
    return base::unexpected(MeshError{MeshErrorKind::kInvalid, compiled.error().describe()});
  }
  auto world = std::make_shared<MeshState::World>();
  world->policy_digest = crypto::sha256(bytes_of(stored.document));
  world->policy = std::move(stored);
  for (auto& node : nodes) {
    world->peers[node.node_id];
    std::string id = node.node_id;
    world->nodes.emplace(std::move(id), std::move(node));
  }
  for (const auto& [id, node] : world->nodes) {
    auto visible = compiled->visibility(id);
    if (!visible.has_value()) {
      return base::unexpected(unavailable("policy visibility: " + visible.error().describe()));
    }
    for (const auto& peer : visible->peers) {
      if (peer != id && world->nodes.count(peer) != 0) {
        world->peers[id].insert(peer);
        world->peers[peer].insert(id);
      }
    }
  }
  return world;
}

// Fills `out` from the kernel's CSPRNG; false if it is unavailable (fail closed).
template <std::size_t N>
bool fill_random(std::array<std::uint8_t, N>& out) {
  std::size_t done = 0;
  while (done < N) {
    const ssize_t got = ::getrandom(out.data() + done, N - done, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    done += static_cast<std::size_t>(got);
  }
  return true;
}

// The session id of a relayed pair on `relay_id` (docs/relay.md "Session ids"): keyed BLAKE2b-128
// (crypto_generichash) over a domain-separated, canonical (sorted) description of the pair and
// relay, with a 32-byte key derived from the control signing key's seed by
// crypto_kdf_derive_from_key (context "rnrelay1", subkey 1). Both sides get the same id without
// any shared state, across control restarts; nobody without the signing key can predict it, and
// the derived key is used for nothing else (a KDF, not a signature, so no signing oracle exists).
crypto::RelaySessionId relay_session_id(const crypto::Ed25519SigningKey& key, std::string_view relay_id,
                                        std::string_view a, std::string_view b) {
  static_assert(crypto_kdf_KEYBYTES == 32 && crypto_generichash_KEYBYTES == 32);
  static_assert(std::tuple_size_v<crypto::RelaySessionId> >= crypto_generichash_BYTES_MIN);
  if (b < a) {
    std::swap(a, b);
  }
  std::string message = "rustynet/relay-session-id/v2";
  for (const std::string_view part : {relay_id, a, b}) {
    message.push_back('\0');
    message.append(part);
  }
  const base::SecretBytes seed = key.export_seed();
  base::SecretBytes derived(crypto_generichash_KEYBYTES);
  constexpr char kContext[crypto_kdf_CONTEXTBYTES + 1] = "rnrelay1";
  crypto::RelaySessionId id{};
  if (seed.size() != crypto_kdf_KEYBYTES ||
      crypto_kdf_derive_from_key(derived.mutable_view().data(), derived.size(), 1, kContext, seed.view().data()) != 0 ||
      crypto_generichash(id.data(), id.size(), bytes_of(message).data(), message.size(), derived.view().data(),
                         derived.size()) != 0) {
    std::abort();  // fixed, valid sizes: unreachable unless libsodium is broken
  }
  return id;
}

// The node state payload for `node_id` (which must be in `world`).
base::Result<std::string, MeshError> payload_for(const MeshState& mesh, const MeshState::World& world,
                                                 const control::RegisteredNode& node) {
  policy::NodeState state;
  state.node_id = node.node_id;
  state.tags = node.tags;
  state.addresses = node.addresses;
  state.policy_digest = world.policy_digest;
  const auto peers = world.peers.find(node.node_id);
  if (peers != world.peers.end()) {
    for (const auto& peer_id : peers->second) {
      const auto& peer = world.nodes.find(peer_id)->second;
      policy::PeerState entry;
      entry.node_id = peer.node_id;
      entry.tags = peer.tags;
      entry.addresses = peer.addresses;
      entry.tunnel_public_key = peer.tunnel_public_key;
      entry.endpoints = peer.endpoints;
      if (const RelaySite* site = mesh.relay_for_pair(node.node_id, peer.node_id); site != nullptr) {
        entry.relay = policy::RelayAssignment{site->relay_id, site->address};
      } else if (const RelaySite* candidate = mesh.relay_candidate_for_pair(node.node_id, peer.node_id);
                 candidate != nullptr) {
        entry.relay_candidate = policy::RelayAssignment{candidate->relay_id, candidate->address};
      }
      for (const auto& address : peer.addresses) {
        entry.allowed_prefixes.push_back(policy::IpPrefix::host(address));
        state.routes.push_back(policy::RouteState{policy::IpPrefix::host(address), peer.node_id});
      }
      state.peers.push_back(std::move(entry));
    }
  }
  auto encoded = policy::encode_node_state(state);
  if (!encoded.has_value()) {
    return base::unexpected(unavailable("node state for " + node.node_id + ": " + encoded.error().describe()));
  }
  return std::move(encoded).value();
}

}  // namespace

MeshState::MeshState(control::NodeRegistry& registry, crypto::Ed25519SigningKey key, const base::Clock& clock,
                     MeshOptions options)
    : registry_(&registry), key_(std::move(key)), clock_(&clock), options_(std::move(options)) {
  for (const auto& site : options_.relays) {
    for (const auto& node : site.nodes) {
      relay_of_node_.emplace(node, &site);
    }
    for (const auto& node : site.candidate_nodes) {
      candidate_of_node_.emplace(node, &site);
    }
  }
}

namespace {

// The site of the pair's smaller node id in `by_node`, else the larger's: both sides agree.
const RelaySite* site_for_pair(const std::map<std::string, const RelaySite*, std::less<>>& by_node, std::string_view a,
                               std::string_view b) {
  const auto find = [&by_node](std::string_view id) -> const RelaySite* {
    const auto it = by_node.find(id);
    return it == by_node.end() ? nullptr : it->second;
  };
  const RelaySite* first = find(a < b ? a : b);
  return first != nullptr ? first : find(a < b ? b : a);
}

}  // namespace

const RelaySite* MeshState::relay_for_pair(std::string_view a, std::string_view b) const {
  return site_for_pair(relay_of_node_, a, b);
}

const RelaySite* MeshState::relay_candidate_for_pair(std::string_view a, std::string_view b) const {
  if (relay_for_pair(a, b) != nullptr) {
    return nullptr;
  }
  return site_for_pair(candidate_of_node_, a, b);
}

base::Result<RelayTicketGrant, MeshError> MeshState::issue_relay_ticket(std::string_view node_id,
                                                                        std::string_view peer_id) {
  auto wall = clock_->wall_now();
  if (!wall.has_value()) {
    return base::unexpected(unavailable("wall clock unusable"));
  }
  const std::int64_t now = wall->seconds;
  const std::lock_guard lock(mutex_);
  const auto peers = world_->peers.find(node_id);
  if (peers == world_->peers.end() || peers->second.count(std::string(peer_id)) == 0) {
    return base::unexpected(MeshError{MeshErrorKind::kNotFound, "no such peer"});
  }
  // Marked or candidate: the same two sets the signed states are built from, so a node holds a
  // ticket only for a relay its own verified state names for that peer.
  const RelaySite* site = relay_for_pair(node_id, peer_id);
  if (site == nullptr) {
    site = relay_candidate_for_pair(node_id, peer_id);
  }
  if (site == nullptr) {
    return base::unexpected(MeshError{MeshErrorKind::kForbidden, "this pair is not relayed"});
  }
  crypto::RelayTicketClaims claims;
  claims.relay_id = site->relay_id;
  if (!fill_random(claims.ticket_id)) {
    return base::unexpected(unavailable("randomness unavailable"));
  }
  claims.session_id = relay_session_id(key_, site->relay_id, node_id, peer_id);
  claims.node_id = std::string(node_id);
  claims.peer_node_id = std::string(peer_id);
  claims.issued_at = now;
  claims.expires_at = now + options_.relay_ticket_lifetime.count();
  auto ticket = crypto::issue_relay_ticket(key_, claims);
  if (!ticket.has_value()) {
    return base::unexpected(unavailable("relay ticket: " + ticket.error().describe()));
  }
  return RelayTicketGrant{site->relay_id, site->address, std::move(ticket).value(), claims.expires_at};
}

MeshState::~MeshState() = default;

base::Result<std::unique_ptr<MeshState>, MeshError> MeshState::create(control::NodeRegistry& registry,
                                                                      crypto::Ed25519SigningKey key,
                                                                      const base::Clock& clock, MeshOptions options) {
  if (options.state_lifetime.count() < 2 || options.generation_block == 0 ||
      options.relay_ticket_lifetime.count() < 1 ||
      options.relay_ticket_lifetime.count() > crypto::kMaxRelayTicketLifetimeSeconds) {
    return base::unexpected(MeshError{MeshErrorKind::kInvalid, "state lifetime and generation block must be positive"});
  }
  auto mesh = std::make_unique<MeshState>(registry, std::move(key), clock, std::move(options));
  auto stored = registry.load_policy();
  if (!stored.has_value()) {
    return base::unexpected(from_registry(stored.error()));
  }
  if (!stored->has_value()) {
    auto generation = registry.store_policy(kDefaultPolicyDocument);
    if (!generation.has_value()) {
      return base::unexpected(from_registry(generation.error()));
    }
    *stored = control::StoredPolicy{std::string(kDefaultPolicyDocument), *generation};
  }
  const std::lock_guard lock(mesh->mutex_);
  RUSTYNET_RETURN_IF_ERROR(mesh->rebuild_locked(std::move(**stored)));
  return mesh;
}

void MeshState::set_change_listener(std::function<void(std::uint64_t)> listener) {
  const std::lock_guard lock(listener_mutex_);
  listener_ = std::move(listener);
}

std::uint64_t MeshState::version() const {
  const std::lock_guard lock(mutex_);
  return version_;
}

void MeshState::notify(std::uint64_t version) {
  const std::lock_guard lock(listener_mutex_);
  if (listener_) {
    listener_(version);
  }
}

base::Status<MeshError> MeshState::rebuild_locked(std::optional<control::StoredPolicy> policy) {
  auto nodes = registry_->list_nodes();
  if (!nodes.has_value()) {
    return base::unexpected(from_registry(nodes.error()));
  }
  control::StoredPolicy stored;
  if (policy.has_value()) {
    stored = std::move(*policy);
  } else {
    stored = world_->policy;
  }
  RUSTYNET_ASSIGN_OR_RETURN(auto world, build_world(std::move(nodes).value(), std::move(stored)));
  for (auto it = node_cache_.begin(); it != node_cache_.end();) {
    it = world->nodes.count(it->first) == 0 ? node_cache_.erase(it) : std::next(it);
  }
  world_ = std::move(world);
  ++version_;
  return {};
}

base::Result<std::uint64_t, MeshError> MeshState::next_generation_locked() {
  if (next_generation_ == 0 || next_generation_ > reserved_until_) {
    auto highest = registry_->reserve_signing_generations(options_.generation_block);
    if (!highest.has_value()) {
      return base::unexpected(from_registry(highest.error()));
    }
    reserved_until_ = *highest;
    next_generation_ = *highest - options_.generation_block + 1;
  }
  return next_generation_++;
}

base::Status<MeshError> MeshState::sign_if_needed_locked(CachedEnvelope& cache, std::string payload, int type,
                                                         std::string_view subject, std::int64_t now) {
  const std::int64_t lifetime = options_.state_lifetime.count();
  const bool fresh = cache.generation != 0 && cache.payload == payload && now >= cache.issued_at &&
                     now - cache.issued_at < lifetime / 2;
  if (fresh) {
    return {};
  }
  RUSTYNET_ASSIGN_OR_RETURN(const std::uint64_t generation, next_generation_locked());
  crypto::EnvelopeHeader header;
  header.type = static_cast<crypto::ArtifactType>(type);
  header.subject = std::string(subject);
  header.issued_at = now;
  header.expires_at = now + lifetime;
  header.generation = generation;
  auto envelope = crypto::sign_envelope(key_, header, bytes_of(payload));
  if (!envelope.has_value()) {
    return base::unexpected(unavailable("signing failed: " + envelope.error().describe()));
  }
  cache.payload = std::move(payload);
  cache.envelope = std::move(envelope).value();
  cache.generation = generation;
  cache.issued_at = now;
  return {};
}

base::Result<SignedNodeState, MeshError> MeshState::state_for(std::string_view node_id) {
  auto wall = clock_->wall_now();
  if (!wall.has_value()) {
    return base::unexpected(unavailable("wall clock unusable"));
  }
  const std::lock_guard lock(mutex_);
  const auto node = world_->nodes.find(node_id);
  if (node == world_->nodes.end()) {
    return base::unexpected(MeshError{MeshErrorKind::kNotFound, "node not registered"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(std::string payload, payload_for(*this, *world_, node->second));
  auto cache = node_cache_.find(node_id);
  if (cache == node_cache_.end()) {
    cache = node_cache_.emplace(std::string(node_id), CachedEnvelope{}).first;
  }
  RUSTYNET_RETURN_IF_ERROR(sign_if_needed_locked(policy_cache_, world_->policy.document,
                                                 static_cast<int>(crypto::ArtifactType::kPolicySnapshot), "",
                                                 wall->seconds));
  RUSTYNET_RETURN_IF_ERROR(sign_if_needed_locked(
      cache->second, std::move(payload), static_cast<int>(crypto::ArtifactType::kNodeState), node_id, wall->seconds));
  return SignedNodeState{cache->second.generation, cache->second.envelope, policy_cache_.envelope};
}

base::Status<MeshError> MeshState::add_node(const control::RegisteredNode& node) {
  std::uint64_t version = 0;
  {
    const std::lock_guard lock(mutex_);
    // Registry first (uniqueness is its job); if the grown inventory does not compile against
    // the policy the addition is undone, so registry and world never disagree.
    if (auto added = registry_->add_node(node); !added.has_value()) {
      return base::unexpected(from_registry(added.error()));
    }
    if (auto rebuilt = rebuild_locked(std::nullopt); !rebuilt.has_value()) {
      static_cast<void>(registry_->remove_node(node.node_id));
      if (rebuilt.error().kind == MeshErrorKind::kInvalid) {
        return base::unexpected(MeshError{MeshErrorKind::kInvalid, "node: " + rebuilt.error().message});
      }
      return base::unexpected(std::move(rebuilt).error());
    }
    forget_removed_locked(node.node_id);  // registered again: its old key proves nothing now
    version = version_;
  }
  notify(version);
  return {};
}

base::Status<MeshError> MeshState::remove_node(std::string_view node_id) {
  std::uint64_t version = 0;
  {
    const std::lock_guard lock(mutex_);
    const auto known = world_->nodes.find(node_id);
    if (auto removed = registry_->remove_node(node_id); !removed.has_value()) {
      return base::unexpected(from_registry(removed.error()));
    }
    if (known != world_->nodes.end()) {
      forget_removed_locked(node_id);
      if (removed_order_.size() >= kRemovedKeysKept) {
        removed_keys_.erase(removed_order_.front());
        removed_order_.pop_front();
      }
      removed_keys_.emplace(std::string(node_id), known->second.identity_public_key);
      removed_order_.emplace_back(node_id);
    }
    RUSTYNET_RETURN_IF_ERROR(rebuild_locked(std::nullopt));
    version = version_;
  }
  notify(version);
  return {};
}

void MeshState::forget_removed_locked(std::string_view node_id) {
  if (removed_keys_.erase(std::string(node_id)) != 0) {
    removed_order_.erase(std::find(removed_order_.begin(), removed_order_.end(), node_id));
  }
}

bool MeshState::has_node(std::string_view node_id) const {
  const std::lock_guard lock(mutex_);
  return world_->nodes.find(node_id) != world_->nodes.end();
}

std::optional<control::PublicKeyBytes> MeshState::removed_identity_key(std::string_view node_id) const {
  const std::lock_guard lock(mutex_);
  const auto found = removed_keys_.find(node_id);
  return found == removed_keys_.end() ? std::nullopt : std::optional<control::PublicKeyBytes>(found->second);
}

base::Result<std::vector<control::RegisteredNode>, MeshError> MeshState::list_nodes() {
  const std::lock_guard lock(mutex_);
  std::vector<control::RegisteredNode> nodes;
  nodes.reserve(world_->nodes.size());
  for (const auto& [id, node] : world_->nodes) {
    nodes.push_back(node);
  }
  return nodes;
}

base::Status<MeshError> MeshState::report_endpoints(std::string_view node_id,
                                                    const std::vector<policy::SocketAddress>& endpoints) {
  std::uint64_t version = 0;
  {
    const std::lock_guard lock(mutex_);
    auto changed = registry_->set_endpoints(node_id, endpoints);
    if (!changed.has_value()) {
      return base::unexpected(from_registry(changed.error()));
    }
    if (!*changed) {
      return {};
    }
    RUSTYNET_RETURN_IF_ERROR(rebuild_locked(std::nullopt));
    version = version_;
  }
  notify(version);
  return {};
}

base::Result<std::uint64_t, MeshError> MeshState::put_policy(std::string_view document) {
  // A valid document whose rules the data plane cannot honour is refused before anything changes:
  // a rule that is silently not enforced is worse than none.
  if (auto parsed = policy::parse_policy_document(document); parsed.has_value()) {
    if (auto enforceable = policy::check_enforceable(*parsed); !enforceable.has_value()) {
      return base::unexpected(MeshError{MeshErrorKind::kUnenforceable, enforceable.error().describe()});
    }
  }
  std::uint64_t version = 0;
  std::uint64_t generation = 0;
  {
    const std::lock_guard lock(mutex_);
    auto nodes = registry_->list_nodes();
    if (!nodes.has_value()) {
      return base::unexpected(from_registry(nodes.error()));
    }
    RUSTYNET_ASSIGN_OR_RETURN(auto world,
                              build_world(std::move(nodes).value(), control::StoredPolicy{std::string(document), 0}));
    auto stored = registry_->store_policy(document);
    if (!stored.has_value()) {
      return base::unexpected(from_registry(stored.error()));
    }
    generation = *stored;
    world->policy.generation = generation;
    world_ = std::move(world);
    version = ++version_;
  }
  notify(version);
  return generation;
}

base::Result<std::uint64_t, MeshError> MeshState::add_batch(const std::vector<control::RegisteredNode>& nodes,
                                                            const std::optional<std::string>& policy_document) {
  if (policy_document.has_value()) {
    if (auto parsed = policy::parse_policy_document(*policy_document); parsed.has_value()) {
      if (auto enforceable = policy::check_enforceable(*parsed); !enforceable.has_value()) {
        return base::unexpected(MeshError{MeshErrorKind::kUnenforceable, "policy: " + enforceable.error().describe()});
      }
    }
  }
  std::uint64_t version = 0;
  std::uint64_t generation = 0;
  {
    const std::lock_guard lock(mutex_);
    // Compile first: the registry then only has uniqueness left to refuse, inside its transaction.
    auto current = registry_->list_nodes();
    if (!current.has_value()) {
      return base::unexpected(from_registry(current.error()));
    }
    std::vector<control::RegisteredNode> grown = std::move(current).value();
    const std::size_t registered = grown.size();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      // Uniqueness against the registry and the earlier entries, named here so that the policy
      // compile below never reports a duplicate in its own terms.
      const auto& node = nodes[i];
      for (std::size_t j = 0; j < grown.size(); ++j) {
        const auto& other = grown[j];
        const char* field = nullptr;
        if (other.node_id == node.node_id) {
          field = "node_id";
        } else if (other.identity_public_key == node.identity_public_key) {
          field = "identity_public_key";
        } else if (other.tunnel_public_key == node.tunnel_public_key) {
          field = "tunnel_public_key";
        } else if (std::any_of(node.addresses.begin(), node.addresses.end(), [&](const policy::IpAddress& address) {
                     return std::find(other.addresses.begin(), other.addresses.end(), address) != other.addresses.end();
                   })) {
          field = "address";
        }
        if (field != nullptr) {
          const bool in_batch = j >= registered;
          return base::unexpected(
              MeshError{MeshErrorKind::kConflict, "nodes[" + std::to_string(i) + "]: " + field +
                                                      (in_batch ? " repeated in the batch" : " already registered")});
        }
      }
      grown.push_back(node);
    }
    control::StoredPolicy candidate =
        policy_document.has_value() ? control::StoredPolicy{*policy_document, 0} : world_->policy;
    if (auto world = build_world(std::move(grown), std::move(candidate)); !world.has_value()) {
      return base::unexpected(world.error());
    }
    auto stored = registry_->add_batch(nodes, policy_document);
    if (!stored.has_value()) {
      return base::unexpected(from_registry(stored.error()));
    }
    std::optional<control::StoredPolicy> in_force;
    if (policy_document.has_value()) {
      in_force = control::StoredPolicy{*policy_document, *stored};
    }
    RUSTYNET_RETURN_IF_ERROR(rebuild_locked(std::move(in_force)));
    for (const auto& node : nodes) {
      forget_removed_locked(node.node_id);
    }
    generation = world_->policy.generation;
    version = version_;
  }
  notify(version);
  return generation;
}

control::StoredPolicy MeshState::policy() const {
  const std::lock_guard lock(mutex_);
  return world_->policy;
}

}  // namespace rustynet::apps::control_server
