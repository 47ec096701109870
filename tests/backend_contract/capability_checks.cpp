// SPDX-License-Identifier: Apache-2.0
// Contract checks: capabilities fail closed (typed error AND no change) and error precedence.
#include <string>

#include "contract_checks.hpp"
#include "contract_support.hpp"

namespace rustynet::backend_contract::checks {

using namespace detail;  // NOLINT(google-build-using-namespace): check bodies read better unqualified
using api::BackendErrorKind;

namespace {

// Expects kUnsupported and no state change when `supported` is false, success otherwise.
template <class Call>
void gated(CheckReport& report, api::TunnelBackend& backend, bool supported, std::string_view what, Call call) {
  const ObservedState before = observe(backend, report, std::string(what) + " (before)");
  const api::BackendStatus status = call();
  if (supported) {
    expect_ok(report, status, std::string(what) + " (capability reported)");
    return;
  }
  expect_kind(report, status, BackendErrorKind::kUnsupported, std::string(what) + " (capability not reported)");
  expect_unchanged(report, before, observe(backend, report, std::string(what) + " (after)"),
                   std::string(what) + " (capability not reported)");
}

}  // namespace

void capabilities_fail_closed(const BackendContractFactory& factory, CheckReport& report) {
  const api::BackendCapabilities& caps = factory.expected_capabilities;
  {
    // IPv6 interface address.
    ScopedBackend backend(factory);
    api::RuntimeContext context = next_context(factory);
    context.interface_addresses.push_back(interface_address("fd77:77::1/64"));
    const api::BackendStatus status = backend->start(context);
    if (caps.supports_ipv6) {
      expect_ok(report, status, "start with an IPv6 interface address");
    } else {
      expect_kind(report, status, BackendErrorKind::kUnsupported, "start with an IPv6 interface address");
      expect_kind(report, backend->stats(), BackendErrorKind::kNotRunning, "not running after unsupported start");
    }
  }
  ScopedBackend backend(factory);
  expect_ok(report, backend->start(next_context(factory)), "start");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-a", 1)), "configure peer-a");
  expect_ok(report, backend->apply_routes(std::vector{route("10.78.1.0/24", "peer-a")}), "initial routes");
  api::TunnelBackend& b = *backend;

  gated(report, b, caps.supports_ipv6, "IPv6 peer endpoint", [&] {
    api::PeerConfig peer = simple_peer(factory, "peer-v6e", 2);
    peer.endpoint = endpoint("[2001:db8::2]:51820");
    return b.configure_peer(peer);
  });
  gated(report, b, caps.supports_ipv6, "IPv6 allowed prefix", [&] {
    api::PeerConfig peer = simple_peer(factory, "peer-v6p", 3);
    peer.allowed_prefixes.push_back(prefix("fd77:77:3::/64"));
    return b.configure_peer(peer);
  });
  gated(report, b, caps.supports_ipv6, "IPv6 route", [&] {
    return b.apply_routes(std::vector{route("10.78.1.0/24", "peer-a"), route("fd77:78::/48", "peer-a")});
  });
  gated(report, b, caps.supports_lan_routes, "LAN route", [&] {
    return b.apply_routes(
        std::vector{route("10.78.1.0/24", "peer-a"), route("192.168.60.0/24", "peer-a", api::RouteKind::kLan)});
  });
  gated(report, b, caps.supports_exit_nodes, "exit-default route", [&] {
    return b.apply_routes(
        std::vector{route("10.78.1.0/24", "peer-a"), route("0.0.0.0/0", "peer-a", api::RouteKind::kExitDefault)});
  });
  gated(report, b, caps.supports_exit_nodes, "exit mode via a peer",
        [&] { return b.set_exit_mode(api::ExitMode::via(node("peer-a"))); });
  expect_ok(report, b.set_exit_mode(api::ExitMode::off()), "exit mode off is always supported");
  expect_ok(report, b.apply_routes(std::vector{route("10.78.1.0/24", "peer-a")}), "reset routes");

  gated(report, b, caps.supports_roaming, "changing a live peer's endpoint", [&] {
    api::PeerConfig peer = simple_peer(factory, "peer-a", 1);
    peer.endpoint = endpoint("198.51.100.7:4000");
    return b.configure_peer(peer);
  });
  gated(report, b, caps.supports_roaming, "clearing a live peer's endpoint", [&] {
    api::PeerConfig peer = simple_peer(factory, "peer-a", 1);
    peer.endpoint.reset();
    return b.configure_peer(peer);
  });
  // Endpoint changes through remove + add never need roaming.
  expect_ok(report, b.apply_routes({}), "withdraw routes");
  expect_ok(report, b.set_exit_mode(api::ExitMode::off()), "exit off");
  expect_ok(report, b.remove_peer(node("peer-a")), "remove peer-a");
  api::PeerConfig moved = simple_peer(factory, "peer-a", 1);
  moved.endpoint = endpoint("198.51.100.8:4000");
  expect_ok(report, b.configure_peer(moved), "re-add peer-a with a new endpoint");
}

void error_precedence(const BackendContractFactory& factory, CheckReport& report) {
  const api::BackendCapabilities& caps = factory.expected_capabilities;
  ScopedBackend backend(factory);
  // 1. Lifecycle before validity.
  api::PeerConfig zero = simple_peer(factory, "peer-z", 9);
  zero.public_key = api::PeerPublicKey{};
  expect_kind(report, backend->configure_peer(zero), BackendErrorKind::kNotRunning, "invalid peer while not running");
  expect_kind(report, backend->apply_routes(std::vector{route("10.1.0.0/16", "x"), route("10.1.0.0/16", "x")}),
              BackendErrorKind::kNotRunning, "invalid routes while not running");
  expect_ok(report, backend->start(next_context(factory)), "start");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-a", 1)), "configure peer-a");
  // 2. Malformed before unsupported, over the whole request.
  if (!caps.supports_lan_routes) {
    expect_kind(report,
                backend->apply_routes(std::vector{route("192.168.1.0/24", "peer-a", api::RouteKind::kLan),
                                                  route("10.5.0.0/16", "peer-a"), route("10.5.0.0/16", "peer-a")}),
                BackendErrorKind::kInvalidInput, "duplicate destination after an unsupported LAN route");
    // 3. Unsupported before state conflicts.
    expect_kind(report, backend->apply_routes(std::vector{route("192.168.1.0/24", "nobody", api::RouteKind::kLan)}),
                BackendErrorKind::kUnsupported, "unsupported LAN route via an unknown peer");
  }
  if (!caps.supports_ipv6) {
    api::PeerConfig peer = simple_peer(factory, "peer-v6", 1);  // key clash (state) and IPv6 (capability)
    peer.endpoint = endpoint("[2001:db8::9]:51820");
    expect_kind(report, backend->configure_peer(peer), BackendErrorKind::kUnsupported,
                "IPv6 endpoint with a key another node uses");
    peer.persistent_keepalive_seconds = 0;
    expect_kind(report, backend->configure_peer(peer), BackendErrorKind::kInvalidInput,
                "keepalive 0 together with an IPv6 endpoint");
  }
  if (!caps.supports_exit_nodes) {
    expect_kind(report, backend->set_exit_mode(api::ExitMode::via(node("nobody"))), BackendErrorKind::kUnsupported,
                "unsupported exit mode via an unknown peer");
  }
  if (!caps.supports_roaming) {
    api::PeerConfig peer = simple_peer(factory, "peer-a", 1);
    peer.endpoint = endpoint("198.51.100.9:1");
    api::PeerConfig other = simple_peer(factory, "peer-b", 2);
    expect_ok(report, backend->configure_peer(other), "configure peer-b");
    peer.public_key = other.public_key;
    expect_kind(report, backend->configure_peer(peer), BackendErrorKind::kInvalidInput,
                "key conflict is reported before the roaming capability");
  }
}

}  // namespace rustynet::backend_contract::checks
