// SPDX-License-Identifier: Apache-2.0
// StateApplier: signed state applied; stale, rolled-back, wrongly signed, expired, mismatched
// and wrong-subject states refused with the old state kept; restart from the last state file.
#include "state_applier.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "daemon_fixture.hpp"
#include "rustynet/backend_api/reference_packet_filter.hpp"
#include "rustynet/crypto/subkey.hpp"

namespace rustynet::apps::daemon {
namespace {

using testing::key_from;
using testing::kTestNow;
using testing::SignedPair;
using testing::TestPeer;

const std::vector<TestPeer> kPeersA{{"n2", "100.64.0.2", 2, "192.0.2.2:51820"}};
const std::vector<TestPeer> kPeersB{{"n2", "100.64.0.2", 2, "192.0.2.2:51820"},
                                    {"n3", "100.64.0.3", 3, "192.0.2.3:51820"}};

struct ApplierTest : ::testing::Test {
  ApplierTest() : clock(kTestNow), control(key_from(0x11)) { open(); }

  void open() {
    applier.reset();
    runtime.reset();
    trust.reset();
    auto mac = crypto::derive_trust_state_mac_key(key_from(0x21)).value();
    crypto::TrustStore::Options options{dir.file("trust.state"), true, {}};
    if (std::filesystem::exists(options.path)) {
      trust = std::make_unique<crypto::TrustStore>(crypto::TrustStore::open(options, std::move(mac)));
    } else {
      trust = std::make_unique<crypto::TrustStore>(
          crypto::TrustStore::initialize(options, std::move(mac), {control.public_key()}).value());
    }
    auto owned = std::make_unique<testing::ScriptedBackend>();
    backend = owned.get();
    base::SecretBytes key(32);
    std::fill(key.mutable_view().begin(), key.mutable_view().end(), std::uint8_t{7});
    runtime = std::make_unique<TunnelRuntime>(
        std::move(owned), std::make_unique<backend_api::ReferencePacketFilter>(),
        TunnelIdentity{backend_api::NodeId::parse("n1").value(), "rn0", 51820, 1420, std::move(key)});
    applier =
        std::make_unique<StateApplier>(StateApplier::Options{"n1", dir.file("last"), 25}, *trust, *runtime, clock);
  }

  SignedPair pair(std::uint64_t generation, const std::vector<TestPeer>& peers,
                  const testing::SignOptions& options = {}, const crypto::Ed25519SigningKey* signer = nullptr) {
    const auto state = testing::make_state("n1", "100.64.0.1", peers, testing::kAllowAllPolicy);
    return testing::sign_pair(signer != nullptr ? *signer : control, generation, state, testing::kAllowAllPolicy,
                              options);
  }

  DaemonResult<bool> accept(const SignedPair& p) { return applier->accept(p.node_state, p.policy); }

  std::size_t peer_count() { return runtime->stats().value().peers.size(); }

  void expect_refused(const SignedPair& p, const std::string& reason) {
    const auto result = accept(p);
    ASSERT_FALSE(result.has_value()) << reason;
    EXPECT_EQ(result.error().kind, DaemonErrorKind::kRejected) << result.error().describe();
    EXPECT_NE(result.error().message.find(reason), std::string::npos) << result.error().describe();
    EXPECT_EQ(applier->applied_generation(), 5U);
    EXPECT_EQ(peer_count(), 1U);  // the old state stays in effect
  }

  testing::TempDir dir;
  testing::ManualClock clock;
  crypto::Ed25519SigningKey control;
  std::unique_ptr<crypto::TrustStore> trust;
  testing::ScriptedBackend* backend = nullptr;
  std::unique_ptr<TunnelRuntime> runtime;
  std::unique_ptr<StateApplier> applier;
};

TEST_F(ApplierTest, AppliesASignedStateAndRecordsNetmap) {
  const auto result = accept(pair(5, kPeersA));
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_TRUE(*result);
  EXPECT_EQ(applier->applied_generation(), 5U);
  EXPECT_EQ(peer_count(), 1U);
  ASSERT_TRUE(applier->netmap().has_value());
  EXPECT_EQ(applier->netmap()->signer_key_id, control.key_id());
  EXPECT_EQ(applier->netmap()->peers, std::vector<std::string>{"n2"});
  EXPECT_EQ(applier->netmap()->expires_at, kTestNow + 86400);
  // The policy snapshot is compiled for policy_check.
  policy::AccessRequest request{"n1", std::nullopt, "n2", std::nullopt, policy::IpProtocol::kTcp, 22};
  EXPECT_TRUE(applier->policy().evaluate(request).allowed());
  // And the trust state recorded the generation.
  EXPECT_EQ(trust->state().find_accepted(crypto::ArtifactType::kNodeState, "n1")->generation, 5U);
}

TEST_F(ApplierTest, NewerStateAppliesTheDiff) {
  ASSERT_TRUE(accept(pair(5, kPeersA)).has_value());
  backend->reset_counts();
  ASSERT_TRUE(accept(pair(6, kPeersB)).has_value());
  EXPECT_EQ(peer_count(), 2U);
  EXPECT_EQ(backend->configured, (std::map<std::string, int>{{"n3", 1}}));
}

TEST_F(ApplierTest, SameGenerationAgainIsIdempotent) {
  const auto p = pair(5, kPeersA);
  ASSERT_TRUE(accept(p).has_value());
  const int calls = backend->calls;
  const auto again = accept(p);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
  EXPECT_EQ(backend->calls, calls);
}

TEST_F(ApplierTest, RefusesRollbackStaleSignerExpiryDigestAndSubject) {
  ASSERT_TRUE(accept(pair(5, kPeersA)).has_value());
  expect_refused(pair(4, kPeersB), "rollback");
  expect_refused(pair(5, kPeersB), "generation_conflict");
  const auto stranger = key_from(0x66);
  expect_refused(pair(6, kPeersB, {}, &stranger), "unknown_signer");
  testing::SignOptions expired;
  expired.issued_at = kTestNow - 10 * 86400;
  expired.expires_at = kTestNow - 86400;
  expect_refused(pair(6, kPeersB, expired), "expired");
  testing::SignOptions other;
  other.subject = "n9";
  expect_refused(pair(6, kPeersB, other), "wrong_subject");

  // A tampered envelope: flip one payload byte.
  auto tampered = pair(6, kPeersB);
  tampered.node_state[tampered.node_state.size() / 2] ^= 0x01U;
  const auto result = accept(tampered);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, DaemonErrorKind::kRejected);
  EXPECT_EQ(peer_count(), 1U);

  // Validly signed, but the policy is not the one the state names.
  auto mismatched = pair(6, kPeersB);
  const auto other_policy =
      crypto::sign_envelope(control, {crypto::ArtifactType::kPolicySnapshot, "", kTestNow, kTestNow + 86400, 6},
                            testing::bytes_of(R"({"version": 1, "rules": []})"));
  mismatched.policy = other_policy.value();
  expect_refused(mismatched, "policy_digest");

  // None of the refusals consumed a generation: 6 still applies.
  ASSERT_TRUE(accept(pair(6, kPeersB)).has_value());
  EXPECT_EQ(peer_count(), 2U);
}

TEST_F(ApplierTest, ApplyFailureRollsBackButKeepsTheCommittedGeneration) {
  ASSERT_TRUE(accept(pair(5, kPeersA)).has_value());
  backend->calls = 0;
  backend->fail_at = 1;
  const auto result = accept(pair(6, kPeersB));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, DaemonErrorKind::kApply);
  EXPECT_EQ(applier->applied_generation(), 5U);
  EXPECT_EQ(peer_count(), 1U);
  // Committed before apply: an older state can never come back, and the same one re-applies.
  backend->fail_at.reset();
  const auto retry = accept(pair(6, kPeersB));
  ASSERT_TRUE(retry.has_value()) << retry.error().describe();
  EXPECT_EQ(peer_count(), 2U);
}

TEST_F(ApplierTest, RestartRestoresTheLastVerifiedState) {
  ASSERT_TRUE(accept(pair(7, kPeersB)).has_value());
  open();  // a new process: new trust store object, new backend, same files
  EXPECT_EQ(runtime->phase(), RuntimePhase::kStopped);
  const auto restored = applier->restore_last_state();
  ASSERT_TRUE(restored.has_value()) << restored.error().describe();
  EXPECT_TRUE(*restored);
  EXPECT_EQ(applier->applied_generation(), 7U);
  EXPECT_EQ(peer_count(), 2U);
}

TEST_F(ApplierTest, ExpiredLastStateIsNotUsed) {
  ASSERT_TRUE(accept(pair(7, kPeersB)).has_value());
  open();
  clock.set_wall(kTestNow + 3 * 86400);
  const auto restored = applier->restore_last_state();
  ASSERT_FALSE(restored.has_value());
  EXPECT_EQ(restored.error().kind, DaemonErrorKind::kRejected);
  EXPECT_EQ(runtime->phase(), RuntimePhase::kStopped);
}

TEST_F(ApplierTest, NoLastStateIsFine) {
  const auto restored = applier->restore_last_state();
  ASSERT_TRUE(restored.has_value());
  EXPECT_FALSE(*restored);
}

TEST(SyncMessagesTest, ParseResponseIsStrict) {
  const auto control = key_from(0x11);
  const auto state = testing::make_state("n1", "100.64.0.1", kPeersA, testing::kAllowAllPolicy);
  const auto p = testing::sign_pair(control, 3, state, testing::kAllowAllPolicy);
  const auto parsed = parse_sync_response(testing::sync_body(3, p));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->generation, 3U);
  EXPECT_EQ(parsed->node_state, p.node_state);
  EXPECT_FALSE(parse_sync_response(R"({"version":2,"generation":1,"node_state":"AA==","policy":"AA=="})").has_value());
  EXPECT_FALSE(
      parse_sync_response(R"({"version":1,"generation":1,"node_state":"AA==","policy":"AA==","x":1})").has_value());
  EXPECT_FALSE(parse_sync_response(R"({"version":1,"generation":0,"node_state":"AA==","policy":"AA=="})").has_value());
  EXPECT_FALSE(parse_sync_response(R"({"version":1,"generation":1,"node_state":"!!","policy":"AA=="})").has_value());
  EXPECT_FALSE(parse_sync_response("not json").has_value());
}

TEST(SyncMessagesTest, RequestCarriesListenPortAndEndpoints) {
  const std::string body = encode_sync_request({42, 25, 51820, {"192.0.2.10:51820"}});
  const auto json = nlohmann::json::parse(body);
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["known_generation"], 42);
  EXPECT_EQ(json["wait_seconds"], 25);
  EXPECT_EQ(json["listen_port"], 51820);
  EXPECT_EQ(json["endpoints"][0], "192.0.2.10:51820");
}

}  // namespace
}  // namespace rustynet::apps::daemon
