// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the rustynetd tests: keys, signed states, configs, custody, fake backends.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "control_link.hpp"
#include "manual_clock.hpp"
#include "rustynet/backend_api/reference_backend.hpp"
#include "rustynet/crypto/custody_file.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/policy/node_state.hpp"
#include "temp_dir.hpp"

namespace rustynet::testing {

inline constexpr std::int64_t kTestNow = 1'800'000'000;
inline const std::string kAllowAllPolicy =
    R"({"version": 1, "rules": [{"id": "mesh", "action": "allow", "src": ["tag:mesh"], "dst": ["tag:mesh"],)"
    R"( "protocol": "any"}]})";

inline std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

inline crypto::Ed25519SigningKey key_from(std::uint8_t byte) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(byte);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

struct TestPeer {
  std::string id;
  std::string address;  // IPv4 tunnel address
  std::uint8_t key_byte = 1;
  std::optional<std::string> endpoint;
};

inline policy::NodeState make_state(const std::string& self, const std::string& self_address,
                                    const std::vector<TestPeer>& peers, const std::string& policy_text) {
  policy::NodeState state;
  state.node_id = self;
  state.tags = {"mesh"};
  state.addresses = {policy::IpAddress::parse(self_address).value()};
  state.policy_digest = crypto::sha256(bytes_of(policy_text));
  for (const auto& p : peers) {
    policy::PeerState peer;
    peer.node_id = p.id;
    peer.tags = {"mesh"};
    const auto address = policy::IpAddress::parse(p.address).value();
    peer.addresses = {address};
    peer.tunnel_public_key.fill(p.key_byte);
    if (p.endpoint) {
      peer.endpoints = {policy::SocketAddress::parse(*p.endpoint).value()};
    }
    peer.allowed_prefixes = {policy::IpPrefix::host(address)};
    state.peers.push_back(peer);
    state.routes.push_back({policy::IpPrefix::host(address), p.id});
  }
  return state;
}

struct SignedPair {
  std::vector<std::uint8_t> node_state;
  std::vector<std::uint8_t> policy;
};

struct SignOptions {
  std::int64_t issued_at = kTestNow;
  std::int64_t expires_at = kTestNow + 86400;
  std::string subject = "n1";
  std::optional<std::uint64_t> policy_generation;  // default: same as the node state
};

inline SignedPair sign_pair(const crypto::Ed25519SigningKey& key, std::uint64_t generation,
                            const policy::NodeState& state, const std::string& policy_text,
                            const SignOptions& options = {}) {
  SignedPair out;
  const std::string payload = policy::encode_node_state(state).value();
  out.node_state =
      crypto::sign_envelope(
          key, {crypto::ArtifactType::kNodeState, options.subject, options.issued_at, options.expires_at, generation},
          bytes_of(payload))
          .value();
  out.policy = crypto::sign_envelope(key,
                                     {crypto::ArtifactType::kPolicySnapshot, "", options.issued_at, options.expires_at,
                                      options.policy_generation.value_or(generation)},
                                     bytes_of(policy_text))
                   .value();
  return out;
}

inline std::string sync_body(std::uint64_t generation, const SignedPair& pair) {
  nlohmann::json doc;
  doc["version"] = 1;
  doc["generation"] = generation;
  doc["node_state"] = crypto::base64_encode(pair.node_state);
  doc["policy"] = crypto::base64_encode(pair.policy);
  return doc.dump();
}

inline void write_file(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path, std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
}

// A node's key directory (encrypted custody) with identity and tunnel keys, plus its secret file.
struct NodeKeys {
  std::string key_dir;
  std::string secret_file;
};

inline NodeKeys provision_node_keys(const TempDir& dir, std::uint8_t identity_byte = 0x21) {
  NodeKeys keys{dir.file("keys"), dir.file("custody-secret")};
  const std::string secret = "correct horse battery staple 42";
  write_file(keys.secret_file, secret + "\n");
  crypto::EncryptedFileCustodyOptions options;
  options.create_directory = true;
  auto custody = crypto::EncryptedFileCustody::open(
                     keys.key_dir, crypto::OperatorSecret::from_bytes(bytes_of(secret)).value(), options)
                     .value();
  if (!crypto::store_signing_key(*custody, crypto::KeyPurpose::kNodeIdentity, key_from(identity_byte)).has_value()) {
    std::abort();
  }
  std::array<std::uint8_t, 32> tunnel{};
  tunnel.fill(0x42);
  if (!custody->store(crypto::KeyPurpose::kNodeTunnel, tunnel).has_value()) {
    std::abort();
  }
  return keys;
}

// provision_node_keys() once per process (Argon2id is deliberately slow), copied per test: the
// copy keeps the host salt, so the blobs stay valid; modes are restored to 0700/0600.
inline NodeKeys copy_of_provisioned_keys(const TempDir& dir) {
  static TempDir* const template_dir = new TempDir();  // NOLINT: lives for the whole test process
  static const NodeKeys template_keys = provision_node_keys(*template_dir);
  NodeKeys keys{dir.file("keys"), dir.file("custody-secret")};
  std::filesystem::copy(template_keys.key_dir, keys.key_dir);
  std::filesystem::copy_file(template_keys.secret_file, keys.secret_file);
  ::chmod(keys.key_dir.c_str(), 0700);
  ::chmod(keys.secret_file.c_str(), 0600);
  for (const auto& entry : std::filesystem::directory_iterator(keys.key_dir)) {
    ::chmod(entry.path().c_str(), 0600);
  }
  return keys;
}

// A complete, valid daemon config for node "n1" with the memory backend.
inline nlohmann::json base_config(const TempDir& dir, const NodeKeys& keys, const crypto::Ed25519PublicKey& control) {
  nlohmann::json config;
  config["version"] = 1;
  config["node_id"] = "n1";
  config["interface"] = "rn-test0";
  config["listen_port"] = 51820;
  config["key_custody"] = {{"key_dir", keys.key_dir}, {"operator_secret_file", keys.secret_file}};
  config["trust_state"] = dir.file("trust.state");
  config["control"] = {{"url", "127.0.0.1:1"},
                       {"pin_sha256", std::string(64, 'a')},
                       {"signing_public_keys", {control.to_base64()}},
                       {"long_poll_seconds", 5}};
  config["backend"] = {{"kind", "memory"}};
  config["local_api"] = {{"socket", dir.file("api.sock")}};
  config["advertised_endpoints"] = {"192.0.2.10:51820"};
  return config;
}

// Fails the Nth (1-based) mutating call, counting calls per operation and per peer.
class ScriptedBackend final : public backend_api::TunnelBackend {
 public:
  std::string_view name() const override { return "memory"; }
  backend_api::BackendCapabilities capabilities() const override { return inner.capabilities(); }
  backend_api::BackendStatus start(const backend_api::RuntimeContext& context) override {
    RUSTYNET_RETURN_IF_ERROR(tick("start"));
    ++starts;
    return inner.start(context);
  }
  backend_api::BackendStatus configure_peer(const backend_api::PeerConfig& peer) override {
    RUSTYNET_RETURN_IF_ERROR(tick("configure"));
    ++configured[peer.node_id.value()];
    return inner.configure_peer(peer);
  }
  backend_api::BackendStatus remove_peer(const backend_api::NodeId& node_id) override {
    RUSTYNET_RETURN_IF_ERROR(tick("remove"));
    ++removed[node_id.value()];
    return inner.remove_peer(node_id);
  }
  backend_api::BackendStatus apply_routes(std::span<const backend_api::Route> routes) override {
    RUSTYNET_RETURN_IF_ERROR(tick("routes"));
    ++route_calls;
    return inner.apply_routes(routes);
  }
  backend_api::BackendStatus set_exit_mode(const backend_api::ExitMode& mode) override {
    RUSTYNET_RETURN_IF_ERROR(tick("exit"));
    return inner.set_exit_mode(mode);
  }
  backend_api::BackendResult<backend_api::TunnelStats> stats() override {
    auto out = inner.stats();
    if (out.has_value()) {
      for (auto& peer : out->peers) {
        if (handshaken.contains(peer.node_id.value())) {
          peer.last_handshake_unix_seconds = 1'700'000'000;
        }
        if (const auto it = traffic.find(peer.node_id.value()); it != traffic.end()) {
          peer.rx_bytes = it->second.first;
          peer.tx_bytes = it->second.second;
        }
      }
    }
    return out;
  }
  backend_api::BackendStatus shutdown() override {
    ++shutdowns;
    if (observer) {
      observer("shutdown");
    }
    return inner.shutdown();
  }

  void reset_counts() {
    configured.clear();
    removed.clear();
    route_calls = 0;
  }

  backend_api::ReferenceBackend inner;
  std::optional<int> fail_at;  // 1-based index of the mutating call that fails (kInternal)
  int calls = 0;
  int starts = 0;
  int shutdowns = 0;
  int route_calls = 0;
  std::map<std::string, int> configured;
  std::map<std::string, int> removed;
  std::set<std::string> handshaken;  // peers stats() reports with a completed handshake
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> traffic;  // rx, tx bytes stats() reports
  std::function<void(const char*)> observer;  // sees every mutating call ("start", "configure", ...) first

 private:
  backend_api::BackendStatus tick(const char* what) {
    ++calls;
    if (observer) {
      observer(what);
    }
    if (fail_at && calls == *fail_at) {
      return backend_api::fail(backend_api::BackendError::internal(std::string("injected failure in ") + what));
    }
    return {};
  }
};

// ControlLink fake: hands out scripted replies; with none queued it blocks like a long-poll
// until more are queued or abort() is called. Records every request.
class FakeLink final : public apps::daemon::ControlLink {
 public:
  using Outcome = base::Result<apps::daemon::SyncReply, apps::daemon::SyncFailure>;

  Outcome sync(const apps::daemon::SyncRequest& request) override {
    std::unique_lock lock(mutex_);
    requests_.push_back(request);
    cv_.notify_all();
    parked_ = true;
    cv_.wait(lock, [&] { return aborted_ || interrupt_pending_ || !queue_.empty(); });
    parked_ = false;
    if (aborted_) {
      return base::unexpected(apps::daemon::SyncFailure{
          apps::daemon::DaemonError{apps::daemon::DaemonErrorKind::kControl, "aborted"}, std::nullopt});
    }
    if (std::exchange(interrupt_pending_, false)) {
      return base::unexpected(apps::daemon::SyncFailure{
          apps::daemon::DaemonError{apps::daemon::DaemonErrorKind::kControl, "io: read: interrupted"}, std::nullopt,
          true});
    }
    Outcome next = std::move(queue_.front());
    queue_.pop_front();
    return next;
  }
  apps::daemon::DaemonResult<apps::daemon::RelayTicketGrant> relay_ticket(const std::string& peer) override {
    const std::lock_guard lock(mutex_);
    ticket_requests_.push_back(peer);
    cv_.notify_all();
    return apps::daemon::daemon_fail(apps::daemon::DaemonErrorKind::kControl, "control answered HTTP 503");
  }
  void abort() override {
    const std::lock_guard lock(mutex_);
    aborted_ = true;
    cv_.notify_all();
  }
  // Like the HTTPS link: ends a parked sync (interrupted); between syncs it only drops the
  // (here imaginary) kept connection, so the next sync is unaffected.
  void interrupt() override {
    const std::lock_guard lock(mutex_);
    ++interrupts_;
    interrupt_pending_ = parked_;
    cv_.notify_all();
  }
  [[nodiscard]] int interrupts() {
    const std::lock_guard lock(mutex_);
    return interrupts_;
  }
  // Blocks until `count` syncs have started (the latest may be parked).
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }
  // Blocks until relay_ticket() was asked for `peer` (the relay workers ask from their threads).
  bool wait_for_ticket_request(const std::string& peer, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      return std::find(ticket_requests_.begin(), ticket_requests_.end(), peer) != ticket_requests_.end();
    });
  }
  void push(Outcome outcome) {
    const std::lock_guard lock(mutex_);
    queue_.push_back(std::move(outcome));
    cv_.notify_all();
  }
  std::vector<apps::daemon::SyncRequest> snapshot() {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Outcome> queue_;
  bool aborted_ = false;
  bool parked_ = false;
  bool interrupt_pending_ = false;
  int interrupts_ = 0;
  std::vector<apps::daemon::SyncRequest> requests_;
  std::vector<std::string> ticket_requests_;
};

}  // namespace rustynet::testing
