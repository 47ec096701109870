// SPDX-License-Identifier: Apache-2.0
// RelayManager: link lifecycle (rewrite under the daemon lock) and one worker per relayed peer.
#include "relay_manager.hpp"

#include <atomic>
#include <limits>
#include <set>
#include <utility>

#include "backoff.hpp"
#include "rustynet/backend_api/socket_endpoint.hpp"
#include "rustynet/relay/relay_link.hpp"

namespace rustynet::apps::daemon {

struct RelayManager::Shared {
  std::string peer;
  policy::RelayAssignment assignment;
  std::string local_endpoint;
  std::atomic<bool> closing{false};
  std::atomic<bool> finished{false};
  std::atomic<std::uint64_t> to_relay{0};
  std::atomic<std::uint64_t> to_tunnel{0};
  // Guarded by RelayManager::mutex_.
  std::string state = "waiting";
  std::uint64_t allocations = 0;
  std::string last_error;
};

namespace {

relay::RelayEndpoint loopback(std::uint16_t port) {
  relay::RelayEndpoint endpoint;
  endpoint.address = {127, 0, 0, 1};
  endpoint.port = port;
  return endpoint;
}

relay::RelayEndpoint any_address(relay::AddressFamily family) {
  relay::RelayEndpoint endpoint;
  endpoint.family = family;
  return endpoint;
}

}  // namespace

RelayManager::RelayManager(Options options, const base::Clock& clock, std::function<void(const std::string&)> log,
                           std::function<std::uint64_t()> random)
    : options_(options), clock_(&clock), log_(std::move(log)), random_(std::move(random)) {}

RelayManager::~RelayManager() { stop(); }

void RelayManager::set_ticket_source(RelayTicketSource source) {
  {
    const std::lock_guard lock(mutex_);
    source_ = std::move(source);
  }
  changed_.notify_all();
}

DaemonResult<const RelayManager::Shared*> RelayManager::ensure_link(const std::string& peer,
                                                                    const policy::RelayAssignment& assignment) {
  auto existing = links_.find(peer);
  if (existing != links_.end() && existing->second.shared->assignment != assignment) {
    retire(std::move(existing->second));  // moved to another relay: a new link
    links_.erase(existing);
    existing = links_.end();
  }
  if (existing == links_.end()) {
    auto relay_endpoint = relay::RelayEndpoint::parse(assignment.address.to_string());
    if (!relay_endpoint.has_value()) {
      return daemon_fail(DaemonErrorKind::kApply,
                         "relay " + assignment.relay_id + " address: " + relay_endpoint.error());
    }
    relay::RelayLink::Options link_options;
    link_options.relay = *relay_endpoint;
    link_options.upstream_bind = any_address(relay_endpoint->family);
    link_options.local_listen = loopback(0);
    link_options.tunnel = loopback(options_.tunnel_port);
    link_options.keepalive_interval = options_.keepalive_interval;
    link_options.dead_after = options_.dead_after;
    auto link = relay::RelayLink::create(link_options, *clock_);
    if (!link.has_value()) {
      return daemon_fail(DaemonErrorKind::kApply, "relay link for " + peer + ": " + link.error().describe());
    }
    auto shared = std::make_shared<Shared>();
    shared->peer = peer;
    shared->assignment = assignment;
    shared->local_endpoint = link->local_endpoint().to_string();
    Entry entry;
    entry.shared = shared;
    entry.worker = std::thread([this, shared, moved = std::move(link).value()]() mutable { run_link(shared, moved); });
    log_("relay link for peer " + peer + " via relay " + assignment.relay_id + " (" + assignment.address.to_string() +
         ") on " + shared->local_endpoint);
    existing = links_.emplace(peer, std::move(entry)).first;
  }
  return existing->second.shared.get();
}

RelayManager::AutoPeer& RelayManager::auto_record(const std::string& peer, const policy::RelayAssignment& candidate,
                                                  const std::string& direct_endpoint) {
  auto it = auto_.find(peer);
  if (it == auto_.end() || it->second.candidate != candidate) {
    // New candidate (or another relay): start direct and give the handshake its full time.
    AutoPeer record;
    record.candidate = candidate;
    const auto wall = clock_->wall_now();
    enter(record, AutoMode::kDirect, clock_->monotonic_now(), wall.has_value() ? wall->seconds : 0);
    if (!wall.has_value()) {
      record.entered_wall.reset();
    }
    if (it != auto_.end()) {
      record.relayed = it->second.relayed;
      record.probes = it->second.probes;
    }
    it = auto_.insert_or_assign(peer, std::move(record)).first;
  }
  it->second.direct_endpoint = direct_endpoint;
  return it->second;
}

DaemonStatus RelayManager::rewrite(const policy::NodeState& state, DesiredState& desired) {
  const std::lock_guard lock(mutex_);
  reap_finished();
  if (stopped_) {
    return daemon_fail(DaemonErrorKind::kApply, "relay links are shut down");
  }
  std::set<std::string> linked;
  std::set<std::string> candidates;
  for (const auto& peer : state.peers) {
    if (!peer.relay && !peer.relay_candidate) {
      continue;
    }
    auto node = backend_api::NodeId::parse(peer.node_id);
    if (!node.has_value()) {
      return daemon_fail(DaemonErrorKind::kApply, "relayed peer id: " + node.error().message);
    }
    const auto target = desired.peers.find(*node);
    if (target == desired.peers.end()) {
      continue;  // desired_state_from() translated every peer; nothing to point anywhere
    }
    const policy::RelayAssignment* assignment = nullptr;
    bool substitute = false;
    if (peer.relay) {
      assignment = &*peer.relay;  // marked by control: always relayed
      substitute = true;
    } else {
      candidates.insert(peer.node_id);
      const std::string direct = target->second.endpoint ? target->second.endpoint->to_string() : std::string();
      const AutoPeer& record = auto_record(peer.node_id, *peer.relay_candidate, direct);
      if (record.mode != AutoMode::kDirect) {
        assignment = &record.candidate;  // kProbing keeps the link up, with the direct endpoint
        substitute = record.mode == AutoMode::kRelayed;
      }
    }
    if (assignment == nullptr) {
      continue;
    }
    RUSTYNET_ASSIGN_OR_RETURN(const Shared* shared, ensure_link(peer.node_id, *assignment));
    if (substitute) {
      auto endpoint = backend_api::SocketEndpoint::parse(shared->local_endpoint);
      if (!endpoint.has_value()) {
        return daemon_fail(DaemonErrorKind::kApply, "relay link endpoint: " + endpoint.error().message);
      }
      target->second.endpoint = *endpoint;
    }
    linked.insert(peer.node_id);
  }
  for (auto it = auto_.begin(); it != auto_.end();) {
    it = candidates.contains(it->first) ? std::next(it) : auto_.erase(it);
  }
  for (auto it = links_.begin(); it != links_.end();) {
    if (linked.contains(it->first)) {
      ++it;
      continue;
    }
    log_("relay link for peer " + it->first + " closed (no longer relayed)");
    retire(std::move(it->second));
    it = links_.erase(it);
  }
  return {};
}

void RelayManager::enter(AutoPeer& record, AutoMode mode, base::MonotonicTime now, std::int64_t wall) {
  record.mode = mode;
  record.since = now;
  record.entered_wall = wall;
  record.confirmed = false;
  record.baseline_taken = false;
}

bool RelayManager::decide(const std::string& peer, AutoPeer& record, const PeerObservation* seen,
                          base::MonotonicTime now, std::int64_t wall) {
  // A plain sentinel rather than a copied std::optional: GCC's -O2 -Wmaybe-uninitialized misreads
  // the optional's payload in the branches below (release builds use -Werror).
  constexpr std::int64_t kNoHandshake = std::numeric_limits<std::int64_t>::min();
  const std::int64_t handshake =
      seen != nullptr && seen->last_handshake_unix.has_value() ? *seen->last_handshake_unix : kNoHandshake;
  const auto relay_it = [&](const std::string& why) {
    log_("peer " + peer + ": " + why + "; relaying via candidate relay " + record.candidate.relay_id);
    enter(record, AutoMode::kRelayed, now, wall);
    ++record.relayed;
    return true;
  };
  switch (record.mode) {
    case AutoMode::kDirect:
      if (!record.confirmed) {
        // A handshake completed since this mode was entered (1 s resolution of the stats); if the
        // wall clock was unusable on entry, any handshake counts.
        if (handshake != kNoHandshake && (!record.entered_wall || handshake >= *record.entered_wall - 1)) {
          record.confirmed = true;
          return false;
        }
        if (now - record.since >= options_.direct_timeout) {
          return relay_it("no direct handshake within " + std::to_string(options_.direct_timeout.count()) + " ms");
        }
        return false;
      }
      if (handshake == kNoHandshake || wall - handshake > options_.handshake_stale_after.count()) {
        return relay_it("no handshake for more than " + std::to_string(options_.handshake_stale_after.count()) + " s");
      }
      return false;
    case AutoMode::kRelayed:
      if (now - record.since >= options_.probe_interval) {
        log_("peer " + peer + ": probing the direct endpoint " + record.direct_endpoint);
        enter(record, AutoMode::kProbing, now, wall);
        ++record.probes;
        return true;
      }
      return false;
    case AutoMode::kProbing: {
      const bool at_direct = seen != nullptr && seen->endpoint && *seen->endpoint == record.direct_endpoint &&
                             !record.direct_endpoint.empty();
      if (seen != nullptr && seen->endpoint && !at_direct) {
        // The backend learned another endpoint: the peer reached us through the relay only.
        log_("peer " + peer + ": direct probe failed (peer seen at " + *seen->endpoint + ")");
        enter(record, AutoMode::kRelayed, now, wall);
        return true;
      }
      if (!record.baseline_taken) {
        // The first observation after the switch: anything counted before it may have come
        // through the relay, so evidence is measured from here.
        record.baseline_taken = true;
        record.baseline_wall = wall;
        record.baseline_rx = seen != nullptr ? seen->rx_bytes : 0;
        return false;
      }
      const bool handshake_since = handshake != kNoHandshake && handshake >= record.baseline_wall;
      const bool heard_since = seen != nullptr && seen->rx_bytes > record.baseline_rx;
      if (at_direct && (handshake_since || heard_since)) {
        log_("peer " + peer + ": direct path works again (" + (handshake_since ? "handshake" : "traffic") + " at " +
             record.direct_endpoint + "); relay link closed");
        enter(record, AutoMode::kDirect, now, wall);
        record.confirmed = true;
        return true;
      }
      if (now - record.since >= options_.probe_window) {
        log_("peer " + peer + ": direct probe failed (nothing from " + record.direct_endpoint + " within " +
             std::to_string(options_.probe_window.count()) + " ms)");
        enter(record, AutoMode::kRelayed, now, wall);
        return true;
      }
      return false;
    }
  }
  return false;
}

void RelayManager::set_auto_relay(ObservationSource observe, ReapplySource reapply) {
  {
    const std::lock_guard lock(mutex_);
    if (stopped_ || observe_) {
      return;
    }
    observe_ = std::move(observe);
    reapply_ = std::move(reapply);
    if (options_.auto_tick.count() > 0) {
      auto_thread_ = std::thread([this] {
        std::unique_lock wait_lock(mutex_);
        while (!stopped_) {
          if (changed_.wait_for(wait_lock, options_.auto_tick, [this] { return stopped_; })) {
            break;
          }
          wait_lock.unlock();
          evaluate_auto();
          wait_lock.lock();
        }
      });
    }
  }
}

void RelayManager::evaluate_auto() {
  const std::lock_guard serial(evaluate_mutex_);
  ObservationSource observe;
  ReapplySource reapply;
  {
    const std::lock_guard lock(mutex_);
    if (stopped_ || !observe_ || auto_.empty()) {
      return;
    }
    observe = observe_;
    reapply = reapply_;
  }
  auto seen = observe();  // takes the daemon's lock: never under ours
  if (!seen.has_value()) {
    log_("automatic relay: peer stats unavailable: " + seen.error().describe());
    return;
  }
  bool changed = false;
  {
    const std::lock_guard lock(mutex_);
    if (stopped_) {
      return;
    }
    const auto wall = clock_->wall_now();
    if (!wall.has_value()) {
      return;  // handshake times cannot be judged: decide nothing (fail safe: keep the current path)
    }
    const auto now = clock_->monotonic_now();
    for (auto& [peer, record] : auto_) {
      const auto it = seen->find(peer);
      changed = decide(peer, record, it == seen->end() ? nullptr : &it->second, now, wall->seconds) || changed;
    }
  }
  changed_.notify_all();
  if (changed) {
    if (auto applied = reapply(); !applied.has_value()) {
      log_("automatic relay: re-applying the verified state failed: " + applied.error().describe());
    }
  }
}

void RelayManager::run_link(const std::shared_ptr<Shared>& s, relay::RelayLink& link) {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  const auto closing = [&] { return stopped_ || s->closing.load(); };  // mutex_ held
  const auto set_state = [&](const char* state) {
    {
      const std::lock_guard lock(mutex_);
      s->state = state;
    }
    changed_.notify_all();
  };
  // Records the failure and waits out the backoff; false when the link is closing.
  const auto fail = [&](const std::string& why) {
    log_("relay link for peer " + s->peer + " via relay " + s->assignment.relay_id + ": " + why);
    const auto delay = backoff.next(random_());
    std::unique_lock lock(mutex_);
    s->state = "backoff";
    s->last_error = why;
    changed_.notify_all();
    changed_.wait_for(lock, delay, closing);
  };
  while (!s->closing.load()) {
    RelayTicketSource source;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return closing() || static_cast<bool>(source_); });
      if (closing()) {
        break;
      }
      source = source_;
      s->state = "allocating";
    }
    auto grant = source(s->peer);
    if (s->closing.load()) {
      break;
    }
    if (!grant.has_value()) {
      fail("ticket request failed: " + grant.error().describe());
      continue;
    }
    if (grant->relay_id != s->assignment.relay_id) {
      // The signed node state names the relay; a ticket for another one would be refused anyway.
      fail("control issued a ticket for relay " + grant->relay_id);
      continue;
    }
    auto answer = link.allocate(grant->ticket, options_.allocate_attempts, options_.allocate_try);
    if (!answer.has_value()) {
      fail(answer.error());
      continue;
    }
    if (answer->type != relay::MessageType::kAccept) {
      fail("relay refused the ticket: " + std::string(relay::to_string(answer->reason)));
      continue;
    }
    std::uint64_t allocation = 0;
    {
      const std::lock_guard lock(mutex_);
      s->state = "active";
      allocation = ++s->allocations;
      s->last_error.clear();
    }
    changed_.notify_all();
    backoff.reset();
    log_("relay link for peer " + s->peer + " via relay " + s->assignment.relay_id + " active (allocation " +
         std::to_string(allocation) + (answer->peer_bound ? ", peer bound)" : ", waiting for the peer)"));
    bool socket_error = false;
    while (!s->closing.load()) {
      auto alive = link.pump(options_.pump_interval);
      s->to_relay.store(link.forwarded_to_relay());
      s->to_tunnel.store(link.forwarded_to_tunnel());
      if (!alive.has_value()) {
        fail("forwarding: " + alive.error().describe());
        socket_error = true;
        break;
      }
      if (!*alive) {
        break;
      }
    }
    if (!socket_error && !s->closing.load()) {
      log_("relay link for peer " + s->peer + " via relay " + s->assignment.relay_id + ": relay silent for " +
           std::to_string(options_.dead_after.count()) + " ms; fetching a new ticket");
      set_state("allocating");
    }
  }
  s->finished.store(true);
  changed_.notify_all();
}

void RelayManager::retire(Entry entry) {
  entry.shared->closing.store(true);
  changed_.notify_all();
  retired_.push_back(std::move(entry));
}

void RelayManager::reap_finished() {
  for (auto it = retired_.begin(); it != retired_.end();) {
    if (it->shared->finished.load()) {
      if (it->worker.joinable()) {
        it->worker.join();  // finished: returns at once
      }
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }
}

void RelayManager::stop() {
  std::vector<Entry> all;
  std::thread evaluator;
  {
    const std::lock_guard lock(mutex_);
    stopped_ = true;
    evaluator = std::move(auto_thread_);
    for (auto& [peer, entry] : links_) {
      entry.shared->closing.store(true);
      all.push_back(std::move(entry));
    }
    links_.clear();
    for (auto& entry : retired_) {
      all.push_back(std::move(entry));
    }
    retired_.clear();
  }
  changed_.notify_all();
  if (evaluator.joinable()) {
    evaluator.join();  // it may be inside a callback waiting for the daemon's lock: we hold none
  }
  for (auto& entry : all) {
    if (entry.worker.joinable()) {
      entry.worker.join();
    }
  }
}

std::optional<RelayManager::LinkStatus> RelayManager::status_of(const std::string& peer) const {
  const auto it = links_.find(peer);
  if (it == links_.end()) {
    return std::nullopt;
  }
  const Shared& s = *it->second.shared;
  const auto candidate = auto_.find(peer);
  std::string reason = "marked";
  if (candidate != auto_.end()) {
    reason = candidate->second.mode == AutoMode::kProbing ? "probing" : "auto";
  }
  return LinkStatus{peer,
                    s.assignment.relay_id,
                    s.assignment.address.to_string(),
                    s.local_endpoint,
                    s.state,
                    std::move(reason),
                    s.allocations,
                    s.to_relay.load(),
                    s.to_tunnel.load(),
                    s.last_error};
}

std::vector<RelayManager::LinkStatus> RelayManager::snapshot() const {
  const std::lock_guard lock(mutex_);
  std::vector<LinkStatus> out;
  for (const auto& entry : links_) {
    out.push_back(*status_of(entry.first));
  }
  return out;
}

std::optional<std::string> RelayManager::relay_of(const std::string& peer) const {
  const std::lock_guard lock(mutex_);
  const auto it = links_.find(peer);
  if (it == links_.end()) {
    return std::nullopt;
  }
  if (const auto candidate = auto_.find(peer);
      candidate != auto_.end() && candidate->second.mode != AutoMode::kRelayed) {
    return std::nullopt;  // probing: the endpoint is the direct one while the link stays up
  }
  return it->second.shared->assignment.relay_id;
}

std::vector<RelayManager::AutoStatus> RelayManager::auto_snapshot() const {
  const std::lock_guard lock(mutex_);
  std::vector<AutoStatus> out;
  for (const auto& [peer, record] : auto_) {
    std::string mode = "relayed";
    if (record.mode == AutoMode::kDirect) {
      mode = record.confirmed ? "direct-confirmed" : "direct";
    } else if (record.mode == AutoMode::kProbing) {
      mode = "probing";
    }
    out.push_back(AutoStatus{peer, record.candidate.relay_id, std::move(mode), record.relayed, record.probes});
  }
  return out;
}

bool RelayManager::wait_for_link(const std::string& peer, const std::function<bool(const LinkStatus&)>& predicate,
                                 std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    const auto status = status_of(peer);
    return status.has_value() && predicate(*status);
  });
}

bool RelayManager::wait_for_allocations(const std::string& peer, std::uint64_t count,
                                        std::chrono::milliseconds timeout) const {
  return wait_for_link(
      peer, [count](const LinkStatus& status) { return status.allocations >= count; }, timeout);
}

}  // namespace rustynet::apps::daemon
