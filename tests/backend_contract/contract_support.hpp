// SPDX-License-Identifier: Apache-2.0
// Internal helpers of the contract suite: scoped backends, value builders, expectations.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "backend_contract_suite.hpp"
#include "rustynet/backend_api/ip_prefix.hpp"
#include "rustynet/backend_api/node_id.hpp"
#include "rustynet/backend_api/socket_endpoint.hpp"
#include "rustynet/backend_api/tunnel_stats.hpp"

namespace rustynet::backend_contract::detail {

namespace api = ::rustynet::backend_api;

// A backend from the factory that is shut down (if running) when the scope ends, so real
// backends never leave interfaces behind, also when a check fails half way.
class ScopedBackend {
 public:
  explicit ScopedBackend(const BackendContractFactory& factory);
  ~ScopedBackend();
  ScopedBackend(const ScopedBackend&) = delete;
  ScopedBackend& operator=(const ScopedBackend&) = delete;
  ScopedBackend(ScopedBackend&&) = delete;
  ScopedBackend& operator=(ScopedBackend&&) = delete;

  api::TunnelBackend& operator*() const { return *backend_; }
  api::TunnelBackend* operator->() const { return backend_.get(); }
  [[nodiscard]] bool valid() const noexcept { return backend_ != nullptr; }

 private:
  std::unique_ptr<api::TunnelBackend> backend_;
};

// A context with a run-wide unique index.
[[nodiscard]] api::RuntimeContext next_context(const BackendContractFactory& factory);
[[nodiscard]] api::PeerPublicKey peer_key(const BackendContractFactory& factory, std::size_t index);

// Parse helpers for literals in checks; a bad literal is a bug in the suite (aborts).
[[nodiscard]] api::NodeId node(std::string_view text);
[[nodiscard]] api::IpPrefix prefix(std::string_view text);
[[nodiscard]] api::SocketEndpoint endpoint(std::string_view text);
[[nodiscard]] api::InterfaceAddress interface_address(std::string_view text);

// Peer `name` with key index `key_index`, endpoint 192.0.2.(key_index % 250 + 1):51820 and one
// allowed /32 in 10.77.0.0/16 derived from key_index.
[[nodiscard]] api::PeerConfig simple_peer(const BackendContractFactory& factory, std::string_view name,
                                          std::size_t key_index);
[[nodiscard]] api::Route route(std::string_view destination, std::string_view via,
                               api::RouteKind kind = api::RouteKind::kMesh);

// The part of TunnelStats that the contract fixes (counters and handshake times excluded).
struct ObservedPeer {
  api::NodeId node_id;
  api::PeerPublicKey public_key;
  std::optional<api::SocketEndpoint> endpoint;
  std::vector<api::IpPrefix> allowed_prefixes;
  std::optional<std::uint16_t> persistent_keepalive_seconds;
  friend bool operator==(const ObservedPeer&, const ObservedPeer&) = default;
};
struct ObservedState {
  std::vector<ObservedPeer> peers;
  std::vector<api::Route> routes;
  api::ExitMode exit_mode = api::ExitMode::off();
  friend bool operator==(const ObservedState&, const ObservedState&) = default;
};
std::ostream& operator<<(std::ostream& out, const ObservedState& state);

// Projects stats and checks the structural rules of TunnelStats (sorted unique peers and routes,
// canonical prefix lists, totals equal to the sums); violations go to `report`.
[[nodiscard]] ObservedState observe(const api::TunnelStats& stats, CheckReport& report, std::string_view what);

// stats() must succeed; returns the observed state (empty on failure, after reporting it).
[[nodiscard]] ObservedState observe(api::TunnelBackend& backend, CheckReport& report, std::string_view what);

[[nodiscard]] std::string describe_outcome(const api::BackendStatus& status);

void expect_ok(CheckReport& report, const api::BackendStatus& status, std::string_view what);
void expect_kind(CheckReport& report, const api::BackendStatus& status, api::BackendErrorKind kind,
                 std::string_view what);
template <class T>
void expect_kind(CheckReport& report, const api::BackendResult<T>& result, api::BackendErrorKind kind,
                 std::string_view what) {
  if (result.has_value()) {
    report.fail(std::string(what) + ": expected " + std::string(api::to_string(kind)) + ", got success");
  } else if (result.error().kind != kind) {
    report.fail(std::string(what) + ": expected " + std::string(api::to_string(kind)) + ", got " +
                result.error().describe());
  }
}

// Fails the report unless `before == after` ("a failed call changes nothing").
void expect_unchanged(CheckReport& report, const ObservedState& before, const ObservedState& after,
                      std::string_view what);

template <class T>
std::string to_text(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace rustynet::backend_contract::detail
