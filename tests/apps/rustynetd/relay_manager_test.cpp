// SPDX-License-Identifier: Apache-2.0
// RelayManager against an in-process loopback relay: endpoint substitution, forwarding, relay restart, unmarking,
// and the automatic relay of candidate peers (ManualClock, fake stats, real StateApplier re-apply).
#include "relay_manager.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <numeric>
#include <optional>
#include <thread>

#include "daemon_fixture.hpp"
#include "rustynet/backend_api/reference_packet_filter.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/crypto/subkey.hpp"
#include "rustynet/relay/relay_core.hpp"
#include "rustynet/relay/relay_server.hpp"
#include "rustynet/relay/udp_socket.hpp"
#include "state_applier.hpp"

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
  Node(const std::string& self, const base::Clock& clock, RelayTicketSource source, RelayManager::Options opts)
      : id(self),
        tunnel(relay::UdpSocket::bind(kLoopback).value()),
        manager(
            with_port(opts, tunnel.local_endpoint().value().port), clock, [](const std::string&) {},
            [] { return std::uint64_t{7}; }) {
    manager.set_ticket_source(std::move(source));
  }
  static RelayManager::Options with_port(RelayManager::Options opts, std::uint16_t port) {
    opts.tunnel_port = port;
    return opts;
  }
  static RelayManager::Options options(std::uint16_t port) {
    RelayManager::Options out;
    out.tunnel_port = port;
    out.auto_tick = milliseconds(0);
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

// ---- Automatic relay of candidate peers --------------------------------------------------------

constexpr auto kDirect = "192.0.2.7:51820";

// One node whose state gives n2 a relay candidate. The "applier" is a fake: reapply re-runs
// rewrite() on the same state (like StateApplier::reapply) and records the endpoint the backend
// would get; the observations are what the test says the backend reports.
class AutoRelayTest : public RelayManagerTest {
 protected:
  AutoRelayTest() : node_("n1", clock_, source_for("n1"), Node::options(0)) {
    state_ = candidate_state();
    node_.manager.set_auto_relay(
        [this]() -> DaemonResult<PeerObservations> {
          const std::lock_guard lock(mutex_);
          PeerObservations out;
          out["n2"] = PeerObservation{handshake_, roamed_.value_or(endpoint_), rx_};
          return out;
        },
        [this]() -> DaemonStatus {
          const std::lock_guard lock(mutex_);  // the daemon's lock, taken before the manager's
          ++reapplies_;
          return apply_locked();
        });
    const std::lock_guard lock(mutex_);
    EXPECT_TRUE(apply_locked().has_value());
  }

  [[nodiscard]] policy::NodeState candidate_state() const {
    auto state = state_for("n1", false);
    state.peers[0].relay_candidate =
        policy::RelayAssignment{"r1", policy::SocketAddress::parse(relay_address_).value()};
    return state;
  }

  DaemonStatus apply_locked() {
    auto desired = desired_state_from(state_, 25).value();
    RUSTYNET_RETURN_IF_ERROR(node_.manager.rewrite(state_, desired));
    endpoint_ = desired.peers.begin()->second.endpoint->to_string();
    roamed_.reset();  // configuring an endpoint replaces a learned one
    return {};
  }

  // Advances the clock and evaluates once (what the daemon's evaluation thread does every second).
  void step(std::chrono::nanoseconds by) {
    clock_.advance(by);
    node_.manager.evaluate_auto();
  }
  std::string endpoint() {
    const std::lock_guard lock(mutex_);
    return endpoint_;
  }
  int reapplies() {
    const std::lock_guard lock(mutex_);
    return reapplies_;
  }
  std::string mode() {
    const auto status = node_.manager.auto_snapshot();
    return status.size() == 1 ? status[0].mode : "none";
  }
  void handshake_now() {
    const std::lock_guard lock(mutex_);
    handshake_ = clock_.wall_now().value().seconds;
  }
  // Moves a candidate peer to the relay: 15 s without a handshake.
  void relay_by_timeout() {
    step(std::chrono::seconds(15));
    ASSERT_EQ(mode(), "relayed");
  }

  std::mutex mutex_;  // stands in for the daemon's mutex_
  Node node_;
  policy::NodeState state_;
  std::string endpoint_;
  std::optional<std::string> roamed_;  // an endpoint the "backend" learned from traffic
  std::optional<std::int64_t> handshake_;
  std::uint64_t rx_ = 0;
  int reapplies_ = 0;
};

TEST_F(AutoRelayTest, CandidateWithoutHandshakeIsRelayedAfter15SecondsNotBefore) {
  EXPECT_EQ(endpoint(), kDirect);  // starts direct: a candidate is not a mark
  EXPECT_EQ(mode(), "direct");
  EXPECT_TRUE(node_.manager.snapshot().empty());  // no link, no ticket yet
  step(std::chrono::seconds(14));
  step(std::chrono::milliseconds(999));
  EXPECT_EQ(endpoint(), kDirect);
  EXPECT_EQ(reapplies(), 0);
  EXPECT_EQ(node_.manager.relay_of("n2"), std::nullopt);
  step(std::chrono::milliseconds(1));  // 15 s
  EXPECT_EQ(mode(), "relayed");
  EXPECT_EQ(reapplies(), 1);
  const std::string link = endpoint();
  EXPECT_EQ(link.rfind("127.0.0.1:", 0), 0U) << link;
  EXPECT_EQ(node_.manager.relay_of("n2"), "r1");
  // The link fetches a ticket (control issues them for candidate pairs) and allocates.
  ASSERT_TRUE(node_.manager.wait_for_allocations("n2", 1, kWait));
  const auto links = node_.manager.snapshot();
  ASSERT_EQ(links.size(), 1U);
  EXPECT_EQ(links[0].reason, "auto");
  EXPECT_EQ(links[0].local_endpoint, link);
  EXPECT_EQ(node_.manager.auto_snapshot()[0].relayed, 1U);
  // A new state generation with the same candidate keeps the decision and the link.
  {
    const std::lock_guard lock(mutex_);
    ASSERT_TRUE(apply_locked().has_value());
  }
  EXPECT_EQ(endpoint(), link);
}

TEST_F(AutoRelayTest, HandshakeInTimeStaysDirectUntilTheSessionIsLost) {
  step(std::chrono::seconds(5));
  handshake_now();
  step(std::chrono::seconds(1));
  EXPECT_EQ(mode(), "direct-confirmed");
  step(std::chrono::seconds(30));  // well past 15 s: confirmed, stays direct
  EXPECT_EQ(endpoint(), kDirect);
  EXPECT_EQ(reapplies(), 0);
  // Handshakes renew (as a live session does every ~2 min); then they stop for > 200 s.
  step(std::chrono::seconds(100));
  handshake_now();
  step(std::chrono::seconds(200));
  EXPECT_EQ(mode(), "direct-confirmed");
  EXPECT_EQ(endpoint(), kDirect);
  step(std::chrono::seconds(1));
  EXPECT_EQ(mode(), "relayed");
  EXPECT_EQ(endpoint().rfind("127.0.0.1:", 0), 0U);
}

TEST_F(AutoRelayTest, SuccessfulProbeMovesBackToDirectAndClosesTheLink) {
  relay_by_timeout();
  const std::string link = endpoint();
  step(std::chrono::seconds(59));
  EXPECT_EQ(mode(), "relayed");
  step(std::chrono::seconds(1));  // 60 s relayed: probe
  EXPECT_EQ(mode(), "probing");
  EXPECT_EQ(endpoint(), kDirect);                               // the tunnel tries the direct endpoint...
  EXPECT_EQ(node_.manager.snapshot().at(0).reason, "probing");  // ...while the link stays up
  EXPECT_EQ(node_.manager.relay_of("n2"), std::nullopt);
  {
    const std::lock_guard lock(mutex_);
    rx_ = 1000;  // traffic counted before the switch took effect is no evidence
  }
  step(std::chrono::seconds(1));
  EXPECT_EQ(mode(), "probing");
  handshake_now();  // a handshake completes at the direct endpoint
  step(std::chrono::seconds(1));
  EXPECT_EQ(mode(), "direct-confirmed");
  EXPECT_EQ(endpoint(), kDirect);
  EXPECT_TRUE(node_.manager.snapshot().empty());
  EXPECT_EQ(node_.manager.auto_snapshot()[0].probes, 1U);
  step(std::chrono::minutes(2));
  EXPECT_EQ(endpoint(), kDirect);
  EXPECT_NE(endpoint(), link);
}

TEST_F(AutoRelayTest, TrafficFromTheDirectEndpointAlsoConfirmsAProbe) {
  relay_by_timeout();
  step(std::chrono::seconds(60));
  ASSERT_EQ(mode(), "probing");
  step(std::chrono::seconds(1));  // baseline
  {
    const std::lock_guard lock(mutex_);
    rx_ += 148;  // the peer answered, and the backend still reports the direct endpoint
  }
  step(std::chrono::seconds(1));
  EXPECT_EQ(mode(), "direct-confirmed");
  EXPECT_EQ(endpoint(), kDirect);
}

TEST_F(AutoRelayTest, FailedProbeStaysRelayedOnTheSameLinkAndProbesAgain) {
  relay_by_timeout();
  const std::string link = endpoint();
  ASSERT_TRUE(node_.manager.wait_for_allocations("n2", 1, kWait));
  step(std::chrono::seconds(60));
  ASSERT_EQ(mode(), "probing");
  step(std::chrono::seconds(14));
  EXPECT_EQ(mode(), "probing");
  step(std::chrono::seconds(1));  // 15 s without evidence
  EXPECT_EQ(mode(), "relayed");
  EXPECT_EQ(endpoint(), link);  // the same link: no new allocation needed
  EXPECT_EQ(node_.manager.relay_of("n2"), "r1");
  EXPECT_EQ(node_.manager.snapshot().at(0).allocations, 1U);
  // Next probe 60 s later; this time the peer shows up through the relay (the backend learned
  // the link's address): the probe fails at once.
  step(std::chrono::seconds(60));
  ASSERT_EQ(mode(), "probing");
  {
    const std::lock_guard lock(mutex_);
    roamed_ = link;
    rx_ += 500;
    handshake_ = clock_.wall_now().value().seconds;
  }
  step(std::chrono::seconds(1));
  EXPECT_EQ(mode(), "relayed");
  EXPECT_EQ(endpoint(), link);
  EXPECT_EQ(node_.manager.auto_snapshot()[0].probes, 2U);
}

TEST_F(AutoRelayTest, MarkedPeerIsNeverProbedOrUnmarkedLocally) {
  {
    const std::lock_guard lock(mutex_);
    state_ = state_for("n1", true);
    ASSERT_TRUE(apply_locked().has_value());
  }
  const std::string link = endpoint();
  EXPECT_EQ(link.rfind("127.0.0.1:", 0), 0U);
  EXPECT_TRUE(node_.manager.auto_snapshot().empty());
  handshake_now();
  for (int i = 0; i < 20; ++i) {
    step(std::chrono::seconds(30));
    handshake_now();
  }
  EXPECT_EQ(reapplies(), 0);
  EXPECT_EQ(endpoint(), link);
  EXPECT_EQ(node_.manager.relay_of("n2"), "r1");
  EXPECT_EQ(node_.manager.snapshot().at(0).reason, "marked");
}

TEST_F(AutoRelayTest, ControlDecidesOverTheCandidate) {
  relay_by_timeout();
  const std::string link = endpoint();
  {
    // Control marks the pair: the same relay, now as a mark; the link stays.
    const std::lock_guard lock(mutex_);
    state_ = state_for("n1", true);
    ASSERT_TRUE(apply_locked().has_value());
  }
  EXPECT_EQ(endpoint(), link);
  EXPECT_TRUE(node_.manager.auto_snapshot().empty());
  {
    // Control withdraws both: direct, no link, nothing left to decide.
    const std::lock_guard lock(mutex_);
    state_ = state_for("n1", false);
    ASSERT_TRUE(apply_locked().has_value());
  }
  EXPECT_EQ(endpoint(), kDirect);
  EXPECT_TRUE(node_.manager.snapshot().empty());
  step(std::chrono::minutes(5));
  EXPECT_EQ(endpoint(), kDirect);
  {
    // A candidate again: starts direct with a fresh 15 s.
    const std::lock_guard lock(mutex_);
    state_ = candidate_state();
    ASSERT_TRUE(apply_locked().has_value());
  }
  EXPECT_EQ(mode(), "direct");
  step(std::chrono::seconds(14));
  EXPECT_EQ(endpoint(), kDirect);
  step(std::chrono::seconds(1));
  EXPECT_EQ(mode(), "relayed");
}

TEST_F(AutoRelayTest, UnusableWallClockDecidesNothing) {
  clock_.set_wall_usable(false);
  step(std::chrono::minutes(2));
  EXPECT_EQ(mode(), "direct");
  EXPECT_EQ(endpoint(), kDirect);
  clock_.set_wall_usable(true);
  step(std::chrono::seconds(1));
  EXPECT_EQ(mode(), "relayed");
}

// The evaluation thread (auto_tick > 0) with a "sync loop" applying states concurrently under the
// same outer lock: decisions still happen, and lock order holds (TSan runs this binary).
TEST_F(RelayManagerTest, EvaluationThreadRelaysAndReappliesConcurrentlyWithStateUpdates) {
  auto options = Node::options(0);
  options.auto_tick = milliseconds(5);
  Node n1("n1", clock_, source_for("n1"), options);
  std::mutex daemon_mutex;
  auto state = state_for("n1", false);
  state.peers[0].relay_candidate = policy::RelayAssignment{"r1", policy::SocketAddress::parse(relay_address_).value()};
  std::string applied;
  const auto apply = [&]() -> DaemonStatus {
    auto desired = desired_state_from(state, 25).value();
    RUSTYNET_RETURN_IF_ERROR(n1.manager.rewrite(state, desired));
    applied = desired.peers.begin()->second.endpoint->to_string();
    return {};
  };
  {
    const std::lock_guard lock(daemon_mutex);
    ASSERT_TRUE(apply().has_value());
  }
  n1.manager.set_auto_relay(
      [&]() -> DaemonResult<PeerObservations> {
        const std::lock_guard lock(daemon_mutex);
        return PeerObservations{{"n2", PeerObservation{std::nullopt, applied, 0}}};
      },
      [&]() -> DaemonStatus {
        const std::lock_guard lock(daemon_mutex);
        return apply();
      });
  std::atomic<bool> done{false};
  std::thread sync([&] {
    while (!done.load()) {
      const std::lock_guard lock(daemon_mutex);
      EXPECT_TRUE(apply().has_value());
    }
  });
  clock_.advance(std::chrono::seconds(16));
  EXPECT_TRUE(n1.manager.wait_for_link(
      "n2", [](const RelayManager::LinkStatus& link) { return link.reason == "auto" && link.allocations >= 1; },
      kWait));
  done.store(true);
  sync.join();
  {
    const std::lock_guard lock(daemon_mutex);
    EXPECT_EQ(applied.rfind("127.0.0.1:", 0), 0U) << applied;
  }
  n1.manager.stop();  // joins the evaluation thread
}

// StateApplier::reapply with the real pipeline: a signed state with a candidate, accepted once;
// the automatic relay then moves the peer's endpoint in the backend without any new state.
TEST_F(RelayManagerTest, StateApplierReapplyMovesOnlyTheCandidateEndpoint) {
  testing::TempDir dir;
  const auto control = key_from(0x11);
  auto trust =
      crypto::TrustStore::initialize({dir.file("trust.state"), true, {}},
                                     crypto::derive_trust_state_mac_key(key_from(0x21)).value(), {control.public_key()})
          .value();
  auto owned = std::make_unique<testing::ScriptedBackend>();
  testing::ScriptedBackend& backend = *owned;
  base::SecretBytes key(32);
  std::fill(key.mutable_view().begin(), key.mutable_view().end(), std::uint8_t{7});
  TunnelRuntime runtime(std::move(owned), std::make_unique<backend_api::ReferencePacketFilter>(),
                        TunnelIdentity{backend_api::NodeId::parse("n1").value(), "rn0", 51820, 1420, std::move(key)});
  StateApplier applier(StateApplier::Options{"n1", dir.file("last"), 25}, trust, runtime, clock_);
  EXPECT_EQ(applier.reapply().value(), false);  // nothing accepted yet
  Node n1("n1", clock_, source_for("n1"));
  applier.set_endpoint_rewriter(
      [&](const policy::NodeState& state, DesiredState& desired) { return n1.manager.rewrite(state, desired); });
  auto state = make_state(
      "n1", "100.64.0.1",
      {TestPeer{"n2", "100.64.0.2", 2, "192.0.2.2:51820"}, TestPeer{"n3", "100.64.0.3", 3, "192.0.2.3:51820"}},
      rustynet::testing::kAllowAllPolicy);
  state.peers[0].relay_candidate = policy::RelayAssignment{"r1", policy::SocketAddress::parse(relay_address_).value()};
  const auto signed_state = testing::sign_pair(control, 5, state, rustynet::testing::kAllowAllPolicy);
  ASSERT_TRUE(applier.accept(signed_state.node_state, signed_state.policy).has_value());
  const auto endpoint_of = [&](const std::string& peer) {
    const auto stats = runtime.stats().value();
    for (const auto& p : stats.peers) {
      if (p.node_id.value() == peer) {
        return p.endpoint->to_string();
      }
    }
    return std::string("missing");
  };
  EXPECT_EQ(endpoint_of("n2"), "192.0.2.2:51820");
  n1.manager.set_auto_relay(
      [&]() -> DaemonResult<PeerObservations> {
        PeerObservations out;
        const auto stats = runtime.stats().value();
        for (const auto& p : stats.peers) {
          out[p.node_id.value()] = PeerObservation{p.last_handshake_unix_seconds, p.endpoint->to_string(), p.rx_bytes};
        }
        return out;
      },
      [&]() -> DaemonStatus { return applier.reapply().transform([](bool) {}); });
  const auto before = runtime.current();
  backend.reset_counts();
  clock_.advance(std::chrono::seconds(15));
  n1.manager.evaluate_auto();
  const std::string link = endpoint_of("n2");
  EXPECT_EQ(link.rfind("127.0.0.1:", 0), 0U) << link;
  EXPECT_EQ(endpoint_of("n3"), "192.0.2.3:51820");
  EXPECT_EQ(backend.configured, (std::map<std::string, int>{{"n2", 1}}));  // one peer reconfigured
  EXPECT_TRUE(backend.removed.empty());
  // Everything but n2's endpoint is exactly the verified state's translation.
  auto expected = before;
  expected.peers.begin()->second.endpoint = backend_api::SocketEndpoint::parse(link).value();
  EXPECT_TRUE(runtime.current() == expected);
  EXPECT_EQ(applier.applied_generation(), 5U);
  // A probe later: the backend reports traffic at the direct endpoint -> direct again.
  clock_.advance(std::chrono::seconds(60));
  n1.manager.evaluate_auto();
  EXPECT_EQ(endpoint_of("n2"), "192.0.2.2:51820");
  n1.manager.evaluate_auto();  // baseline
  backend.traffic["n2"] = {4096, 0};
  n1.manager.evaluate_auto();
  EXPECT_EQ(endpoint_of("n2"), "192.0.2.2:51820");
  EXPECT_TRUE(runtime.current() == before);
  EXPECT_TRUE(n1.manager.snapshot().empty());
}

}  // namespace
}  // namespace rustynet::apps::daemon
