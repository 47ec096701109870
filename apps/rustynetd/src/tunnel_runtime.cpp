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

TunnelRuntime::TunnelRuntime(std::unique_ptr<backend_api::TunnelBackend> backend, TunnelIdentity identity)
    : backend_(std::move(backend)), identity_(std::move(identity)) {}

TunnelRuntime::~TunnelRuntime() { (void)shutdown(); }

DaemonStatus TunnelRuntime::start(const std::vector<backend_api::InterfaceAddress>& addresses) {
  if (phase_ == RuntimePhase::kRunning) {
    return daemon_fail(DaemonErrorKind::kBackend, "already running");
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

BackendStatus TunnelRuntime::apply_diff(const DesiredState& from, const DesiredState& to, std::string& step) {
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
    RUSTYNET_RETURN_IF_ERROR(backend_->configure_peers(diff.added_or_changed));
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
    if (it == stats.peers.end() || !(config_of(*it) == entry.second)) {
      reconfigure.push_back(entry.second);
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

DaemonStatus TunnelRuntime::recover(const DaemonError& cause) {
  ++rollbacks_;
  if (phase_ == RuntimePhase::kRunning) {
    if (auto restored = restore(current_); restored.has_value()) {
      return daemon_fail(DaemonErrorKind::kApply, cause.message + "; rolled back to the last good state");
    }
  }
  // Last resort: a fresh lifecycle with the last good state.
  const DesiredState last_good = current_;
  (void)shutdown();
  if (!last_good.addresses.empty()) {
    if (start(last_good.addresses).has_value()) {
      std::string step;
      if (apply_diff(current_, last_good, step).has_value()) {
        current_ = last_good;
        return daemon_fail(DaemonErrorKind::kApply, cause.message + "; backend restarted with the last good state");
      }
    }
    (void)shutdown();
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
    const DesiredState last_good = current_;
    (void)shutdown();
    if (auto started = start(next.addresses); !started.has_value()) {
      current_ = last_good;
      return recover(started.error());
    }
    // Roll back target if the rest fails: the new lifecycle starts empty.
    std::string step;
    if (auto applied = apply_diff(current_, next, step); !applied.has_value()) {
      const DaemonError cause{DaemonErrorKind::kApply, step + ": " + applied.error().describe()};
      (void)shutdown();
      current_ = last_good;
      return recover(cause);
    }
    note_fresh_peers(DesiredState{}, next);
    current_ = next;
    return {};
  }
  if (phase_ != RuntimePhase::kRunning) {
    const DesiredState last_good = current_;
    RUSTYNET_RETURN_IF_ERROR(start(next.addresses));
    std::string step;
    if (auto applied = apply_diff(current_, next, step); !applied.has_value()) {
      const DaemonError cause{DaemonErrorKind::kApply, step + ": " + applied.error().describe()};
      (void)shutdown();
      current_ = last_good;
      ++rollbacks_;
      return base::unexpected(cause);
    }
    note_fresh_peers(DesiredState{}, next);
    current_ = next;
    return {};
  }
  std::string step;
  if (auto applied = apply_diff(current_, next, step); !applied.has_value()) {
    return recover(DaemonError{DaemonErrorKind::kApply, step + ": " + applied.error().describe()});
  }
  note_fresh_peers(current_, next);
  current_ = next;
  return {};
}

void TunnelRuntime::note_fresh_peers(const DesiredState& from, const DesiredState& to) {
  std::erase_if(awaiting_handshake_, [&to](const backend_api::NodeId& id) { return !to.peers.contains(id); });
  for (const auto& [id, peer] : to.peers) {
    if (!peer.endpoint.has_value() || !(identity_.node_id < id)) {
      continue;  // nowhere to send an initiation, or the other side is this pair's re-initiator
    }
    const auto before = from.peers.find(id);
    if (before == from.peers.end() || !(before->second.public_key == peer.public_key)) {
      awaiting_handshake_.insert(id);
    }
  }
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
    RUSTYNET_RETURN_IF_ERROR(backend_->configure_peer(current_.peers.at(id)));
  }
  if (withdraw) {
    step = "restore routes";
    RUSTYNET_RETURN_IF_ERROR(backend_->apply_routes(current_.routes));
  }
  return {};
}

DaemonResult<std::vector<backend_api::NodeId>> TunnelRuntime::reinitiate_silent_peers() {
  const std::set<backend_api::NodeId> awaiting = std::exchange(awaiting_handshake_, {});
  std::vector<backend_api::NodeId> silent;
  if (phase_ != RuntimePhase::kRunning || awaiting.empty()) {
    return silent;
  }
  auto stats = backend_->stats();
  if (!stats.has_value()) {
    return daemon_fail(DaemonErrorKind::kBackend, "stats: " + stats.error().describe());
  }
  const auto& exit = exit_mode_.exit_node();
  for (const auto& peer : stats->peers) {
    const bool is_exit = exit.has_value() && *exit == peer.node_id;  // removal would need exit mode off
    if (awaiting.contains(peer.node_id) && !peer.last_handshake_unix_seconds.has_value() && !is_exit &&
        current_.peers.contains(peer.node_id)) {
      silent.push_back(peer.node_id);
    }
  }
  if (silent.empty()) {
    return silent;
  }
  std::string step;
  if (auto recreated = recreate_peers(silent, step); !recreated.has_value()) {
    auto recovered = recover(DaemonError{DaemonErrorKind::kApply, step + ": " + recreated.error().describe()});
    return base::unexpected(recovered.error());
  }
  return silent;
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
  if (phase_ != RuntimePhase::kRunning) {
    return {};
  }
  phase_ = RuntimePhase::kStopped;
  exit_mode_ = backend_api::ExitMode::off();
  awaiting_handshake_.clear();
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
