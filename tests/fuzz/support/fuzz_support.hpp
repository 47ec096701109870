// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the libFuzzer targets: property checks that crash loudly, and input slicing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

namespace rustynet::fuzz {

// A violated property is a finding: print it and abort, which libFuzzer records as a crash (the
// input is saved as an artifact). Never prints the input itself (it may hold key material).
[[noreturn]] inline void property_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "fuzz property violated: %s (%s:%d)\n", expression, file, line);
  std::abort();
}

// Splits the fuzzer's input: a selector byte (mode, access level, ...) and the rest.
class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : bytes_(data, size) {}

  [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
  // The next byte (0 when exhausted).
  [[nodiscard]] std::uint8_t take_byte() noexcept {
    if (bytes_.empty()) {
      return 0;
    }
    const std::uint8_t value = bytes_.front();
    bytes_ = bytes_.subspan(1);
    return value;
  }
  // Everything not consumed yet.
  [[nodiscard]] std::span<const std::uint8_t> rest() const noexcept { return bytes_; }
  [[nodiscard]] std::string_view rest_text() const noexcept {
    return {bytes_.empty() ? "" : static_cast<const char*>(static_cast<const void*>(bytes_.data())), bytes_.size()};
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

// The whole input as text (no copy).
[[nodiscard]] inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
  return {size == 0 ? "" : static_cast<const char*>(static_cast<const void*>(data)), size};
}

}  // namespace rustynet::fuzz

// Checks a property of a successful parse; on failure the input becomes a crash artifact.
#define FUZZ_CHECK(condition)                                            \
  do {                                                                   \
    if (!(condition)) {                                                  \
      ::rustynet::fuzz::property_failed(#condition, __FILE__, __LINE__); \
    }                                                                    \
  } while (false)
