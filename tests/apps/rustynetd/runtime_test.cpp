// SPDX-License-Identifier: Apache-2.0
// TunnelRuntime: diff application (only changed peers touched), ordering, rollback on failure.
#include "tunnel_runtime.hpp"

#include <gtest/gtest.h>

#include "daemon_fixture.hpp"

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
    runtime = std::make_unique<TunnelRuntime>(std::move(owned), identity());
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

TEST_F(RuntimeTest, SilentFreshPeerIsRecreatedOnceWithItsRoutesRestored) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  // n1 is the smaller id of every pair: n2 and n3 (with endpoints) are awaited, n4 (none) is not.
  EXPECT_TRUE(runtime->awaiting_handshakes());
  backend->handshaken = {"n3"};
  const auto before = stats();
  backend->reset_counts();
  const auto recreated = runtime->reinitiate_silent_peers();
  ASSERT_TRUE(recreated.has_value()) << recreated.error().describe();
  EXPECT_EQ(*recreated, std::vector<backend_api::NodeId>{backend_api::NodeId::parse("n2").value()});
  EXPECT_EQ(backend->removed, (std::map<std::string, int>{{"n2", 1}}));
  EXPECT_EQ(backend->configured, (std::map<std::string, int>{{"n2", 1}}));
  EXPECT_EQ(backend->route_calls, 2);  // withdraw the route via n2, restore it
  const auto after = stats();
  EXPECT_EQ(after.peers, before.peers);
  EXPECT_EQ(after.routes, before.routes);
  // One attempt per configuration: nothing is awaited any more.
  EXPECT_FALSE(runtime->awaiting_handshakes());
  const int calls = backend->calls;
  EXPECT_TRUE(runtime->reinitiate_silent_peers().value().empty());
  EXPECT_EQ(backend->calls, calls);
}

TEST_F(RuntimeTest, OnlyNewPeersOrNewKeysAreAwaited) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  ASSERT_TRUE(runtime->reinitiate_silent_peers().has_value());
  auto next = kThree;
  next[0].endpoint = "198.51.100.7:4000";  // n2 roams: same key, its session carries on
  ASSERT_TRUE(runtime->apply(desired(next)).has_value());
  EXPECT_FALSE(runtime->awaiting_handshakes());
  next[1].key_byte = 33;  // n3 re-keyed: a new session is needed
  ASSERT_TRUE(runtime->apply(desired(next)).has_value());
  EXPECT_TRUE(runtime->awaiting_handshakes());
  next.erase(next.begin() + 1);  // n3 goes before its deadline: nothing left to re-initiate
  ASSERT_TRUE(runtime->apply(desired(next)).has_value());
  EXPECT_FALSE(runtime->awaiting_handshakes());
}

TEST(RuntimeTieBreakTest, TheLargerNodeIdLeavesReinitiationToThePeer) {
  base::SecretBytes key(32);
  std::fill(key.mutable_view().begin(), key.mutable_view().end(), std::uint8_t{7});
  auto owned = std::make_unique<ScriptedBackend>();
  TunnelRuntime runtime(std::move(owned),
                        TunnelIdentity{backend_api::NodeId::parse("n9").value(), "rn0", 51820, 1420, std::move(key)});
  ASSERT_TRUE(
      runtime
          .apply(
              desired_state_from(testing::make_state("n9", "100.64.0.9", kThree, testing::kAllowAllPolicy), 25).value())
          .has_value());
  EXPECT_FALSE(runtime.awaiting_handshakes());
}

TEST_F(RuntimeTest, FailedReinitiationRollsBack) {
  ASSERT_TRUE(runtime->apply(desired(kThree)).has_value());
  const auto good = stats();
  backend->calls = 0;
  backend->fail_at = 2;  // 1 withdraw routes, 2 remove n2
  const auto result = runtime->reinitiate_silent_peers();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, DaemonErrorKind::kApply);
  EXPECT_NE(result.error().message.find("re-create peer n2"), std::string::npos) << result.error().message;
  backend->fail_at.reset();
  const auto after = stats();
  EXPECT_EQ(after.peers, good.peers);
  EXPECT_EQ(after.routes, good.routes);
}

}  // namespace
}  // namespace rustynet::apps::daemon
