// SPDX-License-Identifier: Apache-2.0
// TunnelRuntime: diff-based, transactional application of desired state through TunnelBackend.
#include "tunnel_runtime.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace rustynet::apps::daemon {
namespace {

using backend_api::BackendStatus;

backend_api::PeerConfig config_of(const backend_api::PeerStats& stats) {
  return backend_api::PeerConfig{stats.node_id, stats.public_key, stats.endpoint, stats.allowed_prefixes,
                                 stats.persistent_keepalive_seconds};
}

}  // namespace

TunnelRuntime::TunnelRuntime(std::unique_ptr<backend_api::TunnelBackend> backend,
                             std::unique_ptr<backend_api::PacketFilterBackend> filter, TunnelIdentity identity)
    : backend_(std::move(backend)), filter_(std::move(filter)), identity_(std::move(identity)) {}

TunnelRuntime::~TunnelRuntime() { (void)shutdown(); }

DaemonStatus TunnelRuntime::start(const std::vector<backend_api::InterfaceAddress>& addresses) {
  if (phase_ == RuntimePhase::kRunning) {
    return daemon_fail(DaemonErrorKind::kBackend, "already running");
  }
  // No interface without a filter: a predecessor's is kept (it enforces the last good policy until
  // apply() replaces it), otherwise one that drops everything from the mesh goes in first.
  if (!filter_present_) {
    if (auto ensured = filter_->ensure_installed(); !ensured.has_value()) {
      return daemon_fail(DaemonErrorKind::kBackend, "packet filter: " + ensured.error().describe());
    }
    // No read-back here: every nft run is on the restart path (tunnel back within 1 s), and the
    // first apply replaces the table anyway. Generations count per daemon run.
    filter_present_ = true;
  }
  const backend_api::RuntimeContext context{identity_.node_id, identity_.interface_name,
                                            addresses,         identity_.listen_port,
                                            identity_.mtu,     identity_.tunnel_private_key.clone()};
  auto started = backend_->start(context);
  if (!started.has_value()) {
    return daemon_fail(DaemonErrorKind::kBackend, "backend start: " + started.error().describe());
  }
  phase_ = RuntimePhase::kRunning;
  current_ = DesiredState{};
  current_.addresses = addresses;
  exit_mode_ = backend_api::ExitMode::off();
  return {};
}

TunnelRuntime::FreshPeers TunnelRuntime::next_fresh_peers(const DesiredState& from, const DesiredState& to,
                                                          bool incremental) const {
  FreshPeers next;
  for (const auto& [id, peer] : to.peers) {
    const auto before = from.peers.find(id);
    const bool fresh = before == from.peers.end() || !(before->second.public_key == peer.public_key);
    if (!fresh) {
      if (const auto kept = fresh_.find(id); kept != fresh_.end()) {
        next.insert(*kept);  // still watched (same key; maybe a new endpoint)
      }
      continue;
    }
    if (!peer.endpoint.has_value()) {
      continue;  // nowhere to send an initiation (or a keepalive) to
    }
    FreshPeer entry;
    if (identity_.node_id < id) {
      entry.reinitiator = true;
    } else if (incremental && peer.persistent_keepalive_seconds.has_value()) {
      entry.keepalive_deferred = true;
    } else {
      continue;
    }
    next.emplace(id, entry);
  }
  return next;
}

backend_api::PeerConfig TunnelRuntime::in_effect(const backend_api::PeerConfig& peer, const FreshPeers& fresh) {
  backend_api::PeerConfig out = peer;
  if (const auto it = fresh.find(peer.node_id); it != fresh.end() && it->second.keepalive_deferred) {
    out.persistent_keepalive_seconds.reset();
  }
  return out;
}

BackendStatus TunnelRuntime::apply_diff(const DesiredState& from, const DesiredState& to, const FreshPeers& fresh,
                                        std::string& step) {
  const StateDiff diff = diff_states(from, to);
  // 1. Withdraw routes that go away, so no route points at a peer about to be removed.
  if (diff.routes_changed && diff.kept_routes != from.routes) {
    step = "withdraw routes";
    RUSTYNET_RETURN_IF_ERROR(backend_->apply_routes(diff.kept_routes));
  }
  // 2. An exit node that disappears is switched off first (removal never changes state implicitly).
  if (const auto& exit = exit_mode_.exit_node(); exit && to.peers.find(*exit) == to.peers.end()) {
    step = "exit mode off";
    RUSTYNET_RETURN_IF_ERROR(backend_->set_exit_mode(backend_api::ExitMode::off()));
    exit_mode_ = backend_api::ExitMode::off();
  }
  // 3. Remove gone peers (frees their keys and prefixes for peers configured next).
  for (const auto& id : diff.removed) {
    step = "remove peer " + id.value();
    RUSTYNET_RETURN_IF_ERROR(backend_->remove_peer(id));
  }
  // 4. New and changed peers only: unchanged peers are not touched (their sessions stay up).
  if (!diff.added_or_changed.empty()) {
    step = "configure peers";
    std::vector<backend_api::PeerConfig> configs;
    configs.reserve(diff.added_or_changed.size());
    for (const auto& peer : diff.added_or_changed) {
      configs.push_back(in_effect(peer, fresh));
    }
    RUSTYNET_RETURN_IF_ERROR(backend_->configure_peers(configs));
  }
  // 5. The complete route set.
  if (diff.routes_changed) {
    step = "apply routes";
    RUSTYNET_RETURN_IF_ERROR(backend_->apply_routes(to.routes));
  }
  return {};
}

BackendStatus TunnelRuntime::restore(const DesiredState& target) {
  // Works from what is really in effect (a kInternal failure may have left anything behind).
  RUSTYNET_ASSIGN_OR_RETURN(const auto stats, backend_->stats());
  std::vector<backend_api::Route> keep;
  for (const auto& route : stats.routes) {
    if (std::find(target.routes.begin(), target.routes.end(), route) != target.routes.end()) {
      keep.push_back(route);
    }
  }
  if (keep != stats.routes) {
    RUSTYNET_RETURN_IF_ERROR(backend_->apply_routes(keep));
  }
  if (const auto& exit = stats.exit_mode.exit_node(); exit && target.peers.find(*exit) == target.peers.end()) {
    RUSTYNET_RETURN_IF_ERROR(backend_->set_exit_mode(backend_api::ExitMode::off()));
    exit_mode_ = backend_api::ExitMode::off();
  }
  std::vector<backend_api::PeerConfig> reconfigure;
  for (const auto& peer : stats.peers) {
    if (target.peers.find(peer.node_id) == target.peers.end()) {
      RUSTYNET_RETURN_IF_ERROR(backend_->remove_peer(peer.node_id));
    }
  }
  for (const auto& entry : target.peers) {
    const backend_api::NodeId& id = entry.first;
    const auto it = std::find_if(stats.peers.begin(), stats.peers.end(),
                                 [&id](const backend_api::PeerStats& seen) { return seen.node_id == id; });
    const backend_api::PeerConfig wanted = in_effect(entry.second, fresh_);
    if (it == stats.peers.end() || !(config_of(*it) == wanted)) {
      reconfigure.push_back(wanted);
    }
  }
  if (!reconfigure.empty()) {
    RUSTYNET_RETURN_IF_ERROR(backend_->configure_peers(reconfigure));
  }
  if (keep != target.routes) {
    RUSTYNET_RETURN_IF_ERROR(backend_->apply_routes(target.routes));
  }
  return {};
}

DaemonStatus TunnelRuntime::install_filter(const backend_api::FilterSpec& spec) {
  if (filter_in_force_ && filter_in_force_->inbound == spec.inbound && filter_in_force_->outbound == spec.outbound) {
    return {};
  }
  backend_api::FilterSpec stamped = spec;
  stamped.generation = filter_generation_ + 1;
  if (auto applied = filter_->apply(stamped); !applied.has_value()) {
    return daemon_fail(DaemonErrorKind::kApply, "install packet filter: " + applied.error().describe());
  }
  filter_generation_ = stamped.generation;
  stamped.generation = 0;
  filter_in_force_ = std::move(stamped);
  filter_present_ = true;
  return {};
}

DaemonResult<FilterCheck> TunnelRuntime::check_filter() {
  if (!filter_in_force_) {
    return FilterCheck{};
  }
  auto found = filter_->verify();
  if (!found.has_value()) {
    return daemon_fail(DaemonErrorKind::kBackend, "packet filter read-back: " + found.error().describe());
  }
  std::string finding;
  if (!found->installed) {
    finding = "packet filter missing";
  } else if (found->generation != filter_generation_) {
    finding = "packet filter of generation " + std::to_string(found->generation) + " in the kernel, " +
              std::to_string(filter_generation_) + " expected";
  } else if (!found->intact) {
    finding = "packet filter altered outside the daemon";
  }
  if (finding.empty()) {
    return FilterCheck{};
  }
  const backend_api::FilterSpec spec = *filter_in_force_;
  filter_in_force_.reset();  // forces the re-install
  if (auto installed = install_filter(spec); !installed.has_value()) {
    filter_in_force_ = spec;
    return daemon_fail(DaemonErrorKind::kBackend, finding + "; re-install failed: " + installed.error().message);
  }
  ++filter_restores_;
  return FilterCheck{true, finding};
}

backend_api::BackendResult<bool> TunnelRuntime::filter_allows(const backend_api::FlowQuery& flow) {
  return filter_->allows(flow);
}

DaemonStatus TunnelRuntime::recover(const DaemonError& cause) {
  ++rollbacks_;
  // The filter goes back with the peers; if it cannot, the newer (signed) filter stays in force.
  std::string filter_note;
  if (auto filter = install_filter(current_.filter); !filter.has_value()) {
    filter_note = "; " + filter.error().message;
  }
  if (phase_ == RuntimePhase::kRunning) {
    if (auto restored = restore(current_); restored.has_value()) {
      return daemon_fail(DaemonErrorKind::kApply, cause.message + "; rolled back to the last good state" + filter_note);
    }
  }
  // Last resort: a fresh lifecycle with the last good state.
  const DesiredState last_good = current_;
  (void)stop_backend();
  if (!last_good.addresses.empty()) {
    if (start(last_good.addresses).has_value()) {
      std::string step;
      FreshPeers fresh = next_fresh_peers(DesiredState{}, last_good, false);
      if (apply_diff(current_, last_good, fresh, step).has_value()) {
        fresh_ = std::move(fresh);
        current_ = last_good;
        return daemon_fail(DaemonErrorKind::kApply,
                           cause.message + "; backend restarted with the last good state" + filter_note);
      }
    }
    (void)stop_backend();
  }
  current_ = last_good;  // still what we want; re-applied by the next successful sync
  return daemon_fail(DaemonErrorKind::kApply, cause.message + "; rollback failed, tunnel is down");
}

DaemonStatus TunnelRuntime::apply(const DesiredState& next) {
  if (next.addresses.empty()) {
    return daemon_fail(DaemonErrorKind::kApply, "state has no interface addresses");
  }
  if (phase_ == RuntimePhase::kRunning && current_.addresses != next.addresses) {
    // Interface addresses are part of the RuntimeContext: a new lifecycle is needed.
    RUSTYNET_RETURN_IF_ERROR(install_filter(next.filter));  // first: nothing changed if it fails
    const DesiredState last_good = current_;
    (void)stop_backend();
    if (auto started = start(next.addresses); !started.has_value()) {
      current_ = last_good;
      return recover(started.error());
    }
    // Roll back target if the rest fails: the new lifecycle starts empty.
    std::string step;
    FreshPeers fresh = next_fresh_peers(DesiredState{}, next, false);
    if (auto applied = apply_diff(current_, next, fresh, step); !applied.has_value()) {
      const DaemonError cause{DaemonErrorKind::kApply, step + ": " + applied.error().describe()};
      (void)stop_backend();
      current_ = last_good;
      return recover(cause);
    }
    fresh_ = std::move(fresh);
    current_ = next;
    return {};
  }
  if (phase_ != RuntimePhase::kRunning) {
    const DesiredState last_good = current_;
    RUSTYNET_RETURN_IF_ERROR(start(next.addresses));
    if (auto filtered = install_filter(next.filter); !filtered.has_value()) {
      (void)stop_backend();
      current_ = last_good;
      return filtered;
    }
    std::string step;
    FreshPeers fresh = next_fresh_peers(DesiredState{}, next, false);
    if (auto applied = apply_diff(current_, next, fresh, step); !applied.has_value()) {
      const DaemonError cause{DaemonErrorKind::kApply, step + ": " + applied.error().describe()};
      (void)stop_backend();
      (void)install_filter(last_good.filter);
      current_ = last_good;
      ++rollbacks_;
      return base::unexpected(cause);
    }
    fresh_ = std::move(fresh);
    current_ = next;
    return {};
  }
  RUSTYNET_RETURN_IF_ERROR(install_filter(next.filter));  // before any peer: nothing changed if it fails
  std::string step;
  FreshPeers fresh = next_fresh_peers(current_, next, true);
  if (auto applied = apply_diff(current_, next, fresh, step); !applied.has_value()) {
    return recover(DaemonError{DaemonErrorKind::kApply, step + ": " + applied.error().describe()});
  }
  fresh_ = std::move(fresh);
  current_ = next;
  return {};
}

BackendStatus TunnelRuntime::recreate_peers(const std::vector<backend_api::NodeId>& peers, std::string& step) {
  std::vector<backend_api::Route> others;
  std::copy_if(current_.routes.begin(), current_.routes.end(), std::back_inserter(others),
               [&peers](const backend_api::Route& route) {
                 return std::find(peers.begin(), peers.end(), route.via) == peers.end();
               });
  const bool withdraw = others.size() != current_.routes.size();
  if (withdraw) {
    step = "withdraw routes";
    RUSTYNET_RETURN_IF_ERROR(backend_->apply_routes(others));
  }
  for (const auto& id : peers) {
    step = "re-create peer " + id.value();
    RUSTYNET_RETURN_IF_ERROR(backend_->remove_peer(id));
    RUSTYNET_RETURN_IF_ERROR(backend_->configure_peer(in_effect(current_.peers.at(id), fresh_)));
  }
  if (withdraw) {
    step = "restore routes";
    RUSTYNET_RETURN_IF_ERROR(backend_->apply_routes(current_.routes));
  }
  return {};
}

void TunnelRuntime::stamp_fresh_peers(SteadyTime now) {
  for (auto& [id, entry] : fresh_) {
    if (!entry.since) {
      entry.since = now;
    }
  }
}

std::vector<backend_api::NodeId> TunnelRuntime::keepalive_deferred() const {
  std::vector<backend_api::NodeId> out;
  for (const auto& [id, entry] : fresh_) {
    if (entry.keepalive_deferred) {
      out.push_back(id);
    }
  }
  return out;
}

DaemonResult<FreshPeerActions> TunnelRuntime::watch_fresh_peers(SteadyTime now) {
  FreshPeerActions actions;
  if (phase_ != RuntimePhase::kRunning) {
    fresh_.clear();
    return actions;
  }
  if (fresh_.empty()) {
    return actions;
  }
  stamp_fresh_peers(now);
  auto stats = backend_->stats();
  if (!stats.has_value()) {
    // Give up on peers past the watch limit even without stats (no endless retries).
    std::erase_if(fresh_, [&](const auto& item) { return now - *item.second.since >= timings_.watch_limit; });
    return daemon_fail(DaemonErrorKind::kBackend, "stats: " + stats.error().describe());
  }
  const auto& exit = exit_mode_.exit_node();
  std::vector<backend_api::PeerConfig> keepalive_on;
  for (auto it = fresh_.begin(); it != fresh_.end();) {
    const backend_api::NodeId& id = it->first;
    FreshPeer& entry = it->second;
    const auto seen = std::find_if(stats->peers.begin(), stats->peers.end(),
                                   [&id](const backend_api::PeerStats& peer) { return peer.node_id == id; });
    const auto desired = current_.peers.find(id);
    if (seen == stats->peers.end() || desired == current_.peers.end()) {
      it = fresh_.erase(it);
      continue;
    }
    const bool handshake = seen->last_handshake_unix_seconds.has_value();
    const auto age = now - *entry.since;
    if (entry.keepalive_deferred) {
      if (handshake || age >= timings_.keepalive_defer_limit) {
        keepalive_on.push_back(desired->second);
        actions.keepalive_on.push_back(id);
        it = fresh_.erase(it);
      } else {
        ++it;
      }
      continue;
    }
    // The re-initiator. Removing the exit node would need exit mode off first: never re-created.
    const bool is_exit = exit.has_value() && *exit == id;
    if (!handshake) {
      if (!entry.recreated && age >= timings_.first_handshake_grace && !is_exit) {
        actions.reinitiated.push_back(id);
        entry.recreated = true;
        entry.since = now;  // watched again from the re-creation (one-way check below)
        entry.at_handshake.reset();
        ++it;
      } else if (age >= timings_.watch_limit) {
        it = fresh_.erase(it);
      } else {
        ++it;
      }
      continue;
    }
    if (!entry.at_handshake) {
      entry.at_handshake = FreshPeer::Counters{now, seen->rx_bytes, seen->tx_bytes};
      ++it;
      continue;
    }
    const auto& base = *entry.at_handshake;
    // Any rx growth: the other side's packets arrive, so both use the same keypair (healthy).
    const bool healthy = seen->rx_bytes > base.rx;
    // Sending for a while and nothing accepted back: the other side sends on a session this node
    // no longer has (crossed initiations). A fresh peer initiates and the other answers.
    const bool one_way = !healthy && !is_exit && seen->tx_bytes > base.tx && now - base.at >= timings_.one_way_window;
    if (one_way) {
      actions.reinitiated_one_way.push_back(id);
    }
    if (healthy || one_way || age >= timings_.watch_limit) {
      it = fresh_.erase(it);
    } else {
      ++it;
    }
  }
  std::string step;
  BackendStatus done;
  if (!keepalive_on.empty()) {
    step = "keepalive on";
    done = backend_->configure_peers(keepalive_on);
  }
  std::vector<backend_api::NodeId> recreate = actions.reinitiated;
  recreate.insert(recreate.end(), actions.reinitiated_one_way.begin(), actions.reinitiated_one_way.end());
  if (done.has_value() && !recreate.empty()) {
    done = recreate_peers(recreate, step);
  }
  if (!done.has_value()) {
    auto recovered = recover(DaemonError{DaemonErrorKind::kApply, step + ": " + done.error().describe()});
    return base::unexpected(recovered.error());
  }
  return actions;
}

DaemonResult<std::size_t> TunnelRuntime::announce_underlay_change() {
  // Any keepalive works for "switched on"; 25 s is the daemon's default and is switched off again.
  constexpr std::uint16_t kAnnounceKeepalive = 25;
  if (phase_ != RuntimePhase::kRunning) {
    return std::size_t{0};
  }
  std::vector<backend_api::PeerConfig> flipped;
  std::vector<backend_api::PeerConfig> restored;
  for (const auto& [id, peer] : current_.peers) {
    backend_api::PeerConfig effective = in_effect(peer, fresh_);
    if (!effective.persistent_keepalive_seconds && peer.persistent_keepalive_seconds) {
      continue;  // keepalive deferred: a fresh pair; sending now could cross the other's initiation
    }
    backend_api::PeerConfig flip = effective;
    if (flip.persistent_keepalive_seconds) {
      flip.persistent_keepalive_seconds.reset();
    } else {
      flip.persistent_keepalive_seconds = kAnnounceKeepalive;
    }
    flipped.push_back(std::move(flip));
    restored.push_back(std::move(effective));
  }
  if (restored.empty()) {
    return std::size_t{0};
  }
  std::string step = "announce: keepalive switched";
  BackendStatus done = backend_->configure_peers(flipped);
  if (done.has_value()) {
    step = "announce: keepalive restored";
    done = backend_->configure_peers(restored);
  }
  if (!done.has_value()) {
    auto recovered = recover(DaemonError{DaemonErrorKind::kApply, step + ": " + done.error().describe()});
    return base::unexpected(recovered.error());
  }
  return restored.size();
}

DaemonStatus TunnelRuntime::set_exit_mode(const backend_api::ExitMode& mode) {
  if (phase_ != RuntimePhase::kRunning) {
    return daemon_fail(DaemonErrorKind::kApply, "not running");
  }
  if (auto set = backend_->set_exit_mode(mode); !set.has_value()) {
    return daemon_fail(DaemonErrorKind::kApply, "exit mode: " + set.error().describe());
  }
  exit_mode_ = mode;
  return {};
}

DaemonStatus TunnelRuntime::shutdown() {
  DaemonStatus stopped = stop_backend();
  if (filter_present_) {
    // After the interface: no packet from the mesh ever meets no filter.
    if (auto removed = filter_->remove(); !removed.has_value() && stopped.has_value()) {
      stopped = daemon_fail(DaemonErrorKind::kBackend, "packet filter removal: " + removed.error().describe());
    }
    filter_present_ = false;
    filter_in_force_.reset();
  }
  return stopped;
}

DaemonStatus TunnelRuntime::stop_backend() {
  if (phase_ != RuntimePhase::kRunning) {
    return {};
  }
  phase_ = RuntimePhase::kStopped;
  exit_mode_ = backend_api::ExitMode::off();
  fresh_.clear();
  if (auto stopped = backend_->shutdown(); !stopped.has_value()) {
    return daemon_fail(DaemonErrorKind::kBackend, "backend shutdown: " + stopped.error().describe());
  }
  return {};
}

backend_api::BackendResult<backend_api::TunnelStats> TunnelRuntime::stats() {
  if (phase_ != RuntimePhase::kRunning) {
    return backend_api::fail(backend_api::BackendError::not_running("tunnel not running"));
  }
  return backend_->stats();
}

}  // namespace rustynet::apps::daemon
