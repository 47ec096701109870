// SPDX-License-Identifier: Apache-2.0
// ReferenceBackend specifics (options, reported values) and TunnelBackend's default batched form.
// The contract itself is checked by tests/backend_contract for every backend.
#include "rustynet/backend_api/reference_backend.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace rustynet::backend_api {
namespace {

RuntimeContext context() {
  RuntimeContext c{NodeId::parse("me").value(), "rn0", {InterfaceAddress::parse("100.64.0.1/10").value()}, 51820, 1420,
                   base::SecretBytes(32)};
  c.tunnel_private_key.mutable_view()[5] = 42;
  return c;
}

PeerConfig peer(const char* name, std::uint8_t key) {
  PeerConfig p{
      NodeId::parse(name).value(), PeerPublicKey{}, SocketEndpoint::parse("192.0.2.1:51820").value(), {}, std::nullopt};
  p.public_key.bytes[0] = key;
  return p;
}

TEST(ReferenceBackendTest, NameAndCapabilitiesComeFromOptions) {
  const ReferenceBackend defaults;
  EXPECT_EQ(defaults.name(), "memory");
  EXPECT_EQ(defaults.capabilities(), (BackendCapabilities{true, true, true, true}));
  const ReferenceBackend custom(ReferenceBackendOptions{"dry-run", BackendCapabilities{.supports_ipv6 = true}});
  EXPECT_EQ(custom.name(), "dry-run");
  EXPECT_EQ(custom.capabilities(), BackendCapabilities{.supports_ipv6 = true});
}

TEST(ReferenceBackendTest, ReportsConfiguredStateWithZeroCounters) {
  ReferenceBackend backend;
  ASSERT_TRUE(backend.start(context()).has_value());
  PeerConfig a = peer("Peer-A", 1);
  a.allowed_prefixes = {IpPrefix::parse("10.2.0.0/16").value(), IpPrefix::parse("10.1.0.0/16").value()};
  a.persistent_keepalive_seconds = 25;
  ASSERT_TRUE(backend.configure_peer(a).has_value());
  ASSERT_TRUE(
      backend.apply_routes(std::vector{Route{IpPrefix::parse("10.9.0.0/16").value(), a.node_id, RouteKind::kLan}})
          .has_value());
  ASSERT_TRUE(backend.set_exit_mode(ExitMode::via(a.node_id)).has_value());
  const auto stats = backend.stats();
  ASSERT_TRUE(stats.has_value());
  ASSERT_EQ(stats->peers.size(), 1U);
  const PeerStats& p = stats->peers[0];
  EXPECT_EQ(p.node_id.value(), "peer-a");
  EXPECT_EQ(p.public_key, a.public_key);
  EXPECT_EQ(p.endpoint, a.endpoint);
  EXPECT_EQ(p.allowed_prefixes, canonical_prefixes(a.allowed_prefixes));
  EXPECT_EQ(p.persistent_keepalive_seconds, 25);
  EXPECT_EQ(p.rx_bytes, 0U);
  EXPECT_EQ(p.tx_bytes, 0U);
  EXPECT_FALSE(p.last_handshake_unix_seconds.has_value());
  EXPECT_EQ(stats->routes.size(), 1U);
  EXPECT_EQ(stats->exit_mode, ExitMode::via(a.node_id));
  EXPECT_EQ(stats->total_rx_bytes, 0U);
  const std::string printed = testing::PrintToString(*stats);
  EXPECT_NE(printed.find("10.9.0.0/16 via peer-a (lan)"), std::string::npos) << printed;
}

TEST(ReferenceBackendTest, BatchErrorNamesTheFailingIndex) {
  ReferenceBackend backend;
  ASSERT_TRUE(backend.start(context()).has_value());
  const std::vector batch{peer("a", 1), peer("b", 2), peer("c", 1)};
  const auto status = backend.configure_peers(batch);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().kind, BackendErrorKind::kInvalidInput);
  EXPECT_NE(status.error().message.find("peers[2]"), std::string::npos) << status.error().message;
}

// Uses TunnelBackend's default configure_peers (does not override it).
class DefaultBatchBackend final : public TunnelBackend {
 public:
  [[nodiscard]] std::string_view name() const override { return inner_.name(); }
  [[nodiscard]] BackendCapabilities capabilities() const override { return inner_.capabilities(); }
  BackendStatus start(const RuntimeContext& c) override { return inner_.start(c); }
  BackendStatus configure_peer(const PeerConfig& p) override {
    ++single_calls;
    return inner_.configure_peer(p);
  }
  BackendStatus remove_peer(const NodeId& n) override { return inner_.remove_peer(n); }
  BackendStatus apply_routes(std::span<const Route> r) override { return inner_.apply_routes(r); }
  BackendStatus set_exit_mode(const ExitMode& m) override { return inner_.set_exit_mode(m); }
  BackendResult<TunnelStats> stats() override { return inner_.stats(); }
  BackendStatus shutdown() override { return inner_.shutdown(); }

  int single_calls = 0;

 private:
  ReferenceBackend inner_;
};

TEST(TunnelBackendTest, DefaultBatchIsTheSequenceOfSingleCalls) {
  DefaultBatchBackend backend;
  EXPECT_EQ(backend.configure_peers({}).error().kind, BackendErrorKind::kNotRunning);
  ASSERT_TRUE(backend.start(context()).has_value());
  EXPECT_TRUE(backend.configure_peers({}).has_value());
  const std::vector batch{peer("a", 1), peer("b", 2), peer("c", 1), peer("d", 4)};
  const auto status = backend.configure_peers(batch);
  ASSERT_FALSE(status.has_value());
  EXPECT_NE(status.error().message.find("peers[2]"), std::string::npos);
  EXPECT_EQ(backend.single_calls, 3);  // stopped at the failing element
  const auto stats = backend.stats();
  ASSERT_TRUE(stats.has_value());
  ASSERT_EQ(stats->peers.size(), 2U);
  EXPECT_EQ(stats->peers[0].node_id.value(), "a");
  EXPECT_EQ(stats->peers[1].node_id.value(), "b");
}

TEST(ReferenceBackendTest, UsableThroughTheInterface) {
  std::unique_ptr<TunnelBackend> backend = std::make_unique<ReferenceBackend>();
  ASSERT_TRUE(backend->start(context()).has_value());
  EXPECT_EQ(backend->start(context()).error().kind, BackendErrorKind::kAlreadyRunning);
  ASSERT_TRUE(backend->shutdown().has_value());
  EXPECT_EQ(backend->shutdown().error().kind, BackendErrorKind::kNotRunning);
}

}  // namespace
}  // namespace rustynet::backend_api
