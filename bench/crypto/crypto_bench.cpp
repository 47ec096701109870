// SPDX-License-Identifier: Apache-2.0
// Custody unlock time with the production Argon2id parameters (and neighbours), signature and
// key-agreement throughput.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "rustynet/crypto/custody_file.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/x25519.hpp"

namespace {

using rustynet::crypto::EncryptedFileCustody;
using rustynet::crypto::EncryptedFileCustodyOptions;
using rustynet::crypto::KeyPurpose;
using rustynet::crypto::OperatorSecret;

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rustynet-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::abort();
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ScratchDir(ScratchDir&&) = delete;
  ScratchDir& operator=(ScratchDir&&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

OperatorSecret bench_secret() {
  const std::string text = "benchmark operator secret, not a real one";
  const std::vector<std::uint8_t> bytes(text.begin(), text.end());
  auto secret = OperatorSecret::from_bytes(bytes);
  if (!secret.has_value()) {
    std::abort();
  }
  return std::move(secret).value();
}

// One full unlock as a daemon does it at startup: open the store (directory and salt checks),
// derive the envelope key with Argon2id, read, parse, decrypt and verify one key blob.
// range(0) = Argon2 passes, range(1) = memory in MiB. {2, 64} is the production choice.
void BM_CustodyUnlock(benchmark::State& state) {
  EncryptedFileCustodyOptions options;
  options.params.ops_limit = static_cast<std::uint32_t>(state.range(0));
  options.params.mem_limit_kib = static_cast<std::uint32_t>(state.range(1) * 1024);
  options.limits.min_ops_limit = 1;
  options.limits.min_mem_limit_kib = 8;
  ScratchDir dir;
  {
    auto custody = EncryptedFileCustody::open(dir.path(), bench_secret(), options);
    auto pair = rustynet::crypto::NodeKeyPair::generate();
    if (!custody.has_value() || !pair.has_value() || !store_node_key_pair(**custody, *pair).has_value()) {
      state.SkipWithError("could not seal a key");
      return;
    }
  }
  for (auto _ : state) {
    auto custody = EncryptedFileCustody::open(dir.path(), bench_secret(), options);
    if (!custody.has_value()) {
      state.SkipWithError("open failed");
      return;
    }
    auto loaded = (*custody)->load(KeyPurpose::kNodeTunnel);
    if (!loaded.has_value()) {
      state.SkipWithError("unlock failed");
      return;
    }
    benchmark::DoNotOptimize(loaded->key_id);
  }
}
BENCHMARK(BM_CustodyUnlock)
    ->ArgNames({"t", "MiB"})
    ->Args({2, 64})  // production: libsodium INTERACTIVE
    ->Args({2, 19})  // OWASP minimum, for comparison
    ->Args({3, 64})  // RFC 9106 second recommended option (with p=1)
    ->Args({4, 64})
    ->Args({3, 256})  // libsodium MODERATE-sized memory: too slow for a Pi 4 (see docs/key-custody.md)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Ed25519Sign(benchmark::State& state) {
  auto key = rustynet::crypto::Ed25519SigningKey::generate();
  if (!key.has_value()) {
    state.SkipWithError("keygen failed");
    return;
  }
  const std::vector<std::uint8_t> message(static_cast<std::size_t>(state.range(0)), 0x5a);
  for (auto _ : state) {
    auto signature = key->sign(message);
    benchmark::DoNotOptimize(signature);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Ed25519Sign)->Arg(64)->Arg(1024)->Arg(64 * 1024);

void BM_Ed25519Verify(benchmark::State& state) {
  auto key = rustynet::crypto::Ed25519SigningKey::generate();
  if (!key.has_value()) {
    state.SkipWithError("keygen failed");
    return;
  }
  const std::vector<std::uint8_t> message(static_cast<std::size_t>(state.range(0)), 0x5a);
  const auto signature = key->sign(message);
  for (auto _ : state) {
    auto verified = key->public_key().verify(message, signature);
    if (!verified.has_value()) {
      state.SkipWithError("verify failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Ed25519Verify)->Arg(64)->Arg(1024)->Arg(64 * 1024);

void BM_X25519SharedSecret(benchmark::State& state) {
  auto a = rustynet::crypto::NodeKeyPair::generate();
  auto b = rustynet::crypto::NodeKeyPair::generate();
  if (!a.has_value() || !b.has_value()) {
    state.SkipWithError("keygen failed");
    return;
  }
  for (auto _ : state) {
    auto shared = rustynet::crypto::x25519_shared_secret(a->secret_key(), b->public_key());
    benchmark::DoNotOptimize(shared);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_X25519SharedSecret);

void BM_NodeKeyPairGenerate(benchmark::State& state) {
  for (auto _ : state) {
    auto pair = rustynet::crypto::NodeKeyPair::generate();
    benchmark::DoNotOptimize(pair);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NodeKeyPairGenerate);

}  // namespace

BENCHMARK_MAIN();
