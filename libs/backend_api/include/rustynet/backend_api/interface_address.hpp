// SPDX-License-Identifier: Apache-2.0
// InterfaceAddress: an address assigned to the tunnel interface plus its on-link prefix length.
#pragma once

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "rustynet/backend_api/backend_error.hpp"
#include "rustynet/backend_api/ip_address.hpp"
#include "rustynet/backend_api/ip_prefix.hpp"

namespace rustynet::backend_api {

// "100.64.0.7/10", "fd7a:115c:a1e0::7/48": unlike IpPrefix, host bits are the point. The address
// must not be unspecified (0.0.0.0, ::). LENGTH grammar as for IpPrefix and mandatory.
class InterfaceAddress {
 public:
  [[nodiscard]] static BackendResult<InterfaceAddress> parse(std::string_view text);
  [[nodiscard]] static BackendResult<InterfaceAddress> create(const IpAddress& address, std::uint8_t length);

  [[nodiscard]] const IpAddress& address() const noexcept { return address_; }
  [[nodiscard]] std::uint8_t length() const noexcept { return length_; }
  [[nodiscard]] IpFamily family() const noexcept { return address_.family(); }
  // The on-link network, e.g. 100.64.0.0/10.
  [[nodiscard]] IpPrefix network() const;
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const InterfaceAddress&, const InterfaceAddress&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend std::strong_ordering operator<=>(const InterfaceAddress&, const InterfaceAddress&) = default;

 private:
  InterfaceAddress(IpAddress address, std::uint8_t length) : address_(address), length_(length) {}
  IpAddress address_;
  std::uint8_t length_ = 0;
};

std::ostream& operator<<(std::ostream& out, const InterfaceAddress& address);

}  // namespace rustynet::backend_api
