// SPDX-License-Identifier: Apache-2.0
// Deterministic keys and helpers shared by the signed-state tests.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/crypto/ed25519.hpp"

namespace rustynet::testing {

inline crypto::Ed25519SigningKey signing_key(std::uint8_t fill) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(fill);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

inline base::SecretBytes mac_key(std::uint8_t fill = 0x5A) {
  std::array<std::uint8_t, 32> key{};
  key.fill(fill);
  return base::SecretBytes(std::span<const std::uint8_t>(key));
}

inline std::vector<std::uint8_t> bytes_of(std::string_view text) {
  std::vector<std::uint8_t> out;
  for (const char c : text) {
    out.push_back(static_cast<std::uint8_t>(c));
  }
  return out;
}

inline std::string text_of(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (const auto b : bytes) {
    out.push_back(static_cast<char>(b));
  }
  return out;
}

}  // namespace rustynet::testing
