// SPDX-License-Identifier: Apache-2.0
// Contract checks: lifecycle, invariants 1 (start once), 2 (running state) and 3 (shutdown clears).
#include <string>

#include "contract_checks.hpp"
#include "contract_support.hpp"

namespace rustynet::backend_contract::checks {

using namespace detail;  // NOLINT(google-build-using-namespace): check bodies read better unqualified
using api::BackendErrorKind;

void name_and_capabilities(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  const std::string name(backend->name());
  if (name.empty()) {
    report.fail("name() is empty");
  }
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      report.fail("name() '" + name + "' is not a lower-case identifier");
      break;
    }
  }
  if (backend->capabilities() != factory.expected_capabilities) {
    report.fail(std::string("capabilities() reports ") + to_text(backend->capabilities()) + ", factory expects " +
                to_text(factory.expected_capabilities));
  }
  expect_ok(report, backend->start(next_context(factory)), "start");
  if (backend->name() != name || backend->capabilities() != factory.expected_capabilities) {
    report.fail("name() or capabilities() changed after start()");
  }
  expect_ok(report, backend->shutdown(), "shutdown");
  if (backend->name() != name || backend->capabilities() != factory.expected_capabilities) {
    report.fail("name() or capabilities() changed after shutdown()");
  }
}

void start_once_per_lifecycle(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  expect_ok(report, backend->start(next_context(factory)), "first start");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-a", 1)), "configure_peer");
  const ObservedState before = observe(*backend, report, "before second start");
  expect_kind(report, backend->start(next_context(factory)), BackendErrorKind::kAlreadyRunning, "second start");
  // Also with an invalid context: the lifecycle check comes first.
  api::RuntimeContext bad = next_context(factory);
  bad.mtu = 1;
  expect_kind(report, backend->start(bad), BackendErrorKind::kAlreadyRunning, "second start, invalid context");
  expect_unchanged(report, before, observe(*backend, report, "after second start"), "second start");
}

void running_state_required(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  const api::PeerConfig peer = simple_peer(factory, "peer-a", 1);
  const std::vector<api::Route> routes{route("10.77.0.2/32", "peer-a")};
  auto probe_all = [&](std::string_view phase) {
    const std::string p(phase);
    expect_kind(report, backend->configure_peer(peer), BackendErrorKind::kNotRunning, p + " configure_peer");
    expect_kind(report, backend->configure_peers(std::span<const api::PeerConfig>(&peer, 1)),
                BackendErrorKind::kNotRunning, p + " configure_peers");
    expect_kind(report, backend->configure_peers({}), BackendErrorKind::kNotRunning, p + " configure_peers(empty)");
    expect_kind(report, backend->remove_peer(peer.node_id), BackendErrorKind::kNotRunning, p + " remove_peer");
    expect_kind(report, backend->apply_routes(routes), BackendErrorKind::kNotRunning, p + " apply_routes");
    expect_kind(report, backend->apply_routes({}), BackendErrorKind::kNotRunning, p + " apply_routes(empty)");
    expect_kind(report, backend->set_exit_mode(api::ExitMode::off()), BackendErrorKind::kNotRunning,
                p + " set_exit_mode(off)");
    expect_kind(report, backend->set_exit_mode(api::ExitMode::via(peer.node_id)), BackendErrorKind::kNotRunning,
                p + " set_exit_mode(via)");
    expect_kind(report, backend->stats(), BackendErrorKind::kNotRunning, p + " stats");
    expect_kind(report, backend->shutdown(), BackendErrorKind::kNotRunning, p + " shutdown");
  };
  probe_all("fresh:");
  expect_ok(report, backend->start(next_context(factory)), "start");
  expect_ok(report, backend->configure_peer(peer), "configure_peer while running");
  expect_ok(report, backend->shutdown(), "shutdown");
  probe_all("after shutdown:");
}

void shutdown_clears_state(const BackendContractFactory& factory, CheckReport& report) {
  const api::BackendCapabilities& caps = factory.expected_capabilities;
  ScopedBackend backend(factory);
  expect_ok(report, backend->start(next_context(factory)), "start");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-a", 1)), "configure peer-a");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-b", 2)), "configure peer-b");
  std::vector<api::Route> routes{route("10.78.1.0/24", "peer-a")};
  if (caps.supports_lan_routes) {
    routes.push_back(route("192.168.50.0/24", "peer-b", api::RouteKind::kLan));
  }
  expect_ok(report, backend->apply_routes(routes), "apply_routes");
  if (caps.supports_exit_nodes) {
    expect_ok(report, backend->set_exit_mode(api::ExitMode::via(node("peer-b"))), "set_exit_mode");
  }
  const ObservedState populated = observe(*backend, report, "populated");
  if (populated.peers.size() != 2 || populated.routes.size() != routes.size()) {
    report.fail(std::string("state before shutdown is not what was configured: ") + to_text(populated));
  }
  expect_ok(report, backend->shutdown(), "shutdown");
  expect_ok(report, backend->start(next_context(factory)), "restart");
  const ObservedState after = observe(*backend, report, "after restart");
  if (!(after == ObservedState{})) {
    report.fail(std::string("shutdown did not clear peers/routes/exit mode; after restart: ") + to_text(after));
  }
  // The cleared peers' keys and prefixes are free again.
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-c", 1)), "reuse peer-a's key after restart");
}

void restart_lifecycles(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  for (std::size_t round = 0; round < 3; ++round) {
    const std::string r = std::string("round ") + std::to_string(round) + ": ";
    expect_ok(report, backend->start(next_context(factory)), r + "start");
    const ObservedState fresh = observe(*backend, report, r + "fresh");
    if (!(fresh == ObservedState{})) {
      report.fail(r + "a new lifecycle does not start empty: " + to_text(fresh));
    }
    expect_ok(report,
              backend->configure_peer(simple_peer(factory, std::string("peer-") + std::to_string(round), 10 + round)),
              r + "configure_peer");
    expect_ok(report, backend->shutdown(), r + "shutdown");
    expect_kind(report, backend->shutdown(), BackendErrorKind::kNotRunning, r + "second shutdown");
  }
}

void invalid_context_rejected(const BackendContractFactory& factory, CheckReport& report) {
  struct Case {
    const char* what;
    void (*mutate)(api::RuntimeContext&);
  };
  static constexpr Case kCases[] = {
      {"empty interface name", [](api::RuntimeContext& c) { c.interface_name.clear(); }},
      {"16-byte interface name", [](api::RuntimeContext& c) { c.interface_name = "abcdefghijklmnop"; }},
      {"interface name with '/'", [](api::RuntimeContext& c) { c.interface_name = "a/b"; }},
      {"interface name '..'", [](api::RuntimeContext& c) { c.interface_name = ".."; }},
      {"no interface address", [](api::RuntimeContext& c) { c.interface_addresses.clear(); }},
      {"duplicate interface address",
       [](api::RuntimeContext& c) {
         if (!c.interface_addresses.empty()) {
           c.interface_addresses.push_back(c.interface_addresses.front());
         }
       }},
      {"mtu below minimum", [](api::RuntimeContext& c) { c.mtu = api::RuntimeContext::kMinMtu - 1; }},
      {"mtu above maximum", [](api::RuntimeContext& c) { c.mtu = api::RuntimeContext::kMaxMtu + 1; }},
      {"31-byte private key", [](api::RuntimeContext& c) { c.tunnel_private_key = base::SecretBytes(31); }},
      {"empty private key", [](api::RuntimeContext& c) { c.tunnel_private_key = base::SecretBytes(); }},
      {"all-zero private key", [](api::RuntimeContext& c) { c.tunnel_private_key = base::SecretBytes(32); }},
  };
  ScopedBackend backend(factory);
  for (const Case& c : kCases) {
    api::RuntimeContext context = next_context(factory);
    c.mutate(context);
    expect_kind(report, backend->start(context), BackendErrorKind::kInvalidInput, std::string("start with ") + c.what);
    expect_kind(report, backend->stats(), BackendErrorKind::kNotRunning,
                std::string("still not running after start with ") + c.what);
  }
  expect_ok(report, backend->start(next_context(factory)), "valid start after rejected ones");
}

}  // namespace rustynet::backend_contract::checks
