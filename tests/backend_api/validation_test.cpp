// SPDX-License-Identifier: Apache-2.0
// Shared validation: malformed -> kInvalidInput before capability -> kUnsupported, whole request.
#include "rustynet/backend_api/validation.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace rustynet::backend_api {
namespace {

BackendCapabilities all() { return BackendCapabilities{true, true, true, true}; }

RuntimeContext valid_context() {
  RuntimeContext context{
      NodeId::parse("me").value(), "rn0", {InterfaceAddress::parse("100.64.0.1/10").value()}, 0, 1420,
      base::SecretBytes(32)};
  context.tunnel_private_key.mutable_view()[0] = 1;
  return context;
}

std::optional<BackendErrorKind> kind_of(const BackendStatus& status) {
  if (status.has_value()) {
    return std::nullopt;
  }
  return status.error().kind;
}

Route route(const char* destination, RouteKind kind = RouteKind::kMesh) {
  return Route{IpPrefix::parse(destination).value(), NodeId::parse("peer").value(), kind};
}

TEST(ValidationTest, RuntimeContext) {
  EXPECT_EQ(kind_of(validate_runtime_context(valid_context(), BackendCapabilities{})), std::nullopt);
  RuntimeContext context = valid_context();
  context.interface_name = "a b";
  EXPECT_EQ(kind_of(validate_runtime_context(context, all())), BackendErrorKind::kInvalidInput);
  context = valid_context();
  context.interface_name = "exactly15bytes_";
  EXPECT_EQ(kind_of(validate_runtime_context(context, all())), std::nullopt);
  context = valid_context();
  context.mtu = 1279;
  EXPECT_EQ(kind_of(validate_runtime_context(context, all())), BackendErrorKind::kInvalidInput);
  context = valid_context();
  context.interface_addresses.push_back(InterfaceAddress::parse("fd00::1/64").value());
  EXPECT_EQ(kind_of(validate_runtime_context(context, all())), std::nullopt);
  EXPECT_EQ(kind_of(validate_runtime_context(context, BackendCapabilities{})), BackendErrorKind::kUnsupported);
  // Malformed wins over unsupported.
  context.mtu = 1;
  EXPECT_EQ(kind_of(validate_runtime_context(context, BackendCapabilities{})), BackendErrorKind::kInvalidInput);
  context = valid_context();
  context.interface_addresses.push_back(InterfaceAddress::parse("100.64.0.1/24").value());
  EXPECT_EQ(kind_of(validate_runtime_context(context, all())), BackendErrorKind::kInvalidInput);
}

TEST(ValidationTest, PeerConfig) {
  PeerConfig peer{NodeId::parse("peer").value(), PeerPublicKey{}, std::nullopt, {}, std::nullopt};
  EXPECT_EQ(kind_of(validate_peer_config(peer, all())), BackendErrorKind::kInvalidInput);  // zero key
  peer.public_key.bytes[31] = 9;
  EXPECT_EQ(kind_of(validate_peer_config(peer, BackendCapabilities{})), std::nullopt);
  peer.endpoint = SocketEndpoint::parse("[2001:db8::1]:1").value();
  EXPECT_EQ(kind_of(validate_peer_config(peer, BackendCapabilities{})), BackendErrorKind::kUnsupported);
  EXPECT_EQ(kind_of(validate_peer_config(peer, all())), std::nullopt);
  peer.persistent_keepalive_seconds = 0;
  EXPECT_EQ(kind_of(validate_peer_config(peer, BackendCapabilities{})), BackendErrorKind::kInvalidInput);
  peer.persistent_keepalive_seconds = 25;
  peer.endpoint.reset();
  peer.allowed_prefixes.push_back(IpPrefix::parse("fd00::/8").value());
  EXPECT_EQ(kind_of(validate_peer_config(peer, BackendCapabilities{})), BackendErrorKind::kUnsupported);
}

TEST(ValidationTest, Routes) {
  EXPECT_EQ(kind_of(validate_routes({}, BackendCapabilities{})), std::nullopt);
  const std::vector lan{route("10.0.0.0/8"), route("192.168.1.0/24", RouteKind::kLan)};
  EXPECT_EQ(kind_of(validate_routes(lan, BackendCapabilities{})), BackendErrorKind::kUnsupported);
  EXPECT_EQ(kind_of(validate_routes(lan, all())), std::nullopt);
  // An unsupported route first, a malformed one later: malformed is reported.
  const std::vector mixed{route("192.168.1.0/24", RouteKind::kLan), route("10.0.0.0/8"), route("10.0.0.0/8")};
  EXPECT_EQ(kind_of(validate_routes(mixed, BackendCapabilities{})), BackendErrorKind::kInvalidInput);
  EXPECT_EQ(kind_of(validate_routes(std::vector{route("0.0.0.0/0")}, all())), BackendErrorKind::kInvalidInput);
  EXPECT_EQ(kind_of(validate_routes(std::vector{route("10.0.0.0/8", RouteKind::kExitDefault)}, all())),
            BackendErrorKind::kInvalidInput);
  const std::vector exits{route("0.0.0.0/0", RouteKind::kExitDefault), route("::/0", RouteKind::kExitDefault)};
  EXPECT_EQ(kind_of(validate_routes(exits, all())), std::nullopt);
  EXPECT_EQ(kind_of(validate_routes(exits, BackendCapabilities{.supports_exit_nodes = true})),
            BackendErrorKind::kUnsupported);  // ::/0 needs IPv6
  EXPECT_EQ(kind_of(validate_routes(std::vector{route("fd00::/8")}, BackendCapabilities{})),
            BackendErrorKind::kUnsupported);
}

TEST(ValidationTest, ExitMode) {
  EXPECT_EQ(kind_of(validate_exit_mode(ExitMode::off(), BackendCapabilities{})), std::nullopt);
  const ExitMode via = ExitMode::via(NodeId::parse("exit").value());
  EXPECT_EQ(kind_of(validate_exit_mode(via, BackendCapabilities{})), BackendErrorKind::kUnsupported);
  EXPECT_EQ(kind_of(validate_exit_mode(via, all())), std::nullopt);
  EXPECT_EQ(testing::PrintToString(via), "via exit");
  EXPECT_EQ(testing::PrintToString(ExitMode::off()), "off");
}

TEST(RuntimeContextTest, PrintsTheKeyRedactedAndClonesDeeply) {
  RuntimeContext context = valid_context();
  auto key = context.tunnel_private_key.mutable_view();
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::uint8_t>(0xA0 + i % 16);
  }
  std::ostringstream out;
  out << context;
  EXPECT_NE(out.str().find("<redacted>"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("a0a1"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("A0A1"), std::string::npos) << out.str();
  const RuntimeContext copy = context.clone();
  EXPECT_TRUE(copy.tunnel_private_key == context.tunnel_private_key);
  EXPECT_NE(copy.tunnel_private_key.view().data(), context.tunnel_private_key.view().data());
  EXPECT_EQ(copy.interface_name, context.interface_name);
}

TEST(PeerConfigTest, PublicKeyAndCanonicalPrefixes) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[0] = 0xAB;
  const auto key = PeerPublicKey::from_bytes(bytes);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->to_hex().substr(0, 4), "ab00");
  EXPECT_EQ(key->to_hex().size(), 64U);
  EXPECT_FALSE(key->is_zero());
  EXPECT_TRUE(PeerPublicKey{}.is_zero());
  EXPECT_FALSE(PeerPublicKey::from_bytes(std::span<const std::uint8_t>(bytes).first(31)).has_value());
  const std::vector prefixes{IpPrefix::parse("fd00::/8").value(), IpPrefix::parse("10.0.0.0/8").value(),
                             IpPrefix::parse("10.0.0.0/8").value(), IpPrefix::parse("10.0.0.0/16").value()};
  const auto canonical = canonical_prefixes(prefixes);
  ASSERT_EQ(canonical.size(), 3U);
  EXPECT_EQ(canonical[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(canonical[1].to_string(), "10.0.0.0/16");
  EXPECT_EQ(canonical[2].to_string(), "fd00::/8");
}

}  // namespace
}  // namespace rustynet::backend_api
