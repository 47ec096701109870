// SPDX-License-Identifier: Apache-2.0
// RelayManager: one relay link per relayed peer; points the peer's endpoint at the link's loopback socket.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control_link.hpp"
#include "daemon_error.hpp"
#include "desired_state.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/policy/node_state.hpp"

namespace rustynet::relay {
class RelayLink;
}  // namespace rustynet::relay

namespace rustynet::apps::daemon {

// What a relay worker needs from control: this node's ticket towards a peer.
using RelayTicketSource = std::function<DaemonResult<RelayTicketGrant>(const std::string& peer)>;

// What the backend reports about one peer (TunnelRuntime::stats()), for the automatic relay.
struct PeerObservation {
  std::optional<std::int64_t> last_handshake_unix;  // absent: never a session
  std::optional<std::string> endpoint;  // the endpoint in effect (a roaming backend reports the one it learned)
  std::uint64_t rx_bytes = 0;
};
using PeerObservations = std::map<std::string, PeerObservation>;  // by peer node id
// Called without any RelayManager lock held; may take the daemon's lock.
using ObservationSource = std::function<DaemonResult<PeerObservations>()>;
// Re-runs rewrite() + TunnelRuntime::apply on the state already verified (StateApplier::reapply);
// called without any RelayManager lock held; takes the daemon's lock.
using ReapplySource = std::function<DaemonStatus()>;

// Lifecycle (docs/relay.md "Node side"):
//  - rewrite() runs inside StateApplier::accept, after every verification and before the commit
//    and TunnelRuntime::apply: for each peer the verified state marks relayed it makes sure a link
//    exists (two UDP sockets bound at once, so the loopback port is known without any network
//    round trip) and replaces the peer's endpoint with 127.0.0.1:<link port>. The backend only
//    ever sees a SocketEndpoint, and TunnelRuntime's diff/rollback stays the one path to it.
//    A peer that lost its mark (or left the map) has its link closed; its desired endpoint is
//    the direct one control sent, so the same apply moves it back to direct.
//  - Each link has one worker thread: fetch a ticket from control, allocate on the relay (cookie
//    round trip + ticket), then forward both ways in batches until the relay goes silent for
//    `dead_after` (relay restart, session expired); then fetch a fresh ticket and allocate again
//    from the same sockets, so the tunnel's endpoint never changes. Failures back off
//    exponentially with jitter (Backoff). Tickets are never logged.
//  - Automatic relay (docs/relay.md "Automatic relay"): a peer the verified state gives a
//    `relay_candidate` (and no `relay` mark) starts direct. If no handshake completes within
//    `direct_timeout` (or, once confirmed, the last handshake gets older than
//    `handshake_stale_after`), the manager relays it through the candidate exactly like a marked
//    peer (link + ticket; control issues tickets only for marked and candidate pairs). While
//    relayed on its own decision it probes direct every `probe_interval`: the endpoint goes back
//    to the direct one (the link stays up) and the probe succeeds when the backend then reports
//    the direct endpoint still in effect together with a handshake or received traffic since
//    the probe began; otherwise (window over, or the backend learned another endpoint, i.e. the
//    peer reached us only through the relay) it returns to the relay. A marked peer is never
//    probed or unmarked locally. Decisions are evaluated by evaluate_auto() (a thread every
//    `auto_tick`, or tests); a changed decision calls the reapply callback. Only the endpoint of
//    a candidate peer ever differs from the verified state.
// Thread-safety: all public functions may be called from any thread. rewrite() never blocks on
// the network (the daemon calls it under its state lock); closing a link only signals its worker,
// which exits within one pump interval (or when its ticket request returns) and is joined later.
// Lock order: the daemon's lock, then this manager's; the observation and reapply callbacks are
// never called with this manager's lock held.
class RelayManager {
 public:
  struct Options {
    std::uint16_t tunnel_port = 0;  // the local tunnel's listen port: links send to 127.0.0.1:<port>
    std::chrono::milliseconds keepalive_interval{std::chrono::seconds(5)};
    std::chrono::milliseconds dead_after{std::chrono::seconds(15)};           // 3 keepalives unanswered
    std::chrono::milliseconds pump_interval{std::chrono::milliseconds(200)};  // bounds stop latency
    std::chrono::milliseconds allocate_try{std::chrono::milliseconds(250)};   // per hello round trip
    int allocate_attempts = 4;
    std::chrono::milliseconds backoff_initial{std::chrono::milliseconds(500)};
    std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
    // Automatic relay of candidate peers.
    std::chrono::milliseconds direct_timeout{std::chrono::seconds(15)};     // no handshake this long: relay
    std::chrono::milliseconds probe_interval{std::chrono::seconds(60)};     // relayed: try direct this often
    std::chrono::milliseconds probe_window{std::chrono::seconds(15)};       // a probe without evidence fails
    std::chrono::seconds handshake_stale_after{std::chrono::seconds(200)};  // direct: session lost
    std::chrono::milliseconds auto_tick{std::chrono::seconds(1)};           // 0: no thread (tests)
  };

  // The automatic relay's view of one candidate peer.
  struct AutoStatus {
    std::string peer;
    std::string relay_id;       // the candidate
    std::string mode;           // "direct" (waiting for a handshake), "direct-confirmed", "relayed", "probing"
    std::uint64_t relayed = 0;  // times this peer was moved to the relay
    std::uint64_t probes = 0;   // direct probes started
  };

  struct LinkStatus {
    std::string peer;
    std::string relay_id;
    std::string relay_address;
    std::string local_endpoint;  // 127.0.0.1:<port>, the tunnel peer's endpoint
    std::string state;           // "waiting", "allocating", "active", "backoff"
    std::string reason;          // "marked" (control), "auto" (candidate relayed), "probing" (endpoint direct)
    std::uint64_t allocations = 0;
    std::uint64_t to_relay = 0;   // datagrams forwarded tunnel -> relay
    std::uint64_t to_tunnel = 0;  // datagrams forwarded relay -> tunnel
    std::string last_error;
  };

  // `clock` must outlive the manager. `log` and `random` must be thread-safe.
  RelayManager(Options options, const base::Clock& clock, std::function<void(const std::string&)> log,
               std::function<std::uint64_t()> random);
  ~RelayManager();
  RelayManager(const RelayManager&) = delete;
  RelayManager& operator=(const RelayManager&) = delete;
  RelayManager(RelayManager&&) = delete;
  RelayManager& operator=(RelayManager&&) = delete;

  // Workers wait (no network traffic) until a ticket source is set.
  void set_ticket_source(RelayTicketSource source);

  // See the class comment. Errors: kApply (a link's sockets cannot be created, or the relay
  // address is not usable); nothing is changed for that peer then and the caller rejects the
  // update (the sync loop retries).
  [[nodiscard]] DaemonStatus rewrite(const policy::NodeState& state, DesiredState& desired);

  // Enables the automatic relay of candidate peers: `observe` reads the backend's per-peer stats,
  // `reapply` re-applies the verified state (so that rewrite() runs again). Starts the evaluation
  // thread when Options::auto_tick is positive. Call once.
  void set_auto_relay(ObservationSource observe, ReapplySource reapply);
  // One evaluation of every candidate peer: observe, decide (under this manager's lock), then
  // reapply if a decision changed. Serialised; a no-op before set_auto_relay or after stop().
  void evaluate_auto();

  // Closes every link, stops the evaluation thread and joins every worker. Idempotent.
  void stop();

  [[nodiscard]] std::vector<LinkStatus> snapshot() const;
  [[nodiscard]] std::vector<AutoStatus> auto_snapshot() const;
  // The relay id `peer`'s endpoint points at (marked, or relayed on this node's decision), if any.
  [[nodiscard]] std::optional<std::string> relay_of(const std::string& peer) const;
  // Blocks until `peer`'s link has completed `count` allocations or `timeout` passes (tests).
  [[nodiscard]] bool wait_for_allocations(const std::string& peer, std::uint64_t count,
                                          std::chrono::milliseconds timeout) const;
  // Blocks until `peer`'s link satisfies `predicate` or `timeout` passes (tests).
  [[nodiscard]] bool wait_for_link(const std::string& peer, const std::function<bool(const LinkStatus&)>& predicate,
                                   std::chrono::milliseconds timeout) const;

  struct Shared;  // one link's state shared between the manager and its worker

 private:
  struct Entry {
    std::shared_ptr<Shared> shared;
    std::thread worker;
  };

  enum class AutoMode : std::uint8_t { kDirect, kRelayed, kProbing };
  struct AutoPeer {
    policy::RelayAssignment candidate;
    std::string direct_endpoint;  // the endpoint control sent ("" if none)
    AutoMode mode = AutoMode::kDirect;
    base::MonotonicTime since{};               // when `mode` was entered
    bool confirmed = false;                    // kDirect: a handshake was seen since entering it
    std::optional<std::int64_t> entered_wall;  // wall seconds when `mode` was entered
    bool baseline_taken = false;               // kProbing: first observation after the switch taken
    std::int64_t baseline_wall = 0;            // kProbing: wall seconds of that observation
    std::uint64_t baseline_rx = 0;             // kProbing: rx bytes at that observation
    std::uint64_t relayed = 0;
    std::uint64_t probes = 0;
  };

  // Makes sure `peer` has a link to `assignment` (mutex_ held). Errors: kApply.
  [[nodiscard]] DaemonResult<const Shared*> ensure_link(const std::string& peer,
                                                        const policy::RelayAssignment& assignment);
  // Updates or creates the candidate record of `peer` (mutex_ held).
  AutoPeer& auto_record(const std::string& peer, const policy::RelayAssignment& candidate,
                        const std::string& direct_endpoint);
  // One candidate's decision (mutex_ held); true if its endpoint must change.
  bool decide(const std::string& peer, AutoPeer& record, const PeerObservation* seen, base::MonotonicTime now,
              std::int64_t wall);
  void enter(AutoPeer& record, AutoMode mode, base::MonotonicTime now, std::int64_t wall);
  void run_link(const std::shared_ptr<Shared>& shared, relay::RelayLink& link);      // the worker
  [[nodiscard]] std::optional<LinkStatus> status_of(const std::string& peer) const;  // mutex_ held
  void retire(Entry entry);                                                          // mutex_ held
  void reap_finished();                                                              // mutex_ held

  Options options_;
  const base::Clock* clock_;
  std::function<void(const std::string&)> log_;
  std::function<std::uint64_t()> random_;

  mutable std::mutex mutex_;  // guards everything below and every Shared's non-atomic fields
  mutable std::condition_variable changed_;
  RelayTicketSource source_;
  bool stopped_ = false;
  std::map<std::string, Entry> links_;    // by peer node id
  std::vector<Entry> retired_;            // closing; joined by reap_finished() or stop()
  std::map<std::string, AutoPeer> auto_;  // candidate peers (not marked), by peer node id
  ObservationSource observe_;
  ReapplySource reapply_;
  std::thread auto_thread_;
  std::mutex evaluate_mutex_;  // serialises evaluate_auto(); taken before anything else
};

}  // namespace rustynet::apps::daemon
