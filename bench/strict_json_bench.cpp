// SPDX-License-Identifier: Apache-2.0
// Strict JSON parse throughput for a policy-sized document (duplicate-key tracking is the cost).
#include <benchmark/benchmark.h>

#include <string>

#include "rustynet/base/strict_json.hpp"

namespace {

std::string make_document(int rules) {
  std::string doc = R"({"version": 1, "rules": [)";
  for (int i = 0; i < rules; ++i) {
    doc += (i == 0 ? "" : ",");
    doc += R"({"id": "r)" + std::to_string(i) + R"(", "action": "allow", "src": ["tag:a"], "dst": ["10.0.0.0/8"]})";
  }
  doc += "]}";
  return doc;
}

void BM_ParseStrictJson(benchmark::State& state) {
  const std::string doc = make_document(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto parsed = rustynet::base::parse_strict_json(doc, {1U << 24U, 32});
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(doc.size()));
}
BENCHMARK(BM_ParseStrictJson)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
