// SPDX-License-Identifier: Apache-2.0
// Translation layer: contract requests -> per-peer device updates (never replace_peers), and the
// peer table's conflict rules.
#include "translate.hpp"

#include <gtest/gtest.h>

#include "peer_table.hpp"
#include "uapi_codec.hpp"

namespace rustynet::backend_wireguard {
namespace {

namespace api = backend_api;

api::PeerConfig peer(const std::string& node, std::uint8_t key_fill, const std::string& prefix) {
  api::PeerPublicKey key;
  key.bytes.fill(key_fill);
  api::PeerConfig config{api::NodeId::parse(node).value(),
                         key,
                         api::SocketEndpoint::parse("192.0.2.1:51820").value(),
                         {api::IpPrefix::parse(prefix).value()},
                         std::nullopt};
  return config;
}

TEST(TranslateTest, NewPeerIsOneCompleteUpdate) {
  const api::PeerConfig p = peer("a", 1, "10.0.0.1/32");
  const auto changes = peer_changes(p, nullptr);
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_FALSE(changes[0].remove);
  EXPECT_FALSE(changes[0].update_only);
  EXPECT_TRUE(changes[0].replace_allowed_ips);
  EXPECT_EQ(changes[0].persistent_keepalive_seconds, 0);
  ASSERT_EQ(changes[0].allowed_ips.size(), 1U);
  EXPECT_EQ(format_allowed_ip(changes[0].allowed_ips[0]), "10.0.0.1/32");
  EXPECT_EQ(format_endpoint(*changes[0].endpoint), "192.0.2.1:51820");
}

TEST(TranslateTest, UnchangedPeerProducesNothing) {
  const api::PeerConfig p = peer("a", 1, "10.0.0.1/32");
  api::PeerConfig reordered = p;
  reordered.allowed_prefixes.push_back(p.allowed_prefixes[0]);  // duplicates are not significant
  EXPECT_TRUE(peer_changes(reordered, &p).empty());
}

TEST(TranslateTest, KeepaliveChangeTouchesOnlyThatPeerAndNotItsAllowedIps) {
  const api::PeerConfig p = peer("a", 1, "10.0.0.1/32");
  api::PeerConfig changed = p;
  changed.persistent_keepalive_seconds = 25;
  const auto changes = peer_changes(changed, &p);
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_TRUE(changes[0].update_only);
  EXPECT_FALSE(changes[0].replace_allowed_ips);
  EXPECT_TRUE(changes[0].allowed_ips.empty());
  EXPECT_EQ(changes[0].persistent_keepalive_seconds, 25);
}

TEST(TranslateTest, PrefixChangeReplacesThatPeersAllowedIps) {
  const api::PeerConfig p = peer("a", 1, "10.0.0.1/32");
  api::PeerConfig changed = p;
  changed.allowed_prefixes.push_back(api::IpPrefix::parse("fd00::/64").value());
  const auto changes = peer_changes(changed, &p);
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_TRUE(changes[0].replace_allowed_ips);
  EXPECT_EQ(changes[0].allowed_ips.size(), 2U);
}

TEST(TranslateTest, KeyChangeAndClearedEndpointRemoveAndReAdd) {
  const api::PeerConfig p = peer("a", 1, "10.0.0.1/32");
  api::PeerConfig rekeyed = p;
  rekeyed.public_key.bytes.fill(2);
  auto changes = peer_changes(rekeyed, &p);
  ASSERT_EQ(changes.size(), 2U);
  EXPECT_TRUE(changes[0].remove);
  EXPECT_EQ(changes[0].public_key, to_wg_key(p.public_key));
  EXPECT_EQ(changes[1].public_key, to_wg_key(rekeyed.public_key));

  api::PeerConfig no_endpoint = p;
  no_endpoint.endpoint.reset();
  changes = peer_changes(no_endpoint, &p);
  ASSERT_EQ(changes.size(), 2U);
  EXPECT_TRUE(changes[0].remove);
  EXPECT_FALSE(changes[1].endpoint.has_value());
}

TEST(TranslateTest, DeviceReadBackBecomesPeerStats) {
  WgPeerState state;
  state.public_key.bytes.fill(7);
  state.allowed_ips = {*parse_allowed_ip("10.9.0.0/16"), *parse_allowed_ip("10.1.0.0/16")};
  state.endpoint = parse_endpoint("[2001:db8::5]:9");
  state.rx_bytes = 3;
  state.tx_bytes = 4;
  const auto stats = peer_stats_from_device(api::NodeId::parse("n").value(), state);
  EXPECT_EQ(stats.allowed_prefixes.size(), 2U);
  EXPECT_EQ(stats.allowed_prefixes[0].to_string(), "10.1.0.0/16");  // canonical order
  EXPECT_EQ(stats.endpoint->to_string(), "[2001:db8::5]:9");
  EXPECT_FALSE(stats.persistent_keepalive_seconds.has_value());  // 0 = disabled = absent
  EXPECT_FALSE(stats.last_handshake_unix_seconds.has_value());   // 0 = never
  EXPECT_EQ(stats.rx_bytes, 3U);
}

TEST(PeerTableTest, ConflictsAreDetectedAndIndexesFollowUpdates) {
  const api::NodeId local = api::NodeId::parse("local").value();
  PeerTable table;
  table.upsert(peer("a", 1, "10.0.0.1/32"));
  EXPECT_FALSE(table.check(peer("a", 1, "10.0.0.2/32"), local).has_value());  // same node may change
  EXPECT_TRUE(table.check(peer("b", 1, "10.0.0.9/32"), local).has_value());   // key of a
  EXPECT_TRUE(table.check(peer("b", 2, "10.0.0.1/32"), local).has_value());   // prefix of a
  EXPECT_TRUE(table.check(peer("local", 3, "10.0.0.3/32"), local).has_value());
  table.upsert(peer("a", 5, "10.0.0.2/32"));  // a moves to a new key and prefix
  EXPECT_FALSE(table.check(peer("b", 1, "10.0.0.1/32"), local).has_value());
  EXPECT_EQ(*table.owner_of_key(peer("a", 5, "10.0.0.2/32").public_key), api::NodeId::parse("a").value());
  table.erase(api::NodeId::parse("a").value());
  EXPECT_EQ(table.find(api::NodeId::parse("a").value()), nullptr);
  EXPECT_FALSE(table.check(peer("b", 5, "10.0.0.2/32"), local).has_value());
}

}  // namespace
}  // namespace rustynet::backend_wireguard
