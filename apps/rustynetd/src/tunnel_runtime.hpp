// SPDX-License-Identifier: Apache-2.0
// TunnelRuntime: the daemon's one state machine over the backend (start/apply/routes/exit/shutdown).
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "daemon_error.hpp"
#include "desired_state.hpp"
#include "rustynet/backend_api/exit_mode.hpp"
#include "rustynet/backend_api/tunnel_backend.hpp"
#include "rustynet/base/secret_bytes.hpp"

namespace rustynet::apps::daemon {

// The fixed part of every RuntimeContext this daemon starts the backend with.
struct TunnelIdentity {
  backend_api::NodeId node_id;
  std::string interface_name;
  std::uint16_t listen_port = 0;
  std::uint32_t mtu = 1420;
  base::SecretBytes tunnel_private_key;
};

enum class RuntimePhase : std::uint8_t { kStopped, kRunning };

// Owns the backend; the only code that calls it. Not thread-safe (the daemon serialises calls).
//
// apply() is transactional: peers are removed only after the routes through them are withdrawn,
// then new/changed peers are configured, then the full route set is applied. If any backend call
// fails, the runtime rolls the backend back to the last good state (re-read from stats(), so a
// part-applied kInternal failure is repaired too) and returns kApply naming the failed step. If
// the rollback itself fails, the backend is restarted from scratch with the last good state; if
// even that fails, the backend is shut down (fail closed) and phase() is kStopped.
class TunnelRuntime {
 public:
  TunnelRuntime(std::unique_ptr<backend_api::TunnelBackend> backend, TunnelIdentity identity);
  ~TunnelRuntime();
  TunnelRuntime(const TunnelRuntime&) = delete;
  TunnelRuntime& operator=(const TunnelRuntime&) = delete;
  TunnelRuntime(TunnelRuntime&&) = delete;
  TunnelRuntime& operator=(TunnelRuntime&&) = delete;

  // Starts the backend with `addresses` and no peers. Errors: kBackend.
  [[nodiscard]] DaemonStatus start(const std::vector<backend_api::InterfaceAddress>& addresses);
  // Starts the backend first if needed (with next.addresses); restarts it if the addresses
  // changed (a RuntimeContext is fixed for a lifecycle). Errors: kApply / kBackend.
  [[nodiscard]] DaemonStatus apply(const DesiredState& next);
  [[nodiscard]] DaemonStatus set_exit_mode(const backend_api::ExitMode& mode);
  // Removes the interface and clears all state. Idempotent.
  [[nodiscard]] DaemonStatus shutdown();

  [[nodiscard]] RuntimePhase phase() const noexcept { return phase_; }
  // The last state applied successfully (empty before the first apply).
  [[nodiscard]] const DesiredState& current() const noexcept { return current_; }
  [[nodiscard]] backend_api::BackendResult<backend_api::TunnelStats> stats();
  [[nodiscard]] std::string backend_name() const { return std::string(backend_->name()); }
  // Number of apply() calls that failed and were rolled back (status output, tests).
  [[nodiscard]] std::uint64_t rollbacks() const noexcept { return rollbacks_; }

  // Crossed handshakes. When control pushes a new map to two nodes at once, both configure each
  // other within one round trip and both initiate a handshake; WireGuard drops a response whose
  // initiator has meanwhile answered the other side's initiation, so both initiations fail and
  // each side waits out its 5 s retry (measured in the e2e test under load: 5.2-5.6 s). The
  // runtime remembers peers it configured fresh (new, or with a new key) that have an endpoint
  // and for which this node is the pair's re-initiator (the smaller node id, so exactly one side
  // acts). reinitiate_silent_peers(), called about a second later, re-creates every remembered
  // peer that still has no handshake (routes through it withdrawn first and restored after):
  // a fresh peer initiates at once, and the other side, no longer initiating, answers it.
  [[nodiscard]] bool awaiting_handshakes() const noexcept { return !awaiting_handshake_.empty(); }
  // Returns the peers re-created (the set is cleared either way: one attempt per configuration).
  // Errors: kBackend (stats), kApply (a step failed; rolled back like apply()).
  [[nodiscard]] DaemonResult<std::vector<backend_api::NodeId>> reinitiate_silent_peers();

 private:
  [[nodiscard]] backend_api::BackendStatus apply_diff(const DesiredState& from, const DesiredState& to,
                                                      std::string& step);
  [[nodiscard]] backend_api::BackendStatus restore(const DesiredState& target);
  [[nodiscard]] DaemonStatus recover(const DaemonError& cause);
  void note_fresh_peers(const DesiredState& from, const DesiredState& to);
  [[nodiscard]] backend_api::BackendStatus recreate_peers(const std::vector<backend_api::NodeId>& peers,
                                                          std::string& step);

  std::unique_ptr<backend_api::TunnelBackend> backend_;
  TunnelIdentity identity_;
  RuntimePhase phase_ = RuntimePhase::kStopped;
  DesiredState current_;
  backend_api::ExitMode exit_mode_ = backend_api::ExitMode::off();
  std::uint64_t rollbacks_ = 0;
  std::set<backend_api::NodeId> awaiting_handshake_;
};

}  // namespace rustynet::apps::daemon
