// SPDX-License-Identifier: Apache-2.0
// RelayManager against an in-process loopback relay: endpoint substitution, forwarding, relay restart, unmarking.
#include "relay_manager.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <numeric>
#include <optional>
#include <thread>

#include "daemon_fixture.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/relay/relay_core.hpp"
#include "rustynet/relay/relay_server.hpp"
#include "rustynet/relay/udp_socket.hpp"

namespace rustynet::apps::daemon {
namespace {

using rustynet::testing::key_from;
using rustynet::testing::make_state;
using rustynet::testing::TestPeer;
using std::chrono::milliseconds;

constexpr milliseconds kWait{10'000};
const relay::RelayEndpoint kLoopback = relay::RelayEndpoint::parse("127.0.0.1:0").value();

class NullSink final : public relay::EventSink {
 public:
  void record(const relay::SecurityEvent& /*event*/) override {}
};

// A relay server on loopback, run on its own thread like the real service.
class LoopbackRelay {
 public:
  LoopbackRelay(const crypto::Ed25519PublicKey& control, const base::Clock& clock, relay::RelayEndpoint listen) {
    auto core = relay::RelayCore::create("r1", control, relay::RelayLimits{}, clock, sink_);
    EXPECT_TRUE(core.has_value());
    auto server = relay::RelayServer::create(listen, std::move(core).value(), clock);
    EXPECT_TRUE(server.has_value());
    server_.emplace(std::move(server).value());
    endpoint_ = server_->local_endpoint();
    thread_ = std::thread([this] { (void)server_->run(stop_); });
  }
  ~LoopbackRelay() { stop(); }
  LoopbackRelay(const LoopbackRelay&) = delete;
  LoopbackRelay& operator=(const LoopbackRelay&) = delete;
  LoopbackRelay(LoopbackRelay&&) = delete;
  LoopbackRelay& operator=(LoopbackRelay&&) = delete;

  // Joins the server thread; the counters may be read afterwards.
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  [[nodiscard]] const relay::RelayEndpoint& endpoint() const { return endpoint_; }
  [[nodiscard]] const relay::RelayCounters& counters() const { return server_->core().counters(); }

 private:
  NullSink sink_;
  std::optional<relay::RelayServer> server_;
  relay::RelayEndpoint endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One node: a UDP socket standing in for its tunnel, and its RelayManager.
struct Node {
  Node(const std::string& self, const base::Clock& clock, RelayTicketSource source)
      : id(self),
        tunnel(relay::UdpSocket::bind(kLoopback).value()),
        manager(
            options(tunnel.local_endpoint().value().port), clock, [](const std::string&) {},
            [] { return std::uint64_t{7}; }) {
    manager.set_ticket_source(std::move(source));
  }
  static RelayManager::Options options(std::uint16_t port) {
    RelayManager::Options out;
    out.tunnel_port = port;
    out.pump_interval = milliseconds(20);
    out.backoff_initial = milliseconds(20);
    out.backoff_max = milliseconds(100);
    return out;
  }
  std::string id;
  relay::UdpSocket tunnel;
  RelayManager manager;
};

class RelayManagerTest : public ::testing::Test {
 protected:
  // Issues tickets like control: one per side, holder named, the pair's session id.
  RelayTicketSource source_for(const std::string& self, std::string relay_id = "r1") {
    return [this, self, relay_id](const std::string& peer) -> DaemonResult<RelayTicketGrant> {
      ++tickets_issued_;
      crypto::RelayTicketClaims claims;
      claims.relay_id = relay_id;
      claims.session_id.fill(0x5a);
      claims.ticket_id.fill(0);
      claims.ticket_id[0] = static_cast<std::uint8_t>(tickets_issued_.load());
      claims.ticket_id[1] = static_cast<std::uint8_t>(self.back());
      claims.node_id = self;
      claims.peer_node_id = peer;
      claims.issued_at = clock_.wall_now().value().seconds;
      claims.expires_at = claims.issued_at + 120;
      auto ticket = crypto::issue_relay_ticket(control_key_, claims);
      if (!ticket.has_value()) {
        return daemon_fail(DaemonErrorKind::kControl, ticket.error().describe());
      }
      return RelayTicketGrant{relay_id, relay_address_, std::move(ticket).value(), claims.expires_at};
    };
  }

  // n1's or n2's node state with the other as its peer, relayed through the loopback relay when
  // `relayed`; the direct endpoint is a documentation address.
  [[nodiscard]] policy::NodeState state_for(const std::string& self, bool relayed) const {
    const std::string peer = self == "n1" ? "n2" : "n1";
    auto state = make_state(self, self == "n1" ? "100.64.0.1" : "100.64.0.2",
                            {TestPeer{peer, self == "n1" ? "100.64.0.2" : "100.64.0.1", 3, "192.0.2.7:51820"}},
                            rustynet::testing::kAllowAllPolicy);
    if (relayed) {
      state.peers[0].relay = policy::RelayAssignment{"r1", policy::SocketAddress::parse(relay_address_).value()};
    }
    return state;
  }

  // Applies the node state to `node`'s manager; returns the peer endpoint the backend would get.
  std::string rewrite(Node& node, bool relayed) {
    const auto state = state_for(node.id, relayed);
    auto desired = desired_state_from(state, 25).value();
    const auto status = node.manager.rewrite(state, desired);
    EXPECT_TRUE(status.has_value()) << status.error().describe();
    return desired.peers.begin()->second.endpoint->to_string();
  }

  // Sends `payload` from `from`'s tunnel to its link; expects it unchanged at `to`'s tunnel,
  // coming from `to`'s link (so the real tunnel's peer endpoint matches).
  static void expect_carried(Node& from, Node& to, const std::string& from_link, const std::string& to_link,
                             const std::vector<std::uint8_t>& payload) {
    ASSERT_TRUE(from.tunnel.send_to(relay::RelayEndpoint::parse(from_link).value(), payload).has_value());
    std::array<std::uint8_t, 2048> buffer{};
    auto got = to.tunnel.receive(buffer, kWait);
    ASSERT_TRUE(got.has_value() && got->has_value());
    EXPECT_EQ((*got)->source.to_string(), to_link);
    ASSERT_EQ((*got)->size, payload.size());
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), buffer.begin()));
  }

  rustynet::testing::ManualClock clock_;
  crypto::Ed25519SigningKey control_key_ = key_from(0x77);
  std::atomic<int> tickets_issued_{0};
  std::optional<LoopbackRelay> relay_{std::in_place, control_key_.public_key(), clock_, kLoopback};
  const std::string relay_address_ = relay_->endpoint().to_string();  // stays across a restart
};

TEST_F(RelayManagerTest, RelayedPeerPointsAtLocalLinkAndCarriesDatagramsBothWays) {
  Node n1("n1", clock_, source_for("n1"));
  Node n2("n2", clock_, source_for("n2"));
  const std::string link1 = rewrite(n1, true);
  const std::string link2 = rewrite(n2, true);
  EXPECT_EQ(link1.rfind("127.0.0.1:", 0), 0U) << link1;
  EXPECT_NE(link1, link2);
  EXPECT_EQ(n1.manager.relay_of("n2"), "r1");
  ASSERT_TRUE(n1.manager.wait_for_allocations("n2", 1, kWait));
  ASSERT_TRUE(n2.manager.wait_for_allocations("n1", 1, kWait));
  // Idempotent: the same state keeps the same link (no endpoint churn in the backend).
  EXPECT_EQ(rewrite(n1, true), link1);

  // 1420 bytes: a full-size tunnel datagram; then the other way.
  std::vector<std::uint8_t> big(1420);
  std::iota(big.begin(), big.end(), std::uint8_t{0});
  big[0] = 4;
  expect_carried(n1, n2, link1, link2, big);
  expect_carried(n2, n1, link2, link1, {1, 0, 0, 0, 42});

  const auto status = n1.manager.snapshot();
  ASSERT_EQ(status.size(), 1U);
  EXPECT_EQ(status[0].state, "active");
  EXPECT_EQ(status[0].relay_id, "r1");
  EXPECT_EQ(status[0].local_endpoint, link1);
  EXPECT_EQ(status[0].allocations, 1U);
  relay_->stop();
  EXPECT_GE(relay_->counters().forwarded_datagrams, 2U);
}

TEST_F(RelayManagerTest, RelayRestartIsSurvivedWithFreshTicketsOnTheSameLocalEndpoint) {
  Node n1("n1", clock_, source_for("n1"));
  Node n2("n2", clock_, source_for("n2"));
  const std::string link1 = rewrite(n1, true);
  const std::string link2 = rewrite(n2, true);
  ASSERT_TRUE(n1.manager.wait_for_allocations("n2", 1, kWait));
  ASSERT_TRUE(n2.manager.wait_for_allocations("n1", 1, kWait));
  expect_carried(n1, n2, link1, link2, {4, 0, 0, 0, 1});
  const int tickets_before = tickets_issued_.load();

  // The relay restarts on the same address and forgets every session.
  const relay::RelayEndpoint address = relay_->endpoint();
  relay_.reset();
  relay_.emplace(control_key_.public_key(), clock_, address);
  // The links hear nothing for dead_after: they fetch new tickets and allocate again.
  clock_.advance(RelayManager::Options{}.dead_after + std::chrono::seconds(1));
  ASSERT_TRUE(n1.manager.wait_for_allocations("n2", 2, kWait));
  ASSERT_TRUE(n2.manager.wait_for_allocations("n1", 2, kWait));
  EXPECT_GE(tickets_issued_.load(), tickets_before + 2);
  // The tunnel endpoints did not change, and traffic flows again.
  EXPECT_EQ(rewrite(n1, true), link1);
  expect_carried(n1, n2, link1, link2, {4, 0, 0, 0, 2});
  expect_carried(n2, n1, link2, link1, {4, 0, 0, 0, 3});
}

TEST_F(RelayManagerTest, UnmarkedPeerGoesBackToItsDirectEndpointAndTheLinkCloses) {
  Node n1("n1", clock_, source_for("n1"));
  const std::string link1 = rewrite(n1, true);
  ASSERT_TRUE(n1.manager.wait_for_allocations("n2", 1, kWait));
  EXPECT_EQ(rewrite(n1, false), "192.0.2.7:51820");
  EXPECT_EQ(n1.manager.relay_of("n2"), std::nullopt);
  EXPECT_TRUE(n1.manager.snapshot().empty());
  // Marked again: a new link (the old one's sockets are gone).
  const std::string again = rewrite(n1, true);
  EXPECT_EQ(again.rfind("127.0.0.1:", 0), 0U);
  ASSERT_TRUE(n1.manager.wait_for_allocations("n2", 1, kWait));
}

TEST_F(RelayManagerTest, TicketForAnotherRelayIsNotUsedAndStopIsPrompt) {
  Node n1("n1", clock_, source_for("n1", "r-other"));
  (void)rewrite(n1, true);
  ASSERT_TRUE(n1.manager.wait_for_link(
      "n2", [](const RelayManager::LinkStatus& link) { return !link.last_error.empty(); }, kWait));
  const auto status = n1.manager.snapshot();
  ASSERT_EQ(status.size(), 1U);
  EXPECT_EQ(status[0].allocations, 0U);
  EXPECT_NE(status[0].last_error.find("r-other"), std::string::npos) << status[0].last_error;
  EXPECT_GE(tickets_issued_.load(), 1);
  const auto before = std::chrono::steady_clock::now();
  n1.manager.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
  // Stopped: no new links.
  const auto state = state_for("n1", true);
  auto desired = desired_state_from(state, 25).value();
  EXPECT_FALSE(n1.manager.rewrite(state, desired).has_value());
}

TEST_F(RelayManagerTest, TicketFailureBacksOffAndRecovers) {
  std::atomic<int> failures{3};
  auto good = source_for("n1");
  Node n1("n1", clock_, [&](const std::string& peer) -> DaemonResult<RelayTicketGrant> {
    if (failures.fetch_sub(1) > 0) {
      return daemon_fail(DaemonErrorKind::kControl, "control answered HTTP 503");
    }
    return good(peer);
  });
  (void)rewrite(n1, true);
  ASSERT_TRUE(n1.manager.wait_for_allocations("n2", 1, kWait));
  EXPECT_LE(failures.load(), 0);
}

}  // namespace
}  // namespace rustynet::apps::daemon
