// SPDX-License-Identifier: Apache-2.0
// IpPrefix: a canonical network prefix ("10.1.0.0/16"); host bits set are rejected, never masked.
#pragma once

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "rustynet/backend_api/backend_error.hpp"
#include "rustynet/backend_api/ip_address.hpp"

namespace rustynet::backend_api {

// Grammar: ADDRESS "/" LENGTH, ADDRESS as IpAddress::parse accepts, LENGTH decimal without
// leading zeros, 0..32 (IPv4) or 0..128 (IPv6). The "/LENGTH" part is mandatory.
// Host bits set ("10.1.2.3/16") is kInvalidInput: masking would silently turn a typo into a
// different, possibly much wider, route or ACL. Interface addresses, which do carry host bits,
// are a separate type (interface_address.hpp).
class IpPrefix {
 public:
  // 0.0.0.0/0
  IpPrefix() = default;

  [[nodiscard]] static BackendResult<IpPrefix> parse(std::string_view text);
  // Errors: kInvalidInput if length exceeds the family's width or host bits are set.
  [[nodiscard]] static BackendResult<IpPrefix> create(const IpAddress& address, std::uint8_t length);
  // The prefix of the given length containing `address` (host bits cleared). For deriving the
  // network of an interface address; never use it to "repair" untrusted input.
  [[nodiscard]] static BackendResult<IpPrefix> containing(const IpAddress& address, std::uint8_t length);

  [[nodiscard]] const IpAddress& address() const noexcept { return address_; }
  [[nodiscard]] std::uint8_t length() const noexcept { return length_; }
  [[nodiscard]] IpFamily family() const noexcept { return address_.family(); }
  // 0.0.0.0/0 or ::/0
  [[nodiscard]] bool is_default() const noexcept { return length_ == 0; }
  // Same family and inside this prefix.
  [[nodiscard]] bool contains(const IpAddress& address) const noexcept;
  // `other` is the same family and no wider than this prefix and inside it.
  [[nodiscard]] bool contains(const IpPrefix& other) const noexcept;
  [[nodiscard]] std::string to_string() const;

  // Orders by address (IPv4 first), then length.
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend std::strong_ordering operator<=>(const IpPrefix&, const IpPrefix&) = default;

 private:
  IpPrefix(IpAddress address, std::uint8_t length) : address_(address), length_(length) {}
  IpAddress address_;
  std::uint8_t length_ = 0;
};

std::ostream& operator<<(std::ostream& out, const IpPrefix& prefix);

}  // namespace rustynet::backend_api
