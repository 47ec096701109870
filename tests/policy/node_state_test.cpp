// SPDX-License-Identifier: Apache-2.0
// NodeState payload: strict parsing, round trip, negative cases with JSON paths.
#include "rustynet/policy/node_state.hpp"

#include <gtest/gtest.h>

#include <span>
#include <string>

namespace rustynet::policy {
namespace {

NodeState sample() {
  NodeState state;
  state.node_id = "node-a";
  state.policy_digest.fill(0xAB);
  state.tags = {"laptop"};
  state.addresses = {IpAddress::parse("100.64.0.1").value(), IpAddress::parse("fd7a::1").value()};
  PeerState peer;
  peer.node_id = "node-b";
  peer.tunnel_public_key.fill(0x01);
  peer.tags = {"server", "db"};
  peer.addresses = {IpAddress::parse("100.64.0.2").value()};
  peer.endpoints.push_back(SocketAddress::parse("203.0.113.5:4500").value());
  peer.endpoints.push_back(SocketAddress::parse("[2001:db8::1]:4500").value());
  peer.allowed_prefixes.push_back(IpPrefix::parse("100.64.0.2/32").value());
  peer.allowed_prefixes.push_back(IpPrefix::parse("192.168.1.0/24").value());
  state.peers.push_back(peer);
  PeerState other;
  other.node_id = "node-c";
  other.tunnel_public_key.fill(0x02);
  state.peers.push_back(other);
  state.routes.push_back(RouteState{IpPrefix::parse("192.168.1.0/24").value(), "node-b"});
  return state;
}

TEST(NodeStateTest, RoundTripsThroughCanonicalEncoding) {
  const NodeState state = sample();
  auto encoded = encode_node_state(state);
  ASSERT_TRUE(encoded.has_value()) << encoded.error().describe();
  auto decoded = parse_node_state(*encoded);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().describe();
  EXPECT_EQ(*decoded, state);
  EXPECT_EQ(encode_node_state(*decoded).value(), *encoded);  // deterministic
  EXPECT_EQ(encoded->find(' '), std::string::npos);
}

struct Case {
  const char* name;
  std::string from;
  std::string to;
  PolicyErrorKind kind;
  const char* path;
};

// Applies each case's text replacement to `good` and expects parse_node_state to refuse it with
// the case's error kind and JSON path.
void expect_each_mutation_rejected(const std::string& good, std::span<const Case> cases) {
  for (const auto& c : cases) {
    std::string text = good;
    const auto at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.name << " in " << text;
    text.replace(at, c.from.size(), c.to);
    auto result = parse_node_state(text);
    ASSERT_FALSE(result.has_value()) << c.name << ": " << text;
    EXPECT_EQ(result.error().kind, c.kind) << c.name << ": " << result.error().describe();
    EXPECT_EQ(result.error().path, c.path) << c.name << ": " << result.error().describe();
  }
}

TEST(NodeStateTest, RejectsMalformedStateWithPath) {
  const std::string good = encode_node_state(sample()).value();
  std::string key_b;
  for (int i = 0; i < 32; ++i) {
    key_b += "01";
  }
  const Case cases[] = {
      {"unknown version", R"("version":1)", R"("version":2)", PolicyErrorKind::kSchema, "$.version"},
      {"unknown field", R"("version":1)", R"("version":1,"extra":true)", PolicyErrorKind::kSchema, "$.extra"},
      {"duplicate key", R"("version":1)", R"("version":1,"version":1)", PolicyErrorKind::kSyntax, "$"},
      {"self peer", R"("node_id":"node-b")", R"("node_id":"node-a")", PolicyErrorKind::kInvalidValue,
       "$.peers[0].node_id"},
      {"duplicate peer", R"("node_id":"node-c")", R"("node_id":"node-b")", PolicyErrorKind::kDuplicate,
       "$.peers[1].node_id"},
      {"short key", key_b, key_b.substr(2), PolicyErrorKind::kInvalidValue, "$.peers[0].tunnel_public_key"},
      {"uppercase key", key_b, std::string(64, 'A'), PolicyErrorKind::kInvalidValue, "$.peers[0].tunnel_public_key"},
      {"bad endpoint", "203.0.113.5:4500", "203.0.113.5", PolicyErrorKind::kInvalidValue, "$.peers[0].endpoints[0]"},
      {"unbracketed v6", "[2001:db8::1]:4500", "2001:db8::1:4500", PolicyErrorKind::kInvalidValue,
       "$.peers[0].endpoints[1]"},
      {"port zero", "203.0.113.5:4500", "203.0.113.5:0", PolicyErrorKind::kInvalidValue, "$.peers[0].endpoints[0]"},
      {"host bits", "100.64.0.2/32", "100.64.0.2/24", PolicyErrorKind::kInvalidValue, "$.peers[0].allowed_prefixes[0]"},
      {"route via unknown", R"("via":"node-b")", R"("via":"node-z")", PolicyErrorKind::kUnknownReference,
       "$.routes[0].via"},
      {"newline in id", R"("node_id":"node-a")", R"("node_id":"node-a\nx")", PolicyErrorKind::kInvalidValue,
       "$.node_id"},
      {"duplicate tag", R"(["server","db"])", R"(["db","db"])", PolicyErrorKind::kDuplicate, "$.peers[0].tags[1]"},
      {"bad tag", R"(["laptop"])", R"(["lap top"])", PolicyErrorKind::kInvalidValue, "$.tags[0]"},
      {"bad address", R"("100.64.0.2"])", R"("100.64.0.256"])", PolicyErrorKind::kInvalidValue,
       "$.peers[0].addresses[0]"},
      {"trailing bytes", R"("version":1})", R"("version":1}{})", PolicyErrorKind::kSyntax, "$"},
  };
  expect_each_mutation_rejected(good, cases);
}

NodeState relayed_sample() {
  NodeState state = sample();
  state.peers[1].relay = RelayAssignment{"relay-1", SocketAddress::parse("198.51.100.7:4600").value()};
  return state;
}

TEST(NodeStateTest, RelayAssignmentRoundTripsAndIsOptional) {
  const NodeState state = relayed_sample();
  auto encoded = encode_node_state(state);
  ASSERT_TRUE(encoded.has_value()) << encoded.error().describe();
  EXPECT_NE(encoded->find(R"("relay":{"address":"198.51.100.7:4600","relay_id":"relay-1"})"), std::string::npos)
      << *encoded;
  auto decoded = parse_node_state(*encoded);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().describe();
  EXPECT_EQ(*decoded, state);
  ASSERT_TRUE(decoded->peers[1].relay.has_value());
  EXPECT_EQ(decoded->peers[1].relay->relay_id, "relay-1");
  EXPECT_FALSE(decoded->peers[0].relay.has_value());
  // A state without relays encodes without the key at all: older states keep their exact bytes.
  EXPECT_EQ(encode_node_state(sample()).value().find("relay"), std::string::npos);
}

TEST(NodeStateTest, RejectsMalformedRelayWithPath) {
  const std::string good = encode_node_state(relayed_sample()).value();
  const std::string relay = R"("relay":{"address":"198.51.100.7:4600","relay_id":"relay-1"})";
  const Case cases[] = {
      {"unknown relay field", relay, R"("relay":{"address":"198.51.100.7:4600","relay_id":"relay-1","x":1})",
       PolicyErrorKind::kSchema, "$.peers[1].relay.x"},
      {"missing relay id", relay, R"("relay":{"address":"198.51.100.7:4600"})", PolicyErrorKind::kSchema,
       "$.peers[1].relay.relay_id"},
      {"bad relay address", relay, R"("relay":{"address":"198.51.100.7","relay_id":"relay-1"})",
       PolicyErrorKind::kInvalidValue, "$.peers[1].relay.address"},
      {"bad relay id", relay, R"("relay":{"address":"198.51.100.7:4600","relay_id":"-r"})",
       PolicyErrorKind::kInvalidValue, "$.peers[1].relay.relay_id"},
      {"relay not an object", relay, R"("relay":"relay-1")", PolicyErrorKind::kSchema, "$.peers[1].relay"},
  };
  expect_each_mutation_rejected(good, cases);
  NodeState bad = relayed_sample();
  bad.peers[1].relay->relay_id = "has space";
  EXPECT_FALSE(encode_node_state(bad).has_value());
}

NodeState candidate_sample() {
  NodeState state = sample();
  state.peers[0].relay_candidate = RelayAssignment{"relay-2", SocketAddress::parse("[2001:db8::9]:3478").value()};
  return state;
}

TEST(NodeStateTest, RelayCandidateRoundTripsAndIsOptional) {
  const NodeState state = candidate_sample();
  auto encoded = encode_node_state(state);
  ASSERT_TRUE(encoded.has_value()) << encoded.error().describe();
  EXPECT_NE(encoded->find(R"("relay_candidate":{"address":"[2001:db8::9]:3478","relay_id":"relay-2"})"),
            std::string::npos)
      << *encoded;
  EXPECT_EQ(encoded->find(R"("relay":)"), std::string::npos) << *encoded;
  auto decoded = parse_node_state(*encoded);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().describe();
  EXPECT_EQ(*decoded, state);
  ASSERT_TRUE(decoded->peers[0].relay_candidate.has_value());
  EXPECT_EQ(decoded->peers[0].relay_candidate->relay_id, "relay-2");
  EXPECT_FALSE(decoded->peers[0].relay.has_value());
  EXPECT_FALSE(decoded->peers[1].relay_candidate.has_value());
  // A marked peer and a candidate peer in one state are fine (different peers).
  NodeState both = candidate_sample();
  both.peers[1].relay = RelayAssignment{"relay-1", SocketAddress::parse("198.51.100.7:4600").value()};
  auto mixed = encode_node_state(both);
  ASSERT_TRUE(mixed.has_value()) << mixed.error().describe();
  EXPECT_EQ(parse_node_state(*mixed).value(), both);
}

TEST(NodeStateTest, RejectsMalformedRelayCandidateWithPath) {
  const std::string good = encode_node_state(candidate_sample()).value();
  const std::string field = R"("relay_candidate":{"address":"[2001:db8::9]:3478","relay_id":"relay-2"})";
  const Case cases[] = {
      {"unknown candidate field", field,
       R"("relay_candidate":{"address":"[2001:db8::9]:3478","relay_id":"relay-2","x":1})", PolicyErrorKind::kSchema,
       "$.peers[0].relay_candidate.x"},
      {"missing candidate address", field, R"("relay_candidate":{"relay_id":"relay-2"})", PolicyErrorKind::kSchema,
       "$.peers[0].relay_candidate.address"},
      {"bad candidate address", field, R"("relay_candidate":{"address":"2001:db8::9:3478","relay_id":"relay-2"})",
       PolicyErrorKind::kInvalidValue, "$.peers[0].relay_candidate.address"},
      {"bad candidate id", field, R"("relay_candidate":{"address":"[2001:db8::9]:3478","relay_id":"r 2"})",
       PolicyErrorKind::kInvalidValue, "$.peers[0].relay_candidate.relay_id"},
      {"candidate not an object", field, R"("relay_candidate":["relay-2"])", PolicyErrorKind::kSchema,
       "$.peers[0].relay_candidate"},
      {"marked and candidate at once", field,
       field + R"(,"relay":{"address":"198.51.100.7:4600","relay_id":"relay-1"})", PolicyErrorKind::kInvalidValue,
       "$.peers[0].relay_candidate"},
  };
  expect_each_mutation_rejected(good, cases);
  NodeState bad = candidate_sample();
  bad.peers[0].relay = bad.peers[0].relay_candidate;
  auto refused = encode_node_state(bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().path, "$.peers[0].relay_candidate");
  NodeState zero_port = candidate_sample();
  zero_port.peers[0].relay_candidate->address.port = 0;
  EXPECT_FALSE(validate_node_state(zero_port).has_value());
}

TEST(NodeStateTest, RejectsOversizeInput) {
  std::string huge(kMaxNodeStateBytes + 1, ' ');
  auto result = parse_node_state(huge);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, PolicyErrorKind::kSyntax);
}

TEST(NodeStateTest, EncodeRefusesInvalidState) {
  NodeState state = sample();
  state.peers[1].tunnel_public_key = state.peers[0].tunnel_public_key;
  auto encoded = encode_node_state(state);
  ASSERT_FALSE(encoded.has_value());
  EXPECT_EQ(encoded.error().path, "$.peers[1].tunnel_public_key");
}

TEST(NodeStateTest, InventoryCoversSelfAndPeers) {
  const auto inventory = inventory_of(sample());
  ASSERT_EQ(inventory.nodes.size(), 3U);
  EXPECT_EQ(inventory.nodes[0].id, "node-a");
  EXPECT_EQ(inventory.nodes[0].tags, std::vector<std::string>{"laptop"});
  EXPECT_EQ(inventory.nodes[0].addresses.size(), 2U);
  EXPECT_EQ(inventory.nodes[1].id, "node-b");
  EXPECT_EQ(inventory.nodes[1].tags, (std::vector<std::string>{"server", "db"}));
  EXPECT_TRUE(validate_inventory(inventory).has_value());
}

TEST(NodeStateTest, HexIsStrict) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[0] = 0x0f;
  bytes[31] = 0xf0;
  const auto hex = to_hex32(bytes);
  EXPECT_EQ(hex.substr(0, 2), "0f");
  EXPECT_EQ(from_hex32(hex).value(), bytes);
  EXPECT_FALSE(from_hex32(hex + "00").has_value());
  EXPECT_FALSE(from_hex32("zz" + hex.substr(2)).has_value());
}

}  // namespace
}  // namespace rustynet::policy
