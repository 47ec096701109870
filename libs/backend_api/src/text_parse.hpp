// SPDX-License-Identifier: Apache-2.0
// Internal strict decimal parsing shared by the address, prefix and endpoint parsers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rustynet::backend_api::detail {

// Digits only, no sign, no leading zero (except "0" itself), value <= max. nullopt otherwise.
[[nodiscard]] inline std::optional<std::uint32_t> parse_decimal(std::string_view text, std::uint32_t max) noexcept {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text.front() == '0')) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > max) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(value);
}

}  // namespace rustynet::backend_api::detail
