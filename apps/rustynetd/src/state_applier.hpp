// SPDX-License-Identifier: Apache-2.0
// StateApplier: verify -> parse -> check -> commit -> persist -> apply, for signed control state.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_error.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/trust_state.hpp"
#include "rustynet/policy/policy_store.hpp"
#include "tunnel_runtime.hpp"

namespace rustynet::apps::daemon {

// The body of a 200 answer to POST /v1/node/sync (docs/control-protocol.md), decoded but NOT
// verified.
struct SyncPayload {
  std::uint64_t generation = 0;
  std::vector<std::uint8_t> node_state;  // signed envelope bytes
  std::vector<std::uint8_t> policy;      // signed envelope bytes
};

// Errors: kRejected (strict JSON, version, base64, sizes).
[[nodiscard]] DaemonResult<SyncPayload> parse_sync_response(std::string_view body);

struct SyncRequest {
  std::uint64_t known_generation = 0;
  std::uint32_t wait_seconds = 25;
  std::uint16_t listen_port = 0;
  std::vector<std::string> endpoints;
};

[[nodiscard]] std::string encode_sync_request(const SyncRequest& request);

// What the node runs now, for `rustynet netmap`.
struct NetmapInfo {
  std::uint64_t generation = 0;
  std::string signer_key_id;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
  std::string policy_digest;  // lowercase hex
  std::vector<std::string> peers;
};

// Not thread-safe (the daemon serialises calls under its state lock).
class StateApplier {
 public:
  struct Options {
    std::string node_id;
    std::string last_state_path;  // verified envelopes of the last committed state (0600)
    std::uint16_t keepalive_seconds = 25;
  };

  // References must outlive the applier.
  StateApplier(Options options, crypto::TrustStore& trust, TunnelRuntime& runtime, const base::Clock& clock);

  // The one path from control data to the backend. Order (docs/daemon.md): TrustStore::verify of
  // both envelopes (known signer, signature, subject = node id / empty, validity window,
  // generation not rolled back) -> parse_node_state -> node id matches -> SHA-256(policy
  // payload) == policy_digest -> policy compiles against the state's inventory -> translation to
  // backend values -> TrustStore::commit of both generations in one write -> last-state file ->
  // TunnelRuntime::apply (transactional). Nothing reaches the backend unless every check before
  // it passed; on any failure before apply the running state is untouched.
  // Returns true if the backend state changed. Errors: kRejected (verification, parse, digest,
  // policy), kTrustState (commit), kApply / kBackend (apply failed and was rolled back).
  [[nodiscard]] DaemonResult<bool> accept(std::span<const std::uint8_t> node_state,
                                          std::span<const std::uint8_t> policy);

  // Startup: re-verifies and applies the last committed state from last_state_path so the tunnel
  // is up before control answers. Ok(false) when there is no file; errors when it does not
  // verify any more (e.g. expired): the caller then waits for control.
  [[nodiscard]] DaemonResult<bool> restore_last_state();

  // Called in accept() after every check and before the commit and the apply, with the verified
  // state and its translation; may change peer endpoints (the RelayManager points relayed peers
  // at their local relay link). An error rejects the update like a failed check.
  using EndpointRewriter = std::function<DaemonStatus(const policy::NodeState&, DesiredState&)>;
  void set_endpoint_rewriter(EndpointRewriter rewriter) { rewriter_ = std::move(rewriter); }

  // Re-runs the endpoint rewriter and TunnelRuntime::apply on the state the last successful
  // accept() verified and translated (the automatic relay changed its mind about a peer's path).
  // Nothing is parsed, verified or committed again, and no input other than the rewriter's
  // endpoint substitution can differ from that apply. Ok(false) when nothing was accepted yet or
  // the backend state did not change. Errors: the rewriter's, kApply / kBackend (rolled back).
  [[nodiscard]] DaemonResult<bool> reapply();

  [[nodiscard]] std::uint64_t applied_generation() const noexcept { return applied_generation_; }
  [[nodiscard]] const std::optional<NetmapInfo>& netmap() const noexcept { return netmap_; }
  [[nodiscard]] const policy::PolicyStore& policy() const noexcept { return *policy_; }
  void set_keepalive(std::uint16_t seconds) noexcept { options_.keepalive_seconds = seconds; }

 private:
  Options options_;
  crypto::TrustStore* trust_;
  TunnelRuntime* runtime_;
  const base::Clock* clock_;
  std::unique_ptr<policy::PolicyStore> policy_;
  std::uint64_t applied_generation_ = 0;
  std::optional<NetmapInfo> netmap_;
  EndpointRewriter rewriter_;
  // The last accepted state and its translation before the rewriter ran (for reapply()).
  std::optional<policy::NodeState> accepted_state_;
  std::optional<DesiredState> accepted_desired_;
};

}  // namespace rustynet::apps::daemon
