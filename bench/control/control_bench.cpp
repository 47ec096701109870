// SPDX-License-Identifier: Apache-2.0
// Control-plane hot paths on one core: full token validations/s and limiter decisions/s.
#include <benchmark/benchmark.h>

#include <array>
#include <charconv>
#include <memory>
#include <string>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/control/lockout.hpp"
#include "rustynet/control/nonce_store.hpp"
#include "rustynet/control/rate_limiter.hpp"
#include "rustynet/control/revocation_store.hpp"
#include "rustynet/control/token_validator.hpp"

namespace {

using rustynet::base::MonotonicTime;
using rustynet::base::UnixTime;
namespace control = rustynet::control;

// A fixed clock: validations all see the same "now", so no token expires mid-run.
class FixedClock final : public rustynet::base::Clock {
 public:
  [[nodiscard]] MonotonicTime monotonic_now() const override { return MonotonicTime{std::chrono::seconds(1000)}; }
  [[nodiscard]] rustynet::base::Result<UnixTime, rustynet::base::ClockError> wall_now() const override {
    return UnixTime{1'800'000'000};
  }
};

rustynet::crypto::Ed25519SigningKey bench_key() {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(42);
  return rustynet::crypto::Ed25519SigningKey::from_seed(seed).value();
}

// Full validation: parse, version, Ed25519 verify, time, audience, revocation lookup, nonce
// record. Each token is single-use, so the loop walks a pool of distinct tokens and starts a
// fresh nonce store when the pool is exhausted (outside the timed region).
void BM_TokenValidate(benchmark::State& state) {
  const FixedClock clock;
  const control::TokenIssuer issuer(bench_key(), "rustynet-control", clock);
  constexpr std::size_t kPool = 20'000;
  std::vector<std::string> tokens;
  tokens.reserve(kPool);
  for (std::size_t i = 0; i < kPool; ++i) {
    tokens.push_back(issuer.issue("node-" + std::to_string(i % 1000)).value());
  }
  control::MemoryRevocationStore revocations;
  (void)revocations.revoke_subject("node-revoked");
  auto nonces = std::make_unique<control::MemoryNonceStore>(kPool);
  auto validator = std::make_unique<control::TokenValidator>(
      control::TokenValidatorConfig{"rustynet-control"}, std::vector{issuer.public_key()}, clock, revocations, *nonces);
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == kPool) {
      state.PauseTiming();
      nonces = std::make_unique<control::MemoryNonceStore>(kPool);
      validator =
          std::make_unique<control::TokenValidator>(control::TokenValidatorConfig{"rustynet-control"},
                                                    std::vector{issuer.public_key()}, clock, revocations, *nonces);
      next = 0;
      state.ResumeTiming();
    }
    auto claims = validator->validate(tokens[next++]);
    if (!claims.has_value()) {
      state.SkipWithError("validation failed");
      break;
    }
    benchmark::DoNotOptimize(claims);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TokenValidate);

// The cheapest rejection path an attacker can force: a forged signature.
void BM_TokenRejectBadSignature(benchmark::State& state) {
  const FixedClock clock;
  const control::TokenIssuer forger(bench_key(), "rustynet-control", clock);
  std::array<std::uint8_t, 32> seed{};
  seed.fill(7);
  const auto trusted = rustynet::crypto::Ed25519SigningKey::from_seed(seed).value();
  control::MemoryRevocationStore revocations;
  control::MemoryNonceStore nonces(16);
  const control::TokenValidator validator(control::TokenValidatorConfig{"rustynet-control"},
                                          std::vector{trusted.public_key()}, clock, revocations, nonces);
  const std::string token = forger.issue("node-x").value();
  for (auto _ : state) {
    auto claims = validator.validate(token);
    benchmark::DoNotOptimize(claims);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TokenRejectBadSignature);

// Limiter decisions for a working set of N source keys (1 = one hot client; 65,536 = a full table).
void BM_LimiterAcquire(benchmark::State& state) {
  auto limiter = control::TokenBucketLimiter::create(control::kPerIpRateLimit).value();
  std::vector<std::string> keys;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    keys.push_back("10." + std::to_string((i >> 16) & 0xff) + "." + std::to_string((i >> 8) & 0xff) + "." +
                   std::to_string(i & 0xff));
  }
  MonotonicTime now{std::chrono::seconds(1000)};
  std::size_t next = 0;
  for (auto _ : state) {
    now += std::chrono::microseconds(1);
    auto decision = limiter->acquire(keys[next], now);
    benchmark::DoNotOptimize(decision);
    next = next + 1 == keys.size() ? 0 : next + 1;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LimiterAcquire)->Arg(1)->Arg(1024)->Arg(65'536);

// Every decision for a never-seen key on a full table: the eviction path of an address-rotating
// attacker.
void BM_LimiterAcquireEvicting(benchmark::State& state) {
  control::RateLimitConfig config = control::kPerIpRateLimit;
  config.max_tracked_keys = 65'536;
  auto limiter = control::TokenBucketLimiter::create(config).value();
  MonotonicTime now{std::chrono::seconds(1000)};
  std::uint64_t counter = 0;
  std::array<char, 24> key{'k'};
  for (auto _ : state) {
    const auto written = std::to_chars(key.data() + 1, key.data() + key.size(), counter++);
    auto decision =
        limiter->acquire(std::string_view(key.data(), static_cast<std::size_t>(written.ptr - key.data())), now);
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LimiterAcquireEvicting);

void BM_LockoutCheck(benchmark::State& state) {
  auto lockout = control::BackoffLockout::create(control::kDefaultLockout).value();
  const MonotonicTime now{std::chrono::seconds(1000)};
  (void)lockout->record_failure("ip:192.0.2.1", now);
  for (auto _ : state) {
    auto decision = lockout->check("ip:192.0.2.1", now);
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LockoutCheck);

}  // namespace

BENCHMARK_MAIN();
