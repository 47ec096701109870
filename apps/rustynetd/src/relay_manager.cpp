// SPDX-License-Identifier: Apache-2.0
// RelayManager: link lifecycle (rewrite under the daemon lock) and one worker per relayed peer.
#include "relay_manager.hpp"

#include <atomic>
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

DaemonStatus RelayManager::rewrite(const policy::NodeState& state, DesiredState& desired) {
  const std::lock_guard lock(mutex_);
  reap_finished();
  if (stopped_) {
    return daemon_fail(DaemonErrorKind::kApply, "relay links are shut down");
  }
  std::set<std::string> relayed;
  for (const auto& peer : state.peers) {
    if (!peer.relay) {
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
    auto existing = links_.find(peer.node_id);
    if (existing != links_.end() && existing->second.shared->assignment != *peer.relay) {
      retire(std::move(existing->second));  // moved to another relay: a new link
      links_.erase(existing);
      existing = links_.end();
    }
    if (existing == links_.end()) {
      auto relay_endpoint = relay::RelayEndpoint::parse(peer.relay->address.to_string());
      if (!relay_endpoint.has_value()) {
        return daemon_fail(DaemonErrorKind::kApply,
                           "relay " + peer.relay->relay_id + " address: " + relay_endpoint.error());
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
        return daemon_fail(DaemonErrorKind::kApply, "relay link for " + peer.node_id + ": " + link.error().describe());
      }
      auto shared = std::make_shared<Shared>();
      shared->peer = peer.node_id;
      shared->assignment = *peer.relay;
      shared->local_endpoint = link->local_endpoint().to_string();
      Entry entry;
      entry.shared = shared;
      entry.worker =
          std::thread([this, shared, moved = std::move(link).value()]() mutable { run_link(shared, moved); });
      log_("relay link for peer " + peer.node_id + " via relay " + peer.relay->relay_id + " (" +
           peer.relay->address.to_string() + ") on " + shared->local_endpoint);
      existing = links_.emplace(peer.node_id, std::move(entry)).first;
    }
    auto endpoint = backend_api::SocketEndpoint::parse(existing->second.shared->local_endpoint);
    if (!endpoint.has_value()) {
      return daemon_fail(DaemonErrorKind::kApply, "relay link endpoint: " + endpoint.error().message);
    }
    target->second.endpoint = *endpoint;
    relayed.insert(peer.node_id);
  }
  for (auto it = links_.begin(); it != links_.end();) {
    if (relayed.contains(it->first)) {
      ++it;
      continue;
    }
    log_("relay link for peer " + it->first + " closed (no longer relayed)");
    retire(std::move(it->second));
    it = links_.erase(it);
  }
  return {};
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
  {
    const std::lock_guard lock(mutex_);
    stopped_ = true;
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
  return LinkStatus{peer,
                    s.assignment.relay_id,
                    s.assignment.address.to_string(),
                    s.local_endpoint,
                    s.state,
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
  return it->second.shared->assignment.relay_id;
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
