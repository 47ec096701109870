// SPDX-License-Identifier: Apache-2.0
// Wall time of applying 1,000 and 10,000 peers in ONE batched configure_peers() through the
// userspace driver (a real wireguard-go), plus one incremental update among N and a stats() dump.
// Needs root: the process moves itself into a fresh network namespace first, so it touches nothing
// on the host and leaves nothing behind.
#include <sched.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "rustynet/backend_api/interface_address.hpp"
#include "rustynet/backend_api/peer_config.hpp"
#include "rustynet/backend_api/runtime_context.hpp"
#include "rustynet/backend_wireguard/factory.hpp"

namespace {

namespace api = rustynet::backend_api;
namespace wg = rustynet::backend_wireguard;

api::RuntimeContext bench_context() {
  api::RuntimeContext context{api::NodeId::parse("bench-local").value(),
                              "rnbench" + std::to_string(::getpid() % 100000),
                              {api::InterfaceAddress::parse("100.64.0.1/10").value()},
                              0,
                              1420,
                              rustynet::base::SecretBytes(32)};
  auto key = context.tunnel_private_key.mutable_view();
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::uint8_t>(0x20 + i);
  }
  return context;
}

// With `keepalive`, every peer also gets an endpoint and a 25 s keepalive, so the daemon starts a
// handshake for each one as it is added (the common mesh configuration); without, peers are inert.
std::vector<api::PeerConfig> make_peers(std::size_t count, std::uint8_t generation, bool keepalive = true) {
  std::vector<api::PeerConfig> peers;
  peers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    api::PeerPublicKey key;
    for (std::size_t b = 0; b < key.bytes.size(); ++b) {
      key.bytes[b] = static_cast<std::uint8_t>((i >> (8U * (b % 4U))) + b * 31U + generation);
    }
    key.bytes[31] = 0x5a;
    api::PeerConfig peer{api::NodeId::parse("peer-" + std::to_string(i)).value(), key, std::nullopt, {}, std::nullopt};
    if (keepalive) {
      peer.persistent_keepalive_seconds = 25;
      peer.endpoint =
          api::SocketEndpoint::parse("192.0.2." + std::to_string(i % 250 + 1) + ":" + std::to_string(20000 + i % 40000))
              .value();
    }
    const std::size_t host = i + 1;
    peer.allowed_prefixes.push_back(api::IpPrefix::parse("10." + std::to_string((host >> 16U) & 0xFFU) + "." +
                                                         std::to_string((host >> 8U) & 0xFFU) + "." +
                                                         std::to_string(host & 0xFFU) + "/32")
                                        .value());
    peers.push_back(std::move(peer));
  }
  return peers;
}

std::unique_ptr<api::TunnelBackend> started_backend(benchmark::State& state) {
  wg::WireGuardBackendOptions options;
  options.terminate_daemon_with_owner = true;
  auto backend = wg::make_wireguard_backend(options);
  auto started = backend->start(bench_context());
  if (!started.has_value()) {
    state.SkipWithError(("start failed: " + started.error().describe()).c_str());
    return nullptr;
  }
  return backend;
}

void BM_ConfigurePeersBatch(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const auto peers = make_peers(count, 0, state.range(1) != 0);
  for (auto _ : state) {
    state.PauseTiming();
    auto backend = started_backend(state);
    if (!backend) {
      break;
    }
    state.ResumeTiming();
    auto applied = backend->configure_peers(peers);
    state.PauseTiming();
    if (!applied.has_value()) {
      state.SkipWithError(applied.error().describe().c_str());
    }
    (void)backend->shutdown();
    state.ResumeTiming();
  }
  state.counters["peers"] = static_cast<double>(count);
}
BENCHMARK(BM_ConfigurePeersBatch)
    ->ArgNames({"peers", "keepalive"})
    ->Args({1000, 1})
    ->Args({10000, 1})
    ->Args({1000, 0})
    ->Args({10000, 0})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One peer changed while N are configured: one round trip touching only that peer.
void BM_UpdateOnePeerAmongN(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  auto peers = make_peers(count, 0);
  auto backend = started_backend(state);
  if (!backend || !backend->configure_peers(peers).has_value()) {
    state.SkipWithError("setup failed");
    return;
  }
  std::uint16_t keepalive = 10;
  for (auto _ : state) {
    peers[count / 2].persistent_keepalive_seconds = ++keepalive;
    if (!backend->configure_peer(peers[count / 2]).has_value()) {
      state.SkipWithError("configure_peer failed");
      break;
    }
  }
  (void)backend->shutdown();
}
BENCHMARK(BM_UpdateOnePeerAmongN)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

// stats(): one UAPI get=1 dump of N peers plus a route dump.
void BM_StatsWithNPeers(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  auto backend = started_backend(state);
  if (!backend || !backend->configure_peers(make_peers(count, 0)).has_value()) {
    state.SkipWithError("setup failed");
    return;
  }
  for (auto _ : state) {
    auto stats = backend->stats();
    if (!stats.has_value() || stats->peers.size() != count) {
      state.SkipWithError("stats failed");
      break;
    }
    benchmark::DoNotOptimize(stats);
  }
  (void)backend->shutdown();
}
BENCHMARK(BM_StatsWithNPeers)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  // A private network namespace for the whole process (before any thread exists).
  if (::unshare(CLONE_NEWNET) != 0) {
    std::fputs("bench_backend_wireguard: needs root (unshare(CLONE_NEWNET) failed)\n", stderr);
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
