// SPDX-License-Identifier: Apache-2.0
// PolicyStore: an invalid load leaves the previous policy in force and reports why.
#include "rustynet/policy/policy_store.hpp"

#include <gtest/gtest.h>

namespace rustynet::policy {
namespace {

NodeInventory inventory() {
  NodeInventory out;
  out.nodes.push_back({"a", {"web"}, {}});
  out.nodes.push_back({"b", {"db"}, {}});
  return out;
}

AccessRequest a_to_b() {
  AccessRequest request;
  request.src_node = "a";
  request.dst_node = "b";
  request.protocol = IpProtocol::kTcp;
  request.dst_port = 5432;
  return request;
}

TEST(PolicyStoreTest, DeniesWithNoPolicyUntilOneLoads) {
  PolicyStore store;
  EXPECT_EQ(store.current(), nullptr);
  const auto decision = store.evaluate(a_to_b());
  EXPECT_FALSE(decision.allowed());
  EXPECT_EQ(decision.reason, DecisionReason::kNoPolicy);
  EXPECT_EQ(store.generation(), 0U);
}

TEST(PolicyStoreTest, InvalidLoadKeepsPreviousPolicy) {
  PolicyStore store;
  ASSERT_TRUE(store
                  .load(R"({"version": 1, "rules": [{"id": "w", "action": "allow", "src": ["tag:web"],
                           "dst": ["tag:db"], "protocol": "tcp", "ports": ["5432"]}]})",
                        inventory())
                  .has_value());
  EXPECT_TRUE(store.evaluate(a_to_b()).allowed());
  const auto before = store.current();

  // A policy that would deny everything, but is invalid (duplicate rule id): must not apply.
  auto failed = store.load(R"({"version": 1, "rules": [
      {"id": "x", "action": "deny", "src": ["*"], "dst": ["*"]},
      {"id": "x", "action": "deny", "src": ["*"], "dst": ["*"]}]})",
                           inventory());
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, PolicyErrorKind::kDuplicate);
  EXPECT_EQ(failed.error().path, "$.rules[1].id");
  EXPECT_EQ(store.current(), before);
  EXPECT_TRUE(store.evaluate(a_to_b()).allowed());
  ASSERT_TRUE(store.last_error().has_value());
  EXPECT_EQ(store.last_error()->path, "$.rules[1].id");
  EXPECT_EQ(store.generation(), 1U);

  // Unknown version and broken JSON are refused the same way.
  EXPECT_FALSE(store.load(R"({"version": 9, "rules": []})", inventory()).has_value());
  EXPECT_FALSE(store.load("{", inventory()).has_value());
  EXPECT_TRUE(store.evaluate(a_to_b()).allowed());

  // A valid replacement applies and clears the error.
  ASSERT_TRUE(store.load(R"({"version": 1, "rules": []})", inventory()).has_value());
  EXPECT_FALSE(store.evaluate(a_to_b()).allowed());
  EXPECT_EQ(store.evaluate(a_to_b()).reason, DecisionReason::kDefaultDeny);
  EXPECT_FALSE(store.last_error().has_value());
  EXPECT_EQ(store.generation(), 2U);
}

TEST(PolicyStoreTest, SnapshotOutlivesReplacement) {
  PolicyStore store;
  ASSERT_TRUE(store
                  .load(R"({"version": 1, "rules": [{"id": "all", "action": "allow", "src": ["*"], "dst": ["*"]}]})",
                        inventory())
                  .has_value());
  const auto snapshot = store.current();
  ASSERT_TRUE(store.load(R"({"version": 1, "rules": []})", inventory()).has_value());
  EXPECT_TRUE(snapshot->evaluate(a_to_b()).allowed());  // an in-flight decision keeps its policy
  EXPECT_FALSE(store.evaluate(a_to_b()).allowed());
}

}  // namespace
}  // namespace rustynet::policy
