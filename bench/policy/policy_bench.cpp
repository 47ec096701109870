// SPDX-License-Identifier: Apache-2.0
// Policy hot paths: decisions/s and compile time by rule count; peer visibility by node count;
// flow spaces and node filter plans.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "policy_workload.hpp"
#include "rustynet/policy/compiled_policy.hpp"
#include "rustynet/policy/node_filter.hpp"

namespace {

using rustynet::bench::make_workload;
using rustynet::policy::CompiledPolicy;
using rustynet::policy::FlowEndpoint;
using rustynet::policy::NodeState;

void BM_Evaluate(benchmark::State& state) {
  const auto rules = static_cast<std::size_t>(state.range(0));
  const auto workload = make_workload(rules, 2000);
  const auto policy = CompiledPolicy::compile(workload.document, workload.inventory);
  if (!policy.has_value()) {
    state.SkipWithError(policy.error().describe().c_str());
    return;
  }
  std::size_t i = 0;
  std::size_t allowed = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): Google Benchmark loop idiom
    const auto decision = policy->evaluate(workload.requests[i]);
    allowed += decision.allowed() ? 1U : 0U;
    benchmark::DoNotOptimize(decision);
    i = (i + 1) % workload.requests.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["allowed_fraction"] =
      benchmark::Counter(static_cast<double>(allowed) / static_cast<double>(state.iterations()));
  state.counters["index_entries"] = static_cast<double>(policy->index_entry_count());
}
BENCHMARK(BM_Evaluate)->Arg(100)->Arg(1000)->Arg(10000);

void BM_Compile(benchmark::State& state) {
  const auto rules = static_cast<std::size_t>(state.range(0));
  const auto workload = make_workload(rules, 2000, 1);
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): Google Benchmark loop idiom
    auto policy = CompiledPolicy::compile(workload.document, workload.inventory);
    if (!policy.has_value()) {
      state.SkipWithError(policy.error().describe().c_str());
      return;
    }
    benchmark::DoNotOptimize(policy);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Compile)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// Visibility of one node in an N-node network whose policy has N rules.
void BM_Visibility(benchmark::State& state) {
  const auto nodes = static_cast<std::size_t>(state.range(0));
  const auto workload = make_workload(nodes, nodes, 1);
  const auto policy = CompiledPolicy::compile(workload.document, workload.inventory);
  if (!policy.has_value()) {
    state.SkipWithError(policy.error().describe().c_str());
    return;
  }
  std::size_t n = 0;
  std::size_t peers = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): Google Benchmark loop idiom
    auto visible = policy->visibility(workload.inventory.nodes[n].id);
    peers += visible.has_value() ? visible->peers.size() : 0;
    benchmark::DoNotOptimize(visible);
    n = (n + 1) % nodes;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["mean_peers"] = static_cast<double>(peers) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Visibility)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

// flow_space() for random node pairs (the endpoints of BM_Evaluate's requests).
void BM_FlowSpace(benchmark::State& state) {
  const auto rules = static_cast<std::size_t>(state.range(0));
  const auto workload = make_workload(rules, 2000);
  const auto policy = CompiledPolicy::compile(workload.document, workload.inventory);
  if (!policy.has_value()) {
    state.SkipWithError(policy.error().describe().c_str());
    return;
  }
  std::size_t i = 0;
  std::size_t non_empty = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): Google Benchmark loop idiom
    const auto& request = workload.requests[i];
    auto space = policy->flow_space(FlowEndpoint{request.src_node, request.src_ip},
                                    FlowEndpoint{request.dst_node, request.dst_ip});
    non_empty += space.empty() ? 0U : 1U;
    benchmark::DoNotOptimize(space);
    i = (i + 1) % workload.requests.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["non_empty_fraction"] =
      benchmark::Counter(static_cast<double>(non_empty) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_FlowSpace)->Arg(100)->Arg(1000)->Arg(10000);

// The whole filter plan of one node with 1,000 peers (one address each), as the daemon computes
// it on every state or policy change, under a policy of N rules.
void BM_PlanNodeFilter(benchmark::State& state) {
  constexpr std::size_t kPeers = 1000;
  const auto rules = static_cast<std::size_t>(state.range(0));
  const auto workload = make_workload(rules, kPeers + 1, 1);
  NodeState node;
  const auto& self = workload.inventory.nodes[0];
  node.node_id = self.id;
  node.tags = self.tags;
  node.addresses = self.addresses;
  for (std::size_t n = 1; n < workload.inventory.nodes.size(); ++n) {
    const auto& record = workload.inventory.nodes[n];
    rustynet::policy::PeerState peer;
    peer.node_id = record.id;
    peer.tags = record.tags;
    peer.addresses = record.addresses;
    node.peers.push_back(std::move(peer));
  }
  const auto policy = CompiledPolicy::compile(workload.document, rustynet::policy::inventory_of(node));
  if (!policy.has_value()) {
    state.SkipWithError(policy.error().describe().c_str());
    return;
  }
  std::size_t entries = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): Google Benchmark loop idiom
    auto plan = rustynet::policy::plan_node_filter(*policy, node);
    if (!plan.has_value()) {
      state.SkipWithError(plan.error().describe().c_str());
      return;
    }
    entries = plan->inbound.size() + plan->outbound.size();
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["peers"] = static_cast<double>(kPeers);
  state.counters["entries"] = static_cast<double>(entries);
}
BENCHMARK(BM_PlanNodeFilter)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
