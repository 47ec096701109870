// SPDX-License-Identifier: Apache-2.0
// Node registry in the SQLite control store, and token key resolution through it.
#include <gtest/gtest.h>

#include <array>
#include <memory>

#include "manual_clock.hpp"
#include "rustynet/control/nonce_store.hpp"
#include "rustynet/control/registry_key_resolver.hpp"
#include "rustynet/control/revocation_store.hpp"
#include "rustynet/control/sqlite_store.hpp"
#include "rustynet/control/token_validator.hpp"
#include "temp_dir.hpp"

namespace rustynet::control {
namespace {

crypto::Ed25519SigningKey key_from(std::uint8_t seed_byte) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

RegisteredNode make_node(const std::string& id, std::uint8_t index, const std::string& address) {
  RegisteredNode node;
  node.node_id = id;
  const auto key = key_from(index).public_key();
  std::copy(key.bytes().begin(), key.bytes().end(), node.identity_public_key.begin());
  node.tunnel_public_key.fill(index);
  node.addresses.push_back(policy::IpAddress::parse(address).value());
  node.tags = {"tag-" + id};
  return node;
}

class RegistryTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteControlStore> open() { return SqliteControlStore::open(dir_.file("control.db")).value(); }
  testing::TempDir dir_;
};

TEST_F(RegistryTest, AddListFindRemoveRoundTrip) {
  auto store = open();
  auto n2 = make_node("n2", 2, "100.64.0.2");
  n2.addresses.push_back(policy::IpAddress::parse("fd00::2").value());
  n2.endpoints.push_back(policy::SocketAddress::parse("[2001:db8::2]:51820").value());
  ASSERT_TRUE(store->add_node(n2).has_value());
  ASSERT_TRUE(store->add_node(make_node("n1", 1, "100.64.0.1")).has_value());
  auto nodes = store->list_nodes().value();
  ASSERT_EQ(nodes.size(), 2U);
  EXPECT_EQ(nodes[0].node_id, "n1");  // sorted
  EXPECT_EQ(nodes[1], n2);            // every field survives, address order kept
  EXPECT_FALSE(store->find_node("nx").value().has_value());
  ASSERT_TRUE(store->remove_node("n2").has_value());
  EXPECT_EQ(store->remove_node("n2").error().kind, RegistryErrorKind::kNotFound);
  // The removed node's address and keys are free again.
  EXPECT_TRUE(store->add_node(n2).has_value());
}

TEST_F(RegistryTest, UniquenessIsEnforcedAtomically) {
  auto store = open();
  ASSERT_TRUE(store->add_node(make_node("n1", 1, "100.64.0.1")).has_value());
  auto same_id = make_node("n1", 2, "100.64.0.2");
  auto same_identity = make_node("n2", 1, "100.64.0.2");
  same_identity.tunnel_public_key.fill(9);
  auto same_tunnel = make_node("n2", 2, "100.64.0.2");
  same_tunnel.tunnel_public_key.fill(1);
  auto same_address = make_node("n2", 2, "100.64.0.2");
  same_address.addresses.push_back(policy::IpAddress::parse("100.64.0.1").value());  // second address clashes
  for (const auto* node : {&same_id, &same_identity, &same_tunnel, &same_address}) {
    auto added = store->add_node(*node);
    ASSERT_FALSE(added.has_value());
    EXPECT_EQ(added.error().kind, RegistryErrorKind::kConflict) << added.error().message;
  }
  // The address clash came after the node row was inserted: the whole addition rolled back.
  EXPECT_EQ(store->list_nodes().value().size(), 1U);
  EXPECT_TRUE(store->add_node(make_node("n2", 2, "100.64.0.2")).has_value());
  auto reserved = make_node("admin", 3, "100.64.0.3");
  EXPECT_EQ(store->add_node(reserved).error().kind, RegistryErrorKind::kInvalid);
  auto no_address = make_node("n3", 3, "100.64.0.3");
  no_address.addresses.clear();
  EXPECT_EQ(store->add_node(no_address).error().kind, RegistryErrorKind::kInvalid);
}

TEST_F(RegistryTest, EndpointsPolicyAndGenerationsAreDurable) {
  std::uint64_t last_generation = 0;
  {
    auto store = open();
    ASSERT_TRUE(store->add_node(make_node("n1", 1, "100.64.0.1")).has_value());
    const std::vector<policy::SocketAddress> endpoints{policy::SocketAddress::parse("192.0.2.1:51820").value()};
    EXPECT_TRUE(store->set_endpoints("n1", endpoints).value());
    EXPECT_FALSE(store->set_endpoints("n1", endpoints).value());  // unchanged
    EXPECT_EQ(store->set_endpoints("nx", endpoints).error().kind, RegistryErrorKind::kNotFound);
    EXPECT_FALSE(store->load_policy().value().has_value());
    EXPECT_EQ(store->store_policy(R"({"rules":[],"version":1})").value(), 1U);
    EXPECT_EQ(store->store_policy(R"({"rules":[] ,"version":1})").value(), 2U);
    const auto first = store->reserve_signing_generations(1).value();
    const auto block = store->reserve_signing_generations(64).value();
    EXPECT_EQ(block, first + 64);
    EXPECT_EQ(store->reserve_signing_generations(0).error().kind, RegistryErrorKind::kInvalid);
    last_generation = block;
  }
  auto store = open();  // "restart"
  EXPECT_EQ(store->find_node("n1").value()->endpoints.at(0).to_string(), "192.0.2.1:51820");
  const auto policy = store->load_policy().value();
  ASSERT_TRUE(policy.has_value());
  EXPECT_EQ(policy->generation, 2U);
  EXPECT_EQ(policy->document, R"({"rules":[] ,"version":1})");  // exact bytes
  EXPECT_GT(store->reserve_signing_generations(1).value(), last_generation);
}

// A registry whose reads fail: the validator must deny with kStateUnavailable.
class BrokenRegistry final : public NodeRegistry {
 public:
  base::Status<RegistryError> add_node(const RegisteredNode&) override { return fail(); }
  base::Result<std::uint64_t, RegistryError> add_batch(const std::vector<RegisteredNode>&,
                                                       const std::optional<std::string>&) override {
    return base::unexpected(error());
  }
  base::Status<RegistryError> remove_node(std::string_view) override { return fail(); }
  base::Result<std::vector<RegisteredNode>, RegistryError> list_nodes() override { return base::unexpected(error()); }
  base::Result<std::optional<RegisteredNode>, RegistryError> find_node(std::string_view) override {
    return base::unexpected(error());
  }
  base::Result<bool, RegistryError> set_endpoints(std::string_view,
                                                  const std::vector<policy::SocketAddress>&) override {
    return base::unexpected(error());
  }
  base::Result<std::optional<StoredPolicy>, RegistryError> load_policy() override { return base::unexpected(error()); }
  base::Result<std::uint64_t, RegistryError> store_policy(std::string_view) override {
    return base::unexpected(error());
  }
  base::Result<std::uint64_t, RegistryError> reserve_signing_generations(std::uint64_t) override {
    return base::unexpected(error());
  }

 private:
  static RegistryError error() { return RegistryError{RegistryErrorKind::kState, "disk gone"}; }
  static base::Status<RegistryError> fail() { return base::unexpected(error()); }
};

class ResolverTest : public RegistryTest {
 protected:
  ResolverTest() : nonces_(1000) {}
  TokenRejection rejection_of(const TokenValidator& validator, const crypto::Ed25519SigningKey& key,
                              const std::string& subject) {
    const TokenIssuer issuer(key.clone().value(), "rustynet-control", clock_);
    auto result = validator.validate(issuer.issue(subject).value());
    return result.has_value() ? static_cast<TokenRejection>(255) : result.error().kind;
  }
  testing::ManualClock clock_;
  MemoryRevocationStore revocations_;
  MemoryNonceStore nonces_;
};

constexpr auto kAccepted = static_cast<TokenRejection>(255);

TEST_F(ResolverTest, NodeTokensVerifyOnlyWithTheRegisteredKeyAdminOnlyWithConfigKeys) {
  auto store = open();
  ASSERT_TRUE(store->add_node(make_node("n1", 1, "100.64.0.1")).has_value());
  ASSERT_TRUE(store->add_node(make_node("n2", 2, "100.64.0.2")).has_value());
  const auto admin = key_from(50);
  const RegistryKeyResolver resolver(*store, {admin.public_key()});
  const TokenValidator validator(TokenValidatorConfig{"rustynet-control"}, resolver, clock_, revocations_, nonces_);

  EXPECT_EQ(rejection_of(validator, key_from(1), "n1"), kAccepted);
  EXPECT_EQ(rejection_of(validator, admin, "admin"), kAccepted);
  EXPECT_EQ(rejection_of(validator, key_from(2), "n1"), TokenRejection::kBadSignature);  // n2's key for n1
  EXPECT_EQ(rejection_of(validator, key_from(1), "admin"), TokenRejection::kBadSignature);
  EXPECT_EQ(rejection_of(validator, admin, "n1"), TokenRejection::kBadSignature);
  EXPECT_EQ(rejection_of(validator, key_from(9), "n9"), TokenRejection::kBadSignature);  // unknown node
  ASSERT_TRUE(store->remove_node("n1").has_value());
  EXPECT_EQ(rejection_of(validator, key_from(1), "n1"), TokenRejection::kBadSignature);  // removed: at once

  BrokenRegistry broken;
  const RegistryKeyResolver failing(broken, {admin.public_key()});
  const TokenValidator denying(TokenValidatorConfig{"rustynet-control"}, failing, clock_, revocations_, nonces_);
  EXPECT_EQ(rejection_of(denying, key_from(2), "n2"), TokenRejection::kStateUnavailable);
  EXPECT_EQ(rejection_of(denying, admin, "admin"), kAccepted);  // admin keys come from config
}

}  // namespace
}  // namespace rustynet::control
