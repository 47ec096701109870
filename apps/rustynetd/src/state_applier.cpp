// SPDX-License-Identifier: Apache-2.0
// StateApplier: the verify-then-apply pipeline for node states and policy snapshots.
#include "state_applier.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>

#include "filter_spec.hpp"
#include "rustynet/base/file_io.hpp"
#include "rustynet/base/strict_json.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "rustynet/policy/node_state.hpp"

namespace rustynet::apps::daemon {
namespace {

constexpr std::size_t kMaxSyncBodyBytes = 24U << 20U;  // two 8 MiB envelopes in base64
constexpr std::size_t kMaxLastStateBytes = 24U << 20U;

DaemonResult<std::vector<std::uint8_t>> decode_field(base::JsonObjectReader& reader, std::string_view key) {
  auto text = reader.required_string(key);
  if (!text.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, text.error().describe());
  }
  auto bytes = crypto::base64_decode(*text);
  if (!bytes.has_value() || bytes->empty() || bytes->size() > crypto::kMaxEnvelopeBytes) {
    return daemon_fail(DaemonErrorKind::kRejected, reader.child_path(key) + ": not a base64 envelope");
  }
  return std::move(bytes).value();
}

DaemonError rejected(std::string_view what, const crypto::SignedStateError& error) {
  return DaemonError{DaemonErrorKind::kRejected, std::string(what) + ": " + error.describe()};
}

// Everything about an update that passed every check, ready to commit and apply.
struct Staged {
  crypto::VerifiedArtifact node;
  crypto::VerifiedArtifact policy;
  policy::NodeState state;
  std::unique_ptr<policy::PolicyStore> compiled;
  DesiredState desired;
};

DaemonResult<Staged> stage(const crypto::TrustStore& trust, const base::Clock& clock, const std::string& node_id,
                           std::uint16_t keepalive, std::span<const std::uint8_t> node_state,
                           std::span<const std::uint8_t> policy_bytes) {
  Staged out;
  auto node = trust.verify(node_state, crypto::ArtifactType::kNodeState, node_id, clock);
  if (!node.has_value()) {
    return base::unexpected(rejected("node state", node.error()));
  }
  auto policy = trust.verify(policy_bytes, crypto::ArtifactType::kPolicySnapshot, "", clock);
  if (!policy.has_value()) {
    return base::unexpected(rejected("policy snapshot", policy.error()));
  }
  out.node = std::move(node).value();
  out.policy = std::move(policy).value();
  const std::string node_text(out.node.payload.begin(), out.node.payload.end());
  auto parsed = policy::parse_node_state(node_text);
  if (!parsed.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "node state payload: " + parsed.error().describe());
  }
  out.state = std::move(parsed).value();
  if (out.state.node_id != node_id) {
    return daemon_fail(DaemonErrorKind::kRejected, "node state is for another node");
  }
  if (crypto::sha256(out.policy.payload) != out.state.policy_digest) {
    return daemon_fail(DaemonErrorKind::kRejected, "policy snapshot does not match the node state's policy_digest");
  }
  out.compiled = std::make_unique<policy::PolicyStore>();
  const std::string policy_text(out.policy.payload.begin(), out.policy.payload.end());
  if (auto loaded = out.compiled->load(policy_text, policy::inventory_of(out.state)); !loaded.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "policy snapshot: " + loaded.error().describe());
  }
  RUSTYNET_ASSIGN_OR_RETURN(out.desired, desired_state_from(out.state, keepalive));
  RUSTYNET_ASSIGN_OR_RETURN(out.desired.filter, filter_spec_from(*out.compiled->current(), out.state));
  return out;
}

std::string encode_last_state(std::span<const std::uint8_t> node_state, std::span<const std::uint8_t> policy) {
  nlohmann::json doc;
  doc["version"] = 1;
  doc["node_state"] = crypto::base64_encode(node_state);
  doc["policy"] = crypto::base64_encode(policy);
  return doc.dump();
}

}  // namespace

DaemonResult<SyncPayload> parse_sync_response(std::string_view body) {
  auto json = base::parse_strict_json(body, {kMaxSyncBodyBytes, 8});
  if (!json.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "sync response: " + json.error().describe());
  }
  auto reader = base::JsonObjectReader::create(*json, "$");
  if (!reader.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "sync response: " + reader.error().describe());
  }
  if (auto version = base::require_version(*reader, 1); !version.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "sync response: " + version.error().describe());
  }
  SyncPayload out;
  auto generation = reader->required_int("generation");
  if (!generation.has_value() || *generation < 1) {
    return daemon_fail(DaemonErrorKind::kRejected, "sync response: $.generation must be >= 1");
  }
  out.generation = static_cast<std::uint64_t>(*generation);
  RUSTYNET_ASSIGN_OR_RETURN(out.node_state, decode_field(*reader, "node_state"));
  RUSTYNET_ASSIGN_OR_RETURN(out.policy, decode_field(*reader, "policy"));
  if (auto finished = reader->finish(); !finished.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "sync response: " + finished.error().describe());
  }
  return out;
}

std::string encode_sync_request(const SyncRequest& request) {
  nlohmann::json doc;
  doc["version"] = 1;
  doc["known_generation"] = request.known_generation;
  doc["wait_seconds"] = request.wait_seconds;
  doc["listen_port"] = request.listen_port;
  doc["endpoints"] = request.endpoints;
  return doc.dump();
}

StateApplier::StateApplier(Options options, crypto::TrustStore& trust, TunnelRuntime& runtime, const base::Clock& clock)
    : options_(std::move(options)),
      trust_(&trust),
      runtime_(&runtime),
      clock_(&clock),
      policy_(std::make_unique<policy::PolicyStore>()) {}

DaemonResult<bool> StateApplier::accept(std::span<const std::uint8_t> node_state,
                                        std::span<const std::uint8_t> policy) {
  RUSTYNET_ASSIGN_OR_RETURN(auto staged,
                            stage(*trust_, *clock_, options_.node_id, options_.keepalive_seconds, node_state, policy));
  DesiredState translated = staged.desired;  // before the rewrite: reapply() starts from it
  if (rewriter_) {
    RUSTYNET_RETURN_IF_ERROR(rewriter_(staged.state, staged.desired));
  }
  // Commit before applying (TrustStore::commit): once this generation may be in effect, an older
  // one must never verify again, even after a crash in the middle of the apply.
  if (!staged.node.already_accepted || !staged.policy.already_accepted) {
    const std::array<const crypto::VerifiedArtifact*, 2> artifacts{&staged.node, &staged.policy};
    if (auto committed = trust_->commit(artifacts); !committed.has_value()) {
      return daemon_fail(DaemonErrorKind::kTrustState, "commit: " + committed.error().describe());
    }
  }
  if (auto saved = base::atomic_write_file(options_.last_state_path, encode_last_state(node_state, policy));
      !saved.has_value()) {
    // Not fatal: the state is committed; only the fast restart path loses it.
    (void)saved;
  }
  const bool changed = runtime_->phase() != RuntimePhase::kRunning || !(runtime_->current() == staged.desired);
  if (changed) {
    RUSTYNET_RETURN_IF_ERROR(runtime_->apply(staged.desired));
  }
  policy_ = std::move(staged.compiled);
  applied_generation_ = staged.node.header.generation;
  NetmapInfo info;
  info.generation = staged.node.header.generation;
  info.signer_key_id = staged.node.signer_key_id;
  info.issued_at = staged.node.header.issued_at;
  info.expires_at = staged.node.header.expires_at;
  info.policy_digest = policy::to_hex32(staged.state.policy_digest);
  for (const auto& peer : staged.state.peers) {
    info.peers.push_back(peer.node_id);
  }
  netmap_ = std::move(info);
  accepted_state_ = std::move(staged.state);
  accepted_desired_ = std::move(translated);
  return changed;
}

DaemonResult<bool> StateApplier::reapply() {
  if (!accepted_state_ || !accepted_desired_) {
    return false;
  }
  DesiredState desired = *accepted_desired_;
  if (rewriter_) {
    RUSTYNET_RETURN_IF_ERROR(rewriter_(*accepted_state_, desired));
  }
  const bool changed = runtime_->phase() != RuntimePhase::kRunning || !(runtime_->current() == desired);
  if (changed) {
    RUSTYNET_RETURN_IF_ERROR(runtime_->apply(desired));
  }
  return changed;
}

DaemonResult<bool> StateApplier::restore_last_state() {
  auto text = base::read_file_bounded(options_.last_state_path, kMaxLastStateBytes);
  if (!text.has_value()) {
    if (text.error().kind == base::FileErrorKind::kNotFound) {
      return false;
    }
    return daemon_fail(DaemonErrorKind::kRejected, "last state: " + text.error().describe());
  }
  if (auto secure = base::check_private_file(options_.last_state_path, 0600, ::geteuid()); !secure.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "last state: " + secure.error().describe());
  }
  auto json = base::parse_strict_json(*text, {kMaxLastStateBytes, 8});
  if (!json.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "last state: " + json.error().describe());
  }
  auto reader = base::JsonObjectReader::create(*json, "$");
  if (!reader.has_value() || !base::require_version(*reader, 1).has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "last state: bad document");
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto node_state, decode_field(*reader, "node_state"));
  RUSTYNET_ASSIGN_OR_RETURN(const auto policy, decode_field(*reader, "policy"));
  if (!reader->finish().has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "last state: unknown fields");
  }
  RUSTYNET_RETURN_IF_ERROR(accept(node_state, policy));
  return true;
}

}  // namespace rustynet::apps::daemon
