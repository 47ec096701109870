// SPDX-License-Identifier: Apache-2.0
// Contract checks: invariant 4 (canonical identifiers) and configure_peer / remove_peer semantics.
#include <string>

#include "contract_checks.hpp"
#include "contract_support.hpp"

namespace rustynet::backend_contract::checks {

using namespace detail;  // NOLINT(google-build-using-namespace): check bodies read better unqualified
using api::BackendErrorKind;

void canonical_identifiers(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  expect_ok(report, backend->start(next_context(factory)), "start");
  api::PeerConfig peer = simple_peer(factory, "Peer-A", 1);
  if (peer.node_id.value() != "peer-a") {
    report.fail("NodeId::parse(\"Peer-A\") is not canonicalised to \"peer-a\"");
  }
  // Unordered, duplicated allowed prefixes are stored canonically.
  peer.allowed_prefixes = {prefix("10.77.9.0/24"), prefix("10.77.1.1/32"), prefix("10.77.9.0/24")};
  expect_ok(report, backend->configure_peer(peer), "configure Peer-A");
  const ObservedState state = observe(*backend, report, "after configure");
  if (state.peers.size() != 1 || state.peers[0].node_id.value() != "peer-a" ||
      state.peers[0].allowed_prefixes != std::vector<api::IpPrefix>{prefix("10.77.1.1/32"), prefix("10.77.9.0/24")}) {
    report.fail(std::string("peer not reported in canonical form: ") + to_text(state));
  }
  // The same node in another spelling is the same node: an update, not a second peer.
  api::PeerConfig again = peer;
  again.node_id = node("PEER-a");
  expect_ok(report, backend->configure_peer(again), "configure PEER-a");
  if (observe(*backend, report, "after respelling").peers.size() != 1) {
    report.fail("\"PEER-a\" and \"Peer-A\" became two peers");
  }
  expect_ok(report, backend->remove_peer(node("peer-A")), "remove peer-A");
  if (!observe(*backend, report, "after remove").peers.empty()) {
    report.fail("remove_peer with another spelling of the node id did not remove it");
  }
}

void configure_peer_upserts(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  expect_ok(report, backend->start(next_context(factory)), "start");
  api::PeerConfig peer = simple_peer(factory, "peer-a", 1);
  expect_ok(report, backend->configure_peer(peer), "add");
  // Same endpoint (no roaming needed); everything else replaced.
  peer.allowed_prefixes = {prefix("10.77.200.0/24")};
  peer.persistent_keepalive_seconds = 25;
  expect_ok(report, backend->configure_peer(peer), "update prefixes and keepalive");
  ObservedState state = observe(*backend, report, "after update");
  const ObservedPeer expected{peer.node_id, peer.public_key, peer.endpoint, peer.allowed_prefixes,
                              peer.persistent_keepalive_seconds};
  if (state.peers.size() != 1 || !(state.peers[0] == expected)) {
    report.fail(std::string("configure_peer on an existing node is not a full replacement: ") + to_text(state));
  }
  // The prefix the update dropped is free for another node; the key change frees the old key.
  api::PeerConfig other = simple_peer(factory, "peer-b", 2);
  other.allowed_prefixes = simple_peer(factory, "x", 1).allowed_prefixes;
  expect_ok(report, backend->configure_peer(other), "another node takes the released prefix");
  const api::PeerPublicKey old_key = peer.public_key;
  peer.public_key = peer_key(factory, 3);
  expect_ok(report, backend->configure_peer(peer), "rekey peer-a");
  api::PeerConfig third = simple_peer(factory, "peer-c", 1);
  third.allowed_prefixes.clear();
  expect_ok(report, backend->configure_peer(third), "another node takes the released key");
  state = observe(*backend, report, "after rekey");
  if (state.peers.size() != 3 || state.peers[0].public_key != peer.public_key || state.peers[2].public_key != old_key) {
    report.fail(std::string("rekey not reflected in stats: ") + to_text(state));
  }
  // Identical reconfiguration is idempotent.
  const ObservedState before = observe(*backend, report, "before idempotent update");
  expect_ok(report, backend->configure_peer(peer), "identical configure_peer");
  expect_unchanged(report, before, observe(*backend, report, "after idempotent update"), "identical configure_peer");
}

void configure_peer_rejections(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  api::RuntimeContext context = next_context(factory);
  const api::NodeId local = context.local_node;
  expect_ok(report, backend->start(context), "start");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-a", 1)), "configure peer-a");
  const ObservedState before = observe(*backend, report, "before");

  api::PeerConfig zero_key = simple_peer(factory, "peer-z", 5);
  zero_key.public_key = api::PeerPublicKey{};
  expect_kind(report, backend->configure_peer(zero_key), BackendErrorKind::kInvalidInput, "all-zero key");

  api::PeerConfig zero_keepalive = simple_peer(factory, "peer-z", 5);
  zero_keepalive.persistent_keepalive_seconds = 0;
  expect_kind(report, backend->configure_peer(zero_keepalive), BackendErrorKind::kInvalidInput, "keepalive 0");

  api::PeerConfig self = simple_peer(factory, "peer-z", 5);
  self.node_id = local;
  expect_kind(report, backend->configure_peer(self), BackendErrorKind::kInvalidInput, "the local node as a peer");

  api::PeerConfig key_clash = simple_peer(factory, "peer-z", 1);
  key_clash.allowed_prefixes = {prefix("10.77.100.0/24")};
  expect_kind(report, backend->configure_peer(key_clash), BackendErrorKind::kInvalidInput,
              "a public key another node uses");

  api::PeerConfig prefix_clash = simple_peer(factory, "peer-z", 5);
  prefix_clash.allowed_prefixes.push_back(simple_peer(factory, "x", 1).allowed_prefixes.front());
  expect_kind(report, backend->configure_peer(prefix_clash), BackendErrorKind::kInvalidInput,
              "an allowed prefix another node owns");

  expect_unchanged(report, before, observe(*backend, report, "after rejections"), "rejected configure_peer");
}

void remove_peer_rules(const BackendContractFactory& factory, CheckReport& report) {
  const api::BackendCapabilities& caps = factory.expected_capabilities;
  ScopedBackend backend(factory);
  expect_ok(report, backend->start(next_context(factory)), "start");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-a", 1)), "configure peer-a");
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-b", 2)), "configure peer-b");
  expect_ok(report, backend->apply_routes(std::vector{route("10.78.0.0/16", "peer-a")}), "route via peer-a");
  if (caps.supports_exit_nodes) {
    expect_ok(report, backend->set_exit_mode(api::ExitMode::via(node("peer-b"))), "exit via peer-b");
  }
  const ObservedState before = observe(*backend, report, "before");
  expect_kind(report, backend->remove_peer(node("peer-x")), BackendErrorKind::kInvalidInput, "remove unknown peer");
  expect_kind(report, backend->remove_peer(node("peer-a")), BackendErrorKind::kInvalidInput,
              "remove the next hop of a route");
  if (caps.supports_exit_nodes) {
    expect_kind(report, backend->remove_peer(node("peer-b")), BackendErrorKind::kInvalidInput,
                "remove the current exit node");
  }
  expect_unchanged(report, before, observe(*backend, report, "after rejected removals"), "rejected remove_peer");

  expect_ok(report, backend->apply_routes({}), "withdraw routes");
  expect_ok(report, backend->set_exit_mode(api::ExitMode::off()), "exit off");
  expect_ok(report, backend->remove_peer(node("peer-a")), "remove peer-a");
  expect_ok(report, backend->remove_peer(node("peer-b")), "remove peer-b");
  const ObservedState after = observe(*backend, report, "after removals");
  if (!after.peers.empty()) {
    report.fail(std::string("peers remain after removing all: ") + to_text(after));
  }
  expect_kind(report, backend->remove_peer(node("peer-a")), BackendErrorKind::kInvalidInput, "remove twice");
  // A removed peer's key and prefixes are free again.
  expect_ok(report, backend->configure_peer(simple_peer(factory, "peer-c", 1)), "reuse removed peer's key");
}

void many_peers(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  expect_ok(report, backend->start(next_context(factory)), "start");
  std::vector<api::PeerConfig> peers;
  for (std::size_t i = 0; i < factory.bulk_peers; ++i) {
    peers.push_back(simple_peer(factory, std::string("bulk-") + std::to_string(i), 100 + i));
  }
  expect_ok(report, backend->configure_peers(peers), "configure_peers(bulk)");
  std::vector<api::Route> routes;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    routes.push_back(
        api::Route{prefix(std::string("10.90.") + std::to_string(i / 256) + "." + std::to_string(i % 256) + "/32"),
                   peers[i].node_id, api::RouteKind::kMesh});
  }
  expect_ok(report, backend->apply_routes(routes), "apply_routes(bulk)");
  const ObservedState state = observe(*backend, report, "bulk");
  if (state.peers.size() != peers.size() || state.routes.size() != routes.size()) {
    report.fail(std::string("bulk: expected ") + std::to_string(peers.size()) + " peers and routes, stats shows " +
                std::to_string(state.peers.size()) + " peers and " + std::to_string(state.routes.size()) + " routes");
  }
  expect_ok(report, backend->shutdown(), "shutdown");
}

}  // namespace rustynet::backend_contract::checks
