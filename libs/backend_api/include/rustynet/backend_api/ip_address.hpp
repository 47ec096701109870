// SPDX-License-Identifier: Apache-2.0
// IpAddress: an IPv4 or IPv6 address value with strict parsing and one canonical text form.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "rustynet/backend_api/backend_error.hpp"

namespace rustynet::backend_api {

enum class IpFamily : std::uint8_t { kV4 = 4, kV6 = 6 };

// Accepted text: IPv4 dotted quad with exactly four decimal parts, no leading zeros ("10.0.0.1");
// IPv6 in any RFC 4291 text form (hex, "::" compression, trailing dotted quad), case-insensitive.
// Rejected: zone ids ("%eth0"), brackets, whitespace, shorthand IPv4 ("10.1"), octal/hex IPv4.
// to_string() is canonical: IPv4 dotted quad; IPv6 per RFC 5952 (lower case, longest run of two
// or more zero groups compressed, first run on a tie, "::ffff:a.b.c.d" for IPv4-mapped).
// An IPv4-mapped IPv6 address is an IPv6 address: families are never silently converted.
class IpAddress {
 public:
  // The IPv4 unspecified address 0.0.0.0.
  IpAddress() = default;

  [[nodiscard]] static BackendResult<IpAddress> parse(std::string_view text);
  [[nodiscard]] static IpAddress v4(const std::array<std::uint8_t, 4>& bytes) noexcept;
  [[nodiscard]] static IpAddress v6(const std::array<std::uint8_t, 16>& bytes) noexcept;

  [[nodiscard]] IpFamily family() const noexcept { return family_; }
  [[nodiscard]] bool is_v4() const noexcept { return family_ == IpFamily::kV4; }
  [[nodiscard]] bool is_v6() const noexcept { return family_ == IpFamily::kV6; }
  // 32 for IPv4, 128 for IPv6.
  [[nodiscard]] std::uint8_t bit_width() const noexcept { return is_v4() ? 32 : 128; }
  // Network byte order; 4 bytes for IPv4, 16 for IPv6.
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept {
    return std::span<const std::uint8_t>(bytes_).first(is_v4() ? 4U : 16U);
  }
  // 0.0.0.0 or ::
  [[nodiscard]] bool is_unspecified() const noexcept;
  [[nodiscard]] std::string to_string() const;

  // Orders IPv4 before IPv6, then by bytes.
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend std::strong_ordering operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  IpFamily family_ = IpFamily::kV4;
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 uses the first 4 bytes; the rest stay zero
};

std::ostream& operator<<(std::ostream& out, const IpAddress& address);

}  // namespace rustynet::backend_api
