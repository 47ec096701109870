// SPDX-License-Identifier: Apache-2.0
// ControlApi: the JSON endpoints of docs/control-protocol.md on top of MeshState (transport-free).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mesh_state.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/control/revocation_store.hpp"

namespace rustynet::apps::control_server {

// Most nodes one POST /v1/admin/batch may register (the body is also bounded: 256 KiB).
inline constexpr std::size_t kMaxBatchNodes = 256;

struct ApiResponse {
  unsigned status = 500;
  std::string body;  // JSON, empty for 204
};

// A parsed POST /v1/node/sync: either answered at once or to be held until `wait` passed.
struct SyncPlan {
  std::optional<ApiResponse> immediate;
  std::string node_id;
  std::uint64_t known_generation = 0;
  std::chrono::seconds wait{0};
};

struct ApiOptions {
  std::chrono::seconds max_wait{55};               // long-poll cap (the protocol allows 0..55)
  std::chrono::seconds token_retention{300 + 90};  // revoked token ids kept this long (lifetime + skew)
};

// Thread-safe (MeshState and the revocation store are). Callers have authenticated the identity
// and applied the endpoint policy; every method answers with the protocol's JSON or an error body.
class ControlApi {
 public:
  ControlApi(MeshState& mesh, control::RevocationStore& revocations, const base::Clock& clock, ApiOptions options);

  // /v1/admin/* (the caller routed only admin identities here). `target` is the request path.
  [[nodiscard]] ApiResponse handle_admin(std::string_view method, std::string_view target, std::string_view body);
  // POST /v1/node/sync, first pass: parses, records the reported endpoints (waking peers on a
  // change) and answers at once when a newer state exists or wait is 0.
  [[nodiscard]] SyncPlan begin_sync(std::string_view node_id, std::string_view body, std::string_view source_ip);
  // Later passes: a 200 answer if the node's state is newer than `known_generation`, an error
  // answer, or nullopt (keep waiting).
  [[nodiscard]] std::optional<ApiResponse> poll_sync(std::string_view node_id, std::uint64_t known_generation);

  // POST /v1/node/relay-ticket {"version":1,"peer":"<node id>"}: the caller's ticket for its relay
  // session with `peer` -> {"version":1,"relay_id","address","ticket","expires_at"}.
  [[nodiscard]] ApiResponse relay_ticket(std::string_view node_id, std::string_view body);

  [[nodiscard]] MeshState& mesh() noexcept { return *mesh_; }

 private:
  MeshState* mesh_;
  control::RevocationStore* revocations_;
  const base::Clock* clock_;
  ApiOptions options_;
};

// {"version":1,"error":class,"message":message}
[[nodiscard]] std::string error_body(std::string_view error_class, std::string_view message);

}  // namespace rustynet::apps::control_server
