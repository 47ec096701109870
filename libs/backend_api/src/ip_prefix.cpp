// SPDX-License-Identifier: Apache-2.0
// IpPrefix parsing and containment; host bits set are rejected.
#include "rustynet/backend_api/ip_prefix.hpp"

#include <ostream>
#include <utility>

#include "text_parse.hpp"

namespace rustynet::backend_api {
namespace {

// True if every bit of `address` at or after bit `length` is zero.
bool host_bits_clear(const IpAddress& address, std::uint8_t length) noexcept {
  const auto bytes = address.bytes();
  for (std::size_t bit = length; bit < bytes.size() * 8; ++bit) {
    const auto mask = static_cast<std::uint8_t>(0x80U >> (bit % 8));
    if ((bytes[bit / 8] & mask) != 0) {
      return false;
    }
  }
  return true;
}

// True if the first `length` bits of a and b (same family) agree.
bool same_leading_bits(const IpAddress& a, const IpAddress& b, std::uint8_t length) noexcept {
  const auto x = a.bytes();
  const auto y = b.bytes();
  const std::size_t full = length / 8U;
  for (std::size_t i = 0; i < full; ++i) {
    if (x[i] != y[i]) {
      return false;
    }
  }
  const unsigned rest = length % 8U;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xFFU << (8U - rest));
  return (x[full] & mask) == (y[full] & mask);
}

}  // namespace

BackendResult<IpPrefix> IpPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return fail(BackendError::invalid_input("prefix needs an explicit '/length'"));
  }
  auto parsed = IpAddress::parse(text.substr(0, slash));
  if (!parsed.has_value()) {
    return fail(std::move(parsed).error());
  }
  const IpAddress address = *parsed;
  const auto length = detail::parse_decimal(text.substr(slash + 1), address.bit_width());
  if (!length.has_value()) {
    return fail(BackendError::invalid_input(std::string("prefix length is not a decimal in 0..") +
                                            std::to_string(address.bit_width())));
  }
  return create(address, static_cast<std::uint8_t>(*length));
}

BackendResult<IpPrefix> IpPrefix::create(const IpAddress& address, std::uint8_t length) {
  if (length > address.bit_width()) {
    return fail(BackendError::invalid_input("prefix length exceeds the address width"));
  }
  if (!host_bits_clear(address, length)) {
    return fail(BackendError::invalid_input(std::string("prefix ") + address.to_string() + "/" +
                                            std::to_string(length) + " has host bits set"));
  }
  return IpPrefix(address, length);
}

BackendResult<IpPrefix> IpPrefix::containing(const IpAddress& address, std::uint8_t length) {
  if (length > address.bit_width()) {
    return fail(BackendError::invalid_input("prefix length exceeds the address width"));
  }
  std::array<std::uint8_t, 16> masked{};
  const auto bytes = address.bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::size_t first_bit = i * 8;
    std::uint8_t mask = 0;
    if (first_bit + 8 <= length) {
      mask = 0xFF;
    } else if (first_bit < length) {
      mask = static_cast<std::uint8_t>(0xFFU << (8U - (length - first_bit)));
    }
    masked[i] = static_cast<std::uint8_t>(bytes[i] & mask);
  }
  if (address.is_v4()) {
    return IpPrefix(IpAddress::v4({masked[0], masked[1], masked[2], masked[3]}), length);
  }
  return IpPrefix(IpAddress::v6(masked), length);
}

bool IpPrefix::contains(const IpAddress& address) const noexcept {
  return address.family() == family() && same_leading_bits(address_, address, length_);
}

bool IpPrefix::contains(const IpPrefix& other) const noexcept {
  return other.family() == family() && other.length_ >= length_ && same_leading_bits(address_, other.address_, length_);
}

std::string IpPrefix::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

std::ostream& operator<<(std::ostream& out, const IpPrefix& prefix) { return out << prefix.to_string(); }

}  // namespace rustynet::backend_api
