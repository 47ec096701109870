// SPDX-License-Identifier: Apache-2.0
// TunnelBackend: the one control surface for data-plane orchestration (spec section 4).
#pragma once

#include <span>
#include <string_view>

#include "rustynet/backend_api/backend_error.hpp"
#include "rustynet/backend_api/capabilities.hpp"
#include "rustynet/backend_api/exit_mode.hpp"
#include "rustynet/backend_api/node_id.hpp"
#include "rustynet/backend_api/peer_config.hpp"
#include "rustynet/backend_api/route.hpp"
#include "rustynet/backend_api/runtime_context.hpp"
#include "rustynet/backend_api/tunnel_stats.hpp"

namespace rustynet::backend_api {

// The full contract, with the reasons, is docs/backend-contract.md; tests/backend_contract checks
// it for every backend. Summary:
//
// Lifecycle: not running --start()--> running --shutdown()--> not running (a new lifecycle may
// start again with a fresh context). name() and capabilities() work in any state and never change
// for one object. Every other method needs the running state, else kNotRunning (invariant 2);
// start() while running is kAlreadyRunning (invariant 1). shutdown() clears peers, routes and
// session state and resets the exit mode to off (invariant 3).
//
// Failure atomicity: a call that fails with kInvalidInput, kUnsupported, kNotRunning or
// kAlreadyRunning changed nothing. kInternal means the backend's own machinery failed part way;
// stats() then reports what is really in effect and the caller re-applies or shuts down.
//
// Error precedence, so that every backend returns the same kind for the same request:
//   1. lifecycle (kNotRunning / kAlreadyRunning)
//   2. the request on its own is malformed (kInvalidInput)          } validate_*() in
//   3. the request needs a capability the backend lacks (kUnsupported) } validation.hpp
//   4. the request conflicts with the current state (kInvalidInput, or kUnsupported for an
//      endpoint change without supports_roaming)
//   5. the backend failed to apply it (kInternal)
//
// Thread-safety: none. One owner calls a backend from one thread at a time.
class TunnelBackend {
 public:
  virtual ~TunnelBackend() = default;
  TunnelBackend() = default;
  TunnelBackend(const TunnelBackend&) = delete;
  TunnelBackend& operator=(const TunnelBackend&) = delete;
  TunnelBackend(TunnelBackend&&) = delete;
  TunnelBackend& operator=(TunnelBackend&&) = delete;

  // Short stable lower-case identifier ("memory", ...), for logs and status output.
  [[nodiscard]] virtual std::string_view name() const = 0;
  // Authoritative for feature checks; constant for the object's lifetime.
  [[nodiscard]] virtual BackendCapabilities capabilities() const = 0;

  // kAlreadyRunning; kInvalidInput / kUnsupported per validate_runtime_context(); kInternal.
  // On any failure the backend stays not running and leaves nothing behind.
  virtual BackendStatus start(const RuntimeContext& context) = 0;

  // Adds the peer, or replaces the whole configuration of an already configured node_id.
  // kNotRunning; validate_peer_config(); then kInvalidInput if node_id is the local node, if
  // another node already uses public_key, or if another node already owns one of
  // allowed_prefixes; kUnsupported if the node exists with a different endpoint (set, changed
  // or cleared) and !supports_roaming; kInternal.
  virtual BackendStatus configure_peer(const PeerConfig& peer) = 0;

  // Defined as configure_peer() on each element in order, stopping at the first failure: on
  // failure, elements before the failing one stay applied, the failing one and all after it
  // are not, and the failing call's error is returned (its message names the index). An empty
  // span succeeds when running and is kNotRunning otherwise. The default implementation is
  // exactly that loop; a backend may override it to batch system calls, keeping the result
  // identical (the contract suite's property test checks the equivalence).
  virtual BackendStatus configure_peers(std::span<const PeerConfig> peers);

  // kNotRunning; kInvalidInput if node_id is not configured, or is the `via` of a route in
  // effect, or is the current exit node (withdraw routes / exit mode first: a removal never
  // changes other state implicitly); kInternal.
  virtual BackendStatus remove_peer(const NodeId& node_id) = 0;

  // Replaces the whole route set (invariant 5): afterwards exactly `routes` are in effect.
  // Order is not significant. kNotRunning; validate_routes(); then kInvalidInput if a route's
  // `via` is not a configured peer; kInternal. An empty span clears all routes.
  virtual BackendStatus apply_routes(std::span<const Route> routes) = 0;

  // kNotRunning; kUnsupported for via(...) without supports_exit_nodes; kInvalidInput if the
  // exit node is not a configured peer; kInternal. Setting the current mode again succeeds.
  virtual BackendStatus set_exit_mode(const ExitMode& mode) = 0;

  // kNotRunning; kInternal. See tunnel_stats.hpp for what is reported.
  virtual BackendResult<TunnelStats> stats() = 0;

  // Tears everything down and returns to not running, clearing all state (invariant 3) even if
  // tearing down fails part way (then kInternal, still not running). kNotRunning if not running.
  virtual BackendStatus shutdown() = 0;
};

}  // namespace rustynet::backend_api
