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
// Thread-safety: all public functions may be called from any thread. rewrite() never blocks on
// the network (the daemon calls it under its state lock); closing a link only signals its worker,
// which exits within one pump interval (or when its ticket request returns) and is joined later.
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
  };

  struct LinkStatus {
    std::string peer;
    std::string relay_id;
    std::string relay_address;
    std::string local_endpoint;  // 127.0.0.1:<port>, the tunnel peer's endpoint
    std::string state;           // "waiting", "allocating", "active", "backoff"
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

  // Closes every link and joins every worker. Idempotent.
  void stop();

  [[nodiscard]] std::vector<LinkStatus> snapshot() const;
  // The relay id `peer` is relayed through, if it is.
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
  std::map<std::string, Entry> links_;  // by peer node id
  std::vector<Entry> retired_;          // closing; joined by reap_finished() or stop()
};

}  // namespace rustynet::apps::daemon
