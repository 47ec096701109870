// SPDX-License-Identifier: Apache-2.0
// Signed-envelope verification throughput (TrustStore::verify: decode, Ed25519, checks).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <string>

#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/crypto/trust_state.hpp"

namespace {

using namespace rustynet;  // NOLINT(google-build-using-namespace): benchmark TU, not a header

// A fixed wall clock, so artifact validity does not depend on when the benchmark runs.
class FixedClock final : public base::Clock {
 public:
  [[nodiscard]] base::MonotonicTime monotonic_now() const override { return {}; }
  [[nodiscard]] base::Result<base::UnixTime, base::ClockError> wall_now() const override {
    return base::UnixTime{1'800'000'000};
  }
};

void BM_EnvelopeVerify(benchmark::State& state) {
  const auto payload_size = static_cast<std::size_t>(state.range(0));
  std::array<std::uint8_t, 32> seed{};
  seed.fill(7);
  const auto key = crypto::Ed25519SigningKey::from_seed(seed).value();
  const std::vector<std::uint8_t> payload(payload_size, 'x');
  const auto envelope =
      crypto::sign_envelope(key, {crypto::ArtifactType::kNodeState, "node-a", 1'800'000'000, 1'800'003'600, 2}, payload)
          .value();
  const auto dir = std::filesystem::temp_directory_path() / ("rustynet-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::array<std::uint8_t, 32> mac{};
  mac.fill(9);
  auto store =
      crypto::TrustStore::initialize({(dir / "trust.state").string(), true, {}},
                                     base::SecretBytes(std::span<const std::uint8_t>(mac)), {key.public_key()});
  if (!store.has_value()) {
    state.SkipWithError(store.error().describe().c_str());
    std::filesystem::remove_all(dir);
    return;
  }
  const FixedClock clock;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): Google Benchmark loop idiom
    auto verified = store->verify(envelope, crypto::ArtifactType::kNodeState, "node-a", clock);
    if (!verified.has_value()) {
      state.SkipWithError(verified.error().describe().c_str());
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(envelope.size()));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_EnvelopeVerify)->Arg(1024)->Arg(65536);

}  // namespace

BENCHMARK_MAIN();
