// SPDX-License-Identifier: Apache-2.0
// Contract-layer cost on the in-memory ReferenceBackend (the spec's backend_contract_perf): 10k
// peers by single and batched calls, 10k-route replace-all, stats over 10k peers and routes.
// There is no data plane here, so these figures bound the contract/validation overhead only.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rustynet/backend_api/reference_backend.hpp"

namespace {

using namespace rustynet::backend_api;  // NOLINT(google-build-using-namespace): bench-local brevity

RuntimeContext make_context() {
  RuntimeContext context{
      NodeId::parse("bench-local").value(), "rnbench", {InterfaceAddress::parse("100.64.0.1/10").value()}, 0, 1420,
      rustynet::base::SecretBytes(32)};
  context.tunnel_private_key.mutable_view()[0] = 1;
  return context;
}

IpAddress v4(std::uint32_t value) {
  return IpAddress::v4({static_cast<std::uint8_t>(value >> 24U), static_cast<std::uint8_t>(value >> 16U),
                        static_cast<std::uint8_t>(value >> 8U), static_cast<std::uint8_t>(value)});
}

// Peer i: node "peer-i", a unique key, an endpoint, and its own /32 in 100.64.0.0/10.
std::vector<PeerConfig> make_peers(std::size_t count) {
  std::vector<PeerConfig> peers;
  peers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    PeerConfig peer{NodeId::parse(std::string("peer-") + std::to_string(i)).value(),
                    PeerPublicKey{},
                    SocketEndpoint::create(v4(0xC6120000U + static_cast<std::uint32_t>(i)), 51820).value(),
                    {IpPrefix::create(v4(0x64400002U + static_cast<std::uint32_t>(i)), 32).value()},
                    std::uint16_t{25}};
    for (std::size_t b = 0; b < 8; ++b) {
      peer.public_key.bytes[b] = static_cast<std::uint8_t>((i + 1) >> (8U * b));
    }
    peer.public_key.bytes[31] = 0x5A;
    peers.push_back(std::move(peer));
  }
  return peers;
}

// Route i: a /24 in 10.0.0.0/8 (offset by `base`) via peer i % peers.
std::vector<Route> make_routes(const std::vector<PeerConfig>& peers, std::size_t count, std::uint32_t base) {
  std::vector<Route> routes;
  routes.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t network = 0x0A000000U + ((base + static_cast<std::uint32_t>(i)) << 8U);
    routes.push_back(
        Route{IpPrefix::create(v4(network), 24).value(), peers[i % peers.size()].node_id, RouteKind::kMesh});
  }
  return routes;
}

void BM_ConfigurePeersSingleCalls(benchmark::State& state) {
  const auto peers = make_peers(static_cast<std::size_t>(state.range(0)));
  const RuntimeContext context = make_context();
  for (auto _ : state) {
    ReferenceBackend backend;
    if (!backend.start(context).has_value()) {
      state.SkipWithError("start failed");
      return;
    }
    for (const PeerConfig& peer : peers) {
      if (!backend.configure_peer(peer).has_value()) {
        state.SkipWithError("configure_peer failed");
        return;
      }
    }
    benchmark::DoNotOptimize(backend);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ConfigurePeersSingleCalls)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_ConfigurePeersBatched(benchmark::State& state) {
  const auto peers = make_peers(static_cast<std::size_t>(state.range(0)));
  const RuntimeContext context = make_context();
  for (auto _ : state) {
    ReferenceBackend backend;
    if (!backend.start(context).has_value() || !backend.configure_peers(peers).has_value()) {
      state.SkipWithError("batched configure failed");
      return;
    }
    benchmark::DoNotOptimize(backend);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ConfigurePeersBatched)->Arg(10000)->Unit(benchmark::kMillisecond);

// Updating already configured peers (the steady-state netmap refresh).
void BM_ReconfigureExistingPeers(benchmark::State& state) {
  const auto peers = make_peers(static_cast<std::size_t>(state.range(0)));
  ReferenceBackend backend;
  if (!backend.start(make_context()).has_value() || !backend.configure_peers(peers).has_value()) {
    state.SkipWithError("setup failed");
    return;
  }
  for (auto _ : state) {
    if (!backend.configure_peers(peers).has_value()) {
      state.SkipWithError("reconfigure failed");
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ReconfigureExistingPeers)->Arg(10000)->Unit(benchmark::kMillisecond);

// Replace-all with 10k routes, alternating between two disjoint sets so every call really
// replaces the whole table.
void BM_ApplyRoutes(benchmark::State& state) {
  const auto peers = make_peers(1000);
  const std::size_t count = static_cast<std::size_t>(state.range(0));
  const std::vector<std::vector<Route>> sets{make_routes(peers, count, 0), make_routes(peers, count, 0x8000)};
  ReferenceBackend backend;
  if (!backend.start(make_context()).has_value() || !backend.configure_peers(peers).has_value()) {
    state.SkipWithError("setup failed");
    return;
  }
  std::size_t which = 0;
  for (auto _ : state) {
    if (!backend.apply_routes(sets[which]).has_value()) {
      state.SkipWithError("apply_routes failed");
      return;
    }
    which ^= 1U;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ApplyRoutes)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_Stats(benchmark::State& state) {
  const auto peers = make_peers(static_cast<std::size_t>(state.range(0)));
  ReferenceBackend backend;
  if (!backend.start(make_context()).has_value() || !backend.configure_peers(peers).has_value() ||
      !backend.apply_routes(make_routes(peers, peers.size(), 0)).has_value()) {
    state.SkipWithError("setup failed");
    return;
  }
  for (auto _ : state) {
    auto stats = backend.stats();
    benchmark::DoNotOptimize(stats);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Stats)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_ParsePeerValues(benchmark::State& state) {
  for (auto _ : state) {
    auto node = NodeId::parse("Laptop-Home-0042");
    auto prefix = IpPrefix::parse("fd7a:115c:a1e0:ab12::/64");
    auto endpoint = SocketEndpoint::parse("[2001:db8::1]:51820");
    benchmark::DoNotOptimize(node);
    benchmark::DoNotOptimize(prefix);
    benchmark::DoNotOptimize(endpoint);
  }
}
BENCHMARK(BM_ParsePeerValues);

}  // namespace

BENCHMARK_MAIN();
