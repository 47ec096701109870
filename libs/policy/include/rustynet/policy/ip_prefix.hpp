// SPDX-License-Identifier: Apache-2.0
// IpAddress and IpPrefix: strict, canonical IPv4/IPv6 values for policy selectors and node state.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "rustynet/base/result.hpp"

namespace rustynet::policy {

enum class IpFamily : std::uint8_t { kV4 = 4, kV6 = 6 };

// An IPv4 or IPv6 address. IPv4 lives in the low 32 bits of lo(); IPv6 is hi():lo() big-endian.
// IPv4 and IPv6 never compare equal and an IPv6 prefix never contains an IPv4 address.
class IpAddress {
 public:
  IpAddress() = default;
  [[nodiscard]] static IpAddress v4(std::uint32_t address) noexcept { return {IpFamily::kV4, 0, address}; }
  [[nodiscard]] static IpAddress v6(std::uint64_t hi, std::uint64_t lo) noexcept { return {IpFamily::kV6, hi, lo}; }

  // Accepts dotted-quad IPv4 (no leading zeros: "010" is ambiguous octal elsewhere) and RFC 4291
  // IPv6 text without zone ids or an embedded dotted IPv4 tail. Error: a reason, not the input.
  [[nodiscard]] static base::Result<IpAddress, std::string> parse(std::string_view text);

  [[nodiscard]] IpFamily family() const noexcept { return family_; }
  [[nodiscard]] std::uint64_t hi() const noexcept { return hi_; }
  [[nodiscard]] std::uint64_t lo() const noexcept { return lo_; }
  [[nodiscard]] unsigned max_prefix_length() const noexcept { return family_ == IpFamily::kV4 ? 32U : 128U; }
  // Canonical text (RFC 5952 for IPv6).
  [[nodiscard]] std::string to_string() const;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  IpAddress(IpFamily family, std::uint64_t hi, std::uint64_t lo) noexcept : family_(family), hi_(hi), lo_(lo) {}

  IpFamily family_ = IpFamily::kV4;
  std::uint64_t hi_ = 0;
  std::uint64_t lo_ = 0;
};

// address/length with all host bits zero (enforced by create/parse).
class IpPrefix {
 public:
  IpPrefix() = default;
  // Fails when length exceeds the family's width or host bits are set.
  [[nodiscard]] static base::Result<IpPrefix, std::string> create(IpAddress address, unsigned length);
  // The host prefix (/32 or /128) of an address.
  [[nodiscard]] static IpPrefix host(IpAddress address) noexcept;
  // "10.0.0.0/8", "fd00::/8"; a bare address means its host prefix. Host bits set is an error
  // ("10.0.0.1/8" is rejected, not silently widened): an operator typo must not change scope.
  [[nodiscard]] static base::Result<IpPrefix, std::string> parse(std::string_view text);

  [[nodiscard]] const IpAddress& address() const noexcept { return address_; }
  [[nodiscard]] unsigned length() const noexcept { return length_; }
  [[nodiscard]] IpFamily family() const noexcept { return address_.family(); }
  [[nodiscard]] bool contains(const IpAddress& address) const noexcept;
  // Canonical "address/length".
  [[nodiscard]] std::string to_string() const;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;

 private:
  IpPrefix(IpAddress address, unsigned length) noexcept : address_(address), length_(length) {}

  IpAddress address_;
  unsigned length_ = 0;
};

// `address` with every bit after the first `length` bits cleared.
[[nodiscard]] IpAddress mask_address(const IpAddress& address, unsigned length) noexcept;

}  // namespace rustynet::policy
