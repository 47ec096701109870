// SPDX-License-Identifier: Apache-2.0
// Contract checks: invariant 5 (apply_routes replaces all), route validation, exit mode.
#include <algorithm>
#include <string>

#include "contract_checks.hpp"
#include "contract_support.hpp"

namespace rustynet::backend_contract::checks {

using namespace detail;  // NOLINT(google-build-using-namespace): check bodies read better unqualified
using api::BackendErrorKind;

namespace {

std::vector<api::Route> sorted(std::vector<api::Route> routes) {
  std::sort(routes.begin(), routes.end(), api::RouteDestinationLess{});
  return routes;
}

void start_with_two_peers(const BackendContractFactory& factory, ScopedBackend& backend, CheckReport& report) {
  expect_ok(report, backend->start(next_context(factory)), "start");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-a", 1)), "configure peer-a");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-b", 2)), "configure peer-b");
}

}  // namespace

void apply_routes_replaces_all(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  start_with_two_peers(factory, backend, report);
  const std::vector first{route("10.78.2.0/24", "peer-b"), route("10.78.1.0/24", "peer-a")};
  expect_ok(report, backend->apply_routes(first), "apply first set");
  ObservedState state = observe(*backend, report, "after first set");
  if (state.routes != sorted(first)) {
    report.fail(std::string("route set after first apply_routes: ") + to_text(state));
  }
  const std::vector second{route("10.78.3.0/24", "peer-a"), route("10.78.1.0/24", "peer-b")};
  expect_ok(report, backend->apply_routes(second), "apply second set");
  state = observe(*backend, report, "after second set");
  if (state.routes != sorted(second)) {
    report.fail(std::string("apply_routes did not replace the whole set (invariant 5): ") + to_text(state));
  }
  // Order of the request does not matter; re-applying the same set is idempotent.
  std::vector reversed(second.rbegin(), second.rend());
  expect_ok(report, backend->apply_routes(reversed), "re-apply reversed");
  if (observe(*backend, report, "after re-apply").routes != sorted(second)) {
    report.fail("re-applying the same set in another order changed the route set");
  }
  expect_ok(report, backend->apply_routes({}), "apply empty set");
  state = observe(*backend, report, "after empty set");
  if (!state.routes.empty()) {
    report.fail(std::string("apply_routes({}) did not clear the route set: ") + to_text(state));
  }
}

void apply_routes_rejections(const BackendContractFactory& factory, CheckReport& report) {
  const api::BackendCapabilities& caps = factory.expected_capabilities;
  ScopedBackend backend(factory);
  start_with_two_peers(factory, backend, report);
  expect_ok(report, backend->apply_routes(std::vector{route("10.78.1.0/24", "peer-a")}), "initial set");
  const ObservedState before = observe(*backend, report, "before");
  expect_kind(report,
              backend->apply_routes(std::vector{route("10.78.2.0/24", "peer-a"), route("10.78.9.0/24", "nobody")}),
              BackendErrorKind::kInvalidInput, "route via an unknown peer");
  expect_kind(report,
              backend->apply_routes(std::vector{route("10.78.2.0/24", "peer-a"), route("10.78.2.0/24", "peer-b")}),
              BackendErrorKind::kInvalidInput, "two routes for one destination");
  expect_kind(report,
              backend->apply_routes(std::vector{route("10.78.2.0/24", "peer-a"), route("10.78.2.0/24", "peer-a")}),
              BackendErrorKind::kInvalidInput, "the same route twice");
  expect_kind(report, backend->apply_routes(std::vector{route("0.0.0.0/0", "peer-a", api::RouteKind::kMesh)}),
              BackendErrorKind::kInvalidInput, "a mesh route with a default destination");
  expect_kind(report, backend->apply_routes(std::vector{route("0.0.0.0/0", "peer-a", api::RouteKind::kLan)}),
              BackendErrorKind::kInvalidInput, "a LAN route with a default destination");
  expect_kind(report, backend->apply_routes(std::vector{route("10.0.0.0/8", "peer-a", api::RouteKind::kExitDefault)}),
              BackendErrorKind::kInvalidInput, "an exit-default route that is not a default destination");
  expect_kind(report, backend->apply_routes(std::vector{route("10.78.5.0/24", "node-local-x")}),
              BackendErrorKind::kInvalidInput, "route via a node that is not a peer");
  if (caps.supports_exit_nodes) {
    expect_kind(report, backend->apply_routes(std::vector{route("0.0.0.0/0", "nobody", api::RouteKind::kExitDefault)}),
                BackendErrorKind::kInvalidInput, "exit-default route via an unknown peer");
  }
  expect_unchanged(report, before, observe(*backend, report, "after rejections"), "rejected apply_routes");
}

void exit_mode_rules(const BackendContractFactory& factory, CheckReport& report) {
  const api::BackendCapabilities& caps = factory.expected_capabilities;
  ScopedBackend backend(factory);
  start_with_two_peers(factory, backend, report);
  expect_ok(report, backend->set_exit_mode(api::ExitMode::off()), "off while off");
  if (observe(*backend, report, "after off").exit_mode != api::ExitMode::off()) {
    report.fail("exit mode is not off at start of a lifecycle");
  }
  if (!caps.supports_exit_nodes) {
    return;  // capabilities_fail_closed covers via(...) on such a backend
  }
  const ObservedState before = observe(*backend, report, "before");
  expect_kind(report, backend->set_exit_mode(api::ExitMode::via(node("nobody"))), BackendErrorKind::kInvalidInput,
              "exit via an unknown peer");
  expect_unchanged(report, before, observe(*backend, report, "after rejected exit"), "rejected set_exit_mode");
  expect_ok(report, backend->set_exit_mode(api::ExitMode::via(node("peer-a"))), "exit via peer-a");
  expect_ok(report, backend->set_exit_mode(api::ExitMode::via(node("peer-a"))), "exit via peer-a again");
  if (observe(*backend, report, "after via").exit_mode != api::ExitMode::via(node("peer-a"))) {
    report.fail("exit mode via peer-a not reported by stats");
  }
  expect_ok(report, backend->set_exit_mode(api::ExitMode::via(node("peer-b"))), "switch exit to peer-b");
  expect_ok(report, backend->remove_peer(node("peer-a")), "the previous exit node is no longer referenced");
  expect_ok(report, backend->apply_routes(std::vector{route("0.0.0.0/0", "peer-b", api::RouteKind::kExitDefault)}),
            "exit-default route");
  expect_ok(report, backend->set_exit_mode(api::ExitMode::off()), "exit off");
  const ObservedState after = observe(*backend, report, "after off");
  if (after.exit_mode != api::ExitMode::off() || after.routes.size() != 1) {
    report.fail(std::string("exit mode and routes are independent state: ") + to_text(after));
  }
}

}  // namespace rustynet::backend_contract::checks
