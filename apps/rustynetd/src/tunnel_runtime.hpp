// SPDX-License-Identifier: Apache-2.0
// TunnelRuntime: the daemon's one state machine over the backend (start/apply/routes/exit/shutdown).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon_error.hpp"
#include "desired_state.hpp"
#include "rustynet/backend_api/exit_mode.hpp"
#include "rustynet/backend_api/packet_filter.hpp"
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

using SteadyTime = std::chrono::steady_clock::time_point;

// How long the runtime watches a freshly configured peer (docs/daemon.md "Crossed handshakes").
struct FreshPeerTimings {
  // Re-initiator: no handshake this long after configuring -> re-create the peer (once).
  std::chrono::milliseconds first_handshake_grace{1000};
  // Re-initiator: a handshake, then tx grows while rx stays flat this long -> re-create (once).
  std::chrono::milliseconds one_way_window{2000};
  // The other side: its keepalive is switched on at a handshake, or at the latest after this.
  std::chrono::milliseconds keepalive_defer_limit{3000};
  // A fresh peer still unresolved this long after configuring is no longer watched.
  std::chrono::milliseconds watch_limit{10000};
};

// What watch_fresh_peers() did.
struct FreshPeerActions {
  std::vector<backend_api::NodeId> reinitiated;          // no handshake within the grace
  std::vector<backend_api::NodeId> reinitiated_one_way;  // handshake, but nothing received while sending
  std::vector<backend_api::NodeId> keepalive_on;         // deferred keepalive switched on
  [[nodiscard]] bool empty() const noexcept {
    return reinitiated.empty() && reinitiated_one_way.empty() && keepalive_on.empty();
  }
};

// What check_filter() found.
struct FilterCheck {
  bool restored = false;  // the kernel's filter was missing or altered and has been re-installed
  std::string finding;    // what was wrong (empty when nothing was)
};

// Owns the backend and the mesh interface's packet filter; the only code that calls them. Not
// thread-safe (the daemon serialises calls).
//
// The filter comes first (docs/packet-filter.md "Ordering"): start() makes sure a filter exists
// before the interface does (a predecessor's table is kept until replaced, otherwise one that
// drops everything), and apply() installs a changed filter before it touches any peer, so a peer
// is never configured without the filter that covers it. shutdown() removes the filter after the
// interface. If the filter cannot be installed, apply() changes nothing and fails (kApply).
//
// apply() is transactional: peers are removed only after the routes through them are withdrawn,
// then new/changed peers are configured, then the full route set is applied. If any backend call
// fails, the runtime rolls the backend back to the last good state (re-read from stats(), so a
// part-applied kInternal failure is repaired too) and returns kApply naming the failed step. If
// the rollback itself fails, the backend is restarted from scratch with the last good state; if
// even that fails, the backend is shut down (fail closed) and phase() is kStopped.
class TunnelRuntime {
 public:
  TunnelRuntime(std::unique_ptr<backend_api::TunnelBackend> backend,
                std::unique_ptr<backend_api::PacketFilterBackend> filter, TunnelIdentity identity);
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
  // Removes the interface, then the packet filter, and clears all state. Idempotent.
  [[nodiscard]] DaemonStatus shutdown();

  // Reads the filter back from the kernel; if it is missing, altered or of another generation than
  // the one this runtime installed, re-installs the filter in force (a new generation). Ok with
  // nothing to do before the first apply. Errors: kBackend (could not read or re-install).
  [[nodiscard]] DaemonResult<FilterCheck> check_filter();
  // Asks the installed filter (the kernel's copy) about one flow. Errors: kBackend.
  [[nodiscard]] backend_api::BackendResult<bool> filter_allows(const backend_api::FlowQuery& flow);
  // The generation of the filter this runtime installed last (0: none yet).
  [[nodiscard]] std::uint64_t filter_generation() const noexcept { return filter_generation_; }
  [[nodiscard]] std::string filter_name() const { return std::string(filter_->name()); }
  // Times check_filter() found the kernel's filter missing or altered and restored it.
  [[nodiscard]] std::uint64_t filter_restores() const noexcept { return filter_restores_; }

  [[nodiscard]] RuntimePhase phase() const noexcept { return phase_; }
  // The last state applied successfully (empty before the first apply).
  [[nodiscard]] const DesiredState& current() const noexcept { return current_; }
  [[nodiscard]] backend_api::BackendResult<backend_api::TunnelStats> stats();
  [[nodiscard]] std::string backend_name() const { return std::string(backend_->name()); }
  // Number of apply() calls that failed and were rolled back (status output, tests).
  [[nodiscard]] std::uint64_t rollbacks() const noexcept { return rollbacks_; }

  // Crossed handshakes. When control pushes a new map to two nodes at once, both configure each
  // other within one round trip and, with persistent keepalive, both initiate a handshake at once.
  // If the initiations cross, both may fail (each waits out WireGuard's 5 s retry), or both
  // complete with the two sides on different keypairs (one side's data is dropped by the other
  // until a rekey some 15 s later). The runtime therefore watches peers it configured fresh (new,
  // or with a new key), per pair, with one side acting (docs/daemon.md):
  //  - the smaller node id (the re-initiator; only if it has an endpoint for the peer) re-creates
  //    the peer once if it has no handshake after first_handshake_grace, and once more if after
  //    a handshake its tx grows while rx stays flat for one_way_window;
  //  - the larger node id, for a peer added to a running tunnel (not at start: then the other
  //    side has this node already and nothing crosses), configures it without persistent
  //    keepalive, so it does not initiate on its own, and switches the configured keepalive on
  //    (configure_peer update in place) once a handshake is seen, or after keepalive_defer_limit.
  // The deferred keepalive is runtime-only: current() keeps the configured value, and rollback
  // (restore) re-applies the value in effect, so neither fights the other.
  [[nodiscard]] bool awaiting_handshakes() const noexcept { return !fresh_.empty(); }
  // Starts the clocks of fresh peers configured since the last call (call right after apply()).
  void stamp_fresh_peers(SteadyTime now);
  // One check of every watched peer against one stats() read; acts as described above.
  // Errors: kBackend (stats), kApply (a step failed; rolled back like apply()).
  [[nodiscard]] DaemonResult<FreshPeerActions> watch_fresh_peers(SteadyTime now);
  // The peers this node configured without keepalive for now (tests, status).
  [[nodiscard]] std::vector<backend_api::NodeId> keepalive_deferred() const;

  // After an underlay address change: makes the tunnel send at once to every peer (except those
  // whose keepalive is deferred), so peers learn this node's new address in one packet (roaming)
  // instead of at the next keepalive or rekey. Done through the backend contract only: each
  // peer's persistent keepalive is switched (on <-> off) and back, in two batched configure
  // calls; a data plane sends a keepalive when persistent keepalive is switched on (both WireGuard
  // implementations do). Returns the number of peers. Errors: kApply (rolled back like apply()).
  [[nodiscard]] DaemonResult<std::size_t> announce_underlay_change();

  void set_fresh_peer_timings(const FreshPeerTimings& timings) { timings_ = timings; }

 private:
  struct FreshPeer {
    bool reinitiator = false;         // smaller node id of the pair (and has an endpoint)
    bool keepalive_deferred = false;  // larger node id: configured without keepalive for now
    std::optional<SteadyTime> since;  // configured (or re-created) at
    bool recreated = false;           // the no-handshake re-creation was used
    struct Counters {
      SteadyTime at;
      std::uint64_t rx = 0;
      std::uint64_t tx = 0;
    };
    std::optional<Counters> at_handshake;  // first seen with a handshake
  };
  using FreshPeers = std::map<backend_api::NodeId, FreshPeer>;

  // The fresh-peer set after moving from `from` to `to`; `incremental`: an update of a running
  // tunnel (keepalive deferral applies), not a start.
  [[nodiscard]] FreshPeers next_fresh_peers(const DesiredState& from, const DesiredState& to, bool incremental) const;
  // `peer` as configured on the backend under `fresh` (keepalive off while deferred).
  [[nodiscard]] static backend_api::PeerConfig in_effect(const backend_api::PeerConfig& peer, const FreshPeers& fresh);
  [[nodiscard]] backend_api::BackendStatus apply_diff(const DesiredState& from, const DesiredState& to,
                                                      const FreshPeers& fresh, std::string& step);
  [[nodiscard]] backend_api::BackendStatus restore(const DesiredState& target);
  // Stops the backend only (lifecycle restarts keep the filter in force).
  [[nodiscard]] DaemonStatus stop_backend();
  // Installs `spec` (stamped with the next generation) unless exactly its rules are in force.
  [[nodiscard]] DaemonStatus install_filter(const backend_api::FilterSpec& spec);
  [[nodiscard]] DaemonStatus recover(const DaemonError& cause);
  [[nodiscard]] backend_api::BackendStatus recreate_peers(const std::vector<backend_api::NodeId>& peers,
                                                          std::string& step);

  std::unique_ptr<backend_api::TunnelBackend> backend_;
  std::unique_ptr<backend_api::PacketFilterBackend> filter_;
  std::optional<backend_api::FilterSpec> filter_in_force_;  // rules this runtime installed (generation 0)
  std::uint64_t filter_generation_ = 0;
  bool filter_present_ = false;  // ensure_installed() or apply() succeeded: shutdown() removes it
  std::uint64_t filter_restores_ = 0;
  TunnelIdentity identity_;
  RuntimePhase phase_ = RuntimePhase::kStopped;
  DesiredState current_;
  backend_api::ExitMode exit_mode_ = backend_api::ExitMode::off();
  std::uint64_t rollbacks_ = 0;
  FreshPeers fresh_;
  FreshPeerTimings timings_;
};

}  // namespace rustynet::apps::daemon
