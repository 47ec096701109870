// SPDX-License-Identifier: Apache-2.0
// The reference apply flow for one signed node state plus the policy snapshot it names: verify
// both, parse, check the digest binding, compile, commit both generations in one write, then swap.
// Any failure leaves the last good state applied and the trust state unchanged.
#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "manual_clock.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/crypto/trust_state.hpp"
#include "rustynet/policy/compiled_policy.hpp"
#include "rustynet/policy/node_state.hpp"
#include "temp_dir.hpp"
#include "test_keys.hpp"

namespace rustynet {
namespace {

using crypto::ArtifactType;
using testing::bytes_of;

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kPolicy =
    R"({"version": 1, "rules": [{"id": "to-db", "action": "allow", "src": ["tag:laptop"], "dst": ["tag:db"],)"
    R"( "protocol": "tcp", "ports": ["5432"]}]})";

// What the daemon has applied: replaced only as a whole.
struct Applied {
  policy::NodeState state;
  std::shared_ptr<const policy::CompiledPolicy> policy;
};

// Control-plane side: sign one node state and the policy snapshot it names.
struct Bundle {
  std::vector<std::uint8_t> state;
  std::vector<std::uint8_t> policy;
};

Bundle make_bundle(const crypto::Ed25519SigningKey& key, std::uint64_t generation, const std::string& policy_text,
                   const std::string& subject = "node-a", std::optional<crypto::Sha256Digest> digest = {}) {
  policy::NodeState state;
  state.node_id = subject;
  state.tags = {"laptop"};
  state.addresses = {policy::IpAddress::parse("100.64.0.1").value()};
  state.policy_digest = digest.value_or(crypto::sha256(bytes_of(policy_text)));
  policy::PeerState peer;
  peer.node_id = "db1";
  peer.tags = {"db"};
  peer.addresses = {policy::IpAddress::parse("100.64.0.9").value()};
  peer.tunnel_public_key.fill(static_cast<std::uint8_t>(generation));
  peer.allowed_prefixes = {policy::IpPrefix::parse("100.64.0.9/32").value()};
  state.peers.push_back(peer);
  const std::string payload = policy::encode_node_state(state).value();
  Bundle bundle;
  bundle.state =
      crypto::sign_envelope(key, {ArtifactType::kNodeState, subject, kNow, kNow + 3600, generation}, bytes_of(payload))
          .value();
  bundle.policy = crypto::sign_envelope(key, {ArtifactType::kPolicySnapshot, subject, kNow, kNow + 3600, generation},
                                        bytes_of(policy_text))
                      .value();
  return bundle;
}

// Daemon side. Returns the reason on failure; `applied` is only replaced on success.
std::optional<std::string> apply(crypto::TrustStore& trust, const base::Clock& clock, const std::string& self,
                                 const Bundle& bundle, std::optional<Applied>& applied) {
  auto state_artifact = trust.verify(bundle.state, ArtifactType::kNodeState, self, clock);
  if (!state_artifact.has_value()) {
    return state_artifact.error().describe();
  }
  auto policy_artifact = trust.verify(bundle.policy, ArtifactType::kPolicySnapshot, self, clock);
  if (!policy_artifact.has_value()) {
    return policy_artifact.error().describe();
  }
  auto state = policy::parse_node_state(testing::text_of(state_artifact->payload));
  if (!state.has_value()) {
    return state.error().describe();
  }
  if (state->node_id != self) {
    return std::string("node state names another node");
  }
  if (crypto::sha256(policy_artifact->payload) != state->policy_digest) {
    return std::string("policy snapshot does not match the node state's policy digest");
  }
  auto document = policy::parse_policy_document(testing::text_of(policy_artifact->payload));
  if (!document.has_value()) {
    return document.error().describe();
  }
  auto compiled = policy::CompiledPolicy::compile(*document, policy::inventory_of(*state));
  if (!compiled.has_value()) {
    return compiled.error().describe();
  }
  const std::array<const crypto::VerifiedArtifact*, 2> both = {&*state_artifact, &*policy_artifact};
  if (auto committed = trust.commit(both); !committed.has_value()) {
    return committed.error().describe();
  }
  applied =
      Applied{std::move(state).value(), std::make_shared<const policy::CompiledPolicy>(std::move(compiled).value())};
  return std::nullopt;
}

class NodeStateTransactionTest : public ::testing::Test {
 protected:
  NodeStateTransactionTest()
      : key_(testing::signing_key(3)),
        trust_(crypto::TrustStore::initialize({dir_.file("trust.state"), true, {}}, testing::mac_key(),
                                              {key_.public_key()})
                   .value()) {}

  std::uint64_t accepted_generation() const {
    const auto* record = trust_.state().find_accepted(ArtifactType::kNodeState, "node-a");
    return record == nullptr ? 0 : record->generation;
  }

  testing::TempDir dir_;
  testing::ManualClock clock_{kNow};
  crypto::Ed25519SigningKey key_;
  crypto::TrustStore trust_;
  std::optional<Applied> applied_;
};

TEST_F(NodeStateTransactionTest, AppliesVerifiedStateAsOneUnit) {
  ASSERT_EQ(apply(trust_, clock_, "node-a", make_bundle(key_, 1, kPolicy), applied_), std::nullopt);
  ASSERT_TRUE(applied_.has_value());
  EXPECT_EQ(applied_->state.peers.size(), 1U);
  policy::AccessRequest request{"node-a", {}, "db1", {}, policy::IpProtocol::kTcp, 5432};
  EXPECT_TRUE(applied_->policy->evaluate(request).allowed());
  EXPECT_EQ(applied_->policy->visibility("node-a").value().peers, std::vector<std::string>{"db1"});
  EXPECT_EQ(accepted_generation(), 1U);
}

TEST_F(NodeStateTransactionTest, FailuresKeepLastGoodStateAndTrust) {
  ASSERT_EQ(apply(trust_, clock_, "node-a", make_bundle(key_, 5, kPolicy), applied_), std::nullopt);
  const auto good_peers = applied_->state.peers;
  const auto good_policy = applied_->policy;

  const std::string deny_all = R"({"version": 1, "rules": []})";
  crypto::Sha256Digest wrong{};
  wrong.fill(0xEE);
  const auto stranger = testing::signing_key(4);
  struct Case {
    const char* name;
    Bundle bundle;
  };
  Case cases[] = {
      {"policy digest mismatch", make_bundle(key_, 6, deny_all, "node-a", wrong)},
      {"rollback", make_bundle(key_, 4, deny_all)},
      {"state for another node", make_bundle(key_, 6, deny_all, "node-b")},
      {"unknown signer", make_bundle(stranger, 6, deny_all)},
      {"invalid policy, validly signed", make_bundle(key_, 6, R"({"version": 1, "rules": [{"id": "x"}]})")},
  };
  // Mix-and-match: a node state with a policy snapshot from another bundle.
  auto mixed = make_bundle(key_, 7, deny_all);
  mixed.policy = make_bundle(key_, 7, kPolicy).policy;
  for (const auto& c : cases) {
    const auto reason = apply(trust_, clock_, "node-a", c.bundle, applied_);
    ASSERT_TRUE(reason.has_value()) << c.name;
    EXPECT_EQ(applied_->state.peers, good_peers) << c.name;
    EXPECT_EQ(applied_->policy, good_policy) << c.name;
    EXPECT_EQ(accepted_generation(), 5U) << c.name;
  }
  EXPECT_TRUE(apply(trust_, clock_, "node-a", mixed, applied_).has_value());
  EXPECT_EQ(accepted_generation(), 5U);

  // Trust state unusable (clock broken here): nothing applies either.
  clock_.set_wall_usable(false);
  EXPECT_TRUE(apply(trust_, clock_, "node-a", make_bundle(key_, 8, deny_all), applied_).has_value());
  EXPECT_EQ(applied_->policy, good_policy);
  clock_.set_wall_usable(true);

  // And a good newer bundle still applies afterwards.
  ASSERT_EQ(apply(trust_, clock_, "node-a", make_bundle(key_, 8, deny_all), applied_), std::nullopt);
  EXPECT_EQ(accepted_generation(), 8U);
  policy::AccessRequest request{"node-a", {}, "db1", {}, policy::IpProtocol::kTcp, 5432};
  EXPECT_FALSE(applied_->policy->evaluate(request).allowed());
}

}  // namespace
}  // namespace rustynet
