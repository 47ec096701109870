// SPDX-License-Identifier: Apache-2.0
// Deliberately broken TunnelBackends (decorators over ReferenceBackend) that the suite must catch.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "rustynet/backend_api/reference_backend.hpp"
#include "rustynet/backend_api/tunnel_backend.hpp"

namespace rustynet::backend_contract::broken {

namespace api = ::rustynet::backend_api;

// Forwards everything to a ReferenceBackend; each subclass breaks one rule.
class Forwarding : public api::TunnelBackend {
 public:
  explicit Forwarding(api::BackendCapabilities caps)
      : inner_(std::make_unique<api::ReferenceBackend>(api::ReferenceBackendOptions{"broken", caps})) {}
  [[nodiscard]] std::string_view name() const override { return inner_->name(); }
  [[nodiscard]] api::BackendCapabilities capabilities() const override { return inner_->capabilities(); }
  api::BackendStatus start(const api::RuntimeContext& context) override { return inner_->start(context); }
  api::BackendStatus configure_peer(const api::PeerConfig& peer) override { return inner_->configure_peer(peer); }
  api::BackendStatus configure_peers(std::span<const api::PeerConfig> peers) override {
    return inner_->configure_peers(peers);
  }
  api::BackendStatus remove_peer(const api::NodeId& node_id) override { return inner_->remove_peer(node_id); }
  api::BackendStatus apply_routes(std::span<const api::Route> routes) override { return inner_->apply_routes(routes); }
  api::BackendStatus set_exit_mode(const api::ExitMode& mode) override { return inner_->set_exit_mode(mode); }
  api::BackendResult<api::TunnelStats> stats() override { return inner_->stats(); }
  api::BackendStatus shutdown() override { return inner_->shutdown(); }

 protected:
  api::TunnelBackend& inner() { return *inner_; }

 private:
  std::unique_ptr<api::ReferenceBackend> inner_;
};

// Reports no exit-node support but "accepts" ExitMode::via(...) by silently doing nothing: the
// silent degradation the fail-closed rule forbids.
class IgnoresUnsupportedExitMode final : public Forwarding {
 public:
  using Forwarding::Forwarding;
  api::BackendStatus set_exit_mode(const api::ExitMode& mode) override {
    if (!mode.is_off() && !capabilities().supports_exit_nodes) {
      auto running = inner().stats();
      if (running.has_value()) {
        return {};
      }
    }
    return Forwarding::set_exit_mode(mode);
  }
};

// apply_routes merges the new routes into the old set instead of replacing it (invariant 5).
class AppendsRoutes final : public Forwarding {
 public:
  using Forwarding::Forwarding;
  api::BackendStatus apply_routes(std::span<const api::Route> routes) override {
    auto current = inner().stats();
    if (!current.has_value()) {
      return Forwarding::apply_routes(routes);
    }
    std::vector<api::Route> merged(routes.begin(), routes.end());
    for (const api::Route& old : current->routes) {
      bool replaced = false;
      for (const api::Route& route : routes) {
        replaced = replaced || route.destination == old.destination;
      }
      if (!replaced) {
        merged.push_back(old);
      }
    }
    return Forwarding::apply_routes(merged);
  }
};

// shutdown() keeps the peers and brings them back on the next start() (invariant 3).
class ForgetsToClearPeers final : public Forwarding {
 public:
  using Forwarding::Forwarding;
  api::BackendStatus shutdown() override {
    auto current = inner().stats();
    if (current.has_value()) {
      remembered_.clear();
      for (const api::PeerStats& peer : current->peers) {
        remembered_.push_back(api::PeerConfig{peer.node_id, peer.public_key, peer.endpoint, peer.allowed_prefixes,
                                              peer.persistent_keepalive_seconds});
      }
    }
    return Forwarding::shutdown();
  }
  api::BackendStatus start(const api::RuntimeContext& context) override {
    auto status = Forwarding::start(context);
    if (status.has_value()) {
      for (const api::PeerConfig& peer : remembered_) {
        (void)inner().configure_peer(peer);
      }
    }
    return status;
  }

 private:
  std::vector<api::PeerConfig> remembered_;
};

// configure_peers is all-or-nothing (rolls back added peers on failure) instead of the defined
// "sequence of single calls" semantics.
class AllOrNothingBatch final : public Forwarding {
 public:
  using Forwarding::Forwarding;
  api::BackendStatus configure_peers(std::span<const api::PeerConfig> peers) override {
    auto before = inner().stats();
    auto status = Forwarding::configure_peers(peers);
    if (!status.has_value() && before.has_value()) {
      for (const api::PeerConfig& peer : peers) {
        bool existed = false;
        for (const api::PeerStats& old : before->peers) {
          existed = existed || old.node_id == peer.node_id;
        }
        if (!existed) {
          (void)inner().remove_peer(peer.node_id);
        }
      }
    }
    return status;
  }
};

// apply_routes installs the routes before checking their next hops, so a rejected request
// leaves part of itself behind ("a failed call changes nothing").
class PartialRouteApply final : public Forwarding {
 public:
  using Forwarding::Forwarding;
  api::BackendStatus apply_routes(std::span<const api::Route> routes) override {
    auto status = Forwarding::apply_routes(routes);
    if (status.has_value()) {
      return status;
    }
    std::vector<api::Route> known;
    auto current = inner().stats();
    if (current.has_value()) {
      for (const api::Route& route : routes) {
        for (const api::PeerStats& peer : current->peers) {
          if (peer.node_id == route.via) {
            known.push_back(route);
            break;
          }
        }
      }
      if (!known.empty() && known.size() != routes.size()) {
        (void)Forwarding::apply_routes(known);
      }
    }
    return status;
  }
};

}  // namespace rustynet::backend_contract::broken
