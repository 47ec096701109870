// SPDX-License-Identifier: Apache-2.0
// Stateless request validation shared by all backends, so they classify errors identically.
#pragma once

#include <span>

#include "rustynet/backend_api/backend_error.hpp"
#include "rustynet/backend_api/capabilities.hpp"
#include "rustynet/backend_api/exit_mode.hpp"
#include "rustynet/backend_api/peer_config.hpp"
#include "rustynet/backend_api/route.hpp"
#include "rustynet/backend_api/runtime_context.hpp"

namespace rustynet::backend_api {

// Each function checks steps 2 (kInvalidInput: malformed on its own) and then 3 (kUnsupported:
// needs a capability the backend lacks) of the error precedence in tunnel_backend.hpp, over the
// whole request: every step-2 problem of every element is reported before any step-3 problem.
// None looks at backend state (step 4 is the backend's own job).

// kInvalidInput: interface name, address count/duplicates, mtu, key size or all-zero key.
// kUnsupported: an IPv6 interface address without supports_ipv6.
[[nodiscard]] BackendStatus validate_runtime_context(const RuntimeContext& context,
                                                     const BackendCapabilities& capabilities);

// kInvalidInput: all-zero public key; keepalive 0.
// kUnsupported: IPv6 endpoint or IPv6 allowed prefix without supports_ipv6.
[[nodiscard]] BackendStatus validate_peer_config(const PeerConfig& peer, const BackendCapabilities& capabilities);

// kInvalidInput: two routes with the same destination; a kExitDefault route whose destination is
// not a default prefix, or a kMesh/kLan route whose destination is one.
// kUnsupported: kLan without supports_lan_routes, kExitDefault without supports_exit_nodes, an
// IPv6 destination without supports_ipv6.
[[nodiscard]] BackendStatus validate_routes(std::span<const Route> routes, const BackendCapabilities& capabilities);

// kUnsupported: via(...) without supports_exit_nodes.
[[nodiscard]] BackendStatus validate_exit_mode(const ExitMode& mode, const BackendCapabilities& capabilities);

}  // namespace rustynet::backend_api
