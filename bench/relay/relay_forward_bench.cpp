// SPDX-License-Identifier: Apache-2.0
// Relay forwarding throughput: RelayCore decisions alone, and the batched UDP server over loopback (GSO/GRO on and
// off).
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <optional>
#include <vector>

#include "batch_io.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/relay_core.hpp"
#include "rustynet/relay/relay_server.hpp"
#include "rustynet/relay/udp_socket.hpp"

namespace {

using namespace rustynet;  // NOLINT(google-build-using-namespace): benchmark TU only
using std::chrono::milliseconds;

class NullSink final : public relay::EventSink {
 public:
  void record(const relay::SecurityEvent& /*event*/) override {}
};

crypto::Ed25519SigningKey control_key() {
  const std::vector<std::uint8_t> seed(crypto::kEd25519SeedSize, 0x42);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

std::vector<std::uint8_t> ticket(const crypto::Ed25519SigningKey& key, const std::string& node, const std::string& peer,
                                 std::uint8_t id) {
  crypto::RelayTicketClaims claims;
  claims.relay_id = "bench";
  claims.session_id.fill(1);
  claims.ticket_id.fill(id);
  claims.node_id = node;
  claims.peer_node_id = peer;
  claims.issued_at = base::system_clock().wall_now().value().seconds;
  claims.expires_at = claims.issued_at + 300;
  return crypto::issue_relay_ticket(key, claims).value();
}

relay::RelayLimits bench_limits() {
  relay::RelayLimits limits;
  limits.per_session_bytes_per_second = 1ULL << 40U;  // measure forwarding, not the limiter
  limits.per_source_packets_per_second = 100'000'000;
  return limits;
}

// Hello exchange through the core directly (no sockets).
void bind_core(relay::RelayCore& core, const relay::RelayEndpoint& source, const std::vector<std::uint8_t>& t) {
  std::array<std::uint8_t, relay::kMaxReplySize> reply{};
  const auto now = base::system_clock().monotonic_now();
  auto decision = core.handle(source, relay::build_hello(t, relay::Cookie{}).value(), reply, now);
  const auto cookie = relay::parse_server_message(std::span<const std::uint8_t>(reply).first(decision.reply_size));
  decision = core.handle(source, relay::build_hello(t, cookie.value().cookie).value(), reply, now);
  (void)decision;
}

void BM_RelayCoreDecision(benchmark::State& state) {
  NullSink sink;
  const auto key = control_key();
  auto core = relay::RelayCore::create("bench", key.public_key(), bench_limits(), base::system_clock(), sink).value();
  const auto a = relay::RelayEndpoint::parse("192.0.2.1:1000").value();
  const auto b = relay::RelayEndpoint::parse("192.0.2.2:2000").value();
  bind_core(core, a, ticket(key, "node-a", "node-b", 1));
  bind_core(core, b, ticket(key, "node-b", "node-a", 2));
  std::vector<std::uint8_t> datagram(static_cast<std::size_t>(state.range(0)), 4);
  std::array<std::uint8_t, relay::kMaxReplySize> reply{};
  const auto now = base::system_clock().monotonic_now();
  for (auto _ : state) {
    auto decision = core.handle(a, datagram, reply, now);
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RelayCoreDecision)->Arg(1420);

struct LoopbackRig {
  NullSink sink;
  std::optional<relay::RelayServer> server;
  std::optional<relay::UdpSocket> a;
  std::optional<relay::UdpSocket> b;
  relay::RelayEndpoint relay_at;

  bool setup(bool offload) {
    const auto key = control_key();
    const auto loopback = relay::RelayEndpoint::parse("127.0.0.1:0").value();
    auto core = relay::RelayCore::create("bench", key.public_key(), bench_limits(), base::system_clock(), sink);
    server.emplace(relay::RelayServer::create(loopback, std::move(core).value(), base::system_clock(),
                                              relay::UdpOffload{offload, offload})
                       .value());
    relay_at = server->local_endpoint();
    a.emplace(relay::UdpSocket::bind(loopback).value());
    b.emplace(relay::UdpSocket::bind(loopback).value());
    a->set_buffer_sizes(8 << 20);
    b->set_buffer_sizes(8 << 20);
    return handshake(*a, ticket(key, "node-a", "node-b", 1)) && handshake(*b, ticket(key, "node-b", "node-a", 2));
  }

  bool handshake(const relay::UdpSocket& socket, const std::vector<std::uint8_t>& t) {
    relay::Cookie cookie{};
    std::array<std::uint8_t, 256> buffer{};
    for (int step = 0; step < 2; ++step) {
      if (!socket.send_to(relay_at, relay::build_hello(t, cookie).value()).has_value() ||
          !server->poll_once(milliseconds(100)).has_value()) {
        return false;
      }
      auto got = socket.receive(buffer, milliseconds(100));
      if (!got.has_value() || !got->has_value()) {
        return false;
      }
      auto message = relay::parse_server_message(std::span<const std::uint8_t>(buffer).first((*got)->size));
      if (!message.has_value()) {
        return false;
      }
      if (message->type == relay::MessageType::kAccept) {
        return true;
      }
      cookie = message->cookie;
    }
    return false;
  }
};

// Relay-side cost only (manual time around poll_once): sender and receiver work is excluded, so
// items/s is what one relay core can forward and 1/bytes_per_second gives CPU seconds per byte.
// Arguments: datagram size, offload (1: the sender coalesces its burst with GSO as a node link does and
// the relay takes GRO runs and sends GSO; 0: one datagram per message everywhere).
void BM_RelayServerLoopback(benchmark::State& state) {
  LoopbackRig rig;
  const bool offload = state.range(1) != 0;
  if (!rig.setup(offload)) {
    state.SkipWithError("relay handshake failed");
    return;
  }
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> datagram(size, 4);
  std::vector<std::uint8_t> sink_buffer(65536);
  constexpr std::size_t kBurst = relay::RelayServer::kBatchSize * 4;
  relay::detail::SendBatch sender(kBurst);
  sender.set_gso(offload && relay::detail::gso_supported(rig.a->fd()));
  relay::detail::SocketAddress relay_address{};
  const socklen_t relay_length = relay::detail::to_socket_address(rig.relay_at, relay_address);
  std::int64_t forwarded = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBurst; ++i) {
      sender.add(rig.a->fd(), datagram, relay_address, relay_length);
    }
    sender.flush(rig.a->fd());
    const auto start = std::chrono::steady_clock::now();
    auto received = rig.server->poll_once(milliseconds(10));
    const auto stop = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
    forwarded += static_cast<std::int64_t>(received.value_or(0));
    for (;;) {
      auto got = rig.b->receive(sink_buffer, milliseconds(0));
      if (!got.has_value() || !got->has_value()) {
        break;
      }
    }
  }
  state.SetItemsProcessed(forwarded);
  state.SetBytesProcessed(forwarded * state.range(0));
  state.counters["Gbit/s"] = benchmark::Counter(static_cast<double>(forwarded) * static_cast<double>(size) * 8 / 1e9,
                                                benchmark::Counter::kIsRate);
  const auto io = rig.server->io_stats();
  state.counters["datagrams/recv_msg"] =
      io.received_messages > 0 ? static_cast<double>(io.received_datagrams) / static_cast<double>(io.received_messages)
                               : 0.0;
  state.counters["datagrams/send_msg"] = io.sent_messages > 0
                                             ? static_cast<double>(rig.server->core().counters().forwarded_datagrams) /
                                                   static_cast<double>(io.sent_messages)
                                             : 0.0;
  state.counters["send_errors"] = static_cast<double>(rig.server->core().counters().send_errors);
}
BENCHMARK(BM_RelayServerLoopback)
    ->ArgNames({"size", "offload"})
    ->Args({64, 0})
    ->Args({1420, 0})
    ->Args({64, 1})
    ->Args({1420, 1})
    ->UseManualTime();

}  // namespace
BENCHMARK_MAIN();
