// SPDX-License-Identifier: Apache-2.0
// UDP GSO/GRO batching against the real kernel on loopback, and the relay server and node links with the
// offloads on and off: the same bytes in the same order, the same counters, admission per datagram.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <numeric>
#include <optional>
#include <vector>

#include "batch_io.hpp"
#include "manual_clock.hpp"
#include "relay_test_support.hpp"
#include "rustynet/base/unique_fd.hpp"
#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/relay_link.hpp"
#include "rustynet/relay/relay_server.hpp"
#include "rustynet/relay/udp_socket.hpp"
#include "socket_address.hpp"

namespace rustynet::relay {
namespace {

using Datagram = std::vector<std::uint8_t>;
using std::chrono::milliseconds;

const RelayEndpoint kLoopback = RelayEndpoint::parse("127.0.0.1:0").value();

// Distinct, non-control content per (seed, size): a datagram delivered to the wrong place or cut shows.
Datagram pattern(std::size_t size, std::uint32_t seed) {
  Datagram out(size);
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = static_cast<std::uint8_t>((seed * 131U + i * 7U + (i >> 8U)) & 0xFFU);
  }
  if (!out.empty()) {
    out[0] = 4;  // a tunnel-like first byte, never the relay's control magic
  }
  return out;
}

std::vector<Datagram> make_datagrams(const std::vector<std::size_t>& sizes, std::uint32_t seed) {
  std::vector<Datagram> out;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    out.push_back(pattern(sizes[i], seed + static_cast<std::uint32_t>(i)));
  }
  return out;
}

std::vector<std::size_t> repeat(std::size_t size, std::size_t count) { return std::vector<std::size_t>(count, size); }

std::vector<std::size_t> concat(std::initializer_list<std::vector<std::size_t>> parts) {
  std::vector<std::size_t> out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

// Every datagram `fd` receives, one recvfrom each (no GRO on it), until nothing arrives for `quiet`.
std::vector<Datagram> drain(int fd, milliseconds first = milliseconds(500), milliseconds quiet = milliseconds(50)) {
  std::vector<Datagram> out;
  Datagram buffer(70'000);
  milliseconds wait = first;
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(wait.count())) <= 0) {
      return out;
    }
    const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got < 0) {
      return out;
    }
    out.emplace_back(buffer.begin(), buffer.begin() + got);
    wait = quiet;
  }
}

// Compares datagram lists, reporting the first difference compactly (not every byte of both lists).
::testing::AssertionResult same(const std::vector<Datagram>& actual, const std::vector<Datagram>& expected) {
  for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    if (actual[i] != expected[i]) {
      return ::testing::AssertionFailure() << "datagram " << i << " differs (" << actual[i].size()
                                           << " bytes, expected " << expected[i].size() << ")";
    }
  }
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure() << actual.size() << " datagrams, expected " << expected.size();
  }
  return ::testing::AssertionSuccess();
}

// A loopback socket with room for large bursts (the test's bursts must not meet the default buffer).
UdpSocket roomy_socket() {
  UdpSocket socket = UdpSocket::bind(kLoopback).value();
  socket.set_buffer_sizes(4 << 20);
  return socket;
}

detail::SocketAddress address_of(const RelayEndpoint& endpoint, socklen_t& length) {
  detail::SocketAddress address{};
  length = detail::to_socket_address(endpoint, address);
  return address;
}

// Sends `datagrams` to `to` through a SendBatch (GSO as asked) in one flush; they must outlive the call.
detail::SendBatch::Stats send_all(int fd, std::vector<Datagram>& datagrams, const RelayEndpoint& to, bool gso) {
  detail::SendBatch batch(64);
  batch.set_gso(gso && detail::gso_supported(fd));
  socklen_t length = 0;
  const auto address = address_of(to, length);
  for (auto& d : datagrams) {
    batch.add(fd, d, address, length);
  }
  batch.flush(fd);
  EXPECT_EQ(batch.take_failed(), 0U);
  return batch.stats();
}

bool kernel_has_gso() {
  const UdpSocket probe = UdpSocket::bind(kLoopback).value();
  return detail::gso_supported(probe.fd());
}

// ---- for_each_segment ------------------------------------------------------------------------------

std::vector<std::size_t> segment_sizes(std::size_t payload, std::size_t segment) {
  std::vector<std::uint8_t> bytes(payload);
  std::vector<std::size_t> sizes;
  detail::for_each_segment(bytes, segment, [&](std::span<std::uint8_t> s) { sizes.push_back(s.size()); });
  return sizes;
}

TEST(ForEachSegmentTest, SplitsLikeTheKernelCoalesces) {
  EXPECT_EQ(segment_sizes(10, 0), (std::vector<std::size_t>{10}));
  EXPECT_EQ(segment_sizes(10, 3), (std::vector<std::size_t>{3, 3, 3, 1}));
  EXPECT_EQ(segment_sizes(10, 5), (std::vector<std::size_t>{5, 5}));
  EXPECT_EQ(segment_sizes(10, 10), (std::vector<std::size_t>{10}));
  EXPECT_EQ(segment_sizes(10, 64), (std::vector<std::size_t>{10}));
  EXPECT_EQ(segment_sizes(0, 3), (std::vector<std::size_t>{0}));  // an empty datagram is still one
}

// ---- SendBatch / ReceiveBatch against the kernel ----------------------------------------------------

class SendBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kernel_has_gso()) {
      GTEST_SKIP() << "kernel without UDP_SEGMENT (Linux < 4.18)";
    }
  }
  UdpSocket sender_ = roomy_socket();
  UdpSocket receiver_ = roomy_socket();
};

TEST_F(SendBatchTest, CoalescesEqualSizeRunsAndKeepsOrder) {
  // Runs: [1000 x10, 300] | [1000 x2] | [1200] | [0] | [7, 7] -> five messages, three of them GSO.
  auto datagrams = make_datagrams(concat({repeat(1000, 10), {300, 1000, 1000, 1200, 0, 7, 7}}), 1);
  const auto stats = send_all(sender_.fd(), datagrams, receiver_.local_endpoint().value(), true);
  EXPECT_EQ(stats.messages, 5U);
  EXPECT_EQ(stats.gso_messages, 3U);
  EXPECT_EQ(stats.gso_fallbacks, 0U);
  EXPECT_TRUE(same(drain(receiver_.fd()), datagrams));
}

TEST_F(SendBatchTest, WithoutGsoEveryDatagramIsItsOwnMessage) {
  auto datagrams = make_datagrams(concat({repeat(1000, 10), {300, 1000}}), 2);
  const auto stats = send_all(sender_.fd(), datagrams, receiver_.local_endpoint().value(), false);
  EXPECT_EQ(stats.messages, datagrams.size());
  EXPECT_EQ(stats.gso_messages, 0U);
  EXPECT_TRUE(same(drain(receiver_.fd()), datagrams));
}

TEST_F(SendBatchTest, NeverMergesAcrossAddressesAndKeepsEachAddressInOrder) {
  const UdpSocket other = roomy_socket();
  socklen_t length_b = 0;
  socklen_t length_c = 0;
  const auto b = address_of(receiver_.local_endpoint().value(), length_b);
  const auto c = address_of(other.local_endpoint().value(), length_c);
  auto for_b = make_datagrams(repeat(500, 6), 10);
  auto for_c = make_datagrams(repeat(500, 6), 20);
  detail::SendBatch batch(64);
  batch.set_gso(true);
  for (std::size_t i = 0; i < 6; ++i) {  // b c b c ...: each joins its own address's message
    batch.add(sender_.fd(), for_b[i], b, length_b);
    batch.add(sender_.fd(), for_c[i], c, length_c);
  }
  batch.flush(sender_.fd());
  EXPECT_EQ(batch.take_failed(), 0U);
  EXPECT_EQ(batch.stats().messages, 2U);
  EXPECT_TRUE(same(drain(receiver_.fd()), for_b));
  EXPECT_TRUE(same(drain(other.fd()), for_c));
}

TEST_F(SendBatchTest, ReplyBetweenDatagramsToTheSameAddressStartsANewMessage) {
  socklen_t length = 0;
  const auto to = address_of(receiver_.local_endpoint().value(), length);
  auto datagrams = make_datagrams({800, 800, 7, 800, 800}, 30);
  detail::SendBatch batch(64);
  batch.set_gso(true);
  batch.add(sender_.fd(), datagrams[0], to, length);
  batch.add(sender_.fd(), datagrams[1], to, length);
  batch.add(sender_.fd(), datagrams[2], to, length, /*coalesce=*/false);
  batch.add(sender_.fd(), datagrams[3], to, length);
  batch.add(sender_.fd(), datagrams[4], to, length);
  batch.flush(sender_.fd());
  EXPECT_EQ(batch.stats().messages, 3U);
  EXPECT_TRUE(same(drain(receiver_.fd()), datagrams));
}

TEST_F(SendBatchTest, RespectsTheKernelSegmentAndSizeLimits) {
  // 1400-byte datagrams: 46 fit under 65507 bytes (47 would not) -> 46 + 46 + 8.
  auto large = make_datagrams(repeat(1400, 100), 40);
  auto stats = send_all(sender_.fd(), large, receiver_.local_endpoint().value(), true);
  EXPECT_EQ(stats.messages, 3U);
  EXPECT_TRUE(same(drain(receiver_.fd()), large));
  // 100-byte datagrams: at most 64 segments per message -> 64 + 64 + 64 + 8.
  auto small = make_datagrams(repeat(100, 200), 41);
  stats = send_all(sender_.fd(), small, receiver_.local_endpoint().value(), true);
  EXPECT_EQ(stats.messages, 4U);
  EXPECT_TRUE(same(drain(receiver_.fd()), small));
}

TEST_F(SendBatchTest, MoreMessagesThanTheBatchHoldsAreFlushedOnTheWay) {
  // 4-message batch, alternating sizes (no two neighbours coalesce): add() flushes when full.
  socklen_t length = 0;
  const auto to = address_of(receiver_.local_endpoint().value(), length);
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < 30; ++i) {
    sizes.push_back(i % 2 == 0 ? 600 : 700);
  }
  auto datagrams = make_datagrams(sizes, 50);
  detail::SendBatch batch(4);
  batch.set_gso(true);
  for (auto& d : datagrams) {
    batch.add(sender_.fd(), d, to, length);
  }
  batch.flush(sender_.fd());
  EXPECT_EQ(batch.take_failed(), 0U);
  EXPECT_TRUE(same(drain(receiver_.fd()), datagrams));
}

TEST_F(SendBatchTest, SizeRefusalFallsBackPerDatagramAndStopsCoalescingThatSize) {
  // The kernel refuses GSO on a socket that does not checksum (EINVAL): the run is resent datagram by
  // datagram, and runs of that size or larger are no longer coalesced.
  const int one = 1;
  ASSERT_EQ(::setsockopt(sender_.fd(), SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)), 0);
  socklen_t length = 0;
  const auto to = address_of(receiver_.local_endpoint().value(), length);
  auto first = make_datagrams(repeat(800, 5), 60);
  auto second = make_datagrams(repeat(800, 5), 70);
  detail::SendBatch batch(64);
  batch.set_gso(true);
  for (auto& d : first) {
    batch.add(sender_.fd(), d, to, length);
  }
  batch.flush(sender_.fd());
  EXPECT_EQ(batch.take_failed(), 0U);
  EXPECT_EQ(batch.stats().gso_fallbacks, 1U);
  EXPECT_TRUE(batch.gso());
  EXPECT_TRUE(same(drain(receiver_.fd()), first));
  for (auto& d : second) {
    batch.add(sender_.fd(), d, to, length);
  }
  batch.flush(sender_.fd());
  EXPECT_EQ(batch.stats().gso_fallbacks, 1U);  // 800-byte runs are not tried again
  EXPECT_EQ(batch.stats().gso_messages, 0U);
  EXPECT_TRUE(same(drain(receiver_.fd()), second));
}

TEST_F(SendBatchTest, DeviceRefusalDisablesCoalescingAndLosesNothing) {
  // UDP-Lite cannot be segmented by the kernel (EIO): a real refusal of the kind a device or path without
  // checksum offload gives. Everything still arrives, and coalescing is off for the socket afterwards.
  base::UniqueFd lite_sender(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDPLITE));
  base::UniqueFd lite_receiver(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDPLITE));
  if (!lite_sender.valid() || !lite_receiver.valid()) {
    GTEST_SKIP() << "kernel without UDP-Lite";
  }
  socklen_t length = 0;
  auto bind_at = address_of(kLoopback, length);
  ASSERT_EQ(::bind(lite_receiver.get(), &bind_at.generic, length), 0);
  detail::SocketAddress to{};
  socklen_t to_length = sizeof(to);
  ASSERT_EQ(::getsockname(lite_receiver.get(), &to.generic, &to_length), 0);
  auto datagrams = make_datagrams(repeat(900, 6), 80);
  detail::SendBatch batch(64);
  batch.set_gso(detail::gso_supported(lite_sender.get()));
  ASSERT_TRUE(batch.gso());
  for (auto& d : datagrams) {
    batch.add(lite_sender.get(), d, to, to_length);
  }
  batch.flush(lite_sender.get());
  EXPECT_EQ(batch.take_failed(), 0U);
  EXPECT_EQ(batch.stats().gso_fallbacks, 1U);
  EXPECT_FALSE(batch.gso());
  EXPECT_TRUE(same(drain(lite_receiver.get()), datagrams));
}

TEST_F(SendBatchTest, UnreachableDestinationCountsEveryDatagramOfTheRun) {
  // IPv4 socket, IPv6 destination: the kernel refuses the message; all its datagrams count as failed.
  socklen_t length = 0;
  const auto to = address_of(RelayEndpoint::parse("[::1]:9").value(), length);
  auto datagrams = make_datagrams(repeat(500, 4), 90);
  detail::SendBatch batch(64);
  batch.set_gso(true);
  for (auto& d : datagrams) {
    batch.add(sender_.fd(), d, to, length);
  }
  batch.flush(sender_.fd());
  EXPECT_EQ(batch.take_failed(), 4U);
}

TEST_F(SendBatchTest, GroReceiveGivesTheRunAndItsSegmentSize) {
  if (!detail::enable_gro(receiver_.fd())) {
    GTEST_SKIP() << "kernel without UDP_GRO (Linux < 5.0)";
  }
  auto datagrams = make_datagrams(concat({repeat(1200, 20), {100}}), 100);
  const auto stats = send_all(sender_.fd(), datagrams, receiver_.local_endpoint().value(), true);
  EXPECT_EQ(stats.gso_messages, 1U);
  pollfd pfd{receiver_.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 1000), 1);
  detail::ReceiveBatch rx(8, detail::kMaxUdpPayload);
  const int got = rx.receive(receiver_.fd());
  ASSERT_GE(got, 1);
  std::vector<Datagram> received;
  std::size_t coalesced = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
    ASSERT_FALSE(rx.truncated(i));
    coalesced += rx.segment_size(i) == 1200 ? 1U : 0U;
    detail::for_each_segment(rx.payload(i), rx.segment_size(i),
                             [&](std::span<std::uint8_t> d) { received.emplace_back(d.begin(), d.end()); });
  }
  EXPECT_EQ(coalesced, 1U);  // loopback keeps a GSO send whole up to a GRO socket
  EXPECT_TRUE(same(received, datagrams));
}

// ---- RelayServer with the offloads on and off ----------------------------------------------------

class RelayServerOffloadTest : public ::testing::TestWithParam<bool> {
 protected:
  bool offload() const { return GetParam(); }

  void start(const RelayLimits& limits = RelayLimits{}) {
    auto core = RelayCore::create("relay-1", issuer_.public_key(), limits, clock_, sink_);
    ASSERT_TRUE(core.has_value()) << core.error();
    auto server = RelayServer::create(kLoopback, std::move(core).value(), clock_, UdpOffload{offload(), offload()});
    ASSERT_TRUE(server.has_value()) << server.error().describe();
    server_.emplace(std::move(server).value());
    relay_ = server_->local_endpoint();
    EXPECT_EQ(server_->io_stats().gro_enabled, offload());
    EXPECT_EQ(server_->io_stats().gso_enabled, offload() && kernel_has_gso());
  }

  void pump() {
    ASSERT_TRUE(server_->poll_once(milliseconds(200)).has_value());
    while (server_->poll_once(milliseconds(0)).value_or(0) > 0) {
    }
  }

  ServerMessage exchange(const UdpSocket& socket, std::span<const std::uint8_t> datagram) {
    EXPECT_TRUE(socket.send_to(relay_, datagram).has_value());
    pump();
    std::array<std::uint8_t, 512> buffer{};
    auto got = socket.receive(buffer, milliseconds(500));
    EXPECT_TRUE(got.has_value() && got->has_value());
    if (!got.has_value() || !got->has_value()) {
      return {};
    }
    auto parsed = parse_server_message(std::span<const std::uint8_t>(buffer).first((*got)->size));
    return parsed.has_value() ? *parsed : ServerMessage{};
  }

  // Binds `a` and `b` as the two sides of session `tag`.
  void bind_pair(const UdpSocket& a, const UdpSocket& b, std::uint8_t tag, const std::string& na,
                 const std::string& nb) {
    const auto wall = clock_.wall_now().value().seconds;
    for (const auto& [socket, node, peer] : {std::tuple{&a, na, nb}, std::tuple{&b, nb, na}}) {
      const auto ticket = issuer_.issue(node, peer, testing::session_id(tag), wall);
      const auto cookie = exchange(*socket, build_hello(ticket, Cookie{}).value());
      ASSERT_EQ(cookie.type, MessageType::kCookie);
      ASSERT_EQ(exchange(*socket, build_hello(ticket, cookie.cookie).value()).type, MessageType::kAccept);
    }
  }

  rustynet::testing::ManualClock clock_;
  testing::RecordingSink sink_;
  testing::TicketIssuer issuer_{1};
  std::optional<RelayServer> server_;
  RelayEndpoint relay_;
  UdpSocket a_ = roomy_socket();
  UdpSocket b_ = roomy_socket();
};

TEST_P(RelayServerOffloadTest, MixedBurstsBothWaysArriveByteForByteInOrder) {
  start();
  bind_pair(a_, b_, 1, "node-a", "node-b");
  const auto before = server_->core().counters();
  // Tunnel-like traffic: full-size runs, short acks, a shorter tail, sizes 1..1500, a large burst.
  auto forward = make_datagrams(
      concat({repeat(1452, 40), {96, 96, 96}, repeat(1452, 20), {60, 1, 1500, 1280}, repeat(148, 70), {32}}), 200);
  auto back = make_datagrams(concat({repeat(96, 50), {1452, 1452, 500}, repeat(1420, 9)}), 300);
  const auto sent_a = send_all(a_.fd(), forward, relay_, offload());
  const auto sent_b = send_all(b_.fd(), back, relay_, offload());
  EXPECT_EQ(sent_a.gso_messages > 0, offload());
  EXPECT_EQ(sent_b.gso_messages > 0, offload());
  pump();
  EXPECT_TRUE(same(drain(b_.fd()), forward));
  EXPECT_TRUE(same(drain(a_.fd()), back));
  const auto& counters = server_->core().counters();
  const std::size_t total = forward.size() + back.size();
  std::size_t bytes = 0;
  for (const auto* list : {&forward, &back}) {
    for (const auto& d : *list) {
      bytes += d.size();
    }
  }
  EXPECT_EQ(counters.rx_datagrams - before.rx_datagrams, total);
  EXPECT_EQ(counters.forwarded_datagrams - before.forwarded_datagrams, total);
  EXPECT_EQ(counters.forwarded_bytes - before.forwarded_bytes, bytes);
  EXPECT_EQ(counters.send_errors, 0U);
  const auto io = server_->io_stats();
  if (offload()) {
    EXPECT_LT(io.received_messages, io.received_datagrams);  // GRO: runs arrived whole
    EXPECT_GT(io.gso_messages, 0U);                          // and left whole
  } else {
    EXPECT_EQ(io.received_messages, io.received_datagrams);
    EXPECT_EQ(io.gso_messages, 0U);
  }
}

TEST_P(RelayServerOffloadTest, RateLimitsApplyToEveryDatagramOfARun) {
  RelayLimits limits;
  limits.per_source_packets_per_second = 10;  // burst 10; the manual clock never refills it
  start(limits);
  bind_pair(a_, b_, 1, "node-a", "node-b");
  auto run = make_datagrams(repeat(500, 30), 400);
  (void)send_all(a_.fd(), run, relay_, offload());
  pump();
  const auto delivered = drain(b_.fd());
  EXPECT_TRUE(same(delivered, std::vector<Datagram>(run.begin(), run.begin() + 10)));
  EXPECT_EQ(server_->core().counters().forwarded_datagrams, 10U);
  EXPECT_EQ(server_->core().counters().dropped_session_rate, 20U);
}

TEST_P(RelayServerOffloadTest, ControlMessageEndingARunIsHandledOnItsOwn) {
  start();
  bind_pair(a_, b_, 1, "node-a", "node-b");
  auto run = make_datagrams(repeat(1000, 5), 500);
  const auto keepalive = build_keepalive();
  run.emplace_back(keepalive.begin(), keepalive.end());  // shorter tail: same GSO message when coalescing
  const auto stats = send_all(a_.fd(), run, relay_, offload());
  EXPECT_EQ(stats.messages, offload() ? 1U : 6U);
  pump();
  EXPECT_TRUE(same(drain(b_.fd()), std::vector<Datagram>(run.begin(), run.begin() + 5)));
  const auto answer = drain(a_.fd());
  ASSERT_EQ(answer.size(), 1U);
  const auto ack = parse_server_message(answer[0]);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->type, MessageType::kKeepaliveAck);
  EXPECT_EQ(server_->core().counters().keepalives, 1U);
  EXPECT_EQ(server_->core().counters().forwarded_datagrams, 5U);
}

TEST_P(RelayServerOffloadTest, TwoSessionsInterleavedNeverMix) {
  start();
  const UdpSocket c = roomy_socket();
  const UdpSocket d = roomy_socket();
  bind_pair(a_, b_, 1, "node-a", "node-b");
  bind_pair(c, d, 2, "node-c", "node-d");
  // Same size from both sessions, sent alternately so the relay's batches interleave them.
  auto from_a = make_datagrams(repeat(1200, 30), 600);
  auto from_c = make_datagrams(repeat(1200, 30), 700);
  for (std::size_t i = 0; i < 30; i += 10) {
    std::vector<Datagram> chunk_a(from_a.begin() + static_cast<std::ptrdiff_t>(i),
                                  from_a.begin() + static_cast<std::ptrdiff_t>(i + 10));
    std::vector<Datagram> chunk_c(from_c.begin() + static_cast<std::ptrdiff_t>(i),
                                  from_c.begin() + static_cast<std::ptrdiff_t>(i + 10));
    (void)send_all(a_.fd(), chunk_a, relay_, offload());
    (void)send_all(c.fd(), chunk_c, relay_, offload());
  }
  pump();
  EXPECT_TRUE(same(drain(b_.fd()), from_a));
  EXPECT_TRUE(same(drain(d.fd()), from_c));
  EXPECT_EQ(server_->core().counters().forwarded_datagrams, 60U);
}

TEST_P(RelayServerOffloadTest, OversizeDatagramsInARunAreDroppedOneByOne) {
  RelayLimits limits;
  limits.max_datagram_bytes = 1024;
  start(limits);
  bind_pair(a_, b_, 1, "node-a", "node-b");
  // [1500 x3, 800] coalesce into one run when sending with GSO; the last 800 starts a new one.
  auto run = make_datagrams({1500, 1500, 1500, 800, 800}, 800);
  (void)send_all(a_.fd(), run, relay_, offload());
  pump();
  EXPECT_TRUE(same(drain(b_.fd()), std::vector<Datagram>(run.begin() + 3, run.end())));
  EXPECT_EQ(server_->core().counters().dropped_oversize, 3U);
  EXPECT_EQ(server_->core().counters().forwarded_datagrams, 2U);
}

TEST_P(RelayServerOffloadTest, NodeLinksCarryMixedBurstsBothWays) {
  start();
  const UdpSocket tunnel_a = roomy_socket();
  const UdpSocket tunnel_b = roomy_socket();
  auto make_link = [&](const UdpSocket& tunnel) {
    RelayLink::Options options;
    options.relay = relay_;
    options.upstream_bind = kLoopback;
    options.local_listen = kLoopback;
    options.tunnel = tunnel.local_endpoint().value();
    options.offload = UdpOffload{offload(), offload()};
    return RelayLink::create(options, clock_).value();
  };
  RelayLink link_a = make_link(tunnel_a);
  RelayLink link_b = make_link(tunnel_b);
  const auto wall = clock_.wall_now().value().seconds;
  const auto ticket_a = issuer_.issue("node-a", "node-b", testing::session_id(1), wall);
  const auto ticket_b = issuer_.issue("node-b", "node-a", testing::session_id(1), wall);
  std::optional<ServerMessage> answer_a;
  std::optional<ServerMessage> answer_b;
  for (int round = 0; round < 4 && !(answer_a && answer_b); ++round) {
    if (!answer_a) {
      if (auto got = link_a.allocate(ticket_a, 3, milliseconds(1)); got.has_value()) {
        answer_a = *got;
      }
    }
    if (!answer_b) {
      if (auto got = link_b.allocate(ticket_b, 3, milliseconds(1)); got.has_value()) {
        answer_b = *got;
      }
    }
    pump();
  }
  ASSERT_TRUE(answer_a.has_value() && answer_b.has_value());
  ASSERT_EQ(answer_a->type, MessageType::kAccept);
  ASSERT_EQ(answer_b->type, MessageType::kAccept);

  // The tunnels send one datagram per call (as an old userspace tunnel does); the links coalesce.
  auto forward = make_datagrams(concat({repeat(1452, 45), {92}, repeat(1452, 12), {1, 700}}), 900);
  auto back = make_datagrams(concat({repeat(92, 30), {1452, 1500}}), 950);
  for (const auto& d : forward) {
    ASSERT_TRUE(tunnel_a.send_to(link_a.local_endpoint(), d).has_value());
  }
  for (const auto& d : back) {
    ASSERT_TRUE(tunnel_b.send_to(link_b.local_endpoint(), d).has_value());
  }
  ASSERT_TRUE(link_a.pump(milliseconds(200)).value());
  ASSERT_TRUE(link_b.pump(milliseconds(200)).value());
  pump();
  ASSERT_TRUE(link_b.pump(milliseconds(200)).value());
  ASSERT_TRUE(link_a.pump(milliseconds(200)).value());
  EXPECT_TRUE(same(drain(tunnel_b.fd()), forward));
  EXPECT_TRUE(same(drain(tunnel_a.fd()), back));
  EXPECT_EQ(link_a.forwarded_to_relay(), forward.size());
  EXPECT_EQ(link_b.forwarded_to_tunnel(), forward.size());
  EXPECT_EQ(link_b.forwarded_to_relay(), back.size());
  EXPECT_EQ(link_a.forwarded_to_tunnel(), back.size());
  // With the offloads, link A's 60 datagrams left as a few GSO sends, crossed the relay as GRO runs, and
  // link B received them as runs too; without them every hop moved one datagram per message.
  const auto up = link_a.relay_side_stats();
  const auto down = link_b.relay_side_stats();
  if (offload()) {
    EXPECT_GT(up.gso_messages, 0U);
    EXPECT_LT(up.sent_messages, forward.size());
    EXPECT_LT(down.received_messages, down.received_datagrams);
    EXPECT_GT(link_b.tunnel_side_stats().gso_messages, 0U);
  } else {
    EXPECT_EQ(up.gso_messages, 0U);
    EXPECT_EQ(up.sent_messages, forward.size() + 0U);
    EXPECT_EQ(down.received_messages, down.received_datagrams);
  }
}

INSTANTIATE_TEST_SUITE_P(Offload, RelayServerOffloadTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) { return param.param ? "On" : "Off"; });

}  // namespace
}  // namespace rustynet::relay
