// SPDX-License-Identifier: Apache-2.0
// Policy hot paths: decisions/s and compile time by rule count; peer visibility by node count.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "policy_workload.hpp"
#include "rustynet/policy/compiled_policy.hpp"

namespace {

using rustynet::bench::make_workload;
using rustynet::policy::CompiledPolicy;

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

}  // namespace

BENCHMARK_MAIN();
