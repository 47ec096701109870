// SPDX-License-Identifier: Apache-2.0
// TunnelRuntime: diff application (only changed peers touched), ordering, rollback on failure.
#include "tunnel_runtime.hpp"

#include <gtest/gtest.h>

#include "daemon_fixture.hpp"
#include "rustynet/backend_api/reference_packet_filter.hpp"

namespace rustynet::apps::daemon {
namespace {

using testing::ScriptedBackend;
using testing::TestPeer;

DesiredState desired(const std::vector<TestPeer>& peers, const std::string& self_address = "100.64.0.1") {
  return desired_state_from(testing::make_state("n1", self_address, peers, testing::kAllowAllPolicy), 25).value();
}

TunnelIdentity identity() {
  base::SecretBytes key(32);
  std::fill(key.mutable_view().begin(), key.mutable_view().end(), std::uint8_t{7});
  return TunnelIdentity{backend_api::NodeId::parse("n1").value(), "rn0", 51820, 1420, std::move(key)};
}

struct RuntimeTest : ::testing::Test {
  RuntimeTest() {
    auto owned = std::make_unique<ScriptedBackend>();
    backend = owned.get();
    runtime = std::make_unique<TunnelRuntime>(std::move(owned), std::make_unique<backend_api::ReferencePacketFilter>(),
                                              identity());
  }
  [[nodiscard]] backend_api::TunnelStats stats() { return runtime->stats().value(); }

  ScriptedBackend* backend = nullptr;
  std::unique_ptr<TunnelRuntime> runtime;
};

const std::vector<TestPeer> kThree{{"n2", "100.64.0.2", 2, "192.0.2.2:51820"},
                                   {"n3", "100.64.0.3", 3, "192.0.2.3:51820"},
                                   {"n4", "100.64.0.4", 4, std::nullopt}};

TEST(DesiredStateTest, TranslatesPeersRoutesAndKeepalive) {
  const auto state = desired(kThree);
  ASSERT_EQ(state.addresses.size(), 1U);
  EXPECT_EQ(state.addresses[0].to_string(), "100.64.0.1/32");
  ASSERT_EQ(state.peers.size(), 3U);
  const auto& n2 = state.peers.at(backend_api::NodeId::parse("n2").value());
  ASSERT_TRUE(n2.endpoint.has_value());
  EXPECT_EQ(n2.endpoint->to_string(), "192.0.2.2:51820");
  EXPECT_EQ(n2.persistent_keepalive_seconds, std::optional<std::uint16_t>(25));
  ASSERT_EQ(state.routes.size(), 3U);
  EXPECT_EQ(state.routes[0].kind, backend_api::RouteKind::kMesh);
  EXPECT_FALSE(state.peers.at(backend_api::NodeId::parse("n4").value()).endpoint.has_value());
}

TEST_F(RuntimeTest, FirstApplyStartsAndProgramsEverything) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  EXPECT_EQ(runtime->phase(), RuntimePhase::kRunning);
  EXPECT_EQ(backend->starts, 1);
  const auto s = stats();
  EXPECT_EQ(s.peers.size(), 3U);
  EXPECT_EQ(s.routes.size(), 3U);
  EXPECT_EQ(s.peers[0].persistent_keepalive_seconds, std::optional<std::uint16_t>(25));
}

TEST_F(RuntimeTest, DiffTouchesOnlyChangedPeers) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  backend->reset_counts();
  auto next = kThree;
  next[0].endpoint = "198.51.100.7:4000";  // n2 roams
  next.pop_back();                         // n4 removed
  next.push_back({"n5", "100.64.0.5", 5, std::nullopt});
  ASSERT_TRUE(runtime->apply(desired(next)).has_value());
  EXPECT_EQ(backend->configured, (std::map<std::string, int>{{"n2", 1}, {"n5", 1}}));
  EXPECT_EQ(backend->removed, (std::map<std::string, int>{{"n4", 1}}));
  EXPECT_EQ(backend->configured.count("n3"), 0U);
  EXPECT_EQ(backend->starts, 1);
  const auto s = stats();
  ASSERT_EQ(s.peers.size(), 3U);
  EXPECT_EQ(s.peers[0].endpoint->to_string(), "198.51.100.7:4000");
  EXPECT_EQ(s.routes.size(), 3U);
  EXPECT_TRUE(runtime->current() == desired(next));
}

TEST_F(RuntimeTest, IdenticalStateMakesNoBackendCalls) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  const int before = backend->calls;
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  EXPECT_EQ(backend->calls, before);
}

TEST_F(RuntimeTest, FailureRollsBackToLastGoodState) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  const auto good = stats();
  auto next = kThree;
  next.erase(next.begin());                               // remove n2 (route withdraw + remove)
  next.push_back({"n6", "100.64.0.6", 6, std::nullopt});  // add n6 (configure)
  // Calls of the new apply: 1 withdraw routes, 2 remove n2, 3 configure n6, 4 apply routes.
  for (int failing = 1; failing <= 4; ++failing) {
    backend->calls = 0;
    backend->fail_at = failing;
    const auto result = runtime->apply(desired(next));
    ASSERT_FALSE(result.has_value()) << "failing call " << failing;
    EXPECT_EQ(result.error().kind, DaemonErrorKind::kApply);
    EXPECT_NE(result.error().message.find("rolled back"), std::string::npos) << result.error().message;
    backend->fail_at.reset();
    const auto after = stats();
    EXPECT_EQ(after.peers, good.peers) << "failing call " << failing;
    EXPECT_EQ(after.routes, good.routes) << "failing call " << failing;
    EXPECT_TRUE(runtime->current() == desired(kThree));
  }
  EXPECT_EQ(runtime->rollbacks(), 4U);
  ASSERT_TRUE(runtime->apply(desired(next)).has_value());
  EXPECT_EQ(stats().peers.size(), 3U);
}

TEST_F(RuntimeTest, AddressChangeRestartsTheBackend) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  ASSERT_TRUE(runtime->apply(desired(kThree, "100.64.0.99")).has_value());
  EXPECT_EQ(backend->starts, 2);
  EXPECT_EQ(backend->shutdowns, 1);
  EXPECT_EQ(stats().peers.size(), 3U);
  EXPECT_EQ(runtime->current().addresses[0].to_string(), "100.64.0.99/32");
}

TEST_F(RuntimeTest, FailedFirstStartLeavesNothingRunning) {
  backend->fail_at = 1;
  const auto result = runtime->apply(desired(kThree));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, DaemonErrorKind::kBackend);
  EXPECT_EQ(runtime->phase(), RuntimePhase::kStopped);
}

TEST_F(RuntimeTest, ShutdownClearsEverythingAndIsIdempotent) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  ASSERT_TRUE(runtime->shutdown().has_value());
  EXPECT_EQ(runtime->phase(), RuntimePhase::kStopped);
  EXPECT_FALSE(runtime->stats().has_value());
  ASSERT_TRUE(runtime->shutdown().has_value());
  EXPECT_EQ(backend->shutdowns, 1);
}

TEST_F(RuntimeTest, ExitModeOnlyWhileRunningAndClearedWhenExitPeerGoes) {
  EXPECT_FALSE(runtime->set_exit_mode(backend_api::ExitMode::off()).has_value());
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  ASSERT_TRUE(runtime->set_exit_mode(backend_api::ExitMode::via(backend_api::NodeId::parse("n3").value())).has_value());
  auto next = kThree;
  next.erase(next.begin() + 1);  // n3 goes
  ASSERT_TRUE(runtime->apply(desired(next)).has_value());
  EXPECT_TRUE(stats().exit_mode.is_off());
}

// Fresh-peer watch (docs/daemon.md "Crossed handshakes and re-initiation"): times are explicit.
const SteadyTime kT0{std::chrono::seconds(1000)};
constexpr auto kMs = [](int ms) { return kT0 + std::chrono::milliseconds(ms); };
backend_api::NodeId id(const char* text) { return backend_api::NodeId::parse(text).value(); }

TEST_F(RuntimeTest, SilentFreshPeerIsRecreatedOnceWithItsRoutesRestored) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  // n1 is the smaller id of every pair: n2 and n3 (with endpoints) are watched, n4 (none) is not.
  EXPECT_TRUE(runtime->awaiting_handshakes());
  runtime->stamp_fresh_peers(kT0);
  backend->handshaken = {"n3"};
  EXPECT_TRUE(runtime->watch_fresh_peers(kMs(500)).value().empty());  // within the grace
  const auto before = stats();
  backend->reset_counts();
  const auto actions = runtime->watch_fresh_peers(kMs(1000));
  ASSERT_TRUE(actions.has_value()) << actions.error().describe();
  EXPECT_EQ(actions->reinitiated, std::vector<backend_api::NodeId>{id("n2")});
  EXPECT_TRUE(actions->reinitiated_one_way.empty());
  EXPECT_EQ(backend->removed, (std::map<std::string, int>{{"n2", 1}}));
  EXPECT_EQ(backend->configured, (std::map<std::string, int>{{"n2", 1}}));
  EXPECT_EQ(backend->route_calls, 2);  // withdraw the route via n2, restore it
  const auto after = stats();
  EXPECT_EQ(after.peers, before.peers);
  EXPECT_EQ(after.routes, before.routes);
  // One no-handshake attempt per configuration: still silent later, it is not re-created again,
  // and after the watch limit nothing is watched any more.
  backend->reset_counts();
  EXPECT_TRUE(runtime->watch_fresh_peers(kMs(3000)).value().reinitiated.empty());
  EXPECT_TRUE(backend->removed.empty());
  EXPECT_TRUE(runtime->watch_fresh_peers(kMs(12000)).value().empty());
  EXPECT_FALSE(runtime->awaiting_handshakes());
}

TEST_F(RuntimeTest, OnlyNewPeersOrNewKeysAreAwaited) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  runtime->stamp_fresh_peers(kT0);
  backend->handshaken = {"n2", "n3"};
  backend->traffic = {{"n2", {100, 100}}, {"n3", {100, 100}}};
  ASSERT_TRUE(runtime->watch_fresh_peers(kMs(250)).has_value());  // counters at the handshake
  backend->traffic = {{"n2", {200, 200}}, {"n3", {200, 200}}};
  ASSERT_TRUE(runtime->watch_fresh_peers(kMs(500)).has_value());  // both receive: healthy
  EXPECT_FALSE(runtime->awaiting_handshakes());
  auto next = kThree;
  next[0].endpoint = "198.51.100.7:4000";  // n2 roams: same key, its session carries on
  ASSERT_TRUE(runtime->apply(desired(next)).has_value());
  EXPECT_FALSE(runtime->awaiting_handshakes());
  next[1].key_byte = 33;  // n3 re-keyed: a new session is needed
  ASSERT_TRUE(runtime->apply(desired(next)).has_value());
  EXPECT_TRUE(runtime->awaiting_handshakes());
  next.erase(next.begin() + 1);  // n3 goes before its deadline: nothing left to watch
  ASSERT_TRUE(runtime->apply(desired(next)).has_value());
  EXPECT_FALSE(runtime->awaiting_handshakes());
}

// The stall of docs/performance.md: a handshake is recorded, this side keeps sending, nothing it
// accepts comes back (the other side sends on a keypair this side dropped).
TEST_F(RuntimeTest, OneWayFreshPeerIsRecreatedOnce) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  runtime->stamp_fresh_peers(kT0);
  backend->handshaken = {"n2", "n3"};
  backend->traffic = {{"n2", {240, 148}}, {"n3", {240, 148}}};
  ASSERT_TRUE(runtime->watch_fresh_peers(kMs(250)).value().empty());
  backend->traffic = {{"n2", {240, 5000}}, {"n3", {240, 148}}};        // n2: tx grows, rx flat; n3 idle
  EXPECT_TRUE(runtime->watch_fresh_peers(kMs(2000)).value().empty());  // not 2 s yet
  backend->reset_counts();
  const auto actions = runtime->watch_fresh_peers(kMs(2250));
  ASSERT_TRUE(actions.has_value()) << actions.error().describe();
  EXPECT_EQ(actions->reinitiated_one_way, std::vector<backend_api::NodeId>{id("n2")});
  EXPECT_TRUE(actions->reinitiated.empty());
  EXPECT_EQ(backend->removed, (std::map<std::string, int>{{"n2", 1}}));
  EXPECT_EQ(backend->configured, (std::map<std::string, int>{{"n2", 1}}));
  // n3 (no traffic either way) stays watched until the limit, never re-created.
  EXPECT_TRUE(runtime->awaiting_handshakes());
  backend->reset_counts();
  EXPECT_TRUE(runtime->watch_fresh_peers(kMs(10000)).value().empty());
  EXPECT_TRUE(backend->removed.empty());
  EXPECT_FALSE(runtime->awaiting_handshakes());
}

TEST(RuntimeTieBreakTest, TheLargerNodeIdLeavesReinitiationToThePeer) {
  base::SecretBytes key(32);
  std::fill(key.mutable_view().begin(), key.mutable_view().end(), std::uint8_t{7});
  auto owned = std::make_unique<ScriptedBackend>();
  TunnelRuntime runtime(std::move(owned), std::make_unique<backend_api::ReferencePacketFilter>(),
                        TunnelIdentity{backend_api::NodeId::parse("n9").value(), "rn0", 51820, 1420, std::move(key)});
  ASSERT_TRUE(
      runtime
          .apply(
              desired_state_from(testing::make_state("n9", "100.64.0.9", kThree, testing::kAllowAllPolicy), 25).value())
          .has_value());
  // At start nothing is deferred either: the peers have this node already, nothing crosses.
  EXPECT_FALSE(runtime.awaiting_handshakes());
  EXPECT_TRUE(runtime.keepalive_deferred().empty());
}

// The larger node id of a pair added to a running tunnel configures it without keepalive (so it
// does not initiate at the same moment as the other side), and switches the configured keepalive
// on in place once a handshake is seen. current() keeps the configured value throughout.
struct LargerIdRuntimeTest : ::testing::Test {
  LargerIdRuntimeTest() {
    base::SecretBytes key(32);
    std::fill(key.mutable_view().begin(), key.mutable_view().end(), std::uint8_t{7});
    auto owned = std::make_unique<ScriptedBackend>();
    backend = owned.get();
    runtime = std::make_unique<TunnelRuntime>(std::move(owned), std::make_unique<backend_api::ReferencePacketFilter>(),
                                              TunnelIdentity{id("n9"), "rn0", 51820, 1420, std::move(key)});
  }
  DesiredState state(const std::vector<TestPeer>& peers) {
    return desired_state_from(testing::make_state("n9", "100.64.0.9", peers, testing::kAllowAllPolicy), 25).value();
  }
  std::optional<std::uint16_t> keepalive_on_backend(const char* peer) {
    const auto stats = runtime->stats().value();
    for (const auto& seen : stats.peers) {
      if (seen.node_id == id(peer)) {
        return seen.persistent_keepalive_seconds;
      }
    }
    ADD_FAILURE() << peer << " not on the backend";
    return std::nullopt;
  }
  ScriptedBackend* backend = nullptr;
  std::unique_ptr<TunnelRuntime> runtime;
};

TEST_F(LargerIdRuntimeTest, PeerAddedWhileRunningGetsKeepaliveOnlyAfterTheHandshake) {
  ASSERT_TRUE(runtime->apply(state({kThree[1]})).has_value());  // n3 at start: keepalive at once
  EXPECT_EQ(keepalive_on_backend("n3"), std::optional<std::uint16_t>(25));
  ASSERT_TRUE(runtime->apply(state({kThree[0], kThree[1], kThree[2]})).has_value());  // + n2, n4
  // n2 (endpoint) deferred; n4 has no endpoint (could not initiate anyway): configured as is.
  EXPECT_EQ(runtime->keepalive_deferred(), std::vector<backend_api::NodeId>{id("n2")});
  EXPECT_EQ(keepalive_on_backend("n2"), std::nullopt);
  EXPECT_EQ(keepalive_on_backend("n4"), std::optional<std::uint16_t>(25));
  EXPECT_EQ(runtime->current().peers.at(id("n2")).persistent_keepalive_seconds, std::optional<std::uint16_t>(25));
  runtime->stamp_fresh_peers(kT0);
  EXPECT_TRUE(runtime->watch_fresh_peers(kMs(250)).value().empty());
  backend->handshaken = {"n2"};
  backend->reset_counts();
  const auto actions = runtime->watch_fresh_peers(kMs(500));
  ASSERT_TRUE(actions.has_value()) << actions.error().describe();
  EXPECT_EQ(actions->keepalive_on, std::vector<backend_api::NodeId>{id("n2")});
  EXPECT_EQ(keepalive_on_backend("n2"), std::optional<std::uint16_t>(25));
  EXPECT_EQ(backend->configured, (std::map<std::string, int>{{"n2", 1}}));  // in place
  EXPECT_TRUE(backend->removed.empty());
  EXPECT_FALSE(runtime->awaiting_handshakes());
}

TEST_F(LargerIdRuntimeTest, DeferredKeepaliveIsSwitchedOnAtTheLimitWithoutAHandshake) {
  ASSERT_TRUE(runtime->apply(state({kThree[1]})).has_value());
  ASSERT_TRUE(runtime->apply(state({kThree[0], kThree[1]})).has_value());
  runtime->stamp_fresh_peers(kT0);
  EXPECT_TRUE(runtime->watch_fresh_peers(kMs(2750)).value().empty());
  const auto actions = runtime->watch_fresh_peers(kMs(3000));
  ASSERT_TRUE(actions.has_value());
  EXPECT_EQ(actions->keepalive_on, std::vector<backend_api::NodeId>{id("n2")});
  EXPECT_EQ(keepalive_on_backend("n2"), std::optional<std::uint16_t>(25));
  EXPECT_TRUE(actions->reinitiated.empty());  // the larger id never re-creates
}

TEST_F(LargerIdRuntimeTest, RollbackKeepsTheDeferredKeepaliveOff) {
  ASSERT_TRUE(runtime->apply(state({kThree[1]})).has_value());
  ASSERT_TRUE(runtime->apply(state({kThree[0], kThree[1]})).has_value());
  const auto good = runtime->stats().value();
  backend->calls = 0;
  backend->fail_at = 1;  // configuring the re-keyed n3 fails: rolled back
  auto next = std::vector<TestPeer>{kThree[0], kThree[1]};
  next[1].key_byte = 44;  // n3 re-keyed: remove + configure
  const auto failed = runtime->apply(state(next));
  ASSERT_FALSE(failed.has_value());
  backend->fail_at.reset();
  EXPECT_EQ(runtime->stats().value().peers, good.peers);  // n2 still without keepalive
  EXPECT_EQ(keepalive_on_backend("n2"), std::nullopt);
  EXPECT_EQ(runtime->keepalive_deferred(), std::vector<backend_api::NodeId>{id("n2")});
}

TEST_F(RuntimeTest, FailedReinitiationRollsBack) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  runtime->stamp_fresh_peers(kT0);
  const auto good = stats();
  backend->calls = 0;
  backend->fail_at = 2;  // 1 withdraw routes, 2 remove n2
  const auto result = runtime->watch_fresh_peers(kMs(1000));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, DaemonErrorKind::kApply);
  EXPECT_NE(result.error().message.find("re-create peer n2"), std::string::npos) << result.error().message;
  backend->fail_at.reset();
  const auto after = stats();
  EXPECT_EQ(after.peers, good.peers);
  EXPECT_EQ(after.routes, good.routes);
}

// After an underlay move every peer's keepalive is switched and switched back (two batched
// configure calls): the data plane sends to each peer from the new address; nothing else changes.
TEST_F(RuntimeTest, AnnouncingAnUnderlayChangeTogglesKeepaliveAndLeavesTheStateAsItWas) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  const auto before = stats();
  backend->reset_counts();
  const auto announced = runtime->announce_underlay_change();
  ASSERT_TRUE(announced.has_value()) << announced.error().describe();
  EXPECT_EQ(*announced, 3U);
  EXPECT_EQ(backend->configured, (std::map<std::string, int>{{"n2", 2}, {"n3", 2}, {"n4", 2}}));
  EXPECT_TRUE(backend->removed.empty());
  EXPECT_EQ(backend->route_calls, 0);
  EXPECT_EQ(stats().peers, before.peers);
}

TEST_F(LargerIdRuntimeTest, AnnouncingSkipsPeersWhoseKeepaliveIsDeferred) {
  ASSERT_TRUE(runtime->apply(state({kThree[1]})).has_value());
  ASSERT_TRUE(runtime->apply(state({kThree[0], kThree[1]})).has_value());
  backend->reset_counts();
  EXPECT_EQ(runtime->announce_underlay_change().value(), 1U);
  EXPECT_EQ(backend->configured, (std::map<std::string, int>{{"n3", 2}}));
  EXPECT_EQ(keepalive_on_backend("n2"), std::nullopt);
}

TEST_F(RuntimeTest, FailedAnnouncementRollsBack) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  const auto good = stats();
  backend->calls = 0;
  backend->fail_at = 5;  // 3 switched, then the second restore fails
  const auto announced = runtime->announce_underlay_change();
  ASSERT_FALSE(announced.has_value());
  EXPECT_EQ(announced.error().kind, DaemonErrorKind::kApply);
  backend->fail_at.reset();
  EXPECT_EQ(stats().peers, good.peers);
}

}  // namespace
}  // namespace rustynet::apps::daemon
